/**
 * LAPGAN (Denton et al. 2015, "Deep Generative Image Models using a Laplacian Pyramid of Adversarial Networks"): a
 * coarse-to-fine pyramid of GANs. With L levels (MNIST: 7×7, 14×14, 28×28):
 *
 *   level 0:      a GAN of the coarsest images I_0 = d^{L−1}(x)             G_0(z) ≈ I_0
 *   level k ≥ 1:  a conditional GAN of the Laplacian band h_k = I_k − u(I_{k−1}) given l_k = u(I_{k−1}):
 *                 G_k(z, l_k) ≈ h_k; D_k judges the pair (h_k, l_k), real bands against generated ones. With
 *                 `projectBands` (genlab's addition, default on) G_k's output is made a band, its 2×2 block means
 *                 removed (nets/lapgan.ts projectOntoBands), as every real band's are
 *   sampling:     Ĩ_0 = G_0(z_0), Ĩ_k = u(Ĩ_{k−1}) + G_k(z_k, u(Ĩ_{k−1})), coarse to fine (paper eq. 3)
 *
 * Each level trains on the real pyramid of the batch, independently of the others (paper §3.2), so the loss groups
 * are `discriminator-k` then `generator-k` per level, each with its own optimiser: D maximises the cross-entropy
 * objective of Goodfellow et al. 2014 and G the non-saturating one (gan-losses.ts), or both play the hinge game
 * (`loss`). The pyramid (d: 2×2 means, u: nearest 2× upsampling) and the networks are in nets/lapgan.ts.
 *
 * As in the GAN family, images are modelled in [−1, 1] (G_0's output clipped, or its tanh without `exactBounds`);
 * every level's image is clipped to [−1, 1] while sampling, so the next level is conditioned on images of the range
 * it trained on. The code z of `noise` and `generate` is the levels' codes side by side ([n, levels · latent]), so
 * interpolating it moves every level. `save(dir)` writes generator-k/ and discriminator-k/ per level (stock TF.js
 * folders) and genlab-model.json; with `emaDecay` generator-k/ holds the moving average that sampling uses and
 * generator-k-trained/ G_k as trained, which training continues from; with `spectralNorm` spectral-norm-k.bin holds
 * D_k's power-iteration vectors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { GenlabError, badFile, badInput } from '../engine/errors.js';
import { joinPath, loadLayersModel, writeModelDir } from '../engine/model-io.js';
import { Rng } from '../engine/rng.js';
import { boundBand, buildLevelGenerator, buildLevelNets, defaultLevels, gaussianPyramid, levelShapes, projectOntoBands, upsample, type LevelNets } from '../nets/lapgan.js';
import { MAX_EMA_DECAY, TRAINED_SUFFIX, startAverageOf, takeIntoAverage, type AverageState } from './average.js';
import { applyDiscriminator, keepingState, trainableVariables } from './adversarial.js';
import {
  MODE_SEEKING_DISTANCES,
  checkStddevGroup,
  discriminatorHingeLoss,
  discriminatorMinimaxLoss,
  generatorNonSaturatingLoss,
  generatorWassersteinLoss,
  modeSeekingLossIn,
  type ModeSeekingDistance,
} from './gan-losses.js';
import { checkBatchShape, derivedOnce } from './inputs.js';
import { ARCHS, MODEL_FILE, modelFileBase, readModelFile, type Arch, type DataInfo, type LossGroup, type LossTerms, type TensorBatch, type TrainableModel } from './model.js';
import { checkChoice, checkNumber } from './validate.js';
import type { GanLoss } from './gan.js';
import { randomNormal } from '../engine/kernels/random.js';
import { SpectralNorm } from '../nets/spectral-norm.js';
import { encodeSpectralNorm, loadSpectralNorm } from './gan-state.js';

export interface LapganConfig {
  /** Pyramid levels, the coarsest a plain GAN. Default: halve while the sides stay even and ≥ 7 px (MNIST: 3). */
  levels: number;
  /** Size of each level's noise z. Default 100. */
  latent: number;
  /**
   * Level 0's networks: 'mlp' (the paper's MNIST coarse GAN, default) or 'conv', the DCGAN's G and D at the coarsest
   * size (nets/dcgan.ts, with `filters`). With real 14×14 digits under the generated finest band a two-level pyramid
   * scores FID 1.2 and recall 0.82, fully generated 38 and 0.33 (seed 0, 10,000 samples): the MLP GAN of level 0 is
   * where its variety goes. Two levels with 'conv', 5.85 minutes (README): recall 0.49 against 0.34, FID 43.7 against 39.3.
   */
  arch: Arch;
  /** Level 0's MLP widths (G's; D uses them reversed) with arch 'mlp'. Default [256, 256]. */
  hidden: number[];
  /**
   * Band levels: D's stride-2 convolutions, shallow to deep; G's stride-1 3×3 convolutions mirror them (and level 0's
   * DCGAN with arch 'conv'). Default [32, 64].
   */
  filters: number[];
  /** Batch norm in the generators and the conv discriminators (not on D's first layer; never in an MLP D_0). Default true. */
  batchNorm: boolean;
  /**
   * Each generated band with its 2×2 block means removed, as a real band's are, so a discriminator cannot tell them
   * apart by those (nets/lapgan.ts projectOntoBands). Default true; false for models saved before it existed.
   */
  projectBands: boolean;
  /**
   * Generated levels reach the ends of [−1, 1] exactly, as real images do (MNIST's background is −1 on 82% of the
   * pixels): G_0's output is clipped to [−1, 1] instead of squashed by tanh (which reaches −1 only in the limit), and
   * each band is scaled by 1 − |l| for its condition l (nets/lapgan.ts boundBand), so a block at a bound gets no band,
   * as a real one has none. Without it 17% of the sampled digits' pixels were grey specks in [0.02, 0.1) (real
   * 1.3%). Two epochs, 10,000 samples, seed 0: FID 86.2 (off) → 78.6 (G_0 clipped) → 70.8 (and bounded bands),
   * recall 0.09 → 0.17; seed 1: 93.1 → 85.6. Default true; false for models saved before it existed.
   */
  exactBounds: boolean;
  /**
   * Updates of each level's D and then G per batch (each on the batch), coarsest first. The small GANs of the coarse
   * levels cost little beside the finest and are the pyramid's weakest parts (MNIST, one epoch: real 7×7 images with
   * the generated bands score FID 54, real 14×14 images with the generated finest band 4.8, fully generated samples
   * 204). After two epochs, 10,000 samples: FID 159.1 with [1, 1, 1], 114.4 with [4, 1, 1], 106.4 with [8, 1, 1],
   * 86.2 with [8, 2, 1] (the DCGAN: 105.7). Default [8, 2, 1, 1, …]; one update a level for models saved before it.
   */
  levelSteps: number[];
  /**
   * Decay β of an exponential moving average of every level's G (Polyak & Juditsky 1992; for GANs Karras et al. 2018,
   * Yazıcı et al. 2019), which sampling and the saved generator-k/ use; D trains against G as trained. 0 = off
   * (default): it is for long runs. Two epochs with 0.999 (seed 0, 2,000 samples): FID 86.3 against 71.6 without, the
   * finest level's average (1,876 updates, a horizon of 1,000) the cause: level 0's alone 71.2, levels 0 and 1 73.2.
   */
  emaDecay: number;
  /**
   * Every level's adversarial objective: 'nonsaturating' (the paper's: D the cross-entropy of Goodfellow et al. 2014,
   * G the non-saturating one) or 'hinge' (Lim & Ye 2017; Miyato et al. 2018 eq. 16–17: D's raw score, margin 1).
   */
  loss: GanLoss;
  /**
   * Minibatch standard deviation in every level's D (Karras et al. 2018, §3; models/gan-losses.ts): D also sees its
   * features' standard deviation over each group of this many examples, so a level whose samples vary less than the
   * data's is told. 0 = off (default).
   */
  minibatchStddev: number;
  /**
   * Weight λ of the mode-seeking term (Mao et al. 2019; models/gan-losses.ts `modeSeekingLoss`) in level 0's G loss:
   * two codes should give coarse images as far apart as the codes are. Level 0 only: it is unconditional, so every two
   * examples of its batch make a pair, where each band's condition is its own example's. 0 = off (default).
   */
  modeSeeking: number;
  /**
   * Where the mode-seeking term compares two coarse images: 'pixels' (the paper's, default) or 'discriminator', the
   * root mean square distance of D_0's last hidden features of them (as the GANs' `modeSeekingDistance`).
   */
  modeSeekingDistance: ModeSeekingDistance;
  /**
   * Spectral normalisation of every level's D (Miyato et al. 2018; nets/spectral-norm.ts): each dense and conv kernel
   * used as W/σ(W), σ by one power iteration per update of that D; no batch norm in the band discriminators then, as
   * in the GANs. u and v of level k saved in spectral-norm-k.bin. Default false.
   */
  spectralNorm: boolean;
}

/** The GAN family's objectives a LAPGAN takes. */
export const LAPGAN_LOSSES = ['nonsaturating', 'hinge'] as const satisfies readonly GanLoss[];

/** `levelSteps` unless given: many updates of the cheap coarsest GAN, two of the next, one of the others. */
export function defaultLevelSteps(levels: number): number[] {
  return Array.from({ length: levels }, (_, k) => (k === 0 ? 8 : k === 1 ? 2 : 1));
}

/** Most levels: 8 already need sides divisible by 128. */
export const MAX_LAPGAN_LEVELS = 8;
/** Most updates of one level per batch. */
export const MAX_LEVEL_STEPS = 64;

/** One level's image in the networks' range, for training: the real target (image or band) and its condition. */
interface LevelData {
  real: tf.Tensor4D;
  /** u(I_{k−1}) for band levels; null at level 0. */
  coarse: tf.Tensor4D | null;
}

/** With a moving average: the folder of G_k as trained (generator-k/ holds the averaged weights). */
const trainedDir = (k: number): string => `generator-${k}${TRAINED_SUFFIX}`;
/** With the minibatch standard deviation: the folder of D_k's head. */
const headDir = (k: number): string => `discriminator-${k}-head`;
/** With spectral normalisation: the file of D_k's power-iteration vectors. */
const spectralFile = (k: number): string => `spectral-norm-${k}.bin`;

export class LAPGAN implements TrainableModel {
  readonly kind = 'lapgan';
  readonly config: LapganConfig;
  readonly dataShape: readonly number[];
  readonly dataKind = 'images' as const;
  readonly classes: readonly string[] | undefined;
  /** G and D of every level, coarsest first. */
  readonly nets: readonly LevelNets[];
  /** Image shape of every level, coarsest first. */
  readonly levelShapes: readonly [number, number, number][];

  /** With `emaDecay`: per level the averaged G. */
  private readonly averages: AverageState[] | null;
  /** With `spectralNorm`: per level the normaliser of D's kernels. */
  private readonly spectral: SpectralNorm[] | null;

  private constructor(config: LapganConfig, data: DataInfo, nets: LevelNets[], averages: AverageState[] | null, spectral: SpectralNorm[] | null) {
    if ((config.emaDecay > 0) !== (averages !== null)) throw new GenlabError('internal', 'lapgan: averaged generators exactly when emaDecay > 0');
    if (config.spectralNorm !== (spectral !== null)) throw new GenlabError('internal', 'lapgan: spectral normalisers exactly when spectralNorm is on');
    this.config = config;
    this.dataShape = [...data.shape];
    this.classes = data.classes ? [...data.classes] : undefined;
    this.levelShapes = levelShapes(data.shape, config.levels, 'levels');
    this.nets = nets;
    this.averages = averages;
    this.spectral = spectral;
  }

  /** Validated config with defaults for images of `data`. */
  static resolveConfig(options: Partial<LapganConfig>, data: DataInfo): LapganConfig {
    if (data.kind !== 'images' || data.shape.length !== 3) {
      throw badInput('lapgan: data', `a Laplacian pyramid needs images [height, width, channels], got ${data.kind} [${data.shape.join(', ')}]`);
    }
    const [h, w] = data.shape as [number, number, number];
    const levels = options.levels ?? defaultLevels(h, w);
    checkNumber('levels', levels, 1, true, MAX_LAPGAN_LEVELS, 'each level halves the image'); // before the per-level defaults
    const config: LapganConfig = {
      levels,
      arch: options.arch ?? 'mlp',
      latent: options.latent ?? 100,
      hidden: [...(options.hidden ?? [256, 256])],
      filters: [...(options.filters ?? [32, 64])],
      batchNorm: options.batchNorm ?? true,
      projectBands: options.projectBands ?? true,
      exactBounds: options.exactBounds ?? true,
      levelSteps: [...(options.levelSteps ?? defaultLevelSteps(levels))],
      emaDecay: options.emaDecay ?? 0,
      loss: options.loss ?? 'nonsaturating',
      minibatchStddev: options.minibatchStddev ?? 0,
      modeSeeking: options.modeSeeking ?? 0,
      modeSeekingDistance: options.modeSeekingDistance ?? 'pixels',
      spectralNorm: options.spectralNorm ?? false,
    };
    checkChoice('arch', config.arch, ARCHS);
    checkChoice('loss', config.loss, LAPGAN_LOSSES);
    checkNumber('emaDecay', config.emaDecay, 0, false, MAX_EMA_DECAY);
    checkNumber('latent', config.latent, 1, true);
    checkNumber('modeSeeking', config.modeSeeking, 0);
    checkChoice('modeSeekingDistance', config.modeSeekingDistance, MODE_SEEKING_DISTANCES);
    checkStddevGroup('minibatchStddev', config.minibatchStddev);
    if (config.levelSteps.length !== config.levels) throw badInput('levelSteps', `expected one count per level (${config.levels}), got ${config.levelSteps.length}`);
    config.levelSteps.forEach((n) => checkNumber('levelSteps', n, 1, true, MAX_LEVEL_STEPS, 'each is a D and a G update on the batch'));
    if (config.arch === 'mlp' && config.hidden.length === 0) throw badInput('hidden', 'level 0’s MLP discriminator needs at least one hidden layer');
    config.hidden.forEach((u) => checkNumber('hidden', u, 1, true));
    if (config.filters.length === 0) throw badInput('filters', 'expected at least one convolution');
    config.filters.forEach((f) => checkNumber('filters', f, 1, true));
    for (const flag of ['batchNorm', 'projectBands', 'exactBounds', 'spectralNorm'] as const) {
      if (typeof config[flag] !== 'boolean') throw badInput(flag, `expected true or false, got ${String(config[flag])}`);
    }
    levelShapes(data.shape, config.levels, 'levels');
    return config;
  }

  /** A new LAPGAN with seeded weights, level by level. */
  static create(options: Partial<LapganConfig>, data: DataInfo, rng: Rng): LAPGAN {
    const config = LAPGAN.resolveConfig(options, data);
    const shapes = levelShapes(data.shape, config.levels, 'levels');
    const netOptions = (level: number, netRng: Rng) => ({ level, shape: shapes[level]!, coarseArch: config.arch, latent: config.latent, hidden: config.hidden, filters: config.filters, batchNorm: config.batchNorm, discriminatorBatchNorm: config.batchNorm && !config.spectralNorm, minibatchStddev: config.minibatchStddev, coarseOutput: config.exactBounds ? ('linear' as const) : ('tanh' as const), rng: netRng });
    const nets = shapes.map((_, level) => buildLevelNets(netOptions(level, rng)));
    // Each average's copy is built with any seed: its initial weights are overwritten.
    const averages = config.emaDecay > 0 ? nets.map((net, level) => startAverageOf(net.generator, buildLevelGenerator(netOptions(level, new Rng(0))))) : null;
    // u drawn after every network's weights, so a config without it seeds the weights as before.
    const spectral = config.spectralNorm ? nets.map((net) => SpectralNorm.create([net.discriminator, net.head], rng)) : null;
    return new LAPGAN(config, data, nets, averages, spectral);
  }

  /** Loads a LAPGAN saved by `save`. */
  static async load(dir: string): Promise<LAPGAN> {
    const file = await readModelFile(dir);
    if (file.kind !== 'lapgan') throw badFile(joinPath(dir, MODEL_FILE), `kind '${file.kind}' is not lapgan`);
    const data: DataInfo = { shape: file.dataShape, kind: file.dataKind, ...(file.classes ? { classes: file.classes } : {}) };
    // A model saved before projectBands, levelSteps and exactBounds existed: raw bands, one update a level per batch,
    // G_0's tanh (its saved network has it), unbounded bands.
    const recorded = file.config as Partial<LapganConfig>;
    const levels = typeof recorded.levels === 'number' ? recorded.levels : defaultLevels(data.shape[0]!, data.shape[1]!);
    const config = LAPGAN.resolveConfig({ projectBands: false, levelSteps: Array.from({ length: levels }, () => 1), exactBounds: false, ...recorded }, data);
    const nets: LevelNets[] = [];
    const loaded: tfl.LayersModel[] = [];
    const open = async (name: string): Promise<tfl.LayersModel> => {
      const net = await loadLayersModel(joinPath(dir, name));
      loaded.push(net);
      return net;
    };
    const averaged = config.emaDecay > 0;
    const counts = (file.state as { ema?: { counts?: unknown } } | undefined)?.ema?.counts;
    if (averaged && !(Array.isArray(counts) && counts.length === config.levels && counts.every((c) => Number.isSafeInteger(c) && c >= 0))) {
      throw badFile(joinPath(dir, MODEL_FILE), `"state.ema.counts" must be ${config.levels} non-negative integers with emaDecay > 0, got ${JSON.stringify(counts) ?? 'nothing'}`);
    }
    const specs = (file.state as { spectralNorm?: { specs?: unknown } } | undefined)?.spectralNorm?.specs;
    if (config.spectralNorm && !(Array.isArray(specs) && specs.length === config.levels && specs.every(Array.isArray))) {
      throw badFile(joinPath(dir, MODEL_FILE), `"state.spectralNorm.specs" must be ${config.levels} lists with spectralNorm, got ${JSON.stringify(specs) ?? 'nothing'}`);
    }
    const averages: AverageState[] = [];
    const spectral: SpectralNorm[] = [];
    try {
      // With a moving average generator-k/ holds the averaged weights (what sampling uses), generator-k-trained/ G_k as trained.
      for (let k = 0; k < config.levels; k++) {
        const generator = await open(averaged ? trainedDir(k) : `generator-${k}`);
        const discriminator = await open(`discriminator-${k}`);
        nets.push({ generator, discriminator, head: config.minibatchStddev > 0 ? await open(headDir(k)) : null });
        if (averaged) averages.push({ generator: await open(`generator-${k}`), count: (counts as number[])[k]! });
        if (config.spectralNorm) spectral.push(await loadSpectralNorm(dir, (specs as tf.io.WeightsManifestEntry[][])[k]!, [nets[k]!.discriminator, nets[k]!.head], spectralFile(k)));
      }
    } catch (e) {
      loaded.forEach((net) => net.dispose());
      spectral.forEach((sn) => sn.dispose());
      throw e;
    }
    return new LAPGAN(config, data, nets, averaged ? averages : null, config.spectralNorm ? spectral : null);
  }

  /** Size of the whole code z: one `config.latent` block per level, coarsest first. */
  get latent(): number {
    return this.config.levels * this.config.latent;
  }

  /** Codes z ~ N(0, I): [n, levels · latent], seeded by `rng`. */
  noise(n: number, rng: Rng): tf.Tensor2D {
    return randomNormal([n, this.latent], rng.tfSeed());
  }

  /**
   * Every level's image of codes z [n, levels · latent], coarsest first, in [0, 1]: Ĩ_0 = G_0(z_0), then
   * Ĩ_k = clip(u(Ĩ_{k−1}) + G_k(z_k, u(Ĩ_{k−1}))) (the file comment); what the pyramid adds at each level.
   */
  generateLevels(z: tf.Tensor): tf.Tensor4D[] {
    if (z.rank !== 2 || z.shape[1] !== this.latent) throw badInput('lapgan.generate', `expected codes [n, ${this.latent}], got [${z.shape.join(', ')}]`);
    const n = z.shape[0]!;
    const code = (k: number): tf.Tensor => tf.slice(z, [0, k * this.config.latent], [n, this.config.latent]);
    return tf.tidy(() => {
      const levels = [tf.clipByValue(this.samplingGenerator(0).apply(code(0), { training: false }) as tf.Tensor, -1, 1) as tf.Tensor4D];
      for (let k = 1; k < this.config.levels; k++) {
        const coarse = upsample(levels[k - 1]!);
        const band = this.band(this.samplingGenerator(k).apply([code(k), coarse], { training: false }) as tf.Tensor4D, coarse);
        levels.push(tf.clipByValue(tf.add(coarse, band), -1, 1) as tf.Tensor4D);
      }
      return levels.map((image) => tf.mul(tf.add(image, 1), 0.5) as tf.Tensor4D);
    });
  }

  /** The generator of level k that sampling runs: the moving average of G_k's weights with `emaDecay`, else G_k. */
  samplingGenerator(k: number): tfl.LayersModel {
    return this.averages?.[k]!.generator ?? this.nets[k]!.generator;
  }

  /** The spectral normaliser of D_k's kernels, or null without `spectralNorm`. */
  spectralNormaliser(k: number): SpectralNorm | null {
    return this.spectral?.[k] ?? null;
  }

  /** Updates of G_k the moving average of level k has taken in (0 without one). */
  averageCount(k: number): number {
    return this.averages?.[k]!.count ?? 0;
  }

  /** Images of codes z [n, levels · latent], generated coarse to fine: [n, ...dataShape] in [0, 1]. */
  generate(z: tf.Tensor): tf.Tensor {
    const levels = this.generateLevels(z);
    tf.dispose(levels.slice(0, -1));
    return levels[levels.length - 1]!;
  }

  /** n new images, coarse to fine, from codes seeded by `rng`: [n, ...dataShape] in [0, 1]. */
  sample(n: number, rng: Rng): tf.Tensor {
    checkNumber('lapgan.sample: n', n, 1, true);
    const z = this.noise(n, rng);
    try {
      return this.generate(z);
    } finally {
      z.dispose();
    }
  }

  /**
   * Level k's real data of a batch in [−1, 1]: the coarsest image at level 0, else the band and u(I_{k−1}). Built once
   * per training step (derivedOnce), not once per update. Inside tf.tidy.
   */
  private levelData(batch: TensorBatch, k: number): LevelData {
    checkBatchShape(batch.x, this.dataShape, 'lapgan.loss');
    const images = derivedOnce(batch, 'lapgan-pyramid', () => gaussianPyramid(tf.sub(tf.mul(batch.x, 2), 1) as tf.Tensor4D, this.config.levels));
    if (k === 0) return { real: images[0]!, coarse: null };
    const [real, coarse] = derivedOnce(batch, `lapgan-band-${k}`, () => {
      const up = upsample(images[k - 1]!);
      return [tf.sub(images[k]!, up) as tf.Tensor4D, up];
    });
    return { real: real!, coarse: coarse! };
  }

  /**
   * D_k's logits [n] and last hidden features on level-k data (a band with its condition side by side in channels
   * above level 0).
   */
  private judge(k: number, target: tf.Tensor, coarse: tf.Tensor | null, training: boolean): { out: tf.Tensor1D; features: tf.Tensor2D } {
    const input = coarse ? tf.concat([target, coarse], 3) : target;
    const minibatch = this.config.minibatchStddev > 0 ? { stddevGroup: this.config.minibatchStddev } : undefined;
    const run = () => applyDiscriminator(this.nets[k]!, minibatch, input, training, input.shape[0]);
    return this.spectral ? this.spectral[k]!.apply(run) : run();
  }

  /** G_k's output on level-k conditions: an image at level 0, a band above. */
  private generateLevel(k: number, z: tf.Tensor, coarse: tf.Tensor | null, training: boolean): tf.Tensor {
    const out = this.nets[k]!.generator.apply(coarse ? [z, coarse] : z, { training }) as tf.Tensor4D;
    // Level 0 clipped as sampling clips it (a no-op on tanh's outputs).
    return coarse ? this.band(out, coarse as tf.Tensor4D) : tf.clipByValue(out, -1, 1);
  }

  /**
   * A band generator's output as the band it stands for, given its condition: projected onto the bands with
   * `projectBands`, bounded by the condition with `exactBounds` (nets/lapgan.ts projectOntoBands, boundBand).
   */
  private band(out: tf.Tensor4D, condition: tf.Tensor4D): tf.Tensor4D {
    const band = this.config.projectBands ? projectOntoBands(out) : out;
    return this.config.exactBounds ? boundBand(band, condition) : band;
  }

  /**
   * D_k's terms on a batch: G_k runs in training mode with its batch-norm state kept (G is fixed). `real` and `fake`
   * are D_k's mean output: probabilities with the non-saturating loss, raw scores with the hinge.
   */
  discriminatorTerms(k: number, batch: TensorBatch, rng: Rng): LossTerms {
    const seed = rng.tfSeed();
    return tf.tidy(() => {
      const { real, coarse } = this.levelData(batch, k);
      const n = real.shape[0];
      const fake = keepingState([this.nets[k]!.generator], () => this.generateLevel(k, randomNormal([n, this.config.latent], seed), coarse, true));
      const r = this.judge(k, real, coarse, true).out;
      const f = this.judge(k, fake, coarse, true).out;
      if (this.config.loss === 'hinge') return { loss: discriminatorHingeLoss(r, f), real: tf.mean(r) as tf.Scalar, fake: tf.mean(f) as tf.Scalar };
      return { loss: discriminatorMinimaxLoss(r, f), real: tf.mean(tf.sigmoid(r)) as tf.Scalar, fake: tf.mean(tf.sigmoid(f)) as tf.Scalar };
    });
  }

  /**
   * G_k's loss (non-saturating, or −E[D] with the hinge) on a batch's conditions: D_k runs in training mode with its
   * state kept (D is fixed). With modeSeeking, level 0 adds λ·the mode-seeking term (terms adversarial, modeSeeking).
   */
  generatorTerms(k: number, batch: TensorBatch, rng: Rng): LossTerms {
    const seed = rng.tfSeed();
    return tf.tidy((): LossTerms => {
      const { real, coarse } = this.levelData(batch, k);
      const z = randomNormal([real.shape[0], this.config.latent], seed);
      const fake = this.generateLevel(k, z, coarse, true);
      const f = keepingState([this.nets[k]!.discriminator, this.nets[k]!.head], () => this.judge(k, fake, coarse, true));
      const adversarial = this.config.loss === 'hinge' ? generatorWassersteinLoss(f.out) : generatorNonSaturatingLoss(f.out);
      if (k > 0 || this.config.modeSeeking === 0) return { loss: adversarial };
      const modeSeeking = modeSeekingLossIn(this.config.modeSeekingDistance, fake, f.features, z);
      return { loss: tf.add(adversarial, tf.mul(modeSeeking, this.config.modeSeeking)) as tf.Scalar, adversarial, modeSeeking };
    });
  }

  lossGroups(): LossGroup[] {
    return this.nets.flatMap((net, k) => [
      {
        name: `discriminator-${k}`,
        variables: trainableVariables([net.discriminator, net.head]),
        loss: (batch: TensorBatch, rng: Rng) => {
          this.spectral?.[k]!.powerIteration(); // one per D update (Miyato et al. 2018, Algorithm 1), before D runs
          return this.discriminatorTerms(k, batch, rng);
        },
        steps: this.config.levelSteps[k]!,
      },
      {
        name: `generator-${k}`,
        variables: trainableVariables([net.generator]),
        loss: (batch: TensorBatch, rng: Rng) => this.generatorTerms(k, batch, rng),
        steps: this.config.levelSteps[k]!,
        ...(this.averages ? { afterUpdate: () => takeIntoAverage(this.averages![k]!, net.generator, this.config.emaDecay) } : {}),
      },
    ]);
  }

  /**
   * Held-out terms, no state changed: per level `discriminator-k` and `generator-k` (the losses of its groups on
   * test data against fresh samples), and `loss`, the discriminators' losses summed (as a GAN's `loss` is D's).
   */
  evaluate(batch: TensorBatch, rng: Rng): Record<string, tf.Scalar> {
    const all = this.nets.flatMap((n) => [n.generator, n.discriminator, n.head]);
    return tf.tidy(() =>
      keepingState(all, () => {
        const out: Record<string, tf.Scalar> = {};
        const d = this.nets.map((_, k) => this.discriminatorTerms(k, batch, rng).loss);
        out['loss'] = tf.addN(d) as tf.Scalar;
        d.forEach((loss, k) => {
          out[`discriminator-${k}`] = loss;
          out[`generator-${k}`] = this.generatorTerms(k, batch, rng).loss;
        });
        return out;
      }),
    );
  }

  /** Every variable the model owns: per level G's and D's trainable ones, then the averaged generators' weights, then u, v of D's kernels. */
  variables(): tf.Variable[] {
    const averaged = (this.averages ?? []).flatMap((a) => a.generator.weights.map((w) => w.read() as tf.Variable));
    const vectors = (this.spectral ?? []).flatMap((sn) => [...sn.u, ...sn.v]);
    return [...this.nets.flatMap((n) => trainableVariables([n.generator, n.discriminator, n.head])), ...averaged, ...vectors];
  }

  /** Writes generator-k/, discriminator-k/ per level and genlab-model.json into `dir`, atomically. */
  async save(dir: string): Promise<void> {
    const networks: Record<string, tfl.LayersModel> = {};
    const described: Record<string, string> = {};
    const verdict = this.config.loss === 'hinge' ? 'a score (higher = more real; hinge loss)' : 'a logit (σ gives P(real))';
    this.levelShapes.forEach(([h, w, c], k) => {
      networks[`generator-${k}`] = this.samplingGenerator(k);
      if (this.averages) networks[trainedDir(k)] = this.nets[k]!.generator;
      networks[`discriminator-${k}`] = this.nets[k]!.discriminator;
      const head = this.nets[k]!.head;
      if (head) networks[headDir(k)] = head;
      const coarse = `l = the level-${k - 1} image upsampled 2× (nearest) [${h}, ${w}, ${c}]`;
      described[`generator-${k}`] =
        k === 0
          ? `inputs: z [${this.config.latent}] ~ N(0, I); output: the coarsest image [${h}, ${w}, ${c}], ${this.config.exactBounds ? 'clipped to [−1, 1]' : 'tanh in [−1, 1]'}; image = (output + 1) / 2`
          : `inputs: z [${this.config.latent}] ~ N(0, I), ${coarse}, in [−1, 1]; output: the band h${this.config.projectBands ? ' after each 2×2 block’s mean is subtracted from the output' : ''}${this.config.exactBounds ? ', then multiplied by 1 − |l|' : ''}, level-${k} image = clip(l + h, −1, 1)`;
      described[`discriminator-${k}`] =
        k === 0
          ? `input: a coarsest image [${h}, ${w}, ${c}] in [−1, 1] (2·data − 1); outputs: [${verdict}, features]`
          : `input: [${h}, ${w}, ${2 * c}] = the band and ${coarse} concatenated in channels; outputs: [${verdict}, features]`;
      if (head) {
        described[`discriminator-${k}`] = described[`discriminator-${k}`]!.replace(`outputs: [${verdict}, features]`, 'output: features');
        described[headDir(k)] = `inputs: [features of discriminator-${k}, o = their standard deviation over each group of ${this.config.minibatchStddev} examples, averaged over the features]; output: ${verdict}`;
      }
    });
    if (this.averages) {
      this.averages.forEach((a, k) => {
        described[`generator-${k}`] += `; weights: the exponential moving average (decay ${this.config.emaDecay}, bias-corrected) of G_${k}'s over ${a.count} updates`;
        described[trainedDir(k)] = `generator-${k} as trained (same inputs and output), which training continues from`;
      });
    }
    const spectral = this.spectral ? await Promise.all(this.spectral.map((sn) => encodeSpectralNorm(sn))) : [];
    spectral.forEach((_, k) => {
      described[`discriminator-${k}`] += `; every dense and conv kernel W is used as W/σ, σ = vᵀ·reshape(W, [−1, out])·u with u, v of ${spectralFile(k)}`;
    });
    const file = modelFileBase(this, described);
    const state: Record<string, unknown> = {};
    if (this.averages) state['ema'] = { counts: this.averages.map((a) => a.count) };
    if (this.spectral) state['spectralNorm'] = { specs: spectral.map((s) => s.specs) };
    if (Object.keys(state).length > 0) file.state = state;
    const files = Object.fromEntries(spectral.map((s, k) => [spectralFile(k), new Uint8Array(s.data)]));
    await writeModelDir(dir, { networks, files, manifest: { name: MODEL_FILE, content: file } });
  }

  dispose(): void {
    this.nets.forEach((n) => {
      n.generator.dispose();
      n.discriminator.dispose();
      n.head?.dispose();
    });
    this.averages?.forEach((a) => a.generator.dispose());
    this.spectral?.forEach((sn) => sn.dispose());
  }
}
