/**
 * The native backend's Softmax (src/engine/native/kernels/softmax.ts) against the cpu kernel: over the last axis of
 * ranks 1–4 (a palette generator's [n, h, w, K] weights), with large and equal logits; its gradient through the tape;
 * and that it ran natively.
 */
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../src/engine/backend.js';
import { nativeBuildStatus, nativeKernelCalls } from '../src/engine/native.js';
import { Rng } from '../src/engine/rng.js';
import { size, uniform } from './helpers/backends.js';
import { assertRanNatively, assertSame } from './helpers/native.js';

const status = nativeBuildStatus();
const skipNative = status !== null && status.library === null ? `native backend not built: ${status.reason}` : false;

test('Softmax on native: the cpu kernel\'s values over the last axis of ranks 1–4, large and tied logits, and its gradient', { skip: skipNative }, async () => {
  await initEngine({ backend: 'native' });
  const rng = new Rng(8);
  const cases: [number[], number][] = [
    [[64, 6, 6, 8], 1], // a palette of 8 on a small image
    [[5, 3], 40], // logits far from 0: the row's max is taken out first
    [[7], 1],
    [[2, 3, 4, 1], 1], // one colour: every weight 1
  ];
  for (const [shape, scale] of cases) {
    const xv = uniform(rng, size(shape)).map((v) => v * scale);
    nativeKernelCalls(true);
    await assertSame(`softmax [${shape}] ×${scale}`, () => tf.softmax(tf.tensor(xv, shape)), 1e-6);
    assertRanNatively('Softmax', `softmax [${shape}]`, true);
    const dy = uniform(rng, size(shape));
    await assertSame(`softmax gradient [${shape}]`, () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.softmax(x), tf.tensor(dy, shape))))(tf.tensor(xv, shape)), 1e-6);
  }
  await assertSame('tied logits', () => tf.softmax(tf.zeros([3, 4])), 1e-7);
});
