/**
 * The measures of the one-pixel 7, each on a copy against the original: the pixel loss, the VAE's log p(x) and
 * ELBO, the discriminator's verdict and the distance in its features (raw, and in units of their spread over real
 * digits), the classifier's confidence that it is a 7 and the distance in its features.
 */
import { can, perExampleLikelihood, tf, type GenerativeModel, type MnistClassifier } from '../../../src/browser.js';
import { squaredError } from './stroke.js';

/** A model whose discriminator gives its verdict and its features (the GAN family). */
export interface FeatureDiscriminator {
  discriminate(x: tf.Tensor): tf.Tensor1D;
  discriminatorFeatures(x: tf.Tensor): tf.Tensor2D;
}

export function hasDiscriminatorFeatures(model: GenerativeModel): model is GenerativeModel & FeatureDiscriminator {
  return can(model, 'discriminate') && typeof (model as Partial<FeatureDiscriminator>).discriminatorFeatures === 'function';
}

export interface SevenModels {
  /** A VAE on MNIST (scores log p(x)). */
  vae: GenerativeModel;
  /** A GAN on MNIST whose discriminator gives features. */
  gan: GenerativeModel & FeatureDiscriminator;
  classifier: MnistClassifier;
  /** 1 / spread of each of D's features over real test digits (see `featureSpread`). */
  inverseSpread: Float32Array;
}

/** The values of one image. */
export interface Measures {
  /** Σ (x − original)². */
  pixelLoss: number;
  /** Importance-sampled log p(x) under the VAE (nats). */
  logPx: number;
  elbo: number;
  /** D's output: P(real) (or its score, see the GAN's discriminatorOutput). */
  discriminator: number;
  /** ‖D's features of x − those of the original‖. */
  featureDistance: number;
  /** The same with each feature divided by its spread over real digits. */
  standardisedDistance: number;
  /** The classifier's p(7 | x). */
  pSeven: number;
  /** log p(7 | x) − log p(not 7 | x), from the logits: still differs where p(7) rounds to 1. */
  logOddsSeven: number;
  /** ‖the classifier's features of x − those of the original‖. */
  classifierDistance: number;
}

export type MeasureName = keyof Measures;

/** Which way each measure points to "more like a real 7". */
export const HIGHER_IS_BETTER: Record<MeasureName, boolean> = {
  pixelLoss: false,
  logPx: true,
  elbo: true,
  discriminator: true,
  featureDistance: false,
  standardisedDistance: false,
  pSeven: true,
  logOddsSeven: true,
  classifierDistance: false,
};

/** Importance samples of log p(x): the 2-D code makes them cheap; the same seed for every image (common noise). */
const IMPORTANCE_SAMPLES = 1000;
const SEVEN = 7;

/**
 * 1 / √(variance + ε) of each of D's features over `reference` images [n, 28, 28, 1] (ε: 1% of the mean variance,
 * so that a feature real digits never move does not divide by zero). In chunks, awaiting each: the tab stays live.
 */
export async function featureSpread(gan: FeatureDiscriminator, reference: Float32Array, count: number, chunk = 250): Promise<Float32Array> {
  let sum: Float64Array | null = null;
  let squares: Float64Array | null = null;
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const features = tf.tidy(() => gan.discriminatorFeatures(tf.tensor4d(reference.subarray(start * 784, (start + n) * 784), [n, 28, 28, 1])));
    const values = (await features.data()) as Float32Array;
    features.dispose();
    const width = values.length / n;
    sum ??= new Float64Array(width);
    squares ??= new Float64Array(width);
    for (let i = 0; i < values.length; i++) {
      const j = i % width, v = values[i]!;
      sum[j] = sum[j]! + v;
      squares[j] = squares[j]! + v * v;
    }
  }
  if (!sum || !squares) throw new Error('featureSpread: no reference images');
  const variance = sum.map((s, j) => Math.max(0, squares![j]! / count - (s / count) ** 2));
  const epsilon = (0.01 * variance.reduce((a, b) => a + b, 0)) / variance.length;
  return Float32Array.from(variance, (v) => 1 / Math.sqrt(v + epsilon));
}

const distance = (a: ArrayLike<number>, b: ArrayLike<number>, scale?: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i]! - b[i]!) * (scale ? scale[i]! : 1)) ** 2;
  return Math.sqrt(s);
};

/** log-odds of class `c` from logits: l_c − log Σ_{k≠c} exp(l_k), in float64. */
function logOdds(logits: ArrayLike<number>, c: number): number {
  const others = Array.from(logits).filter((_, k) => k !== c);
  const m = Math.max(...others);
  return logits[c]! - (m + Math.log(others.reduce((s, l) => s + Math.exp(l - m), 0)));
}

/** Every measure of each of `images` (28 × 28 each) against `original`. */
export async function measureAll(models: SevenModels, original: Float32Array, images: Float32Array[]): Promise<Measures[]> {
  if (!can(models.vae, 'score')) throw new Error('the VAE cannot score log p(x)');
  const vae = models.vae;
  const all = [original, ...images];
  const n = all.length;
  const likelihoods = await Promise.all(all.map((x) => perExampleLikelihood(vae, x, 1, { k: IMPORTANCE_SAMPLES, seed: 0 })));
  const batch = new Float32Array(n * 784);
  all.forEach((x, i) => batch.set(x, i * 784));
  const outs = tf.tidy(() => {
    const x = tf.tensor4d(batch, [n, 28, 28, 1]);
    return [models.gan.discriminate(x), models.gan.discriminatorFeatures(x), models.classifier.probabilities(x), models.classifier.logits(x), models.classifier.features(x)];
  });
  const [d, dFeatures, probabilities, logits, cFeatures] = await Promise.all(outs.map((t) => t.array() as Promise<number[] | number[][]>));
  tf.dispose(outs);
  const row = (a: unknown, i: number) => (a as number[][])[i]!;
  return images.map((x, j) => {
    const i = j + 1; // row 0 is the original
    return {
      pixelLoss: squaredError(x, original),
      logPx: likelihoods[i]!.logPx[0]!,
      elbo: likelihoods[i]!.elbo[0]!,
      discriminator: (d as number[])[i]!,
      featureDistance: distance(row(dFeatures, i), row(dFeatures, 0)),
      standardisedDistance: distance(row(dFeatures, i), row(dFeatures, 0), models.inverseSpread),
      pSeven: row(probabilities, i)[SEVEN]!,
      logOddsSeven: logOdds(row(logits, i), SEVEN),
      classifierDistance: distance(row(cFeatures, i), row(cFeatures, 0)),
    };
  });
}

/** Which of two images a measure prefers as the more realistic: 0, 1, or null when they tie. */
export function preferred(name: MeasureName, a: number, b: number): 0 | 1 | null {
  const tolerance = 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
  if (Math.abs(a - b) <= tolerance) return null;
  return (a > b) === HIGHER_IS_BETTER[name] ? 0 : 1;
}
