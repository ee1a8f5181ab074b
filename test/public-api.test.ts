// The README's library example, through the public entry point, on small settings: what a user copies must run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, loadDataset, createModel, fit, evaluateLikelihood, subset, Rng, GaussianMixture } from '../src/index.js';

test('README library example: a VAE trains on MNIST and reports its likelihood; a GMM fits', async () => {
  await initEngine();
  const data = await loadDataset('mnist');
  const small = { train: subset(data.train, Array.from({ length: 1024 }, (_, i) => i)), test: subset(data.test, Array.from({ length: 128 }, (_, i) => i)) };
  const vae = createModel('vae', { latent: 20 }, { shape: [28, 28, 1], kind: 'images' }, new Rng(0));
  const result = await fit(vae, small, { epochs: 2, batchSize: 128 });
  const train = result.metrics.filter((m) => m.split === 'train');
  assert.ok(train[1]!['loss']! < train[0]!['loss']!, 'the training loss falls');
  const ll = await evaluateLikelihood(vae, small.test, { k: 10 });
  assert.ok(ll.negElbo > 0 && Number.isFinite(ll.nll) && ll.nll <= ll.negElbo + 1, JSON.stringify(ll));
  vae.dispose();

  const gmm = new GaussianMixture({ components: 2, covariance: 'full', seed: 0 }).fit([[0, 1], [0.2, 0.9], [0.1, 1.1], [5, 5], [5.1, 4.9], [4.9, 5.2]]);
  assert.deepEqual([...gmm.predict([[0, 1], [5, 5]])].sort(), [0, 1]);
});
