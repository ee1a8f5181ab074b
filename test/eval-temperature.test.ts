/**
 * Sampling temperature: codes z = σ·e, e ~ N(0, I), for the models that generate from their own noise (GANs, LAPGAN).
 * What a user relies on: σ = 1 is the model's own `sample`, bit for bit; the same seed draws the same e at every σ;
 * σ = 0 collapses every sample onto G(0); the spread of the samples grows with σ; models without their own noise and
 * temperatures out of range are refused in one line; nothing leaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { createModel } from '../src/models/kinds.js';
import type { GAN } from '../src/models/gan.js';
import type { LAPGAN } from '../src/models/lapgan.js';
import { checkTemperature, drawSamples, sampleAtTemperature } from '../src/eval/sample-quality.js';

await initEngine();

/** Mean over pixels of the per-pixel standard deviation across samples [n, size]. */
function spread(x: Float32Array, n: number): number {
  const size = x.length / n;
  let total = 0;
  for (let j = 0; j < size; j++) {
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i * size + j]!;
      s += v;
      s2 += v * v;
    }
    total += Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
  }
  return total / size;
}

test('sampleAtTemperature: σ = 1 is sample; σ scales the same e; σ = 0 gives G(0) for every sample; the spread grows with σ', async () => {
  const classes = ['0', '1', '2'];
  const gan = createModel('cgan', { arch: 'mlp', hidden: [16], latent: 4 }, { shape: [4, 4, 1], kind: 'images', classes }, new Rng(1)) as GAN;
  const before = tf.memory().numTensors;
  const labels = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
  const at = async (sigma: number): Promise<Float32Array> => {
    const x = sampleAtTemperature(gan, 8, new Rng(5), sigma, labels);
    const d = (await x.data()) as Float32Array;
    x.dispose();
    return d;
  };
  const own = gan.sample(8, new Rng(5), labels);
  assert.deepEqual(await at(1), await own.data(), 'σ = 1 is the model’s own sample');
  own.dispose();
  const e = gan.noise(8, new Rng(5));
  const byHand = tf.tidy(() => gan.generate(tf.mul(e, 1.7), labels));
  assert.deepEqual(await at(1.7), await byHand.data(), 'the seed draws e as sample does; z = σ·e');
  tf.dispose([e, byHand]);
  // σ = 0: every code is 0, so samples of one class are one image.
  const zero = await at(0);
  assert.deepEqual(zero.subarray(0, 16), zero.subarray(48, 64));
  assert.notDeepEqual(zero.subarray(0, 16), zero.subarray(16, 32), 'the label still counts');
  labels.dispose();
  // Unlabelled draws (cycled classes) spread more with σ.
  const spreads = [];
  for (const temperature of [0, 0.5, 1, 2]) spreads.push(spread(await drawSamples(gan, 60, 2, { classPrior: [1, 0, 0], temperature }), 60));
  assert.equal(spreads[0], 0);
  for (let i = 1; i < spreads.length; i++) assert.ok(spreads[i]! > spreads[i - 1]!, `spread by σ 0, 0.5, 1, 2: ${spreads.join(', ')}`);
  assert.equal(tf.memory().numTensors, before);
  gan.dispose();
});

test('sampleAtTemperature: a LAPGAN scales every level’s code (σ = 0: one image); cycled labels for a conditional GAN given none', async () => {
  const lapgan = createModel('lapgan', { hidden: [8], filters: [4], latent: 3 }, { shape: [14, 14, 1], kind: 'images' }, new Rng(2)) as LAPGAN;
  const x = sampleAtTemperature(lapgan, 4, new Rng(0), 0);
  const d = (await x.data()) as Float32Array;
  x.dispose();
  assert.deepEqual(d.subarray(0, 196), d.subarray(3 * 196));
  lapgan.dispose();
  const gan = createModel('cgan', { arch: 'mlp', hidden: [8], latent: 2 }, { shape: [2], kind: 'points', classes: ['a', 'b'] }, new Rng(1)) as GAN;
  const cycled = sampleAtTemperature(gan, 4, new Rng(0), 0);
  const c = (await cycled.data()) as Float32Array;
  cycled.dispose();
  assert.deepEqual([c[0], c[1]], [c[4], c[5]], 'samples 0 and 2: class a');
  assert.notDeepEqual([c[0], c[1]], [c[2], c[3]], 'sample 1: class b');
  gan.dispose();
});

test('checkTemperature: a VAE (no noise of its own to scale) and a σ out of [0, 4] are refused in one line', () => {
  const vae = createModel('vae', { hidden: [8], latent: 2 }, { shape: [4], kind: 'points' }, new Rng(0));
  checkTemperature(vae, 1);
  assert.throws(() => checkTemperature(vae, 1.5), /temperature: a vae model cannot generate; use .*gan/);
  vae.dispose();
  const gan = createModel('gan', { hidden: [8], latent: 2 }, { shape: [2], kind: 'points' }, new Rng(1));
  assert.throws(() => checkTemperature(gan, -0.5), /temperature: expected a number >= 0, got -0.5/);
  assert.throws(() => checkTemperature(gan, 5), /temperature: expected a number in \[0, 4\] \(σ of the codes/);
  assert.throws(() => checkTemperature(gan, Number.NaN), /temperature/);
  checkTemperature(gan, 0);
  gan.dispose();
});
