/**
 * Resize-convolution in the DCGAN's generator (`upsample: 'nearest'`, src/nets/dcgan.ts): where the strided transposed
 * 5×5 convolutions paint a 2×2 checkerboard into G's images from the start, nearest upsampling then a 3×3 convolution
 * does not (Odena, Dumoulin & Olah 2016); such a G learns on sprites, with and without a palette, saves stock layers and
 * loads back; the option's checks.
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
import { checkerboardShare } from '../src/eval/checkerboard.js';
import { createModel } from '../src/models/kinds.js';
import type { GAN } from '../src/models/gan.js';
import { saveAndReloadGan, trainHingeGanChecked } from './helpers/models.js';

await initEngine();
const sprites = { shape: [20, 20, 3], kind: 'images' } as const;

/** The checkerboard share of a batch [n, h, w, c] (src/eval/checkerboard.ts). */
function checkerboardOf(images: tf.Tensor4D): number {
  return checkerboardShare(images.dataSync() as Float32Array, ...images.shape);
}

test('a fresh G: the transposed convolutions put a 2×2 checkerboard into its images, nearest upsampling does not (3 seeds)', () => {
  for (const seed of [1, 2, 3]) {
    const share = (['transposed', 'nearest'] as const).map((upsample) => {
      const gan = createModel('dcgan', { upsample, latent: 16, filters: [32, 64, 128] }, sprites, new Rng(seed)) as GAN;
      const z = tf.randomNormal([32, 16], 0, 1, 'float32', seed);
      const images = gan.generate(z) as tf.Tensor4D;
      assert.deepEqual(images.shape, [32, 20, 20, 3]);
      const s = checkerboardOf(images);
      tf.dispose([z, images]);
      gan.dispose();
      return s;
    });
    assert.ok(share[0]! > 0.1, `seed ${seed}: transposed convolutions' phase share ${share[0]}`);
    assert.ok(share[1]! < 0.02, `seed ${seed}: nearest upsampling's phase share ${share[1]}`);
  }
});

for (const palette of [0, 8]) {
  test(`a nearest-upsampling G${palette ? ' with a palette' : ''} learns on Pokémon sprites, saves stock UpSampling2D layers and loads back`, async () => {
    const pokemon = await loadDataset('pokemon', { size: 20 });
    const root = await mkdtemp(join(tmpdir(), 'genlab-upsample-'));
    try {
      const gan = createModel('dcgan', { upsample: 'nearest', palette, spectralNorm: true, loss: 'hinge', latent: 16, filters: [8, 16] }, sprites, new Rng(1)) as GAN;
      await trainHingeGanChecked(gan, pokemon.train);
      const loaded = await saveAndReloadGan(gan, root);
      const stock = await loadLayersModel(join(root, 'generator'));
      const kinds = stock.layers.map((l) => l.getClassName());
      assert.equal(kinds.filter((k) => k === 'UpSampling2D').length, 2, kinds.join(', '));
      assert.ok(!kinds.includes('Conv2DTranspose'), kinds.join(', '));
      stock.dispose();
      assert.equal(loaded.config.upsample, 'nearest');
      gan.dispose();
      loaded.dispose();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
}

test('upsample: the DCGAN generator only, one of transposed or nearest', () => {
  assert.throws(() => createModel('gan', { upsample: 'nearest' }, sprites, new Rng(0)), /gan: upsample: nearest upsampling replaces the DCGAN generator’s transposed convolutions: use arch conv without residual .*got arch mlp/);
  assert.throws(() => createModel('dcgan', { upsample: 'nearest', residual: true }, sprites, new Rng(0)), /dcgan: upsample: .*got residual/);
  assert.throws(() => createModel('dcgan', { upsample: 'bilinear' as never }, sprites, new Rng(0)), /dcgan: upsample/);
  assert.throws(() => createModel('vaegan', { upsample: 'nearest' } as never, sprites, new Rng(0)), /upsample: not an option of vaegan/);
  const transposed = createModel('dcgan', {}, sprites, new Rng(0)) as GAN;
  assert.equal(transposed.config.upsample, 'transposed');
  transposed.dispose();
});
