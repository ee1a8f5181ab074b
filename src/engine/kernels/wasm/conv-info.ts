/** The geometry of a convolution from its kernel's attrs, for the conv kernels and conv gradients of this folder. */
import * as tf from '@tensorflow/tfjs-core';

export type Shape4 = [number, number, number, number];

/** Attrs shared by TF.js's conv kernels and their gradients (each adds its own, e.g. filterShape). */
export interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  /** Absent: NHWC. */
  dataFormat?: 'NHWC' | 'NCHW';
  /** Absent: 1. */
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** tfjs-core's computeConv2DInfo on `attrs`; `depthwise` changes how it reads the filter shape. */
export function convInfo(
  xShape: Shape4,
  filterShape: Shape4,
  attrs: ConvAttrs,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat ?? 'NHWC'),
  );
}
