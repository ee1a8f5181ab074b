/**
 * Training-mode batch normalisation (Ioffe & Szegedy 2015, Algorithm 1) as one op where the backend has a kernel for it
 * (the native backend, engine/native/kernels/batch-norm.ts): the batch's per-channel mean and variance and the
 * normalised output in one kernel, and the gradient through the batch statistics in one more. TF.js composes the same
 * thing of moments (Mean, Sub, Square, Mean, reshapes) and batchNorm, and differentiates each piece: ≈8 kernels forward
 * and ≈20 backward, most of them full passes over the activations. On every other backend `batchNormTraining` runs
 * exactly that composite (tf.moments + tf.batchNorm, what tfjs-layers' BatchNormalization runs in training).
 *
 * The gradient (BATCH_NORM_TRAINING_GRADIENT, for every backend) is registered by the engine's fast paths
 * (../fast-paths/, when initEngine runs); until then the composite runs, so the op is never recorded without a
 * gradient. Inside an outer gradient (a gradient of a gradient, as the 0-GP penalty takes through a batch-normalised
 * discriminator) it is made of TF.js ops, so that it can be differentiated again; elsewhere the backend's one-pass
 * gradient kernel runs. Kept free of Node imports (the browser build uses nets).
 */
import * as tf from '@tensorflow/tfjs-core';

export const BATCH_NORM_TRAINING_KERNEL = 'GenlabBatchNormTraining';
export const BATCH_NORM_TRAINING_GRAD_KERNEL = 'GenlabBatchNormTrainingGrad';

export interface BatchNormTrainingAttrs {
  varianceEpsilon: number;
}

/** y = β + γ·(x − μ)/√(σ² + ε), with μ and σ² (biased) the batch's moments per channel (the last axis). */
export interface BatchNormTrainingResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

const onBackend = (kernel: string): boolean => tf.getKernel(kernel, tf.getBackend()) !== undefined;

/** The one-op form applies: the backend has the kernel and its gradient is installed. */
const oneOp = (): boolean => onBackend(BATCH_NORM_TRAINING_KERNEL) && tf.getGradient(BATCH_NORM_TRAINING_KERNEL) !== undefined;

/**
 * Batch normalisation of `x` over all axes but the last, with scale `gamma` and offset `beta` (each [C]), and the
 * batch's moments (for the moving averages). One kernel where the backend has it, else tf.moments + tf.batchNorm.
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, varianceEpsilon: number): BatchNormTrainingResult {
  const channels = x.shape[x.rank - 1];
  const fits = x.dtype === 'float32' && x.rank >= 2 && x.size > 0 && gamma.rank === 1 && beta.rank === 1 &&
    gamma.shape[0] === channels && beta.shape[0] === channels && gamma.dtype === 'float32' && beta.dtype === 'float32';
  if (fits && oneOp()) {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAINING_KERNEL, { x, gamma, beta }, { varianceEpsilon } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return { y: y!, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, Array.from({ length: x.rank - 1 }, (_, i) => i));
    return { y: tf.batchNorm(x, mean, variance, beta, gamma, varianceEpsilon), mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}

/** The gradient of BATCH_NORM_TRAINING_KERNEL, for every backend (registered by ../fast-paths/). */
export const BATCH_NORM_TRAINING_GRADIENT: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAINING_KERNEL,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dMean, dVariance] = dys as tf.Tensor[];
    const [x, gamma, mean, variance] = saved as tf.Tensor[];
    const { varianceEpsilon } = attrs as unknown as BatchNormTrainingAttrs;
    if (tf.engine().state.gradientDepth === 0 && onBackend(BATCH_NORM_TRAINING_GRAD_KERNEL)) {
      const [dx, dGamma, dBeta] = tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD_KERNEL,
        { dy: dy!, x: x!, mean: mean!, variance: variance!, gamma: gamma!, dMean: dMean!, dVariance: dVariance! },
        { varianceEpsilon } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return { x: () => dx!, gamma: () => dGamma!, beta: () => dBeta! };
    }
    // The kernel's formula (native/src/batch_norm.cc, BatchNormTrainingGrad) in TF.js ops: with r = 1/√(σ² + ε),
    // x̂ = (x − μ)·r and N rows, dβ = Σ dy, dγ = Σ dy·x̂, dx = γr·(dy − dβ/N − x̂·dγ/N) + gμ/N + gσ²·2(x − μ)/N.
    const axes = Array.from({ length: x!.rank - 1 }, (_, i) => i);
    const n = x!.size / x!.shape[x!.rank - 1]!;
    const centred = tf.sub(x!, mean!);
    const r = tf.rsqrt(tf.add(variance!, varianceEpsilon));
    const normalised = tf.mul(centred, r);
    const dBeta = tf.sum(dy!, axes);
    const dGamma = tf.sum(tf.mul(dy!, normalised), axes);
    const fromY = tf.mul(tf.mul(gamma!, r), tf.sub(tf.sub(dy!, tf.div(dBeta, n)), tf.mul(normalised, tf.div(dGamma, n))));
    const fromMoments = tf.add(tf.div(dMean!, n), tf.mul(centred, tf.mul(dVariance!, 2 / n)));
    return { x: () => tf.add(fromY, fromMoments), gamma: () => dGamma, beta: () => dBeta };
  },
};
