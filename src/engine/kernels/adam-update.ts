/**
 * The fused Adam update: a kernel only the native backend implements (engine/native/kernels/adam.ts);
 * train/optimizers.ts runs it there instead of TF.js's ~20 element-wise kernels per variable. Inputs x, m, v, g
 * (float32, one shape); outputs [x', m', v']. Kept free of Node imports so the browser build can name it.
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
}

/** Whether the active backend has the fused update. */
export function hasAdamUpdateKernel(): boolean {
  return tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend()) !== undefined;
}
