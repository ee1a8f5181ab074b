/**
 * How well a super-resolution model upscales held-out images, against bicubic upscaling: each original is averaged
 * down by the model's scale, upscaled by the model and by bicubic interpolation, and compared with the original by
 * PSNR (dB) and SSIM (Wang et al. 2004: 11×11 Gaussian window σ 1.5, K1 0.01, K2 0.03, per channel, mean); for MNIST
 * digits also as a set, by FID against the originals in genlab's classifier features (what PSNR misses: a blurred
 * set is far from the digits' distribution even where each image is near its original). The
 * measures themselves are tensor functions of models/srgan-losses.ts (the model's `evaluate` reports them during
 * training, and models may not import eval/); bicubic resampling (Keys 1981, a = −0.5) and the average-pooling
 * downscale are nets/srgan.ts's. Also the picture `genlab upscale` and the trainer draw: rows of low-res (nearest
 * neighbour) | bicubic | model | original.
 */
import * as tf from '@tensorflow/tfjs-core';
import { badInput } from '../engine/errors.js';
import { decodeImage } from '../data/image-decode.js';
import { rgbaToExample } from '../data/image-ops.js';
import type { TrainableModel } from '../models/model.js';
import type { Upscales } from '../models/kinds.js';
import { qualityMeasureOf } from '../data/registry.js';
import { fid } from './image-metrics.js';
import { loadMnistClassifier } from './mnist-classifier.js';
import { CLASSIFIER_FEATURES, takesClassifierImages, type MnistClassifier } from './mnist-classifier-model.js';
import { PSNR_CAP_DB, psnrPerImage, ssimPerImage } from '../models/srgan-losses.js';

export { PSNR_CAP_DB, meanSquaredErrorPerImage, psnrPerImage, ssimPerImage, upscalingScores, SSIM_K1, SSIM_K2, SSIM_SIGMA, SSIM_WINDOW } from '../models/srgan-losses.js';
export { bicubicMatrix, bicubicUpscale, downscaleImages, keysKernel } from '../nets/srgan.js';

/** A model that upscales, as `can(model, 'upscale')` types it. */
export type UpscalingModel = TrainableModel & Upscales;

/** Mean PSNR (dB, each image's capped at PSNR_CAP_DB) and SSIM of the model's and of bicubic upscalings. */
export interface UpscaleReport {
  count: number;
  scale: number;
  psnr: number;
  ssim: number;
  bicubicPsnr: number;
  bicubicSsim: number;
  /** FID of the model's and of bicubic's upscalings against the originals (MNIST-shaped images, with a classifier). */
  fid?: number;
  bicubicFid?: number;
}

export interface UpscaleOptions {
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  /** Also FID of both upscaled sets against the originals in this classifier's features (28×28×1 images, ≥ 2). */
  classifier?: MnistClassifier;
}

/**
 * The options that add FID to an upscaling report where it means something: `count` ≥ 2 images of a dataset with
 * classifier features (MNIST), upscaled to its 28×28×1; none otherwise (Pokémon, image files).
 */
export async function upscaleFidOptions(model: UpscalingModel, dataName: string | undefined, count: number): Promise<Pick<UpscaleOptions, 'classifier'>> {
  if (dataName === undefined || qualityMeasureOf(dataName) !== 'mnist-features' || !takesClassifierImages(model.dataShape) || count < 2) return {};
  return { classifier: await loadMnistClassifier() };
}

/** Per image: the model's and bicubic's PSNR and SSIM against the originals. */
export interface UpscaleScoresEach {
  psnr: Float32Array;
  ssim: Float32Array;
  bicubicPsnr: Float32Array;
  bicubicSsim: Float32Array;
  /** With a classifier: its features of the model's, bicubic's and the original images, [count, CLASSIFIER_FEATURES] each. */
  features?: { model: Float32Array; bicubic: Float32Array; original: Float32Array };
}

const mean = (v: Float32Array, cap = Infinity): number => v.reduce((s, x) => s + Math.min(x, cap), 0) / v.length;

/**
 * Scores of the model's and bicubic's upscalings of `count` originals `images` (the model's data shape, values in
 * [0, 1]), in batches of `batchSize` (default 100); `onProgress(done, total)` after each.
 */
export async function scoreUpscalingEach(model: UpscalingModel, images: Float32Array, count: number, options: UpscaleOptions = {}): Promise<UpscaleScoresEach> {
  const size = model.dataShape.reduce((a, b) => a * b, 1);
  if (count < 1 || images.length !== count * size) throw badInput('upscale', `expected ${count} images of [${model.dataShape.join(', ')}] (${count * size} values), got ${images.length} values`);
  const { classifier } = options;
  if (classifier && (!takesClassifierImages(model.dataShape) || count < 2)) {
    throw badInput('upscale: FID', `needs at least 2 MNIST-shaped images [28, 28, 1], got ${count} of [${model.dataShape.join(', ')}]`);
  }
  const batchSize = options.batchSize ?? 100;
  const out: UpscaleScoresEach = { psnr: new Float32Array(count), ssim: new Float32Array(count), bicubicPsnr: new Float32Array(count), bicubicSsim: new Float32Array(count) };
  const features = classifier ? { model: new Float32Array(count * CLASSIFIER_FEATURES), bicubic: new Float32Array(count * CLASSIFIER_FEATURES), original: new Float32Array(count * CLASSIFIER_FEATURES) } : undefined;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const scores = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(start * size, (start + n) * size), [n, ...(model.dataShape as [number, number, number])]);
      const lowRes = model.downscale(x);
      const sr = model.upscale(lowRes);
      const bicubic = model.bicubic(lowRes);
      const measured = [psnrPerImage(x, sr), ssimPerImage(x, sr), psnrPerImage(x, bicubic), ssimPerImage(x, bicubic)];
      return classifier ? [...measured, ...[sr, bicubic, x].map((t) => classifier.features(tf.clipByValue(t, 0, 1)))] : measured;
    });
    const values = await Promise.all(scores.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(scores);
    out.psnr.set(values[0]!, start);
    out.ssim.set(values[1]!, start);
    out.bicubicPsnr.set(values[2]!, start);
    out.bicubicSsim.set(values[3]!, start);
    if (features) [features.model, features.bicubic, features.original].forEach((f, i) => f.set(values[4 + i]!, start * CLASSIFIER_FEATURES));
    options.onProgress?.(start + n, count);
  }
  return features ? { ...out, features } : out;
}

/** Mean PSNR and SSIM of the model's and bicubic's upscalings of `count` originals, and with a classifier their FIDs (see `scoreUpscalingEach`). */
export async function evaluateUpscaling(model: UpscalingModel, images: Float32Array, count: number, options: UpscaleOptions = {}): Promise<UpscaleReport> {
  const each = await scoreUpscalingEach(model, images, count, options);
  const report: UpscaleReport = { count, scale: model.scale, psnr: mean(each.psnr, PSNR_CAP_DB), ssim: mean(each.ssim), bicubicPsnr: mean(each.bicubicPsnr, PSNR_CAP_DB), bicubicSsim: mean(each.bicubicSsim) };
  if (!each.features) return report;
  const { model: sr, bicubic, original } = each.features;
  return { ...report, fid: fid(sr, count, original, count), bicubicFid: fid(bicubic, count, original, count) };
}

/** `PSNR 23.42 dB, SSIM 0.9390, FID 1.20  (bicubic: PSNR 20.00 dB, SSIM 0.8390, FID 9.80)` (FIDs when measured) */
export function formatUpscaleReport(r: UpscaleReport): string {
  const fids = r.fid !== undefined && r.bicubicFid !== undefined ? [`, FID ${r.fid.toFixed(2)}`, `, FID ${r.bicubicFid.toFixed(2)}`] : ['', ''];
  return `PSNR ${r.psnr.toFixed(2)} dB, SSIM ${r.ssim.toFixed(4)}${fids[0]}  (bicubic: PSNR ${r.bicubicPsnr.toFixed(2)} dB, SSIM ${r.bicubicSsim.toFixed(4)}${fids[1]})`;
}

/** Rows of `upscaleGrid`, top to bottom. */
export const UPSCALE_GRID_ROWS = ['low-res', 'bicubic', 'model', 'original'] as const;

/**
 * The picture of `count` upscalings, one column per image: the low-resolution input (nearest-neighbour enlarged, so
 * its pixels show), bicubic, the model, and the original — or, for `lowRes` inputs without originals, the first three
 * rows. Returns a batch for `writeImageGrid` with its columns and row labels.
 */
export function upscaleGrid(
  model: UpscalingModel,
  images: Float32Array,
  count: number,
  resolution: 'high' | 'low' = 'high',
): { data: Float32Array; count: number; shape: [number, number, number]; columns: number; rowLabels: string[] } {
  const [h, w, c] = model.dataShape as [number, number, number];
  const rows = tf.tidy(() => {
    const given = tf.tensor4d(images, [count, ...((resolution === 'high' ? model.dataShape : model.lowResShape) as [number, number, number])]);
    const lowRes = resolution === 'high' ? model.downscale(given) : given;
    const shown = [tf.image.resizeNearestNeighbor(lowRes, [h, w]), model.bicubic(lowRes), model.upscale(lowRes)];
    return tf.concat(resolution === 'high' ? [...shown, given] : shown, 0);
  });
  const data = rows.dataSync() as Float32Array;
  rows.dispose();
  const labels = UPSCALE_GRID_ROWS.slice(0, resolution === 'high' ? 4 : 3).map((r) => (r === 'model' ? model.kind.toUpperCase() : r));
  return { data, count: labels.length * count, shape: [h, w, c], columns: count, rowLabels: labels };
}

/**
 * An image file as an input of `model`: an original of the model's size [H, W] (to be downscaled, upscaled and
 * scored) or a low-resolution image of [H/s, W/s] (to be upscaled only). Any other size is a one-line error naming
 * the file and both sizes the model takes.
 */
export function upscaleImageFile(model: UpscalingModel, bytes: Uint8Array, file: string): { data: Float32Array; resolution: 'high' | 'low' } {
  const rgba = decodeImage(bytes, file);
  const [h, w] = model.dataShape as [number, number];
  const [lh, lw] = model.lowResShape as [number, number];
  const at = (shape: readonly number[]): Float32Array => rgbaToExample(rgba.data, rgba.width, rgba.height, shape);
  if (rgba.width === w && rgba.height === h) return { data: at(model.dataShape), resolution: 'high' };
  if (rgba.width === lw && rgba.height === lh) return { data: at(model.lowResShape), resolution: 'low' };
  throw badInput(file, `${rgba.width}×${rgba.height} pixels, expected an original of ${w}×${h} (downscaled by ${model.scale}, upscaled and scored) or a low-resolution image of ${lw}×${lh} (upscaled)`);
}
