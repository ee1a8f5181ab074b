/**
 * The loss terms of the super-resolution GAN (Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using
 * a Generative Adversarial Network", §2.2) and the two image-fidelity measures it is judged by, PSNR and SSIM, as
 * tensor functions (the model's `evaluate` reports them; eval/upscale-metrics.ts averages them over datasets). The
 * adversarial terms are the GAN's own (gan-losses.ts: D's cross-entropy, G's non-saturating −log D(G(x_LR)), eq. 6).
 */
import * as tf from '@tensorflow/tfjs-core';

/** λ of the adversarial term in G's perceptual loss (Ledig et al. 2017, eq. 3: l_SR = l_content + 10⁻³ l_adv). */
export const SRGAN_ADVERSARIAL_WEIGHT = 1e-3;

/** Per-image PSNR is capped here when averaged: an exact match (MSE 0, PSNR ∞) would make a mean infinite. */
export const PSNR_CAP_DB = 100;

/**
 * The pixel-wise content loss (Ledig et al. 2017, eq. 4): l_MSE = 1/(r²WH) Σ_x,y (I_HR − G(I_LR))², the mean squared
 * error over pixels and channels, averaged over the batch.
 */
export function pixelContentLoss(highRes: tf.Tensor, upscaled: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(highRes, upscaled)) as tf.Scalar);
}

/**
 * The feature content loss (Ledig et al. 2017, eq. 5): l_VGG = 1/(WH) Σ (φ(I_HR) − φ(G(I_LR)))², the mean squared
 * distance between feature maps φ; here φ is the discriminator's last hidden layer, a learned feature space as in
 * Larsen et al. 2016, because no pretrained VGG ships with genlab.
 */
export function featureContentLoss(highResFeatures: tf.Tensor, upscaledFeatures: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(highResFeatures, upscaledFeatures)) as tf.Scalar);
}

/** G's perceptual loss (Ledig et al. 2017, eq. 3): l_SR = l_content + λ·l_adv. */
export function perceptualLoss(content: tf.Scalar, adversarial: tf.Scalar, adversarialWeight: number): tf.Scalar {
  return tf.tidy(() => tf.add(content, tf.mul(adversarial, adversarialWeight)) as tf.Scalar);
}

/** Mean squared error of each image of two batches [n, ...]: [n]. */
export function meanSquaredErrorPerImage(a: tf.Tensor, b: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.mean(tf.reshape(tf.squaredDifference(a, b), [a.shape[0]!, -1]), 1) as tf.Tensor1D);
}

/**
 * Peak signal-to-noise ratio of each image of `upscaled` against `original` ([n, h, w, c], values in [0, `peak`]):
 * PSNR = 10·log10(peak² / MSE) dB, [n]; +∞ for an exact copy.
 */
export function psnrPerImage(original: tf.Tensor, upscaled: tf.Tensor, peak = 1): tf.Tensor1D {
  return tf.tidy(() => tf.mul(tf.log(tf.div(peak * peak, meanSquaredErrorPerImage(original, upscaled))), 10 / Math.LN10) as tf.Tensor1D);
}

/** SSIM's constants (Wang et al. 2004, §III.B): an 11×11 Gaussian window of σ 1.5, K1 = 0.01, K2 = 0.03. */
export const SSIM_WINDOW = 11;
export const SSIM_SIGMA = 1.5;
export const SSIM_K1 = 0.01;
export const SSIM_K2 = 0.03;

/** The normalised size×size Gaussian window of σ, as a depthwise filter [size, size, channels, 1]. */
function gaussianWindow(size: number, sigma: number, channels: number): tf.Tensor4D {
  const g = Array.from({ length: size }, (_, i) => Math.exp(-((i - (size - 1) / 2) ** 2) / (2 * sigma * sigma)));
  const total = g.reduce((s, v) => s + v, 0);
  const values = new Float32Array(size * size * channels);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < channels; c++) values[(y * size + x) * channels + c] = (g[y]! * g[x]!) / (total * total);
  return tf.tensor4d(values, [size, size, channels, 1]);
}

/**
 * Structural similarity of each image of `b` with `a` ([n, h, w, c], values in [0, `peak`]), Wang et al. 2004, "Image
 * Quality Assessment: From Error Visibility to Structural Similarity", eq. 13 with the local statistics of §III.B:
 *
 *   SSIM(x, y) = (2μ_xμ_y + C1)(2σ_xy + C2) / ((μ_x² + μ_y² + C1)(σ_x² + σ_y² + C2)),  C1 = (K1·L)², C2 = (K2·L)²
 *
 * μ, σ², σ_xy weighted by the Gaussian window at every position where it fits inside the image (as the authors'
 * ssim.m does, 'valid'), per channel; the mean over positions and channels: [n], 1 for identical images. Images
 * smaller than the window use a window of their size.
 */
export function ssimPerImage(a: tf.Tensor4D, b: tf.Tensor4D, peak = 1): tf.Tensor1D {
  const [n, h, w, c] = a.shape;
  const size = Math.min(SSIM_WINDOW, h, w);
  const c1 = (SSIM_K1 * peak) ** 2;
  const c2 = (SSIM_K2 * peak) ** 2;
  return tf.tidy(() => {
    const window = gaussianWindow(size, SSIM_SIGMA, c);
    const local = (x: tf.Tensor4D): tf.Tensor4D => tf.depthwiseConv2d(x, window, 1, 'valid');
    const muA = local(a);
    const muB = local(b);
    const muAB = tf.mul(muA, muB);
    const muA2 = tf.square(muA);
    const muB2 = tf.square(muB);
    const varA = tf.sub(local(tf.square(a)), muA2);
    const varB = tf.sub(local(tf.square(b)), muB2);
    const cov = tf.sub(local(tf.mul(a, b)), muAB);
    const numerator = tf.mul(tf.add(tf.mul(muAB, 2), c1), tf.add(tf.mul(cov, 2), c2));
    const denominator = tf.mul(tf.add(tf.add(muA2, muB2), c1), tf.add(tf.add(varA, varB), c2));
    return tf.mean(tf.reshape(tf.div(numerator, denominator), [n, -1]), 1) as tf.Tensor1D;
  });
}

/** Mean PSNR (each image's capped at PSNR_CAP_DB) and mean SSIM of a batch, as scalars. */
export function upscalingScores(original: tf.Tensor4D, upscaled: tf.Tensor4D): { psnr: tf.Scalar; ssim: tf.Scalar } {
  return tf.tidy(() => ({
    psnr: tf.mean(tf.minimum(psnrPerImage(original, upscaled), PSNR_CAP_DB)) as tf.Scalar,
    ssim: tf.mean(ssimPerImage(original, upscaled)) as tf.Scalar,
  }));
}
