/**
 * Wraps the wasm backend's XNNPACK convolutions (Conv2D, FusedConv2D, DepthwiseConv2dNative, FusedDepthwiseConv2D)
 * so that 'same' padding reaches them as the equivalent explicit paddings, and so that an empty output never reaches
 * them.
 *
 * Why: for pad 'same' the wasm backend passes XNN_FLAG_TENSORFLOW_SAME_PADDING and lets the bundled XNNPACK compute
 * the padding, total = (out − 1)·stride + effectiveKernel − in, without TensorFlow's max(0, ·). When the kernel is
 * smaller than the stride (e.g. a 1×1 conv with stride 2 on an even size, or a 1×k kernel with stride 3) that total
 * is negative, wraps around as an unsigned int, and the conv returns wrong values. Found by comparing random shapes
 * against the CPU backend.
 * The explicit paddings come from tfjs-core's own computeConv2DInfo (TensorFlow's rule, with the clamp), give the
 * same output shape, and run through the same XNNPACK operator at the same speed.
 *
 * Empty outputs: when the (padded) input is smaller than the kernel, tfjs-core computes an output size of 0 and
 * still calls the kernel; XNNPACK then derives a negative size in unsigned arithmetic and writes outside the output,
 * silently corrupting other tensors on the wasm heap. The wrapper returns the empty tensor itself.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type ConvAttrs, convInfo } from './conv-info.js';
import type { TensorInfo, WasmKernelArgs } from './util.js';
import { input, shape4, withKernelFunc } from './util.js';

/** The kernels wrapped, and whether each is depthwise (which changes how computeConv2DInfo reads the filter). */
export const XNNPACK_CONV_KERNELS: readonly { name: string; depthwise: boolean }[] = [
  { name: tf.Conv2D, depthwise: false },
  { name: tf.FusedConv2D, depthwise: false },
  { name: tf.DepthwiseConv2dNative, depthwise: true },
  { name: tf.FusedDepthwiseConv2D, depthwise: true },
];

function convInfoOf(x: TensorInfo, filter: TensorInfo, attrs: ConvAttrs, depthwise: boolean, kernel: string) {
  return convInfo(shape4(x, `${kernel} x`), shape4(filter, `${kernel} filter`), attrs, depthwise);
}

/** `attrs` with pad 'same' replaced by the explicit paddings TensorFlow would use; other attrs unchanged. */
export function explicitSamePadding<A extends ConvAttrs>(
  x: TensorInfo,
  filter: TensorInfo,
  attrs: A,
  depthwise: boolean,
  kernel: string,
): A {
  if (attrs.pad !== 'same') return attrs;
  const info = convInfoOf(x, filter, attrs, depthwise, kernel);
  const { top, bottom, left, right } = info.padInfo;
  const pad: tf.backend_util.ExplicitPadding =
    info.dataFormat === 'channelsLast'
      ? [[0, 0], [top, bottom], [left, right], [0, 0]]
      : [[0, 0], [0, 0], [top, bottom], [left, right]];
  return { ...attrs, pad };
}

/** A wasm kernel config that calls `original` with 'same' padding made explicit, and never for an empty output. */
export function guardXnnpackConv(original: tf.KernelConfig, depthwise: boolean): tf.KernelConfig {
  const name = original.kernelName;
  const kernelFunc = (args: WasmKernelArgs<ConvAttrs>) => {
    const x = input(args.inputs, 'x', name);
    const filter = input(args.inputs, 'filter', name);
    const outShape = convInfoOf(x, filter, args.attrs, depthwise, name).outShape;
    if (outShape.some((d) => d < 0)) {
      throw new Error(`${name}: kernel larger than the padded input (output shape [${outShape.join(', ')}])`);
    }
    if (outShape.some((d) => d === 0)) return args.backend.makeOutput([...outShape], x.dtype);
    const attrs = explicitSamePadding(x, filter, args.attrs, depthwise, name);
    return original.kernelFunc({ ...args, attrs: attrs as unknown as tf.NamedAttrMap });
  };
  return withKernelFunc(original, kernelFunc);
}
