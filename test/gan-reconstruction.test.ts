/**
 * FastGAN's self-supervised discriminator (`reconstruction`, Liu et al. 2021, §3.2): a decoder of D's features learns,
 * with D, to redraw the real sprites D sees; off, nothing changes (same networks for a seed, no term); the decoder is
 * saved beside D and a run resumes exactly; no tensor leaks; the option's checks.
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
import { loadToy } from '../src/data/toy.js';
import { createModel, loadModel } from '../src/models/kinds.js';
import { DECODER_DIR, type GAN } from '../src/models/gan.js';
import { fit, resumeRun, TrainStep, type MetricsRecord } from '../src/train/index.js';
import { loadStockLayersModel, firstN, trainSteps, toTensorBatch, disposeBatch } from './helpers/models.js';

await initEngine();
const sprites = { shape: [20, 20, 3], kind: 'images' } as const;
const small = { loss: 'hinge' as const, latent: 16, filters: [8, 16] };
const pokemon = await loadDataset('pokemon', { size: 20 });
/** The first n training sprites as a batch. */
const spriteBatch = (n: number) => toTensorBatch(pokemon.train.data.subarray(0, n * 20 * 20 * 3), [n, ...sprites.shape]);

/** The logged reconstruction term of D's last update after `steps` steps on the first 256 training sprites. */
async function reconstructionAfter(steps: number, seed = 1): Promise<number> {
  const gan = createModel('dcgan', { ...small, reconstruction: 1 }, sprites, new Rng(seed)) as GAN;
  const { last } = await trainSteps(gan, firstN(pokemon.train, 256), { steps, batchSize: 32, learningRate: 2e-3, beta1: 0.5 });
  gan.dispose();
  return last!.values[last!.names.indexOf('discriminator/reconstruction')]!;
}

test('reconstruction: the decoder learns with D to redraw the real sprites from D’s features', async () => {
  const [start, trained] = [await reconstructionAfter(1), await reconstructionAfter(60)];
  assert.ok(Number.isFinite(start) && start > 0, `first step: ${start}`);
  assert.ok(trained < 0.6 * start, `mean absolute error of the redrawn sprites (range [−1, 1]) ${trained.toFixed(3)} after 60 steps against ${start.toFixed(3)} at the first`);
});

test('reconstruction off changes nothing: the same seed draws the same G and D, and D logs no such term', async () => {
  const on = createModel('dcgan', { ...small, reconstruction: 1 }, sprites, new Rng(3)) as GAN;
  const off = createModel('dcgan', small, sprites, new Rng(3)) as GAN;
  const weights = (g: GAN) => [...g.generator.getWeights(), ...g.discriminator.getWeights()].map((w) => Array.from(w.dataSync()));
  assert.deepEqual(weights(on), weights(off));
  assert.ok(on.discriminatorVariables().length > off.discriminatorVariables().length, 'the decoder trains in D’s group');
  const batch = spriteBatch(8);
  const [a, b] = [on.discriminatorTerms(batch, new Rng(4), false), off.discriminatorTerms(batch, new Rng(4), false)];
  assert.ok('reconstruction' in a && !('reconstruction' in b));
  assert.equal(a['adversarial']!.dataSync()[0], b['adversarial']!.dataSync()[0], 'the adversarial term is D’s alone');
  tf.dispose([...Object.values(a), ...Object.values(b)]);
  disposeBatch(batch);
  on.dispose();
  off.dispose();
});

test('reconstruction: the decoder is saved as a stock network and a run resumes exactly', async () => {
  const root = await mkdtemp(join(tmpdir(), 'genlab-reconstruction-'));
  try {
    const data = { train: firstN(pokemon.train, 64), test: firstN(pokemon.test, 32) };
    const options = { ...small, reconstruction: 0.5, spectralNorm: true, emaDecay: 0.9, diffAugment: true };
    const plan = { batchSize: 32, seed: 5, learningRate: 2e-3, beta1: 0.5, qualitySamples: 0 };
    const numbers = (records: readonly MetricsRecord[]) => records.map(({ time: _t, examplesPerSec: _e, ...rest }) => rest);
    const whole = createModel('dcgan', options, sprites, new Rng(1));
    const full = await fit(whole, data, { ...plan, epochs: 3, runDir: join(root, 'full') });
    assert.ok(full.metrics.some((m) => Object.keys(m).some((k) => k.endsWith('reconstruction') && typeof m[k] === 'number')), 'the term is logged');
    const half = createModel('dcgan', options, sprites, new Rng(1));
    await fit(half, data, { ...plan, epochs: 1, runDir: join(root, 'half') });
    half.dispose();
    const resumed = await resumeRun(join(root, 'half'), data, { loadModel, epochs: 3 });
    assert.deepEqual(numbers(resumed.metrics), numbers(full.metrics));
    const values = (m: { variables(): tf.Variable[] }) => m.variables().map((v) => Array.from(v.dataSync()));
    assert.deepEqual(values(resumed.model), values(whole), 'every weight, the decoder’s included');
    await whole.save(join(root, 'saved'));
    const decoder = await loadStockLayersModel(join(root, 'saved', DECODER_DIR));
    assert.deepEqual(decoder.outputs[0]!.shape, [null, 20, 20, 3]);
    decoder.dispose();
    resumed.model.dispose();
    whole.dispose();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('reconstruction: no tensor leaks over steps and evaluation', async () => {
  const gan = createModel('dcgan', { ...small, reconstruction: 1, diffAugment: true }, sprites, new Rng(1)) as GAN;
  const batch = spriteBatch(8);
  const trainer = new TrainStep(gan, new Rng(2));
  await trainer.run(batch);
  const before = tf.memory().numTensors;
  for (let s = 0; s < 3; s++) {
    await trainer.run(batch);
    tf.dispose(Object.values(gan.evaluate(batch, new Rng(7))));
  }
  assert.equal(tf.memory().numTensors, before, `${tf.memory().numTensors - before} tensors leaked`);
  trainer.dispose();
  disposeBatch(batch);
  gan.dispose();
});

test('reconstruction: images only, not with packing, a weight ≥ 0', () => {
  const points = loadToy('ring8', { trainCount: 8, testCount: 8, seed: 1 }).train;
  assert.throws(() => createModel('gan', { reconstruction: 1 }, { shape: points.shape, kind: 'points' }, new Rng(0)), /gan: reconstruction: D's decoder redraws images; the data are points/);
  assert.throws(() => createModel('dcgan', { ...small, reconstruction: 1, pack: 2 }, sprites, new Rng(0)), /dcgan: reconstruction: with packing D's features describe packs of 2/);
  assert.throws(() => createModel('dcgan', { ...small, reconstruction: -1 }, sprites, new Rng(0)), /reconstruction/);
  assert.throws(() => createModel('vaegan', { reconstruction: 1 } as never, sprites, new Rng(0)), /reconstruction: not an option of vaegan/);
});
