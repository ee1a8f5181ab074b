/**
 * Convolutions (NHWC, not depthwise) on oneDNN's convolution primitives or im2col + sgemm (the addon picks): Conv2D,
 * FusedConv2D (bias and activation applied by the addon's epilogue), and both gradients. Conv2DBackpropInput is also
 * the forward pass of transposed convolutions.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import type { NativeBackend } from '../backend.js';
import { withCpuFallback, type Args, type Info, type KernelGroup } from './define.js';
import { ACTIVATIONS, biasOperand, f32, size } from './operands.js';

type ConvAttrs = {
  strides: number | [number, number]; pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW'; dilations?: number | [number, number]; dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape?: [number, number, number, number]; filterShape?: [number, number, number, number];
  activation?: string; leakyreluAlpha?: number;
};

/** The addon's convolution arguments (native/src/conv.cc's Conv), in its order. */
const convArgs = (c: tf.backend_util.Conv2DInfo): number[] => [
  c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.filterHeight, c.filterWidth, c.outChannels, c.outHeight,
  c.outWidth, c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.left, c.dilationHeight, c.dilationWidth,
];

/** TF.js's description of an NHWC convolution, or null where the addon does not apply (NCHW, bad shapes). */
function info(xShape: number[], fShape: number[], attrs: ConvAttrs, dilations: number | [number, number]): tf.backend_util.Conv2DInfo | null {
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC' || xShape.length !== 4 || fShape.length !== 4) return null;
  try {
    return tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], fShape as [number, number, number, number],
      attrs.strides, dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  } catch {
    return null;
  }
}

/** Conv2D, or FusedConv2D (`fused`: its bias and activation attributes apply). */
export function conv(native: NativeAddon, args: Args, backend: NativeBackend, fused: boolean): Info | null {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, Info | undefined>;
  const attrs = args.attrs as unknown as ConvAttrs;
  if (!x || !filter || preluActivationWeights) return null;
  const xv = f32(backend, x), wv = f32(backend, filter);
  const c = xv && wv ? info(x.shape, filter.shape, attrs, attrs.dilations ?? 1) : null;
  if (!xv || !wv || !c || c.inChannels !== filter.shape[2]) return null;
  const act = fused ? ACTIVATIONS[attrs.activation ?? 'linear'] : 0;
  if (act === undefined) return null;
  const outShape = [c.batchSize, c.outHeight, c.outWidth, c.outChannels];
  const fusedBias = fused && bias ? biasOperand(backend, bias, outShape) : { mode: 0, values: null };
  if (!fusedBias) return null;
  const { mode: bmode, values: biasValues } = fusedBias;
  const out = backend.alloc(size(outShape));
  if (bmode === 1 || bmode === 0) {
    // A bias per channel (or none) and the activation are applied by the addon to each chunk of images as it is done.
    native.conv2d(xv, wv, out, ...convArgs(c), biasValues, act, attrs.leakyreluAlpha ?? 0.2);
  } else {
    native.conv2d(xv, wv, out, ...convArgs(c));
    native.epilogue(out, out.length / Math.max(1, c.outChannels), c.outChannels, biasValues, bmode, act, attrs.leakyreluAlpha ?? 0.2);
  }
  return backend.makeTensorInfo(outShape, 'float32', out);
}

/**
 * Conv2DBackpropInput (also the forward pass of a transposed convolution), with a bias per channel and an activation
 * (genlab's transposed convolution op, ./layer-ops.ts) applied by the addon to each chunk of images as it is done.
 */
export function backpropInput(native: NativeAddon, args: Args, backend: NativeBackend, bias: Float32Array | null = null, act = 0): Info | null {
  const { dy, filter } = args.inputs as Record<string, Info | undefined>;
  const attrs = args.attrs as unknown as ConvAttrs;
  const dyv = f32(backend, dy), wv = f32(backend, filter);
  if (!dy || !filter || !dyv || !wv || !attrs.inputShape) return null;
  const c = info([...attrs.inputShape], filter.shape, attrs, 1);
  if (!c || c.outChannels !== dy.shape[3] || c.outHeight !== dy.shape[1] || c.outWidth !== dy.shape[2]) return null;
  const out = backend.alloc(size(attrs.inputShape));
  if (bias || act !== 0) native.conv2dBackpropInput(dyv, wv, out, ...convArgs(c), bias, act, 0);
  else native.conv2dBackpropInput(dyv, wv, out, ...convArgs(c));
  return backend.makeTensorInfo([...attrs.inputShape], 'float32', out);
}

function backpropFilter(native: NativeAddon, args: Args, backend: NativeBackend): Info | null {
  const { x, dy } = args.inputs as Record<string, Info | undefined>;
  const attrs = args.attrs as unknown as ConvAttrs;
  const xv = f32(backend, x), dyv = f32(backend, dy);
  if (!x || !dy || !xv || !dyv || !attrs.filterShape) return null;
  const c = info(x.shape, [...attrs.filterShape], attrs, 1);
  if (!c || c.outChannels !== dy.shape[3] || c.outHeight !== dy.shape[1] || c.outWidth !== dy.shape[2]) return null;
  const out = backend.alloc(size(attrs.filterShape));
  native.conv2dBackpropFilter(xv, dyv, out, ...convArgs(c));
  return backend.makeTensorInfo([...attrs.filterShape], 'float32', out);
}

export const convKernels: KernelGroup = (native, cpu) => [
  withCpuFallback('Conv2D', cpu, (args, backend) => conv(native, args, backend, false)),
  withCpuFallback('FusedConv2D', cpu, (args, backend) => conv(native, args, backend, true)),
  withCpuFallback('Conv2DBackpropInput', cpu, (args, backend) => backpropInput(native, args, backend)),
  withCpuFallback('Conv2DBackpropFilter', cpu, (args, backend) => backpropFilter(native, args, backend)),
];
