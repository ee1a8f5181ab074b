/**
 * The contract between models and the one training loop (src/train). A model declares its loss groups — which loss
 * updates which variables — and the trainer steps through them without ever asking what kind of model it is.
 * A VAE has one group; a GAN two (discriminator, then generator with the discriminator fixed); a VAE-GAN three.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { GenlabError, badFile } from '../engine/errors.js';
import { readModelManifest } from '../engine/model-io.js';
import type { Rng } from '../engine/rng.js';

/** What a model needs to know about its data. */
export interface DataInfo {
  /** Shape of one example: [height, width, channels] for images, [dims] for points. */
  shape: readonly number[];
  /** Images have values in [0, 1] (a Gaussian decoder's mean goes through a sigmoid); points are unbounded. */
  kind: 'images' | 'points';
  /** Class names, for conditional models (labels are indices into this list). */
  classes?: readonly string[];
}

/** Network architectures a model can be built with. */
export const ARCHS = ['mlp', 'conv'] as const;
export type Arch = (typeof ARCHS)[number];

/** The manifest of a saved model folder, beside its networks' stock TF.js folders. */
export const MODEL_FILE = 'genlab-model.json';

/** A minibatch on the device: `x` is [n, ...dataShape]; `labels` [n] (class index) when the data has classes. */
export interface TensorBatch {
  x: tf.Tensor;
  labels?: tf.Tensor1D;
  /**
   * Tensors derived from this batch once and shared by every update of one training step (LAPGAN's pyramid, which
   * 22 updates a step would otherwise rebuild): the trainer gives a step's batch an empty map and disposes what it
   * holds when the step ends. Absent outside a training step. Read it through models/inputs.ts `derivedOnce`.
   */
  derived?: Map<string, tf.Tensor[]>;
}

/** Named scalar terms of a loss; `loss` is the one minimised, the others are logged (recon, kl, …). */
export type LossTerms = { loss: tf.Scalar } & Record<string, tf.Scalar>;

export interface LossGroup {
  /** 'elbo' | 'discriminator' | 'generator' | … (names the optimiser and the logged terms). */
  name: string;
  /** What this loss updates; every other variable stays fixed during its step. */
  variables: tf.Variable[];
  /** Updates of this group per training step (e.g. dSteps). Default 1. */
  steps?: number;
  /**
   * The loss on one batch, with its named terms. Called inside `tf.tidy` by the trainer; `rng` supplies the seeds
   * of any noise the loss draws (reparameterisation, input noise), so a resumed run draws the same noise.
   * `step` is the global step (0-based), for schedules such as KL warm-up.
   * `inner`: given when this group `wraps` others and the trainer runs the step as declared (see `wraps`).
   */
  loss(batch: TensorBatch, rng: Rng, step: number, inner?: () => void): LossTerms;
  /**
   * Groups declared just before this one whose updates run inside this group's loss, when it calls `inner()` (once):
   * what this loss computed before that call is on its gradient tape and can be given to them, computed once per step.
   * A GAN's generator group draws G(z), D's update trains on that batch, then G's loss runs the updated D on it, as
   * PyTorch's DCGAN example does: one pass of G per step instead of two. A plan of single updates (the lab's "D step")
   * passes no `inner`, and each group then computes what it needs itself.
   */
  wraps?: readonly string[];
  /**
   * L2 weight decay (the lecture's third loss term, (λ/2)·Σ‖W‖²) that the trainer's update applies: it adds λ·W to the
   * gradient of each of these variables (a subset of `variables`), the penalty's gradient without tracing the penalty
   * through the loss — the optimiser does it in the same pass as its update (PyTorch's `weight_decay`). The loss reports
   * the penalty's value but must not differentiate it.
   */
  decay?: { rate: number; variables: readonly tf.Variable[] };
  /** Called by the trainer right after each update of this group's variables (e.g. a moving average of G's weights). */
  afterUpdate?(): void;
}

/** What every `genlab-model.json` holds; each model family adds its own `state` and names its networks. */
export interface ModelFile {
  format: 'genlab-model';
  version: 1;
  kind: string;
  config: Record<string, unknown>;
  dataShape: number[];
  dataKind: 'images' | 'points';
  classes?: string[];
  /** Learned values that are not network weights. */
  state?: object;
  /** What each network folder's inputs and outputs mean, for whoever loads them with stock TF.js. */
  networks: Record<string, string>;
}

/** Reads and checks the fields every `dir/genlab-model.json` shares (not the networks, nor the family's own state). */
export async function readModelFile<F extends ModelFile = ModelFile>(dir: string): Promise<F> {
  return readModelManifest(dir, MODEL_FILE, (json, path) => checkModelFile<F>(json, path));
}

/** Checks the fields every genlab-model.json shares (`path` names the file in messages). */
function checkModelFile<F extends ModelFile>(json: unknown, path: string): F {
  const f = json as Partial<ModelFile> | null;
  if (!f || typeof f !== 'object' || f.format !== 'genlab-model') throw badFile(path, `expected "format": "genlab-model"`);
  if (f.version !== 1) throw new GenlabError('unsupported', `${path}: version ${String(f.version)}, this genlab reads version 1`);
  if (typeof f.kind !== 'string') throw badFile(path, 'missing "kind"');
  if (!f.config || typeof f.config !== 'object') throw badFile(path, 'missing "config"');
  if (!Array.isArray(f.dataShape) || !f.dataShape.every((d) => Number.isInteger(d) && d >= 1)) throw badFile(path, '"dataShape" must be a list of positive integers');
  if (f.dataKind !== 'images' && f.dataKind !== 'points') throw badFile(path, '"dataKind" must be "images" or "points"');
  if (f.classes !== undefined && !(Array.isArray(f.classes) && f.classes.every((c) => typeof c === 'string'))) throw badFile(path, '"classes" must be a list of strings');
  return f as F;
}

/** What every gradient-trained model of genlab offers the trainer, the CLI and the lab. */
export interface TrainableModel {
  readonly kind: string;
  readonly config: object;
  /** Shape of one example, e.g. [28, 28, 1] or [2]. */
  readonly dataShape: readonly number[];
  /** Images (values in [0, 1]) or points. */
  readonly dataKind: 'images' | 'points';
  /** Class names of the data, when it has classes (a conditional model's labels index them). */
  readonly classes?: readonly string[] | undefined;
  lossGroups(): LossGroup[];
  /** Metrics on a held-out batch (no updates), e.g. { loss, recon, kl } — averaged over the test set by the trainer. */
  evaluate(batch: TensorBatch, rng: Rng): Record<string, tf.Scalar>;
  /**
   * n new examples, [n, ...dataShape], values in the data's range; `labels` for conditional models. Absent for a model
   * that cannot invent examples (a super-resolution model maps given images): shared code asks `can(model, 'sample')`.
   */
  sample?(n: number, rng: Rng, labels?: tf.Tensor1D): tf.Tensor;
  /** Reconstructions of x (autoencoders); absent for models that cannot encode. */
  reconstruct?(x: tf.Tensor, rng: Rng, labels?: tf.Tensor1D): tf.Tensor;
  /** Writes the networks (plain layers models) and the manifest into `dir`. */
  save(dir: string): Promise<void>;
  /** Every variable the model owns (for checkpoints and weight decay). */
  variables(): tf.Variable[];
  dispose(): void;
}

/** The genlab-model.json fields every model writes: format, version, kind, config, data facts and its networks' descriptions. */
export function modelFileBase<N extends Record<string, string>>(model: Pick<TrainableModel, 'kind' | 'config' | 'dataShape' | 'dataKind' | 'classes'>, networks: N): ModelFile & { networks: N } {
  return {
    format: 'genlab-model',
    version: 1,
    kind: model.kind,
    config: { ...model.config } as Record<string, unknown>,
    dataShape: [...model.dataShape],
    dataKind: model.dataKind,
    ...(model.classes ? { classes: [...model.classes] } : {}),
    networks,
  };
}

/** True for a model that takes class labels (a CVAE, a conditional GAN). */
export function isConditional(model: Pick<TrainableModel, 'config'>): boolean {
  return (model.config as { conditional?: unknown }).conditional === true;
}
