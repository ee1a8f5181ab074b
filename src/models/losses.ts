/**
 * Named loss terms of the autoencoder family, each with its formula and source. Conventions:
 *
 * - Examples come flattened: `x` and the decoder's parameters are [..., D] (D = values per example); every
 *   `…LogLikelihood` sums over that last axis and returns one value per example ([...]): nats per example.
 * - The `…Reconstruction` and `klDivergence…` terms average those per-example sums over the batch, as
 *   pytorch/examples `vae/main.py` does with `reduction='sum'` divided by the batch size: a loss of 100 means
 *   100 nats per example, whatever the batch size.
 *
 * Every function is plain tf ops (no data syncs), safe inside `tf.tidy` and differentiable. Three of them run as one
 * op where the backend has kernels for them (the native backend: engine/kernels/fused-losses.ts), with the same values
 * up to float rounding: the Bernoulli log-likelihood, the KL per example and the reparameterisation, the VAE's
 * element-wise work per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedBernoulliLogLikelihood, fusedKlStandardNormal, fusedReparameterize } from '../engine/kernels/fused-losses.js';

/** log(2π). */
export const LOG_2PI = Math.log(2 * Math.PI);

/** Sums over the last axis: [..., D] → [...]. */
const sumLast = (t: tf.Tensor): tf.Tensor => tf.sum(t, -1);

/**
 * Bernoulli log-likelihood from logits l, per example: log p(x|l) = Σ_d [x_d log σ(l_d) + (1 − x_d) log(1 − σ(l_d))]
 * = −Σ_d [max(l, 0) − l·x + log(1 + exp(−|l|))], the numerically stable binary cross-entropy from logits
 * (TensorFlow's `sigmoid_cross_entropy_with_logits`): no log(0) for saturated outputs. x in [0, 1] ([..., D]); for
 * grey (non-binary) pixels this is the usual cross-entropy loss rather than a normalised density.
 */
export function bernoulliLogLikelihood(x: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  return fusedBernoulliLogLikelihood(x, logits) ?? tf.tidy(() => {
    const bce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    return tf.neg(sumLast(bce));
  });
}

/** Reconstruction term of a Bernoulli decoder: −log p(x|z) summed over pixels, averaged over the batch (nats). */
export function bernoulliReconstruction(x: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(bernoulliLogLikelihood(x, logits))) as tf.Scalar);
}

/**
 * Diagonal Gaussian log-likelihood per example, constants included so nats compare across models:
 * log N(x; μ, σ²) = −½ Σ_d [log 2π + log σ²_d + (x_d − μ_d)² / σ²_d]. `logVar` is a tensor broadcastable to x (per
 * pixel, or a learned scalar) or a number (fixed variance).
 */
export function gaussianLogLikelihood(x: tf.Tensor, mean: tf.Tensor, logVar: tf.Tensor | number): tf.Tensor {
  return tf.tidy(() => {
    const lv = typeof logVar === 'number' ? tf.scalar(logVar) : logVar;
    const sq = tf.mul(tf.square(tf.sub(x, mean)), tf.exp(tf.neg(lv)));
    const perDim = tf.add(tf.add(sq, lv), LOG_2PI); // [..., D]: a scalar log-variance broadcasts, counted once per dim
    return tf.mul(sumLast(perDim), -0.5);
  });
}

/** Reconstruction term of a Gaussian decoder: −log N(x; μ, σ²) summed over pixels, averaged over the batch (nats). */
export function gaussianReconstruction(x: tf.Tensor, mean: tf.Tensor, logVar: tf.Tensor | number): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(gaussianLogLikelihood(x, mean, logVar))) as tf.Scalar);
}

/**
 * KL(N(μ, diag σ²) ‖ N(0, I)) per example, Kingma & Welling 2014 ("Auto-Encoding Variational Bayes"), appendix B:
 * −D_KL = ½ Σ_j (1 + log σ²_j − μ²_j − σ²_j), so KL = −½ Σ_j (1 + logVar_j − μ_j² − exp(logVar_j)).
 *
 * The lecture writes the same regulariser as Σ_j (exp(σ_j) − (1 + σ_j) + m_j²) with σ_j its name for the
 * log-variance: that is exactly 2·KL (see `lectureRegularizer`). Its minimum, at σ = 0 (variance 1) and m = 0, is
 * what stops the learned variance from collapsing to 0.
 *
 * mean, logVar: [..., latent] → [...].
 */
export function klPerExample(mean: tf.Tensor, logVar: tf.Tensor): tf.Tensor {
  return fusedKlStandardNormal(mean, logVar) ?? tf.tidy(() => tf.mul(sumLast(tf.sub(tf.sub(tf.add(logVar, 1), tf.square(mean)), tf.exp(logVar))), -0.5));
}

/** KL(q(z|x) ‖ N(0, I)) averaged over the batch (nats per example); see `klPerExample`. */
export function klDivergenceToStandardNormal(mean: tf.Tensor, logVar: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(klPerExample(mean, logVar)) as tf.Scalar);
}

/**
 * The lecture's regulariser, per example: Σ_j (exp(σ_j) − (1 + σ_j) + m_j²), σ the log-variance. Equal to
 * 2 · KL(N(m, exp σ) ‖ N(0, 1)); kept for the figure of its three curves and for the test that checks the identity.
 */
export function lectureRegularizer(m: tf.Tensor, sigma: tf.Tensor): tf.Tensor {
  return tf.tidy(() => sumLast(tf.add(tf.sub(tf.exp(sigma), tf.add(sigma, 1)), tf.square(m))));
}

/**
 * The reparameterisation trick (Kingma & Welling 2014, §2.4): z = μ + σ·ε with σ = exp(½ logVar) and ε ~ N(0, I)
 * drawn outside, so gradients flow to μ and logVar. (The lecture: c = exp(σ)·e + m, its σ being log σ.)
 */
export function reparameterize(mean: tf.Tensor, logVar: tf.Tensor, eps: tf.Tensor): tf.Tensor {
  return fusedReparameterize(mean, logVar, eps) ?? tf.tidy(() => tf.add(mean, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)));
}

/** log N(z; 0, I) per example: −½ Σ_j (z_j² + log 2π). [..., latent] → [...]. */
export function standardNormalLogDensity(z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(sumLast(tf.add(tf.square(z), LOG_2PI)), -0.5));
}

/**
 * log q(z|x) for z = μ + σ·ε drawn by `reparameterize`, per example, written in ε so it needs no division:
 * log N(z; μ, σ²) = −½ Σ_j (ε_j² + logVar_j + log 2π). Shapes broadcast: eps [k, n, L] with logVar [n, L].
 */
export function diagonalNormalLogDensityOfNoise(eps: tf.Tensor, logVar: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(sumLast(tf.add(tf.add(tf.square(eps), logVar), LOG_2PI)), -0.5));
}

/**
 * log N(z; μ, diag exp(logVar)) per example: −½ Σ_j ((z_j − μ_j)² e^(−logVar_j) + logVar_j + log 2π). [..., L] → [...].
 * The density of a code under a learned conditional prior, e.g. p(z₁|z₂) of a VAE with two stochastic layers.
 */
export function diagonalNormalLogDensity(z: tf.Tensor, mean: tf.Tensor, logVar: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const scaled = tf.mul(tf.square(tf.sub(z, mean)), tf.exp(tf.neg(logVar)));
    return tf.mul(sumLast(tf.add(tf.add(scaled, logVar), LOG_2PI)), -0.5);
  });
}

/**
 * log (1/k Σ_i exp(a_i)) over `axis`, stably (max subtracted): the importance-weighted bound of Burda et al. 2016
 * ("Importance Weighted Autoencoders"), eq. 8, L_k = E[log 1/k Σ_i w_i], from log-weights a_i = log w_i.
 */
export function logMeanExp(a: tf.Tensor, axis = 0): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.logSumExp(a, axis), Math.log(a.shape[axis < 0 ? a.shape.length + axis : axis]!)));
}

/**
 * L2 regularisation (the lecture's third term): (λ/2) Σ‖W‖² over `weights` (the kernels; biases are not decayed by
 * convention), each ‖W‖² one dot product. Its gradient λW is the classic weight decay, which training adds in the
 * optimiser's update (LossGroup.decay; train/step.ts, train/optimizers.ts) rather than through this value. Returns 0
 * when λ = 0 or there are no weights.
 */
export function l2WeightDecay(weights: readonly tf.Tensor[], lambda: number): tf.Scalar {
  return tf.tidy(() => {
    if (lambda === 0 || weights.length === 0) return tf.scalar(0);
    const squaredNorm = (w: tf.Tensor): tf.Tensor => {
      const flat = tf.reshape(w, [1, w.size]);
      return tf.reshape(tf.matMul(flat, flat, false, true), []);
    };
    return tf.mul(tf.addN(weights.map(squaredNorm)), lambda / 2) as tf.Scalar;
  });
}

/** Mean of exp(logVar) over the batch and latent dimensions: the encoder's average variance (collapses with β = 0). */
export function meanVariance(logVar: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.exp(logVar)) as tf.Scalar);
}

/** β of a linear KL warm-up (Sønderby et al. 2016, "Ladder VAEs"): β·min(1, step / warmupSteps); β when no warm-up. */
export function klWeight(beta: number, warmupSteps: number, step: number): number {
  if (!(warmupSteps > 0)) return beta;
  return beta * Math.min(1, Math.max(0, step) / warmupSteps);
}
