/**
 * A conditional model's samples for evaluation take their labels with the training set's class shares, so that they
 * follow the data's marginal p(x) = Σ_y p(y) p(x|y) as the real digits they are compared with do (MNIST's test digits
 * are 8.9–11.4% per class, not 10% each). What a user relies on: the shares are the data's, the labels follow them,
 * the samples' noise does not change with them, and a wrong prior is refused in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { classFrequencies, makeDataset } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/registry.js';
import { createModel } from '../src/models/kinds.js';
import type { GAN } from '../src/models/gan.js';
import { drawSamples, sampleLabels } from '../src/eval/sample-quality.js';

await initEngine();

test('classFrequencies: each class\'s share of the examples; none for data without class labels', async () => {
  const ds = makeDataset({ name: 'three', kind: 'points', shape: [1], data: new Float32Array(8), labels: { kind: 'class', values: Int32Array.from([0, 2, 2, 2, 0, 2, 2, 2]), classes: ['a', 'b', 'c'] } });
  assert.deepEqual(classFrequencies(ds), [0.25, 0, 0.75]);
  assert.equal(classFrequencies(makeDataset({ name: 'bare', kind: 'points', shape: [1], data: new Float32Array(4) })), undefined);
  const { train } = await loadDataset('mnist', {});
  const shares = classFrequencies(train)!;
  assert.equal(shares.length, 10);
  assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  // MNIST is not balanced: ones are the most common digit, fives the least.
  assert.ok(shares[1]! > 0.11 && shares[5]! < 0.095, `shares ${shares.map((s) => s.toFixed(3)).join(' ')}`);
});

test('sampleLabels: drawn with the prior\'s shares (a class with share 0 never), seeded; cycled without a prior; a wrong prior refused', () => {
  const prior = [0.5, 0, 0.3, 0.2];
  const labels = sampleLabels(20_000, 4, 7, prior);
  const counts = [0, 0, 0, 0];
  for (const l of labels) counts[l]!++;
  counts.forEach((c, k) => assert.ok(Math.abs(c / labels.length - prior[k]!) < 0.015, `class ${k}: ${c} of ${labels.length}`));
  assert.equal(counts[1], 0);
  assert.deepEqual(sampleLabels(50, 4, 7, [5, 0, 3, 2]), sampleLabels(50, 4, 7, prior), 'shares need not sum to 1');
  assert.deepEqual(sampleLabels(50, 4, 7, prior), labels.subarray(0, 50), 'the same seed gives the same labels');
  assert.notDeepEqual(sampleLabels(50, 4, 8, prior), labels.subarray(0, 50));
  assert.deepEqual(Array.from(sampleLabels(6, 4, 7)), [0, 1, 2, 3, 0, 1]);
  assert.throws(() => sampleLabels(5, 4, 0, [1, 1, 1]), /classPrior: expected 4 non-negative class shares/);
  assert.throws(() => sampleLabels(5, 2, 0, [1, -1]), /classPrior/);
  assert.throws(() => sampleLabels(5, 2, 0, [0, 0]), /classPrior/);
});

test('drawSamples: a conditional GAN\'s samples follow the prior\'s labels, with the same noise as with cycled labels', async () => {
  const classes = ['0', '1', '2'];
  const gan = createModel('cgan', { arch: 'mlp', hidden: [16], latent: 4 }, { shape: [4, 4, 1], kind: 'images', classes }, new Rng(1)) as GAN;
  const before = tf.memory().numTensors;
  const n = 600; // more than one chunk of 500
  const onlyTwos = await drawSamples(gan, n, 3, { classPrior: [0, 0, 1] });
  const cycled = await drawSamples(gan, n, 3);
  const expect = async (labels: Int32Array): Promise<Float32Array> => {
    const rng = new Rng(3);
    const out: number[] = [];
    for (let start = 0; start < n; start += 500) {
      const l = tf.tensor1d(labels.subarray(start, Math.min(n, start + 500)), 'int32');
      const x = gan.sample(l.size, rng, l);
      out.push(...(await x.data()));
      tf.dispose([x, l]);
    }
    return Float32Array.from(out);
  };
  assert.deepEqual(onlyTwos, await expect(new Int32Array(n).fill(2)));
  assert.deepEqual(cycled, await expect(sampleLabels(n, 3, 3)));
  assert.notDeepEqual(onlyTwos, cycled);
  assert.equal(tf.memory().numTensors, before);
  gan.dispose();
});
