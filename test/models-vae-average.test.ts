/**
 * Polyak averaging of a VAE's weights (`emaDecay`, src/models/average.ts): the average is the bias-corrected moving
 * average of the trained weights, evaluation/sampling/scoring and the saved networks use it while training goes on
 * with the trained ones, and a run with it saves, loads and resumes exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { loadLayersModel } from '../src/engine/model-io.js';
import { Rng } from '../src/engine/rng.js';
import { loadDataset } from '../src/data/registry.js';
import { createModel, loadModel } from '../src/models/kinds.js';
import type { VAE } from '../src/models/vae.js';
import { fit, resumeRun, TrainStep, type MetricsRecord } from '../src/train/index.js';
import { firstN } from './helpers/models.js';

await initEngine();
const mnist = await loadDataset('mnist', { binarize: 'static' });
const images = { shape: [28, 28, 1], kind: 'images' } as const;
const values = (vs: readonly tf.Tensor[]): Float32Array[] => vs.map((v) => v.dataSync() as Float32Array);
const batchOf = (n: number, from = 0) => ({ x: tf.tensor(mnist.train.data.slice(from * 784, (from + n) * 784), [n, 28, 28, 1]) });

test('emaDecay: the average is θ₁ after one update and θ₁ + (θ₂ − θ₁)/(1 + β) after two; training moves the trained weights only', async () => {
  const beta = 0.9;
  const vae = createModel('vae', { hidden: [16], latent: 2, emaDecay: beta }, images, new Rng(1));
  const trained = vae.lossGroups()[0]!.variables;
  const all = vae.variables();
  assert.equal(all.length, 2 * trained.length, 'every trained weight has an averaged twin');
  const averaged = all.slice(trained.length);
  const trainer = new TrainStep(vae, new Rng(2), { learningRate: 1e-2 });
  const batch = batchOf(32);
  await trainer.run(batch);
  const theta1 = values(trained);
  assert.deepEqual(values(averaged), theta1, 'bias-corrected: the first update is θ₁ itself');
  await trainer.run(batch);
  const theta2 = values(trained);
  values(averaged).forEach((avg, i) => {
    const want = theta1[i]!.map((t1, j) => t1 + (theta2[i]![j]! - t1) / (1 + beta));
    avg.forEach((a, j) => assert.ok(Math.abs(a - want[j]!) < 1e-6, `weight ${i}[${j}]: ${a} vs ${want[j]}`));
  });
  assert.ok(theta1.some((t, i) => t.some((v, j) => v !== theta2[i]![j])), 'the trained weights moved');
  trainer.dispose();
  tf.dispose(batch.x);
  vae.dispose();
});

test('inference runs on the average: decode equals the saved decoder/ (the average), not decoder-trained/', async () => {
  const root = await mkdtemp(join(tmpdir(), 'genlab-vae-ema-'));
  try {
    const vae = createModel('vae', { hidden: [16], latent: 2, emaDecay: 0.5 }, images, new Rng(1));
    const trainer = new TrainStep(vae, new Rng(2), { learningRate: 3e-2 });
    for (let s = 0; s < 5; s++) await trainer.run(batchOf(32, 32 * s));
    trainer.dispose();
    await vae.save(root);
    const z = tf.randomNormal([4, 2], 0, 1, 'float32', 7);
    const decoded = vae.decode(z);
    const viaStock = async (folder: string) => {
      const net = await loadLayersModel(join(root, folder)); // the TF.js layers-model files alone
      const out = tf.tidy(() => tf.sigmoid(net.predict(z) as tf.Tensor).dataSync());
      net.dispose();
      return out;
    };
    const average = await viaStock('decoder');
    const asTrained = await viaStock('decoder-trained');
    const close = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).every((v, i) => Math.abs(v - b[i]!) < 1e-5);
    assert.ok(close(decoded.dataSync(), average), 'decode uses the averaged decoder');
    assert.ok(!close(average, asTrained), 'the average differs from the trained decoder');
    tf.dispose([z, decoded]);
    vae.dispose();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('resume: a VAE with two stochastic layers and a moving average continued from its checkpoint ends as the uninterrupted run', async () => {
  const root = await mkdtemp(join(tmpdir(), 'genlab-vae-ema-resume-'));
  try {
    const data = { train: firstN(mnist.train, 128), test: firstN(mnist.test, 64) };
    const options = { hidden: [16], latent: 4, topLatent: 2, topHidden: [8], emaDecay: 0.9 };
    const plan = { batchSize: 32, seed: 5, learningRate: 3e-3 };
    const numbers = (records: readonly MetricsRecord[]) => records.map(({ time: _t, examplesPerSec: _e, ...rest }) => rest);
    const whole = createModel('vae', options, images, new Rng(1));
    const full = await fit(whole, data, { ...plan, epochs: 3, runDir: join(root, 'full') });
    const half = createModel('vae', options, images, new Rng(1));
    await fit(half, data, { ...plan, epochs: 1, runDir: join(root, 'half') });
    half.dispose();
    const resumed = await resumeRun(join(root, 'half'), data, { loadModel, epochs: 3 });
    assert.deepEqual(numbers(resumed.metrics), numbers(full.metrics));
    const same = values(resumed.model.variables()).every((v, i) => v.every((x, j) => x === values(whole.variables())[i]![j]));
    assert.ok(same, 'every weight, trained and averaged');
    const loaded = (await loadModel(join(root, 'full', 'model'))) as VAE;
    assert.equal(loaded.keepsAverage, true);
    assert.deepEqual(values(loaded.variables()), values(whole.variables()));
    resumed.model.dispose();
    loaded.dispose();
    whole.dispose();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
