/**
 * The VAE with two stochastic layers (src/models/hvae.ts): its importance weights give the true log p(x) (checked
 * against numerical integration over both layers), it trains, saves, loads and samples, and the CLI takes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { loadDataset } from '../src/data/registry.js';
import { evaluateLikelihood } from '../src/eval/likelihood.js';
import { HierarchicalVAE } from '../src/models/hvae.js';
import { createModel, loadModel } from '../src/models/kinds.js';
import { diagonalNormalLogDensity, gaussianLogLikelihood } from '../src/models/losses.js';
import { VAE } from '../src/models/vae.js';
import { firstN, loadStockLayersModel, trainSteps } from './helpers/models.js';
import { checkAgainstIntegration, trainAndScoreWithCli } from './helpers/likelihood.js';

await initEngine();
const root = await mkdtemp(join(tmpdir(), 'genlab-hvae-'));
const mnist = await loadDataset('mnist', { binarize: 'static' });
const images = { shape: [28, 28, 1], kind: 'images' } as const;

/**
 * log p(x) = log ∫∫ p(x|z₁) p(z₁|z₂) p(z₂) dz₁ dz₂ on a fine grid (1-D z₁ and z₂), per point of x [n, D]; p(z₂) is
 * N(0, 1) or, given `topPrior`, the log-density it returns on the grid of z₂ [A, 1].
 */
function logPxByIntegration(model: HierarchicalVAE, x: tf.Tensor2D, topPrior?: (z2: tf.Tensor2D) => tf.Tensor1D): number[] {
  return tf.tidy(() => {
    const h = 0.02;
    const z2 = tf.reshape(tf.range(-7, 7, h), [-1, 1]) as tf.Tensor2D; // [A, 1]
    const z1 = tf.reshape(tf.range(-10, 10, h), [-1, 1]); // [B, 1]
    const [pm, plv] = tf.split(model.upperDecoder.predict(z2) as tf.Tensor2D, 2, 1) as [tf.Tensor2D, tf.Tensor2D]; // p(z₁|z₂): [A, 1] each
    const logPz2 = topPrior ? topPrior(z2) : tf.mul(tf.add(tf.square(tf.squeeze(z2, [1])), Math.log(2 * Math.PI)), -0.5); // [A]
    const logPz1 = diagonalNormalLogDensity(tf.expandDims(z1, 0), tf.expandDims(pm, 1), tf.expandDims(plv, 1)); // [A, B]
    const joint = tf.logSumExp(tf.add(logPz1, tf.expandDims(logPz2, 1)), 0); // log ∫ p(z₁|z₂) p(z₂) dz₂ / h: [B]
    const mean = model.decode(z1) as tf.Tensor2D; // [B, D] (points: the Gaussian's mean)
    const logLik = gaussianLogLikelihood(tf.expandDims(x, 1), tf.expandDims(mean, 0), Math.log(model.config.decoderStd ** 2)); // [n, B]
    return Array.from(tf.add(tf.logSumExp(tf.add(logLik, joint), 1), 2 * Math.log(h)).dataSync());
  });
}

test('importance-sampled log p(x) of a two-layer VAE equals numerical integration over z₁ and z₂; −ELBO ≥ NLL', async () => {
  const model = createModel('vae', { hidden: [16], latent: 1, topLatent: 1, topHidden: [8], decoderStd: 0.5 }, { shape: [2], kind: 'points' }, new Rng(3));
  assert.ok(model instanceof HierarchicalVAE);
  await checkAgainstIntegration(model, (x) => logPxByIntegration(model, x));
  model.dispose();
});

test('with a VampPrior on the top layer, importance-sampled log p(x) equals integration against the mixture the saved networks give', async () => {
  const model = createModel('vae', { hidden: [16], latent: 1, topLatent: 1, topHidden: [8], decoderStd: 0.5, vampPrior: 3 }, { shape: [2], kind: 'points' }, new Rng(4));
  assert.ok(model instanceof HierarchicalVAE);
  await checkAgainstIntegration(model, async (x) => {
    // A top layer far from N(0, 1) (trained briefly it stays close, and a wrong top prior would pass unseen): q(z₂|z₁)
    // and with it every component moved to mean ≈ 2, variance ≈ e⁻¹·⁵. The identity holds for any weights.
    const out = model.upperEncoder.layers[model.upperEncoder.layers.length - 1]!;
    const [kernel, bias] = out.getWeights();
    out.setWeights([kernel!, tf.add(bias!, tf.tensor1d([2, -1.5]))]);
    // p(z₂) = (1/K) Σ_k N(z₂; μ₂(μ₁(u_k)), σ₂²(μ₁(u_k))) from the stock networks of the saved folder, not the model's code.
    const dir = join(root, 'vamp-points');
    await model.save(dir);
    const [pseudo, encoder, upper] = await Promise.all(['pseudoInputs', 'encoder', 'upperEncoder'].map((n) => loadStockLayersModel(join(dir, n))));
    const topPrior = (z2: tf.Tensor2D): tf.Tensor1D => {
      const u = tf.reshape(pseudo!.predict(tf.ones([1, 1])) as tf.Tensor, [3, 2]);
      const [m1] = tf.split(encoder!.predict(u) as tf.Tensor2D, 2, 1);
      const [m2, lv2] = tf.split(upper!.predict(m1!) as tf.Tensor2D, 2, 1) as [tf.Tensor2D, tf.Tensor2D]; // [K, 1] each
      const perComponent = diagonalNormalLogDensity(tf.expandDims(z2, 1), tf.expandDims(m2, 0), tf.expandDims(lv2, 0)); // [A, K]
      return tf.sub(tf.logSumExp(perComponent, 1), Math.log(3)) as tf.Tensor1D;
    };
    const logPx = logPxByIntegration(model, x, topPrior);
    [pseudo, encoder, upper].forEach((m) => m!.dispose());
    return logPx;
  });
  model.dispose();
});

test('a two-layer IWAE with a VampPrior on top trains on MNIST, samples from its components, saves and loads to the same draws; the pseudo-inputs are not decayed', async () => {
  const model = createModel('iwae', { hidden: [64], latent: 16, topLatent: 8, topHidden: [32], k: 3, vampPrior: 20, weightDecay: 1e-4 }, images, new Rng(1)) as HierarchicalVAE;
  const [group] = model.lossGroups();
  const kernels = group!.variables.filter((v) => v.shape.length >= 2);
  assert.ok(kernels.some((v) => v.name.includes('pseudoInputs')), 'the pseudo-inputs are trained');
  assert.deepEqual(group!.decay!.variables, kernels.filter((v) => !v.name.includes('pseudoInputs')), 'every kernel but the pseudo-inputs\' is decayed (decay would pull them to one grey image)');
  const before = tf.memory().numTensors;
  const { losses } = await trainSteps(model, firstN(mnist.train, 1000), { steps: 120, batchSize: 50, learningRate: 3e-3, logEvery: 20 });
  assert.equal(tf.memory().numTensors, before, 'tensors flat over 120 steps');
  assert.ok(losses[losses.length - 1]! < losses[0]! - 100, `−L_k ${losses.join(' → ')}`);
  const dir = join(root, 'vamp-saved');
  await model.save(dir);
  const loaded = await loadModel(dir);
  assert.ok(loaded instanceof HierarchicalVAE && loaded.config.vampPrior === 20);
  const x = tf.tensor(firstN(mnist.test, 8).data, [8, 28, 28, 1]);
  const [a, b] = [model, loaded].map((m) => m.importanceTerms(x, 4, new Rng(9)));
  assert.deepEqual(Array.from(a!.logWeights.dataSync()), Array.from(b!.logWeights.dataSync()));
  const [s1, s2] = [model.sample(4, new Rng(5)), loaded.sample(4, new Rng(5))];
  assert.deepEqual(Array.from(s1.dataSync()), Array.from(s2.dataSync()));
  const report = await evaluateLikelihood(model, firstN(mnist.test, 50), { k: 50, seed: 2 });
  assert.ok(report.nll <= report.negElbo + 0.5 && report.nll > 60 && report.nll < 300, JSON.stringify(report));
  tf.dispose([x, a!.logWeights, a!.logLikelihoods, a!.kl, b!.logWeights, b!.logLikelihoods, b!.kl, s1, s2]);
  model.dispose();
  loaded.dispose();
});

test('a two-layer IWAE trains on MNIST: the k-sample bound falls, q(z₂|z₁) is used, no tensor is left behind', async () => {
  const model = createModel('iwae', { hidden: [64], latent: 16, topLatent: 8, topHidden: [32], k: 3 }, images, new Rng(1));
  const before = tf.memory().numTensors;
  const { losses, last } = await trainSteps(model, firstN(mnist.train, 1000), { steps: 120, batchSize: 50, learningRate: 3e-3, logEvery: 20 });
  assert.equal(tf.memory().numTensors, before, 'tensors flat over 120 steps');
  assert.ok(losses[losses.length - 1]! < losses[0]! - 100, `−L_k ${losses.join(' → ')}`);
  const terms = Object.fromEntries(last!.names.map((n, i) => [n, last!.values[i]!]));
  assert.ok(terms['negIwae']! <= terms['negElbo']! + 1e-3, `−L_k ${terms['negIwae']} above −ELBO ${terms['negElbo']}`);
  const report = await evaluateLikelihood(model, firstN(mnist.test, 50), { k: 50, seed: 2 });
  assert.ok(report.nll <= report.negElbo + 0.5 && report.nll > 60 && report.nll < 300, JSON.stringify(report));
  model.dispose();
});

test('save and load: the same networks, the same weights of the same draws, the same samples; VAE.load refuses it', async () => {
  const model = createModel('vae', { hidden: [32], latent: 6, topLatent: 3 }, images, new Rng(2)) as HierarchicalVAE;
  await trainSteps(model, firstN(mnist.train, 200), { steps: 10, batchSize: 50, learningRate: 3e-3 });
  const dir = join(root, 'saved');
  await model.save(dir);
  const loaded = await loadModel(dir);
  assert.ok(loaded instanceof HierarchicalVAE && loaded.kind === 'vae');
  assert.deepEqual(loaded.config, model.config);
  const x = tf.tensor(firstN(mnist.test, 8).data, [8, 28, 28, 1]);
  const [a, b] = [model, loaded].map((m) => m.importanceTerms(x, 4, new Rng(9)));
  assert.deepEqual(Array.from(a!.logWeights.dataSync()), Array.from(b!.logWeights.dataSync()));
  const [s1, s2, s3] = [model.sample(4, new Rng(5)), loaded.sample(4, new Rng(5)), loaded.sample(4, new Rng(6))];
  assert.deepEqual(s1.shape, [4, 28, 28, 1]);
  assert.deepEqual(Array.from(s1.dataSync()), Array.from(s2.dataSync()));
  assert.notDeepEqual(Array.from(s1.dataSync()), Array.from(s3.dataSync()));
  await assert.rejects(VAE.load(dir), /two stochastic layers, a flow or a VampPrior: open it with loadModel/);
  tf.dispose([x, a!.logWeights, a!.logLikelihoods, a!.kl, b!.logWeights, b!.logLikelihoods, b!.kl, s1, s2, s3]);
  model.dispose();
  loaded.dispose();
});

test('options: topHidden needs topLatent, a conditional VAE takes neither, one layer stays as it was', () => {
  assert.throws(() => createModel('vae', { topHidden: [10] }, images, new Rng(0)), /topHidden: .*set topLatent too/);
  assert.throws(() => createModel('cvae', { topLatent: 2 }, { ...images, classes: ['a', 'b'] }, new Rng(0)), /topLatent: not an option of cvae/);
  const one = createModel('vae', { hidden: [8], latent: 2 }, images, new Rng(0));
  assert.ok(!(one instanceof HierarchicalVAE) && one.config.topLatent === 0 && one.config.topHidden.length === 0);
  const two = createModel('iwae', { hidden: [8], latent: 4, topLatent: 2 }, images, new Rng(0)) as HierarchicalVAE;
  assert.deepEqual(two.config.topHidden, [100, 100]);
  assert.equal(two.variables().length, one.variables().length + 6 * 2, 'two more networks of three dense layers each');
  one.dispose();
  two.dispose();
});

test('CLI: genlab train iwae --top-latent, then eval --iw-k scores it', { timeout: 180_000 }, async () => {
  await trainAndScoreWithCli(join(root, 'run'), ['iwae', '--hidden', '32', '--latent', '8', '--top-latent', '4', '--top-hidden', '16', '--k', '2']);
  await rm(root, { recursive: true, force: true });
});
