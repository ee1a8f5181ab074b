/**
 * A super-resolution GAN (Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a Generative
 * Adversarial Network"), small: G upscales images averaged down by `scale` back to the data's size, D tells the
 * originals from G's upscalings. Two loss groups, each with the other network fixed (as the GAN's, gan.ts):
 *
 *   discriminator:  update D: minimise −log D(x) − log(1 − D(G(↓x)))                      (eq. 2)
 *   generator:      update G: minimise l_content(x, G(↓x)) + λ·(−log D(G(↓x)))            (eq. 3–6, λ = 10⁻³)
 *
 * with ↓ the s×s average pooling (`downscale`) and l_content the pixel MSE or, with `content: 'features'`, the MSE in
 * D's last hidden layer (the paper's VGG loss, with D's learned features in place of VGG's). The networks are
 * nets/srgan.ts's. Images only, in [0, 1], as everywhere in genlab; G's output is in [0, 1] too.
 *
 * An SRGAN cannot invent images from noise: it has no `sample`. The kinds table gives it the capability 'upscale'
 * (and no other, 'sample' included), which the trainer's per-epoch grid, `genlab upscale` and
 * `genlab eval` ask for. `save(dir)` writes generator/, discriminator/ (stock TF.js folders) and genlab-model.json.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { badFile, badInput } from '../engine/errors.js';
import { joinPath, loadLayersModel, writeModelDir } from '../engine/model-io.js';
import type { Rng } from '../engine/rng.js';
import { bicubicUpscale, buildSrganDiscriminator, buildSrganGenerator, checkScaleDivides, downscaleImages } from '../nets/srgan.js';
import { keepingState, trainableVariables } from './adversarial.js';
import { discriminatorMinimaxLoss, generatorNonSaturatingLoss } from './gan-losses.js';
import { checkBatchShape } from './inputs.js';
import { MODEL_FILE, modelFileBase, readModelFile, type DataInfo, type LossGroup, type LossTerms, type TensorBatch, type TrainableModel } from './model.js';
import { SRGAN_ADVERSARIAL_WEIGHT, featureContentLoss, perceptualLoss, pixelContentLoss, upscalingScores } from './srgan-losses.js';
import { checkChoice, checkNumber } from './validate.js';

/** G's content loss: pixel MSE (SRResNet-MSE) or MSE in D's features (the paper's VGG loss, D's features for VGG's). */
export const SRGAN_CONTENT_LOSSES = ['pixels', 'features'] as const;
export type SrganContentLoss = (typeof SRGAN_CONTENT_LOSSES)[number];

export interface SRGANConfig {
  /** Upscaling factor s: G sees the data averaged over s×s blocks. Default 2. */
  scale: number;
  /** Residual blocks B of G. Default 4 (the paper has 16). */
  residualBlocks: number;
  /** Channels of G's convolutions. Default 32 (the paper has 64). */
  generatorFilters: number;
  /** Filters of D's stride-2 convolutions. Default [32, 64]. */
  filters: number[];
  /** Batch norm in G's residual blocks and D (not D's first layer). Default true, as in the paper. */
  batchNorm: boolean;
  /** λ of the adversarial term in G's loss. Default 10⁻³ (eq. 3). */
  adversarialWeight: number;
  content: SrganContentLoss;
}

export class SRGAN implements TrainableModel {
  readonly kind = 'srgan';
  readonly config: SRGANConfig;
  readonly dataShape: readonly number[];
  readonly dataKind = 'images' as const;
  readonly classes: readonly string[] | undefined;
  readonly generator: tfl.LayersModel;
  readonly discriminator: tfl.LayersModel;
  /** Shape of G's input: the data's [H/s, W/s, c]. */
  readonly lowResShape: readonly [number, number, number];

  private constructor(config: SRGANConfig, data: DataInfo, generator: tfl.LayersModel, discriminator: tfl.LayersModel) {
    this.config = config;
    this.dataShape = [...data.shape];
    this.classes = data.classes ? [...data.classes] : undefined;
    this.generator = generator;
    this.discriminator = discriminator;
    const [h, w, c] = data.shape as [number, number, number];
    this.lowResShape = [h / config.scale, w / config.scale, c];
  }

  /** Validated config with defaults; the data must be images whose sides `scale` divides. */
  static resolveConfig(options: Partial<SRGANConfig>, data: DataInfo): SRGANConfig {
    if (data.kind !== 'images' || data.shape.length !== 3) throw badInput('srgan: data', `expected images [height, width, channels], got ${data.kind} [${data.shape.join(', ')}]`);
    const config: SRGANConfig = {
      scale: options.scale ?? 2,
      residualBlocks: options.residualBlocks ?? 4,
      generatorFilters: options.generatorFilters ?? 32,
      filters: [...(options.filters ?? [32, 64])],
      batchNorm: options.batchNorm ?? true,
      adversarialWeight: options.adversarialWeight ?? SRGAN_ADVERSARIAL_WEIGHT,
      content: options.content ?? 'pixels',
    };
    checkNumber('scale', config.scale, 2, true, 8);
    checkScaleDivides('scale', data.shape, config.scale);
    checkNumber('residualBlocks', config.residualBlocks, 0, true, 64);
    checkNumber('generatorFilters', config.generatorFilters, 1, true, 1024);
    if (config.filters.length === 0) throw badInput('filters', 'expected at least one convolution');
    config.filters.forEach((f) => checkNumber('filters', f, 1, true, 4096));
    checkNumber('adversarialWeight', config.adversarialWeight, 0);
    checkChoice('content', config.content, SRGAN_CONTENT_LOSSES);
    if (typeof config.batchNorm !== 'boolean') throw badInput('batchNorm', `expected true or false, got ${String(config.batchNorm)}`);
    return config;
  }

  /** A new SRGAN with seeded weights for images of `data.shape`. */
  static create(options: Partial<SRGANConfig>, data: DataInfo, rng: Rng): SRGAN {
    const config = SRGAN.resolveConfig(options, data);
    const [h, w, c] = data.shape as [number, number, number];
    const generator = buildSrganGenerator({
      name: 'generator',
      input: [h / config.scale, w / config.scale, c],
      scale: config.scale,
      filters: config.generatorFilters,
      residualBlocks: config.residualBlocks,
      batchNorm: config.batchNorm,
      rng,
    });
    const { discriminator } = buildSrganDiscriminator({ name: 'discriminator', input: data.shape, filters: config.filters, batchNorm: config.batchNorm, rng });
    return new SRGAN(config, data, generator, discriminator);
  }

  /** Loads an SRGAN saved by `save`. */
  static async load(dir: string): Promise<SRGAN> {
    const file = await readModelFile(dir);
    const path = joinPath(dir, MODEL_FILE);
    if (file.kind !== 'srgan') throw badFile(path, `kind '${file.kind}' is not an srgan`);
    const data: DataInfo = { shape: file.dataShape, kind: file.dataKind, ...(file.classes ? { classes: file.classes } : {}) };
    const config = SRGAN.resolveConfig(file.config as Partial<SRGANConfig>, data);
    const generator = await loadLayersModel(joinPath(dir, 'generator'));
    const discriminator = await loadLayersModel(joinPath(dir, 'discriminator'));
    return new SRGAN(config, data, generator, discriminator);
  }

  get scale(): number {
    return this.config.scale;
  }

  /** Images [n, H, W, c] of the data's shape averaged over s×s blocks: G's inputs [n, H/s, W/s, c]. */
  downscale(x: tf.Tensor): tf.Tensor4D {
    checkBatchShape(x, this.dataShape, 'srgan.downscale');
    return downscaleImages(x as tf.Tensor4D, this.scale);
  }

  /** G on low-resolution images [n, H/s, W/s, c] (batch norm in inference mode): [n, H, W, c] in [0, 1]. */
  upscale(lowRes: tf.Tensor): tf.Tensor4D {
    checkBatchShape(lowRes, this.lowResShape, 'srgan.upscale');
    return tf.tidy(() => this.generator.apply(lowRes, { training: false }) as tf.Tensor4D);
  }

  /** The baseline: bicubic upscaling (Keys a = −0.5) of low-resolution images [n, H/s, W/s, c] to [n, H, W, c]. */
  bicubic(lowRes: tf.Tensor): tf.Tensor4D {
    checkBatchShape(lowRes, this.lowResShape, 'srgan.bicubic');
    return bicubicUpscale(lowRes as tf.Tensor4D, [this.dataShape[0]!, this.dataShape[1]!]);
  }

  /** D on images [n, H, W, c]: its logits [n] and last hidden layer [n, F]. */
  private judge(x: tf.Tensor, training: boolean): { logits: tf.Tensor1D; features: tf.Tensor2D } {
    const [logit, features] = this.discriminator.apply(x, { training }) as tf.Tensor[];
    return { logits: tf.reshape(logit!, [-1]) as tf.Tensor1D, features: features as tf.Tensor2D };
  }

  /** D's cross-entropy on the batch's originals against G's upscalings of them (G fixed, its state kept). */
  private discriminatorTerms(batch: TensorBatch, training: boolean): LossTerms {
    checkBatchShape(batch.x, this.dataShape, 'srgan.loss');
    return tf.tidy(() => {
      const upscaled = keepingState([this.generator], () => this.generator.apply(downscaleImages(batch.x as tf.Tensor4D, this.scale), { training }) as tf.Tensor);
      const real = this.judge(batch.x, training).logits;
      const fake = this.judge(upscaled, training).logits;
      const loss = discriminatorMinimaxLoss(real, fake);
      return { loss, real: tf.mean(tf.sigmoid(real)) as tf.Scalar, fake: tf.mean(tf.sigmoid(fake)) as tf.Scalar };
    });
  }

  /** G's perceptual loss on the batch (D fixed, its state kept): content + λ·adversarial. */
  private generatorTerms(batch: TensorBatch, training: boolean, upscaled?: tf.Tensor): LossTerms {
    checkBatchShape(batch.x, this.dataShape, 'srgan.loss');
    return tf.tidy(() => {
      const sr = upscaled ?? (this.generator.apply(downscaleImages(batch.x as tf.Tensor4D, this.scale), { training }) as tf.Tensor);
      return keepingState([this.discriminator], () => {
        const fake = this.judge(sr, training);
        const content = this.config.content === 'pixels' ? pixelContentLoss(batch.x, sr) : featureContentLoss(this.judge(batch.x, training).features, fake.features);
        const adversarial = generatorNonSaturatingLoss(fake.logits);
        return { loss: perceptualLoss(content, adversarial, this.config.adversarialWeight), content, adversarial };
      });
    });
  }

  lossGroups(): LossGroup[] {
    return [
      { name: 'discriminator', variables: trainableVariables([this.discriminator]), loss: (batch) => this.discriminatorTerms(batch, true) },
      { name: 'generator', variables: trainableVariables([this.generator]), loss: (batch) => this.generatorTerms(batch, true) },
    ];
  }

  /**
   * Held-out terms, no state changed: PSNR (dB) and SSIM of G's upscalings of the batch's downscaled images against
   * the originals, the same for bicubic upscaling (the baseline to beat), and G's loss with its content and
   * adversarial terms (D in inference mode).
   */
  evaluate(batch: TensorBatch): Record<string, tf.Scalar> {
    checkBatchShape(batch.x, this.dataShape, 'srgan.evaluate');
    return tf.tidy(() => {
      const x = batch.x as tf.Tensor4D;
      const lowRes = downscaleImages(x, this.scale);
      const sr = this.upscale(lowRes);
      const model = upscalingScores(x, sr);
      const baseline = upscalingScores(x, this.bicubic(lowRes));
      const g = this.generatorTerms(batch, false, sr);
      return { psnr: model.psnr, ssim: model.ssim, bicubicPsnr: baseline.psnr, bicubicSsim: baseline.ssim, loss: g.loss, content: g['content']!, adversarial: g['adversarial']! };
    });
  }

  /** Writes generator/, discriminator/ and genlab-model.json into `dir`, atomically. */
  async save(dir: string): Promise<void> {
    const [h, w, c] = this.dataShape;
    const [lh, lw] = this.lowResShape;
    const file = modelFileBase(this, {
      generator: `input: an image [${lh}, ${lw}, ${c}] in [0, 1], the original averaged over ${this.scale}×${this.scale} blocks; output: its upscaling [${h}, ${w}, ${c}] in [0, 1]`,
      discriminator: `input: an image [${h}, ${w}, ${c}] in [0, 1]; outputs: [a logit (σ gives P(original)), features of the last hidden layer]`,
    });
    await writeModelDir(dir, { networks: { generator: this.generator, discriminator: this.discriminator }, manifest: { name: MODEL_FILE, content: file } });
  }

  variables(): tf.Variable[] {
    return trainableVariables([this.generator, this.discriminator]);
  }

  dispose(): void {
    this.generator.dispose();
    this.discriminator.dispose();
  }
}
