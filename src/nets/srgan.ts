/**
 * The networks of a super-resolution GAN (Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a
 * Generative Adversarial Network", fig. 4), small, as plain TF.js layers models (stock layers only: they open with
 * `tf.loadLayersModel` anywhere), and the resampling around them:
 *
 *   generator:  low-res [h, w, c] → conv 3×3 F → ReLU ─┬─ B × [conv 3×3 → BN → ReLU → conv 3×3 → BN, + skip]
 *               → conv 3×3 → BN, + the long skip ─┘ → transposed conv 2s×2s stride s, F → ReLU → conv 3×3 c = residual;
 *               output = clip(bilinear ×s of the input + residual, 0, 1)            [h·s, w·s, c]
 *               (bilinear: nearest ×s, then a fixed per-channel filter, `bilinearTaps`)
 *   discriminator: the DCGAN one (nets/dcgan.ts): strided 5×5 convolutions, LeakyReLU → [logit, features]
 *
 * Departures from the paper, each for a reason: ReLU for PReLU (speed, see `relu` below). G learns only the residual
 * over a bilinear upscaling of its input (a global skip, as in VDSR, Kim et al. 2016), so an untrained G already
 * upscales bilinearly and training starts from a sensible image; the residual's last conv starts near zero for that.
 * The upsampling is a transposed convolution instead of the paper's sub-pixel convolution, because TF.js has no
 * depth-to-space layer a stock model could save (its 2s × 2s kernel gives every output pixel two taps per axis, which
 * keeps checkerboard artefacts down). The output is clipped to the data's [0, 1] by ReLU(max 1) instead of squashed
 * by a sigmoid, which would not let a zero residual pass the bilinear image through unchanged.
 *
 * `downscaleImages` (average pooling, how the low-res inputs are made) and `bicubicUpscale` (Keys 1981, a = −0.5: the
 * baseline SRGAN must beat) are tensor functions here because models and eval both use them.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { badInput } from '../engine/errors.js';
import type { Rng } from '../engine/rng.js';
import { buildDcganDiscriminator, type DiscriminatorNets } from './dcgan.js';
import { batchNormalization, conv2d, conv2dTranspose } from './layers.js';
import { checkShape, kernelInit } from './mlp.js';

/** Batch-norm settings of the DCGAN nets (PyTorch's momentum 0.1 = 0.9 here). */
const BN = { momentum: 0.9, epsilon: 1e-5 } as const;

export interface SrganGeneratorOptions {
  name: string;
  /** Low-resolution image shape [h, w, channels]. */
  input: readonly number[];
  /** Upscaling factor s: the output is [h·s, w·s, channels]. */
  scale: number;
  /** Channels of every convolution but the last. */
  filters: number;
  /** Residual blocks B. */
  residualBlocks: number;
  batchNorm: boolean;
  rng: Rng;
}

export interface SrganDiscriminatorOptions {
  name: string;
  /** High-resolution image shape [H, W, channels]. */
  input: readonly number[];
  /** Filters of the stride-2 convolutions. */
  filters: readonly number[];
  batchNorm: boolean;
  rng: Rng;
}

const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]): tfl.SymbolicTensor => layer.apply(x) as tfl.SymbolicTensor;

function imageShape(what: string, shape: readonly number[]): [number, number, number] {
  checkShape(what, shape);
  if (shape.length !== 3) throw badInput(what, `SRGAN nets need images [height, width, channels], got [${shape.join(', ')}]`);
  return shape as unknown as [number, number, number];
}

/** The SRGAN generator (see the file comment): low-res [n, h, w, c] → [n, h·s, w·s, c] in [0, 1]. */
export function buildSrganGenerator(options: SrganGeneratorOptions): tfl.LayersModel {
  const { name, scale, filters, residualBlocks, batchNorm, rng } = options;
  const [h, w, c] = imageShape(`${name} input`, options.input);
  let layer = 0;
  const conv = (x: tfl.SymbolicTensor, units: number, bias: boolean, init = kernelInit(rng)): tfl.SymbolicTensor =>
    apply(conv2d({ filters: units, kernelSize: 3, padding: 'same', useBias: bias, kernelInitializer: init, biasInitializer: 'zeros', name: `${name}_conv${++layer}` }), x);
  const norm = (x: tfl.SymbolicTensor): tfl.SymbolicTensor => (batchNorm ? apply(batchNormalization({ ...BN, name: `${name}_bn${layer}` }), x) : x);
  // ReLU where the paper has PReLU: TF.js's PReLU kernel took 70% of a training step on the CPU backends.
  const relu = (x: tfl.SymbolicTensor): tfl.SymbolicTensor => apply(tfl.layers.reLU({ name: `${name}_relu${layer}` }), x);

  const lowRes = tfl.input({ shape: [h, w, c], name: `${name}_in1` });
  const head = relu(conv(lowRes, filters, true));
  let x = head;
  for (let b = 1; b <= residualBlocks; b++) {
    const y = norm(conv(relu(norm(conv(x, filters, !batchNorm))), filters, !batchNorm));
    x = apply(tfl.layers.add({ name: `${name}_block${b}` }), [x, y]);
  }
  x = apply(tfl.layers.add({ name: `${name}_long_skip` }), [head, norm(conv(x, filters, !batchNorm))]);
  x = apply(conv2dTranspose({ filters, kernelSize: 2 * scale, strides: scale, padding: 'same', kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_upsample` }), x);
  x = relu(x);
  // The residual starts near zero: an untrained G is the bilinear upscaling.
  const residual = conv(x, c, true, tfl.initializers.randomNormal({ mean: 0, stddev: 1e-3, seed: rng.tfSeed() }));
  const blocks = apply(tfl.layers.upSampling2d({ size: [scale, scale], interpolation: 'nearest', name: `${name}_skip_nearest` }), lowRes);
  // A fixed convolution (not trained), each channel filtered alone: a diagonal kernel, so the fast conv path runs it.
  const smoothing = conv2d({ filters: c, kernelSize: bilinearTaps(scale).length, padding: 'same', useBias: false, trainable: false, name: `${name}_skip_bilinear` });
  const smooth = apply(smoothing, blocks);
  const sum = apply(tfl.layers.add({ name: `${name}_global_skip` }), [smooth, residual]);
  const out = apply(tfl.layers.reLU({ maxValue: 1, name: `${name}_clip` }), sum);
  const model = tfl.model({ inputs: lowRes, outputs: out, name });
  const taps = bilinearTaps(scale);
  const kernel = tf.tidy(() => tf.mul(tf.reshape(tf.outerProduct(tf.tensor1d(taps), tf.tensor1d(taps)), [taps.length, taps.length, 1, 1]), tf.reshape(tf.eye(c), [1, 1, c, c])));
  smoothing.setWeights([kernel]);
  kernel.dispose();
  return model;
}

/**
 * The fixed filter that turns a nearest-neighbour ×s enlargement into the bilinear one with pixel centres aligned (as
 * average pooling places its blocks): a box of s taps for odd s, of s + 1 taps with half weights at the ends for even
 * s ([¼, ½, ¼] for s = 2), each 1/s. Bilinear interpolation is the low-res pixels convolved with a triangle, which is
 * the nearest-neighbour box convolved with this one. (TF.js's bilinear resize puts the pixel centres off by half a
 * pixel, which would start G further from the originals than bicubic.)
 */
export function bilinearTaps(scale: number): number[] {
  if (scale % 2 === 1) return Array.from({ length: scale }, () => 1 / scale);
  return Array.from({ length: scale + 1 }, (_, i) => (i === 0 || i === scale ? 0.5 : 1) / scale);
}

/** The SRGAN discriminator: the DCGAN one on high-resolution images (outputs [logit, features]). */
export function buildSrganDiscriminator(options: SrganDiscriminatorOptions): DiscriminatorNets {
  imageShape(`${options.name} input`, options.input);
  return buildDcganDiscriminator({ name: options.name, input: options.input, filters: options.filters, batchNorm: options.batchNorm, rng: options.rng });
}

/** Checks that `scale` divides the height and width of `shape` ([h, w, c]); `where` names the option in messages. */
export function checkScaleDivides(where: string, shape: readonly number[], scale: number): void {
  const [h, w] = shape;
  if (!(Number.isInteger(scale) && scale >= 1) || h! % scale !== 0 || w! % scale !== 0) {
    throw badInput(where, `expected a factor that divides the images' ${h}×${w} pixels, got ${scale}`);
  }
}

/** Images [n, H, W, c] averaged over s×s blocks: [n, H/s, W/s, c] (how SRGAN's low-resolution inputs are made). */
export function downscaleImages(x: tf.Tensor4D, scale: number): tf.Tensor4D {
  checkScaleDivides('downscale: scale', x.shape.slice(1), scale);
  return scale === 1 ? tf.clone(x) : tf.avgPool(x, scale, scale, 'valid');
}

/**
 * Keys's cubic convolution kernel (Keys 1981, "Cubic Convolution Interpolation for Digital Image Processing", eq. 15)
 * with a = −0.5, the value that makes it third-order accurate (the "bicubic" of PIL, OpenCV and TF's resize):
 *   W(t) = (a+2)|t|³ − (a+3)|t|² + 1 for |t| ≤ 1;  a|t|³ − 5a|t|² + 8a|t| − 4a for 1 < |t| < 2;  0 otherwise.
 */
export function keysKernel(t: number, a = -0.5): number {
  const x = Math.abs(t);
  if (x <= 1) return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1;
  if (x < 2) return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a;
  return 0;
}

/**
 * The [outSize, inSize] matrix of 1-D bicubic resampling: pixel centres aligned (output pixel i sits at input
 * coordinate (i + ½)·in/out − ½, as average pooling places its blocks), four taps of Keys's kernel, taps past an edge
 * clamped to the edge pixel. Each row sums to 1.
 */
export function bicubicMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const centre = ((i + 0.5) * inSize) / outSize - 0.5;
    const first = Math.floor(centre) - 1;
    for (let k = first; k < first + 4; k++) {
      const tap = Math.min(inSize - 1, Math.max(0, k));
      m[i * inSize + tap] = m[i * inSize + tap]! + keysKernel(centre - k);
    }
  }
  return m;
}

/**
 * Bicubic upscaling of images [n, h, w, c] to [n, H, W, c] (`bicubicMatrix` along rows, then along columns), clipped
 * to [0, 1]; separable, so two matrix products.
 */
export function bicubicUpscale(x: tf.Tensor4D, size: readonly [number, number]): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [H, W] = size;
  return tf.tidy(() => {
    const rows = tf.tensor2d(bicubicMatrix(h, H), [H, h]);
    const cols = tf.tensor2d(bicubicMatrix(w, W), [W, w]);
    const byRows = tf.reshape(tf.matMul(rows, tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, n * w * c])), [H, n, w, c]);
    const byCols = tf.reshape(tf.matMul(cols, tf.reshape(tf.transpose(byRows, [2, 1, 0, 3]), [w, n * H * c])), [W, n, H, c]);
    return tf.clipByValue(tf.transpose(byCols, [1, 2, 0, 3]), 0, 1) as tf.Tensor4D;
  });
}
