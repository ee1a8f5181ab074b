/**
 * Named loss terms of the GAN family, each with its formula and source. Conventions:
 *
 * - The discriminator outputs a logit l (D(x) = σ(l), the probability that x is real) for the minimax and
 *   non-saturating losses, a raw score for least squares, and a critic value for WGAN-GP.
 * - Every term is averaged over the batch and returned as a scalar; everything is plain tf ops (no data syncs), safe
 *   inside `tf.tidy` and differentiable — twice where the gradient penalty needs it.
 * - log σ(l) = −softplus(−l) and log(1 − σ(l)) = −softplus(l): no log(0) for saturated discriminators.
 */
import * as tf from '@tensorflow/tfjs-core';
import { badInput } from '../engine/errors.js';
import { checkNumber } from './validate.js';

/**
 * Binary cross-entropy against a constant target t, from logits, batch mean:
 * −[t log σ(l) + (1 − t) log(1 − σ(l))] = t·softplus(−l) + (1 − t)·softplus(l).
 */
export function bceWithLogits(logits: tf.Tensor, target: number): tf.Scalar {
  return tf.tidy(() => {
    const pos = tf.softplus(tf.neg(logits)); // −log σ(l)
    if (target === 1) return tf.mean(pos) as tf.Scalar;
    const neg = tf.softplus(logits); // −log(1 − σ(l))
    if (target === 0) return tf.mean(neg) as tf.Scalar;
    return tf.mean(tf.add(tf.mul(pos, target), tf.mul(neg, 1 - target))) as tf.Scalar;
  });
}

/**
 * The discriminator's side of the original GAN game (Goodfellow et al. 2014, "Generative Adversarial Nets", eq. 1 and
 * Algorithm 1): D maximises E_x[log D(x)] + E_z[log(1 − D(G(z)))], i.e. minimises the cross-entropy of real (label 1)
 * and generated (label 0) examples. `realTarget` < 1 is one-sided label smoothing (Salimans et al. 2016, "Improved
 * Techniques for Training GANs", §3.4): real examples get the target α (e.g. 0.9), generated ones keep 0.
 * Shared by the minimax and non-saturating losses, which differ only on the generator's side.
 */
export function discriminatorMinimaxLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor, realTarget = 1): tf.Scalar {
  return tf.tidy(() => tf.add(bceWithLogits(realLogits, realTarget), bceWithLogits(fakeLogits, 0)) as tf.Scalar);
}

/**
 * The generator's side of the original minimax game (Goodfellow et al. 2014, eq. 1): G minimises
 * E_z[log(1 − D(G(z)))] = −E[softplus(l)]. It saturates: when D confidently rejects the samples (l ≪ 0) its gradient
 * σ(l) vanishes, which is why §3 of the paper proposes the non-saturating loss below.
 */
export function generatorMinimaxLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.softplus(fakeLogits))) as tf.Scalar);
}

/**
 * The non-saturating generator loss (Goodfellow et al. 2014, §3): G maximises log D(G(z)) instead, i.e. minimises
 * −E_z[log D(G(z))] = E[softplus(−l)]; same fixed point, strong gradients early in training.
 */
export function generatorNonSaturatingLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return bceWithLogits(fakeLogits, 1);
}

/**
 * Least-squares discriminator loss (Mao et al. 2017, "Least Squares Generative Adversarial Networks", eq. 2 with the
 * 0-1 coding a = 0, b = 1): ½ E_x[(D(x) − b)²] + ½ E_z[(D(G(z)) − a)²], D's output a raw score. `realTarget` (b) < 1
 * is one-sided label smoothing.
 */
export function discriminatorLeastSquaresLoss(realScores: tf.Tensor, fakeScores: tf.Tensor, realTarget = 1): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.add(tf.mean(tf.square(tf.sub(realScores, realTarget))), tf.mean(tf.square(fakeScores))), 0.5) as tf.Scalar);
}

/** Least-squares generator loss (Mao et al. 2017, eq. 2, c = 1): ½ E_z[(D(G(z)) − 1)²]. */
export function generatorLeastSquaresLoss(fakeScores: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.mean(tf.square(tf.sub(fakeScores, 1))), 0.5) as tf.Scalar);
}

/**
 * The critic's Wasserstein loss (Arjovsky et al. 2017, "Wasserstein GAN"; Gulrajani et al. 2017, "Improved Training of
 * Wasserstein GANs", Algorithm 1): E_z[C(G(z))] − E_x[C(x)], the negative of the critic's estimate of W(P_r, P_g).
 * Without a Lipschitz constraint it is unbounded below; `gradientPenalty` supplies the constraint.
 */
export function criticWassersteinLoss(realScores: tf.Tensor, fakeScores: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sub(tf.mean(fakeScores), tf.mean(realScores)) as tf.Scalar);
}

/**
 * The hinge loss of the discriminator (Lim & Ye 2017, "Geometric GAN"; Miyato et al. 2018, "Spectral Normalization for
 * GANs", eq. 16; used by SAGAN and BigGAN): E_x[max(0, 1 − D(x))] + E_z[max(0, 1 + D(G(z)))], D's output a raw score.
 * Real examples scoring above 1 and generated ones below −1 no longer pull on D: it stops pushing where it already
 * separates, which keeps its scores bounded. The generator's side is the Wasserstein one, −E_z[D(G(z))].
 */
export function discriminatorHingeLoss(realScores: tf.Tensor, fakeScores: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.add(tf.mean(tf.relu(tf.sub(1, realScores))), tf.mean(tf.relu(tf.add(1, fakeScores)))) as tf.Scalar);
}

/**
 * The R1 penalty (Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?", eq. 9):
 * γ/2 · E_x‖∇_x D(x)‖² on real examples only — D is kept flat on the data, which makes training converge locally
 * where unregularised GANs oscillate (their §4; StyleGAN's default regulariser).
 */
export function r1Penalty(critic: (x: tf.Tensor) => tf.Tensor, real: tf.Tensor, gamma: number): tf.Scalar {
  return tf.tidy(() => gradientPenalty(critic, real, real, tf.ones([real.shape[0]!]), gamma / 2, 0));
}

/** The generator's Wasserstein loss (Gulrajani et al. 2017, Algorithm 1): −E_z[C(G(z))]. */
export function generatorWassersteinLoss(fakeScores: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(fakeScores)) as tf.Scalar);
}

/** Gradient penalty weight λ of Gulrajani et al. 2017 (§4, "we use λ = 10 in all experiments"). */
export const GRADIENT_PENALTY_WEIGHT = 10;

/**
 * The gradient penalty of WGAN-GP (Gulrajani et al. 2017, eq. 3): λ E_x̂[(‖∇_x̂ C(x̂)‖₂ − 1)²] on random interpolates
 * x̂ = ε x + (1 − ε) G(z), ε ~ U[0, 1] per example (`eps`, shape [n] — drawn by the caller from the training stream).
 * `critic` maps a batch [n, ...] to scores [n] or [n, 1]; the gradient is taken with `tf.grad` inside the loss, and the
 * loss is differentiated again with respect to the critic's weights (a second-order gradient; see
 * `registerComparisonGradients`). A tiny constant under the square root keeps the gradient finite at ∇ = 0.
 * With `centre` 0 it is the zero-centred penalty λ E_x̂[‖∇_x̂ D(x̂)‖²₂] (0-GP, Thanh-Tung et al. 2019, "Improving
 * generalization and stability of GANs"): it smooths D along the lines between real and generated examples, so D's
 * gradient reaches generated examples far from the modes they miss.
 */
export function gradientPenalty(critic: (x: tf.Tensor) => tf.Tensor, real: tf.Tensor, fake: tf.Tensor, eps: tf.Tensor, lambda = GRADIENT_PENALTY_WEIGHT, centre: 0 | 1 = 1): tf.Scalar {
  registerComparisonGradients();
  return tf.tidy(() => {
    const n = real.shape[0]!;
    const e = tf.reshape(eps, [n, ...real.shape.slice(1).map(() => 1)]); // [n, 1, …] broadcasts over the example
    const mixed = tf.add(tf.mul(e, real), tf.mul(tf.sub(1, e), fake)); // x̂: [n, ...]
    const grad = tf.grad((x: tf.Tensor) => tf.sum(critic(x)))(mixed); // ∇_x̂ C(x̂): [n, ...]
    const axes = grad.shape.slice(1).map((_, i) => i + 1);
    const squaredNorm = tf.sum(tf.square(grad), axes); // [n]
    if (centre === 0) return tf.mul(tf.mean(squaredNorm), lambda) as tf.Scalar;
    const norm = tf.sqrt(tf.add(squaredNorm, 1e-12));
    return tf.mul(tf.mean(tf.square(tf.sub(norm, 1))), lambda) as tf.Scalar;
  });
}

/**
 * Feature matching (Salimans et al. 2016, §3.1): the generator matches the mean of an intermediate layer f of the
 * discriminator on real and generated data, ‖E_x f(x) − E_z f(G(z))‖²₂, instead of maximising D's output.
 * realFeatures, fakeFeatures: [n, F] (the batch sizes may differ).
 */
export function featureMatchingLoss(realFeatures: tf.Tensor, fakeFeatures: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.square(tf.sub(tf.mean(realFeatures, 0), tf.mean(fakeFeatures, 0)))) as tf.Scalar);
}

/**
 * Minibatch discrimination (Salimans et al. 2016, §3.2): from the projections M = f(x)·T, [n, B·C] seen as [n, B, C],
 * c_b(x_i, x_j) = exp(−‖M_{i,b} − M_{j,b}‖₁) and o(x_i)_b = Σ_{j ≠ i} c_b(x_i, x_j): [n, B]. Large when the batch's
 * examples look alike — what lets D spot a collapsed generator. (The paper's sum includes j = i, a constant 1; we
 * leave it out, as its reference code does.)
 */
export function minibatchFeatures(projection: tf.Tensor, kernels: number): tf.Tensor2D {
  return tf.tidy(() => {
    const n = projection.shape[0]!;
    const m = tf.reshape(projection, [n, kernels, -1]); // [n, B, C]
    const diff = tf.sub(tf.expandDims(m, 1), tf.expandDims(m, 0)); // [n, n, B, C]
    const c = tf.exp(tf.neg(tf.sum(tf.abs(diff), 3))); // [n, n, B]
    return tf.sub(tf.sum(c, 1), 1) as tf.Tensor2D; // [n, B]: the diagonal term is exp(0) = 1
  });
}

/** Largest group of the minibatch standard deviation: a batch's size is its natural limit; this bounds typos. */
const MAX_STDDEV_GROUP = 1024;

/** Checks a config's minibatch standard deviation group size (0 = off) under the option name `name`. */
export function checkStddevGroup(name: string, group: number): void {
  checkNumber(name, group, 0, true, MAX_STDDEV_GROUP);
  if (group === 1) throw badInput(name, 'a group of 1 example has no spread: use 2 or more (Karras et al. take 4), or 0 for off');
}

/** ε under the square root of the minibatch standard deviation, as in Karras et al.'s code (10⁻⁸). */
const STDDEV_EPSILON = 1e-8;

/**
 * Minibatch standard deviation (Karras et al. 2018, "Progressive Growing of GANs for Improved Quality, Stability, and
 * Variation", §3): the batch's features [n, F] in groups of g consecutive examples; per group, each feature's standard
 * deviation over the group, averaged over the features — one number per group, given to each of its examples: [n, 1].
 * A generator with less variety than the data shows it in every group, and its gradient through it asks for more.
 * g is the largest divisor of n up to `group` (the paper's code needs n divisible by the group size), so that any batch
 * can be judged; a group of 1 has no spread and gives √ε.
 */
export function minibatchStddev(features: tf.Tensor, group: number): tf.Tensor2D {
  return tf.tidy(() => {
    const n = features.shape[0]!;
    let g = Math.max(1, Math.min(group, n));
    while (n % g !== 0) g--;
    const grouped = tf.reshape(features, [n / g, g, -1]);
    const centred = tf.sub(grouped, tf.mean(grouped, 1, true));
    const sd = tf.sqrt(tf.add(tf.mean(tf.square(centred), 1), STDDEV_EPSILON)); // [n/g, F]
    const perGroup = tf.mean(sd, 1, true); // [n/g, 1]
    return tf.reshape(tf.tile(tf.expandDims(perGroup, 1), [1, g, 1]), [n, 1]) as tf.Tensor2D;
  });
}

/** ε of the mode-seeking term's 1 / (ratio + ε), as in Mao et al.'s code (10⁻⁵). */
const MODE_SEEKING_EPSILON = 1e-5;

/**
 * The mode-seeking term (Mao et al. 2019, "Mode Seeking Generative Adversarial Networks for Diverse Image Synthesis",
 * eq. 3 and their code): G maximises the distance between two of its images relative to the distance between their
 * codes, d_I(G(c, z₁), G(c, z₂)) / d_z(z₁, z₂) (mean absolute differences), over pairs of the same condition c; as a
 * loss, 1 / (ratio + ε). Codes that G maps to nearly one image — a collapsed mode — make it large. The pairs here are
 * every two examples of the batch with the same label (`labels` one-hot [n, C]; every two without labels), so no
 * extra pass of G is needed. images [n, ...], codes [n, d]; 0 when the batch holds no pair. `imageDistances` may
 * replace the images' mean absolute distance (codes keep theirs).
 */
export function modeSeekingLoss(images: tf.Tensor, codes: tf.Tensor, labels?: tf.Tensor, imageDistances: (x: tf.Tensor2D) => tf.Tensor2D = meanAbsoluteDistances): tf.Scalar {
  return tf.tidy(() => {
    const n = images.shape[0]!;
    const same = labels ? tf.matMul(labels, labels, false, true) : tf.ones([n, n]);
    const pairs = tf.sub(same, tf.eye(n)); // 1 for i ≠ j of one condition
    const imageDistance = tf.sum(tf.mul(pairs, imageDistances(tf.reshape(images, [n, -1]))));
    const codeDistance = tf.sum(tf.mul(pairs, meanAbsoluteDistances(codes)));
    const ratio = tf.div(imageDistance, tf.add(codeDistance, 1e-12)); // finite (0) without pairs, masked below
    const loss = tf.div(1, tf.add(ratio, MODE_SEEKING_EPSILON));
    return tf.where(tf.greater(tf.sum(pairs), 0), loss, tf.zerosLike(loss)) as tf.Scalar;
  });
}

/** Where the mode-seeking term compares two generated images: in pixels (the paper's), or in D's features of them. */
export const MODE_SEEKING_DISTANCES = ['pixels', 'discriminator'] as const;
export type ModeSeekingDistance = (typeof MODE_SEEKING_DISTANCES)[number];

/**
 * The mode-seeking term with its image distance chosen by name: the images' mean absolute distance ('pixels'), or
 * the root mean square distance of D's features of them ('discriminator': noise D sees through is no variety).
 */
export function modeSeekingLossIn(distance: ModeSeekingDistance, images: tf.Tensor, features: tf.Tensor2D, codes: tf.Tensor, labels?: tf.Tensor): tf.Scalar {
  return distance === 'pixels' ? modeSeekingLoss(images, codes, labels) : modeSeekingLoss(features, codes, labels, rootMeanSquareDistances);
}

/** mean_k |x_ik − x_jk| for every two rows of x [n, d]: [n, n] (an [n, n, d] difference on the way). */
export function meanAbsoluteDistances(x: tf.Tensor): tf.Tensor2D {
  return tf.mean(tf.abs(tf.sub(tf.expandDims(x, 1), tf.expandDims(x, 0))), 2) as tf.Tensor2D;
}

/**
 * √(mean_k (x_ik − x_jk)²) for every two rows of x [n, d]: [n, n], from the Gram matrix (‖x_i‖² + ‖x_j‖² − 2 x_i·x_j)
 * with no [n, n, d] difference — for wide rows such as D's features. A tiny constant under the root keeps the
 * gradient finite on the diagonal.
 */
export function rootMeanSquareDistances(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const squares = tf.sum(tf.square(x), 1, true); // [n, 1]
    const sq = tf.sub(tf.add(squares, tf.transpose(squares)), tf.mul(tf.matMul(x, x, false, true), 2));
    return tf.sqrt(tf.add(tf.div(tf.relu(sq), x.shape[1]!), 1e-12)) as tf.Tensor2D;
  });
}

/**
 * Historical averaging (Salimans et al. 2016, §3.3): λ Σ_θ ‖θ − (1/t) Σ_{i=1..t} θ[i]‖², each player's parameters
 * pulled towards their own running mean over past steps. `averages` are held outside the gradient (constants here).
 */
export function historicalAveragePenalty(params: readonly tf.Tensor[], averages: readonly tf.Tensor[], lambda: number): tf.Scalar {
  return tf.tidy(() => {
    if (lambda === 0 || params.length === 0) return tf.scalar(0);
    const sums = params.map((p, i) => tf.sum(tf.square(tf.sub(p, averages[i]!))));
    return tf.mul(tf.addN(sums), lambda) as tf.Scalar;
  });
}

/**
 * The VAE-GAN's reconstruction error in the discriminator's feature space (Larsen et al. 2016, "Autoencoding beyond
 * pixels using a learned similarity metric", eq. 6–7): p(Dis_l(x) | z) = N(Dis_l(x) | Dis_l(x̃), I), so
 * L_llike = −log p = ½ Σ_f (Dis_l(x) − Dis_l(x̃))² + const, summed over features and averaged over the batch.
 */
export function featureReconstructionLoss(realFeatures: tf.Tensor, reconFeatures: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.mean(tf.sum(tf.square(tf.sub(realFeatures, reconFeatures)), -1)), 0.5) as tf.Scalar);
}

/**
 * The self-supervised discriminator's reconstruction error (Liu et al. 2021, "Towards Faster and Stabilized GAN Training
 * for High-fidelity Few-shot Image Synthesis" (FastGAN), §3.2, eq. 3: L_recons = E_{f ~ D(x), x real} ‖𝒢(f) − 𝒯(x)‖):
 * a small decoder 𝒢 redraws each real image from D's features f of it, so D must keep features that describe the
 * whole image rather than the few cues that tell a small training set from G's images. The paper compares with
 * LPIPS, a pretrained perceptual distance genlab does not have; here the mean absolute pixel error, in the networks'
 * range, averaged over pixels and the batch.
 */
export function discriminatorReconstructionLoss(decoded: tf.Tensor, real: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(decoded, real))) as tf.Scalar);
}

let comparisonGradientsRegistered = false;

/**
 * Registers zero gradients for the comparison kernels TF.js 4 leaves without one (Greater, Less, LessEqual, Equal,
 * NotEqual). They are piecewise constant, so zero is their exact gradient almost everywhere; TF.js needs it as soon as
 * a gradient is differentiated again, because the gradients of LeakyReLU and PReLU (`where(x > 0, dy, α·dy)`) contain
 * a comparison. Idempotent; a gradient TF.js already has is left alone.
 */
export function registerComparisonGradients(): void {
  if (comparisonGradientsRegistered) return;
  comparisonGradientsRegistered = true;
  for (const kernelName of ['Greater', 'Less', 'LessEqual', 'Equal', 'NotEqual']) {
    if (tf.getGradient(kernelName) !== undefined) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [a, b] = saved as [tf.Tensor, tf.Tensor];
        return { a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) };
      },
    });
  }
}

/**
 * The mean entropy of a palette generator's per-pixel colour weights w [n, h, w, K] (softmax outputs, nets/dcgan.ts
 * `paletteImage`): E_pixels[−Σ_k w_k log w_k], in nats; 0 when every pixel takes one colour, log K when it mixes all
 * equally. Added to G's loss it pushes each pixel to one colour of its palette — entropy minimisation (Grandvalet &
 * Bengio 2005, "Semi-supervised Learning by Entropy Minimization") on the colour choice — as indexed-colour sprites
 * are painted, where a soft mix can make any colour between the palette's.
 */
export function paletteEntropy(weights: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(weights, tf.log(tf.maximum(weights, 1e-12))), -1))) as tf.Scalar);
}
