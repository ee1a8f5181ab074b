/**
 * The engine's random normals (src/engine/kernels/random.ts) are tf.randomNormal's values for the same seed, bit for
 * bit, drawn by the native kernel and by the JavaScript fallback alike — over seeds, odd and even lengths (the polar
 * method's pairs), means and standard deviations; a seed of 0 is a seed (tf.randomNormal would draw from Math.random).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../src/engine/backend.js';
import { RANDOM_NORMAL_KERNEL, randomNormal } from '../src/engine/kernels/random.js';
import { nativeBuildStatus, nativeKernelCalls } from '../src/engine/native.js';
import { assertRanNatively } from './helpers/native.js';

const status = nativeBuildStatus();
const skipNative = status !== null && status.library === null ? `native backend not built: ${status.reason}` : false;

/** The first index where a and b differ (Object.is: −0 ≠ 0), or −1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

const CASES: [number, number[], number, number][] = [
  [1, [1], 0, 1],
  [7, [3], 0, 1],
  [20261205, [100, 20], 0, 1],
  [2147483646, [5, 100, 50], 0, 1], // the two-layer IWAE's ε₁ [k, n, L]
  [123, [99999], 2, 0.3],
  [0.5, [4, 7], -1, 3],
];

for (const backend of ['cpu', 'native'] as const) {
  test(`randomNormal on ${backend}: tf.randomNormal's values for the same seed, bit for bit`, { skip: backend === 'native' && skipNative }, async () => {
    await initEngine({ backend });
    assert.equal(tf.getKernel(RANDOM_NORMAL_KERNEL, backend) !== undefined, backend === 'native', 'the kernel is native-only');
    nativeKernelCalls(true);
    for (const [seed, shape, mean, std] of CASES) {
      const before = tf.memory().numTensors;
      const ours = randomNormal(shape, seed, mean, std);
      const theirs = tf.randomNormal(shape, mean, std, 'float32', seed);
      assert.deepEqual(ours.shape, shape);
      assert.equal(ours.dtype, 'float32');
      const i = firstDifference(ours.dataSync(), theirs.dataSync());
      assert.equal(i, -1, `seed ${seed} shape [${shape}] N(${mean}, ${std}²): value ${i} differs`);
      tf.dispose([ours, theirs]);
      assert.equal(tf.memory().numTensors, before);
    }
    if (backend === 'native') assertRanNatively(RANDOM_NORMAL_KERNEL, 'randomNormal', true);
    // A seed of 0 is a seed: the same values twice, other than seed 1's.
    const zero = [randomNormal([64], 0).dataSync(), randomNormal([64], 0).dataSync()];
    assert.equal(firstDifference(zero[0]!, zero[1]!), -1, 'seed 0 draws the same values each time');
    assert.notEqual(firstDifference(zero[0]!, randomNormal([64], 1).dataSync()), -1);
    // Moments of many draws: a standard normal.
    const v = randomNormal([200000], 42).dataSync() as Float32Array;
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
    assert.ok(Math.abs(m) < 0.01 && Math.abs(variance - 1) < 0.01, `mean ${m}, variance ${variance}`);
  });
}

test('randomNormal: an empty shape gives an empty tensor; a bad shape is a one-line error', async () => {
  await initEngine({ backend: 'cpu' });
  assert.deepEqual(randomNormal([0, 3], 1).shape, [0, 3]);
  assert.throws(() => randomNormal([2.5], 1), /randomNormal: shape: expected non-negative integers, got \[2\.5\]$/);
});
