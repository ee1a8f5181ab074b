/**
 * The one table of gradient-trained model kinds (as the GMM's covariance table is for mixtures): per kind its family,
 * description, the options its config takes (strict: any other is an error naming the option and the kind), how to
 * create and load it, what it can do, and the Adam settings it trains best with. Nothing outside this file branches
 * on a kind's name: shared code asks `can(model, …)` what a model can do.
 *
 *   createModel('vae', { latent: 2 }, data, rng)      loadModel('runs/x/model')      can(model, 'reconstruct')
 */
import type * as tf from '@tensorflow/tfjs-core';
import { GenlabError, badFile } from '../engine/errors.js';
import { joinPath } from '../engine/model-io.js';
import { Rng } from '../engine/rng.js';
import { Autoencoder, DenoisingAutoencoder } from './autoencoder.js';
import type { AutoencoderConfig } from './latent-config.js';
import { GAN, recommendedOptimizer, type GANConfig } from './gan.js';
import { MODEL_FILE, readModelFile, type DataInfo, type ModelFile, type TrainableModel } from './model.js';
import { checkLoadedModel, checkSameShapes, checkSavedConfig, loadChecked } from './check-file.js';
import { checkOptionValues, type ModelOptionName } from './options.js';
import { checkKnownOptions } from './validate.js';
import { ConditionalVAE, VAE, type VAEConfig } from './vae.js';
import { HierarchicalVAE } from './hvae.js';
import { IafVAE } from './iaf.js';
import { VampVAE } from './vamp.js';
import { VAEGAN, type VAEGANConfig } from './vaegan.js';
import { LAPGAN, type LapganConfig } from './lapgan.js';
import { SRGAN, type SRGANConfig } from './srgan.js';

export const MODEL_KINDS = ['ae', 'dae', 'vae', 'cvae', 'iwae', 'gan', 'dcgan', 'cgan', 'wgan-gp', 'vaegan', 'lapgan', 'srgan'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export type ModelFamily = 'autoencoder' | 'vae' | 'gan' | 'vaegan' | 'lapgan' | 'srgan';

/**
 * What a model can do beyond training: `sample` new examples; `encode` images to codes and `decode` codes;
 * `reconstruct` and `interpolate` between two encoded examples; `generate` from codes of its own noise (`noise`,
 * `generate`, `latent`); `discriminate` real from generated; `score` the likelihood log p(x) (ELBO, importance
 * sampling); `upscale` low-resolution images (super-resolution: such a model maps given images and cannot sample).
 */
export type Capability = 'sample' | 'encode' | 'decode' | 'reconstruct' | 'interpolate' | 'generate' | 'discriminate' | 'score' | 'upscale';

/** Options of every kind, flat; each kind takes those its table entry lists (`createModel` refuses the others). */
export type ModelOptions = Partial<AutoencoderConfig & VAEConfig & GANConfig & VAEGANConfig & LapganConfig & SRGANConfig>;

/** Any model `createModel` makes. */
export type GenerativeModel = Autoencoder | VAE | GAN | VAEGAN | LAPGAN | SRGAN;

export interface KindSpec {
  family: ModelFamily;
  /** One line (CLI help, the lab). */
  description: string;
  /** The options its config takes. */
  options: readonly ModelOptionName[];
  capabilities: readonly Capability[];
  create(options: ModelOptions, data: DataInfo, rng: Rng): GenerativeModel;
  /** Opens a saved model; `file` is its genlab-model.json as loadModel read it (a kind may pick its class by it). */
  load(dir: string, file: ModelFile): Promise<GenerativeModel>;
  /** Adam settings the kind trains best with when the user sets none (null: the trainer's defaults). */
  optimizer(options: ModelOptions): { learningRate: number; beta1: number; beta2: number } | null;
}

const NETS = ['arch', 'hidden', 'latent'] as const;
const DECODER = ['decoder', 'decoderVariance', 'decoderStd', 'autoregressive', 'autoregressiveHidden', 'autoregressiveWindow', 'weightDecay'] as const;
const ADVERSARIAL_NETS = [...NETS, 'filters', 'batchNorm', 'labelSmoothing'] as const;
const GAN_OPTIONS = [
  ...ADVERSARIAL_NETS,
  'loss', 'dSteps', 'gpWeight', 'featureMatching', 'minibatchDiscrimination', 'minibatchKernels', 'minibatchKernelDims', 'minibatchStddev',
  'historicalAveraging', 'pack', 'instanceNoise', 'instanceNoiseSteps', 'zeroCenteredPenalty', 'r1Penalty', 'spectralNorm', 'emaDecay', 'diffAugment',
  'adaTarget', 'adaSpeed',
  'shareFakes', 'residual', 'palette', 'paletteEntropy', 'upsample', 'selfAttention', 'exactBounds', 'modeSeeking', 'modeSeekingDistance',
  'reconstruction',
] as const;
const AUTOENCODING: readonly Capability[] = ['sample', 'encode', 'decode', 'reconstruct', 'interpolate'];
const ADVERSARIAL: readonly Capability[] = ['sample', 'generate', 'discriminate'];

const noOptimizer = (): null => null;
/** GANs: Radford et al.'s Adam (lr 2e-4, β1 0.5); WGAN-GP: Gulrajani et al.'s (lr 1e-4, β = (0, 0.9)). */
const ganOptimizer = (fallback: 'nonsaturating' | 'wgan-gp') => (o: ModelOptions) => recommendedOptimizer(o.loss ?? fallback);

const gan = (kind: 'gan' | 'dcgan' | 'cgan' | 'wgan-gp', description: string): KindSpec => ({
  family: 'gan',
  description,
  options: GAN_OPTIONS,
  capabilities: ADVERSARIAL,
  create: (o, data, rng) => GAN.create(o, data, rng, kind),
  load: (dir) => GAN.load(dir),
  optimizer: ganOptimizer(kind === 'wgan-gp' ? 'wgan-gp' : 'nonsaturating'),
});

/** A kind of the autoencoder family (AE, DAE) or of the VAE family, which also scores log p(x). */
const latent = (family: 'autoencoder' | 'vae', description: string, options: readonly ModelOptionName[], create: KindSpec['create']): KindSpec => ({
  family,
  description,
  options: [...NETS, ...DECODER, ...options],
  capabilities: family === 'vae' ? [...AUTOENCODING, 'score'] : AUTOENCODING,
  create,
  load: family === 'vae' ? loadVae : (dir) => Autoencoder.load(dir),
  optimizer: noOptimizer,
});

/** The VAE class of a config: two stochastic layers (hvae.ts), a flow on the posterior (iaf.ts), a VampPrior (vamp.ts), or the plain VAE. */
const vaeClass = (o: { topLatent?: unknown; flowSteps?: unknown; vampPrior?: unknown }): typeof VAE =>
  o.topLatent ? HierarchicalVAE : o.flowSteps ? IafVAE : o.vampPrior ? VampVAE : VAE;

/** A VAE of the kind, of the class its options ask for. */
const createVae = (kind: 'vae' | 'iwae') => (o: ModelOptions, data: DataInfo, rng: Rng): VAE => vaeClass(o).create(o, data, rng, kind);

/** A saved VAE of any of the family's kinds, by its recorded config (read once by loadModel). */
const loadVae = (dir: string, file: ModelFile): Promise<VAE> => vaeClass(file.config).load(dir);

export const KINDS: Readonly<Record<ModelKind, KindSpec>> = {
  ae: latent('autoencoder', 'autoencoder: reconstruction loss only, no prior over codes', [], (o, data, rng) => Autoencoder.create(o, data, rng)),
  dae: latent('autoencoder', 'denoising autoencoder: noise on the encoder input (gaussian, masking, salt-and-pepper)', ['noise', 'noiseAmount'], (o, data, rng) =>
    DenoisingAutoencoder.create(o, data, rng),
  ),
  vae: latent('vae', 'variational autoencoder: noise on the code, ELBO = reconstruction − β·KL', ['beta', 'klWarmup', 'topLatent', 'topHidden', 'flowSteps', 'flowHidden', 'vampPrior', 'emaDecay'], createVae('vae')),
  cvae: latent('vae', 'conditional VAE: encoder and decoder also see the one-hot class label', ['beta', 'klWarmup', 'emaDecay'], (o, data, rng) => ConditionalVAE.create(o, data, rng)),
  iwae: latent('vae', 'importance-weighted autoencoder: the k-sample bound of Burda et al. 2016', ['k', 'topLatent', 'topHidden', 'flowSteps', 'flowHidden', 'vampPrior', 'emaDecay'], createVae('iwae')),
  gan: gan('gan', 'generative adversarial network (Goodfellow et al. 2014), MLP generator and discriminator, any data'),
  dcgan: gan('dcgan', 'deep convolutional GAN (Radford et al. 2016): transposed-conv generator, conv discriminator, batch norm; images'),
  cgan: gan('cgan', 'conditional GAN: generator and discriminator also see the one-hot class label'),
  'wgan-gp': gan('wgan-gp', 'Wasserstein GAN with gradient penalty (Gulrajani et al. 2017): a critic, 5 critic steps per generator step'),
  vaegan: {
    family: 'vaegan',
    description: 'VAE-GAN (Larsen et al. 2016): a VAE whose reconstruction error is measured in the discriminator’s features',
    options: [...ADVERSARIAL_NETS, 'loss', 'gamma', 'beta'],
    capabilities: [...AUTOENCODING, 'discriminate'],
    create: (o, data, rng) => VAEGAN.create(o, data, rng),
    load: (dir) => VAEGAN.load(dir),
    optimizer: ganOptimizer('nonsaturating'),
  },
  lapgan: {
    family: 'lapgan',
    description: 'LAPGAN (Denton et al. 2015): a coarse-to-fine pyramid of GANs, each finer level generating the Laplacian band given the upsampled coarser image; images whose sides halve',
    options: ['levels', 'arch', 'latent', 'hidden', 'filters', 'batchNorm', 'projectBands', 'exactBounds', 'levelSteps', 'emaDecay', 'loss', 'minibatchStddev', 'modeSeeking', 'modeSeekingDistance', 'spectralNorm'],
    capabilities: ['sample', 'generate'],
    create: (o, data, rng) => LAPGAN.create(o, data, rng),
    load: (dir) => LAPGAN.load(dir),
    optimizer: ganOptimizer('nonsaturating'),
  },
  srgan: {
    family: 'srgan',
    description: 'super-resolution GAN (Ledig et al. 2017): upscales images averaged down by --scale, content loss + 10⁻³ × adversarial loss; images',
    options: ['scale', 'residualBlocks', 'generatorFilters', 'filters', 'batchNorm', 'adversarialWeight', 'content'],
    capabilities: ['upscale'],
    create: (o, data, rng) => SRGAN.create(o, data, rng),
    load: (dir) => SRGAN.load(dir),
    optimizer: noOptimizer, // the trainer's Adam (lr 1e-3): short runs on small images; the paper's 1e-4 is for 10⁶ steps
  },
};

/** True when `kind` names a kind of the table. */
export function isModelKind(kind: string): kind is ModelKind {
  return Object.hasOwn(KINDS, kind);
}

/** The table's entry of `kind`; a one-line error listing the kinds otherwise. */
export function kindSpec(kind: string, where = 'model'): KindSpec {
  if (!isModelKind(kind)) throw new GenlabError('bad-input', `${where}: unknown model kind '${kind}', expected one of ${MODEL_KINDS.join(', ')}`);
  return KINDS[kind];
}

/** Adam settings `kind` trains best with when the user sets none, or null for the trainer's defaults. */
export function recommendedOptimizerOptions(kind: string, options: ModelOptions = {}): { learningRate: number; beta1: number; beta2: number } | null {
  return kindSpec(kind).optimizer(options);
}

/**
 * A new model of `kind` with seeded weights, for data of shape `data.shape`. Strict: an option `kind` does not take
 * is an error naming both (`createModel('vae', { pack: 4 })`: "pack: not an option of vae (its options: …)").
 */
export function createModel(kind: 'ae' | 'dae', options: ModelOptions, data: DataInfo, rng: Rng): Autoencoder;
export function createModel(kind: 'vae' | 'cvae' | 'iwae', options: ModelOptions, data: DataInfo, rng: Rng): VAE;
export function createModel(kind: 'gan' | 'dcgan' | 'cgan' | 'wgan-gp', options: ModelOptions, data: DataInfo, rng: Rng): GAN;
export function createModel(kind: 'vaegan', options: ModelOptions, data: DataInfo, rng: Rng): VAEGAN;
export function createModel(kind: 'lapgan', options: ModelOptions, data: DataInfo, rng: Rng): LAPGAN;
export function createModel(kind: 'srgan', options: ModelOptions, data: DataInfo, rng: Rng): SRGAN;
export function createModel(kind: 'ae' | 'dae' | 'vae' | 'cvae' | 'iwae', options: ModelOptions, data: DataInfo, rng: Rng): Autoencoder | VAE;
export function createModel(kind: 'gan' | 'dcgan' | 'cgan' | 'wgan-gp' | 'vaegan', options: ModelOptions, data: DataInfo, rng: Rng): GAN | VAEGAN;
export function createModel(kind: string, options: ModelOptions, data: DataInfo, rng: Rng): GenerativeModel;
export function createModel(kind: string, options: ModelOptions, data: DataInfo, rng: Rng): GenerativeModel {
  const spec = kindSpec(kind);
  checkKnownOptions(kind, options, spec.options);
  checkOptionValues(options, true);
  return spec.create(options, data, rng);
}

/**
 * Loads a model saved by `save(dir)`, by the kind recorded in `dir/genlab-model.json`, checked before use
 * (check-file.ts: config values, finite weights, networks that fit the sizes), so a corrupt folder is one line.
 */
export async function loadModel(dir: string): Promise<GenerativeModel> {
  const file = await readModelFile(dir);
  const path = joinPath(dir, MODEL_FILE);
  if (!isModelKind(file.kind)) throw badFile(path, `unknown model kind '${file.kind}', expected one of ${MODEL_KINDS.join(', ')}`);
  checkSavedConfig(path, file);
  const spec = KINDS[file.kind];
  const model = checkLoadedModel(await loadChecked(path, () => spec.load(dir, file)), path);
  // The networks must be those the recorded config builds: a fresh model of the config gives the shapes to match.
  const data: DataInfo = { shape: file.dataShape, kind: file.dataKind, ...(file.classes ? { classes: file.classes } : {}) };
  try {
    checkSameShapes(model, await loadChecked(path, async () => spec.create(file.config as ModelOptions, data, new Rng(0))), path);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** What the models that encode offer. */
export interface Encodes {
  /** Deterministic codes of x (an AE's code, a VAE's posterior mean): [n, latent]. */
  code(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor2D;
  decode(z: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor;
  reconstruct(x: tf.Tensor, rng?: Rng, labels?: tf.Tensor1D): tf.Tensor;
  /** Decodings of `steps` points on the segment between the codes of the two examples of `pair`. */
  interpolate(pair: tf.Tensor, steps: number, labels?: tf.Tensor1D): tf.Tensor;
}

/** What the models that sample offer: n new examples (conditional models: of the given labels, or cycling). */
export interface Samples {
  sample(n: number, rng: Rng, labels?: tf.Tensor1D): tf.Tensor;
}

/** What the models that generate from their own noise offer. */
export interface Generates {
  readonly latent: number;
  noise(n: number, rng: Rng): tf.Tensor2D;
  generate(z: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor;
}

/** What a model with a discriminator offers: D's verdict on x. */
export interface Discriminates {
  discriminate(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor1D;
}

/** The likelihood models: the VAE family (eval/likelihood.ts takes them). */
export type Scores = VAE;

/** What a super-resolution model offers: images of the data's shape ↓ by `scale`, and back up (by G, or bicubic). */
export interface Upscales {
  readonly scale: number;
  /** Shape of one low-resolution image: [H/scale, W/scale, channels]. */
  readonly lowResShape: readonly number[];
  /** Images [n, ...dataShape] averaged over scale×scale blocks. */
  downscale(x: tf.Tensor): tf.Tensor4D;
  /** The model's upscaling of low-resolution images [n, ...lowResShape]: [n, ...dataShape]. */
  upscale(lowRes: tf.Tensor): tf.Tensor4D;
  /** The baseline: bicubic upscaling of the same. */
  bicubic(lowRes: tf.Tensor): tf.Tensor4D;
}

interface CapabilityTypes {
  sample: Samples;
  encode: Encodes;
  decode: Encodes;
  reconstruct: Encodes;
  interpolate: Encodes;
  generate: Generates;
  discriminate: Discriminates;
  score: Scores;
  upscale: Upscales;
}

/**
 * What `model` can do, from the table. A model of a kind of its own (a library user's class) can `sample` when it has a
 * `sample` method, and nothing else beyond training.
 */
export function capabilitiesOf(model: Pick<TrainableModel, 'kind' | 'sample'>): readonly Capability[] {
  if (isModelKind(model.kind)) return KINDS[model.kind].capabilities;
  return typeof model.sample === 'function' ? ['sample'] : [];
}

/** True when `model` can do `what` (and typed so): shared code asks this instead of the model's kind. */
export function can<C extends Capability>(model: TrainableModel, what: C): model is TrainableModel & CapabilityTypes[C] {
  return capabilitiesOf(model).includes(what);
}

/** `model` as one that can do `what`, or an 'unsupported' error naming the kind and the kinds that can. */
export function requireCapability<C extends Capability>(model: TrainableModel, what: C, command: string): TrainableModel & CapabilityTypes[C] {
  if (can(model, what)) return model;
  const able = MODEL_KINDS.filter((k) => KINDS[k].capabilities.includes(what));
  throw new GenlabError('unsupported', `${command}: a ${model.kind} model cannot ${what}; use a ${able.join(', ')} model`);
}
