import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { loadDataset } from '../src/data/registry.js';
import { conformImages, evaluateLikelihood, perExampleLikelihood, scoreImages } from '../src/eval/likelihood.js';
import { createModel } from '../src/models/kinds.js';
import type { VAE } from '../src/models/vae.js';
import { firstN, trainSteps } from './helpers/models.js';

await initEngine();
const mnist = await loadDataset('mnist', { binarize: 'static' });
const digits = firstN(mnist.train, 1000);
const heldOut = firstN(mnist.test, 100);
const classes = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

const trained = await (async () => {
  const model = createModel('vae', { hidden: [64], latent: 8 }, { shape: [28, 28, 1], kind: 'images' }, new Rng(1)) as VAE;
  await trainSteps(model, digits, { steps: 100, batchSize: 50, learningRate: 3e-3 });
  return model;
})();

test('evaluateLikelihood: NLL ≤ −ELBO (the gap is KL(q ‖ p(z|x)) ≥ 0), and more samples barely move it', async () => {
  const r10 = await evaluateLikelihood(trained, heldOut, { k: 10, seed: 1 });
  const r200 = await evaluateLikelihood(trained, heldOut, { k: 200, seed: 1 });
  for (const r of [r10, r200]) {
    assert.ok(r.nll <= r.negElbo + 0.5, `nll ${r.nll} vs −ELBO ${r.negElbo}`);
    assert.ok(Math.abs(r.gap - (r.negElbo - r.nll)) < 1e-9 && Math.abs(r.negElbo - (r.recon + r.kl)) < 1e-6);
    assert.ok(Math.abs(r.bitsPerDim - r.nll / (784 * Math.LN2)) < 1e-12);
    assert.equal(r.count, 100);
  }
  assert.equal(r200.k, 200);
  assert.ok(r200.nll <= r10.nll + 0.5, `k = 200: ${r200.nll}, k = 10: ${r10.nll}`);
  assert.ok(r10.nll - r200.nll < 5, `k = 10 → 200 lowers the estimate by ${r10.nll - r200.nll} nats`);
  assert.ok(r200.nll > 80 && r200.nll < 250, `NLL ${r200.nll}`);
  // Its standard error: the spread of the per-example estimates over √count.
  const each = (await perExampleLikelihood(trained, heldOut.data, heldOut.count, { k: 10, seed: 1 })).logPx;
  const m = each.reduce((a, v) => a + v, 0) / each.length;
  const sd = Math.sqrt(each.reduce((a, v) => a + (v - m) ** 2, 0) / (each.length - 1));
  assert.ok(Math.abs(r10.nllStdErr - sd / Math.sqrt(each.length)) < 1e-9 && r10.nllStdErr > 0, `${r10.nllStdErr} vs ${sd / Math.sqrt(each.length)}`);
});

test('importance samples in chunks: a running log-sum-exp gives the same estimate as one big call', async () => {
  const x = heldOut.data.slice(0, 20 * 784);
  const one = await perExampleLikelihood(trained, x, 20, { k: 300, seed: 2 });
  const chunked = await perExampleLikelihood(trained, x, 20, { k: 300, seed: 2, batchSize: 7, maxRows: 70 }); // chunks of 10 samples
  const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(one.logPx) - mean(chunked.logPx)) < 1, `${mean(one.logPx)} vs ${mean(chunked.logPx)}`);
  assert.ok(Math.abs(mean(one.elbo) - mean(chunked.elbo)) < 1, `${mean(one.elbo)} vs ${mean(chunked.elbo)}`);
  const before = tf.memory().numTensors;
  await perExampleLikelihood(trained, x, 20, { k: 2000, batchSize: 20 }); // k in the thousands, memory bounded by maxRows
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  await assert.rejects(perExampleLikelihood(trained, x, 19), GenlabError);
  await assert.rejects(evaluateLikelihood(trained, heldOut, { k: 0 }), /k: expected an integer >= 1/);
});

test('a conditional VAE: log p(x) marginalised over labels ≥ log p(x|y) + log(1/C)', async () => {
  const model = createModel('cvae', { hidden: [32], latent: 4 }, { shape: [28, 28, 1], kind: 'images', classes }, new Rng(1)) as VAE;
  await trainSteps(model, digits, { steps: 20, batchSize: 50, learningRate: 3e-3 });
  const x = heldOut.data.slice(0, 10 * 784);
  const labels = (heldOut.labels!.values as Int32Array).slice(0, 10);
  const marginal = await scoreImages(model, x, { k: 20 });
  const conditional = await scoreImages(model, x, { k: 20, labels });
  marginal.forEach((m, i) => assert.ok(m >= conditional[i]! - Math.log(10) - 1, `${m} vs ${conditional[i]}`));
  const report = await evaluateLikelihood(model, firstN(heldOut, 20), { k: 5 });
  assert.ok(Number.isFinite(report.nll));
  model.dispose();
});

test('conformImages: resizes by area and converts grey ↔ RGB', () => {
  const grey = Float32Array.from([0, 1, 1, 0]); // one 2×2 grey image
  assert.deepEqual(Array.from(conformImages(grey, 1, [2, 2, 1], [1, 1, 3])), [0.5, 0.5, 0.5]);
  const rgb = Float32Array.from([1, 0, 0, 1, 0, 0]); // one 1×2 red image
  const g = conformImages(rgb, 1, [1, 2, 3], [1, 2, 1]);
  assert.ok(Math.abs(g[0]! - 0.299) < 1e-6 && Math.abs(g[1]! - 0.299) < 1e-6);
  assert.throws(() => conformImages(rgb, 2, [1, 2, 3], [1, 2, 1]), /values for 2 images/);
});

test('is this a Pokémon? A VAE of Pokémon sprites scores held-out Pokémon above MNIST digits and noise', async () => {
  const pokemon = await loadDataset('pokemon', { size: 20 });
  const shape = [20, 20, 3];
  const model = createModel('vae', { hidden: [128], latent: 16 }, { shape, kind: 'images' }, new Rng(1)) as VAE;
  await trainSteps(model, pokemon.train, { epochs: 5, batchSize: 64, learningRate: 2e-3 });
  const n = 60;
  const digitsRgb = conformImages(mnist.test.data.subarray(0, n * 784), n, [28, 28, 1], shape);
  const rng = new Rng(3);
  const noise = Float32Array.from({ length: n * 1200 }, () => rng.uniform());
  const [held, dig, noi] = await Promise.all([pokemon.test.data.slice(0, n * 1200), digitsRgb, noise].map((x) => scoreImages(model, x, { k: 20 })));
  const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
  const worstPokemon = Math.min(...held!);
  const report = `log p(x): Pokémon mean ${mean(held!).toFixed(0)} (worst ${worstPokemon.toFixed(0)}), MNIST ${mean(dig!).toFixed(0)} (best ${Math.max(...dig!).toFixed(0)}), noise ${mean(noi!).toFixed(0)} (best ${Math.max(...noi!).toFixed(0)})`;
  assert.ok(mean(held!) > mean(dig!) + 200 && mean(held!) > mean(noi!) + 200, report);
  // Nearly every held-out Pokémon scores above the best digit and the best noise image.
  const above = held!.filter((v) => v > Math.max(...dig!, ...noi!)).length;
  assert.ok(above >= 0.95 * n, `${above} of ${n} Pokémon above every other image; ${report}`);
  model.dispose();
});
