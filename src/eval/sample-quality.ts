/**
 * The quality of any model's samples, by the measure its data declare (data/registry.ts), in one place for
 * `genlab eval` and for the per-epoch metrics of `genlab train`: on a toy set with known modes (gauss1d, ring8,
 * grid25) modes covered and the share of high-quality samples (gan-toy.ts); on MNIST FID, KID, Inception Score and
 * precision/recall in the feature space of genlab's digit classifier (image-metrics.ts); on small image sets
 * (Pokémon) the memorisation check: how near samples come to their nearest training image, against how near the
 * held-out images come, and a classifier two-sample test: how well a small convnet tells unseen samples from held-out
 * images (two-sample.ts). It needs nothing of a model but `sample`: a VAE is judged as a GAN is. Other data have no
 * such measure (null).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../engine/rng.js';
import { badInput } from '../engine/errors.js';
import { exampleSize, subset, type Dataset } from '../data/dataset.js';
import { toyModes } from '../data/toy.js';
import { qualityMeasureOf } from '../data/registry.js';
import { isConditional, type TrainableModel } from '../models/model.js';
import { can, requireCapability, type Capability, type Samples } from '../models/kinds.js';
import { checkNumber } from '../models/validate.js';
import { modeMetrics, type ModeMetrics } from './gan-toy.js';
import { takesClassifierImages } from './mnist-classifier-model.js';
import { checkerboardShare } from './checkerboard.js';
import { colourEntropy } from './colour-entropy.js';
import { classifierTwoSampleTest } from './two-sample.js';
import { evaluateImageSamples, memorisationCheck, type ImageMetrics, type ImageMetricsOptions, type MemorisationReport } from './image-metrics.js';

/** How `drawSamples` draws. */
export interface DrawOptions {
  /** Called as the samples come: `done` of `total`. */
  onProgress?: (done: number, total: number) => void;
  /**
   * A conditional model's label distribution (each class's share, e.g. the training set's `classFrequencies`), so
   * that its samples follow the data's marginal p(x) = Σ_y p(y) p(x|y), as a set of real digits does; without one
   * the labels cycle through the classes.
   */
  classPrior?: readonly number[];
  /**
   * σ of the codes z ~ N(0, σ²I) of a model that generates from its own noise (default 1: the prior it trained
   * with). Below 1 the truncation trick's precision-for-diversity trade (Brock et al. 2019), above 1 the reverse:
   * more recall, less precision (Kynkäänniemi et al. 2019 trace the curve). The same seed draws the same e, z = σ·e.
   */
  temperature?: number;
}

/** The most temperature a sample takes: far beyond it codes leave what any generator trained on. */
export const MAX_TEMPERATURE = 4;

/** `n` samples of a model, drawn in chunks of 500 (see `DrawOptions`). */
export async function drawSamples(model: TrainableModel & Samples, n: number, seed: number, options: DrawOptions = {}): Promise<Float32Array> {
  const { onProgress, classPrior, temperature = 1 } = options;
  checkTemperature(model, temperature);
  const size = exampleSize(model.dataShape);
  const out = new Float32Array(n * size);
  const rng = new Rng(seed);
  const allLabels = isConditional(model) ? sampleLabels(n, model.classes!.length, seed, classPrior) : null;
  for (let start = 0; start < n; start += 500) {
    const m = Math.min(500, n - start);
    const labels = allLabels ? tf.tensor1d(allLabels.subarray(start, start + m), 'int32') : undefined;
    const s = sampleAtTemperature(model, m, rng, temperature, labels);
    out.set((await s.data()) as Float32Array, start * size);
    tf.dispose([s, ...(labels ? [labels] : [])]);
    onProgress?.(start + m, n);
  }
  return out;
}

const checkTemperatureRange = (t: number): void => checkNumber('temperature', t, 0, false, MAX_TEMPERATURE, 'σ of the codes z ~ N(0, σ²I)');

/** Throws unless `model` can sample at `temperature`: in [0, MAX_TEMPERATURE], and other than 1 only from its own noise. */
export function checkTemperature(model: TrainableModel, temperature: number): void {
  checkTemperatureRange(temperature);
  if (temperature !== 1) requireCapability(model, 'generate', 'temperature');
}

/**
 * `model.sample(n, rng, labels)` with codes z = σ·e, e ~ N(0, I) (see `DrawOptions`): at σ = 1 the model's own
 * `sample`; otherwise G(σ·e) of a model that generates from its own noise, e drawn as `sample` draws it, so a seed
 * gives the same e at every temperature.
 */
export function sampleAtTemperature(model: TrainableModel & Samples, n: number, rng: Rng, temperature: number, labels?: tf.Tensor1D): tf.Tensor {
  checkTemperatureRange(temperature);
  if (temperature === 1) return model.sample(n, rng, labels);
  const generating = requireCapability(model, 'generate', 'temperature');
  return tf.tidy(() => {
    // A conditional model's own labels when none are given, as its `sample` cycles them.
    const own = !labels && isConditional(model) ? tf.tensor1d(sampleLabels(n, model.classes!.length, 0), 'int32') : undefined;
    return generating.generate(tf.mul(generating.noise(n, rng), temperature), labels ?? own);
  });
}

/**
 * Labels for `n` samples of a model with `classes` classes: drawn from `prior` (each class's share; seeded by `seed`,
 * on a stream of their own so that the samples' noise stays the same), or 0, 1, …, classes − 1, 0, … without one.
 */
export function sampleLabels(n: number, classes: number, seed: number, prior?: readonly number[]): Int32Array {
  if (!prior) return Int32Array.from({ length: n }, (_, i) => i % classes);
  const total = prior.reduce((a, b) => a + b, 0);
  if (prior.length !== classes || prior.some((p) => !(p >= 0)) || !(total > 0 && Number.isFinite(total))) {
    throw badInput('classPrior', `expected ${classes} non-negative class shares with a positive sum, got [${prior.join(', ')}]`);
  }
  const rng = new Rng(seed).fork();
  return Int32Array.from({ length: n }, () => rng.weightedIndex(prior));
}

/** Which measure a model of the dataset `dataName` gets: 'modes', 'images' (MNIST features), 'memorisation' or null. */
export function qualityMeasure(model: TrainableModel, dataName: string): 'modes' | 'images' | 'memorisation' | null {
  if (!can(model, 'sample')) return null; // an upscaler maps given images and has no samples to judge
  const declared = qualityMeasureOf(dataName);
  if (declared === 'modes' && model.dataKind === 'points') return 'modes';
  if (declared === 'mnist-features' && model.dataKind === 'images' && takesClassifierImages(model.dataShape)) return 'images';
  if (declared === 'memorisation' && model.dataKind === 'images') return 'memorisation';
  return null;
}

export type SampleQuality =
  | { measure: 'modes'; samples: number; metrics: ModeMetrics; report: { modesCovered: number; modesTotal: number; highQuality: number } }
  | { measure: 'images'; samples: number; metrics: ImageMetrics; report: { fid: number; kid: number; inceptionScore: number; precision: number; recall: number } }
  | {
      measure: 'memorisation';
      samples: number;
      metrics: MemorisationReport;
      report: { nearestTrainMedian: number; heldOutNearestTrainMedian: number; memorisationRatio: number; nearCopies: number } & CheckerboardReport & Partial<ColourReport> & Partial<TwoSampleSummary>;
    };

/** RGB images: the mean colour entropy (colour-entropy.ts) of the samples and of the held-out images, in bits. */
export interface ColourReport {
  colourEntropy: number;
  heldOutColourEntropy: number;
}

/**
 * Images: the classifier two-sample test (two-sample.ts), trained on training images against as many samples and
 * scored on the held-out images and the measured samples: balanced accuracy (0.5: samples pass for real), its two
 * sides, and the images per side it trained on.
 */
export interface TwoSampleSummary {
  twoSampleAccuracy: number;
  twoSampleRealAccuracy: number;
  twoSampleFakeAccuracy: number;
  twoSampleTrained: number;
}

/** The share of each image's variance in a 2×2 checkerboard (checkerboard.ts) of the samples and of the held-out images. */
export interface CheckerboardReport {
  checkerboard: number;
  heldOutCheckerboard: number;
}

export interface SampleQualityOptions extends Pick<ImageMetricsOptions, 'referenceCount' | 'memorisationCount' | 'classifier'>, DrawOptions {
  /** Samples drawn. Default 2 500 on toy sets (the VEEGAN/PacGAN protocol), 10 000 on MNIST. */
  samples?: number;
  /** Seed of the samples' noise (and of the metrics' subsets). Default 0. */
  seed?: number;
  /** Called as the work goes on: `done` of `total` (drawing the samples, then each stage of the image metrics). */
  onProgress?: (done: number, total: number) => void;
  /** The model's training and held-out images, as its run split them: the memorisation measure needs them. */
  splits?: { train: Dataset; test: Dataset };
}

/** The model's quality measure on its data (see the file comment); null when the data have none. */
export async function sampleQuality(model: TrainableModel, dataName: string, options: SampleQualityOptions = {}): Promise<SampleQuality | null> {
  const measure = qualityMeasure(model, dataName);
  if (measure === null || !can(model, 'sample')) return null;
  const seed = options.seed ?? 0;
  if (measure === 'modes') {
    const n = options.samples ?? 2500;
    const metrics = modeMetrics(await drawSamples(model, n, seed, options), exampleSize(model.dataShape), toyModes(dataName)!);
    return { measure, samples: n, metrics, report: { modesCovered: metrics.modesCovered, modesTotal: metrics.modesTotal, highQuality: metrics.highQuality } };
  }
  if (measure === 'images') {
    const n = options.samples ?? 10_000;
    const { samples: _, onProgress, classPrior: _prior, temperature: _temperature, ...imageOptions } = options;
    // In percent: drawing counts as half of the work, the metrics' stages as the other half.
    const half = (offset: number) => (done: number, total: number) => onProgress?.(Math.round(50 * (offset + done / total)), 100);
    const drawn = await drawSamples(model, n, seed, { ...options, onProgress: half(0) });
    const metrics = await evaluateImageSamples(drawn, { ...imageOptions, count: n, seed, onProgress: half(1) });
    const { fid, kid, inceptionScore, precision, recall } = metrics;
    return { measure, samples: n, metrics, report: { fid, kid, inceptionScore, precision, recall } };
  }
  if (measure === 'memorisation') {
    const { splits } = options;
    if (!splits || splits.test.count < 1) throw badInput(`${dataName}: memorisation`, 'needs the run’s training and held-out images (its data split)');
    const n = options.samples ?? 1000;
    const drawn = await drawSamples(model, n, seed, options);
    // Other samples than the scored ones: the seed's next stream (any seed's samples are the model's samples).
    const drawMore = (count: number): Promise<Float32Array> => drawSamples(model, count, seed + 1, { ...options, onProgress: undefined });
    const { metrics, report } = await memorisationQuality(drawn, n, model.dataShape, splits, seed, drawMore);
    return { measure, samples: n, metrics, report };
  }
  return null;
}

/**
 * The memorisation measure of `n` samples already drawn, of any generator (`genlab eval` a model's, bench/pokemon-peer.ts
 * a PyTorch program's): nearest training image against the held-out images', checkerboard, colours, and for images the
 * two-sample test, whose classifier trains on samples other than the measured ones, `drawMore(count)`.
 */
export async function memorisationQuality(
  drawn: Float32Array,
  n: number,
  shape: readonly number[],
  splits: { train: Dataset; test: Dataset },
  seed: number,
  drawMore: (count: number) => Promise<Float32Array>,
): Promise<{ metrics: MemorisationReport; report: Extract<SampleQuality, { measure: 'memorisation' }>['report'] }> {
  const metrics = memorisationCheck(drawn, splits.train.data, splits.test.data, splits.test.data, exampleSize(shape));
  const [height = 1, width = 1, channels = 1] = shape;
  const rgb = shape.length === 3 && channels === 3;
  const report = {
    nearestTrainMedian: metrics.sampleToTrain.median,
    heldOutNearestTrainMedian: metrics.heldOutToTrain.median,
    memorisationRatio: metrics.medianRatio,
    nearCopies: metrics.nearCopies,
    checkerboard: checkerboardShare(drawn, n, height, width, channels),
    heldOutCheckerboard: checkerboardShare(splits.test.data, splits.test.count, height, width, channels),
    ...(rgb ? { colourEntropy: colourEntropy(drawn, n), heldOutColourEntropy: colourEntropy(splits.test.data, splits.test.count) } : {}),
    ...(shape.length === 3 ? await twoSampleSummary(drawn, n, splits, [height, width, channels], seed, drawMore) : {}),
  };
  return { metrics, report };
}

/** Training images, and as many fresh samples, the two-sample classifier learns from (see `TwoSampleSummary`). */
const TWO_SAMPLE_TRAINING = 1000;

/**
 * The two-sample test of `drawn` (n samples) against the held-out images, by a classifier trained on up to
 * TWO_SAMPLE_TRAINING training images (at random: a mirrored run's split lists the originals first, then their
 * mirrors) against as many other samples of the generator.
 */
async function twoSampleSummary(drawn: Float32Array, n: number, splits: { train: Dataset; test: Dataset }, shape: [number, number, number], seed: number, drawMore: (count: number) => Promise<Float32Array>): Promise<TwoSampleSummary> {
  const perSide = Math.min(TWO_SAMPLE_TRAINING, splits.train.count);
  const trainReal = subset(splits.train, new Rng(seed).fork().permutation(splits.train.count).subarray(0, perSide)).data;
  const trainFake = await drawMore(perSide);
  const r = classifierTwoSampleTest(
    { data: trainReal, count: perSide },
    { data: trainFake, count: perSide },
    { data: splits.test.data, count: splits.test.count },
    { data: drawn, count: n },
    shape,
    { seed },
  );
  return { twoSampleAccuracy: r.accuracy, twoSampleRealAccuracy: r.realAccuracy, twoSampleFakeAccuracy: r.fakeAccuracy, twoSampleTrained: r.trainedPerSide };
}

/**
 * For `fit`'s `epochMetrics`: the quality of `samples` samples (against as many test digits on MNIST; 2,500 on toy
 * sets) after each epoch, for any model whose data declare a measure — bar the memorisation check, whose pixel
 * search over the training set would outweigh an epoch of a small data set (`genlab eval` runs it). FID is biased at
 * small counts: compare epochs with each other, and with `genlab eval` only at the same count.
 */
export function qualityPerEpoch(dataName: string, samples: number, classPrior?: readonly number[]): (model: TrainableModel) => Promise<Record<string, number>> {
  return async (model) => {
    const measure = qualityMeasure(model, dataName);
    if (measure === 'memorisation') return {};
    const count = measure === 'images' ? samples : 2500;
    const q = await sampleQuality(model, dataName, { samples: count, referenceCount: count, memorisationCount: 0, ...(classPrior ? { classPrior } : {}) });
    return q ? { ...q.report, qualitySamples: count } : {};
  };
}

/**
 * Which test value marks a run's best epoch on `dataName`: an upscaler's PSNR against the originals (it has no samples
 * to judge), FID, modes covered, or the loss where there is no measure. `capabilities`: the model kind's.
 */
export function qualityBestBy(dataName: string, capabilities: readonly Capability[] = []): { metric: string; better: 'lower' | 'higher' } {
  if (capabilities.includes('upscale')) return { metric: 'psnr', better: 'higher' };
  const declared = qualityMeasureOf(dataName);
  if (declared === 'mnist-features') return { metric: 'fid', better: 'lower' };
  if (declared === 'modes') return { metric: 'modesCovered', better: 'higher' };
  return { metric: 'loss', better: 'lower' };
}
