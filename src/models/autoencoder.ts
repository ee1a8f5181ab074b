/**
 * Autoencoders: what the family shares (networks, the decoder's likelihood, labels, saving), and the plain and
 * denoising autoencoders themselves. The VAE (vae.ts) builds on the same base; the options they share, their checks
 * and the networks they build are in latent-config.ts.
 *
 * The lecture's contrast: a VAE adds noise to the encoder's *output* (the code); a denoising autoencoder adds noise to
 * the encoder's *input* (Vincent et al. 2008, "Extracting and Composing Robust Features with Denoising Autoencoders";
 * Vincent et al. 2010, JMLR, §4.2 for the noise types) and learns to reconstruct the clean example.
 *
 * Saved form (`save(dir)`): `encoder/` and `decoder/` are standard TF.js layers models (model.json + weights.bin, no
 * custom layers: stock `tf.loadLayersModel` opens them), and `genlab-model.json` records the kind, the config, the
 * data shape and what each network's inputs and outputs mean. Sampling and noise stay outside the networks.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { badFile, badInput } from '../engine/errors.js';
import { joinPath, loadLayersModel, writeModelDir } from '../engine/model-io.js';
import type { Rng } from '../engine/rng.js';
import { untaped } from '../engine/untaped.js';
import { checkBatchShape, labelInputs } from './inputs.js';
import { madeForward, madeMeanField, pixelMasks } from '../nets/made.js';
import { bernoulliLogLikelihood, gaussianLogLikelihood, l2WeightDecay } from './losses.js';
import { TRAINED_SUFFIX, updateAverage, type NetworkAverage } from './average.js';
import {
  MIN_DECODER_LOGVAR,
  NOISE_TYPES,
  buildNetworks,
  describeDecoder,
  valuesPerExample,
  resolveLatentConfig,
  type AutoencoderConfig,
  type GenlabModelFile,
  type LatentModelConfig,
  type Networks,
} from './latent-config.js';
import { MODEL_FILE, modelFileBase, readModelFile, type DataInfo, type LossGroup, type LossTerms, type TensorBatch, type TrainableModel } from './model.js';
import { checkChoice, checkNumber } from './validate.js';
import { randomNormal } from '../engine/kernels/random.js';

/**
 * What every model of the family shares: the networks, labels, the decoder's likelihood, decoding, sampling and
 * saving. Subclasses define the encoder's meaning (a code, or a mean and log-variance) and the loss.
 */
export abstract class LatentModelBase<C extends LatentModelConfig = LatentModelConfig> implements TrainableModel {
  abstract readonly kind: string;
  readonly dataShape: readonly number[];
  readonly dataKind: 'images' | 'points';
  readonly classes: readonly string[] | undefined;
  readonly encoder: tfl.LayersModel;
  readonly decoder: tfl.LayersModel;
  /** The autoregressive connections between pixels (`autoregressive`), or null. */
  readonly pixels: tfl.LayersModel | null;
  /** Their masks, one per dense layer: output i sees only inputs j < i (`autoregressive`); [] otherwise. */
  private readonly pixelMasks: tf.Tensor2D[];
  /** Shared log σ² of a Gaussian decoder with `learned` variance; null otherwise. */
  protected readonly decoderLogVar: tf.Variable | null;
  /** The moving average of the networks (`emaDecay` > 0), or null. */
  private readonly average: NetworkAverage | null;
  /** > 0 while inference runs on the averaged networks (see `averaged`). */
  private onAverage = 0;
  /** `networks()`, once asked for. */
  private trained: Record<string, tfl.LayersModel> | null = null;

  protected constructor(
    readonly config: C,
    data: DataInfo,
    nets: Networks,
    state: { decoderLogVar?: number } = {},
    average: NetworkAverage | null = null,
  ) {
    if ((config.emaDecay > 0) !== (average !== null)) throw badInput('model', 'an average of the networks is needed exactly when emaDecay > 0');
    this.dataShape = [...data.shape];
    this.dataKind = data.kind;
    this.classes = data.classes ? [...data.classes] : undefined;
    this.encoder = nets.encoder;
    this.decoder = nets.decoder;
    if (config.autoregressive !== (nets.pixels !== undefined)) throw badInput('model', 'the pixels’ network is needed exactly when autoregressive is on');
    this.pixels = nets.pixels ?? null;
    this.pixelMasks = config.autoregressive ? pixelMasks(data.shape, config.autoregressiveHidden, config.autoregressiveWindow) : [];
    this.average = average;
    const learned = config.decoder === 'gaussian' && config.decoderVariance === 'learned';
    this.decoderLogVar = learned ? tf.variable(tf.scalar(state.decoderLogVar ?? Math.log(config.decoderStd ** 2)), true) : null;
  }

  /** Size of the code. */
  get latent(): number {
    return this.config.latent;
  }

  /** Values per example (D). */
  get dataSize(): number {
    return valuesPerExample({ shape: this.dataShape });
  }

  abstract lossGroups(): LossGroup[];
  abstract evaluate(batch: TensorBatch, rng: Rng): Record<string, tf.Scalar>;
  /** The deterministic code of x (an AE's code, a VAE's posterior mean): [n, latent]. */
  abstract code(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor2D;
  /** What the encoder's output means, for genlab-model.json. */
  protected abstract describeEncoder(): string;

  /** Throws unless x is [n, ...dataShape]; returns n. */
  protected checkInput(x: tf.Tensor, where: string): number {
    return checkBatchShape(x, this.dataShape, `${this.kind}.${where}`);
  }

  /** The extra network inputs of a conditional model: [one-hot labels [n, classes]], or [] when unconditional. */
  protected conditioning(labels: tf.Tensor | undefined, n: number, where: string): tf.Tensor[] {
    return labelInputs(labels, n, this.config.conditional ? this.classes!.length : null, `${this.kind}.${where}`);
  }


  /**
   * The network `name` to compute with: inside `averaged(…)` the moving average of it when the model keeps one,
   * else the trained network.
   */
  protected net(name: string): tfl.LayersModel {
    if (this.onAverage > 0 && this.average) return this.average.nets[name]!;
    this.trained ??= this.networks(); // built once, after the subclass has set its networks (a step asks several times)
    return this.trained[name]!;
  }

  /** Runs `f` on the averaged networks, if any: sampling, evaluation, encoding and scoring do; training does not. */
  protected averaged<T>(f: () => T): T {
    this.onAverage++;
    try {
      return f();
    } finally {
      this.onAverage--;
    }
  }

  /** True when the model keeps a moving average of its networks. */
  get keepsAverage(): boolean {
    return this.average !== null;
  }

  /** Takes the trained weights into the average (after each update of the loss group that trains them). */
  protected takeIntoAverage(): void {
    const a = this.average!;
    a.count += 1;
    for (const [name, net] of Object.entries(this.networks())) updateAverage(a.nets[name]!, net, this.config.emaDecay, a.count);
  }

  /** Runs the encoder on x (and labels): its raw output [n, units]. */
  protected runEncoder(x: tf.Tensor, cond: tf.Tensor[]): tf.Tensor2D {
    return this.net('encoder').apply(cond.length ? [x, ...cond] : x, { training: true }) as tf.Tensor2D;
  }

  /** Runs the decoder on codes z [m, latent] (and labels): its raw output [m, ...outputShape]. */
  protected runDecoder(z: tf.Tensor, cond: tf.Tensor[]): tf.Tensor {
    return this.net('decoder').apply(cond.length ? [z, ...cond] : z, { training: true }) as tf.Tensor;
  }

  /** The decoder's raw output split into the parameters of p(x|z), each flattened to [...lead, D]. */
  protected decoderParams(raw: tf.Tensor, lead: number[]): { param: tf.Tensor; logVar: tf.Tensor | null } {
    const d = this.dataSize;
    if (this.config.decoder === 'gaussian' && this.config.decoderVariance === 'per-pixel') {
      const c = this.dataShape[this.dataShape.length - 1]!;
      const [m, r] = tf.split(raw, [c, c], -1) as [tf.Tensor, tf.Tensor];
      const logVar = tf.add(MIN_DECODER_LOGVAR, tf.softplus(tf.sub(r, MIN_DECODER_LOGVAR)));
      return { param: tf.reshape(m, [...lead, d]), logVar: tf.reshape(logVar, [...lead, d]) };
    }
    return { param: tf.reshape(raw, [...lead, d]), logVar: this.decoderLogVar };
  }

  /**
   * log p(x|z) per example from the decoder's raw output: x [n, ...dataShape]; raw [Π lead, ...outputShape] for
   * codes laid out as lead (e.g. [n], or [k, n] for k samples per example) → [...lead]. Constants included (nats).
   */
  protected logLikelihood(x: tf.Tensor, raw: tf.Tensor, lead: number[]): tf.Tensor {
    return tf.tidy(() => {
      const xFlat = tf.reshape(x, [x.shape[0]!, this.dataSize]); // [n, D], broadcasts against [k, n, D]
      const { param, logVar } = this.decoderParams(raw, lead);
      if (this.pixels) return bernoulliLogLikelihood(xFlat, tf.add(param, this.pixelLogits(xFlat))); // one pass for all k codes
      if (this.config.decoder === 'bernoulli') return bernoulliLogLikelihood(xFlat, param);
      const mean = this.dataKind === 'images' ? tf.sigmoid(param) : param;
      return gaussianLogLikelihood(xFlat, mean, logVar ?? Math.log(this.config.decoderStd ** 2));
    });
  }

  /** The autoregressive pixels' share of the logits (e.g. Σ_{j<i} W_ji x_j + b_i) for examples xFlat [n, D]: [n, D]. */
  private pixelLogits(xFlat: tf.Tensor): tf.Tensor2D {
    return madeForward(this.net('pixels'), this.pixelMasks, xFlat as tf.Tensor2D);
  }

  /**
   * The mean of p(x|z) for codes z [n, latent]: [n, ...dataShape] (probabilities for a Bernoulli decoder). With
   * autoregressive pixels the mean has no closed form: each pixel's probability is taken given the probabilities of
   * the pixels before it (one deterministic mean-field pass in raster order, `meanFieldPixels`).
   */
  decode(z: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor {
    if (z.rank !== 2 || z.shape[1] !== this.latent) throw badInput(`${this.kind}.decode`, `expected codes [n, ${this.latent}], got [${z.shape.join(', ')}]`);
    const n = z.shape[0]!;
    return this.averaged(() => tf.tidy(() => {
      const raw = this.net('decoder').apply(this.config.conditional ? [z, ...this.conditioning(labels, n, 'decode')] : z) as tf.Tensor;
      const { param } = this.decoderParams(raw, [n]);
      if (this.pixels) return tf.tensor(this.meanFieldPixels(param as tf.Tensor2D), [n, ...this.dataShape]);
      const mean = this.config.decoder === 'bernoulli' || this.dataKind === 'images' ? tf.sigmoid(param) : param;
      return tf.reshape(mean, [n, ...this.dataShape]);
    }));
  }

  /** The autoregressive decoder's pixels for its logits l [n, D], each fed its predecessors' probabilities (nets/made.ts). */
  private meanFieldPixels(logits: tf.Tensor2D): Float32Array {
    const weights = this.net('pixels').getWeights().map((w) => w.dataSync() as Float32Array);
    if (this.config.autoregressiveHidden.length === 0) {
      // The one layer's mask may be narrower than "all before" (a causal window): decode with the kernel it lets through.
      const mask = this.pixelMasks[0]!.dataSync();
      weights[0] = weights[0]!.map((w, i) => w * mask[i]!);
    }
    return madeMeanField(weights, this.config.autoregressiveHidden, this.dataSize, logits.dataSync() as Float32Array);
  }

  /** Reconstructions of x: the decoded deterministic code (a VAE's posterior mean). [n, ...dataShape]. */
  reconstruct(x: tf.Tensor, _rng?: Rng, labels?: tf.Tensor1D): tf.Tensor {
    return this.averaged(() => tf.tidy(() => this.decode(this.code(x, labels), labels)));
  }

  /**
   * Decodes `steps` evenly spaced points of the straight line between the codes of two examples `pair`
   * [2, ...dataShape] (the lecture's full-moon-to-half-moon experiment): [steps, ...dataShape], ends included.
   * A conditional model keeps the first example's label along the path.
   */
  interpolate(pair: tf.Tensor, steps: number, labels?: tf.Tensor1D): tf.Tensor {
    checkNumber(`${this.kind}.interpolate: steps`, steps, 2, true);
    if (pair.shape[0] !== 2) throw badInput(`${this.kind}.interpolate`, `expected 2 examples, got ${pair.shape[0]}`);
    return this.averaged(() => tf.tidy(() => {
      const z = this.code(pair, labels); // [2, latent]
      const t = tf.reshape(tf.linspace(0, 1, steps), [steps, 1]); // [steps, 1]
      const [za, zb] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
      const path = tf.add(tf.mul(tf.sub(1, t), za), tf.mul(t, zb)); // [steps, latent]
      const pathLabels = labels ? (tf.tile(tf.slice(labels, [0], [1]), [steps]) as tf.Tensor1D) : undefined;
      return this.decode(path, pathLabels);
    }));
  }

  /** Default labels for `n` conditional samples: 0, 1, …, C−1, 0, 1, … (a grid shows each class in turn). */
  cycleLabels(n: number): tf.Tensor1D {
    const c = this.classes?.length ?? 1;
    return tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i % c), 'int32');
  }

  /**
   * n new examples: codes z ~ N(0, I) (seeded by `rng`) decoded to the mean of p(x|z). [n, ...dataShape]. A plain
   * autoencoder has no prior over its codes, so its samples show why the VAE adds one. Conditional models sample the
   * given labels, or cycle through the classes.
   */
  sample(n: number, rng: Rng, labels?: tf.Tensor1D): tf.Tensor {
    checkNumber(`${this.kind}.sample: n`, n, 1, true);
    const z = randomNormal([n, this.latent], rng.tfSeed());
    const own = this.config.conditional && !labels ? this.cycleLabels(n) : undefined;
    try {
      return this.decode(z, own ?? labels);
    } finally {
      z.dispose();
      own?.dispose();
    }
  }

  /**
   * The trained networks by name, each saved as a folder of its own. A model with more networks (two stochastic
   * layers: hvae.ts) adds its own after these.
   */
  protected networks(): Record<string, tfl.LayersModel> {
    return { encoder: this.encoder, decoder: this.decoder, ...(this.pixels ? { pixels: this.pixels } : {}) };
  }

  /** What each network's inputs and outputs mean (genlab-model.json), by the names of `networks`. */
  protected networkDescriptions(): Record<string, string> {
    const d = this.dataSize;
    const masked = this.config.autoregressiveHidden.length > 0
      ? `a MADE (Germain et al. 2015): its kernels are multiplied by 0/1 masks of input degrees 1..${d} in order and hidden degrees 1 + (k mod ${d - 1})`
      : this.config.autoregressiveWindow > 0
        ? `the kernel is masked to each pixel's causal window: kernel[j][i] = 0 unless j < i, j at most ${this.config.autoregressiveWindow} rows above i and ${this.config.autoregressiveWindow} columns to either side`
        : 'the kernel is strictly lower-triangular: kernel[j][i] = 0 for j ≥ i';
    const pixels = `input: x [${d}] (the example flattened in raster order); output: logits added to the decoder's, output i seeing only inputs j < i (${masked})`;
    return { encoder: this.describeEncoder(), decoder: describeDecoder(this.config, this.dataKind), ...(this.pixels ? { pixels } : {}) };
  }

  private trainableWeights(): tfl.LayerVariable[] {
    return Object.values(this.networks()).flatMap((net) => net.trainableWeights);
  }

  /** Kernels of the networks (rank ≥ 2 weights), the weights L2 decay applies to. */
  protected kernels(): tf.Variable[] {
    return this.trainableWeights().filter((w) => w.shape.length >= 2).map((w) => w.read() as tf.Variable);
  }

  /**
   * The configured L2 penalty's value (0 when weightDecay is 0), off the gradient tape: training applies its gradient
   * in the update (`decay`), not through the loss.
   */
  protected weightDecayTerm(): tf.Scalar {
    return untaped(() => l2WeightDecay(this.config.weightDecay > 0 ? this.kernels() : [], this.config.weightDecay));
  }

  /** What a loss group declares for the trainer to decay (LossGroup.decay): the kernels, at weightDecay. */
  protected decay(): Pick<LossGroup, 'decay'> {
    return this.config.weightDecay > 0 ? { decay: { rate: this.config.weightDecay, variables: this.kernels() } } : {};
  }

  /** What training updates: the trained networks' weights (and a learned decoder variance). */
  protected trainedVariables(): tf.Variable[] {
    const weights = this.trainableWeights().map((w) => w.read() as tf.Variable);
    return this.decoderLogVar ? [...weights, this.decoderLogVar] : weights;
  }

  /** Every variable: the trained ones and the averaged networks' weights. */
  variables(): tf.Variable[] {
    const averaged = this.average ? Object.values(this.average.nets).flatMap((net) => net.weights.map((w) => w.read() as tf.Variable)) : [];
    return [...this.trainedVariables(), ...averaged];
  }

  /** The shared learned decoder log-variance, if any (a number; syncs). */
  learnedDecoderLogVar(): number | undefined {
    return this.decoderLogVar ? this.decoderLogVar.dataSync()[0]! : undefined;
  }

  /**
   * Writes a folder per network (`encoder/`, `decoder/`, …) and `genlab-model.json` into `dir`, replacing it
   * atomically. With a moving average the folders hold the averaged networks (what sampling and evaluation use, and
   * what anyone loading one folder alone gets) and `encoder-trained/` … the trained ones, which training continues from.
   */
  async save(dir: string): Promise<void> {
    const logVar = this.learnedDecoderLogVar();
    const described = this.networkDescriptions();
    const networks: Record<string, tfl.LayersModel> = {};
    const descriptions: Record<string, string> = {};
    for (const [name, net] of Object.entries(this.networks())) {
      networks[name] = this.average?.nets[name] ?? net;
      descriptions[name] = described[name]!;
      if (!this.average) continue;
      descriptions[name] += `; weights: the exponential moving average (decay ${this.config.emaDecay}, bias-corrected) over ${this.average.count} updates`;
      networks[name + TRAINED_SUFFIX] = net;
      descriptions[name + TRAINED_SUFFIX] = `the ${name} as trained (inputs and outputs as ${name}/), which training continues from`;
    }
    const state: NonNullable<GenlabModelFile['state']> = {};
    if (logVar !== undefined) state.decoderLogVar = logVar;
    if (this.average) state.ema = { count: this.average.count };
    const file: GenlabModelFile = {
      ...modelFileBase(this, descriptions as GenlabModelFile['networks']),
      ...(Object.keys(state).length > 0 ? { state } : {}),
    };
    await writeModelDir(dir, { networks, manifest: { name: MODEL_FILE, content: file } });
  }

  dispose(): void {
    for (const net of [...Object.values(this.networks()), ...Object.values(this.average?.nets ?? {})]) net.dispose();
    this.decoderLogVar?.dispose();
    tf.dispose(this.pixelMasks);
  }
}

/**
 * Everything a saved model folder holds: its manifest, its trained networks (encoder, decoder and `more`, which may
 * follow from the recorded config) and, when it was saved with a moving average, the averaged ones.
 */
export async function readModelDir(
  dir: string,
  more: readonly string[] | ((config: Record<string, unknown>) => readonly string[]) = [],
): Promise<{ file: GenlabModelFile; data: DataInfo; nets: Networks & Record<string, tfl.LayersModel>; average: NetworkAverage | null }> {
  const file = await readModelFile<GenlabModelFile>(dir);
  const ema = file.state?.ema;
  if (ema !== undefined && !(Number.isSafeInteger(ema.count) && ema.count >= 0)) {
    throw badFile(joinPath(dir, MODEL_FILE), `"state.ema.count" must be a non-negative integer, got ${JSON.stringify(ema.count)}`);
  }
  const nets: Record<string, tfl.LayersModel> = {};
  const averaged: Record<string, tfl.LayersModel> = {};
  const pixels = file.config['autoregressive'] === true ? ['pixels'] : [];
  for (const name of ['encoder', 'decoder', ...pixels, ...(typeof more === 'function' ? more(file.config) : more)]) {
    nets[name] = await loadLayersModel(joinPath(dir, ema ? name + TRAINED_SUFFIX : name));
    if (ema) averaged[name] = await loadLayersModel(joinPath(dir, name));
  }
  const data: DataInfo = { shape: file.dataShape, kind: file.dataKind, ...(file.classes ? { classes: file.classes } : {}) };
  return { file, data, nets: nets as Networks & Record<string, tfl.LayersModel>, average: ema ? { nets: averaged, count: ema.count } : null };
}

/**
 * Autoencoder (and, with `noise`, the denoising autoencoder): x → encoder → code → decoder → x̂, trained to minimise
 * −log p(x|code) (binary cross-entropy for Bernoulli pixels, squared error plus constants for a Gaussian), plus L2.
 * One loss group, 'reconstruction', with terms { loss, recon, weightDecay }.
 */
export class Autoencoder extends LatentModelBase<AutoencoderConfig> {
  readonly kind: string = 'ae';

  constructor(config: AutoencoderConfig, data: DataInfo, nets: Networks, state: { decoderLogVar?: number } = {}, average: NetworkAverage | null = null) {
    super(config, data, nets, state, average);
  }

  /** Validated config with defaults. */
  static resolveConfig(options: Partial<AutoencoderConfig>, data: DataInfo, kind = 'ae'): AutoencoderConfig {
    const base = resolveLatentConfig(kind, options, data);
    const noise = options.noise ?? 'none';
    checkChoice(`${kind}: noise`, noise, NOISE_TYPES);
    const noiseAmount = options.noiseAmount ?? (noise === 'none' ? 0 : 0.3);
    checkNumber(`${kind}: noiseAmount`, noiseAmount, 0, false, noise === 'gaussian' || noise === 'none' ? Infinity : 1);
    if (noise === 'salt-and-pepper' && data.kind !== 'images') throw badInput(`${kind}: noise`, 'salt-and-pepper needs images with values in [0, 1]');
    return { ...base, noise, noiseAmount };
  }

  /** A new (plain: noise options are ignored, see DenoisingAutoencoder) autoencoder with seeded weights. */
  static create(options: Partial<AutoencoderConfig>, data: DataInfo, rng: Rng): Autoencoder {
    const config = Autoencoder.resolveConfig({ ...options, noise: 'none', noiseAmount: 0 }, data);
    return new Autoencoder(config, data, buildNetworks(config, data, config.latent, rng));
  }

  /** Loads a model saved by `save` (kind 'ae' or 'dae'). */
  static async load(dir: string): Promise<Autoencoder> {
    const { file, data, nets, average } = await readModelDir(dir);
    if (file.kind !== 'ae' && file.kind !== 'dae') throw badFile(joinPath(dir, MODEL_FILE), `kind '${file.kind}' is not an autoencoder (ae, dae)`);
    const config = Autoencoder.resolveConfig(file.config as Partial<AutoencoderConfig>, data, file.kind);
    const Ctor = file.kind === 'dae' ? DenoisingAutoencoder : Autoencoder;
    return new Ctor(config, data, nets, file.state ?? {}, average);
  }

  protected describeEncoder(): string {
    return `inputs: x [${this.dataShape.join(', ')}]${this.config.conditional ? ', one-hot label' : ''}; output: the code [${this.latent}]`;
  }

  /** The code of x: [n, latent]. */
  encode(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor2D {
    const n = this.checkInput(x, 'encode');
    return this.averaged(() => tf.tidy(() => this.net('encoder').apply(this.config.conditional ? [x, ...this.conditioning(labels, n, 'encode')] : x) as tf.Tensor2D));
  }

  code(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor2D {
    return this.encode(x, labels);
  }

  /**
   * The corrupted input x̃ the encoder sees while training (x itself for a plain AE). `gaussian`: x + amount·ε,
   * ε ~ N(0, 1) (clipped to [0, 1] for images); `masking`: each value set to 0 with probability amount;
   * `salt-and-pepper`: each value, with probability amount, set to 0 or 1 (even odds). Seeded by `rng`.
   */
  corrupt(x: tf.Tensor, rng: Rng): tf.Tensor {
    const { noise, noiseAmount: a } = this.config;
    if (noise === 'none' || a === 0) return tf.clone(x);
    const seed = rng.tfSeed();
    return tf.tidy(() => {
      if (noise === 'gaussian') {
        const noisy = tf.add(x, tf.mul(randomNormal(x.shape, seed), a));
        return this.dataKind === 'images' ? tf.clipByValue(noisy, 0, 1) : noisy;
      }
      const hit = tf.less(tf.randomUniform(x.shape, 0, 1, 'float32', seed), a); // [n, ...] bool
      if (noise === 'masking') return tf.where(hit, tf.zerosLike(x), x);
      const salt = tf.cast(tf.less(tf.randomUniform(x.shape, 0, 1, 'float32', rng.tfSeed()), 0.5), 'float32');
      return tf.where(hit, salt, x);
    });
  }

  /** The loss terms on one batch: the encoder sees the corrupted input (denoising), the target is the clean one. */
  private terms(batch: TensorBatch, rng: Rng): LossTerms {
    const n = this.checkInput(batch.x, 'loss');
    return tf.tidy(() => {
      const cond = this.conditioning(batch.labels, n, 'loss');
      const input = this.corrupt(batch.x, rng);
      const z = this.runEncoder(input, cond); // [n, latent]
      const ll = this.logLikelihood(batch.x, this.runDecoder(z, cond), [n]); // [n]
      const recon = tf.neg(tf.mean(ll)) as tf.Scalar;
      const weightDecay = this.weightDecayTerm();
      return { loss: tf.add(recon, weightDecay) as tf.Scalar, recon, weightDecay };
    });
  }

  lossGroups(): LossGroup[] {
    return [{ name: 'reconstruction', variables: this.trainedVariables(), loss: (batch, rng) => this.terms(batch, rng), ...this.decay() }];
  }

  /** Held-out terms, computed as in training (a denoising model still sees corrupted inputs). */
  evaluate(batch: TensorBatch, rng: Rng): Record<string, tf.Scalar> {
    return this.averaged(() => this.terms(batch, rng));
  }
}

/** Denoising autoencoder: an Autoencoder whose encoder sees corrupted inputs (default Gaussian noise, σ = 0.3). */
export class DenoisingAutoencoder extends Autoencoder {
  override readonly kind: string = 'dae';

  static override resolveConfig(options: Partial<AutoencoderConfig>, data: DataInfo, kind = 'dae'): AutoencoderConfig {
    return Autoencoder.resolveConfig({ noise: 'gaussian', ...options }, data, kind);
  }

  static override create(options: Partial<AutoencoderConfig>, data: DataInfo, rng: Rng): DenoisingAutoencoder {
    const config = DenoisingAutoencoder.resolveConfig(options, data);
    if (config.noise === 'none') throw badInput('dae: noise', "a denoising autoencoder needs noise: gaussian, masking or salt-and-pepper");
    return new DenoisingAutoencoder(config, data, buildNetworks(config, data, config.latent, rng));
  }
}
