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
import { createModel } from '../src/models/kinds.js';
import type { GAN } from '../src/models/gan.js';
import { paletteEntropy } from '../src/models/gan-losses.js';
import { withPaletteWeights } from '../src/nets/dcgan.js';
import { firstN, saveAndReloadGan, trainHingeGanChecked, trainSteps } from './helpers/models.js';

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

test('paletteEntropy: log K for an even mix, 0 for one colour per pixel, the mean over pixels', () => {
  const even = tf.fill([2, 3, 3, 4], 0.25);
  const one = tf.reshape(tf.oneHot(tf.tensor1d([0, 2, 1, 3], 'int32'), 4), [1, 2, 2, 4]);
  const half = tf.tensor4d([0.5, 0.5, 0, 0, 1, 0, 0, 0], [1, 1, 2, 4]);
  const terms = [paletteEntropy(even), paletteEntropy(one), paletteEntropy(half)];
  const [e, o, h] = terms.map((t) => t.dataSync()[0]!) as [number, number, number];
  tf.dispose(terms);
  assert.ok(Math.abs(e - Math.log(4)) < 1e-6, `even: ${e}`);
  assert.ok(Math.abs(o) < 1e-6, `one-hot: ${o}`);
  assert.ok(Math.abs(h - Math.log(2) / 2) < 1e-6, `half the pixels mix two colours: ${h}`);
  tf.dispose([even, one, half]);
});

test('paletteEntropy in G\'s loss pushes each pixel to one colour of its palette', async () => {
  const pokemon = await loadDataset('pokemon', { size: 20 });
  const data = firstN(pokemon.train, 256);
  const entropyAfter = async (weight: number): Promise<{ entropy: number; logged: number | undefined }> => {
    const gan = createModel('dcgan', { palette: 8, paletteEntropy: weight, loss: 'hinge', latent: 16, filters: [8, 16] }, sprites, new Rng(1)) as GAN;
    const { last } = await trainSteps(gan, data, { steps: 40, batchSize: 32, learningRate: 5e-3, beta1: 0.5 });
    const logged = last!.values[last!.names.indexOf('generator/paletteEntropy')];
    const view = withPaletteWeights(gan.generator)!;
    const z = tf.randomNormal([16, 16], 0, 1, 'float32', 9);
    const [image, weights] = view.predict(z) as tf.Tensor[];
    const entropy = paletteEntropy(weights!).dataSync()[0]!;
    tf.dispose([z, image!, weights!]);
    gan.dispose();
    return { entropy, logged };
  };
  const without = await entropyAfter(0);
  const withIt = await entropyAfter(20);
  assert.equal(without.logged, undefined, 'no term without the option');
  assert.ok(withIt.logged !== undefined && Number.isFinite(withIt.logged), 'G logs the term');
  assert.ok(withIt.entropy < 0.7 * without.entropy, `mean entropy of the colour weights ${withIt.entropy.toFixed(3)} nats with λ = 20 against ${without.entropy.toFixed(3)} without (log 8 = 2.08)`);
});

test('a palette DCGAN learns on Pokémon sprites, saves stock networks and loads back', async () => {
  const pokemon = await loadDataset('pokemon', { size: 20 });
  const root = await mkdtemp(join(tmpdir(), 'genlab-palette-'));
  try {
    const gan = createModel('dcgan', { palette: 8, spectralNorm: true, loss: 'hinge', latent: 16, filters: [8, 16] }, sprites, new Rng(1)) as GAN;
    await trainHingeGanChecked(gan, pokemon.train);
    const loaded = await saveAndReloadGan(gan, root);
    const stock = await loadLayersModel(join(root, 'generator'));
    assert.ok(['Softmax', 'Dot'].every((kind) => stock.layers.some((l) => l.getClassName() === kind)), 'softmax weights and the painting dot product');
    stock.dispose();
    assert.equal(loaded.config.palette, 8);
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
  assert.throws(() => createModel('dcgan', { paletteEntropy: 0.5 }, sprites, new Rng(0)), /dcgan: paletteEntropy: weighs the entropy of each pixel's choice among a palette's colours: set palette to 2 or more \(it is 0\)/);
  assert.throws(() => createModel('dcgan', { palette: 4, paletteEntropy: -1 }, sprites, new Rng(0)), /paletteEntropy/);
});
