/**
 * Differentiable augmentation (Zhao et al. 2020): the transforms do what the paper says (shifts within 1/8 of the
 * size with zero fill, a cutout square of half the size, colour ranges), a seed gives one augmentation, gradients
 * flow through it exactly (it is linear in the image given its draws), and a GAN with `diffAugment` trains, refuses
 * points, evaluates without augmenting, saves its config and leaks no tensors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { createModel, loadModel } from '../src/models/kinds.js';
import { MAX_SHIFT_ROW, cutoutSize, diffAugment, maxShift, translate } from '../src/models/diff-augment.js';
import { TrainStep } from '../src/train/index.js';
import type { TensorBatch } from '../src/models/model.js';

await initEngine({ backend: 'cpu' });

const images = { shape: [16, 16, 1], kind: 'images' as const };

test('translate moves each image by its own shift with zeros coming in, narrow rows and wide (the transposing path)', () => {
  const widths: [number, number][] = [[5, 1], [7, 3], [Math.floor(MAX_SHIFT_ROW / 3) + 1, 3]]; // the last: w·c > MAX_SHIFT_ROW
  for (const [w, c] of widths) {
    const [n, h] = [3, 4];
    const x = tf.tensor4d(Float32Array.from({ length: n * h * w * c }, (_, i) => i + 1), [n, h, w, c]);
    const dy = Int32Array.from([1, -2, 0]);
    const dx = Int32Array.from([2, 0, -3]);
    const out = translate(x, dy, dx).arraySync();
    const src = x.arraySync();
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < h; r++) {
        for (let col = 0; col < w; col++) {
          const inside = r - dy[i]! >= 0 && r - dy[i]! < h && col - dx[i]! >= 0 && col - dx[i]! < w;
          for (let ch = 0; ch < c; ch++) {
            assert.equal(out[i]![r]![col]![ch], inside ? src[i]![r - dy[i]!]![col - dx[i]!]![ch] : 0, `[${w}, ${c}]: image ${i} at (${r}, ${col}, ${ch})`);
          }
        }
      }
    }
    x.dispose();
  }
});

test('the augmentation keeps to the paper’s ranges: shifts up to size/8, one cutout square of half the size', () => {
  assert.equal(maxShift(28), 4);
  assert.equal(maxShift(40), 5);
  assert.equal(cutoutSize(28), 14);
  // A constant image: colour changes keep it constant (saturation and contrast act on deviations from means),
  // so the zeros are exactly where the shift brought in border and where the cutout fell.
  const n = 64;
  const x = tf.fill([n, 16, 16, 1], 0.5) as tf.Tensor4D;
  const out = diffAugment(x, new Rng(3));
  const v = out.dataSync();
  let sawShift = false;
  for (let i = 0; i < n; i++) {
    const img = v.subarray(i * 256, (i + 1) * 256);
    const nonZero = img.filter((p) => p !== 0);
    assert.ok(nonZero.every((p) => Math.abs(p - nonZero[0]!) < 1e-6), `image ${i}: one brightness inside`);
    assert.ok(Math.abs(nonZero[0]! - 0.5) <= 0.5 + 1e-6, `image ${i}: brightness within ±0.5`);
    const zeros = 256 - nonZero.length;
    // At most the cutout (8×8) plus shifted-in rows and columns (2 per side at 16 px).
    assert.ok(zeros <= 64 + 16 * 2 * 2, `image ${i}: ${zeros} zeros`);
    if (zeros > 64) sawShift = true;
  }
  assert.ok(sawShift, 'some image was shifted');
  tf.dispose([x, out]);
});

test('a seed gives one augmentation; another seed another', () => {
  const x = tf.randomUniform([8, 16, 16, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const a = diffAugment(x, new Rng(5));
  const b = diffAugment(x, new Rng(5));
  const c = diffAugment(x, new Rng(6));
  assert.deepEqual(a.dataSync(), b.dataSync());
  assert.notDeepEqual(a.dataSync(), c.dataSync());
  tf.dispose([x, a, b, c]);
});

test('the gradient through the augmentation is exact: it matches finite differences', () => {
  const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const w = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3);
  const f = (t: tf.Tensor) => tf.sum(tf.mul(diffAugment(t as tf.Tensor4D, new Rng(9)), w)) as tf.Scalar;
  const g = tf.grad(f)(x);
  assert.ok(tf.max(tf.abs(g)).dataSync()[0]! > 0.1, 'some gradient reaches the image');
  const base = x.dataSync();
  const grad = g.dataSync();
  for (const i of [0, 17, 100, 200, 333]) {
    const eps = 1e-2;
    const plus = Float32Array.from(base);
    plus[i]! += eps;
    const minus = Float32Array.from(base);
    minus[i]! -= eps;
    const numeric = tf.tidy(() => (f(tf.tensor4d(plus, x.shape)).dataSync()[0]! - f(tf.tensor4d(minus, x.shape)).dataSync()[0]!) / (2 * eps));
    assert.ok(Math.abs(numeric - grad[i]!) < 2e-2 * Math.max(1, Math.abs(numeric)), `element ${i}: ${grad[i]} vs ${numeric}`);
  }
  tf.dispose([x, w, g]);
});

test('a DCGAN with diffAugment trains, evaluates without augmenting, keeps the option when saved, leaks nothing', async () => {
  const gan = createModel('dcgan', { filters: [4, 8], latent: 4, diffAugment: true }, images, new Rng(1));
  assert.equal(gan.config.diffAugment, true);
  const batch: TensorBatch = { x: tf.randomUniform([8, 16, 16, 1], 0, 1, 'float32', 4) };
  // Its twin without augmentation has the same weights: evaluation must give the same numbers (nothing augmented).
  const twin = createModel('dcgan', { filters: [4, 8], latent: 4 }, images, new Rng(1));
  const [augmented, plain] = [gan.evaluate(batch, new Rng(7)), twin.evaluate(batch, new Rng(7))];
  assert.equal(augmented['loss']!.dataSync()[0], plain['loss']!.dataSync()[0]);
  tf.dispose([...Object.values(augmented), ...Object.values(plain)]);
  twin.dispose();
  const trainer = new TrainStep(gan, new Rng(2));
  await trainer.run(batch);
  const before = tf.memory().numTensors;
  for (let s = 0; s < 3; s++) {
    const terms = await trainer.run(batch);
    assert.ok(terms.values.every(Number.isFinite), terms.names.join());
  }
  tf.dispose(Object.values(gan.evaluate(batch, new Rng(7))));
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks over steps and evaluation');
  const dir = await mkdtemp(join(tmpdir(), 'genlab-diffaug-'));
  try {
    await gan.save(dir);
    const loaded = await loadModel(dir);
    assert.equal((loaded.config as { diffAugment: boolean }).diffAugment, true);
    loaded.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  trainer.dispose();
  gan.dispose();
  tf.dispose(batch.x);
});

test('diffAugment on points is a one-line error naming the option', () => {
  assert.throws(() => createModel('gan', { diffAugment: true }, { shape: [2], kind: 'points' }, new Rng(1)), /gan: diffAugment: augments images .* the data are points of shape \[2\]/);
});
