/**
 * The fused Adam update: a kernel only the native backend implements (engine/native/kernels/adam.ts);
 * train/optimizers.ts runs it there, once per optimiser step for all the variables it updates, instead of TF.js's ~20
 * element-wise kernels per variable (and, with weight decay, the penalty's gradient pass). Inputs x0, m0, v0, g0, x1, m1, … (float32, one shape per index); outputs
 * [x0', m0', v0', x1', …]. The kernel may compute x', m' or v' in the array of x, m or v when no other tensor holds it
 * (the output then takes that array over, and the caller assigns it to the variable, whose old value nothing else can
 * see): Adam's state is then updated in place, without a fresh array per step. Kept free of Node imports so the
 * browser build can name it.
 */
import * as tf from '@tensorflow/tfjs-core';

export const ADAM_UPDATE_KERNEL = 'GenlabAdamUpdate';

/** The scalars of one update, as TF.js's AdamOptimizer computes them (float32 rounding happens in the kernel). */
export interface AdamUpdateAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β1ᵗ and 1 − β2ᵗ, read from the optimizer's float32 accumulators. */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
  /**
   * L2 weight decay λ of each input variable, by index (absent or 0: none): its gradient is g + λ·x before the update,
   * what autodiff of (λ/2)·‖x‖² added to the loss would give, float for float (PyTorch's Adam `weight_decay`).
   */
  weightDecays?: number[];
}

/** Whether the active backend has the fused update. */
export function hasAdamUpdateKernel(): boolean {
  return tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend()) !== undefined;
}
