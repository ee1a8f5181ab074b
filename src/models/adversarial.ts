/**
 * What the GAN family shares (GAN, VAE-GAN; LAPGAN and SRGAN use the helpers): the networks' options and builders,
 * PacGAN packing, keeping the fixed player's state, and `AdversarialBase` — data mapping to the networks' range,
 * labels, G and D, sampling, generating, discriminating. gan.ts holds the GAN itself and its losses' wiring.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { AdaState } from './ada.js';
import { badInput } from '../engine/errors.js';
import type { Rng } from '../engine/rng.js';
import { checkBatchShape, labelInputs } from './inputs.js';
import { buildResidualDiscriminator, buildResidualGenerator } from '../nets/resnet-gan.js';
import {
  buildDcganDiscriminator,
  buildDcganGenerator,
  buildGanMlpDiscriminator,
  buildGanMlpGenerator,
  checkPalette,
  UPSAMPLES,
  type DiscriminatorNets,
  type MinibatchOptions,
  type Upsample,
} from '../nets/dcgan.js';
import { ARCHS, modelFileBase, type Arch, type DataInfo, type LossGroup, type ModelFile, type TensorBatch, type TrainableModel } from './model.js';
import { checkChoice, checkNumber } from './validate.js';
import { minibatchFeatures, minibatchStddev } from './gan-losses.js';
import { randomNormal } from '../engine/kernels/random.js';

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
  /** Conv nets: G paints each image with K colours of its own (nets/dcgan.ts `paletteImage`). Default 0 = off. */
  palette: number;
  /** Conv nets: how the DCGAN's G doubles its sides, 'transposed' convolutions or 'nearest' upsampling and a conv (nets/dcgan.ts `UPSAMPLES`). Default 'transposed'. */
  upsample: Upsample;
  /** Conv nets: a self-attention block in G (before its last doubling) and D (after its first convolution) (Zhang et al. 2019; nets/attention.ts). Default false. */
  selfAttention: boolean;
}

/** The networks of a GAN. */
export interface GanNetworks {
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  /** The discriminator's head, with minibatch discrimination only. */
  head: tfl.LayersModel | null;
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
    /** Adaptive augmentation (adaTarget): p and the signs of the interval in progress (models/ada.ts). */
    ada?: AdaState;
  };
}

/** What G is applied to: the codes z alone, or z and the conditioning inputs (one-hot labels). */
export function generatorInputs(z: tf.Tensor, cond: readonly tf.Tensor[]): tf.Tensor | tf.Tensor[] {
  return cond.length ? [z, ...cond] : z;
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
    palette: options.palette ?? 0,
    upsample: options.upsample ?? 'transposed',
    selfAttention: options.selfAttention ?? false,
  };
  if (typeof config.residual !== 'boolean') throw badInput(`${kind}: residual`, `expected true or false, got ${String(config.residual)}`);
  if (config.residual && arch !== 'conv') throw badInput(`${kind}: residual`, 'residual blocks replace the conv nets’ layers: use arch conv (kind dcgan)');
  checkPalette(`${kind}: palette`, config.palette);
  if (config.palette > 0 && arch !== 'conv') throw badInput(`${kind}: palette`, 'a palette paints the conv generator’s images: use arch conv (kind dcgan)');
  checkChoice(`${kind}: upsample`, config.upsample, UPSAMPLES);
  if (config.upsample === 'nearest' && (arch !== 'conv' || config.residual)) {
    throw badInput(`${kind}: upsample`, `nearest upsampling replaces the DCGAN generator’s transposed convolutions: use arch conv without residual (whose blocks upsample by nearest already), got ${config.residual ? 'residual' : `arch ${arch}`}`);
  }
  if (typeof config.selfAttention !== 'boolean') throw badInput(`${kind}: selfAttention`, `expected true or false, got ${String(config.selfAttention)}`);
  if (config.selfAttention && (arch !== 'conv' || config.residual)) {
    throw badInput(`${kind}: selfAttention`, `self-attention joins the DCGAN nets’ feature maps: use arch conv without residual, got ${config.residual ? 'residual' : `arch ${arch}`}`);
  }
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

/**
 * Builds G alone for a config (`classes` > 0 adds the one-hot label input): the first network `buildAdversarialNets`
 * makes. Images get a tanh output, or a linear one with `exactBounds` (the model clips it to [−1, 1]).
 */
export function buildAdversarialGenerator(config: AdversarialNetConfig, data: DataInfo, rng: Rng, classes: number, exactBounds = false): tfl.LayersModel {
  const label = classes > 0 ? [[classes]] : [];
  const outputActivation = data.kind === 'images' && !exactBounds ? 'tanh' : 'linear';
  if (config.arch === 'conv') {
    const build = config.residual ? buildResidualGenerator : buildDcganGenerator;
    return build({ name: 'generator', inputs: [[config.latent], ...label], output: data.shape, filters: config.filters, batchNorm: config.batchNorm, outputActivation, palette: config.palette, upsample: config.upsample, attention: config.selfAttention, rng });
  }
  return buildGanMlpGenerator({
    name: 'generator',
    inputs: [[config.latent], ...label],
    hidden: config.hidden,
    output: data.shape,
    batchNorm: config.batchNorm,
    outputActivation,
    rng,
  });
}

/** Builds G and D for a config: `classes` > 0 adds the one-hot label input to both. */
export function buildAdversarialNets(
  config: AdversarialNetConfig,
  data: DataInfo,
  rng: Rng,
  options: { classes: number; criticBatchNorm: boolean; minibatch?: MinibatchOptions | undefined; pack?: number; exactBounds?: boolean },
): GanNetworks {
  const pack = options.pack ?? 1;
  const packedLabel = options.classes > 0 ? [[pack * options.classes]] : [];
  const generator = buildAdversarialGenerator(config, data, rng, options.classes, options.exactBounds);
  let d: DiscriminatorNets;
  if (config.arch === 'conv') {
    const [h, w, c] = data.shape as [number, number, number];
    const build = config.residual ? buildResidualDiscriminator : buildDcganDiscriminator;
    d = build({ name: 'discriminator', input: [h, w, pack * c], extraInputs: packedLabel, filters: config.filters, batchNorm: options.criticBatchNorm, minibatch: options.minibatch, attention: config.selfAttention, rng });
  } else {
    const packedShape = pack === 1 ? data.shape : [pack * data.shape.reduce((a, b) => a * b, 1)];
    d = buildGanMlpDiscriminator({ name: 'discriminator', inputs: [packedShape, ...packedLabel], hidden: [...config.hidden].reverse(), batchNorm: options.criticBatchNorm, minibatch: options.minibatch, rng });
  }
  return { generator, discriminator: d.discriminator, head: d.head };
}

/**
 * D's output [n] (logit, score or critic) and features [n, F] on `inputs`: the stock model alone, or, split for a
 * comparison of the batch's examples (nets/dcgan.ts finishDiscriminator), its body, the comparison — minibatch
 * discrimination's o [n, B] or the minibatch standard deviation [n, 1] — and its head, plus a conditional conv D's
 * projection term, the body's last output. `n`: the examples D judges (packs, with PacGAN).
 */
export function applyDiscriminator(
  nets: DiscriminatorNets,
  minibatch: MinibatchOptions | undefined,
  inputs: tf.Tensor | tf.Tensor[],
  training: boolean,
  n: number,
): { out: tf.Tensor1D; features: tf.Tensor2D } {
  const applied = nets.discriminator.apply(inputs, { training }) as tf.Tensor | tf.Tensor[];
  const outputs = Array.isArray(applied) ? applied : [applied]; // a body of one output: [features]
  if (!nets.head || !minibatch) return { out: tf.reshape(outputs[0]!, [n]) as tf.Tensor1D, features: outputs[1] as tf.Tensor2D };
  const [features, ...rest] = outputs as [tf.Tensor2D, ...tf.Tensor[]];
  const o = 'stddevGroup' in minibatch ? minibatchStddev(features, minibatch.stddevGroup) : minibatchFeatures(rest.shift()!, minibatch.kernels);
  let logit = nets.head.apply([features, o], { training }) as tf.Tensor;
  if (rest[0]) logit = tf.add(logit, rest[0]);
  return { out: tf.reshape(logit, [n]) as tf.Tensor1D, features };
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

/** What the GAN family shares: data mapping, labels, G and D, sampling, generating, discriminating. */
export abstract class AdversarialBase implements TrainableModel {
  abstract readonly kind: string;
  abstract readonly config: AdversarialNetConfig & { conditional: boolean };
  readonly dataShape: readonly number[];
  readonly dataKind: 'images' | 'points';
  readonly classes: readonly string[] | undefined;
  readonly generator: tfl.LayersModel;
  readonly discriminator: tfl.LayersModel;
  /** Minibatch discrimination or standard deviation only: the layers after the batch's comparison. */
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

  /** How D compares the examples of its batch (between its body and head), or undefined: each alone. */
  protected get minibatch(): MinibatchOptions | undefined {
    return undefined;
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


  /**
   * Whether G's last layer is linear and its output clipped to [−1, 1] (GAN `exactBounds`), so generated images reach
   * the ends of the range exactly; otherwise G's tanh (images) or linear output (points) is used as it is.
   */
  protected get clipsOutput(): boolean {
    return false;
  }

  /** G (or `net`, a network of G's shape) on codes z [n, latent] (+ labels): its output, in the networks' range. */
  protected runGenerator(z: tf.Tensor, cond: tf.Tensor[], training: boolean, net: tfl.LayersModel = this.generator): tf.Tensor {
    return this.bounded(net.apply(generatorInputs(z, cond), { training }) as tf.Tensor);
  }

  /** G's raw output as the model uses it: clipped to [−1, 1] when `clipsOutput`. */
  protected bounded(out: tf.Tensor): tf.Tensor {
    return this.clipsOutput ? tf.clipByValue(out, -1, 1) : out;
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
    const nets = { discriminator: this.discriminator, head: this.discriminatorHead };
    return this.withDiscriminatorWeights(() => applyDiscriminator(nets, this.minibatch, inputs, training, n));
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
    const range = !this.tanhData ? 'linear output, in the data’s units' : `${this.clipsOutput ? 'linear output, clipped to [−1, 1] by the model' : 'tanh output in [−1, 1]'}; data = (output + 1) / 2`;
    return `inputs: z [${this.latent}] ~ N(0, I)${label}; output: an example [${this.dataShape.join(', ')}], ${range}`;
  }

  /** One line on what D's outputs mean, for genlab-model.json. */
  protected describeDiscriminator(): string {
    const label = this.config.conditional ? ', one-hot label' : '';
    const input = `inputs: x [${this.dataShape.join(', ')}]${this.tanhData ? ' mapped to [−1, 1] (2·data − 1)' : ''}${label}`;
    const what = this.discriminatorOutput === 'probability' ? 'a logit (σ gives P(real))' : this.discriminatorOutput === 'score' ? 'a least-squares score (1 real, 0 generated)' : 'a critic value';
    const minibatch = this.minibatch;
    if (this.discriminatorHead && minibatch) {
      const compared = 'stddevGroup' in minibatch ? 0 : 1;
      const projection = this.discriminator.outputs.length > 1 + compared ? ', label term ⟨V·y, features⟩' : '';
      const head = `then discriminator-head/ ([features, o] → ${what})${projection ? ', the label term added to its output' : ''}`;
      if ('stddevGroup' in minibatch) {
        return `${input}; outputs: [features${projection}]: o = mean over features of their standard deviation over each group of ${minibatch.stddevGroup} consecutive examples, ${head}`;
      }
      return `${input}; outputs: [features, projection M (${minibatch.kernels} kernels)${projection}]: o_b = Σ_{j≠i} exp(−‖M_ib − M_jb‖₁) over the batch, ${head}`;
    }
    return `${input}; outputs: [${what}, features of the last hidden layer]`;
  }

  dispose(): void {
    this.generator.dispose();
    this.discriminator.dispose();
    this.discriminatorHead?.dispose();
  }
}
