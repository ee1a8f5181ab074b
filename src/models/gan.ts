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
 * ones, so a checkpoint resumes exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { badFile, badInput } from '../engine/errors.js';
import { joinPath, loadLayersModel, readModelBinaryFile, writeModelDir } from '../engine/model-io.js';
import { Rng } from '../engine/rng.js';
import { checkBatchShape, labelInputs } from './inputs.js';
import { SpectralNorm } from '../nets/spectral-norm.js';
import { buildResidualDiscriminator, buildResidualGenerator } from '../nets/resnet-gan.js';
import { diffAugment } from './diff-augment.js';
import { MAX_EMA_DECAY, TRAINED_SUFFIX, startAverageOf, takeIntoAverage, type AverageState } from './average.js';
import {
  buildDcganDiscriminator,
  buildDcganGenerator,
  buildGanMlpDiscriminator,
  buildGanMlpGenerator,
  type DiscriminatorNets,
  type MinibatchOptions,
} from '../nets/dcgan.js';
import { ARCHS, MODEL_FILE, modelFileBase, readModelFile, type Arch, type DataInfo } from './model.js';
import { checkChoice, checkNumber } from './validate.js';
import {
  GRADIENT_PENALTY_WEIGHT,
  criticWassersteinLoss,
  discriminatorHingeLoss,
  discriminatorLeastSquaresLoss,
  discriminatorMinimaxLoss,
  featureMatchingLoss,
  generatorLeastSquaresLoss,
  generatorMinimaxLoss,
  generatorNonSaturatingLoss,
  generatorWassersteinLoss,
  gradientPenalty,
  historicalAveragePenalty,
  minibatchFeatures,
  r1Penalty,
} from './gan-losses.js';
import type { LossGroup, LossTerms, ModelFile, TensorBatch, TrainableModel } from './model.js';
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

/** What `discriminate` returns: a probability of "real" (minimax, non-saturating), a score (lsgan), a critic value. */
export type DiscriminatorOutput = 'probability' | 'score' | 'critic';

/** Options the GAN family shares (also the VAE-GAN's networks). */
export interface AdversarialNetConfig {
  /** 'mlp' (any data) or 'conv' (DCGAN nets, images only). Default 'conv' for dcgan, else 'mlp'. */
  arch: Arch;
  /** MLP hidden widths of the generator; the discriminator uses them reversed. Default [128, 128] for points, [256, 256] for images. */
  hidden: number[];
  /** Size of the noise z ~ N(0, I). Default 100 for images (the peer DCGAN), 8 for points. */
  latent: number;
  /** Conv nets: filters of D's stride-2 convolutions, shallow to deep; G mirrors them. Default [32, 64]. */
  filters: number[];
  /** Batch norm (G: every hidden layer; D: every layer but the first; never in a WGAN-GP critic). Default true for conv, false for mlp. */
  batchNorm: boolean;
  /** Real examples' target in D's loss: one-sided label smoothing (Salimans et al. 2016, §3.4) when < 1. Default 1. */
  labelSmoothing: number;
  /** Conv nets: residual blocks instead of the DCGAN's stride-2 layers (Gulrajani et al. 2017; Miyato et al. 2018; nets/resnet-gan.ts). Default false. */
  residual: boolean;
}

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
   * One generated batch per step for both updates, as PyTorch's DCGAN example (pytorch/examples, dcgan/main.py)
   * does: G(z) is drawn once, on G's gradient tape; D's update trains on it, then G's update runs the updated D on
   * the same batch (LossGroup.wraps). One pass of G per step instead of two. Default: on when dSteps is 1.
   */
  shareFakes: boolean;
}

/** The networks of a GAN. */
export interface GanNetworks {
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  /** The discriminator's head, with minibatch discrimination only. */
  head: tfl.LayersModel | null;
}

/** Historical averages of one player: the running mean of its trainable weights and how many values it holds. */
export interface HistoryState {
  averages: tf.Variable[];
  count: number;
}

/** Contents of genlab-model.json for the GAN family. */
export interface AdversarialModelFile extends ModelFile {
  state?: {
    /** Historical averaging: counts per player, tensors in `history.bin` (specs in player order: discriminator, generator). */
    historicalAverage?: { counts: Record<string, number>; specs: tf.io.WeightsManifestEntry[] };
    /** Spectral normalisation: u/0, v/0, u/1, … of D's kernels in layer order, in `spectral-norm.bin`. */
    spectralNorm?: { specs: tf.io.WeightsManifestEntry[] };
    /** Moving average of G: how many G updates it has taken in (generator/ holds it, generator-trained/ G as trained). */
    ema?: { count: number };
  };
}

export const HISTORY_FILE = 'history.bin';
/** u and v of spectral normalisation, per kernel of D (specs in genlab-model.json `state.spectralNorm`). */
export const SPECTRAL_NORM_FILE = 'spectral-norm.bin';
/** With a moving average of G: the generator as trained (generator/ holds the averaged weights). */
export const TRAINED_GENERATOR_DIR = `generator${TRAINED_SUFFIX}`;

/** Adam settings for GANs when the user gives none: Radford et al. 2016 (lr 2e-4, β1 0.5); WGAN-GP: Gulrajani et al. 2017 (1e-4, β = (0, 0.9)). */
export function recommendedOptimizer(loss: GanLoss): { learningRate: number; beta1: number; beta2: number } {
  return loss === 'wgan-gp' ? { learningRate: 1e-4, beta1: 0, beta2: 0.9 } : { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 };
}

/** Fills in and checks the network options shared by GAN and VAE-GAN. */
export function resolveNetConfig(kind: string, options: Partial<AdversarialNetConfig>, data: DataInfo, defaultArch: Arch): AdversarialNetConfig {
  const arch = options.arch ?? defaultArch;
  checkChoice(`${kind}: arch`, arch, ARCHS);
  if (!(data.shape.length > 0 && data.shape.every((d) => Number.isInteger(d) && d >= 1))) {
    throw badInput(`${kind}: data shape`, `expected positive integers, got [${data.shape.join(', ')}]`);
  }
  if (arch === 'conv' && (data.kind !== 'images' || data.shape.length !== 3)) {
    throw badInput(`${kind}: arch`, `conv (DCGAN) nets need images [height, width, channels], got ${data.kind} [${data.shape.join(', ')}]: use arch mlp (kind gan)`);
  }
  const config: AdversarialNetConfig = {
    arch,
    hidden: [...(options.hidden ?? (data.kind === 'images' ? [256, 256] : [128, 128]))],
    latent: options.latent ?? (data.kind === 'images' ? 100 : 8),
    filters: [...(options.filters ?? [32, 64])],
    batchNorm: options.batchNorm ?? arch === 'conv',
    labelSmoothing: options.labelSmoothing ?? 1,
    residual: options.residual ?? false,
  };
  if (typeof config.residual !== 'boolean') throw badInput(`${kind}: residual`, `expected true or false, got ${String(config.residual)}`);
  if (config.residual && arch !== 'conv') throw badInput(`${kind}: residual`, 'residual blocks replace the conv nets’ layers: use arch conv (kind dcgan)');
  if (arch === 'mlp' && config.hidden.length === 0) throw badInput(`${kind}: hidden`, 'an MLP discriminator needs at least one hidden layer');
  config.hidden.forEach((h) => checkNumber(`${kind}: hidden`, h, 1, true));
  config.filters.forEach((f) => checkNumber(`${kind}: filters`, f, 1, true));
  if (config.filters.length === 0) throw badInput(`${kind}: filters`, 'expected at least one convolution');
  checkNumber(`${kind}: latent`, config.latent, 1, true);
  if (typeof config.batchNorm !== 'boolean') throw badInput(`${kind}: batchNorm`, `expected true or false, got ${String(config.batchNorm)}`);
  if (!(typeof config.labelSmoothing === 'number' && config.labelSmoothing > 0.5 && config.labelSmoothing <= 1)) {
    throw badInput(`${kind}: labelSmoothing`, `expected the real examples' target α in (0.5, 1] (e.g. 0.9; 1 = no smoothing), got ${String(config.labelSmoothing)}`);
  }
  return config;
}

/** Builds G alone for a config (`classes` > 0 adds the one-hot label input): the first network `buildAdversarialNets` makes. */
export function buildAdversarialGenerator(config: AdversarialNetConfig, data: DataInfo, rng: Rng, classes: number): tfl.LayersModel {
  const label = classes > 0 ? [[classes]] : [];
  if (config.arch === 'conv') {
    const build = config.residual ? buildResidualGenerator : buildDcganGenerator;
    return build({ name: 'generator', inputs: [[config.latent], ...label], output: data.shape, filters: config.filters, batchNorm: config.batchNorm, rng });
  }
  return buildGanMlpGenerator({
    name: 'generator',
    inputs: [[config.latent], ...label],
    hidden: config.hidden,
    output: data.shape,
    batchNorm: config.batchNorm,
    outputActivation: data.kind === 'images' ? 'tanh' : 'linear',
    rng,
  });
}

/** Builds G and D for a config: `classes` > 0 adds the one-hot label input to both. */
export function buildAdversarialNets(
  config: AdversarialNetConfig,
  data: DataInfo,
  rng: Rng,
  options: { classes: number; criticBatchNorm: boolean; minibatch?: MinibatchOptions | undefined; pack?: number },
): GanNetworks {
  const pack = options.pack ?? 1;
  const packedLabel = options.classes > 0 ? [[pack * options.classes]] : [];
  const generator = buildAdversarialGenerator(config, data, rng, options.classes);
  let d: DiscriminatorNets;
  if (config.arch === 'conv') {
    const [h, w, c] = data.shape as [number, number, number];
    const build = config.residual ? buildResidualDiscriminator : buildDcganDiscriminator;
    d = build({ name: 'discriminator', input: [h, w, pack * c], extraInputs: packedLabel, filters: config.filters, batchNorm: options.criticBatchNorm, minibatch: options.minibatch, rng });
  } else {
    const packedShape = pack === 1 ? data.shape : [pack * data.shape.reduce((a, b) => a * b, 1)];
    d = buildGanMlpDiscriminator({ name: 'discriminator', inputs: [packedShape, ...packedLabel], hidden: [...config.hidden].reverse(), batchNorm: options.criticBatchNorm, minibatch: options.minibatch, rng });
  }
  return { generator, discriminator: d.discriminator, head: d.head };
}

/**
 * PacGAN packing: x [n, ...] → [n/pack, ...] with each row `pack` consecutive examples side by side — features
 * concatenated ([n, d] → [n/pack, pack·d], images flattened first) for MLP discriminators, channels for conv ones
 * ([n, h, w, c] → [n/pack, h, w, pack·c]). A batch that is not a multiple of `pack` loses its last n mod pack examples.
 */
export function packExamples(x: tf.Tensor, pack: number, arch: Arch, where: string): tf.Tensor {
  if (pack === 1) return x;
  const n = x.shape[0]!;
  const groups = Math.floor(n / pack);
  if (groups === 0) throw badInput(where, `packing needs at least ${pack} examples per batch, got ${n}`);
  const kept = groups * pack === n ? x : tf.slice(x, 0, groups * pack);
  if (arch === 'conv' && x.rank === 4) {
    const [, h, w, c] = x.shape as [number, number, number, number];
    return tf.reshape(tf.transpose(tf.reshape(kept, [groups, pack, h, w, c]), [0, 2, 3, 1, 4]), [groups, h, w, pack * c]);
  }
  return tf.reshape(kept, [groups, -1]);
}

/**
 * Runs `f` with the batch-norm running statistics of `nets` put back afterwards: the network takes part in a step
 * (in training mode, normalising with the batch's statistics, as in pytorch/examples) without any of its state
 * changing — "the other player is fixed".
 */
export function keepingState<T>(nets: readonly (tfl.LayersModel | null)[], f: () => T): T {
  const weights = nets.flatMap((n) => (n ? n.nonTrainableWeights : []));
  if (weights.length === 0) return f();
  const saved = weights.map((w) => tf.clone(w.read()));
  try {
    return f();
  } finally {
    weights.forEach((w, i) => w.write(saved[i]!));
    tf.dispose(saved);
  }
}

/** Trainable weights of layers models as the tf.Variables the optimisers update (architecture order). */
export function trainableVariables(nets: readonly (tfl.LayersModel | null)[]): tf.Variable[] {
  return nets.flatMap((n) => (n ? n.trainableWeights.map((w) => w.read() as tf.Variable) : []));
}

/** Running means of `variables`, starting empty (count 0) or from saved values. */
export function createHistory(variables: readonly tf.Variable[], saved?: { averages: tf.Tensor[]; count: number }): HistoryState {
  const averages = variables.map((v, i) => tf.variable(saved ? saved.averages[i]! : v, false));
  return { averages, count: saved?.count ?? 0 };
}

/** Adds the current values of `variables` to the running means (inside a training step; no gradient flows). */
export function updateHistory(history: HistoryState, variables: readonly tf.Variable[]): void {
  history.count += 1;
  const t = history.count;
  tf.tidy(() => history.averages.forEach((a, i) => a.assign(tf.add(a, tf.div(tf.sub(variables[i]!, a), t))))); // ā ← ā + (θ − ā)/t
}

/** What the GAN family shares: data mapping, labels, G and D, sampling, generating, discriminating. */
export abstract class AdversarialBase implements TrainableModel {
  abstract readonly kind: string;
  abstract readonly config: AdversarialNetConfig & { conditional: boolean };
  readonly dataShape: readonly number[];
  readonly dataKind: 'images' | 'points';
  readonly classes: readonly string[] | undefined;
  readonly generator: tfl.LayersModel;
  readonly discriminator: tfl.LayersModel;
  /** Minibatch discrimination only: the layers after the minibatch features. */
  readonly discriminatorHead: tfl.LayersModel | null;

  protected constructor(data: DataInfo, nets: GanNetworks) {
    this.dataShape = [...data.shape];
    this.dataKind = data.kind;
    this.classes = data.classes ? [...data.classes] : undefined;
    this.generator = nets.generator;
    this.discriminator = nets.discriminator;
    this.discriminatorHead = nets.head;
  }

  abstract lossGroups(): LossGroup[];
  abstract evaluate(batch: TensorBatch, rng: Rng): Record<string, tf.Scalar>;
  abstract save(dir: string): Promise<void>;
  /** What `discriminate` returns. */
  abstract get discriminatorOutput(): DiscriminatorOutput;

  /** Size of z. */
  get latent(): number {
    return this.config.latent;
  }

  /** Minibatch discrimination kernels B (0 when off). */
  protected get minibatchKernels(): number {
    return 0;
  }

  /** Examples D judges together (PacGAN); 1 = each alone. */
  get pack(): number {
    return 1;
  }

  /** Images are modelled in [−1, 1] (G's tanh); points as they are. */
  protected get tanhData(): boolean {
    return this.dataKind === 'images';
  }

  /** Data range → the networks' range: 2x − 1 for images. */
  protected toModel(x: tf.Tensor): tf.Tensor {
    return this.tanhData ? tf.sub(tf.mul(x, 2), 1) : x;
  }

  /** The networks' range → data range: (g + 1) / 2 for images. */
  protected fromModel(g: tf.Tensor): tf.Tensor {
    return this.tanhData ? tf.mul(tf.add(g, 1), 0.5) : g;
  }

  /** Throws unless x is [n, ...dataShape]; returns n. */
  protected checkInput(x: tf.Tensor, where: string): number {
    return checkBatchShape(x, this.dataShape, `${this.kind}.${where}`);
  }

  /** The extra network inputs of a conditional model: [one-hot labels [n, classes]], or [] when unconditional. */
  protected conditioning(labels: tf.Tensor | undefined, n: number, where: string): tf.Tensor[] {
    return labelInputs(labels, n, this.config.conditional ? this.classes!.length : null, `${this.kind}.${where}`);
  }


  /** G (or `net`, a network of G's shape) on codes z [n, latent] (+ labels): its raw output, in the networks' range. */
  protected runGenerator(z: tf.Tensor, cond: tf.Tensor[], training: boolean, net: tfl.LayersModel = this.generator): tf.Tensor {
    return net.apply(cond.length ? [z, ...cond] : z, { training }) as tf.Tensor;
  }

  /** The generator that `generate` and `sample` run (GAN: the moving average of G's weights when it has one). */
  protected samplingGenerator(): tfl.LayersModel {
    return this.generator;
  }

  /** Runs `f`, D's forward passes, with D's weights as they are used (GAN: spectrally normalised when on). */
  protected withDiscriminatorWeights<T>(f: () => T): T {
    return f();
  }

  /**
   * D on x in the networks' range (+ labels): its output [n] (logit, score or critic) and its features [n, F]; with
   * packing, one output and one feature row per pack of examples ([n/pack]).
   */
  protected runDiscriminator(x: tf.Tensor, cond: tf.Tensor[], training: boolean): { out: tf.Tensor1D; features: tf.Tensor2D } {
    if (this.pack > 1) {
      const where = `${this.kind}: pack`;
      x = packExamples(x, this.pack, this.config.arch, where);
      cond = cond.map((c) => packExamples(c, this.pack, 'mlp', where));
    }
    const n = x.shape[0]!;
    const inputs = cond.length ? [x, ...cond] : x;
    return this.withDiscriminatorWeights(() => {
      const outputs = this.discriminator.apply(inputs, { training }) as tf.Tensor[];
      if (!this.discriminatorHead) return { out: tf.reshape(outputs[0]!, [n]) as tf.Tensor1D, features: outputs[1] as tf.Tensor2D };
      const features = outputs[0] as tf.Tensor2D;
      const o = minibatchFeatures(outputs[1]!, this.minibatchKernels); // [n, B]
      const logit = this.discriminatorHead.apply([features, o], { training }) as tf.Tensor;
      return { out: tf.reshape(logit, [n]) as tf.Tensor1D, features };
    });
  }

  /** Codes z ~ N(0, I): [n, latent], seeded by `rng`. */
  noise(n: number, rng: Rng): tf.Tensor2D {
    return randomNormal([n, this.latent], rng.tfSeed());
  }

  /**
   * G(z) in the data's range, batch norm in inference mode: [n, ...dataShape]. Labels for conditional models. With a
   * moving average of G's weights (`emaDecay`), the averaged generator.
   */
  generate(z: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor {
    if (z.rank !== 2 || z.shape[1] !== this.latent) throw badInput(`${this.kind}.generate`, `expected codes [n, ${this.latent}], got [${z.shape.join(', ')}]`);
    const n = z.shape[0]!;
    const net = this.samplingGenerator();
    return tf.tidy(() => tf.reshape(this.fromModel(this.runGenerator(z, this.conditioning(labels, n, 'generate'), false, net)), [n, ...this.dataShape]));
  }

  /**
   * D's output on x (data range), batch norm in inference mode: [n] — the probability that x is real (minimax and
   * non-saturating losses), or D's raw score (lsgan: 1 = real, 0 = generated) or critic value (wgan-gp); see
   * `discriminatorOutput`. With minibatch discrimination the examples of x are compared with each other, as in training.
   * With packing D judges x's examples in consecutive packs (x cycled to fill the last one) and every example gets
   * its pack's output.
   */
  discriminate(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor1D {
    return tf.tidy(() => {
      const { out } = this.judgeEach(x, labels, 'discriminate');
      return this.discriminatorOutput === 'probability' ? tf.sigmoid(out) : out;
    });
  }

  /**
   * D's features of x (data range): its last hidden layer, [n, F], batch norm in inference mode — the space in which
   * the VAE-GAN (Larsen et al. 2016) measures reconstruction, where one pixel that extends a stroke and one stray
   * pixel are not the same distance away. Labels for conditional models; with packing each example gets its pack's
   * features, as in `discriminate`.
   */
  discriminatorFeatures(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor2D {
    return tf.tidy(() => this.judgeEach(x, labels, 'discriminatorFeatures').features);
  }

  /**
   * D in inference mode on x (data range), one output [n] and one feature row [n, F] per example: with packing, x is
   * cycled to fill the last pack and each example gets its pack's output and features. Call inside tf.tidy.
   */
  private judgeEach(x: tf.Tensor, labels: tf.Tensor1D | undefined, where: string): { out: tf.Tensor1D; features: tf.Tensor2D } {
    const n = this.checkInput(x, where);
    let inputs = this.toModel(x);
    let cond = this.conditioning(labels, n, where);
    const filled = Math.ceil(n / this.pack) * this.pack;
    if (filled > n) {
      const cycle = tf.tensor1d(Int32Array.from({ length: filled }, (_, i) => i % n), 'int32');
      inputs = tf.gather(inputs, cycle);
      cond = cond.map((c) => tf.gather(c, cycle));
    }
    const { out, features } = this.runDiscriminator(inputs, cond, false);
    if (this.pack === 1) return { out, features };
    const packOf = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => Math.floor(i / this.pack)), 'int32');
    return { out: tf.gather(out, packOf) as tf.Tensor1D, features: tf.gather(features, packOf) as tf.Tensor2D };
  }

  /** Default labels for `n` conditional samples: 0, 1, …, C−1, 0, 1, … */
  cycleLabels(n: number): tf.Tensor1D {
    const c = this.classes?.length ?? 1;
    return tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i % c), 'int32');
  }

  /** n new examples G(z), z ~ N(0, I) seeded by `rng`: [n, ...dataShape] in the data's range. Conditional models sample `labels`, or cycle through the classes. */
  sample(n: number, rng: Rng, labels?: tf.Tensor1D): tf.Tensor {
    checkNumber(`${this.kind}.sample: n`, n, 1, true);
    const z = this.noise(n, rng);
    const own = this.config.conditional && !labels ? this.cycleLabels(n) : undefined;
    try {
      return this.generate(z, own ?? labels);
    } finally {
      z.dispose();
      own?.dispose();
    }
  }

  /** Trainable variables of the discriminator (head included). */
  discriminatorVariables(): tf.Variable[] {
    return trainableVariables([this.discriminator, this.discriminatorHead]);
  }

  /** Trainable variables of the generator. */
  generatorVariables(): tf.Variable[] {
    return trainableVariables([this.generator]);
  }

  variables(): tf.Variable[] {
    return [...this.generatorVariables(), ...this.discriminatorVariables()];
  }

  /** genlab-model.json fields every model of the family writes. */
  protected fileBase(networks: Record<string, string>): AdversarialModelFile {
    return modelFileBase(this, networks);
  }

  /** One line on what G's output means, for genlab-model.json. */
  protected describeGenerator(): string {
    const label = this.config.conditional ? ', one-hot label' : '';
    const range = this.tanhData ? 'tanh output in [−1, 1]; data = (output + 1) / 2' : 'linear output, in the data’s units';
    return `inputs: z [${this.latent}] ~ N(0, I)${label}; output: an example [${this.dataShape.join(', ')}], ${range}`;
  }

  /** One line on what D's outputs mean, for genlab-model.json. */
  protected describeDiscriminator(): string {
    const label = this.config.conditional ? ', one-hot label' : '';
    const input = `inputs: x [${this.dataShape.join(', ')}]${this.tanhData ? ' mapped to [−1, 1] (2·data − 1)' : ''}${label}`;
    const what = this.discriminatorOutput === 'probability' ? 'a logit (σ gives P(real))' : this.discriminatorOutput === 'score' ? 'a least-squares score (1 real, 0 generated)' : 'a critic value';
    if (this.discriminatorHead) {
      return `${input}; outputs: [features, projection M (${this.minibatchKernels} kernels)]: o_b = Σ_{j≠i} exp(−‖M_ib − M_jb‖₁) over the batch, then discriminator-head/ ([features, o] → ${what})`;
    }
    return `${input}; outputs: [${what}, features of the last hidden layer]`;
  }

  dispose(): void {
    this.generator.dispose();
    this.discriminator.dispose();
    this.discriminatorHead?.dispose();
  }
}

/** Encodes history averages for history.bin. */
export async function encodeHistory(histories: Record<string, HistoryState>): Promise<{ data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[]; counts: Record<string, number> }> {
  const named = Object.entries(histories).flatMap(([player, h]) => h.averages.map((a, i) => ({ name: `${player}/${i}`, tensor: a as tf.Tensor })));
  const { data, specs } = await tf.io.encodeWeights(named);
  return { data, specs, counts: Object.fromEntries(Object.entries(histories).map(([p, h]) => [p, h.count])) };
}

/** Reads history.bin back: per player, its averages in order and count. */
export async function decodeHistory(dir: string, saved: { counts: Record<string, number>; specs: tf.io.WeightsManifestEntry[] }): Promise<Record<string, { averages: tf.Tensor[]; count: number }>> {
  const bytes = await readModelBinaryFile(dir, HISTORY_FILE, 'missing: the model was saved with historical averages');
  const decoded = tf.io.decodeWeights(bytes, saved.specs);
  const out: Record<string, { averages: tf.Tensor[]; count: number }> = {};
  for (const [player, count] of Object.entries(saved.counts)) {
    const averages: tf.Tensor[] = [];
    for (let i = 0; decoded[`${player}/${i}`]; i++) averages.push(decoded[`${player}/${i}`]!);
    out[player] = { averages, count };
  }
  return out;
}

/** Encodes the spectral normaliser's vectors for spectral-norm.bin: u/0, v/0, u/1, v/1, … */
export async function encodeSpectralNorm(sn: SpectralNorm): Promise<{ data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[] }> {
  const { u, v } = sn.vectors();
  return tf.io.encodeWeights(u.flatMap((ui, i) => [{ name: `u/${i}`, tensor: ui as tf.Tensor }, { name: `v/${i}`, tensor: v[i]! as tf.Tensor }]));
}

/** Reads spectral-norm.bin back: the u and v vectors in kernel order (the caller owns them). */
export async function decodeSpectralNorm(dir: string, specs: tf.io.WeightsManifestEntry[]): Promise<{ u: tf.Tensor[]; v: tf.Tensor[] }> {
  const bytes = await readModelBinaryFile(dir, SPECTRAL_NORM_FILE, 'missing: the model was saved with spectralNorm');
  const decoded = tf.io.decodeWeights(bytes, specs);
  const u: tf.Tensor[] = [];
  const v: tf.Tensor[] = [];
  for (let i = 0; decoded[`u/${i}`] && decoded[`v/${i}`]; i++) {
    u.push(decoded[`u/${i}`]!);
    v.push(decoded[`v/${i}`]!);
  }
  const used = new Set([...u, ...v]);
  tf.dispose(Object.values(decoded).filter((t) => !used.has(t)));
  return { u, v };
}

/**
 * A GAN (kinds gan, dcgan, cgan, wgan-gp). Two loss groups: 'discriminator' (dSteps updates, terms
 * { loss, adversarial, real, fake, gradientPenalty?, historical? }) then 'generator' (terms
 * { loss, adversarial, featureMatching?, historical? }). `real` and `fake` are D's mean output on the batch's real and
 * generated examples (probabilities for minimax / non-saturating).
 */
export class GAN extends AdversarialBase {
  readonly kind: string;
  readonly config: GANConfig;
  /** Historical averaging (§3.3 of Salimans et al.): running means per player; null when off. */
  private readonly history: { discriminator: HistoryState; generator: HistoryState } | null;

  /** Spectral normalisation of D's kernels (u, v per kernel); null when off. */
  private readonly spectral: SpectralNorm | null;
  /** The moving average of G's weights (`emaDecay`; the generator group's afterUpdate takes each update in); null when off. */
  private readonly average: AverageState | null;
  /** G's batch of this step while the generator group's loss runs D's update inside it (shareFakes); else null. */
  private sharedFake: tf.Tensor | null = null;

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
    } = {},
  ) {
    super(data, nets);
    this.kind = kind;
    this.config = config;
    const { history, spectral, average } = state;
    if (config.minibatchDiscrimination !== (nets.head !== null)) throw badInput(`${kind}`, 'the networks do not match minibatchDiscrimination (a discriminator head is needed exactly when it is on)');
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
      shareFakes: options.shareFakes ?? dSteps === 1,
    };
    checkNumber(`${kind}: dSteps`, config.dSteps, 1, true, 100);
    checkNumber(`${kind}: gpWeight`, config.gpWeight, 0);
    checkNumber(`${kind}: minibatchKernels`, config.minibatchKernels, 1, true);
    checkNumber(`${kind}: minibatchKernelDims`, config.minibatchKernelDims, 1, true);
    checkNumber(`${kind}: historicalAveraging`, config.historicalAveraging, 0);
    checkNumber(`${kind}: pack`, config.pack, 1, true, 64);
    checkNumber(`${kind}: instanceNoise`, config.instanceNoise, 0);
    checkNumber(`${kind}: instanceNoiseSteps`, config.instanceNoiseSteps, 1, true);
    checkNumber(`${kind}: zeroCenteredPenalty`, config.zeroCenteredPenalty, 0);
    checkNumber(`${kind}: r1Penalty`, config.r1Penalty, 0);
    checkNumber(`${kind}: emaDecay`, config.emaDecay, 0, false, MAX_EMA_DECAY);
    for (const flag of ['featureMatching', 'minibatchDiscrimination', 'conditional', 'batchNorm', 'spectralNorm', 'diffAugment', 'shareFakes'] as const) {
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
    if (loss === 'wgan-gp' && config.zeroCenteredPenalty > 0) {
      throw badInput(`${kind}: zeroCenteredPenalty`, 'WGAN-GP has its own gradient penalty (gpWeight); the zero-centred one is for minimax, nonsaturating or lsgan');
    }
    if (loss === 'wgan-gp' && config.pack > 1) {
      throw badInput(`${kind}: pack`, 'the gradient penalty is defined per example; packing (PacGAN) is for minimax, nonsaturating or lsgan');
    }
    if (config.conditional && !(data.classes && data.classes.length >= 1)) throw badInput(kind, 'a conditional GAN needs data with class labels (e.g. mnist)');
    if (config.diffAugment && !(data.kind === 'images' && data.shape.length === 3)) {
      throw badInput(`${kind}: diffAugment`, `augments images (colour, translation, cutout); the data are ${data.kind} of shape [${data.shape.join(', ')}]`);
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
      minibatch: config.minibatchDiscrimination ? { kernels: config.minibatchKernels, kernelDims: config.minibatchKernelDims } : undefined,
      pack: config.pack,
    });
    const spectral = config.spectralNorm ? SpectralNorm.create([nets.discriminator, nets.head], rng) : undefined;
    // The average's copy is built with any seed: its initial weights are overwritten.
    const average = config.emaDecay > 0 ? startAverageOf(nets.generator, buildAdversarialGenerator(config, data, new Rng(0), classes)) : undefined;
    return new GAN(kind, config, data, nets, { spectral, average });
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
    const head = config.minibatchDiscrimination ? await loadLayersModel(joinPath(dir, 'discriminator-head')) : null;
    const saved = file.state?.historicalAverage;
    const history = saved ? await decodeHistory(dir, saved) : undefined;
    let spectral: SpectralNorm | undefined;
    if (config.spectralNorm) {
      const vectors = await decodeSpectralNorm(dir, file.state!.spectralNorm!.specs);
      try {
        spectral = SpectralNorm.restore([discriminator, head], vectors, joinPath(dir, SPECTRAL_NORM_FILE));
      } finally {
        tf.dispose([...vectors.u, ...vectors.v]);
      }
    }
    return new GAN(file.kind, config, data, { generator, discriminator, head }, { history, spectral, average });
  }

  get discriminatorOutput(): DiscriminatorOutput {
    return this.config.loss === 'lsgan' || this.config.loss === 'hinge' ? 'score' : this.config.loss === 'wgan-gp' ? 'critic' : 'probability';
  }

  protected override get minibatchKernels(): number {
    return this.config.minibatchDiscrimination ? this.config.minibatchKernels : 0;
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
   * diffAugment) differentiable augmentation; evaluation sees the examples as they are, bar the noise.
   */
  private discriminatorInputs(step: number, rng: Rng, update: boolean): (x: tf.Tensor) => tf.Tensor {
    const noisy = this.instanceNoiser(step, rng);
    if (!(update && this.config.diffAugment)) return noisy;
    return (x) => diffAugment(noisy(x) as tf.Tensor4D, rng);
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
    const terms = tf.tidy(() => {
      const cond = this.conditioning(batch.labels, n, 'loss');
      const generated = this.runGenerator(randomNormal([n, this.latent], z), cond, true, g);
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

  protected override samplingGenerator(): tfl.LayersModel {
    return this.average?.generator ?? this.generator;
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
      { name: 'discriminator', variables: this.discriminatorVariables(), steps: this.config.dSteps, loss: (batch, rng, step) => this.discriminatorTerms(batch, rng, true, step) },
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
    if (this.discriminatorHead) networks['discriminator-head'] = 'inputs: [features, minibatch features o]; output: D’s output (see discriminator)';
    const file = this.fileBase(networks);
    const history = this.history ? await encodeHistory({ discriminator: this.history.discriminator, generator: this.history.generator }) : null;
    const spectral = this.spectral ? await encodeSpectralNorm(this.spectral) : null;
    const state: NonNullable<AdversarialModelFile['state']> = {};
    if (history) state.historicalAverage = { counts: history.counts, specs: history.specs };
    if (spectral) state.spectralNorm = { specs: spectral.specs };
    if (averaged) state.ema = { count: this.average!.count };
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
  }
}
