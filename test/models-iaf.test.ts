/**
 * Inverse autoregressive flow on a VAE's posterior (src/models/iaf.ts, src/nets/made.ts): MADE's masks make each output
 * see only the inputs before it, the flow's density is right (importance-sampled log p(x) equals numerical
 * integration), and the model trains, saves, loads and runs from the CLI.
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
import { IafVAE } from '../src/models/iaf.js';
import { createModel, loadModel } from '../src/models/kinds.js';
import { gaussianLogLikelihood } from '../src/models/losses.js';
import { buildMlp } from '../src/nets/mlp.js';
import { inputDegrees, madeForward, madeMasks } from '../src/nets/made.js';
import { firstN, trainSteps } from './helpers/models.js';
import { checkAgainstIntegration, trainAndScoreWithCli } from './helpers/likelihood.js';

await initEngine();
const root = await mkdtemp(join(tmpdir(), 'genlab-iaf-'));
const mnist = await loadDataset('mnist', { binarize: 'static' });
const images = { shape: [28, 28, 1], kind: 'images' } as const;

test('MADE: output j depends on input i exactly when i comes before j in the ordering (natural and reversed)', () => {
  const d = 4;
  const net = buildMlp({ name: 'made', inputs: [[d]], hidden: [12, 12], output: [2 * d], rng: new Rng(1) });
  for (const reversed of [false, true]) {
    const masks = madeMasks(d, [12, 12], 2, reversed);
    const degree = inputDegrees(d, reversed);
    const x = tf.randomNormal([1, d], 0, 1, 'float32', 3) as tf.Tensor2D;
    for (let j = 0; j < 2 * d; j++) {
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.slice(madeForward(net, masks, v as tf.Tensor2D), [0, j], [1, 1])))(x);
      const grad = g.dataSync();
      for (let i = 0; i < d; i++) {
        const sees = degree[i]! < degree[j % d]!;
        assert.equal(grad[i] !== 0, sees, `${reversed ? 'reversed' : 'natural'}: output ${j} and input ${i} (degrees ${degree[j % d]}, ${degree[i]})`);
      }
      g.dispose();
    }
    tf.dispose([x, ...masks]);
  }
  net.dispose();
});

/** log p(x) = log ∫ p(x|z) N(z; 0, I) dz over a fine 2-D grid, per point of x [n, D]. */
function logPxByIntegration(model: IafVAE, x: tf.Tensor2D): number[] {
  return tf.tidy(() => {
    const h = 0.025;
    const axis = tf.range(-6, 6, h);
    const m = axis.shape[0];
    const grid = tf.stack([tf.reshape(tf.tile(tf.expandDims(axis, 1), [1, m]), [-1]), tf.tile(axis, [m])], 1) as tf.Tensor2D; // [m², 2]
    const logPz = tf.mul(tf.sum(tf.add(tf.square(grid), Math.log(2 * Math.PI)), 1), -0.5); // [m²]
    const mean = model.decode(grid) as tf.Tensor2D; // points: the Gaussian decoder's mean
    const logLik = gaussianLogLikelihood(tf.expandDims(x, 1), tf.expandDims(mean, 0), Math.log(model.config.decoderStd ** 2)); // [n, m²]
    return Array.from(tf.add(tf.logSumExp(tf.add(logLik, logPz), 1), 2 * Math.log(h)).dataSync());
  });
}

test('importance-sampled log p(x) with a flow posterior equals numerical integration; −ELBO ≥ NLL', async () => {
  const model = createModel('vae', { hidden: [16], latent: 2, flowSteps: 2, flowHidden: [8], decoderStd: 0.5 }, { shape: [2], kind: 'points' }, new Rng(3));
  assert.ok(model instanceof IafVAE);
  await checkAgainstIntegration(model, (x) => logPxByIntegration(model, x));
  model.dispose();
});

test('an IWAE with a flow trains on MNIST, saves and loads to the same weights of the same draws; no tensor left behind', async () => {
  const model = createModel('iwae', { hidden: [64], latent: 8, flowSteps: 2, k: 2 }, images, new Rng(1)) as IafVAE;
  assert.deepEqual(model.config.flowHidden, [32], 'default: 4 × latent');
  const before = tf.memory().numTensors;
  const { losses } = await trainSteps(model, firstN(mnist.train, 1000), { steps: 100, batchSize: 50, learningRate: 3e-3, logEvery: 20 });
  assert.equal(tf.memory().numTensors, before, 'tensors flat over 100 steps');
  assert.ok(losses[losses.length - 1]! < losses[0]! - 100, `−L_k ${losses.join(' → ')}`);
  const dir = join(root, 'saved');
  await model.save(dir);
  const loaded = await loadModel(dir);
  assert.ok(loaded instanceof IafVAE);
  const x = tf.tensor(firstN(mnist.test, 8).data, [8, 28, 28, 1]);
  const [a, b] = [model, loaded].map((m) => m.importanceTerms(x, 3, new Rng(9)));
  assert.deepEqual(Array.from(a!.logWeights.dataSync()), Array.from(b!.logWeights.dataSync()));
  const codes = [model.code(x), loaded.code(x)];
  assert.deepEqual(Array.from(codes[0]!.dataSync()), Array.from(codes[1]!.dataSync()));
  tf.dispose([x, a!.logWeights, a!.logLikelihoods, a!.kl, b!.logWeights, b!.logLikelihoods, b!.kl, ...codes]);
  model.dispose();
  loaded.dispose();
});

test('options: flowHidden needs flowSteps, a flow needs a hidden layer, and not with two stochastic layers', () => {
  assert.throws(() => createModel('vae', { flowHidden: [10] }, images, new Rng(0)), /flowHidden: .*set flowSteps too/);
  assert.throws(() => createModel('vae', { flowSteps: 1, flowHidden: [] }, images, new Rng(0)), /flowHidden: each flow step needs at least one hidden layer/);
  assert.throws(() => createModel('iwae', { flowSteps: 1, topLatent: 2 }, images, new Rng(0)), /flowSteps: a flow on a VAE with two stochastic layers/);
  assert.throws(() => createModel('vae', { flowSteps: 65 }, images, new Rng(0)), /flowSteps/);
});

test('CLI: genlab train vae --flow-steps, then eval --iw-k scores it', { timeout: 180_000 }, async () => {
  await trainAndScoreWithCli(join(root, 'run'), ['vae', '--hidden', '32', '--latent', '4', '--flow-steps', '2', '--flow-hidden', '16']);
  await rm(root, { recursive: true, force: true });
});
