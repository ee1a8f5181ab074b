/**
 * The VampPrior (src/models/vamp.ts): the mixture density by matrix products equals the direct one, importance-sampled
 * log p(x) under the mixture prior equals numerical integration, and the model trains, saves, loads, samples and runs
 * from the CLI.
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
import { createModel, loadModel } from '../src/models/kinds.js';
import { diagonalNormalLogDensity, gaussianLogLikelihood } from '../src/models/losses.js';
import { VampVAE, gaussianMixtureLogDensity } from '../src/models/vamp.js';
import { firstN, trainSteps } from './helpers/models.js';
import { checkAgainstIntegration, trainAndScoreWithCli } from './helpers/likelihood.js';

await initEngine();
const root = await mkdtemp(join(tmpdir(), 'genlab-vamp-'));
const mnist = await loadDataset('mnist', { binarize: 'static' });
const images = { shape: [28, 28, 1], kind: 'images' } as const;

test('the mixture log-density from two matrix products equals log (1/K) Σ_k N(z; μ_k, σ_k²) computed directly', () => {
  const [z, means, logVars] = [tf.randomNormal([7, 3], 0, 1, 'float32', 1), tf.randomNormal([5, 3], 0, 1, 'float32', 2), tf.randomNormal([5, 3], 0, 0.5, 'float32', 3)] as tf.Tensor2D[];
  const fast = gaussianMixtureLogDensity(z!, means!, logVars!).dataSync();
  const direct = tf.tidy(() => tf.sub(tf.logSumExp(diagonalNormalLogDensity(tf.expandDims(z!, 1), tf.expandDims(means!, 0), tf.expandDims(logVars!, 0)), 1), Math.log(5)).dataSync());
  fast.forEach((v, i) => assert.ok(Math.abs(v - direct[i]!) < 1e-4, `${v} vs ${direct[i]}`));
  tf.dispose([z!, means!, logVars!]);
});

/** log p(x) = log ∫ p(x|z) p(z) dz over a fine 2-D grid, p(z) the model's mixture of q(z|u_k). */
function logPxByIntegration(model: VampVAE, x: tf.Tensor2D): number[] {
  return tf.tidy(() => {
    const h = 0.025;
    const axis = tf.range(-8, 8, h);
    const m = axis.shape[0];
    const grid = tf.stack([tf.reshape(tf.tile(tf.expandDims(axis, 1), [1, m]), [-1]), tf.tile(axis, [m])], 1) as tf.Tensor2D;
    const { mean, logVar } = model.encode(model.pseudoInputImages());
    const logPz = gaussianMixtureLogDensity(grid, mean, logVar); // [m²]
    const decoded = model.decode(grid) as tf.Tensor2D;
    const logLik = gaussianLogLikelihood(tf.expandDims(x, 1), tf.expandDims(decoded, 0), Math.log(model.config.decoderStd ** 2)); // [n, m²]
    return Array.from(tf.add(tf.logSumExp(tf.add(logLik, logPz), 1), 2 * Math.log(h)).dataSync());
  });
}

test('importance-sampled log p(x) under a VampPrior equals numerical integration; −ELBO ≥ NLL', async () => {
  const model = createModel('vae', { hidden: [16], latent: 2, vampPrior: 6, decoderStd: 0.5 }, { shape: [2], kind: 'points' }, new Rng(3));
  assert.ok(model instanceof VampVAE);
  await checkAgainstIntegration(model, (x) => logPxByIntegration(model, x));
  model.dispose();
});

test('a VAE with a VampPrior trains on MNIST, samples, saves and loads to the same weights of the same draws; no tensor left behind', async () => {
  const model = createModel('vae', { hidden: [64], latent: 8, vampPrior: 20 }, images, new Rng(1)) as VampVAE;
  const before = tf.memory().numTensors;
  const { losses } = await trainSteps(model, firstN(mnist.train, 1000), { steps: 100, batchSize: 50, learningRate: 3e-3, logEvery: 20 });
  assert.equal(tf.memory().numTensors, before, 'tensors flat over 100 steps');
  assert.ok(losses[losses.length - 1]! < losses[0]! - 100, `−ELBO ${losses.join(' → ')}`);
  const u = model.pseudoInputImages();
  assert.deepEqual(u.shape, [20, 28, 28, 1]);
  assert.ok(u.dataSync().every((v) => v >= 0 && v <= 1));
  const dir = join(root, 'saved');
  await model.save(dir);
  const loaded = (await loadModel(dir)) as VampVAE;
  assert.ok(loaded instanceof VampVAE);
  const x = tf.tensor(firstN(mnist.test, 8).data, [8, 28, 28, 1]);
  const [a, b] = [model, loaded].map((m) => m.importanceTerms(x, 3, new Rng(9)));
  assert.deepEqual(Array.from(a!.logWeights.dataSync()), Array.from(b!.logWeights.dataSync()));
  const [s1, s2] = [model.sample(6, new Rng(4)), loaded.sample(6, new Rng(4))];
  assert.deepEqual(s1.shape, [6, 28, 28, 1]);
  assert.deepEqual(Array.from(s1.dataSync()), Array.from(s2.dataSync()));
  tf.dispose([u, x, a!.logWeights, a!.logLikelihoods, a!.kl, b!.logWeights, b!.logLikelihoods, b!.kl, s1, s2]);
  model.dispose();
  loaded.dispose();
});

test('options: a VampPrior is for a VAE without a flow (with two stochastic layers it is the top layer\'s prior)', () => {
  assert.throws(() => createModel('iwae', { vampPrior: 10, flowSteps: 1 }, images, new Rng(0)), /a flow on|vampPrior: a VampPrior/);
  assert.throws(() => createModel('vae', { vampPrior: 10001 }, images, new Rng(0)), /vampPrior/);
});

test('CLI: genlab train iwae --vamp-prior, then eval --iw-k scores it', { timeout: 180_000 }, async () => {
  await trainAndScoreWithCli(join(root, 'run'), ['iwae', '--hidden', '32', '--latent', '4', '--vamp-prior', '10', '--k', '2']);
  await rm(root, { recursive: true, force: true });
});
