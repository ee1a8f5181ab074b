/**
 * Generator and discriminator networks of the GAN family, as plain TF.js layers models (stock layers only, so they
 * load with `tf.loadLayersModel` anywhere; dense, conv2d, conv2dTranspose and batch norm are the stock layers with faster
 * training passes, nets/layers.ts):
 *
 *   MLP generator:      z (+ one-hot label) → [dense → (BN) → ReLU] × hidden → dense → output activation → reshape
 *   MLP discriminator:  x (+ one-hot label) → [dense → (BN, not on the first layer) → LeakyReLU 0.2] × hidden
 *                       → features → dense 1 (a logit, or a critic's score)
 *   DCGAN generator:    z (+ label) → dense h/4·w/4·64 → reshape → BN → ReLU → convT 5×5/2 32 → BN → ReLU
 *                       → convT 5×5/2 channels → tanh        (Radford et al. 2016, "Unsupervised Representation
 *                       Learning with Deep Convolutional GANs", §3: no pooling, BN in G and D, ReLU in G with tanh
 *                       out, LeakyReLU in D; weights ~ N(0, 0.02), §4); or each convT as nearest ×2 → conv 3×3
 *                       (`UPSAMPLES`)
 *   DCGAN discriminator: x → conv 5×5/2 32 → LeakyReLU 0.2 → conv 5×5/2 64 → BN → LeakyReLU 0.2 → flatten
 *                       → features → dense 1 (+ ⟨V·label, features⟩: a projection discriminator when conditional)
 *   `attention`:        a self-attention block (nets/attention.ts; Zhang et al. 2019) on the largest hidden map of each:
 *                       G's before its last doubling, D's after its first convolution
 *
 * On MNIST the DCGAN nets are exactly the peer reference's (../shared/peer/dcgan_mnist.py: 7·7·64 → 32 → 1 and
 * 32 → 64 → dense) plus batch normalisation (which can be turned off to match it exactly). Other image sizes: `filters`
 * sets the number of stride-2 layers (L); sides not divisible by 2^L are zero-padded on the way into D and cropped on the
 * way out of G, as in nets/conv.ts.
 *
 * Every discriminator also outputs its last hidden layer ("features"), for feature matching (Salimans et al. 2016,
 * §3.1) and the VAE-GAN's learned similarity (Larsen et al. 2016, Dis_l). With minibatch discrimination (Salimans et
 * al. 2016, §3.2) the discriminator is split in two stock models, because the layer compares the examples of a batch
 * with each other, which no stock layer does:
 *
 *   discriminator:       x (+ label) → [features [F], projection M = features·T [B·C]]
 *   discriminator head:  [features [F], o [B]] → concatenate → dense 1
 *
 * and o_b(x_i) = Σ_{j≠i} exp(−‖M_{i,b} − M_{j,b}‖₁) is computed between them by the model (models/gan-losses.ts
 * `minibatchFeatures`): plain tensor ops, no custom layer. The minibatch standard deviation (Karras et al. 2018, §3)
 * splits D the same way without the projection: the body outputs [features], the model computes one number o [1] per
 * example (`minibatchStddev`), the head joins [features, o].
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { badInput } from '../engine/errors.js';
import type { Rng } from '../engine/rng.js';
import { apply, batchNormalization, conv2d, conv2dTranspose, dense } from './layers.js';
import { selfAttention } from './attention.js';
import { padding } from './conv.js';
import { checkShape, flatInputs, kernelInit } from './mlp.js';

/** Slope of the LeakyReLU of every discriminator (Radford et al. 2016, §3). */
export const LEAKY_SLOPE = 0.2;
/** Kernel size of the DCGAN convolutions (the peer's 5×5). */
export const DCGAN_KERNEL = 5;
/** Batch-norm settings: PyTorch's (momentum 0.1 there = 0.9 here, ε 1e-5), so running statistics keep up. */
export const BN = { momentum: 0.9, epsilon: 1e-5 } as const;

/**
 * How D compares the examples of its batch, between its body and its head (see the file comment): minibatch
 * discrimination (Salimans et al. 2016, §3.2) with B kernels of C dimensions each, or the minibatch standard deviation
 * (Karras et al. 2018, §3) over groups of `stddevGroup` examples.
 */
export type MinibatchOptions = { kernels: number; kernelDims: number } | { stddevGroup: number };

/** Width of what the model computes between body and head: B minibatch features, or one standard deviation. */
export function minibatchWidth(minibatch: MinibatchOptions): number {
  return 'stddevGroup' in minibatch ? 1 : minibatch.kernels;
}

/** A discriminator: one stock model, plus the head model when a comparison of the batch's examples splits it. */
export interface DiscriminatorNets {
  /**
   * Outputs [logit [1], features [F]]; with minibatch discrimination [features [F], projection [B·C]], with the
   * minibatch standard deviation [features [F]] (+ a conditional conv D's label term last).
   */
  discriminator: tfl.LayersModel;
  /** Minibatch discrimination or standard deviation only: [features [F], o [B or 1]] → logit [1]. */
  head: tfl.LayersModel | null;
}

/** Width F of a discriminator's features: the body's second output, or its first when a head follows. */
export function featureWidth(nets: DiscriminatorNets): number {
  return nets.discriminator.outputs[nets.head ? 0 : 1]!.shape[1]!;
}

export interface GanMlpGeneratorOptions {
  name: string;
  /** [[latent]] or [[latent], [classes]]. */
  inputs: readonly (readonly number[])[];
  /** Dense widths, e.g. [128, 128]. */
  hidden: readonly number[];
  /** Shape of one example. */
  output: readonly number[];
  /** Batch norm after each hidden dense layer. */
  batchNorm: boolean;
  /** 'tanh' for data mapped to [−1, 1], 'linear' for unbounded points. */
  outputActivation: 'tanh' | 'linear';
  rng: Rng;
}

export interface GanMlpDiscriminatorOptions {
  name: string;
  /** [x shape] or [x shape, [classes]]. */
  inputs: readonly (readonly number[])[];
  hidden: readonly number[];
  /** Batch norm on every hidden layer but the first (Radford et al. 2016). */
  batchNorm: boolean;
  minibatch?: MinibatchOptions | undefined;
  rng: Rng;
}

export interface DcganGeneratorOptions {
  name: string;
  /** [[latent]] or [[latent], [classes]]. */
  inputs: readonly (readonly number[])[];
  /** Image shape [height, width, channels]. */
  output: readonly number[];
  /** Filters of the discriminator this mirrors, shallow to deep (G runs them in reverse). Default [32, 64]. */
  filters?: readonly number[];
  batchNorm: boolean;
  /** The last layer's activation: 'tanh' (default), or 'linear' for a model that clips the output to [−1, 1] itself. */
  outputActivation?: 'tanh' | 'linear';
  /** K ≥ 1: paint each image with a palette of K colours of its own (`paletteImage`); 0 or absent: colours per pixel. */
  palette?: number;
  /** How G doubles its sides: 'transposed' convolutions (default), or 'nearest' upsampling then a convolution. */
  upsample?: Upsample;
  /** A self-attention block (nets/attention.ts) on the largest hidden map: before the last doubling. */
  attention?: boolean;
  rng: Rng;
}

/**
 * How the DCGAN generator doubles its sides: the paper's transposed 5×5 convolutions of stride 2, whose kernel overlaps
 * unevenly (5 is odd) and paints a 2-pixel checkerboard into flat areas, or "resize-convolution" — nearest-neighbour
 * upsampling then a 3×3 convolution, which spreads every input pixel evenly (Odena, Dumoulin & Olah 2016,
 * "Deconvolution and Checkerboard Artifacts", Distill) at ≈ 1.4× the multiply-adds.
 */
export const UPSAMPLES = ['transposed', 'nearest'] as const;
export type Upsample = (typeof UPSAMPLES)[number];
/** Kernel of the convolution after nearest upsampling. */
export const RESIZE_KERNEL = 3;

export interface DcganDiscriminatorOptions {
  name: string;
  /** Image shape [height, width, channels]. */
  input: readonly number[];
  /** Further inputs concatenated after the convolutions (a one-hot label [classes]). */
  extraInputs?: readonly (readonly number[])[];
  /** Filters of the stride-2 convolutions, shallow to deep. Default [32, 64]. */
  filters?: readonly number[];
  /** Batch norm on every conv but the first. */
  batchNorm: boolean;
  minibatch?: MinibatchOptions | undefined;
  /** A self-attention block (nets/attention.ts) on the largest hidden map: after the first convolution. */
  attention?: boolean;
  rng: Rng;
}

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** N(0, 0.02) kernels (Radford et al. 2016, §4), seeded. */
export function dcganInit(rng: Rng): ReturnType<typeof tfl.initializers.randomNormal> {
  return tfl.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: rng.tfSeed() });
}

function checkWidths(what: string, widths: readonly number[], allowEmpty: boolean): void {
  if ((!allowEmpty && widths.length === 0) || !widths.every((w) => Number.isInteger(w) && w >= 1)) {
    throw badInput(what, `expected ${allowEmpty ? '' : 'a non-empty list of '}positive integers, got [${widths.join(', ')}]`);
  }
}

function imageShape(what: string, shape: readonly number[]): [number, number, number] {
  checkShape(what, shape);
  if (shape.length !== 3) throw badInput(what, `DCGAN nets need images [height, width, channels], got [${shape.join(', ')}]`);
  return shape as unknown as [number, number, number];
}

export { apply };

/**
 * The output layers of a discriminator on top of its `features` (see the file comment). With `labels` (the one-hot
 * inputs of a conditional conv discriminator, whose convolutions see the image alone) the logit gains the projection
 * term ⟨V·y, features⟩ (Miyato & Koyama 2018, "cGANs with Projection Discriminator", eq. 3): D judges whether the image
 * fits its label. A label joined to the features just before the last dense layer would only add a bias per class,
 * from which G learns nothing about the class it was asked for. With minibatch discrimination or standard deviation
 * the term is the body's last output, which the model adds to the head's logit.
 */
export function finishDiscriminator(
  name: string,
  inputs: tfl.SymbolicTensor[],
  features: tfl.SymbolicTensor,
  minibatch: MinibatchOptions | undefined,
  rng: Rng,
  labels: readonly tfl.SymbolicTensor[] = [],
): DiscriminatorNets {
  const projection = labels.length > 0 ? projectLabels(name, features, labels, rng) : null;
  if (!minibatch) {
    let logit = apply(dense({ units: 1, kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_out` }), features);
    if (projection) logit = apply(tfl.layers.add({ name: `${name}_logit` }), [logit, projection]);
    return { discriminator: tfl.model({ inputs, outputs: [logit, features], name }), head: null };
  }
  const compared: tfl.SymbolicTensor[] = [];
  if ('stddevGroup' in minibatch) {
    checkWidths(`${name} minibatch standard deviation group`, [minibatch.stddevGroup], false);
  } else {
    const { kernels, kernelDims } = minibatch;
    checkWidths(`${name} minibatch kernels`, [kernels, kernelDims], false);
    // T of Salimans et al.: A×B×C as a dense layer without bias; small weights so that early L1 distances are moderate.
    const m = apply(
      dense({ units: kernels * kernelDims, useBias: false, kernelInitializer: tfl.initializers.randomNormal({ mean: 0, stddev: 0.05, seed: rng.tfSeed() }), name: `${name}_minibatch_T` }),
      features,
    );
    compared.push(m);
  }
  const body = tfl.model({ inputs, outputs: [features, ...compared, ...(projection ? [projection] : [])], name });
  const f = tfl.input({ shape: [features.shape[1]!], name: `${name}_head_features` });
  const o = tfl.input({ shape: [minibatchWidth(minibatch)], name: `${name}_head_minibatch` });
  const joined = apply(tfl.layers.concatenate({ name: `${name}_head_concat` }), [f, o]);
  const logit = apply(dense({ units: 1, kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_head_out` }), joined);
  return { discriminator: body, head: tfl.model({ inputs: [f, o], outputs: logit, name: `${name}_head` }) };
}

/** ⟨V·y, features⟩ [batch, 1] for the one-hot labels y (several inputs are joined): the projection term. */
function projectLabels(name: string, features: tfl.SymbolicTensor, labels: readonly tfl.SymbolicTensor[], rng: Rng): tfl.SymbolicTensor {
  const y = labels.length === 1 ? labels[0]! : apply(tfl.layers.concatenate({ name: `${name}_labels` }), [...labels]);
  const embedded = apply(dense({ units: features.shape[1]!, useBias: false, kernelInitializer: kernelInit(rng), name: `${name}_embed` }), y);
  return apply(tfl.layers.dot({ axes: 1, name: `${name}_projection` }), [features, embedded]);
}

/** MLP generator (see the file comment). Output [batch, ...output]. */
export function buildGanMlpGenerator(options: GanMlpGeneratorOptions): tfl.LayersModel {
  const { name, hidden, output, batchNorm, outputActivation, rng } = options;
  checkShape(`${name} output`, output);
  checkWidths(`${name} hidden`, hidden, true);
  const { inputs, flat } = flatInputs(name, options.inputs);
  let h = flat;
  hidden.forEach((units, i) => {
    h = apply(dense({ units, useBias: !batchNorm, kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_dense${i + 1}` }), h);
    if (batchNorm) h = apply(batchNormalization({ ...BN, name: `${name}_bn${i + 1}` }), h);
    h = apply(tfl.layers.reLU({ name: `${name}_relu${i + 1}` }), h);
  });
  let out = apply(dense({ units: product(output), activation: outputActivation, kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_out` }), h);
  if (output.length > 1) out = apply(tfl.layers.reshape({ targetShape: [...output], name: `${name}_reshape` }), out);
  return tfl.model({ inputs, outputs: out, name });
}

/** MLP discriminator (see the file comment). */
export function buildGanMlpDiscriminator(options: GanMlpDiscriminatorOptions): DiscriminatorNets {
  const { name, hidden, batchNorm, minibatch, rng } = options;
  checkWidths(`${name} hidden`, hidden, false);
  const { inputs, flat } = flatInputs(name, options.inputs);
  let h = flat;
  hidden.forEach((units, i) => {
    const bn = batchNorm && i > 0;
    h = apply(dense({ units, useBias: !bn, kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_dense${i + 1}` }), h);
    if (bn) h = apply(batchNormalization({ ...BN, name: `${name}_bn${i + 1}` }), h);
    h = apply(tfl.layers.leakyReLU({ alpha: LEAKY_SLOPE, name: `${name}_lrelu${i + 1}` }), h);
  });
  return finishDiscriminator(name, inputs, h, minibatch, rng);
}

/**
 * The start of an image generator: z (+ label) → dense → reshape to the smallest grid [h/2^L, w/2^L, deepest filters],
 * L = filters.length; `crop` takes the [h, w] of the output back from sides padded to multiples of 2^L (nets/conv.ts).
 */
export function projectNoise(
  options: DcganGeneratorOptions,
  kernelInitializer: ReturnType<typeof tfl.initializers.randomNormal>,
  useBias: boolean,
): { inputs: tfl.SymbolicTensor[]; flat: tfl.SymbolicTensor; x: tfl.SymbolicTensor; channels: number; crop: (x: tfl.SymbolicTensor) => tfl.SymbolicTensor } {
  const { name, filters = [32, 64] } = options;
  const [h, w, c] = imageShape(`${name} output`, options.output);
  checkWidths(`${name} filters`, filters, false);
  const multiple = 2 ** filters.length;
  const [top, bottom] = padding(h, multiple);
  const [left, right] = padding(w, multiple);
  const [h0, w0] = [(h + top + bottom) / multiple, (w + left + right) / multiple];
  const deepest = filters[filters.length - 1]!;
  const { inputs, flat } = flatInputs(name, options.inputs);
  const x = apply(dense({ units: h0 * w0 * deepest, useBias, kernelInitializer, biasInitializer: 'zeros', name: `${name}_project` }), flat);
  const crop = (y: tfl.SymbolicTensor): tfl.SymbolicTensor =>
    top + bottom + left + right > 0 ? apply(tfl.layers.cropping2D({ cropping: [[top, bottom], [left, right]], name: `${name}_crop` }), y) : y;
  return { inputs, flat, x: apply(tfl.layers.reshape({ targetShape: [h0, w0, deepest], name: `${name}_reshape` }), x), channels: c, crop };
}

/** Hidden width of the small MLP that turns z (+ label) into a palette. */
const PALETTE_HIDDEN = 128;

/**
 * An image painted from a palette: `logits` [h, w, K] are per-pixel scores of K colours, softmax-ed; the K colours
 * [K, c] come from the generator's input (`flat`: z and any label) through a small MLP, so each image gets a colour
 * scheme of its own and every pixel is a convex mix of its K colours. Sprites are indexed-colour images — a few flat
 * colours each — where a per-pixel output can mix any colours anywhere. Stock layers only (softmax, dense, reshape,
 * dot), so the generator still loads with `tf.loadLayersModel`.
 */
export function paletteImage(
  name: string,
  logits: tfl.SymbolicTensor,
  flat: tfl.SymbolicTensor,
  channels: number,
  activation: 'tanh' | 'linear',
  rng: Rng,
): tfl.SymbolicTensor {
  const [, h, w, k] = logits.shape as [null, number, number, number];
  const mix = apply(tfl.layers.reshape({ targetShape: [h * w, k], name: `${name}_palette_pixels` }), apply(tfl.layers.softmax({ axis: -1, name: `${name}_palette_weights` }), logits));
  const hidden = apply(dense({ units: PALETTE_HIDDEN, activation: 'relu', kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_palette_hidden` }), flat);
  const colours = apply(dense({ units: k * channels, activation, kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_palette` }), hidden);
  const palette = apply(tfl.layers.reshape({ targetShape: [k, channels], name: `${name}_palette_colours` }), colours);
  const painted = apply(tfl.layers.dot({ axes: [2, 1], name: `${name}_palette_paint` }), [mix, palette]); // [h·w, c]
  return apply(tfl.layers.reshape({ targetShape: [h, w, channels], name: `${name}_palette_image` }), painted);
}

/**
 * A network of the same layers as the palette generator `g` that outputs [its image, its per-pixel colour weights
 * [n, h, w, K] (padded sides)], for a loss on the weights; null when `g` paints no palette.
 */
export function withPaletteWeights(g: tfl.LayersModel): tfl.LayersModel | null {
  const layer = g.layers.find((l) => l.name === `${g.name}_palette_weights`);
  return layer ? tfl.model({ inputs: g.inputs, outputs: [g.outputs[0]!, layer.output as tfl.SymbolicTensor], name: `${g.name}_with_palette_weights` }) : null;
}

/**
 * A generator's last layer: with a palette (K ≥ 1) it gives each pixel K linear logits, which `paletteImage` paints;
 * without one, the image's channels through `activation`.
 */
export function lastLayerOf(palette: number, channels: number, activation: 'tanh' | 'linear'): { filters: number; activation: 'tanh' | 'linear' } {
  return palette > 0 ? { filters: palette, activation: 'linear' } : { filters: channels, activation };
}

/** Checks a palette size: 0 (none) or a whole number of colours up to 256. */
export function checkPalette(what: string, palette: number): void {
  if (!(Number.isInteger(palette) && palette >= 0 && palette <= 256)) throw badInput(what, `expected a whole number of colours in [0, 256] (0 = off), got ${String(palette)}`);
}

/** The start of an image discriminator: the image input, zero-padded to sides divisible by 2^L (L = filters.length). */
export function paddedImage(name: string, input: readonly number[], filters: readonly number[]): { image: tfl.SymbolicTensor; x: tfl.SymbolicTensor } {
  const [h, w, c] = imageShape(`${name} input`, input);
  checkWidths(`${name} filters`, filters, false);
  const multiple = 2 ** filters.length;
  const image = tfl.input({ shape: [h, w, c], name: `${name}_in1` });
  const [top, bottom] = padding(h, multiple);
  const [left, right] = padding(w, multiple);
  const padded = top + bottom + left + right > 0;
  return { image, x: padded ? apply(tfl.layers.zeroPadding2d({ padding: [[top, bottom], [left, right]], name: `${name}_pad` }), image) : image };
}

/** DCGAN generator (see the file comment). Output [batch, h, w, c] in (−1, 1). */
export function buildDcganGenerator(options: DcganGeneratorOptions): tfl.LayersModel {
  const { name, filters = [32, 64], batchNorm, outputActivation = 'tanh', palette = 0, upsample = 'transposed', attention = false, rng } = options;
  checkPalette(`${name} palette`, palette);
  const start = projectNoise(options, dcganInit(rng), !batchNorm);
  const { inputs, crop, channels: c } = start;
  let x = start.x; // [h/2^L, w/2^L, deepest]
  if (batchNorm) x = apply(batchNormalization({ ...BN, name: `${name}_bn0` }), x);
  x = apply(tfl.layers.reLU({ name: `${name}_relu0` }), x);
  const lastLayer = lastLayerOf(palette, c, outputActivation);
  const outFilters = [...filters.slice(0, -1).reverse(), lastLayer.filters];
  outFilters.forEach((f, i) => {
    const last = i === outFilters.length - 1;
    if (last && attention) x = selfAttention(`${name}_attention`, x, rng);
    const layer = {
      filters: f,
      padding: 'same',
      useBias: last || !batchNorm,
      activation: last ? lastLayer.activation : 'linear',
      kernelInitializer: dcganInit(rng),
      biasInitializer: 'zeros',
    } as const;
    if (upsample === 'nearest') {
      x = apply(tfl.layers.upSampling2d({ size: [2, 2], interpolation: 'nearest', name: `${name}_up${i + 1}` }), x); // side doubles
      x = apply(conv2d({ ...layer, kernelSize: RESIZE_KERNEL, name: `${name}_conv${i + 1}` }), x);
    } else {
      x = apply(conv2dTranspose({ ...layer, kernelSize: DCGAN_KERNEL, strides: 2, name: `${name}_deconv${i + 1}` }), x); // side doubles
    }
    if (!last) {
      if (batchNorm) x = apply(batchNormalization({ ...BN, name: `${name}_bn${i + 1}` }), x);
      x = apply(tfl.layers.reLU({ name: `${name}_relu${i + 1}` }), x);
    }
  });
  if (palette > 0) x = paletteImage(name, x, start.flat, c, outputActivation, rng);
  return tfl.model({ inputs, outputs: crop(x), name });
}

/** DCGAN discriminator (see the file comment). */
export function buildDcganDiscriminator(options: DcganDiscriminatorOptions): DiscriminatorNets {
  const { name, extraInputs = [], filters = [32, 64], batchNorm, minibatch, attention = false, rng } = options;
  const start = paddedImage(name, options.input, filters);
  const { image } = start;
  let x = start.x;
  filters.forEach((f, i) => {
    const bn = batchNorm && i > 0;
    x = apply(
      conv2d({ filters: f, kernelSize: DCGAN_KERNEL, strides: 2, padding: 'same', useBias: !bn, kernelInitializer: dcganInit(rng), biasInitializer: 'zeros', name: `${name}_conv${i + 1}` }),
      x,
    ); // side halves
    if (bn) x = apply(batchNormalization({ ...BN, name: `${name}_bn${i + 1}` }), x);
    x = apply(tfl.layers.leakyReLU({ alpha: LEAKY_SLOPE, name: `${name}_lrelu${i + 1}` }), x);
    if (i === 0 && attention) x = selfAttention(`${name}_attention`, x, rng);
  });
  x = apply(tfl.layers.flatten({ name: `${name}_flatten` }), x);
  extraInputs.forEach((s, i) => checkShape(`${name} input ${i + 2}`, s));
  const labels = extraInputs.map((shape, i) => tfl.input({ shape: [...shape], name: `${name}_in${i + 2}` }));
  return finishDiscriminator(name, [image, ...labels], x, minibatch, rng, labels);
}
