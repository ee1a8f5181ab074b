import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { makeDataset } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/registry.js';
import { conformImages } from '../src/eval/likelihood.js';
import { createModel, loadModel } from '../src/models/kinds.js';
import type { VAE } from '../src/models/vae.js';
import { firstN, trainSteps } from './helpers/models.js';

// Conv nets train on wasm with genlab's gradient kernels (src/engine/kernels); the stock cpu backend's
// Conv2DBackpropFilter is far too slow for a test (seconds per small batch), so training is skipped there.
const engine = await initEngine();
const onCpu = engine.backend === 'cpu';
const { train } = await loadDataset('mnist', { binarize: 'static' });
const digits = firstN(train, 400);

test('conv vae: −ELBO falls on 28×28 digits (conv 4×4/2 32 → 64 → latent, transposed convs back)', { skip: onCpu && 'cpu backend' }, async () => {
  const model = createModel('vae', { arch: 'conv', latent: 8 }, { shape: [28, 28, 1], kind: 'images' }, new Rng(1)) as VAE;
  assert.deepEqual(model.encoder.layers.filter((l) => l.getClassName() === 'Conv2D').length, 2);
  assert.deepEqual(model.decoder.layers.filter((l) => l.getClassName() === 'Conv2DTranspose').length, 2);
  const { losses } = await trainSteps(model, digits, { steps: 25, batchSize: 32, learningRate: 3e-3, logEvery: 5 });
  assert.ok(losses.at(-1)! < losses[0]! - 200, losses.join(' '));
  model.dispose();
});

test('conv cvae on 30×30 RGB (padded to 32, cropped back): trains, saves and loads to identical outputs', { skip: onCpu && 'cpu backend' }, async () => {
  const shape = [30, 30, 3];
  const data = makeDataset({ ...digits, shape, data: conformImages(digits.data, digits.count, [28, 28, 1], shape) });
  const classes = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
  const model = createModel('cvae', { arch: 'conv', latent: 4, hidden: [32] }, { shape, kind: 'images', classes }, new Rng(2)) as VAE;
  const { losses } = await trainSteps(model, data, { steps: 10, batchSize: 20, learningRate: 3e-3, logEvery: 9 });
  assert.ok(losses.every(Number.isFinite) && losses.at(-1)! < losses[0]!, losses.join(' '));
  const dir = await mkdtemp(join(tmpdir(), 'genlab-conv-'));
  try {
    await model.save(join(dir, 'model'));
    const loaded = (await loadModel(join(dir, 'model'))) as VAE;
    const x = tf.tensor(data.data.slice(0, 2 * 2700), [2, ...shape]);
    const labels = tf.tensor1d([7, 2], 'int32');
    const out = (m: VAE): number[][] => tf.tidy(() => [m.sample(3, new Rng(1)), m.reconstruct(x, new Rng(1), labels)].map((t) => Array.from(t.dataSync())));
    const a = out(model), b = out(loaded);
    assert.deepEqual(b, a);
    assert.equal(a[0]!.length, 3 * 2700);
    tf.dispose([x, labels]);
    loaded.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  model.dispose();
});
