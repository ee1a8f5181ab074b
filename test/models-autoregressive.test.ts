/**
 * Autoregressive pixels in the decoder (`autoregressive`, src/models/autoencoder.ts): p(x|z) = Π_i p(x_i | z, x_<i)
 * sums to 1 over every binary image whatever the weights (the mask holds), decoding feeds each pixel's probability
 * to the pixels after it, it trains on MNIST with a lower bound better than the factorised decoder's, the saved
 * kernel is strictly lower-triangular and opens in stock TF.js, and save/load, two layers and the CLI take it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { loadDataset } from '../src/data/registry.js';
import { HierarchicalVAE } from '../src/models/hvae.js';
import { createModel, loadModel } from '../src/models/kinds.js';
import type { VAE } from '../src/models/vae.js';
import { causalWindowMask, madeForward, madeMasks } from '../src/nets/made.js';
import { evaluateLocal, firstN, loadStockLayersModel, trainSteps } from './helpers/models.js';
import { trainAndScoreWithCli } from './helpers/likelihood.js';

await initEngine();
const root = await mkdtemp(join(tmpdir(), 'genlab-autoregressive-'));
const mnist = await loadDataset('mnist', { binarize: 'static' });
const images = { shape: [28, 28, 1], kind: 'images' } as const;

/** Random values of `shape` from a seeded normal, as a tensor. */
const randomWeights = (shape: number[], seed: number, scale = 1): tf.Tensor => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale);

/**
 * A VAE on 2×2 binary images whose encoder ignores x (zero kernel) and has a tiny variance, so that every image is
 * scored with the same code z; the pixels' net (one masked layer, or a MADE with `hidden` widths) gets random weights
 * everywhere, masked entries included.
 */
function tinyModel(hidden: number[] = [], window = 0, side = 2): VAE {
  const options = { hidden: [8], latent: 2, autoregressive: true, autoregressiveHidden: hidden, autoregressiveWindow: window };
  const model = createModel('vae', options, { shape: [side, side, 1], kind: 'images' }, new Rng(4));
  const weights = model.encoder.getWeights();
  model.encoder.setWeights([...weights.slice(0, -1).map((w) => tf.zerosLike(w)), tf.tensor1d([0.7, -1.2, -40, -40])]); // the output bias: mean ‖ log-variance
  model.pixels!.setWeights(model.pixels!.getWeights().map((w, i) => randomWeights(w.shape, 11 + i, 2)));
  return model;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Every binary side × side image, [2^D, side, side, 1]. */
function allBinaryImages(side: number): tf.Tensor {
  const d = side * side;
  return tf.tensor(Float32Array.from({ length: d << d }, (_, i) => (Math.floor(i / d) >> (i % d)) & 1), [1 << d, side, side, 1]);
}

const cases = [{ hidden: [], window: 0, side: 2 }, { hidden: [5], window: 0, side: 2 }, { hidden: [6, 3], window: 0, side: 2 }, { hidden: [], window: 1, side: 3 }];
for (const { hidden, window, side } of cases) {
  const d = side * side;
  const what = hidden.length ? `a MADE of hidden widths ${hidden.join(', ')}` : window ? `one layer masked to a causal window of ${window}` : 'one masked layer';
  test(`p(x|z) of autoregressive pixels (${what}) sums to 1 over all ${1 << d} binary ${side}×${side} images, masked entries ignored`, () => {
    const model = tinyModel(hidden, window, side);
    const all = allBinaryImages(side);
    const terms = model.importanceTerms(all, 1, new Rng(1));
    const total = tf.sum(tf.exp(terms.logLikelihoods)).dataSync()[0]!;
    assert.ok(Math.abs(total - 1) < 1e-5, `Σ_x p(x|z) = ${total}`);
    // The pixels' weights matter: the same images scored with a zero net give other likelihoods.
    model.pixels!.setWeights(model.pixels!.getWeights().map((w) => tf.zerosLike(w)));
    const plain = model.importanceTerms(all, 1, new Rng(1));
    assert.ok(tf.max(tf.abs(tf.sub(plain.logLikelihoods, terms.logLikelihoods))).dataSync()[0]! > 0.1);
    tf.dispose([all, terms.logWeights, terms.logLikelihoods, terms.kl, plain.logWeights, plain.logLikelihoods, plain.kl]);
    model.dispose();
  });

  test(`decode (${what}): each pixel σ(l_i + net(p)_i) given the probabilities before it, as D passes of the net compute it`, () => {
    const model = tinyModel(hidden, window, side);
    const z = tf.tensor2d([[0.3, -1.1], [1.5, 0.2]]);
    const logits = tf.reshape(model.decoder.predict(z) as tf.Tensor, [2, d]).arraySync() as number[][];
    const masks = window ? [causalWindowMask(side, side, window)] : madeMasks(d, hidden, 1, false);
    const want = logits.map((l) => {
      const p = new Array<number>(d).fill(0);
      for (let i = 0; i < d; i++) p[i] = sigmoid(l[i]! + madeForward(model.pixels!, masks, tf.tensor2d([p])).dataSync()[i]!);
      return p;
    });
    const got = model.decode(z);
    assert.deepEqual(got.shape, [2, side, side, 1]);
    Array.from(got.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - want[Math.floor(i / d)]![i % d]!) < 1e-5, `pixel ${i}: ${v}, want ${want[Math.floor(i / d)]![i % d]}`));
    model.pixels!.setWeights(model.pixels!.getWeights().map((w) => tf.zerosLike(w)));
    const flat = model.decode(z);
    Array.from(flat.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - sigmoid(logits[Math.floor(i / d)]![i % d]!)) < 1e-5));
    tf.dispose([z, got, flat, ...masks]);
    model.dispose();
  });
}

test('a causal window of 1 on 3×3 images: pixel i sees the pixels before it at most one row up and one column aside, no others', () => {
  const model = tinyModel([], 1, 3);
  const all = allBinaryImages(3);
  const score = (): Float32Array => tf.tidy(() => model.importanceTerms(all, 1, new Rng(1)).logWeights.dataSync() as Float32Array);
  const zero = model.pixels!.getWeights().map((w) => tf.zerosLike(w));
  model.pixels!.setWeights(zero);
  const base = score();
  // [source j, target i] in raster order: 0 1 2 / 3 4 5 / 6 7 8.
  const seen = [[1, 3], [0, 4], [2, 4], [3, 4], [4, 8], [5, 8], [7, 8], [3, 7], [5, 7]];
  const unseen = [[2, 3], [0, 5], [0, 8], [1, 8], [2, 6], [3, 5], [6, 8], [4, 3], [8, 0]];
  for (const [j, i] of [...seen, ...unseen]) {
    const kernel = new Float32Array(81);
    kernel[j! * 9 + i!] = 3;
    model.pixels!.setWeights([tf.tensor2d(kernel, [9, 9]), zero[1]!]);
    const moved = Math.max(...score().map((v, e) => Math.abs(v - base[e]!)));
    if (seen.some(([a, b]) => a === j && b === i)) assert.ok(moved > 0.1, `pixel ${i} should see pixel ${j}`);
    else assert.equal(moved, 0, `pixel ${i} should not see pixel ${j}`);
  }
  tf.dispose([all, ...zero]);
  model.dispose();
});

test('on MNIST the autoregressive decoder reaches a better bound than the factorised one; its kernel stays strictly lower-triangular; no leak', async () => {
  const data = firstN(mnist.train, 2000);
  const negElbo: number[] = [];
  let kernel: Float32Array | null = null;
  let windowed: Float32Array | null = null;
  for (const [autoregressive, window] of [[false, 0], [true, 0], [true, 3]] as const) {
    const model = createModel('vae', { hidden: [64], latent: 8, autoregressive, autoregressiveWindow: window }, images, new Rng(1));
    const before = tf.memory().numTensors;
    await trainSteps(model, data, { steps: 150, batchSize: 50, learningRate: 3e-3 });
    assert.equal(tf.memory().numTensors, before, 'tensors flat over training');
    negElbo.push(evaluateLocal(model, firstN(mnist.test, 500))['negElbo']!);
    if (autoregressive && window === 0) kernel = model.pixels!.getWeights()[0]!.dataSync() as Float32Array;
    if (window > 0) windowed = model.pixels!.getWeights()[0]!.dataSync() as Float32Array;
    model.dispose();
  }
  assert.ok(negElbo[1]! < negElbo[0]! - 15, `test −ELBO: factorised ${negElbo[0]}, autoregressive ${negElbo[1]}`);
  let below = 0;
  for (let j = 0; j < 784; j++) {
    for (let i = 0; i < 784; i++) {
      if (j >= i) assert.equal(kernel![j * 784 + i], 0, `kernel[${j}][${i}] (input ${j} → output ${i}) must stay 0`);
      else if (kernel![j * 784 + i] !== 0) below++;
    }
  }
  assert.ok(below > 1000, `only ${below} trained connections below the diagonal`);
  // A window of 3 rows and columns: 24 or fewer trained sources per pixel, none outside it, and still far better than factorised.
  assert.ok(negElbo[2]! < negElbo[0]! - 15, `test −ELBO: factorised ${negElbo[0]}, window of 3 ${negElbo[2]}`);
  let inside = 0;
  for (let j = 0; j < 784; j++) {
    for (let i = 0; i < 784; i++) {
      const near = j < i && Math.floor(i / 28) - Math.floor(j / 28) <= 3 && Math.abs((i % 28) - (j % 28)) <= 3;
      if (!near) assert.equal(windowed![j * 784 + i], 0, `kernel[${j}][${i}] is outside the window and must stay 0`);
      else if (windowed![j * 784 + i] !== 0) inside++;
    }
  }
  assert.ok(inside > 1000, `only ${inside} trained connections inside the window`);
});

test('a two-layer IWAE with autoregressive pixels saves and loads: same weights of the same draws, same samples, stock pixels/ network', async () => {
  const model = createModel('iwae', { hidden: [32], latent: 6, topLatent: 3, autoregressive: true, emaDecay: 0.9 }, images, new Rng(2));
  assert.ok(model instanceof HierarchicalVAE);
  await trainSteps(model, firstN(mnist.train, 200), { steps: 10, batchSize: 50, learningRate: 3e-3 });
  const dir = join(root, 'saved');
  await model.save(dir);
  const loaded = await loadModel(dir);
  assert.ok(loaded instanceof HierarchicalVAE && loaded.config.autoregressive);
  const x = tf.tensor(firstN(mnist.test, 8).data, [8, 28, 28, 1]);
  const [a, b] = [model, loaded].map((m) => m.importanceTerms(x, 4, new Rng(9)));
  assert.deepEqual(Array.from(a!.logWeights.dataSync()), Array.from(b!.logWeights.dataSync()));
  const [s1, s2] = [model.sample(4, new Rng(5)), loaded.sample(4, new Rng(5))];
  assert.deepEqual(Array.from(s1.dataSync()), Array.from(s2.dataSync()));
  const manifest = JSON.parse(await readFile(join(dir, 'genlab-model.json'), 'utf8'));
  assert.match(manifest.networks.pixels, /strictly lower-triangular/);
  for (const folder of ['pixels', 'pixels-trained']) {
    const stock = await loadStockLayersModel(join(dir, folder));
    assert.deepEqual(stock.outputs[0]!.shape, [null, 784]);
    stock.dispose();
  }
  tf.dispose([x, a!.logWeights, a!.logLikelihoods, a!.kl, b!.logWeights, b!.logLikelihoods, b!.kl, s1, s2]);
  model.dispose();
  loaded.dispose();
});

test('autoregressive pixels need a bernoulli decoder; the CLI trains and scores with --autoregressive (and --autoregressive-hidden)', async () => {
  assert.throws(() => createModel('vae', { decoder: 'gaussian', autoregressive: true }, images, new Rng(0)), /autoregressive: autoregressive pixels need a bernoulli decoder/);
  assert.throws(() => createModel('vae', { autoregressive: true }, { shape: [2], kind: 'points' }, new Rng(0)), /bernoulli decoder/);
  assert.throws(() => createModel('vae', { autoregressiveHidden: [16] }, images, new Rng(0)), /autoregressiveHidden: the hidden layers of the pixels’ MADE need autoregressive on/);
  await trainAndScoreWithCli(join(root, 'cli'), ['iwae', '--hidden', '32', '--latent', '4', '--autoregressive']);
  assert.throws(() => createModel('vae', { autoregressiveWindow: 2 }, images, new Rng(0)), /autoregressiveWindow: the pixels’ window needs autoregressive on/);
  assert.throws(() => createModel('vae', { autoregressive: true, autoregressiveHidden: [8], autoregressiveWindow: 2 }, images, new Rng(0)), /autoregressiveWindow: a window is for the one masked layer/);
  assert.throws(() => createModel('vae', { autoregressive: true, autoregressiveWindow: 2 }, { shape: [8, 8, 3], kind: 'images' }, new Rng(0)), /autoregressiveWindow: a window needs single-channel images \[height, width\(, 1\)\], got images \[8, 8, 3\]/);
  assert.throws(() => createModel('vae', { autoregressive: true, autoregressiveWindow: 1.5 }, images, new Rng(0)), /autoregressiveWindow/);
  await trainAndScoreWithCli(join(root, 'cli-window'), ['iwae', '--hidden', '32', '--latent', '4', '--autoregressive', '--autoregressive-window', '2']);
  const manifest = JSON.parse(await readFile(join(root, 'cli-window', 'model', 'genlab-model.json'), 'utf8'));
  assert.equal(manifest.config.autoregressiveWindow, 2);
  assert.match(manifest.networks.pixels, /causal window: kernel\[j\]\[i\] = 0 unless j < i, j at most 2 rows above i and 2 columns to either side/);
  await trainAndScoreWithCli(join(root, 'cli-made'), ['vae', '--hidden', '32', '--latent', '4', '--autoregressive', '--autoregressive-hidden', '64']);
  await rm(root, { recursive: true, force: true });
});
