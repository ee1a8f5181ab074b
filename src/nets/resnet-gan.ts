/**
 * Residual generator and discriminator for images (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs",
 * appendix F; Miyato et al. 2018, "Spectral Normalization for GANs", appendix B): the DCGAN's stride-2 layers become
 * residual blocks, each with a 1×1 shortcut, as plain TF.js layers models (stock Add, UpSampling2D, AveragePooling2D and
 * GlobalAveragePooling2D, so they load with `tf.loadLayersModel` anywhere).
 *
 *   G block up:    x → (BN) → ReLU → upsample ×2 → conv 3×3 → (BN) → ReLU → conv 3×3   +   upsample ×2 → conv 1×1
 *   D block down:  x → ReLU → conv 3×3 → ReLU → conv 3×3 → avg-pool 2                 +   conv 1×1 → avg-pool 2
 *                  (the first block: no ReLU before its first conv, and its shortcut pools before the 1×1 conv)
 *
 *   generator:      z (+ label) → dense h/2^L·w/2^L·C_L → reshape → L blocks up (channels `filters` reversed)
 *                   → (BN) → ReLU → conv 3×3 channels → tanh
 *   discriminator:  x → L blocks down (channels `filters`) → ReLU → global average pool → features (+ label) → dense 1
 *
 * No batch norm in D (as in both papers; spectral normalisation is its usual companion). Sides not divisible by 2^L are
 * padded and cropped as in the DCGAN nets (nets/conv.ts).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../engine/rng.js';
import { BN, apply, checkPalette, finishDiscriminator, lastLayerOf, paddedImage, paletteImage, projectNoise, type DcganDiscriminatorOptions, type DcganGeneratorOptions, type DiscriminatorNets } from './dcgan.js';
import { batchNormalization, conv2d } from './layers.js';
import { checkShape, kernelInit } from './mlp.js';

type Tensor = tfl.SymbolicTensor;

const conv = (name: string, filters: number, kernelSize: number, rng: Rng, useBias = true): tfl.layers.Layer =>
  conv2d({ filters, kernelSize, padding: 'same', useBias, kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name });

/** A residual block that doubles the sides (see the file comment). */
function blockUp(name: string, x: Tensor, filters: number, batchNorm: boolean, rng: Rng): Tensor {
  let h = x;
  if (batchNorm) h = apply(batchNormalization({ ...BN, name: `${name}_bn1` }), h);
  h = apply(tfl.layers.reLU({ name: `${name}_relu1` }), h);
  h = apply(tfl.layers.upSampling2d({ size: [2, 2], interpolation: 'nearest', name: `${name}_up` }), h);
  h = apply(conv(`${name}_conv1`, filters, 3, rng, !batchNorm), h);
  if (batchNorm) h = apply(batchNormalization({ ...BN, name: `${name}_bn2` }), h);
  h = apply(tfl.layers.reLU({ name: `${name}_relu2` }), h);
  h = apply(conv(`${name}_conv2`, filters, 3, rng), h);
  let skip = apply(tfl.layers.upSampling2d({ size: [2, 2], interpolation: 'nearest', name: `${name}_skip_up` }), x);
  skip = apply(conv(`${name}_skip`, filters, 1, rng), skip);
  return apply(tfl.layers.add({ name: `${name}_add` }), [h, skip]);
}

/** A residual block that halves the sides (see the file comment). */
function blockDown(name: string, x: Tensor, filters: number, first: boolean, rng: Rng): Tensor {
  let h = first ? x : apply(tfl.layers.reLU({ name: `${name}_relu0` }), x);
  h = apply(conv(`${name}_conv1`, filters, 3, rng), h);
  h = apply(tfl.layers.reLU({ name: `${name}_relu1` }), h);
  h = apply(conv(`${name}_conv2`, filters, 3, rng), h);
  h = apply(tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, name: `${name}_pool` }), h);
  const pool = tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, name: `${name}_skip_pool` });
  const skip = first ? apply(conv(`${name}_skip`, filters, 1, rng), apply(pool, x)) : apply(pool, apply(conv(`${name}_skip`, filters, 1, rng), x));
  return apply(tfl.layers.add({ name: `${name}_add` }), [h, skip]);
}

/** Residual generator (see the file comment). Output [batch, h, w, c] in (−1, 1). */
export function buildResidualGenerator(options: DcganGeneratorOptions): tfl.LayersModel {
  const { name, filters = [32, 64], batchNorm, outputActivation = 'tanh', palette = 0, rng } = options;
  checkPalette(`${name} palette`, palette);
  const start = projectNoise(options, kernelInit(rng), true);
  const { inputs, crop, channels: c } = start;
  let x = start.x;
  [...filters].reverse().forEach((f, i) => (x = blockUp(`${name}_block${i + 1}`, x, f, batchNorm, rng)));
  if (batchNorm) x = apply(batchNormalization({ ...BN, name: `${name}_bn_out` }), x);
  x = apply(tfl.layers.reLU({ name: `${name}_relu_out` }), x);
  x = apply(conv2d({ ...lastLayerOf(palette, c, outputActivation), kernelSize: 3, padding: 'same', kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_out` }), x);
  if (palette > 0) x = paletteImage(name, x, start.flat, c, outputActivation, rng);
  return tfl.model({ inputs, outputs: crop(x), name });
}

/** Residual discriminator (see the file comment; `batchNorm` is not used: no batch norm in D). */
export function buildResidualDiscriminator(options: DcganDiscriminatorOptions): DiscriminatorNets {
  const { name, extraInputs = [], filters = [32, 64], minibatch, rng } = options;
  const start = paddedImage(name, options.input, filters);
  const { image } = start;
  let x = start.x;
  filters.forEach((f, i) => (x = blockDown(`${name}_block${i + 1}`, x, f, i === 0, rng)));
  x = apply(tfl.layers.reLU({ name: `${name}_relu_out` }), x);
  x = apply(tfl.layers.globalAveragePooling2d({ name: `${name}_pool_out` }), x);
  extraInputs.forEach((s, i) => checkShape(`${name} input ${i + 2}`, s));
  const labels = extraInputs.map((shape, i) => tfl.input({ shape: [...shape], name: `${name}_in${i + 2}` }));
  return finishDiscriminator(name, [image, ...labels], x, minibatch, rng, labels);
}
