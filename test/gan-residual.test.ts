/**
 * Residual G and D (`residual`, src/nets/resnet-gan.ts): the blocks' shapes and shortcuts, stock-loadable networks,
 * training with spectral normalisation and hinge loss on MNIST digits, save/load, and the option's checks.
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
import { createModel } from '../src/models/kinds.js';
import type { GAN } from '../src/models/gan.js';
import { saveAndReloadGan, trainHingeGanChecked } from './helpers/models.js';

await initEngine();
const mnist = await loadDataset('mnist');
const digits = { shape: [28, 28, 1], kind: 'images' } as const;

test('residual nets: G maps z to 28×28 through two up-blocks, D has two down-blocks with 1×1 shortcuts and no batch norm', () => {
  const gan = createModel('dcgan', { residual: true, latent: 16, filters: [8, 16] }, digits, new Rng(1)) as GAN;
  const layers = (m: { layers: { name: string; getClassName(): string }[] }, kind: string) => m.layers.filter((l) => l.getClassName() === kind).map((l) => l.name);
  assert.deepEqual(layers(gan.generator, 'Add'), ['generator_block1_add', 'generator_block2_add']);
  assert.deepEqual(layers(gan.discriminator, 'Add'), ['discriminator_block1_add', 'discriminator_block2_add']);
  assert.deepEqual(layers(gan.discriminator, 'BatchNormalization'), []);
  assert.ok(layers(gan.generator, 'BatchNormalization').length > 0, 'batch norm in G by default');
  const x = tf.tidy(() => gan.generate(tf.randomNormal([3, 16], 0, 1, 'float32', 2)));
  assert.deepEqual(x.shape, [3, 28, 28, 1]);
  assert.ok(x.dataSync().every((v) => v >= 0 && v <= 1), 'images in [0, 1]');
  const verdict = gan.discriminate(x);
  assert.deepEqual(verdict.shape, [3]);
  tf.dispose([x, verdict]);
  gan.dispose();
});

test('a residual DCGAN with spectral normalisation and hinge loss learns on digits, saves stock networks and loads back', async () => {
  const root = await mkdtemp(join(tmpdir(), 'genlab-residual-'));
  try {
    const gan = createModel('dcgan', { residual: true, spectralNorm: true, loss: 'hinge', latent: 16, filters: [8, 16] }, digits, new Rng(1)) as GAN;
    await trainHingeGanChecked(gan, mnist.train);
    const loaded = await saveAndReloadGan(gan, root);
    const stock = await loadLayersModel(join(root, 'generator'));
    assert.ok(stock.layers.some((l) => l.getClassName() === 'UpSampling2D'));
    stock.dispose();
    gan.dispose();
    loaded.dispose();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('residual: only for conv nets, and a boolean', () => {
  assert.throws(() => createModel('gan', { residual: true }, digits, new Rng(0)), /residual: residual blocks replace the conv nets’ layers: use arch conv/);
  assert.throws(() => createModel('vaegan', { residual: true } as never, digits, new Rng(0)), /residual: not an option of vaegan/);
});
