/**
 * The VAE's loss terms as single ops where the backend has kernels for them (the native backend:
 * engine/native/kernels/fused-losses.ts): the Bernoulli log-likelihood from logits, the Gaussian KL to N(0, I) and the
 * reparameterisation, each one kernel forward and one backward instead of 4–11 element-wise kernels forward and about
 * as many backward (each a pass over memory, a tape node and its saved clones). models/losses.ts calls these first and
 * runs its composite TF.js form (the formulas and their sources are there) where they answer null: other backends,
 * other dtypes, shapes outside the kernels (the kernels take an input of fewer elements only when it repeats over the
 * leading dims), empty tensors.
 *
 * The gradients (FUSED_LOSS_GRADIENTS, for every backend) are registered by the engine's fast paths (../fast-paths/,
 * when initEngine runs); until then the composite forms run, so no op is recorded without a gradient. Inside an outer
 * gradient (a gradient of a gradient) they are TF.js ops, so that they can be differentiated again; elsewhere the
 * backend's one-pass gradient kernel runs. Kept free of Node imports so the browser build can import losses.ts.
 */
import * as tf from '@tensorflow/tfjs-core';

export const BERNOULLI_LOG_LIKELIHOOD_KERNEL = 'GenlabBernoulliLogLikelihood';
export const BERNOULLI_LOG_LIKELIHOOD_GRAD_KERNEL = 'GenlabBernoulliLogLikelihoodGrad';
export const KL_STANDARD_NORMAL_KERNEL = 'GenlabKlStandardNormal';
export const KL_STANDARD_NORMAL_GRAD_KERNEL = 'GenlabKlStandardNormalGrad';
export const REPARAMETERIZE_KERNEL = 'GenlabReparameterize';
export const REPARAMETERIZE_GRAD_KERNEL = 'GenlabReparameterizeGrad';

const onBackend = (kernel: string): boolean => tf.getKernel(kernel, tf.getBackend()) !== undefined;

/** The one-op form of `kernel` applies: the backend has it and its gradient is installed. */
const oneOp = (kernel: string): boolean => onBackend(kernel) && tf.getGradient(kernel) !== undefined;

/** The one-pass gradient kernel applies: the backend has it, and no outer gradient records this one (it has no gradient). */
const oneKernelBackward = (kernel: string): boolean => tf.engine().state.gradientDepth === 0 && onBackend(kernel);

/** Inputs the kernels take: float32, not empty, rank ≥ 1. */
const plain = (...ts: tf.Tensor[]): boolean => ts.every((t) => t.dtype === 'float32' && t.size > 0 && t.rank >= 1);

/** Whether `inner` repeats over the leading dims of `outer` (inner's shape is a suffix of outer's, at most its rank). */
function repeatsOver(inner: readonly number[], outer: readonly number[]): boolean {
  const off = outer.length - inner.length;
  return off >= 0 && inner.every((d, i) => d === outer[off + i]);
}

/** `t` summed over its leading dims down to `shape`, a suffix of t's shape: the gradient of an input that repeats. */
function sumLeading(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const lead = t.rank - shape.length;
  return lead === 0 ? t : tf.sum(t, Array.from({ length: lead }, (_, i) => i));
}

const run = (kernel: string, inputs: Record<string, tf.Tensor>): tf.Tensor | tf.Tensor[] =>
  tf.engine().runKernel(kernel, inputs as tf.NamedTensorMap, {});

/**
 * log p(x|logits) of Bernoulli pixels per example, [..., D] → [...] (losses.ts's `bernoulliLogLikelihood`), or null.
 * Gradients: ∂/∂logits = (x − σ(logits))·dy, ∂/∂x = logits·dy.
 */
export function fusedBernoulliLogLikelihood(x: tf.Tensor, logits: tf.Tensor): tf.Tensor | null {
  if (!oneOp(BERNOULLI_LOG_LIKELIHOOD_KERNEL) || !plain(x, logits) || !repeatsOver(x.shape, logits.shape)) return null;
  return run(BERNOULLI_LOG_LIKELIHOOD_KERNEL, { x, logits }) as tf.Tensor;
}

/** KL(N(mean, diag exp(logVar)) ‖ N(0, I)) per example, [..., L] → [...] (losses.ts's `klPerExample`), or null. */
export function fusedKlStandardNormal(mean: tf.Tensor, logVar: tf.Tensor): tf.Tensor | null {
  if (!oneOp(KL_STANDARD_NORMAL_KERNEL) || !plain(mean, logVar) || !tf.util.arraysEqual(mean.shape, logVar.shape)) return null;
  return run(KL_STANDARD_NORMAL_KERNEL, { mean, logVar }) as tf.Tensor;
}

/** z = mean + exp(½ logVar)·eps, eps's shape (losses.ts's `reparameterize`), or null. */
export function fusedReparameterize(mean: tf.Tensor, logVar: tf.Tensor, eps: tf.Tensor): tf.Tensor | null {
  if (!oneOp(REPARAMETERIZE_KERNEL) || !plain(mean, logVar, eps) || !tf.util.arraysEqual(mean.shape, logVar.shape) ||
    !repeatsOver(mean.shape, eps.shape)) return null;
  return run(REPARAMETERIZE_KERNEL, { mean, logVar, eps }) as tf.Tensor;
}

const bernoulliLogLikelihoodGradient: tf.GradConfig = {
  kernelName: BERNOULLI_LOG_LIKELIHOOD_KERNEL,
  inputsToSave: ['x', 'logits'],
  gradFunc: (dy, saved) => {
    const [x, logits] = saved as [tf.Tensor, tf.Tensor];
    const g = dy as tf.Tensor;
    const column = (): tf.Tensor => tf.expandDims(g, -1);
    return {
      logits: () => (oneKernelBackward(BERNOULLI_LOG_LIKELIHOOD_GRAD_KERNEL)
        ? (run(BERNOULLI_LOG_LIKELIHOOD_GRAD_KERNEL, { dy: g, x, logits }) as tf.Tensor)
        : tf.mul(tf.sub(x, tf.sigmoid(logits)), column())),
      x: () => sumLeading(tf.mul(logits, column()), x.shape),
    };
  },
};

const klStandardNormalGradient: tf.GradConfig = {
  kernelName: KL_STANDARD_NORMAL_KERNEL,
  inputsToSave: ['mean', 'logVar'],
  gradFunc: (dy, saved) => {
    const [mean, logVar] = saved as [tf.Tensor, tf.Tensor];
    const g = dy as tf.Tensor;
    if (oneKernelBackward(KL_STANDARD_NORMAL_GRAD_KERNEL)) {
      const [dMean, dLogVar] = run(KL_STANDARD_NORMAL_GRAD_KERNEL, { dy: g, mean, logVar }) as tf.Tensor[];
      return { mean: () => dMean!, logVar: () => dLogVar! };
    }
    // ∂KL/∂mean = mean, ∂KL/∂logVar = ½(exp(logVar) − 1).
    const column = (): tf.Tensor => tf.expandDims(g, -1);
    return { mean: () => tf.mul(mean, column()), logVar: () => tf.mul(tf.mul(column(), 0.5), tf.sub(tf.exp(logVar), 1)) };
  },
};

const reparameterizeGradient: tf.GradConfig = {
  kernelName: REPARAMETERIZE_KERNEL,
  inputsToSave: ['logVar', 'eps'],
  gradFunc: (dy, saved) => {
    const [logVar, eps] = saved as [tf.Tensor, tf.Tensor];
    const dz = dy as tf.Tensor;
    const sigma = (): tf.Tensor => tf.exp(tf.mul(logVar, 0.5));
    const dEps = (): tf.Tensor => tf.mul(dz, sigma());
    if (oneKernelBackward(REPARAMETERIZE_GRAD_KERNEL)) {
      const [dMean, dLogVar] = run(REPARAMETERIZE_GRAD_KERNEL, { dz, logVar, eps }) as tf.Tensor[];
      return { mean: () => dMean!, logVar: () => dLogVar!, eps: dEps };
    }
    // ∂z/∂mean = 1, ∂z/∂logVar = ½·exp(½ logVar)·eps, summed over the dims that mean and logVar repeat over.
    return {
      mean: () => sumLeading(dz, logVar.shape),
      logVar: () => tf.mul(tf.mul(sumLeading(tf.mul(dz, eps), logVar.shape), sigma()), 0.5),
      eps: dEps,
    };
  },
};

/** The gradients of the three ops, for every backend (registered by ../fast-paths/). */
export const FUSED_LOSS_GRADIENTS: readonly tf.GradConfig[] = [bernoulliLogLikelihoodGradient, klStandardNormalGradient, reparameterizeGradient];
