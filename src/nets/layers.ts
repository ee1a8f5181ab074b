/**
 * The layers the nets build: tfjs-layers' Dense, Conv2D, Conv2DTranspose, DepthwiseConv2D and BatchNormalization with faster training passes (the
 * engine's classes, engine/fast-paths/layers.ts, which says what each does faster). They save under the stock class
 * names, so saved models open with stock TF.js.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  BatchNormalization,
  Conv2D,
  Conv2DTranspose,
  Dense,
  DepthwiseConv2D,
  type BatchNormArgs,
  type Conv2DArgs,
  type Conv2DTransposeArgs,
  type DenseArgs,
  type DepthwiseConv2DArgs,
} from '../engine/fast-paths/index.js';

export { BatchNormalization, Conv2D, Conv2DTranspose, Dense, DepthwiseConv2D };

/** A layer applied to symbolic inputs, as one symbolic output (the nets' builders chain these). */
export const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]): tfl.SymbolicTensor => layer.apply(x) as tfl.SymbolicTensor;

/** A dense layer (tfjs-layers' arguments) that computes only the gradients a backward pass asks for. */
export function dense(args: DenseArgs): tfl.layers.Layer {
  return new Dense(args);
}

/** A 2-D convolution layer (tfjs-layers' arguments) that computes only the gradients a backward pass asks for. */
export function conv2d(args: Conv2DArgs): tfl.layers.Layer {
  return new Conv2D(args);
}

/** A transposed 2-D convolution layer (tfjs-layers' arguments), its bias and activation one op with it in training. */
export function conv2dTranspose(args: Conv2DTransposeArgs): tfl.layers.Layer {
  return new Conv2DTranspose(args);
}

/** A depthwise 2-D convolution layer (tfjs-layers' arguments); of a 1×1 kernel, a per-channel scale run as one multiply. */
export function depthwiseConv2d(args: DepthwiseConv2DArgs): tfl.layers.Layer {
  return new DepthwiseConv2D(args);
}

/** A batch normalisation layer (tfjs-layers' arguments) whose training pass is one op where the backend has it. */
export function batchNormalization(args: BatchNormArgs): tfl.layers.Layer {
  return new BatchNormalization(args);
}
