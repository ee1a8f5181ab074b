/**
 * A dense layer's training pass, y = act(x·W + b), as one op where the backend has a kernel for it (the native backend:
 * engine/native/kernels/layer-ops.ts): one kernel forward (the product with the bias and activation in its epilogue)
 * and, backward, one pass for the activation's and the bias's gradients (./bias-activation.ts) before the two products
 * of the weights' and the input's gradients. TF.js records the same layer as three ops inside a gradient (matMul, add,
 * the activation), each a kernel with copies of its inputs saved for the backward pass, and differentiates them in 6
 * kernels (the activation's gradient, a reshape, a sum over the batch and a reshape for the bias, the two products): on
 * the VAE's four layers that was a fifth of the ≈130 kernels of a training step. Values are TF.js's, bit for bit.
 *
 * The layers call `fusedDense` (../fast-paths/layers.ts, inside a gradient), which answers null where the op does not
 * apply (other backends, dtypes, ranks, activations, or its gradient not installed yet); they then run the TF.js ops as
 * before, and so they do while a gradient of a gradient is recorded (WGAN-GP's penalty differentiates the critic's
 * input gradient again). The gradient (DENSE_GRADIENTS, registered by ../fast-paths/ when initEngine runs) computes
 * only what the backward pass asks for (not the input's gradient of a first layer). Kept free of Node imports.
 */
import * as tf from '@tensorflow/tfjs-core';
import { biasActivationGradient, isFusedActivation, onBackend, BIAS_ACTIVATION_GRAD_KERNEL, type BiasActivationAttrs } from './bias-activation.js';

/** y = x·W + b (inputs x [n, k], kernel [k, u], bias [u] optional); saves x and W. */
export const DENSE_KERNEL = 'GenlabDense';
/** y = act(x·W + b), attr `activation`; saves x, W and y (the activation's gradients are computed from y). */
export const DENSE_ACTIVATION_KERNEL = 'GenlabDenseActivation';

/**
 * act(x·kernel + bias) as one op, or null where it does not apply (the caller runs the TF.js ops): x [n, k] and
 * kernel [k, u] float32, bias [u] or null, an activation of FUSED_ACTIVATIONS, the backend has the kernels and the
 * gradient is installed.
 */
export function fusedDense(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | null, activation: string): tf.Tensor | null {
  if (!isFusedActivation(activation)) return null;
  const name = activation === 'linear' ? DENSE_KERNEL : DENSE_ACTIVATION_KERNEL;
  // Recorded inside an outer gradient (depth > 1), TF.js's ops run: the copy of y that the op saves is recorded on the
  // tape before the op itself (as for every TF.js op that saves its output), so a gradient of its gradient would not
  // reach the inputs through it.
  if (!onBackend(name) || !onBackend(BIAS_ACTIVATION_GRAD_KERNEL) || tf.getGradient(name) === undefined || tf.engine().state.gradientDepth > 1) return null;
  const fits = x.rank === 2 && kernel.rank === 2 && x.shape[1] === kernel.shape[0] && x.size > 0 && kernel.size > 0 &&
    x.dtype === 'float32' && kernel.dtype === 'float32' &&
    (bias === null || (bias.rank === 1 && bias.shape[0] === kernel.shape[1] && bias.dtype === 'float32'));
  if (!fits) return null;
  const attrs: BiasActivationAttrs = { activation, bias: bias !== null };
  return tf.engine().runKernel(name, bias ? { x, kernel, bias } : { x, kernel }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

function denseGradient(kernelName: string): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x', 'kernel'],
    outputsToSave: kernelName === DENSE_ACTIVATION_KERNEL ? [true] : [],
    gradFunc: (dy, saved, attrs) => {
      const [x, kernel, y] = saved as tf.Tensor[];
      // The inputs a backward pass asks for are known only when it calls their closures: the part every one of them
      // needs is computed here (in the backward pass's scope, disposed with it).
      const { dPre, dBias } = biasActivationGradient(dy as tf.Tensor, y, attrs as unknown as BiasActivationAttrs);
      return {
        x: () => tf.matMul(dPre, kernel!, false, true),
        kernel: () => tf.matMul(x!, dPre, true, false),
        bias: dBias,
      };
    },
  };
}

/** The op's gradients, for every backend (registered by ../fast-paths/). */
export const DENSE_GRADIENTS: readonly tf.GradConfig[] = [denseGradient(DENSE_KERNEL), denseGradient(DENSE_ACTIVATION_KERNEL)];
