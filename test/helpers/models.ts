/**
 * Helpers of the model tests: training through the one training step (src/train/step.ts, what `fit`, the CLI and the
 * lab train with), small slices of real datasets, and tensor utilities.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng } from '../../src/engine/rng.js';
import { batches, endlessBatches, subset, type Dataset } from '../../src/data/dataset.js';
import type { TensorBatch, TrainableModel } from '../../src/models/model.js';
import type { GAN } from '../../src/models/gan.js';
import { loadModel } from '../../src/models/kinds.js';
import { TrainStep, type StepOptions, type StepTerms } from '../../src/train/step.js';

export interface StepTrainOptions extends Omit<StepOptions, 'totalSteps' | 'startStep'> {
  epochs?: number;
  /** Stop after this many steps (overrides epochs). */
  steps?: number;
  batchSize?: number;
  seed?: number;
  /** Keep the loss of every this-many-th step (0, n, 2n…). Default 10. */
  logEvery?: number;
}

/** A TensorBatch from a dataset batch (labels as int32 when they are classes). */
export function toTensorBatch(x: Float32Array, shape: number[], labels?: Int32Array | Float32Array): TensorBatch {
  const batch: TensorBatch = { x: tf.tensor(x, shape) };
  if (labels) batch.labels = tf.tensor1d(labels instanceof Int32Array ? labels : Int32Array.from(labels), 'int32');
  return batch;
}

export function disposeBatch(b: TensorBatch): void {
  b.x.dispose();
  b.labels?.dispose();
}

/**
 * Trains `model` through TrainStep (one optimiser per loss group, Adam at 1e-3 unless the options say otherwise) on
 * `steps` minibatches of `ds` (or `epochs` passes), labels included, dropping each pass's last partial batch: the
 * shuffles draw from Rng(seed), the model's noise from Rng(seed + 1). Returns the loss of every `logEvery`-th step (the
 * model's `loss`; with several groups, the first group's) and the last step's terms.
 */
export async function trainSteps(model: TrainableModel, ds: Dataset, options: StepTrainOptions = {}): Promise<{ losses: number[]; steps: number; last: StepTerms | null }> {
  const { epochs = 1, steps, batchSize = 64, seed = 0, logEvery = 10, ...stepOptions } = options;
  if (ds.count < batchSize) throw new Error(`trainSteps: ${ds.count} examples, fewer than one batch of ${batchSize}`);
  const total = steps ?? epochs * Math.floor(ds.count / batchSize);
  const stream = endlessBatches(ds, { batchSize, rng: new Rng(seed), dropLast: true });
  const trainer = new TrainStep(model, new Rng(seed + 1), { ...stepOptions, totalSteps: total });
  const losses: number[] = [];
  let last: StepTerms | null = null;
  try {
    for (let step = 0; step < total; step++) {
      last = await trainer.run(stream.next().value);
      if (step % logEvery === 0) losses.push(last.values[0]!); // each group's `loss` comes first
    }
  } finally {
    trainer.dispose();
  }
  return { losses, steps: total, last };
}

/** Mean of each named term of `model.evaluate` over the whole dataset (batches of `batchSize`). */
export function evaluateLocal(model: TrainableModel, ds: Dataset, batchSize = 200, seed = 7): Record<string, number> {
  const rng = new Rng(seed);
  const sums: Record<string, number> = {};
  let count = 0;
  for (const b of batches(ds, { batchSize })) {
    const batch = toTensorBatch(b.x, b.shape, b.labels);
    const values = tf.tidy(() => model.evaluate(batch, rng));
    for (const [k, v] of Object.entries(values)) {
      sums[k] = (sums[k] ?? 0) + v.dataSync()[0]! * b.size;
      v.dispose();
    }
    disposeBatch(batch);
    count += b.size;
  }
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / count]));
}

/** The first n examples of a dataset. */
export const firstN = (ds: Dataset, n: number): Dataset => subset(ds, Int32Array.from({ length: Math.min(n, ds.count) }, (_, i) => i));

/**
 * A saved layers model folder (model.json + weights.bin) opened by stock tfjs-layers, no genlab code in between: what
 * anyone loading one network alone gets.
 */
export async function loadStockLayersModel(folder: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8'));
  const weights = await readFile(join(folder, 'weights.bin'));
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weights).buffer }));
}

/** Saves `gan` in `dir` and loads it back, checking that the loaded G draws the same images for the same codes; the caller disposes the loaded model. */
export async function saveAndReloadGan(gan: GAN, dir: string): Promise<GAN> {
  await gan.save(dir);
  const loaded = (await loadModel(dir)) as GAN;
  const z = tf.randomNormal([2, gan.latent], 0, 1, 'float32', 5);
  const [a, b] = [gan.generate(z), loaded.generate(z)];
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), 'the loaded G draws the same images for the same codes');
  tf.dispose([z, a, b]);
  return loaded;
}

/**
 * Trains a hinge-loss `gan` 20 steps of 32 on the first 256 examples of `data` (Adam 2e-4, β1 0.5) and checks that D
 * learns to tell: no tensor left behind, finite terms, D's score of real examples above its score of G's and its hinge
 * loss below 2 (chance). Returns the last step's terms by name.
 */
export async function trainHingeGanChecked(gan: GAN, data: Dataset): Promise<Record<string, number>> {
  const before = tf.memory().numTensors;
  const { last } = await trainSteps(gan, firstN(data, 256), { steps: 20, batchSize: 32, learningRate: 2e-4, beta1: 0.5 });
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  const terms = Object.fromEntries(last!.names.map((n, i) => [n, last!.values[i]!]));
  assert.ok(Object.values(terms).every(Number.isFinite), JSON.stringify(terms));
  assert.ok(terms['discriminator/real']! > terms['discriminator/fake']! && terms['discriminator/loss']! < 1.95, JSON.stringify(terms));
  return terms;
}
