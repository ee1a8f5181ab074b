/**
 * The autoencoder family by name: `createModel('vae', { latent: 2 }, data, rng)` and `loadModel('runs/x/model')`.
 * The CLI fills one flat `ModelOptions` object from its flags; each kind takes the options it understands.
 */
import { join } from 'node:path';
import { GenlabError, badFile } from '../engine/errors.js';
import type { Rng } from '../engine/rng.js';
import { Autoencoder, DenoisingAutoencoder, MODEL_FILE, readModelFile, type AutoencoderConfig, type DataInfo } from './autoencoder.js';
import { ConditionalVAE, VAE, type VAEConfig } from './vae.js';

/** Every model kind of the family: autoencoder, denoising AE, VAE, conditional VAE, importance-weighted AE. */
export const MODEL_KINDS = ['ae', 'dae', 'vae', 'cvae', 'iwae'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** One-line description of each kind (CLI help). */
export const MODEL_DESCRIPTIONS: Record<ModelKind, string> = {
  ae: 'autoencoder: reconstruction loss only, no prior over codes',
  dae: 'denoising autoencoder: noise on the encoder input (gaussian, masking, salt-and-pepper)',
  vae: 'variational autoencoder: noise on the code, ELBO = reconstruction − β·KL',
  cvae: 'conditional VAE: encoder and decoder also see the one-hot class label',
  iwae: 'importance-weighted autoencoder: the k-sample bound of Burda et al. 2016',
};

/**
 * Flat options of every kind (each documented on its config: `LatentModelConfig`, `AutoencoderConfig`,
 * `VAEConfig`). Options a kind does not use are ignored.
 */
export type ModelOptions = Partial<AutoencoderConfig & VAEConfig>;

/** A model of this family: trainable, and able to encode, decode and reconstruct. */
export type AutoencoderModel = Autoencoder | VAE;

/** True when `kind` names a model of this family. */
export function isModelKind(kind: string): kind is ModelKind {
  return (MODEL_KINDS as readonly string[]).includes(kind);
}

function checkKind(kind: string, where: string): ModelKind {
  if (!isModelKind(kind)) throw new GenlabError('bad-input', `${where}: unknown model kind '${kind}', expected one of ${MODEL_KINDS.join(', ')}`);
  return kind;
}

/** A new model of `kind` with seeded weights, for data of shape `data.shape`. */
export function createModel(kind: string, options: ModelOptions, data: DataInfo, rng: Rng): AutoencoderModel {
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
  }
}

/** Loads a model saved by `save(dir)`, dispatching on the kind recorded in `dir/genlab-model.json`. */
export async function loadModel(dir: string): Promise<AutoencoderModel> {
  const file = await readModelFile(dir);
  if (!isModelKind(file.kind)) throw badFile(join(dir, MODEL_FILE), `unknown model kind '${file.kind}', expected one of ${MODEL_KINDS.join(', ')}`);
  return file.kind === 'ae' || file.kind === 'dae' ? Autoencoder.load(dir) : VAE.load(dir);
}
