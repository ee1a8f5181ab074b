/**
 * Generative adversarial networks (Goodfellow et al. 2014), laid out like pytorch/examples `dcgan/main.py`: a
 * generator G: z → x and a discriminator D: x → "real?", trained in turn — two loss groups, the trainer updating each
 * with the other FIXED (each group lists only its own variables, and the other network's batch-norm statistics are
 * put back after it ran, so a step changes nothing of the other player):
 *
 *   discriminator (dSteps times):  update D: maximise log D(x) + log(1 − D(G(z)))        (or lsgan / wgan-gp)
 *   generator:                     update G: maximise log D(G(z))  (non-saturating)       (or the others)
 *
 * Kinds: `gan` (MLP nets, any data: 1-D, 2-D points, flattened images), `dcgan` (Radford et al. 2016 conv nets, images),
 * `cgan` (Mirza & Osindero 2014, "Conditional Generative Adversarial Nets": the one-hot class label is an input of both
 * G and D; the labelled analogue of text-to-image synthesis), `wgan-gp` (Gulrajani et al. 2017: critic, gradient
 * penalty, 5 critic steps per generator step). Every option combines with every kind where it makes sense
 * (`createModel('gan', { arch: 'conv', loss: 'lsgan', conditional: true }, …)`).
 *
 * The fixes of Salimans et al. 2016 ("Improved Techniques for Training GANs"), each a config flag: feature matching
 * (§3.1), minibatch discrimination (§3.2), historical averaging (§3.3), one-sided label smoothing (§3.4). Later ones:
 * spectral normalisation of D (`spectralNorm`, Miyato et al. 2018; nets/spectral-norm.ts: one power iteration per D
 * update, u and v saved in spectral-norm.bin) and an exponential moving average of G's weights (`emaDecay`, Karras et
 * al. 2018; Yazıcı et al. 2019), which `sample`, `generate`, `evaluate` and the saved generator/ use; for small image
 * sets, differentiable augmentation of whatever D sees in training (`diffAugment`, Zhao et al. 2020; diff-augment.ts).
 *
 * Data are in the dataset's range ([0, 1] for images): image models map real images to [−1, 1] inside, to match G's
 * tanh output, and map G's output back — `sample`, `generate` and `discriminate` speak the data's range. Points are
 * modelled as they are (linear output). Sampling z ~ N(0, I) happens outside the networks, so each network is a plain
 * layers model: `save(dir)` writes generator/, discriminator/ (+ discriminator-head/ with minibatch discrimination)
 * and genlab-model.json, plus history.bin with the historical averages, spectral-norm.bin with the power-iteration
 * vectors, and with the moving average generator/ holding the averaged weights and generator-trained/ the trained
 * ones, so a checkpoint resumes exactly. What the family shares with the VAE-GAN is in adversarial.ts, the state
 * besides the weights (historical averages, spectral-norm vectors) and its files in gan-state.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { badFile, badInput } from '../engine/errors.js';
import { joinPath, loadLayersModel, writeModelDir } from '../engine/model-io.js';
import { Rng } from '../engine/rng.js';
import { SpectralNorm } from '../nets/spectral-norm.js';
import { buildDcganGenerator, featureWidth, withPaletteWeights, type MinibatchOptions } from '../nets/dcgan.js';
import { diffAugment } from './diff-augment.js';
import { ADA_SPEED, checkAdaState, observeRealSigns, startAda, type AdaState } from './ada.js';
import { MAX_EMA_DECAY, TRAINED_SUFFIX, startAverageOf, takeIntoAverage, type AverageState } from './average.js';
import { MODEL_FILE, readModelFile, type DataInfo } from './model.js';
import { checkChoice, checkNumber } from './validate.js';
import {
  AdversarialBase,
  buildAdversarialGenerator,
  buildAdversarialNets,
  generatorInputs,
  keepingState,
  resolveNetConfig,
  trainableVariables,
  type AdversarialModelFile,
  type AdversarialNetConfig,
  type DiscriminatorOutput,
  type GanNetworks,
} from './adversarial.js';
import { SPECTRAL_NORM_FILE, createHistory, decodeHistory, encodeHistory, loadSpectralNorm, encodeSpectralNorm, updateHistory, HISTORY_FILE, type HistoryState } from './gan-state.js';
import {
  GRADIENT_PENALTY_WEIGHT,
  checkStddevGroup,
  criticWassersteinLoss,
  discriminatorHingeLoss,
  discriminatorReconstructionLoss,
  discriminatorLeastSquaresLoss,
  discriminatorMinimaxLoss,
  featureMatchingLoss,
  generatorLeastSquaresLoss,
  generatorMinimaxLoss,
  generatorNonSaturatingLoss,
  generatorWassersteinLoss,
  gradientPenalty,
  historicalAveragePenalty,
  MODE_SEEKING_DISTANCES,
  modeSeekingLossIn,
  paletteEntropy,
  r1Penalty,
  type ModeSeekingDistance,
} from './gan-losses.js';
import type { LossGroup, LossTerms, TensorBatch } from './model.js';
import { randomNormal } from '../engine/kernels/random.js';

export const GAN_KINDS = ['gan', 'dcgan', 'cgan', 'wgan-gp'] as const;
export type GanKind = (typeof GAN_KINDS)[number];

export const GAN_LOSSES = ['minimax', 'nonsaturating', 'lsgan', 'hinge', 'wgan-gp'] as const;
/**
 * The adversarial objective: `minimax` (Goodfellow et al. 2014, eq. 1; the generator's loss saturates),
 * `nonsaturating` (ibid. §3; the default), `lsgan` (Mao et al. 2017), `hinge` (Lim & Ye 2017; Miyato et al. 2018),
 * `wgan-gp` (Gulrajani et al. 2017).
 */
export type GanLoss = (typeof GAN_LOSSES)[number];


export interface GANConfig extends AdversarialNetConfig {
  loss: GanLoss;
  /** Discriminator updates per generator update (the D group's `steps`). Default 1, 5 for wgan-gp (n_critic). */
  dSteps: number;
  /** λ of the WGAN-GP gradient penalty. Default 10. */
  gpWeight: number;
  /** Generator matches D's mean features on real and generated data instead of maximising D's output (§3.1). */
  featureMatching: boolean;
  /** D sees, per example, how close it is to the rest of its batch (§3.2). */
  minibatchDiscrimination: boolean;
  /** Minibatch discrimination: B kernels of C dimensions. Default 32 × 4. */
  minibatchKernels: number;
  minibatchKernelDims: number;
  /**
   * Minibatch standard deviation (Karras et al. 2018, §3): D also sees, per group of this many examples, its features'
   * mean standard deviation over the group, so a generator with too little variety is told. 0 = off.
   */
  minibatchStddev: number;
  /** λ of historical averaging (§3.3), both players; 0 = off. */
  historicalAveraging: number;
  /** Class label (one-hot) into G and D. Default true for cgan. */
  conditional: boolean;
  /**
   * PacGAN packing (Lin et al. 2018, §3): D judges `pack` examples at once, all real or all generated, concatenated
   * (features for MLPs, channels for conv nets). 1 = off.
   */
  pack: number;
  /**
   * Instance noise (Sønderby et al. 2017, §3.1; Arjovsky & Bottou 2017, §3): N(0, σ²) added to every input of D, real
   * and generated, in the networks' range, with σ falling linearly from `instanceNoise` to 0 over
   * `instanceNoiseSteps` steps. Blurring both distributions makes them overlap, so D's gradient reaches modes G has
   * not found yet. 0 = off.
   */
  instanceNoise: number;
  instanceNoiseSteps: number;
  /** λ of the zero-centred gradient penalty on D's logits at real–generated interpolates (0-GP, Thanh-Tung et al. 2019); 0 = off. Not with wgan-gp, which has its own. */
  zeroCenteredPenalty: number;
  /** γ of the R1 penalty γ/2 E‖∇D(x)‖² on real examples (Mescheder et al. 2018); 0 = off. Not with wgan-gp. */
  r1Penalty: number;
  /**
   * Spectral normalisation of every dense and conv kernel of D (Miyato et al. 2018, "Spectral Normalization for
   * Generative Adversarial Networks"): W/σ(W), σ by one power iteration per D update (nets/spectral-norm.ts). D then
   * has no batch norm (the paper's D has none; G keeps `batchNorm`). Also with wgan-gp: normalisation and gradient
   * penalty constrain the critic in different ways and combine (Kurach et al. 2019 study such combinations).
   */
  spectralNorm: boolean;
  /**
   * Decay β of the exponential moving average of G's weights (Karras et al. 2018, "Progressive Growing of GANs";
   * Yazıcı et al. 2019, "The Unusual Effectiveness of Averaging in GAN Training"), taking in every G update,
   * bias-corrected (`updateAverage`); `sample`, `generate`, `evaluate` and the saved generator/ use it. 0 = off.
   */
  emaDecay: number;
  /**
   * Differentiable augmentation of everything D sees during training, real and generated, in both updates (Zhao et
   * al. 2020; diff-augment.ts: colour, translation, cutout), so that D cannot memorise a small data set. Images only.
   */
  diffAugment: boolean;
  /**
   * Adaptive augmentation (Karras et al. 2020, ADA; ada.ts): DiffAugment's transforms applied to each image D sees in
   * training with a probability p that starts at 0 and follows r_t = E[sign(D(x_real))] towards this target (the
   * paper's 0.6): D overfitting raises p. 0 = off. Instead of `diffAugment` (which is p = 1 throughout).
   */
  adaTarget: number;
  /** Images over which ADA's p can go from 0 to 1 (the paper's 500k). */
  adaSpeed: number;
  /**
   * One generated batch per step for both updates, as PyTorch's DCGAN example (pytorch/examples, dcgan/main.py)
   * does: G(z) is drawn once, on G's gradient tape; D's update trains on it, then G's update runs the updated D on
   * the same batch (LossGroup.wraps). One pass of G per step instead of two. Default: on when dSteps is 1.
   */
  shareFakes: boolean;
  /**
   * Generated images reach 0 and 1 exactly, as real ones do (MNIST: 81% of the test digits' pixels are exactly 0 and
   * 6% ≥ 0.99; a tanh reaches its ends only in the limit): G's last layer is linear and its output clipped to [−1, 1],
   * in training and sampling alike, as LAPGAN's coarsest level (lapgan.ts `exactBounds`). D sees what sampling gives.
   * Images only. Default false (G's tanh, Radford et al. 2016).
   */
  exactBounds: boolean;
  /**
   * Weight λ of the mean entropy of a palette G's per-pixel colour weights in G's loss (gan-losses.ts
   * `paletteEntropy`): each pixel pushed to one colour of its image's palette. Needs `palette`. 0 = off.
   */
  paletteEntropy: number;
  /**
   * Weight λ of the mode-seeking term in G's loss (Mao et al. 2019; gan-losses.ts `modeSeekingLoss`): two codes of
   * one label should give images as far apart as the codes are, so G spreads over the data instead of collapsing on
   * its easiest modes. The paper takes λ = 1. 0 = off.
   */
  modeSeeking: number;
  /**
   * Where the mode-seeking term measures the distance between two images: 'pixels' (the paper's mean absolute
   * distance) or 'discriminator', the root mean square distance of D's features of them (its last hidden layer, as
   * feature matching uses; from their Gram matrix, as the features are wide), so that G cannot spread its images by
   * noise D sees through. Default 'pixels'.
   */
  modeSeekingDistance: ModeSeekingDistance;
  /**
   * Weight λ of D's self-supervised reconstruction in D's loss (Liu et al. 2021, FastGAN, §3.2; gan-losses.ts
   * `discriminatorReconstructionLoss`): a decoder — a DCGAN generator with nearest upsampling, fed D's last hidden
   * features instead of a code — redraws each real image D saw, trained with D, so that D on a small data set learns
   * features of whole images instead of memorising cues. Images only; the decoder is saved as discriminator-decoder/.
   * The paper weighs it 1. 0 = off.
   */
  reconstruction: number;
}

/** With a moving average of G: the generator as trained (generator/ holds the averaged weights). */
export const TRAINED_GENERATOR_DIR = `generator${TRAINED_SUFFIX}`;
/** With `reconstruction`: D's decoder. */
export const DECODER_DIR = 'discriminator-decoder';

/**
 * D's decoder for `reconstruction` (FastGAN's self-supervised D): nets/dcgan.ts's generator with nearest upsampling,
 * D's features [F] in place of the code, redrawing the image in the networks' range (tanh).
 */
function buildDiscriminatorDecoder(config: GANConfig, data: DataInfo, features: number, rng: Rng): tfl.LayersModel {
  return buildDcganGenerator({ name: 'decoder', inputs: [[features]], output: data.shape, filters: config.filters, batchNorm: true, upsample: 'nearest', rng });
}

/** How a config's D compares the examples of its batch, if at all. */
function minibatchOf(config: GANConfig): MinibatchOptions | undefined {
  if (config.minibatchDiscrimination) return { kernels: config.minibatchKernels, kernelDims: config.minibatchKernelDims };
  return config.minibatchStddev > 0 ? { stddevGroup: config.minibatchStddev } : undefined;
}

/** Adam settings for GANs when the user gives none: Radford et al. 2016 (lr 2e-4, β1 0.5); WGAN-GP: Gulrajani et al. 2017 (1e-4, β = (0, 0.9)). */
export function recommendedOptimizer(loss: GanLoss): { learningRate: number; beta1: number; beta2: number } {
  return loss === 'wgan-gp' ? { learningRate: 1e-4, beta1: 0, beta2: 0.9 } : { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 };
}


/**
 * A GAN (kinds gan, dcgan, cgan, wgan-gp). Two loss groups: 'discriminator' (dSteps updates, terms
 * { loss, adversarial, real, fake, gradientPenalty?, historical? }) then 'generator' (terms
 * { loss, adversarial, featureMatching?, modeSeeking?, paletteEntropy?, historical? }). `real` and `fake` are D's
 * mean output on the batch's real and generated examples (probabilities for minimax / non-saturating).
 */
export class GAN extends AdversarialBase {
  readonly kind: string;
  readonly config: GANConfig;
  /** Historical averaging (§3.3 of Salimans et al.): running means per player; null when off. */
  private readonly history: { discriminator: HistoryState; generator: HistoryState } | null;

  /** Spectral normalisation of D's kernels (u, v per kernel); null when off. */
  private readonly spectral: SpectralNorm | null;
  /** Palette generators with their colour weights as a second output (paletteEntropy), per network. */
  private readonly paletteViews = new Map<tfl.LayersModel, tfl.LayersModel>();
  /** The moving average of G's weights (`emaDecay`; the generator group's afterUpdate takes each update in); null when off. */
  private readonly average: AverageState | null;
  /** G's batch of this step while the generator group's loss runs D's update inside it (shareFakes); else null. */
  private sharedFake: tf.Tensor | null = null;
  /** D's decoder (`reconstruction`), trained in D's group; null when off. */
  private readonly decoder: tfl.LayersModel | null;
  /** Adaptive augmentation's p and its interval's signs (`adaTarget`); null when off. */
  private readonly ada: AdaState | null;
  /** Mean sign(D(x_real)) of D's update in progress (a term) and its output count, for the group's afterUpdate (adaTarget). */
  private pendingSigns: { mean: tf.Scalar; images: number } | null = null;

  /**
   * A GAN of `nets`; `state` holds what a saved model brings back (or `create` makes): historical averages (copied),
   * the spectral normaliser and the averaged generator with its count (owned from now on).
   */
  constructor(
    kind: string,
    config: GANConfig,
    data: DataInfo,
    nets: GanNetworks,
    state: {
      history?: Record<string, { averages: tf.Tensor[]; count: number }> | undefined;
      spectral?: SpectralNorm | undefined;
      average?: { generator: tfl.LayersModel; count: number } | undefined;
      decoder?: tfl.LayersModel | undefined;
      ada?: AdaState | undefined;
    } = {},
  ) {
    super(data, nets);
    this.kind = kind;
    this.config = config;
    const { history, spectral, average, decoder } = state;
    if ((config.reconstruction > 0) !== (decoder !== undefined)) throw badInput(`${kind}`, 'a decoder of D’s features is needed exactly when reconstruction > 0');
    this.decoder = decoder ?? null; // before the historical averages, which take in D's variables
    if ((minibatchOf(config) !== undefined) !== (nets.head !== null)) {
      throw badInput(`${kind}`, 'the networks do not match minibatchDiscrimination / minibatchStddev (a discriminator head is needed exactly when one is on)');
    }
    if (config.spectralNorm !== (spectral !== undefined)) throw badInput(`${kind}`, 'spectral normalisation state is needed exactly when spectralNorm is on');
    if ((config.emaDecay > 0) !== (average !== undefined)) throw badInput(`${kind}`, 'an averaged generator is needed exactly when emaDecay > 0');
    this.history =
      config.historicalAveraging > 0
        ? {
            discriminator: createHistory(this.discriminatorVariables(), history?.['discriminator']),
            generator: createHistory(this.generatorVariables(), history?.['generator']),
          }
        : null;
    if (history) Object.values(history).forEach((h) => tf.dispose(h.averages));
    this.spectral = spectral ?? null;
    this.average = average ? { generator: average.generator, count: average.count } : null;
    this.ada = config.adaTarget > 0 ? { ...(state.ada ?? startAda()) } : null;
  }

  /** Validated config with defaults for `kind` (gan, dcgan, cgan, wgan-gp). */
  static resolveConfig(options: Partial<GANConfig>, data: DataInfo, kind: string = 'gan'): GANConfig {
    checkChoice('model kind', kind, GAN_KINDS);
    const base = resolveNetConfig(kind, options, data, kind === 'dcgan' ? 'conv' : 'mlp');
    const loss = options.loss ?? (kind === 'wgan-gp' ? 'wgan-gp' : 'nonsaturating');
    checkChoice(`${kind}: loss`, loss, GAN_LOSSES);
    const dSteps = options.dSteps ?? (loss === 'wgan-gp' ? 5 : 1);
    const config: GANConfig = {
      ...base,
      loss,
      dSteps,
      gpWeight: options.gpWeight ?? GRADIENT_PENALTY_WEIGHT,
      featureMatching: options.featureMatching ?? false,
      minibatchDiscrimination: options.minibatchDiscrimination ?? false,
      minibatchKernels: options.minibatchKernels ?? 32,
      minibatchKernelDims: options.minibatchKernelDims ?? 4,
      minibatchStddev: options.minibatchStddev ?? 0,
      historicalAveraging: options.historicalAveraging ?? 0,
      conditional: options.conditional ?? kind === 'cgan',
      pack: options.pack ?? 1,
      instanceNoise: options.instanceNoise ?? 0,
      instanceNoiseSteps: options.instanceNoiseSteps ?? 5000,
      zeroCenteredPenalty: options.zeroCenteredPenalty ?? 0,
      r1Penalty: options.r1Penalty ?? 0,
      spectralNorm: options.spectralNorm ?? false,
      emaDecay: options.emaDecay ?? 0,
      diffAugment: options.diffAugment ?? false,
      adaTarget: options.adaTarget ?? 0,
      adaSpeed: options.adaSpeed ?? ADA_SPEED,
      shareFakes: options.shareFakes ?? dSteps === 1,
      exactBounds: options.exactBounds ?? false,
      paletteEntropy: options.paletteEntropy ?? 0,
      modeSeeking: options.modeSeeking ?? 0,
      modeSeekingDistance: options.modeSeekingDistance ?? 'pixels',
      reconstruction: options.reconstruction ?? 0,
    };
    checkNumber(`${kind}: dSteps`, config.dSteps, 1, true, 100);
    checkNumber(`${kind}: gpWeight`, config.gpWeight, 0);
    checkNumber(`${kind}: minibatchKernels`, config.minibatchKernels, 1, true);
    checkNumber(`${kind}: minibatchKernelDims`, config.minibatchKernelDims, 1, true);
    checkStddevGroup(`${kind}: minibatchStddev`, config.minibatchStddev);
    if (config.minibatchStddev > 0 && config.minibatchDiscrimination) {
      throw badInput(`${kind}: minibatchStddev`, 'D compares the examples of its batch one way: minibatch discrimination or the minibatch standard deviation, not both');
    }
    checkNumber(`${kind}: historicalAveraging`, config.historicalAveraging, 0);
    checkNumber(`${kind}: pack`, config.pack, 1, true, 64);
    checkNumber(`${kind}: instanceNoise`, config.instanceNoise, 0);
    checkNumber(`${kind}: instanceNoiseSteps`, config.instanceNoiseSteps, 1, true);
    checkNumber(`${kind}: zeroCenteredPenalty`, config.zeroCenteredPenalty, 0);
    checkNumber(`${kind}: r1Penalty`, config.r1Penalty, 0);
    checkNumber(`${kind}: emaDecay`, config.emaDecay, 0, false, MAX_EMA_DECAY);
    checkNumber(`${kind}: paletteEntropy`, config.paletteEntropy, 0);
    checkNumber(`${kind}: modeSeeking`, config.modeSeeking, 0);
    checkChoice(`${kind}: modeSeekingDistance`, config.modeSeekingDistance, MODE_SEEKING_DISTANCES);
    checkNumber(`${kind}: reconstruction`, config.reconstruction, 0);
    checkNumber(`${kind}: adaTarget`, config.adaTarget, 0, false, 1);
    checkNumber(`${kind}: adaSpeed`, config.adaSpeed, 1);
    if (config.adaTarget > 0 && config.diffAugment) {
      throw badInput(`${kind}: adaTarget`, 'adapts how often DiffAugment’s transforms are applied; diffAugment applies them always: use one of the two');
    }
    if (config.adaTarget > 0 && loss === 'wgan-gp') {
      throw badInput(`${kind}: adaTarget`, 'reads D’s overfitting from the sign of its output on real images; a Wasserstein critic’s output has no sign that means real');
    }
    if (config.reconstruction > 0 && !(data.kind === 'images' && data.shape.length === 3)) {
      throw badInput(`${kind}: reconstruction`, `D's decoder redraws images; the data are ${data.kind} of shape [${data.shape.join(', ')}]`);
    }
    if (config.reconstruction > 0 && config.pack > 1) {
      throw badInput(`${kind}: reconstruction`, `with packing D's features describe packs of ${config.pack}, not single images to redraw`);
    }
    if (config.modeSeekingDistance === 'discriminator' && config.pack > 1) {
      throw badInput(`${kind}: modeSeekingDistance`, `with packing D's features describe packs of ${config.pack}, not single images: use pixels`);
    }
    if (config.paletteEntropy > 0 && config.palette < 2) {
      throw badInput(`${kind}: paletteEntropy`, `weighs the entropy of each pixel's choice among a palette's colours: set palette to 2 or more (it is ${config.palette})`);
    }
    for (const flag of ['featureMatching', 'minibatchDiscrimination', 'conditional', 'batchNorm', 'spectralNorm', 'diffAugment', 'shareFakes', 'exactBounds'] as const) {
      if (typeof config[flag] !== 'boolean') throw badInput(`${kind}: ${flag}`, `expected true or false, got ${String(config[flag])}`);
    }
    if (config.shareFakes && config.dSteps !== 1) {
      throw badInput(`${kind}: shareFakes`, `D's ${config.dSteps} updates per step each train on a fresh generated batch; shareFakes needs dSteps 1`);
    }
    if (loss === 'hinge' && config.labelSmoothing !== 1) {
      throw badInput(`${kind}: labelSmoothing`, 'the hinge loss has a margin, not labels to smooth (use it with minimax, nonsaturating or lsgan)');
    }
    if (loss === 'wgan-gp' && config.r1Penalty > 0) {
      throw badInput(`${kind}: r1Penalty`, 'WGAN-GP has its own gradient penalty (gpWeight); R1 is for minimax, nonsaturating, lsgan or hinge');
    }
    if (loss === 'wgan-gp' && config.labelSmoothing !== 1) {
      throw badInput(`${kind}: labelSmoothing`, 'a Wasserstein critic has no labels to smooth (use it with minimax, nonsaturating or lsgan)');
    }
    if (loss === 'wgan-gp' && config.minibatchDiscrimination) {
      throw badInput(`${kind}: minibatchDiscrimination`, 'the gradient penalty assumes a critic that scores each example alone; minibatch discrimination couples the batch');
    }
    if (loss === 'wgan-gp' && config.minibatchStddev > 0) {
      throw badInput(`${kind}: minibatchStddev`, 'the gradient penalty assumes a critic that scores each example alone; the minibatch standard deviation couples the batch');
    }
    if (loss === 'wgan-gp' && config.zeroCenteredPenalty > 0) {
      throw badInput(`${kind}: zeroCenteredPenalty`, 'WGAN-GP has its own gradient penalty (gpWeight); the zero-centred one is for minimax, nonsaturating or lsgan');
    }
    if (loss === 'wgan-gp' && config.pack > 1) {
      throw badInput(`${kind}: pack`, 'the gradient penalty is defined per example; packing (PacGAN) is for minimax, nonsaturating or lsgan');
    }
    if (config.conditional && !(data.classes && data.classes.length >= 1)) throw badInput(kind, 'a conditional GAN needs data with class labels (e.g. mnist)');
    if (config.exactBounds && data.kind !== 'images') {
      throw badInput(`${kind}: exactBounds`, `clips generated images to the pixel range; points have no bounds (the data are ${data.kind})`);
    }
    for (const option of ['diffAugment', 'adaTarget'] as const) {
      if (config[option] && !(data.kind === 'images' && data.shape.length === 3)) {
        throw badInput(`${kind}: ${option}`, `augments images (colour, translation, cutout); the data are ${data.kind} of shape [${data.shape.join(', ')}]`);
      }
    }
    return config;
  }

  /**
   * A new GAN of `kind` with seeded weights. With `spectralNorm` the u vectors are drawn from `rng` after the networks'
   * weights (so the networks are those of the same seed without it, D's batch norm aside); the averaged generator
   * starts as a copy of G.
   */
  static create(options: Partial<GANConfig>, data: DataInfo, rng: Rng, kind: string = 'gan'): GAN {
    const config = GAN.resolveConfig(options, data, kind);
    const classes = config.conditional ? data.classes!.length : 0;
    const nets = buildAdversarialNets(config, data, rng, {
      classes,
      // No batch norm in a WGAN-GP critic (Gulrajani et al. §4) nor in a spectrally normalised D (Miyato et al. 2018).
      criticBatchNorm: config.batchNorm && config.loss !== 'wgan-gp' && !config.spectralNorm,
      minibatch: minibatchOf(config),
      pack: config.pack,
      exactBounds: config.exactBounds,
    });
    const spectral = config.spectralNorm ? SpectralNorm.create([nets.discriminator, nets.head], rng) : undefined;
    // The average's copy is built with any seed: its initial weights are overwritten.
    const average = config.emaDecay > 0 ? startAverageOf(nets.generator, buildAdversarialGenerator(config, data, new Rng(0), classes, config.exactBounds)) : undefined;
    // Drawn last, so the other networks are those of the same seed without it.
    const features = config.reconstruction > 0 ? featureWidth(nets) : 0;
    const decoder = features > 0 ? buildDiscriminatorDecoder(config, data, features, rng) : undefined;
    return new GAN(kind, config, data, nets, { spectral, average, decoder });
  }

  /** Loads a GAN saved by `save`. */
  static async load(dir: string): Promise<GAN> {
    const file = await readModelFile<AdversarialModelFile>(dir);
    const path = joinPath(dir, MODEL_FILE);
    if (!(GAN_KINDS as readonly string[]).includes(file.kind)) throw badFile(path, `kind '${file.kind}' is not a GAN (${GAN_KINDS.join(', ')})`);
    const data: DataInfo = { shape: file.dataShape, kind: file.dataKind, ...(file.classes ? { classes: file.classes } : {}) };
    const config = GAN.resolveConfig(file.config as Partial<GANConfig>, data, file.kind);
    const averaged = config.emaDecay > 0;
    const count = file.state?.ema?.count;
    if (averaged && !(typeof count === 'number' && Number.isSafeInteger(count) && count >= 0)) {
      throw badFile(path, `"state.ema.count" must be a non-negative integer with emaDecay > 0, got ${JSON.stringify(count) ?? 'nothing'}`);
    }
    if (config.spectralNorm && !Array.isArray(file.state?.spectralNorm?.specs)) throw badFile(path, '"state.spectralNorm.specs" missing: the model was saved with spectralNorm');
    // With a moving average, generator/ holds the averaged weights (what sampling uses) and generator-trained/ G as trained.
    const generator = await loadLayersModel(joinPath(dir, averaged ? TRAINED_GENERATOR_DIR : 'generator'));
    const average = averaged ? { generator: await loadLayersModel(joinPath(dir, 'generator')), count: count! } : undefined;
    const discriminator = await loadLayersModel(joinPath(dir, 'discriminator'));
    const head = minibatchOf(config) ? await loadLayersModel(joinPath(dir, 'discriminator-head')) : null;
    const saved = file.state?.historicalAverage;
    const history = saved ? await decodeHistory(dir, saved) : undefined;
    const spectral = config.spectralNorm ? await loadSpectralNorm(dir, file.state!.spectralNorm!.specs, [discriminator, head]) : undefined;
    const decoder = config.reconstruction > 0 ? await loadLayersModel(joinPath(dir, DECODER_DIR)) : undefined;
    const ada = config.adaTarget > 0 ? checkAdaState(file.state?.ada, path) : undefined;
    return new GAN(file.kind, config, data, { generator, discriminator, head }, { history, spectral, average, decoder, ada });
  }

  get discriminatorOutput(): DiscriminatorOutput {
    return this.config.loss === 'lsgan' || this.config.loss === 'hinge' ? 'score' : this.config.loss === 'wgan-gp' ? 'critic' : 'probability';
  }

  protected override get minibatch(): MinibatchOptions | undefined {
    return minibatchOf(this.config);
  }

  override get pack(): number {
    return this.config.pack;
  }

  /** D's adversarial loss on its outputs for real and generated examples. */
  private discriminatorAdversarial(real: tf.Tensor, fake: tf.Tensor): tf.Scalar {
    switch (this.config.loss) {
      case 'minimax':
      case 'nonsaturating':
        return discriminatorMinimaxLoss(real, fake, this.config.labelSmoothing);
      case 'lsgan':
        return discriminatorLeastSquaresLoss(real, fake, this.config.labelSmoothing);
      case 'hinge':
        return discriminatorHingeLoss(real, fake);
      case 'wgan-gp':
        return criticWassersteinLoss(real, fake);
    }
  }

  /** σ of the instance noise at global step `step`: linear from `instanceNoise` to 0 over `instanceNoiseSteps`. */
  instanceNoiseAt(step: number): number {
    return this.config.instanceNoise * Math.max(0, 1 - step / this.config.instanceNoiseSteps);
  }

  /**
   * Adds this step's instance noise to a batch of D's inputs (identity when σ is 0). Each call draws fresh noise from
   * seeds taken from `rng` now, so a resumed run draws the same noise; no seed is taken when σ is 0.
   */
  private instanceNoiser(step: number, rng: Rng): (x: tf.Tensor) => tf.Tensor {
    const sigma = this.instanceNoiseAt(step);
    if (sigma === 0) return (x) => x;
    const seeds = [rng.tfSeed(), rng.tfSeed(), rng.tfSeed()];
    let next = 0;
    return (x) => tf.add(x, randomNormal(x.shape, seeds[next++]!, 0, sigma));
  }

  /**
   * What becomes of an example on its way into D in a training loss: instance noise, then (in updates, with
   * diffAugment, or adaTarget once its p is above 0) differentiable augmentation; evaluation sees the examples as
   * they are, bar the noise.
   */
  private discriminatorInputs(step: number, rng: Rng, update: boolean): (x: tf.Tensor) => tf.Tensor {
    const noisy = this.instanceNoiser(step, rng);
    const p = this.config.diffAugment ? 1 : (this.ada?.p ?? 0);
    if (!(update && p > 0)) return noisy;
    return (x) => diffAugment(noisy(x) as tf.Tensor4D, rng, p);
  }

  /** ADA's p now (0 without adaTarget): how likely each of DiffAugment's transforms is applied to an image D sees. */
  get augmentProbability(): number {
    return this.ada?.p ?? 0;
  }

  /** sign(D(x_real)) counted against D's decision boundary: 0 for logits and hinge scores, ½ for lsgan's targets 0 and 1. */
  private realSigns(out: tf.Tensor): tf.Scalar {
    return tf.mean(tf.sign(this.config.loss === 'lsgan' ? tf.sub(out, 0.5) : out));
  }

  /** The D group's afterUpdate with adaTarget: the update's real signs into ADA's interval, p moved every 4 updates. */
  private adaptAugmentation(): void {
    const pending = this.pendingSigns;
    if (!pending) return;
    this.pendingSigns = null;
    const signSum = Math.round(pending.mean.dataSync()[0]! * pending.images); // a sum of ±1 and 0
    observeRealSigns(this.ada!, signSum, pending.images, this.config.adaTarget, this.config.adaSpeed);
  }

  /** D's gradient penalty, if any: WGAN-GP's (‖∇‖ − 1)², or the zero-centred ‖∇‖². */
  private penaltySettings(): { lambda: number; centre: 0 | 1 } | null {
    if (this.config.loss === 'wgan-gp') return { lambda: this.config.gpWeight, centre: 1 };
    return this.config.zeroCenteredPenalty > 0 ? { lambda: this.config.zeroCenteredPenalty, centre: 0 } : null;
  }

  /** G's adversarial loss on D's outputs for generated examples. */
  private generatorAdversarial(fake: tf.Tensor): tf.Scalar {
    switch (this.config.loss) {
      case 'minimax':
        return generatorMinimaxLoss(fake);
      case 'nonsaturating':
        return generatorNonSaturatingLoss(fake);
      case 'lsgan':
        return generatorLeastSquaresLoss(fake);
      case 'hinge': // Miyato et al. 2018, eq. 17: the generator's side of the hinge game is the Wasserstein one
      case 'wgan-gp':
        return generatorWassersteinLoss(fake);
    }
  }

  /** Mean D output as logged: P(real) for the cross-entropy losses, the raw score otherwise. */
  private readout(out: tf.Tensor): tf.Scalar {
    return tf.mean(this.discriminatorOutput === 'probability' ? tf.sigmoid(out) : out) as tf.Scalar;
  }

  /**
   * The discriminator's terms on one batch. G runs in training mode with its state kept (G is fixed); with
   * `update` the historical average of D's weights takes in their current values first. `step` (the global step)
   * sets the instance noise; without it there is none, as in evaluation.
   */
  discriminatorTerms(batch: TensorBatch, rng: Rng, update: boolean, step = Infinity): LossTerms {
    const n = this.checkInput(batch.x, 'loss');
    const z = rng.tfSeed();
    const penalty = this.penaltySettings();
    const epsSeed = penalty ? rng.tfSeed() : 0;
    const noisy = this.discriminatorInputs(step, rng, update);
    const g = update ? this.generator : this.samplingGenerator();
    if (update) this.spectral?.powerIteration(); // one per D update (Miyato et al. 2018, Algorithm 1), before D runs
    return tf.tidy(() => {
      const cond = this.conditioning(batch.labels, n, 'loss');
      const real = noisy(this.toModel(batch.x)); // [n, ...] in the networks' range
      const fake = noisy(this.sharedFake ?? keepingState([g], () => this.runGenerator(randomNormal([n, this.latent], z), cond, true, g)));
      const r = this.runDiscriminator(real, cond, true);
      const f = this.runDiscriminator(fake, cond, true);
      const adversarial = this.discriminatorAdversarial(r.out, f.out);
      const terms: LossTerms = { loss: adversarial, adversarial, real: this.readout(r.out), fake: this.readout(f.out) };
      if (update && this.ada) {
        // Logged as ADA's r_t of this batch and the p it trained with; the signs are read once D has updated (a term
        // outlives the update, so it is still there then).
        terms['realSign'] = this.realSigns(r.out);
        terms['augment'] = tf.scalar(this.ada.p);
        this.pendingSigns = { mean: terms['realSign'], images: r.out.size };
      }
      let loss: tf.Scalar = adversarial;
      if (penalty) {
        const eps = tf.randomUniform([n], 0, 1, 'float32', epsSeed);
        const gp = gradientPenalty((x) => this.runDiscriminator(x, cond, true).out, real, fake, eps, penalty.lambda, penalty.centre);
        terms['gradientPenalty'] = gp;
        loss = tf.add(loss, gp) as tf.Scalar;
      }
      if (this.config.r1Penalty > 0) {
        const r1 = r1Penalty((x) => this.runDiscriminator(x, cond, true).out, real, this.config.r1Penalty);
        terms['r1'] = r1;
        loss = tf.add(loss, r1) as tf.Scalar;
      }
      if (this.decoder) {
        const decoder = this.decoder;
        const redraw = () => decoder.apply(r.features, { training: true }) as tf.Tensor;
        const rec = discriminatorReconstructionLoss(update ? redraw() : keepingState([decoder], redraw), real);
        terms['reconstruction'] = rec;
        loss = tf.add(loss, tf.mul(rec, this.config.reconstruction)) as tf.Scalar;
      }
      if (this.history) {
        const vars = this.discriminatorVariables();
        if (update) updateHistory(this.history.discriminator, vars);
        const h = historicalAveragePenalty(vars, this.history.discriminator.averages, this.config.historicalAveraging);
        terms['historical'] = h;
        loss = tf.add(loss, h) as tf.Scalar;
      }
      terms.loss = loss;
      return terms;
    });
  }

  /**
   * The generator's terms on one batch (its size and labels). D runs in training mode with its state kept (D is
   * fixed). Feature matching replaces the adversarial loss (which is still logged). With `discriminatorUpdate` (the
   * trainer's `inner`, shareFakes), D's update runs on this batch of G's after G has made it, and D runs updated here.
   */
  generatorTerms(batch: TensorBatch, rng: Rng, update: boolean, step = Infinity, discriminatorUpdate?: () => void): LossTerms {
    const n = this.checkInput(batch.x, 'loss');
    const z = rng.tfSeed();
    const noisy = this.discriminatorInputs(step, rng, update);
    const g = update ? this.generator : this.samplingGenerator();
    const painted = this.config.paletteEntropy > 0 ? this.withPaletteWeights(g) : null;
    const terms = tf.tidy(() => {
      const cond = this.conditioning(batch.labels, n, 'loss');
      let generated: tf.Tensor;
      let colourChoice: tf.Tensor | null = null;
      const codes = randomNormal([n, this.latent], z);
      if (painted) [generated, colourChoice] = this.runPaletteGenerator(painted, codes, cond);
      else generated = this.runGenerator(codes, cond, true, g);
      if (discriminatorUpdate) {
        this.sharedFake = generated;
        try {
          discriminatorUpdate();
        } finally {
          this.sharedFake = null;
        }
      }
      const fake = noisy(generated);
      const nets = [this.discriminator, this.discriminatorHead];
      const f = keepingState(nets, () => this.runDiscriminator(fake, cond, true));
      const adversarial = this.generatorAdversarial(f.out);
      const terms: LossTerms = { loss: adversarial, adversarial };
      let loss: tf.Scalar = adversarial;
      if (this.config.featureMatching) {
        const realFeatures = keepingState(nets, () => this.runDiscriminator(noisy(this.toModel(batch.x)), cond, true).features);
        const fm = featureMatchingLoss(realFeatures, f.features);
        terms['featureMatching'] = fm;
        loss = fm;
      }
      if (this.config.modeSeeking > 0) {
        const ms = modeSeekingLossIn(this.config.modeSeekingDistance, generated, f.features, codes, cond[0]);
        terms['modeSeeking'] = ms;
        loss = tf.add(loss, tf.mul(ms, this.config.modeSeeking)) as tf.Scalar;
      }
      if (colourChoice) {
        const h = paletteEntropy(colourChoice);
        terms['paletteEntropy'] = h;
        loss = tf.add(loss, tf.mul(h, this.config.paletteEntropy)) as tf.Scalar;
      }
      if (this.history) {
        const vars = this.generatorVariables();
        if (update) updateHistory(this.history.generator, vars);
        const h = historicalAveragePenalty(vars, this.history.generator.averages, this.config.historicalAveraging);
        terms['historical'] = h;
        loss = tf.add(loss, h) as tf.Scalar;
      }
      terms.loss = loss;
      return terms;
    });
    return terms;
  }

  /** `g` with its colour weights as a second output (nets/dcgan.ts `withPaletteWeights`), made once per network. */
  private withPaletteWeights(g: tfl.LayersModel): tfl.LayersModel {
    let view = this.paletteViews.get(g);
    if (!view) this.paletteViews.set(g, (view = withPaletteWeights(g)!));
    return view;
  }

  /** A palette G in training mode: its output as `runGenerator` gives it, and its colour weights [n, h, w, K]. */
  private runPaletteGenerator(painted: tfl.LayersModel, z: tf.Tensor, cond: tf.Tensor[]): [tf.Tensor, tf.Tensor] {
    const [out, weights] = painted.apply(generatorInputs(z, cond), { training: true }) as tf.Tensor[];
    return [this.bounded(out!), weights!];
  }

  protected override samplingGenerator(): tfl.LayersModel {
    return this.average?.generator ?? this.generator;
  }

  protected override get clipsOutput(): boolean {
    return this.config.exactBounds;
  }

  protected override withDiscriminatorWeights<T>(f: () => T): T {
    return this.spectral ? this.spectral.apply(f) : f();
  }

  /**
   * The generator with the moving average of G's weights (the model owns it), or null without `emaDecay`.
   * `generator` is G as trained.
   */
  averagedGenerator(): tfl.LayersModel | null {
    return this.average ? this.samplingGenerator() : null;
  }

  /** G updates the moving average has taken in (0 without one). */
  get averageCount(): number {
    return this.average?.count ?? 0;
  }

  /** The spectral normaliser of D (u, v and σ per kernel), or null without `spectralNorm`. */
  get spectralNormaliser(): SpectralNorm | null {
    return this.spectral;
  }

  /**
   * G's loss if `fake` (data range, [n, ...dataShape]) were its generated batch, D fixed and in inference mode: the
   * adversarial loss, or with feature matching ‖E f(real) − E f(fake)‖² against `real`. Its gradient with respect to
   * `fake` is how G's update pushes each generated example (the lab's arrows). Historical averaging is left out: it
   * depends on G's weights alone, not on `fake`. Unconditional models only.
   */
  generatorLossAt(fake: tf.Tensor, real?: tf.Tensor): tf.Scalar {
    const n = this.checkInput(fake, 'generatorLossAt');
    if (this.config.featureMatching && !real) throw badInput(`${this.kind}.generatorLossAt`, 'feature matching compares with real examples: pass them');
    return tf.tidy(() => {
      const f = this.runDiscriminator(this.toModel(fake), this.conditioning(undefined, n, 'generatorLossAt'), false);
      if (!this.config.featureMatching) return this.generatorAdversarial(f.out);
      const m = this.checkInput(real!, 'generatorLossAt');
      const r = this.runDiscriminator(this.toModel(real!), this.conditioning(undefined, m, 'generatorLossAt'), false);
      return featureMatchingLoss(r.features, f.features);
    });
  }

  lossGroups(): LossGroup[] {
    return [
      {
        name: 'discriminator',
        variables: this.discriminatorVariables(),
        steps: this.config.dSteps,
        loss: (batch, rng, step) => this.discriminatorTerms(batch, rng, true, step),
        ...(this.ada ? { afterUpdate: () => this.adaptAugmentation() } : {}),
      },
      {
        name: 'generator',
        variables: this.generatorVariables(),
        loss: (batch, rng, step, inner) => this.generatorTerms(batch, rng, true, step, inner),
        ...(this.config.shareFakes ? { wraps: ['discriminator'] } : {}),
        ...(this.average ? { afterUpdate: () => takeIntoAverage(this.average!, this.generator, this.config.emaDecay) } : {}),
      },
    ];
  }

  /**
   * Held-out terms, no state changed: `loss` is the discriminator's loss on test data against fresh samples (how well
   * D tells them apart), `generatorLoss` the generator's, `real` / `fake` D's mean outputs; wgan-gp adds
   * `wasserstein` = E C(x) − E C(G(z)), the critic's estimate of the Wasserstein distance.
   */
  evaluate(batch: TensorBatch, rng: Rng): Record<string, tf.Scalar> {
    const sampler = this.samplingGenerator(); // with a moving average, the generated examples are the averaged G's
    return tf.tidy(() =>
      keepingState([this.generator, sampler === this.generator ? null : sampler, this.discriminator, this.discriminatorHead], () => {
        const d = this.discriminatorTerms(batch, rng, false);
        const g = this.generatorTerms(batch, rng, false);
        const out: Record<string, tf.Scalar> = { loss: d.loss, generatorLoss: g.loss, real: d['real']!, fake: d['fake']! };
        if (this.config.loss === 'wgan-gp') out['wasserstein'] = tf.neg(d['adversarial']!) as tf.Scalar;
        return out;
      }),
    );
  }

  /** Historical averages (copies the caller owns), for inspection and tests; null when off. */
  historicalAverages(): { discriminator: { averages: tf.Tensor[]; count: number }; generator: { averages: tf.Tensor[]; count: number } } | null {
    if (!this.history) return null;
    const copy = (h: HistoryState) => ({ averages: h.averages.map((a) => tf.clone(a)), count: h.count });
    return { discriminator: copy(this.history.discriminator), generator: copy(this.history.generator) };
  }

  /** D's trainable variables (head included), and its decoder's with `reconstruction`. */
  override discriminatorVariables(): tf.Variable[] {
    return [...super.discriminatorVariables(), ...trainableVariables([this.decoder])];
  }

  /** Every variable of the model: G's and D's trainable ones, then the averaged generator's weights and u, v of D's kernels. */
  override variables(): tf.Variable[] {
    const averaged = this.average ? this.average.generator.weights.map((w) => w.read() as tf.Variable) : [];
    const vectors = this.spectral ? [...this.spectral.u, ...this.spectral.v] : [];
    return [...super.variables(), ...averaged, ...vectors];
  }

  /**
   * Writes generator/, discriminator/ (+ discriminator-head/), genlab-model.json (+ history.bin) into `dir`, atomically;
   * with spectralNorm spectral-norm.bin (D's u and v, so D's outputs after loading are the same); with emaDecay
   * generator/ holds the averaged weights (what `sample` uses, and what anyone loading generator/ alone gets) and
   * generator-trained/ G as trained (what training continues from).
   */
  async save(dir: string): Promise<void> {
    const averaged = this.averagedGenerator();
    const networks: Record<string, string> = { generator: this.describeGenerator(), discriminator: this.describeDiscriminator() };
    if (averaged) {
      networks['generator'] += `; weights: the exponential moving average (decay ${this.config.emaDecay}, bias-corrected) of G's over ${this.average!.count} updates`;
      networks[TRAINED_GENERATOR_DIR] = 'the generator as trained (same inputs and output as generator/), which training continues from';
    }
    if (this.spectral) networks['discriminator'] += `; every dense and conv kernel W is used as W/σ, σ = vᵀ·reshape(W, [−1, out])·u with u, v of ${SPECTRAL_NORM_FILE}`;
    if (this.discriminatorHead) networks['discriminator-head'] = 'inputs: [features, the batch’s comparison o]; output: D’s output (see discriminator)';
    if (this.decoder) networks[DECODER_DIR] = `input: D’s features of a real image; output: that image redrawn, in [−1, 1] (FastGAN's self-supervised D, weight ${this.config.reconstruction} in D’s loss)`;
    const file = this.fileBase(networks);
    const history = this.history ? await encodeHistory({ discriminator: this.history.discriminator, generator: this.history.generator }) : null;
    const spectral = this.spectral ? await encodeSpectralNorm(this.spectral) : null;
    const state: NonNullable<AdversarialModelFile['state']> = {};
    if (history) state.historicalAverage = { counts: history.counts, specs: history.specs };
    if (spectral) state.spectralNorm = { specs: spectral.specs };
    if (averaged) state.ema = { count: this.average!.count };
    if (this.ada) state.ada = { ...this.ada };
    if (Object.keys(state).length > 0) file.state = state;
    const files: Record<string, Uint8Array> = {};
    if (history) files[HISTORY_FILE] = new Uint8Array(history.data);
    if (spectral) files[SPECTRAL_NORM_FILE] = new Uint8Array(spectral.data);
    await writeModelDir(dir, {
      networks: {
        generator: averaged ?? this.generator,
        ...(averaged ? { [TRAINED_GENERATOR_DIR]: this.generator } : {}),
        discriminator: this.discriminator,
        ...(this.discriminatorHead ? { 'discriminator-head': this.discriminatorHead } : {}),
        ...(this.decoder ? { [DECODER_DIR]: this.decoder } : {}),
      },
      files,
      manifest: { name: MODEL_FILE, content: file },
    });
  }

  override dispose(): void {
    super.dispose();
    if (this.history) {
      tf.dispose(this.history.discriminator.averages);
      tf.dispose(this.history.generator.averages);
    }
    this.spectral?.dispose();
    this.average?.generator.dispose();
    this.decoder?.dispose();
  }
}
