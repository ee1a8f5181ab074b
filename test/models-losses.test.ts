import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import {
  LOG_2PI,
  bernoulliLogLikelihood,
  bernoulliReconstruction,
  diagonalNormalLogDensityOfNoise,
  gaussianLogLikelihood,
  klDivergenceToStandardNormal,
  klPerExample,
  klWeight,
  l2WeightDecay,
  lectureRegularizer,
  logMeanExp,
  meanVariance,
  reparameterize,
  standardNormalLogDensity,
} from '../src/models/losses.js';

await initEngine();

const close = (a: number, b: number, tol = 1e-4, what = ''): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

test('bernoulliLogLikelihood: Σ x log p + (1 − x) log(1 − p), stable for saturated logits', () => {
  const x = tf.tensor2d([[1, 0, 0.3], [0, 1, 1]]);
  const logits = tf.tensor2d([[2, -1, 0.5], [300, -300, 40]]);
  const ll = values(bernoulliLogLikelihood(x, logits));
  const ref = (xs: number[], ls: number[]): number =>
    xs.reduce((s, xi, i) => {
      const p = 1 / (1 + Math.exp(-ls[i]!));
      return s + xi * Math.log(p) + (1 - xi) * Math.log(1 - p);
    }, 0);
  close(ll[0]!, ref([1, 0, 0.3], [2, -1, 0.5]), 1e-5, 'row 0');
  // Row 1: logits ±300 predicting the wrong pixel cost exactly 300 nats each (no Infinity, no NaN); 40 costs ~e^−40.
  close(ll[1]!, -600, 1e-6, 'row 1');
  close(bernoulliReconstruction(x, logits).dataSync()[0]!, -(ll[0]! + ll[1]!) / 2, 1e-6, 'batch mean');
});

test('gaussianLogLikelihood: full log N(x; μ, σ²) with constants, fixed / scalar / per-dim variance', () => {
  const x = tf.tensor2d([[0.5, 1.5]]);
  const mu = tf.tensor2d([[0, 1]]);
  const ref = (lv: number[]): number => [0.5, 0.5].reduce((s, d, i) => s - 0.5 * (LOG_2PI + lv[i]! + (d * d) / Math.exp(lv[i]!)), 0);
  close(values(gaussianLogLikelihood(x, mu, 0))[0]!, ref([0, 0]), 1e-6, 'fixed σ = 1');
  close(values(gaussianLogLikelihood(x, mu, tf.scalar(Math.log(0.04))))[0]!, ref([Math.log(0.04), Math.log(0.04)]), 1e-5, 'scalar');
  close(values(gaussianLogLikelihood(x, mu, tf.tensor2d([[-1, 2]])))[0]!, ref([-1, 2]), 1e-6, 'per dim');
  // Broadcast over k samples: x [n, D] against means [k, n, D] gives [k, n].
  const ll = gaussianLogLikelihood(x, tf.stack([mu, mu]), 0);
  assert.deepEqual(ll.shape, [2, 1]);
});

test('KL to N(0, I): Kingma & Welling appendix B, equal to half the lecture regulariser, zero at N(0, I)', () => {
  const m = tf.tensor2d([[0, 0], [1, -2]]);
  const lv = tf.tensor2d([[0, 0], [0.5, -1]]);
  const kl = values(klPerExample(m, lv));
  close(kl[0]!, 0, 1e-7, 'KL(N(0,1)‖N(0,1))');
  const ref = 0.5 * (Math.exp(0.5) - 1 - 0.5 + 1) + 0.5 * (Math.exp(-1) - 1 + 1 + 4);
  close(kl[1]!, ref, 1e-6, 'closed form');
  const lecture = values(lectureRegularizer(m, lv));
  kl.forEach((v, i) => close(lecture[i]!, 2 * v, 1e-6, 'lecture = 2·KL'));
  close(klDivergenceToStandardNormal(m, lv).dataSync()[0]!, (kl[0]! + kl[1]!) / 2, 1e-6, 'batch mean');
  // Monte Carlo check of the closed form for one 1-D Gaussian: E_q[log q − log p].
  const n = 200000;
  const eps = tf.randomNormal([n, 1], 0, 1, 'float32', 5);
  const mean = tf.fill([n, 1], 1), logVar = tf.fill([n, 1], 0.5);
  const z = reparameterize(mean, logVar, eps);
  const mc = tf.mean(tf.sub(diagonalNormalLogDensityOfNoise(eps, logVar), standardNormalLogDensity(z))).dataSync()[0]!;
  close(mc, 0.5 * (Math.exp(0.5) - 1 - 0.5 + 1), 0.01, 'Monte Carlo KL');
});

test('reparameterize, logMeanExp, meanVariance, l2WeightDecay, klWeight', () => {
  const z = values(reparameterize(tf.tensor1d([1, -1]), tf.tensor1d([Math.log(4), 0]), tf.tensor1d([0.5, 2])));
  close(z[0]!, 1 + 2 * 0.5, 1e-6, 'z0');
  close(z[1]!, -1 + 2, 1e-6, 'z1');
  const lme = values(logMeanExp(tf.tensor2d([[1000, 0], [1000, Math.log(3)]]), 0));
  close(lme[0]!, 1000, 1e-6, 'no overflow');
  close(lme[1]!, Math.log(2), 1e-6, 'log mean exp');
  close(meanVariance(tf.tensor2d([[0, Math.log(3)]])).dataSync()[0]!, 2, 1e-6, 'mean variance');
  close(l2WeightDecay([tf.tensor2d([[1, 2]]), tf.tensor1d([3])], 0.1).dataSync()[0]!, 0.05 * 14, 1e-6, 'l2');
  assert.equal(l2WeightDecay([tf.tensor1d([3])], 0).dataSync()[0], 0);
  assert.deepEqual([0, 50, 100, 1e9].map((s) => klWeight(2, 100, s)), [0, 1, 2, 2]);
  assert.equal(klWeight(0.5, 0, 0), 0.5);
});
