/**
 * A convolution layer's training pass, y = act(conv(x, W) + b), and a transposed convolution's, as one op each where the
 * backend has kernels for them (native: engine/native/kernels/layer-ops.ts): the convolution with the bias and
 * activation applied to each chunk of images as it is computed, and backward one pass for the activation's and
 * bias's gradients (./bias-activation.ts) before the convolutions of the input's and the filter's gradients. TF.js
 * records such a layer as a convolution, a bias add (a reshape and an add for the transposed one) and the activation,
 * saving copies of their inputs, and differentiates the bias with a sum and two reshapes: on the DCGAN's step the bias
 * adds alone took ≈3.5 ms (11 broadcasting adds over 0.1–0.4M values). Values are TF.js's, bit for bit (the same
 * convolution kernels; the bias gradient summed in double as the native Sum kernel does).
 *
 * The layers call `fusedConv2d` / `fusedConv2dTranspose` (../fast-paths/layers.ts) inside a gradient; they answer null
 * where the op does not apply (other backends, NCHW, dilations, an activation it does not fuse, its gradient not
 * installed, or a gradient of a gradient being recorded, as ./dense.ts says), and the layers then run the TF.js ops as
 * before. The
 * gradients (CONV_GRADIENTS, registered by ../fast-paths/) compute only what the backward pass asks for. Kept free of
 * Node imports.
 */
import * as tf from '@tensorflow/tfjs-core';
import { biasActivationGradient, isFusedActivation, onBackend, BIAS_ACTIVATION_GRAD_KERNEL, type BiasActivationAttrs } from './bias-activation.js';

/** y = conv2d(x, filter) + bias (NHWC, HWIO filter, bias [outChannels] optional); saves x and filter. */
export const CONV2D_KERNEL = 'GenlabConv2D';
/** y = act(conv2d(x, filter) + bias); saves x, filter and y. */
export const CONV2D_ACTIVATION_KERNEL = 'GenlabConv2DActivation';
/** y = conv2dTranspose(x, filter, outputShape) + bias (filter [h, w, outChannels, inChannels]); saves x and filter. */
export const CONV2D_TRANSPOSE_KERNEL = 'GenlabConv2DTranspose';
/** y = act(conv2dTranspose(x, filter, outputShape) + bias); saves x, filter and y. */
export const CONV2D_TRANSPOSE_ACTIVATION_KERNEL = 'GenlabConv2DTransposeActivation';

export interface ConvOpAttrs extends BiasActivationAttrs {
  strides: [number, number];
  pad: 'same' | 'valid';
  /** The transposed convolution's output shape [batch, height, width, channels]. */
  outputShape?: [number, number, number, number];
}

/** The op's kernel name for `activation`, when the backend has it and the gradients are installed; else null. */
function kernelFor(linear: string, withActivation: string, activation: string): string | null {
  if (!isFusedActivation(activation)) return null;
  const name = activation === 'linear' ? linear : withActivation;
  // Recorded inside an outer gradient (depth > 1), the layers' plain ops run, as TF.js differentiates them.
  const ok = onBackend(name) && onBackend(BIAS_ACTIVATION_GRAD_KERNEL) && tf.getGradient(name) !== undefined && tf.engine().state.gradientDepth <= 1;
  return ok ? name : null;
}

const float32 = (...ts: tf.Tensor[]): boolean => ts.every((t) => t.dtype === 'float32' && t.size > 0);

function run(name: string, x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor | null, attrs: ConvOpAttrs): tf.Tensor {
  return tf.engine().runKernel(name, bias ? { x, filter, bias } : { x, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * act(conv2d(x, filter, strides, pad) + bias) as one op (NHWC, no dilation), or null where it does not apply (the
 * caller runs the TF.js ops).
 */
export function fusedConv2d(x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor | null, strides: [number, number], pad: 'same' | 'valid', activation: string): tf.Tensor | null {
  const name = kernelFor(CONV2D_KERNEL, CONV2D_ACTIVATION_KERNEL, activation);
  if (name === null || x.rank !== 4 || filter.rank !== 4 || x.shape[3] !== filter.shape[2] || !float32(x, filter) ||
    (bias !== null && (bias.rank !== 1 || bias.shape[0] !== filter.shape[3] || !float32(bias)))) return null;
  return run(name, x, filter, bias, { activation: activation as ConvOpAttrs['activation'], bias: bias !== null, strides, pad });
}

/**
 * act(conv2dTranspose(x, filter, outputShape, strides, pad) + bias) as one op (NHWC; filter [h, w, outChannels,
 * inChannels]), or null where it does not apply.
 */
export function fusedConv2dTranspose(x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor | null, outputShape: [number, number, number, number],
  strides: [number, number], pad: 'same' | 'valid', activation: string): tf.Tensor | null {
  const name = kernelFor(CONV2D_TRANSPOSE_KERNEL, CONV2D_TRANSPOSE_ACTIVATION_KERNEL, activation);
  if (name === null || x.rank !== 4 || filter.rank !== 4 || x.shape[3] !== filter.shape[3] || outputShape[3] !== filter.shape[2] ||
    outputShape[0] !== x.shape[0] || !float32(x, filter) || (bias !== null && (bias.rank !== 1 || bias.shape[0] !== filter.shape[2] || !float32(bias)))) return null;
  return run(name, x, filter, bias, { activation: activation as ConvOpAttrs['activation'], bias: bias !== null, strides, pad, outputShape });
}

/** TF.js's Conv2DBackpropFilter kernel (tfjs-core's op for it is not public): the filter gradient of conv2d(x) at dy. */
function filterGradient(x: tf.Tensor, dy: tf.Tensor, filterShape: number[], { strides, pad }: ConvOpAttrs): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

function convGradient(kernelName: string, transposed: boolean, withActivation: boolean): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x', 'filter'],
    outputsToSave: withActivation ? [true] : [],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as tf.Tensor[];
      const a = attrs as unknown as ConvOpAttrs;
      // As in ./dense.ts: the part every input's gradient needs, here; each input's own in its closure.
      const { dPre, dBias } = biasActivationGradient(dy as tf.Tensor, y, a);
      if (!transposed) {
        // TF.js's Conv2D gradient, with dPre for dy.
        return {
          x: () => tf.conv2dTranspose(dPre as tf.Tensor4D, filter as tf.Tensor4D, x!.shape as [number, number, number, number], a.strides, a.pad),
          filter: () => filterGradient(x!, dPre, filter!.shape, a),
          bias: dBias,
        };
      }
      // TF.js's Conv2DBackpropInput gradient (the transposed convolution's input is that kernel's dy), with dPre for ddx.
      return {
        x: () => tf.conv2d(dPre as tf.Tensor4D, filter as tf.Tensor4D, a.strides, a.pad),
        filter: () => filterGradient(dPre, x!, filter!.shape, a),
        bias: dBias,
      };
    },
  };
}

/** The ops' gradients, for every backend (registered by ../fast-paths/). */
export const CONV_GRADIENTS: readonly tf.GradConfig[] = [
  convGradient(CONV2D_KERNEL, false, false),
  convGradient(CONV2D_ACTIVATION_KERNEL, false, true),
  convGradient(CONV2D_TRANSPOSE_KERNEL, true, false),
  convGradient(CONV2D_TRANSPOSE_ACTIVATION_KERNEL, true, true),
];
