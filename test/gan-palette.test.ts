/**
 * Palette generators (`palette`, src/nets/dcgan.ts `paletteImage`): every pixel of an image is a convex mix of the
 * K colours its code picked, for the DCGAN's and the residual G; a palette DCGAN learns on Pokémon sprites, saves
 * stock networks and loads back; the option's checks.
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
import type { GAN } from '../src/models/gan.js';
import { firstN, trainSteps } from './helpers/models.js';

await initEngine();
const sprites = { shape: [20, 20, 3], kind: 'images' } as const;

/** The [r, g, b] pixels of image i of a [n, h, w, 3] batch. */
function pixelsOf(images: Float32Array, i: number, size: number): number[][] {
  return Array.from({ length: size }, (_, p) => Array.from(images.subarray((i * size + p) * 3, (i * size + p) * 3 + 3)));
}

const cross = (a: number[], b: number[]): number[] => [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
const minus = (a: number[], b: number[]): number[] => a.map((v, i) => v - b[i]!);

for (const residual of [false, true]) {
  test(`palette (${residual ? 'residual' : 'DCGAN'} G): one colour paints a flat image, two colours put every pixel on one line`, () => {
    const one = createModel('dcgan', { palette: 1, residual, latent: 8, filters: [8, 16] }, sprites, new Rng(1)) as GAN;
    const two = createModel('dcgan', { palette: 2, residual, latent: 8, filters: [8, 16] }, sprites, new Rng(1)) as GAN;
    const z = tf.randomNormal([3, 8], 0, 3, 'float32', 4);
    const [flat, mixed] = [one.generate(z), two.generate(z)];
    assert.deepEqual(flat.shape, [3, 20, 20, 3]);
    const f = flat.dataSync() as Float32Array;
    const m = mixed.dataSync() as Float32Array;
    assert.ok(f.every((v) => v >= 0 && v <= 1) && m.every((v) => v >= 0 && v <= 1), 'images in [0, 1]');
    const colours = [0, 1, 2].map((i) => {
      const pixels = pixelsOf(f, i, 400);
      pixels.forEach((p) => assert.ok(minus(p, pixels[0]!).every((d) => Math.abs(d) < 1e-5), `image ${i}: one colour`));
      return pixels[0]!;
    });
    assert.ok(colours.some((c) => minus(c, colours[0]!).some((d) => Math.abs(d) > 1e-4)), 'each code picks its own colour');
    for (let i = 0; i < 3; i++) {
      const pixels = pixelsOf(m, i, 400);
      const far = pixels.reduce((a, p) => (Math.hypot(...minus(p, pixels[0]!)) > Math.hypot(...minus(a, pixels[0]!)) ? p : a));
      assert.ok(Math.hypot(...minus(far, pixels[0]!)) > 1e-4, `image ${i}: its pixels differ`);
      const off = Math.max(...pixels.map((p) => Math.hypot(...cross(minus(p, pixels[0]!), minus(far, pixels[0]!)))));
      assert.ok(off < 1e-5, `image ${i}: every pixel a mix of two colours (off the line by ${off})`);
    }
    tf.dispose([z, flat, mixed]);
    one.dispose();
    two.dispose();
  });
}

test('a palette DCGAN learns on Pokémon sprites, saves stock networks and loads back', async () => {
  const pokemon = await loadDataset('pokemon', { size: 20 });
  const root = await mkdtemp(join(tmpdir(), 'genlab-palette-'));
  try {
    const gan = createModel('dcgan', { palette: 8, spectralNorm: true, loss: 'hinge', latent: 16, filters: [8, 16] }, sprites, new Rng(1)) as GAN;
    const before = tf.memory().numTensors;
    const { last } = await trainSteps(gan, firstN(pokemon.train, 256), { steps: 20, batchSize: 32, learningRate: 2e-4, beta1: 0.5 });
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    const terms = Object.fromEntries(last!.names.map((n, i) => [n, last!.values[i]!]));
    assert.ok(Object.values(terms).every(Number.isFinite), JSON.stringify(terms));
    assert.ok(terms['discriminator/real']! > terms['discriminator/fake']! && terms['discriminator/loss']! < 1.95, JSON.stringify(terms));
    await gan.save(root);
    const stock = await loadLayersModel(join(root, 'generator'));
    assert.ok(['Softmax', 'Dot'].every((kind) => stock.layers.some((l) => l.getClassName() === kind)), 'softmax weights and the painting dot product');
    stock.dispose();
    const loaded = (await loadModel(root)) as GAN;
    assert.equal(loaded.config.palette, 8);
    const z = tf.randomNormal([2, 16], 0, 1, 'float32', 5);
    const [a, b] = [gan.generate(z), loaded.generate(z)];
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
    tf.dispose([z, a, b]);
    gan.dispose();
    loaded.dispose();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('palette: conv nets only, a whole number of colours in [0, 256]', () => {
  assert.throws(() => createModel('gan', { palette: 4 }, sprites, new Rng(0)), /gan: palette: a palette paints the conv generator’s images: use arch conv/);
  assert.throws(() => createModel('dcgan', { palette: 2.5 }, sprites, new Rng(0)), /dcgan: palette: expected a whole number of colours in \[0, 256\] \(0 = off\), got 2.5/);
  assert.throws(() => createModel('dcgan', { palette: 300 }, sprites, new Rng(0)), /palette: expected an integer in \[0, 256\] \(a palette of more than 256 colours is no longer a palette\), got 300/);
  assert.throws(() => createModel('vaegan', { palette: 4 } as never, sprites, new Rng(0)), /palette: not an option of vaegan/);
});
