import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { loadDataset } from '../src/data/registry.js';
import { Autoencoder, DenoisingAutoencoder } from '../src/models/autoencoder.js';
import { createModel, loadModel } from '../src/models/kinds.js';
import { evaluateLocal, firstN, trainSteps } from './helpers/models.js';

await initEngine();
const { train, test: testSplit } = await loadDataset('mnist');
const digits = firstN(train, 600);
const heldOut = firstN(testSplit, 200);
const images = { shape: train.shape, kind: 'images' as const };
const small = { hidden: [64], latent: 8 };

/** Corrupts a [n, 10, 10, 1] batch filled with `value` and returns the values. */
function corrupted(model: Autoencoder, value: number, seed = 1, n = 100): Float32Array {
  return tf.tidy(() => model.corrupt(tf.fill([n, 10, 10, 1], value), new Rng(seed)).dataSync() as Float32Array);
}

test('ae: one group "reconstruction" whose loss falls on MNIST (grey pixels, Bernoulli cross-entropy)', async () => {
  const model = createModel('ae', small, images, new Rng(1)) as Autoencoder;
  assert.equal(model.kind, 'ae');
  assert.deepEqual(model.lossGroups().map((g) => g.name), ['reconstruction']);
  const before = evaluateLocal(model, heldOut);
  const { losses } = await trainSteps(model, digits, { steps: 60, batchSize: 50, learningRate: 3e-3 });
  const after = evaluateLocal(model, heldOut);
  assert.deepEqual(Object.keys(after).sort(), ['loss', 'recon', 'weightDecay']);
  assert.ok(losses.at(-1)! < losses[0]! - 200, `train ${losses[0]} → ${losses.at(-1)}`);
  assert.ok(after['recon']! < before['recon']! - 200, `test ${before['recon']} → ${after['recon']}`);
  model.dispose();
});

test('dae noise: gaussian adds σ = amount, masking zeroes that fraction, salt-and-pepper sets it to 0 or 1', () => {
  const data = { shape: [10, 10, 1], kind: 'images' as const };
  const dae = (noise: 'gaussian' | 'masking' | 'salt-and-pepper', noiseAmount: number): Autoencoder =>
    DenoisingAutoencoder.create({ hidden: [4], latent: 2, noise, noiseAmount }, data, new Rng(1));
  // Gaussian: on grey 0.5 pixels (far from the clipping bounds), mean 0.5 and standard deviation 0.1.
  const g = corrupted(dae('gaussian', 0.1), 0.5);
  const mean = g.reduce((s, v) => s + v, 0) / g.length;
  const sd = Math.sqrt(g.reduce((s, v) => s + (v - mean) ** 2, 0) / g.length);
  assert.ok(Math.abs(mean - 0.5) < 0.01 && Math.abs(sd - 0.1) < 0.01, `mean ${mean}, sd ${sd}`);
  assert.ok(corrupted(dae('gaussian', 2), 0.5).every((v) => v >= 0 && v <= 1), 'clipped to [0, 1] for images');
  // Masking: ~30% of the values become 0, the rest are untouched.
  const m = corrupted(dae('masking', 0.3), 0.8);
  const zeros = m.filter((v) => v === 0).length / m.length;
  assert.ok(Math.abs(zeros - 0.3) < 0.03 && m.every((v) => v === 0 || Math.abs(v - 0.8) < 1e-7), `masked ${zeros}`);
  // Salt and pepper: ~20% of the values become 0 or 1, in even shares.
  const sp = corrupted(dae('salt-and-pepper', 0.2), 0.5);
  const salt = sp.filter((v) => v === 1).length / sp.length;
  const pepper = sp.filter((v) => v === 0).length / sp.length;
  assert.ok(Math.abs(salt + pepper - 0.2) < 0.03 && Math.abs(salt - pepper) < 0.03, `salt ${salt}, pepper ${pepper}`);
  assert.ok(sp.every((v) => v === 0 || v === 1 || v === 0.5));
  // Seeded: the same rng seed gives the same noise; a plain AE leaves the input alone.
  assert.deepEqual(corrupted(dae('masking', 0.3), 0.8, 7), corrupted(dae('masking', 0.3), 0.8, 7));
  assert.notDeepEqual(corrupted(dae('masking', 0.3), 0.8, 7), corrupted(dae('masking', 0.3), 0.8, 8));
  assert.ok(corrupted(Autoencoder.create({ hidden: [4], latent: 2 }, data, new Rng(1)), 0.3).every((v) => Math.abs(v - 0.3) < 1e-7));
  // Options are checked.
  assert.throws(() => dae('masking', 1.5), /noiseAmount: expected a number in \[0, 1\]/);
  assert.throws(() => DenoisingAutoencoder.create({ noise: 'salt-and-pepper' }, { shape: [2], kind: 'points' }, new Rng(1)), /needs images/);
  assert.throws(() => createModel('dae', { noise: 'none' }, data, new Rng(1)), /needs noise/);
  assert.equal((createModel('dae', {}, data, new Rng(1)) as Autoencoder).config.noise, 'gaussian');
});

test('dae: the loss reconstructs the clean digit from its corrupted version, and falls with training', async () => {
  const model = createModel('dae', { ...small, noise: 'salt-and-pepper', noiseAmount: 0.2 }, images, new Rng(2)) as Autoencoder;
  const { losses } = await trainSteps(model, digits, { steps: 40, batchSize: 50, learningRate: 3e-3 });
  assert.ok(losses.at(-1)! < losses[0]! - 150, `train ${losses[0]} → ${losses.at(-1)}`);
  const x = tf.tensor(heldOut.data.slice(0, 784 * 50), [50, 28, 28, 1]);
  const [loss, manual, clean] = tf.tidy(() => {
    const loss = model.lossGroups()[0]!.loss({ x }, new Rng(5), 0).loss.dataSync()[0]!;
    // The same noise (same seed), decoded, scored against the clean x: −Σ x log p + (1 − x) log(1 − p).
    const bce = (input: tf.Tensor): number => {
      const p = tf.clipByValue(model.reconstruct(input), 1e-7, 1 - 1e-7);
      const ll = tf.add(tf.mul(x, tf.log(p)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, p))));
      return -tf.sum(ll).dataSync()[0]! / 50;
    };
    return [loss, bce(model.corrupt(x, new Rng(5))), bce(x)];
  });
  assert.ok(Math.abs(loss - manual) < 0.01 * loss, `loss ${loss} vs recomputed ${manual}`);
  assert.ok(Math.abs(loss - clean) > 1, 'the encoder saw the corrupted input, not the clean one');
  x.dispose();
  model.dispose();
});

test('ae/dae: save and load give identical codes, reconstructions and samples', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'genlab-ae-'));
  try {
    for (const kind of ['ae', 'dae'] as const) {
      const model = createModel(kind, { ...small, decoder: 'gaussian' }, images, new Rng(3)) as Autoencoder;
      await trainSteps(model, firstN(digits, 100), { steps: 3, batchSize: 50 });
      await model.save(join(dir, kind));
      const loaded = (await loadModel(join(dir, kind))) as Autoencoder;
      assert.equal(loaded.kind, kind);
      assert.equal(loaded.constructor, model.constructor);
      assert.deepEqual(loaded.config, model.config);
      const x = tf.tensor(heldOut.data.slice(0, 784 * 4), [4, 28, 28, 1]);
      const outputs = (m: Autoencoder): number[][] =>
        tf.tidy(() => [m.encode(x), m.reconstruct(x), m.sample(4, new Rng(9)), m.corrupt(x, new Rng(2))].map((t) => Array.from(t.dataSync())));
      assert.deepEqual(outputs(loaded), outputs(model));
      x.dispose();
      model.dispose();
      loaded.dispose();
    }
    await assert.rejects(Autoencoder.load(join(dir, 'nope')), /no such model folder/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ae on points: a Gaussian decoder by default, a linear mean', () => {
  const model = createModel('ae', { hidden: [16], latent: 1 }, { shape: [2], kind: 'points' }, new Rng(1)) as Autoencoder;
  assert.equal(model.config.decoder, 'gaussian');
  const s = tf.tidy(() => model.sample(200, new Rng(1)).dataSync());
  assert.equal(s.length, 400);
  model.dispose();
});
