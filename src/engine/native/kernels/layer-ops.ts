/**
 * genlab's layer ops (../../kernels/dense.ts, conv.ts, which check the shapes and hold the gradients): the forward
 * kernels — a dense layer as one sgemm with the bias and activation in its epilogue, a convolution or transposed
 * convolution with them applied to each chunk of images as it is done — and the backward pass of the bias and
 * activation in one pass over dy (GenlabBiasActivationGrad, ../../kernels/bias-activation.ts).
 */
import { BIAS_ACTIVATION_GRAD_KERNEL, type BiasActivationAttrs } from '../../kernels/bias-activation.js';
import {
  CONV2D_ACTIVATION_KERNEL,
  CONV2D_KERNEL,
  CONV2D_TRANSPOSE_ACTIVATION_KERNEL,
  CONV2D_TRANSPOSE_KERNEL,
  type ConvOpAttrs,
} from '../../kernels/conv.js';
import { DENSE_ACTIVATION_KERNEL, DENSE_KERNEL } from '../../kernels/dense.js';
import type { NativeAddon } from '../addon.js';
import type { NativeBackend } from '../backend.js';
import { backpropInput, conv } from './conv.js';
import { nativeOnlyKernel, type Args, type Info, type KernelGroup } from './define.js';
import { ACTIVATIONS, f32, values } from './operands.js';

function biasOf(kernelName: string, args: Args, backend: NativeBackend): Float32Array | null {
  const bias = args.inputs['bias'];
  const bv = bias ? f32(backend, bias) : null;
  if (bias && !bv) throw new Error(`${kernelName}: expected a float32 bias`);
  return bv;
}

function dense(native: NativeAddon, kernelName: string, args: Args, backend: NativeBackend): Info {
  const [xv, wv] = values(backend, kernelName, args.inputs, ['x', 'kernel']);
  const bv = biasOf(kernelName, args, backend);
  const [n, k] = args.inputs['x']!.shape as [number, number];
  const units = args.inputs['kernel']!.shape[1]!;
  const act = ACTIVATIONS[(args.attrs as unknown as BiasActivationAttrs).activation]!;
  const out = backend.alloc(n * units);
  native.gemm(1, n, units, k, 0, 0, xv!, 0, wv!, 0, out, bv, bv ? 1 : 0, act, 0);
  return backend.makeTensorInfo([n, units], 'float32', out);
}

function convOp(native: NativeAddon, kernelName: string, args: Args, backend: NativeBackend): Info {
  const a = args.attrs as unknown as ConvOpAttrs;
  const out = conv(native, { ...args, attrs: { strides: a.strides, pad: a.pad, dataFormat: 'NHWC', dilations: 1, activation: a.activation } }, backend, true);
  if (!out) throw new Error(`${kernelName}: expected float32 NHWC x [n, h, w, c] and filter [h, w, c, filters]`);
  return out;
}

function convTransposeOp(native: NativeAddon, kernelName: string, args: Args, backend: NativeBackend): Info {
  const a = args.attrs as unknown as ConvOpAttrs;
  const bv = biasOf(kernelName, args, backend);
  const out = backpropInput(native, { ...args, inputs: { dy: args.inputs['x']!, filter: args.inputs['filter']! }, attrs: { strides: a.strides, pad: a.pad, inputShape: a.outputShape! } },
    backend, bv, ACTIVATIONS[a.activation]!);
  if (!out) throw new Error(`${kernelName}: expected float32 NHWC x, filter [h, w, filters, c] and an output shape that fits them`);
  return out;
}

function biasActivationGrad(native: NativeAddon, args: Args, backend: NativeBackend): Info[] {
  const { activation, bias } = args.attrs as unknown as BiasActivationAttrs;
  const linear = activation === 'linear';
  const [dy, y] = values(backend, BIAS_ACTIVATION_GRAD_KERNEL, args.inputs, linear ? ['dy'] : ['dy', 'y']);
  const shape = args.inputs['dy']!.shape;
  const cols = shape[shape.length - 1] ?? 1;
  const rows = cols === 0 ? 0 : dy!.length / cols;
  const dPre = linear ? null : backend.alloc(dy!.length);
  const dBias = bias ? backend.alloc(cols) : null;
  native.denseGrad(ACTIVATIONS[activation]!, dy!, y ?? null, dPre, dBias, rows, cols);
  const outs: Info[] = [];
  if (dPre) outs.push(backend.makeTensorInfo([...shape], 'float32', dPre));
  if (dBias) outs.push(backend.makeTensorInfo([cols], 'float32', dBias));
  return outs;
}

export const layerOpKernels: KernelGroup = (native) => [
  ...[DENSE_KERNEL, DENSE_ACTIVATION_KERNEL].map((name) => nativeOnlyKernel(name, (args, backend) => dense(native, name, args, backend))),
  ...[CONV2D_KERNEL, CONV2D_ACTIVATION_KERNEL].map((name) => nativeOnlyKernel(name, (args, backend) => convOp(native, name, args, backend))),
  ...[CONV2D_TRANSPOSE_KERNEL, CONV2D_TRANSPOSE_ACTIVATION_KERNEL].map((name) => nativeOnlyKernel(name, (args, backend) => convTransposeOp(native, name, args, backend))),
  nativeOnlyKernel(BIAS_ACTIVATION_GRAD_KERNEL, (args, backend) => biasActivationGrad(native, args, backend)),
];
