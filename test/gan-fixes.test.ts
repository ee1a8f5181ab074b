/**
 * The hinge loss and the R1 penalty: their values against the formulas, and that each moves training the right way at
 * small scale (the R1 penalty keeps D flat on the data: a smaller gradient norm at real points than without it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { loadToy } from '../src/data/toy.js';
import { createModel } from '../src/models/kinds.js';
import { discriminatorHingeLoss, generatorWassersteinLoss, r1Penalty } from '../src/models/gan-losses.js';
import { trainSteps } from './helpers/models.js';

await initEngine({ backend: 'cpu' });
const num = (t: tf.Tensor): number => {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
};

test('hinge loss: E max(0, 1 − D(x)) + E max(0, 1 + D(G(z))) for D, −E D(G(z)) for G', () => {
  const real = tf.tensor1d([2, 0.5, -1]); // margins 0, 0.5, 2 → mean 2.5/3
  const fake = tf.tensor1d([-3, 0, 1]); // margins 0, 1, 2 → mean 1
  assert.ok(Math.abs(num(discriminatorHingeLoss(real, fake)) - (2.5 / 3 + 1)) < 1e-6);
  assert.ok(Math.abs(num(generatorWassersteinLoss(fake)) - 2 / 3) < 1e-6);
  tf.dispose([real, fake]);
});

test('R1 penalty: γ/2 · mean ‖∇D(x)‖² at the real examples', () => {
  const w = tf.tensor1d([3, -4]); // D(x) = x·w: ∇ = w, ‖∇‖² = 25
  const x = tf.tensor2d([[1, 2], [0, 1], [5, 5]]);
  const value = num(r1Penalty((v) => tf.sum(tf.mul(v, w), 1), x, 0.4));
  assert.ok(Math.abs(value - 0.2 * 25) < 1e-4, `R1 ${value}`);
  tf.dispose([w, x]);
});

test('a GAN trains with the hinge loss and R1 (terms logged, D scored); R1 flattens D on the data; both are refused with wgan-gp', async () => {
  const data = loadToy('ring8', { seed: 0, trainCount: 512, testCount: 64 }).train;
  const gradNormAtReal = async (r1: number): Promise<{ norm: number; r1Logged: boolean }> => {
    const gan = createModel('gan', { loss: 'hinge', hidden: [32, 32], latent: 4, r1Penalty: r1 }, { shape: [2], kind: 'points' }, new Rng(3));
    const { last } = await trainSteps(gan, data, { steps: 150, batchSize: 64, learningRate: 2e-3, beta1: 0.5 });
    const x = tf.tensor2d(data.data.subarray(0, 256 * 2), [256, 2]);
    const norm = num(tf.tidy(() => tf.mean(tf.sum(tf.square(tf.grad((v: tf.Tensor) => tf.sum(gan.discriminate(v)))(x)), 1))));
    x.dispose();
    assert.equal(gan.discriminatorOutput, 'score');
    const logged = last!.names;
    gan.dispose();
    return { norm, r1Logged: logged.includes('discriminator/r1') };
  };
  const plain = await gradNormAtReal(0);
  const flat = await gradNormAtReal(10);
  assert.equal(plain.r1Logged, false);
  assert.equal(flat.r1Logged, true);
  assert.ok(flat.norm < plain.norm / 2, `‖∇D‖² at real points: ${flat.norm} with R1, ${plain.norm} without`);
  assert.throws(() => createModel('gan', { loss: 'wgan-gp', r1Penalty: 1 }, { shape: [2], kind: 'points' }, new Rng(0)), /r1Penalty: WGAN-GP has its own/);
  assert.throws(() => createModel('gan', { loss: 'hinge', labelSmoothing: 0.9 }, { shape: [2], kind: 'points' }, new Rng(0)), /labelSmoothing: the hinge loss has a margin/);
});
