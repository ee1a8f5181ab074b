/** Input checks and label conditioning shared by every model family (autoencoders, VAEs, GANs). */
import * as tf from '@tensorflow/tfjs-core';
import { badInput } from '../engine/errors.js';
import type { TensorBatch } from './model.js';

/** Throws unless x is [n, ...dataShape]; returns n. `where` names the model and method in the message. */
export function checkBatchShape(x: tf.Tensor, dataShape: readonly number[], where: string): number {
  const want = dataShape.join(', ');
  if (x.rank !== dataShape.length + 1 || x.shape.slice(1).join(', ') !== want) {
    throw badInput(where, `expected a tensor [n, ${want}], got [${x.shape.join(', ')}]`);
  }
  return x.shape[0]!;
}

/**
 * The extra network inputs of a conditional model: [one-hot labels [n, classes]], or [] when `classes` is null
 * (an unconditional model).
 */
export function labelInputs(labels: tf.Tensor | undefined, n: number, classes: number | null, where: string): tf.Tensor[] {
  if (classes === null) return [];
  if (!labels) throw badInput(where, 'a conditional model needs class labels');
  if (labels.rank !== 1 || labels.shape[0] !== n) throw badInput(where, `expected ${n} labels, got a tensor [${labels.shape.join(', ')}]`);
  return [tf.tidy(() => tf.cast(tf.oneHot(labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32'), classes), 'float32'))];
}

/**
 * `make()`'s tensors for `batch`, made once per training step under `key` and shared by the step's updates
 * (TensorBatch.derived; the trainer disposes them after the step). Outside a step `make()` runs every time and the
 * caller's tf.tidy owns the result. Only for values of the batch alone: nothing that depends on weights or noise.
 */
export function derivedOnce<T extends tf.Tensor[]>(batch: TensorBatch, key: string, make: () => T): T {
  const memo = batch.derived;
  if (!memo) return make();
  const held = memo.get(key);
  if (held) return held as T;
  const made = make();
  made.forEach((t) => tf.keep(t));
  memo.set(key, made);
  return made;
}
