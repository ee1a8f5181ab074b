/**
 * Image metrics of generated MNIST-like samples, in the space of genlab's own digit classifier
 * (src/eval/mnist-classifier.ts: its 128 penultimate features and its 10 class probabilities):
 *
 * - FID (Heusel et al. 2017): Fréchet distance between Gaussians fitted to the features of the samples and of the real
 *   images, ‖μ₁−μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^{1/2}), in float64 (src/math/gaussian.ts). Lower is better; biased upwards
 *   for small sets, so compare FIDs only at the same sample count.
 * - KID (Bińkowski et al. 2018): the unbiased estimate of MMD² with the kernel k(x, y) = (xᵀy/d + 1)³, averaged over
 *   random subsets (default 10 of 1000); ≈ 0 (it can be slightly negative) when samples and real images share a
 *   distribution. Unbiased, so values at different sample counts are comparable.
 * - Inception Score (Salimans et al. 2016) with the classifier's p(y|x): exp(E_x KL(p(y|x) ‖ p(y))) per split
 *   (default 10), mean and std over splits. 1 (one class, or no confident class) to 10 (ten equally frequent,
 *   confidently classified classes).
 * - Precision and recall (Kynkäänniemi et al. 2019): each feature vector's ball reaches to its k-th nearest neighbour
 *   (k = 3) within its own set; precision is the fraction of samples inside some real image's ball (quality), recall
 *   the fraction of real images inside some sample's ball (coverage). The space is the 128 penultimate features and
 *   the 64 pooled conv features side by side, each block divided by its spread on real digits (`precisionRecallSpace`).
 *   In the penultimate features alone, junk is "precise": constant grey images score precision 1.00, sparse salt
 *   noise 1.00, uniform noise 0.64, because the classifier maps them into the sparse fringe of a digit class (mostly
 *   8) where outlying real digits have huge k-NN balls; the conv block, which sees texture, puts them far from every
 *   digit (precision 0.00–0.02) while real digits keep the same precision and recall (≈ 0.87 / 0.90 either way).
 * - Memorisation: see `memorisationCheck`.
 *
 * The reference ('mnist') is MNIST's test split for the metrics (10 000 digits the classifier never trained on) and
 * its training split for the memorisation check.
 */
import * as tf from '@tensorflow/tfjs-core';
import { badInput } from '../engine/errors.js';
import { Rng } from '../engine/rng.js';
import type { Dataset } from '../data/dataset.js';
import { loadMnist } from '../data/mnist.js';
import { frechetDistance, gaussianStats, type GaussianStats } from '../math/gaussian.js';
import {
  CLASSIFIER_CLASSES,
  CLASSIFIER_FEATURES,
  CONV_FEATURES,
  loadMnistClassifier,
  measureFeatureScales,
  type ClassifierOutputs,
  type FeatureScales,
  type MnistClassifier,
} from './mnist-classifier.js';

const IMAGE_SIZE = 784;

/** Images: a Float32Array of n × 784 values in [0, 1], a tensor [n, 28, 28, 1], or a dataset of such images. */
export type ImageInput = Float32Array | tf.Tensor | Dataset;

function imagePixels(what: string, x: ImageInput): Float32Array {
  let data: Float32Array;
  if (x instanceof Float32Array) data = x;
  else if (x instanceof tf.Tensor) {
    if (x.shape.length < 2 || x.size !== (x.shape[0] ?? 0) * IMAGE_SIZE) throw badInput(what, `tensor of shape [${x.shape.join(', ')}], expected [n, 28, 28, 1]`);
    data = x.dtype === 'float32' ? (x.dataSync() as Float32Array) : Float32Array.from(x.dataSync());
  } else data = x.data;
  if (data.length === 0 || data.length % IMAGE_SIZE !== 0) throw badInput(what, `${data.length} values, not a whole number of 28×28×1 images`);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isNaN(v)) throw badInput(what, `value ${i} is NaN`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo < -1e-3 || hi > 1 + 1e-3) throw badInput(what, `values in [${lo.toFixed(3)}, ${hi.toFixed(3)}], expected images in [0, 1] (map tanh outputs with (x + 1) / 2)`);
  return data;
}

/** Rows `indices` of a row-major array of `size`-value rows. */
function takeRows(data: Float32Array, size: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * size);
  for (let i = 0; i < indices.length; i++) out.set(data.subarray(indices[i]! * size, (indices[i]! + 1) * size), i * size);
  return out;
}

/** `count` distinct indices of 0..n−1 (all of them, in order, when count ≥ n). */
function sampleIndices(n: number, count: number, rng: Rng): Int32Array {
  if (count >= n) return Int32Array.from({ length: n }, (_, i) => i);
  return rng.permutation(n).slice(0, count).sort();
}

// ---------------------------------------------------------------------------------------------------------------
// Pairwise distances in blocks

/** Squared Euclidean norms of the rows, in float64. */
function rowNorms(x: Float32Array, n: number, dim: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += x[i * dim + j]! ** 2;
    out[i] = s;
  }
  return out;
}

/**
 * Calls `visit(i0, rows, j0, cols, d2)` for blocks of squared distances ‖aᵢ − bⱼ‖² (d2 row-major rows × cols, float64
 * from float64 norms and float32 dot products on the TF.js backend, clamped at 0). Column blocks of `b` are
 * uploaded once each; at most ~4M entries per block.
 */
function distanceBlocks(
  a: Float32Array, na: number, b: Float32Array, nb: number, dim: number,
  visit: (i0: number, rows: number, j0: number, cols: number, d2: Float64Array) => void,
): void {
  const normA = rowNorms(a, na, dim);
  const normB = rowNorms(b, nb, dim);
  const colBlock = Math.min(nb, 8192);
  const rowBlock = Math.max(1, Math.min(na, Math.floor(4_194_304 / colBlock)));
  const d2 = new Float64Array(rowBlock * colBlock);
  for (let j0 = 0; j0 < nb; j0 += colBlock) {
    const cols = Math.min(colBlock, nb - j0);
    const bt = tf.tidy(() => tf.transpose(tf.tensor2d(b.subarray(j0 * dim, (j0 + cols) * dim), [cols, dim])));
    for (let i0 = 0; i0 < na; i0 += rowBlock) {
      const rows = Math.min(rowBlock, na - i0);
      const dot = tf.tidy(() => tf.matMul(tf.tensor2d(a.subarray(i0 * dim, (i0 + rows) * dim), [rows, dim]), bt));
      const dots = dot.dataSync();
      dot.dispose();
      for (let i = 0; i < rows; i++) {
        const ni = normA[i0 + i]!;
        for (let j = 0; j < cols; j++) d2[i * cols + j] = Math.max(0, ni + normB[j0 + j]! - 2 * dots[i * cols + j]!);
      }
      visit(i0, rows, j0, cols, d2);
    }
    bt.dispose();
  }
}

/**
 * Squared distance from each row of `x` to its k-th nearest neighbour among the other rows of `x` (a row's distance
 * to itself, 0, is counted as its 0-th neighbour, as in the reference code: duplicates count as neighbours).
 */
export function kthNeighbourDistances(x: Float32Array, n: number, dim: number, k: number): Float64Array {
  if (!(Number.isInteger(k) && k >= 1 && k < n)) throw badInput('k', `expected an integer in [1, ${n - 1}], got ${k}`);
  const m = k + 1;
  const best = new Float64Array(n * m).fill(Infinity); // per row, the m smallest, ascending
  distanceBlocks(x, n, x, n, dim, (i0, rows, _j0, cols, d2) => {
    for (let i = 0; i < rows; i++) {
      const base = (i0 + i) * m;
      for (let j = 0; j < cols; j++) {
        const v = d2[i * cols + j]!;
        if (v >= best[base + m - 1]!) continue;
        let p = m - 1;
        while (p > 0 && best[base + p - 1]! > v) {
          best[base + p] = best[base + p - 1]!;
          p--;
        }
        best[base + p] = v;
      }
    }
  });
  // Row i's own distance (≈ 0, rounding aside) is the smallest entry: the k-th neighbour is at position k.
  return Float64Array.from({ length: n }, (_, i) => best[i * m + k]!);
}

// ---------------------------------------------------------------------------------------------------------------
// The metrics

/** FID between two feature sets (rows of `dim` values). */
export function fid(a: Float32Array, na: number, b: Float32Array, nb: number, dim = CLASSIFIER_FEATURES): number {
  return frechetDistance(gaussianStats(a, na, dim), gaussianStats(b, nb, dim));
}

export interface KidOptions {
  /** Default 10. */
  subsets?: number;
  /** Default min(1000, na, nb). */
  subsetSize?: number;
  rng?: Rng;
}

/**
 * KID: unbiased MMD² with k(x, y) = (xᵀy/d + 1)³ between `subsetSize` random rows of each set, averaged over
 * `subsets` draws (each subset drawn without replacement, as in Bińkowski et al.'s code).
 */
export function kid(a: Float32Array, na: number, b: Float32Array, nb: number, dim = CLASSIFIER_FEATURES, options: KidOptions = {}): { mean: number; std: number; values: number[] } {
  const subsets = options.subsets ?? 10;
  const m = options.subsetSize ?? Math.min(1000, na, nb);
  if (!(m >= 2 && m <= na && m <= nb)) throw badInput('KID subset size', `expected 2 ≤ size ≤ ${Math.min(na, nb)}, got ${m}`);
  const rng = options.rng ?? new Rng(0);
  const values: number[] = [];
  for (let s = 0; s < subsets; s++) {
    const x = takeRows(a, dim, rng.permutation(na).subarray(0, m));
    const y = takeRows(b, dim, rng.permutation(nb).subarray(0, m));
    // (Typed arrays are read outside tidy: tidy walks whatever it returns element by element.)
    const grams = tf.tidy(() => {
      const tx = tf.tensor2d(x, [m, dim]);
      const ty = tf.tensor2d(y, [m, dim]);
      return [tf.matMul(tx, tx, false, true), tf.matMul(ty, ty, false, true), tf.matMul(tx, ty, false, true)];
    });
    const [kxx, kyy, kxy] = grams.map((t) => t.dataSync());
    tf.dispose(grams);
    const sum = (g: ArrayLike<number>, skipDiagonal: boolean): number => {
      let total = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < m; j++) {
          if (skipDiagonal && i === j) continue;
          const v = g[i * m + j]! / dim + 1;
          total += v * v * v;
        }
      }
      return total;
    };
    values.push(sum(kxx!, true) / (m * (m - 1)) + sum(kyy!, true) / (m * (m - 1)) - (2 * sum(kxy!, false)) / (m * m));
  }
  return { ...meanStd(values), values };
}

function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std };
}

/**
 * Inception Score from class probabilities (rows of `classes` values): exp(mean_x KL(p(y|x) ‖ p(y))) over each of
 * `splits` consecutive splits, p(y) the split's mean; mean and std over the splits (the std as in Salimans et al.'s
 * code, population std).
 */
export function inceptionScore(probs: Float32Array, n: number, classes = CLASSIFIER_CLASSES, splits = 10): { mean: number; std: number; values: number[] } {
  const s = Math.max(1, Math.min(splits, n));
  const values: number[] = [];
  const eps = 1e-12;
  for (let k = 0; k < s; k++) {
    const start = Math.floor((k * n) / s);
    const end = Math.floor(((k + 1) * n) / s);
    const py = new Float64Array(classes);
    for (let i = start; i < end; i++) for (let c = 0; c < classes; c++) py[c] = py[c]! + probs[i * classes + c]!;
    for (let c = 0; c < classes; c++) py[c] = py[c]! / (end - start);
    let kl = 0;
    for (let i = start; i < end; i++) {
      for (let c = 0; c < classes; c++) {
        const p = probs[i * classes + c]!;
        if (p > 0) kl += p * (Math.log(p + eps) - Math.log(py[c]! + eps));
      }
    }
    values.push(Math.exp(kl / (end - start)));
  }
  return { ...meanStd(values), values };
}

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019) of `fake` against `real` feature sets, k-NN balls with
 * k = 3 by default. Radii come from each set itself (k-th neighbour, self excluded).
 */
export function precisionRecall(real: Float32Array, nr: number, fake: Float32Array, nf: number, dim = CLASSIFIER_FEATURES, k = 3): { precision: number; recall: number } {
  const realRadius = kthNeighbourDistances(real, nr, dim, k);
  const fakeRadius = kthNeighbourDistances(fake, nf, dim, k);
  const fakeInside = new Uint8Array(nf);
  const realInside = new Uint8Array(nr);
  distanceBlocks(fake, nf, real, nr, dim, (i0, rows, j0, cols, d2) => {
    for (let i = 0; i < rows; i++) {
      const fi = i0 + i;
      const rf = fakeRadius[fi]!;
      let inside = fakeInside[fi]!;
      for (let j = 0; j < cols; j++) {
        const v = d2[i * cols + j]!;
        if (!inside && v <= realRadius[j0 + j]!) inside = 1;
        if (v <= rf) realInside[j0 + j] = 1;
      }
      fakeInside[fi] = inside;
    }
  });
  const count = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
  return { precision: count(fakeInside) / nf, recall: count(realInside) / nr };
}

/** Width of the precision/recall space. */
export const PR_DIM = CLASSIFIER_FEATURES + CONV_FEATURES;

/** The precision/recall space: [features / scales.features, conv / scales.conv] per image (count × 192). */
export function precisionRecallSpace(out: ClassifierOutputs, scales: FeatureScales): Float32Array {
  const x = new Float32Array(out.count * PR_DIM);
  for (let i = 0; i < out.count; i++) {
    for (let j = 0; j < CLASSIFIER_FEATURES; j++) x[i * PR_DIM + j] = out.features[i * CLASSIFIER_FEATURES + j]! / scales.features;
    for (let j = 0; j < CONV_FEATURES; j++) x[i * PR_DIM + CLASSIFIER_FEATURES + j] = out.conv[i * CONV_FEATURES + j]! / scales.conv;
  }
  return x;
}

// ---------------------------------------------------------------------------------------------------------------
// Memorisation

export interface DistanceQuantiles {
  min: number;
  q01: number;
  q05: number;
  q25: number;
  median: number;
}

export interface MemorisationReport {
  /** Distances are Euclidean in pixel space (values in [0, 1]; 784 of them for MNIST): an exact copy is at ≈ 0. */
  space: 'pixel';
  /** Samples checked. */
  samples: number;
  /** Training images searched. */
  trainCount: number;
  /** Held-out images searched (and giving the baseline). */
  heldOutCount: number;
  /** Distance from each sample to its nearest training image. */
  sampleToTrain: DistanceQuantiles;
  /** The same for held-out real images (the test split): how close new real digits come to the training set. */
  heldOutToTrain: DistanceQuantiles;
  /** sampleToTrain.median / heldOutToTrain.median: < 1 means samples sit closer to training images than new digits do. */
  medianRatio: number;
  /**
   * Fraction of samples nearer to their nearest training image than 99% of held-out images are: ≈ 0.01 for samples as
   * novel as new real digits, → 1 for copies. (Very smooth or blurry samples can also come close; see `nearTrain`.)
   */
  nearCopies: number;
  /**
   * The data-copying test that tells copies from merely typical or blurry samples (in the spirit of Meehan et al.
   * 2020): among the `count` samples whose nearest neighbour in train ∪ held-out lies within the held-out images' 1%
   * distance, the share whose nearest neighbour is a training image. A generator that knows nothing of the particular
   * training images makes that neighbour a training image with probability `expected` = trainCount / (trainCount +
   * heldOutCount) (the two sets are exchangeable); copies make it 1. `z` is the excess in binomial standard errors.
   */
  nearTrain: { count: number; share: number; expected: number; z: number };
  /** nearCopies ≥ 0.05 (5× the expected 1%) and nearTrain.z ≥ 3: many near-copies, and they are near training images specifically. */
  flagged: boolean;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function quantiles(values: Float64Array): DistanceQuantiles {
  const s = Float64Array.from(values).sort();
  return { min: s[0]!, q01: quantile(s, 0.01), q05: quantile(s, 0.05), q25: quantile(s, 0.25), median: quantile(s, 0.5) };
}

/** Euclidean distance from each row of `queries` to its nearest row in `refs` (rows of `size` pixels, MNIST's 784 by default). */
export function nearestDistances(queries: Float32Array, refs: Float32Array, size = IMAGE_SIZE): Float64Array {
  const nq = queries.length / size;
  const best = new Float64Array(nq).fill(Infinity);
  distanceBlocks(queries, nq, refs, refs.length / size, size, (i0, rows, _j0, cols, d2) => {
    for (let i = 0; i < rows; i++) {
      let b = best[i0 + i]!;
      for (let j = 0; j < cols; j++) if (d2[i * cols + j]! < b) b = d2[i * cols + j]!;
      best[i0 + i] = b;
    }
  });
  return best.map(Math.sqrt);
}

/**
 * The memorisation check, in pixel space. `train`: the generator's training images; `heldOut`: real images it never
 * saw, not among the samples; `baseline`: held-out images whose distances to `train` are the yardstick (a subset of
 * `heldOut`, or other unseen images). Images of `size` values each (MNIST's 784 by default).
 */
export function memorisationCheck(samples: Float32Array, train: Float32Array, heldOut: Float32Array, baseline: Float32Array, size = IMAGE_SIZE): MemorisationReport {
  const ns = samples.length / size;
  const nt = train.length / size;
  const nh = heldOut.length / size;
  if (!(ns >= 1 && nt >= 1 && nh >= 1 && baseline.length >= size) || [samples, train, heldOut, baseline].some((a) => a.length % size !== 0)) {
    throw badInput('memorisation', `needs samples, training, held-out and baseline images of ${size} values each`);
  }
  const toTrain = nearestDistances(samples, train, size);
  const toHeldOut = nearestDistances(samples, heldOut, size);
  const baseQ = quantiles(nearestDistances(baseline, train, size));
  const sampleQ = quantiles(toTrain);
  let near = 0, nearAny = 0, nearIsTrain = 0;
  for (let i = 0; i < ns; i++) {
    const dt = toTrain[i]!, dh = toHeldOut[i]!;
    if (dt < baseQ.q01) near++;
    if (Math.min(dt, dh) < baseQ.q01) {
      nearAny++;
      nearIsTrain += dt < dh ? 1 : dt === dh ? 0.5 : 0;
    }
  }
  const expected = nt / (nt + nh);
  const share = nearAny > 0 ? nearIsTrain / nearAny : expected;
  const z = nearAny > 0 ? (share - expected) / Math.sqrt((expected * (1 - expected)) / nearAny) : 0;
  const nearCopies = near / ns;
  return {
    space: 'pixel',
    samples: ns,
    trainCount: nt,
    heldOutCount: nh,
    sampleToTrain: sampleQ,
    heldOutToTrain: baseQ,
    medianRatio: sampleQ.median / baseQ.median,
    nearCopies,
    nearTrain: { count: nearAny, share, expected, z },
    flagged: nearCopies >= 0.05 && z >= 3,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// References and the entry point

/** What samples are compared with: real images in classifier space, and pixel sets for the memorisation check. */
export interface ImageReference {
  name: string;
  /** Classifier outputs of the real images FID, KID and precision/recall compare against. */
  real: ClassifierOutputs;
  realStats: GaussianStats;
  /** Block scales of the precision/recall space (the classifier's own, else measured on `real`). */
  scales: FeatureScales;
  /** `real` in the precision/recall space. */
  realPr: Float32Array;
  /** Inception Score of the real images (the best a generator can hope for, for context). */
  realInceptionScore: number;
  /** Training images (pixels) searched for near-copies. */
  train: Float32Array;
  /** Held-out real images (pixels), never trained on and not among the samples. */
  heldOut: Float32Array;
}

export interface ReferenceSets {
  name?: string;
  /** Real images for FID, KID, precision/recall. */
  real: ImageInput;
  /** The generator's training images (memorisation check). */
  train: ImageInput;
  /** Held-out images, disjoint from `train` and from the samples (memorisation check). */
  heldOut: ImageInput;
}

/** Builds a reference from explicit image sets (the classifier's outputs of `real` are computed once, here). */
export async function prepareImageReference(sets: ReferenceSets, options: { classifier?: MnistClassifier } = {}): Promise<ImageReference> {
  const classifier = options.classifier ?? (await loadMnistClassifier());
  const realPixels = imagePixels('reference images', sets.real);
  const real = classifier.outputs(realPixels);
  const scales = classifier.featureScales ?? measureFeatureScales(real);
  const train = imagePixels('training images', sets.train);
  const heldOut = imagePixels('held-out images', sets.heldOut);
  return {
    name: sets.name ?? 'custom',
    real,
    realStats: gaussianStats(real.features, real.count, CLASSIFIER_FEATURES),
    scales,
    realPr: precisionRecallSpace(real, scales),
    realInceptionScore: inceptionScore(real.probabilities, real.count).mean,
    train,
    heldOut,
  };
}

const mnistReferences = new WeakMap<MnistClassifier, Map<number, Promise<ImageReference>>>();

/**
 * MNIST's reference, cached per classifier and size for the process: `realCount` test digits (default all 10 000; a
 * fixed random subset otherwise) as the real images of FID, KID and precision/recall; all 10 000 test digits as the
 * held-out images and the 60 000 training digits as the training set of the memorisation check. The classifier never
 * trained on the test digits, so generated samples (which it never saw either) are compared with images of the same
 * standing, not with digits it was fitted to.
 */
export async function mnistReference(classifier?: MnistClassifier, options: { realCount?: number } = {}): Promise<ImageReference> {
  const c = classifier ?? (await loadMnistClassifier());
  const realCount = Math.min(options.realCount ?? 10_000, 10_000);
  if (!(Number.isInteger(realCount) && realCount >= 4)) throw badInput('reference count', `expected an integer >= 4, got ${options.realCount}`);
  let byCount = mnistReferences.get(c);
  if (!byCount) mnistReferences.set(c, (byCount = new Map()));
  let hit = byCount.get(realCount);
  if (!hit) {
    hit = loadMnist().then(({ train, test }) => {
      const real = realCount >= test.count ? test : takeRows(test.data, IMAGE_SIZE, sampleIndices(test.count, realCount, new Rng(0)));
      return prepareImageReference({ name: realCount >= test.count ? 'mnist' : `mnist (${realCount} test digits)`, real, train, heldOut: test }, { classifier: c });
    });
    byCount.set(realCount, hit);
    hit.catch(() => byCount.delete(realCount));
  }
  return hit;
}

export interface ImageMetricsOptions {
  /** 'mnist' (default) or a reference from `prepareImageReference`. */
  reference?: 'mnist' | ImageReference;
  /** With reference 'mnist': how many test digits the metrics compare against (default 10 000; fewer is faster, noisier). */
  referenceCount?: number;
  /** Samples used (a seeded random subset when fewer than given). Default: all, up to 10 000. */
  count?: number;
  /** Seed of the subsets drawn (samples, KID subsets, memorisation queries). Default 0. */
  seed?: number;
  classifier?: MnistClassifier;
  /** KID subsets (default 10) and their size (default min(1000, samples, reference)). */
  kidSubsets?: number;
  kidSubsetSize?: number;
  /** Inception Score splits. Default 10. */
  isSplits?: number;
  /** k of the precision/recall k-NN balls. Default 3. */
  k?: number;
  /** Samples (and held-out images) checked for memorisation. Default min(1000, samples). 0 skips the check. */
  memorisationCount?: number;
  /** Called after each stage (reference, features, KID, IS, precision/recall, memorisation): `done` of `total`. */
  onProgress?: (done: number, total: number) => void;
}

export interface ImageMetrics {
  /** Samples evaluated. */
  count: number;
  /** Real images compared against. */
  referenceCount: number;
  reference: string;
  fid: number;
  kid: number;
  kidStd: number;
  inceptionScore: number;
  inceptionScoreStd: number;
  /** Inception Score of the real images, for context. */
  realInceptionScore: number;
  precision: number;
  recall: number;
  /** How many samples the classifier assigns to each digit. */
  classCounts: number[];
  memorisation: MemorisationReport | null;
}

/** FID, KID, Inception Score, precision/recall and the memorisation check of image samples (values in [0, 1]). */
export async function evaluateImageSamples(samples: ImageInput, options: ImageMetricsOptions = {}): Promise<ImageMetrics> {
  const seed = options.seed ?? 0;
  const stages = options.memorisationCount === 0 ? 5 : 6;
  let stage = 0;
  const stageDone = (): void => options.onProgress?.(++stage, stages);
  options.onProgress?.(0, stages);
  const classifier = options.classifier ?? (await loadMnistClassifier());
  const ref = options.reference === undefined || options.reference === 'mnist' ? await mnistReference(classifier, options.referenceCount !== undefined ? { realCount: options.referenceCount } : {}) : options.reference;
  const all = imagePixels('samples', samples);
  const rng = new Rng(seed);
  const total = all.length / IMAGE_SIZE;
  const count = Math.min(total, options.count ?? 10_000);
  const k = options.k ?? 3;
  if (count < k + 1) throw badInput('samples', `need at least ${k + 1} images (k = ${k} neighbours for precision/recall), got ${count}`);
  stageDone();
  const pixels = count < total ? takeRows(all, IMAGE_SIZE, sampleIndices(total, count, rng.fork())) : all;
  const out = classifier.outputs(pixels);
  stageDone();
  const nr = ref.real.count;
  const stats = gaussianStats(out.features, count, CLASSIFIER_FEATURES);
  const kidResult = kid(out.features, count, ref.real.features, nr, CLASSIFIER_FEATURES, {
    subsets: options.kidSubsets ?? 10,
    subsetSize: options.kidSubsetSize ?? Math.min(1000, count, nr),
    rng: rng.fork(),
  });
  stageDone();
  const is = inceptionScore(out.probabilities, count, CLASSIFIER_CLASSES, options.isSplits ?? 10);
  stageDone();
  const pr = precisionRecall(ref.realPr, nr, precisionRecallSpace(out, ref.scales), count, PR_DIM, k);
  stageDone();
  const classCounts = new Array<number>(CLASSIFIER_CLASSES).fill(0);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let c = 1; c < CLASSIFIER_CLASSES; c++) if (out.probabilities[i * CLASSIFIER_CLASSES + c]! > out.probabilities[i * CLASSIFIER_CLASSES + best]!) best = c;
    classCounts[best]!++;
  }
  const memRng = rng.fork();
  const memCount = Math.min(count, options.memorisationCount ?? 1000);
  let memorisation: MemorisationReport | null = null;
  if (memCount > 0) {
    const nh = ref.heldOut.length / IMAGE_SIZE;
    const queries = takeRows(pixels, IMAGE_SIZE, sampleIndices(count, memCount, memRng));
    const baseline = takeRows(ref.heldOut, IMAGE_SIZE, sampleIndices(nh, memCount, memRng));
    memorisation = memorisationCheck(queries, ref.train, ref.heldOut, baseline);
    stageDone();
  }
  return {
    count,
    referenceCount: nr,
    reference: ref.name,
    fid: frechetDistance(stats, ref.realStats),
    kid: kidResult.mean,
    kidStd: kidResult.std,
    inceptionScore: is.mean,
    inceptionScoreStd: is.std,
    realInceptionScore: ref.realInceptionScore,
    precision: pr.precision,
    recall: pr.recall,
    classCounts,
    memorisation,
  };
}

/** The memorisation check in one line; `what` names the images ('digit', 'sprite'). */
export function formatMemorisation(mem: MemorisationReport, what: string): string {
  return (
    `nearest training ${what} (pixel L2, ${mem.trainCount} searched): samples median ${mem.sampleToTrain.median.toFixed(3)} ` +
    `(min ${mem.sampleToTrain.min.toFixed(3)}), held-out ${what}s median ${mem.heldOutToTrain.median.toFixed(3)} (1% ${mem.heldOutToTrain.q01.toFixed(3)}); ` +
    `ratio ${mem.medianRatio.toFixed(3)}, near-copies ${(mem.nearCopies * 100).toFixed(1)}% (≈1% expected), ` +
    `of which nearest a training ${what} ${(mem.nearTrain.share * 100).toFixed(1)}% (${(mem.nearTrain.expected * 100).toFixed(1)}% expected, z ${mem.nearTrain.z.toFixed(1)})` +
    `${mem.flagged ? ' — FLAGGED: samples look copied from the training set' : ''}`
  );
}

/** Human-readable lines for the CLI. */
export function formatImageMetrics(m: ImageMetrics): string[] {
  const lines = [
    `samples ${m.count} vs ${m.referenceCount} real images (${m.reference}), in the MNIST classifier's feature space`,
    `FID              ${m.fid.toFixed(3)}`,
    `KID              ${m.kid.toFixed(5)} ± ${m.kidStd.toFixed(5)}`,
    `Inception Score  ${m.inceptionScore.toFixed(3)} ± ${m.inceptionScoreStd.toFixed(3)} (real images: ${m.realInceptionScore.toFixed(3)})`,
    `precision        ${m.precision.toFixed(4)}`,
    `recall           ${m.recall.toFixed(4)}`,
    `classes          ${m.classCounts.map((c, i) => `${i}:${c}`).join(' ')}`,
  ];
  if (m.memorisation) lines.push(`memorisation     ${formatMemorisation(m.memorisation, 'digit')}`);
  return lines;
}
