/**
 * Every gradient-trained model by name — the autoencoder family and the GAN family:
 * `createModel('vae', { latent: 2 }, data, rng)`, `createModel('gan', { loss: 'lsgan' }, data, rng)` and
 * `loadModel('runs/x/model')`. The CLI fills one flat `ModelOptions` object from its flags; each kind takes the options
 * it understands.
 */
import { GenlabError, badFile } from '../engine/errors.js';
import { joinPath } from '../engine/model-io.js';
import type { Rng } from '../engine/rng.js';
import { Autoencoder, DenoisingAutoencoder, type AutoencoderConfig } from './autoencoder.js';
import { MODEL_FILE, readModelFile, type DataInfo } from './model.js';
import { ConditionalVAE, VAE, type VAEConfig } from './vae.js';
import { GAN, GAN_KINDS, recommendedOptimizer, type GANConfig } from './gan.js';
import { VAEGAN, type VAEGANConfig } from './vaegan.js';

/**
 * Every model kind: autoencoder, denoising AE, VAE, conditional VAE, importance-weighted AE; GAN (MLP), DCGAN,
 * conditional GAN, WGAN-GP, VAE-GAN.
 */
export const MODEL_KINDS = ['ae', 'dae', 'vae', 'cvae', 'iwae', 'gan', 'dcgan', 'cgan', 'wgan-gp', 'vaegan'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** One-line description of each kind (CLI help). */
export const MODEL_DESCRIPTIONS: Record<ModelKind, string> = {
  ae: 'autoencoder: reconstruction loss only, no prior over codes',
  dae: 'denoising autoencoder: noise on the encoder input (gaussian, masking, salt-and-pepper)',
  vae: 'variational autoencoder: noise on the code, ELBO = reconstruction − β·KL',
  cvae: 'conditional VAE: encoder and decoder also see the one-hot class label',
  iwae: 'importance-weighted autoencoder: the k-sample bound of Burda et al. 2016',
  gan: 'generative adversarial network (Goodfellow et al. 2014), MLP generator and discriminator, any data',
  dcgan: 'deep convolutional GAN (Radford et al. 2016): transposed-conv generator, conv discriminator, batch norm; images',
  cgan: 'conditional GAN: generator and discriminator also see the one-hot class label',
  'wgan-gp': 'Wasserstein GAN with gradient penalty (Gulrajani et al. 2017): a critic, 5 critic steps per generator step',
  vaegan: 'VAE-GAN (Larsen et al. 2016): a VAE whose reconstruction error is measured in the discriminator’s features',
};

/**
 * Flat options of every kind (each documented on its config: `LatentModelConfig`, `AutoencoderConfig`,
 * `VAEConfig`, `GANConfig`, `VAEGANConfig`). Options a kind does not use are ignored.
 */
export type ModelOptions = Partial<AutoencoderConfig & VAEConfig & GANConfig & VAEGANConfig>;

/** A model of the autoencoder family: trainable, and able to encode, decode and reconstruct. */
export type AutoencoderModel = Autoencoder | VAE;

/** A model of the GAN family: trainable, able to generate and discriminate (a VAE-GAN also encodes). */
export type AdversarialModel = GAN | VAEGAN;

/** Any model `createModel` makes. */
export type GenerativeModel = AutoencoderModel | AdversarialModel;

/** True for the kinds of the GAN family. */
export function isAdversarialKind(kind: string): boolean {
  return (GAN_KINDS as readonly string[]).includes(kind) || kind === 'vaegan';
}

/**
 * Adam settings a kind trains best with when the user sets none, or null for the trainer's defaults: GANs use
 * Radford et al.'s lr 2e-4, β1 0.5; WGAN-GP Gulrajani et al.'s lr 1e-4, β = (0, 0.9).
 */
export function recommendedOptimizerOptions(kind: string, options: ModelOptions = {}): { learningRate: number; beta1: number; beta2: number } | null {
  if (!isAdversarialKind(kind)) return null;
  return recommendedOptimizer(options.loss ?? (kind === 'wgan-gp' ? 'wgan-gp' : 'nonsaturating'));
}

/** True when `kind` names a model of this family. */
export function isModelKind(kind: string): kind is ModelKind {
  return (MODEL_KINDS as readonly string[]).includes(kind);
}

function checkKind(kind: string, where: string): ModelKind {
  if (!isModelKind(kind)) throw new GenlabError('bad-input', `${where}: unknown model kind '${kind}', expected one of ${MODEL_KINDS.join(', ')}`);
  return kind;
}

/** Kinds of the autoencoder family, and of the GAN family. */
export type AutoencoderKind = 'ae' | 'dae' | 'vae' | 'cvae' | 'iwae';
export type AdversarialKind = 'gan' | 'dcgan' | 'cgan' | 'wgan-gp' | 'vaegan';

/** A new model of `kind` with seeded weights, for data of shape `data.shape` (typed by kind when it is a literal). */
export function createModel(kind: 'ae' | 'dae', options: ModelOptions, data: DataInfo, rng: Rng): Autoencoder;
export function createModel(kind: 'vae' | 'cvae' | 'iwae', options: ModelOptions, data: DataInfo, rng: Rng): VAE;
export function createModel(kind: 'gan' | 'dcgan' | 'cgan' | 'wgan-gp', options: ModelOptions, data: DataInfo, rng: Rng): GAN;
export function createModel(kind: 'vaegan', options: ModelOptions, data: DataInfo, rng: Rng): VAEGAN;
export function createModel(kind: AutoencoderKind, options: ModelOptions, data: DataInfo, rng: Rng): AutoencoderModel;
export function createModel(kind: AdversarialKind, options: ModelOptions, data: DataInfo, rng: Rng): AdversarialModel;
export function createModel(kind: string, options: ModelOptions, data: DataInfo, rng: Rng): GenerativeModel;
export function createModel(kind: string, options: ModelOptions, data: DataInfo, rng: Rng): GenerativeModel {
  switch (checkKind(kind, 'model')) {
    case 'ae':
      return Autoencoder.create(options, data, rng);
    case 'dae':
      return DenoisingAutoencoder.create(options, data, rng);
    case 'vae':
      return VAE.create(options, data, rng, 'vae');
    case 'cvae':
      return ConditionalVAE.create(options, data, rng);
    case 'iwae':
      return VAE.create(options, data, rng, 'iwae');
    case 'gan':
    case 'dcgan':
    case 'cgan':
    case 'wgan-gp':
      return GAN.create(options, data, rng, kind);
    case 'vaegan':
      return VAEGAN.create(options, data, rng);
  }
}

/** Loads a model saved by `save(dir)`, dispatching on the kind recorded in `dir/genlab-model.json`. */
export async function loadModel(dir: string): Promise<GenerativeModel> {
  const file = await readModelFile(dir);
  if (!isModelKind(file.kind)) throw badFile(joinPath(dir, MODEL_FILE), `unknown model kind '${file.kind}', expected one of ${MODEL_KINDS.join(', ')}`);
  if (file.kind === 'vaegan') return VAEGAN.load(dir);
  if (isAdversarialKind(file.kind)) return GAN.load(dir);
  return file.kind === 'ae' || file.kind === 'dae' ? Autoencoder.load(dir) : VAE.load(dir);
}
