/**
 * Helpers of the model tests: a minimal training loop (Adam over each loss group, as src/train will do it), small
 * slices of real datasets, and tensor utilities.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/engine/rng.js';
import { batches, subset, type Dataset } from '../../src/data/dataset.js';
import type { TensorBatch, TrainableModel } from '../../src/models/model.js';

export interface LocalTrainOptions {
  epochs?: number;
  /** Stop after this many steps (overrides epochs). */
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Read the loss every this many steps (a sync). Default 10. */
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

/** Trains `model` with Adam (one optimiser per loss group) and returns the losses read every `logEvery` steps. */
export function trainLocal(model: TrainableModel, ds: Dataset, options: LocalTrainOptions = {}): { losses: number[]; steps: number } {
  const { epochs = 1, steps: maxSteps = Infinity, batchSize = 64, learningRate = 1e-3, seed = 0, logEvery = 10 } = options;
  if (ds.count < batchSize) throw new Error(`trainLocal: ${ds.count} examples, fewer than one batch of ${batchSize}`);
  const dataRng = new Rng(seed);
  const lossRng = new Rng(seed + 1);
  const groups = model.lossGroups();
  const optimizers = groups.map(() => tf.train.adam(learningRate));
  const losses: number[] = [];
  let step = 0;
  try {
    for (let epoch = 0; epoch < (Number.isFinite(maxSteps) ? Infinity : epochs) && step < maxSteps; epoch++) {
      for (const b of batches(ds, { batchSize, rng: dataRng, dropLast: true })) {
        if (step >= maxSteps) break;
        const batch = toTensorBatch(b.x, b.shape, b.labels);
        groups.forEach((group, g) => {
          for (let s = 0; s < (group.steps ?? 1); s++) {
            const cost = optimizers[g]!.minimize(() => group.loss(batch, lossRng, step).loss, true, group.variables);
            if (cost) {
              if (step % logEvery === 0) losses.push(cost.dataSync()[0]!);
              cost.dispose();
            }
          }
        });
        disposeBatch(batch);
        step++;
      }
    }
  } finally {
    optimizers.forEach((o) => o.dispose());
  }
  return { losses, steps: step };
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
