/**
 * The networks and the pyramid of LAPGAN (Denton et al. 2015, "Deep Generative Image Models using a Laplacian Pyramid
 * of Adversarial Networks"), as plain TF.js layers models (they open with stock `tf.loadLayersModel`):
 *
 *   level 0 (coarsest):  the GAN MLPs of nets/dcgan.ts: z → image [h0, w0, c];  image → logit
 *   band generator k:    [z [latent], l = up(coarser image) [h, w, c]] → z through a dense layer as one more plane
 *                        (the paper's "noise as a fourth colour plane") → concatenate with l → [conv 3×3 → BN → ReLU]
 *                        per filter → conv 3×3 → c channels, linear: the band h̃ = G_k(z, l)
 *   band discriminator k: the DCGAN discriminator on [h, w, 2c] = the band and l side by side (channels), so D judges
 *                        (band, coarse image) pairs
 *
 * The pyramid (the paper's d(·) and u(·)): `downsample` averages 2×2 blocks; `upsample` repeats each pixel 2×2
 * (nearest). The same operators build the real bands and assemble samples, so I = up(d(I)) + (I − up(d(I))) exactly.
 * Both are reshapes and means, so they run on every backend; nothing differentiates through them.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { badInput } from '../engine/errors.js';
import type { Rng } from '../engine/rng.js';
import { batchNormalization, conv2d, dense } from './layers.js';
import { checkShape, kernelInit } from './mlp.js';
import { buildDcganDiscriminator, buildGanMlpDiscriminator, buildGanMlpGenerator, dcganInit } from './dcgan.js';

/** Images down to this side are worth another level; a default pyramid stops before going below it (MNIST: 28 → 14 → 7). */
export const MIN_LEVEL_SIDE = 7;
/** Kernel size of the band generators' convolutions (all stride 1, 'same': the band keeps the level's size). */
const BAND_KERNEL = 3;
const BN = { momentum: 0.9, epsilon: 1e-5 } as const;

/** d(I): [n, h, w, c] → [n, h/2, w/2, c], each pixel the mean of a 2×2 block. Needs even sides. */
export function downsample(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw badInput('downsample', `needs even sides, got [${h}, ${w}]`);
  return tf.tidy(() => tf.mean(tf.reshape(x, [n, h / 2, 2, w / 2, 2, c]), [2, 4]) as tf.Tensor4D);
}

/** u(I): [n, h, w, c] → [n, 2h, 2w, c], each pixel repeated over a 2×2 block (nearest neighbour). */
export function upsample(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => tf.reshape(tf.tile(tf.reshape(x, [n, h, 1, w, 1, c]), [1, 1, 2, 1, 2, 1]), [n, 2 * h, 2 * w, c]) as tf.Tensor4D);
}

/** A Laplacian pyramid: the coarsest image and the bands h_k = I_k − u(I_{k−1}), coarse to fine. */
export interface LaplacianPyramid {
  coarse: tf.Tensor4D;
  /** bands[k − 1] belongs to level k (k = 1 … levels − 1), finest last. */
  bands: tf.Tensor4D[];
}

/** The images of every level, coarsest first: I_{L−1} = x, I_{k−1} = d(I_k). Call inside tf.tidy. */
export function gaussianPyramid(x: tf.Tensor4D, levels: number): tf.Tensor4D[] {
  const images = [x];
  for (let k = 1; k < levels; k++) images.unshift(downsample(images[0]!));
  return images;
}

/** x's Laplacian pyramid of `levels` levels (1: just x). Call inside tf.tidy, or dispose what it returns. */
export function laplacianPyramid(x: tf.Tensor4D, levels: number): LaplacianPyramid {
  return tf.tidy(() => {
    const images = gaussianPyramid(x, levels);
    const bands = images.slice(1).map((image, k) => tf.sub(image, upsample(images[k]!)) as tf.Tensor4D);
    return { coarse: images[0]!, bands };
  });
}

/** The image a pyramid stands for: I_k = u(I_{k−1}) + h_k from the coarsest up. */
export function reconstructPyramid(pyramid: LaplacianPyramid): tf.Tensor4D {
  return tf.tidy(() => pyramid.bands.reduce((image, band) => tf.add(upsample(image), band) as tf.Tensor4D, pyramid.coarse));
}

/** Levels of the default pyramid of images [h, w]: halve while both sides are even and stay ≥ MIN_LEVEL_SIDE. */
export function defaultLevels(h: number, w: number): number {
  let levels = 1;
  while (h % 2 === 0 && w % 2 === 0 && h / 2 >= MIN_LEVEL_SIDE && w / 2 >= MIN_LEVEL_SIDE) {
    h /= 2;
    w /= 2;
    levels += 1;
  }
  return levels;
}

/** The image shape of every level, coarsest first; a one-line error naming `what` when the sides do not halve cleanly. */
export function levelShapes(shape: readonly number[], levels: number, what: string): [number, number, number][] {
  checkShape(what, shape);
  if (shape.length !== 3) throw badInput(what, `a Laplacian pyramid needs images [height, width, channels], got [${shape.join(', ')}]`);
  const [h, w, c] = shape as [number, number, number];
  const halvings = levels - 1;
  if (h % 2 ** halvings !== 0 || w % 2 ** halvings !== 0) {
    throw badInput(what, `${levels} levels halve the image ${halvings} times: its sides must divide by ${2 ** halvings}, got ${h}×${w} (at most ${defaultLevels(h, w)} levels for it)`);
  }
  return Array.from({ length: levels }, (_, k) => [h / 2 ** (halvings - k), w / 2 ** (halvings - k), c]);
}

export interface BandGeneratorOptions {
  name: string;
  latent: number;
  /** The level's image shape [h, w, c]. */
  shape: readonly [number, number, number];
  /** Widths of the hidden convolutions, in order. */
  filters: readonly number[];
  batchNorm: boolean;
  rng: Rng;
}

const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]): tfl.SymbolicTensor => layer.apply(x) as tfl.SymbolicTensor;

/** The band generator of a finer level (see the file comment): inputs [z, u(coarser image)], output the band [h, w, c]. */
export function buildBandGenerator(options: BandGeneratorOptions): tfl.LayersModel {
  const { name, latent, filters, batchNorm, rng } = options;
  const [h, w, c] = options.shape;
  checkShape(`${name} filters`, filters);
  const z = tfl.input({ shape: [latent], name: `${name}_z` });
  const coarse = tfl.input({ shape: [h, w, c], name: `${name}_coarse` });
  let plane = apply(dense({ units: h * w, kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_noise_plane` }), z);
  plane = apply(tfl.layers.reshape({ targetShape: [h, w, 1], name: `${name}_noise_reshape` }), plane);
  let x = apply(tfl.layers.concatenate({ name: `${name}_concat` }), [coarse, plane]);
  filters.forEach((f, i) => {
    x = apply(conv2d({ filters: f, kernelSize: BAND_KERNEL, padding: 'same', useBias: !batchNorm, kernelInitializer: dcganInit(rng), biasInitializer: 'zeros', name: `${name}_conv${i + 1}` }), x);
    if (batchNorm) x = apply(batchNormalization({ ...BN, name: `${name}_bn${i + 1}` }), x);
    x = apply(tfl.layers.reLU({ name: `${name}_relu${i + 1}` }), x);
  });
  const band = apply(conv2d({ filters: c, kernelSize: BAND_KERNEL, padding: 'same', kernelInitializer: dcganInit(rng), biasInitializer: 'zeros', name: `${name}_band` }), x);
  return tfl.model({ inputs: [z, coarse], outputs: band, name });
}

/** The two networks of one level. */
export interface LevelNets {
  generator: tfl.LayersModel;
  /** Outputs [logit [1], features [F]] (the GAN family's discriminators). */
  discriminator: tfl.LayersModel;
}

export interface LevelNetOptions {
  /** 0 = the coarsest level (a plain GAN), k ≥ 1 a band level. */
  level: number;
  /** The level's image shape [h, w, c]. */
  shape: readonly [number, number, number];
  latent: number;
  /** Level 0's MLP widths (G's; D uses them reversed). */
  hidden: readonly number[];
  /** Band levels: D's stride-2 convolutions, G's stride-1 ones in reverse. */
  filters: readonly number[];
  batchNorm: boolean;
  rng: Rng;
}

/** G and D of one level: the GAN MLPs at level 0, the band generator and a DCGAN discriminator of (band, u(coarse)) pairs above. */
export function buildLevelNets(options: LevelNetOptions): LevelNets {
  const { level, shape, latent, hidden, filters, batchNorm, rng } = options;
  const [h, w, c] = shape;
  const g = `generator-${level}`, d = `discriminator-${level}`;
  if (level === 0) {
    const generator = buildGanMlpGenerator({ name: g, inputs: [[latent]], hidden, output: shape, batchNorm, outputActivation: 'tanh', rng });
    const { discriminator } = buildGanMlpDiscriminator({ name: d, inputs: [shape], hidden: [...hidden].reverse(), batchNorm, rng });
    return { generator, discriminator };
  }
  const generator = buildBandGenerator({ name: g, latent, shape, filters: [...filters].reverse(), batchNorm, rng });
  const { discriminator } = buildDcganDiscriminator({ name: d, input: [h, w, 2 * c], filters, batchNorm, rng });
  return { generator, discriminator };
}
