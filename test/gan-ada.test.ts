/**
 * Adaptive augmentation (`adaTarget`, Karras et al. 2020; src/models/ada.ts): p moves every 4 updates by the
 * interval's images over the speed, up while r_t = E[sign D(x_real)] is above the target and down below it, within
 * [0, 1]; DiffAugment at probability p leaves images untouched at 0, is DiffAugment itself at 1 and augments some
 * images and not others between; a DCGAN whose D overfits a few sprites raises p, logs r_t and p, saves and resumes
 * them exactly; the option's checks.
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
import { ADA_INTERVAL, observeRealSigns, startAda } from '../src/models/ada.js';
import { diffAugment } from '../src/models/diff-augment.js';
import { createModel, loadModel } from '../src/models/kinds.js';
import type { GAN } from '../src/models/gan.js';
import { endlessBatches } from '../src/data/dataset.js';
import { TrainStep, termRecord } from '../src/train/index.js';
import { firstN } from './helpers/models.js';

await initEngine();
const sprites = { shape: [20, 20, 3], kind: 'images' } as const;

test('p moves once every 4 updates by their images over the speed, towards the target, within [0, 1]', () => {
  const s = startAda();
  const [target, speed] = [0.6, 1000];
  for (let k = 0; k < ADA_INTERVAL - 1; k++) observeRealSigns(s, 32, 32, target, speed); // r_t = 1: D sure of every real image
  assert.equal(s.p, 0, 'no move before the interval ends');
  observeRealSigns(s, 32, 32, target, speed);
  assert.equal(s.p, 128 / 1000, 'one step of 4 × 32 images / 1000 up');
  assert.deepEqual([s.signSum, s.images, s.batches], [0, 0, 0], 'a new interval starts');
  for (let k = 0; k < ADA_INTERVAL; k++) observeRealSigns(s, 16, 32, target, speed); // r_t = 0.5 < 0.6
  assert.equal(s.p, 0, 'down again below the target');
  for (let k = 0; k < ADA_INTERVAL; k++) observeRealSigns(s, -32, 32, target, speed);
  assert.equal(s.p, 0, 'never below 0');
  const fast = startAda();
  for (let k = 0; k < 3 * ADA_INTERVAL; k++) observeRealSigns(fast, 30, 32, target, 100);
  assert.equal(fast.p, 1, 'never above 1');
});

test('DiffAugment at probability p: none at 0, DiffAugment itself at 1, some images and not others between', () => {
  const x = tf.randomUniform([64, 12, 12, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  // Untouched up to rounding: an image left alone still goes through x + 0 and (x − mean)·1 + mean.
  const gap = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
  const same = (a: tf.Tensor, b: tf.Tensor, i: number): boolean => tf.tidy(() => gap(tf.slice(a, [i], [1]), tf.slice(b, [i], [1])) < 1e-6);
  const [always, atOne, atZero, half] = [diffAugment(x, new Rng(4)), diffAugment(x, new Rng(4), 1), diffAugment(x, new Rng(4), 0), diffAugment(x, new Rng(4), 0.5)];
  assert.deepEqual(atOne.dataSync(), always.dataSync(), 'p = 1 draws and augments as before');
  assert.ok(gap(atZero, x) < 1e-6, 'p = 0 leaves every image as it is');
  const untouched = Array.from({ length: 64 }, (_, i) => same(half, x, i)).filter(Boolean).length;
  // Untouched only when none of the three is applied: (1/2)³ of the images, about 8 of 64.
  assert.ok(untouched >= 2 && untouched <= 20, `${untouched} of 64 images untouched at p = 0.5`);
  tf.dispose([x, always, atOne, atZero, half]);
});

test('a DCGAN whose D learns a few sprites by heart raises p; it logs r_t and p, and a saved run resumes them exactly', async () => {
  const pokemon = firstN((await loadDataset('pokemon', { size: 20 })).train, 32);
  const options = { adaTarget: 0.6, adaSpeed: 2000, loss: 'hinge' as const, spectralNorm: true, latent: 16, filters: [8, 16], upsample: 'nearest' as const };
  const gan = createModel('dcgan', options, sprites, new Rng(1)) as GAN;
  const stream = endlessBatches(pokemon, { batchSize: 32, rng: new Rng(0), dropLast: true });
  const trainer = new TrainStep(gan, new Rng(2), { learningRate: 2e-3, beta1: 0.5 });
  const root = await mkdtemp(join(tmpdir(), 'genlab-ada-'));
  try {
    const signs: number[] = [];
    const ps: number[] = [];
    let before = 0;
    for (let step = 0; step < 40; step++) {
      if (step === 1) before = tf.memory().numTensors; // after the optimisers made their state
      const terms = termRecord(await trainer.run(stream.next().value));
      signs.push(terms['discriminator/realSign']!);
      ps.push(terms['discriminator/augment']!);
    }
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    assert.equal(ps[0], 0, 'p starts at 0');
    assert.ok(gan.augmentProbability > 0.1, `p rose to ${gan.augmentProbability} while D said "real" with r_t ${signs.slice(-8).map((v) => v.toFixed(2)).join(', ')}`);
    assert.ok(ps.every((p, i) => i === 0 || Math.abs(p - ps[i - 1]!) <= (4 * 32) / 2000 + 1e-6), `p moves by at most one step of 4 × 32 / 2000 per update: ${ps.join(', ')}`);

    // Three more steps after a save and load, against three more of the model in memory: the same p and weights.
    const dir = join(root, 'model');
    await gan.save(dir);
    const saved = JSON.parse(await readFile(join(dir, 'genlab-model.json'), 'utf8')).state.ada;
    assert.equal(saved.p, gan.augmentProbability);
    const loaded = (await loadModel(dir)) as GAN;
    const continueFrom = async (model: GAN): Promise<number[]> => {
      const s = endlessBatches(pokemon, { batchSize: 32, rng: new Rng(9), dropLast: true });
      const t = new TrainStep(model, new Rng(10), { learningRate: 2e-3, beta1: 0.5 });
      const out: number[] = [];
      for (let step = 0; step < 6; step++) out.push(termRecord(await t.run(s.next().value))['discriminator/augment']!);
      t.dispose();
      return [...out, model.augmentProbability, ...Array.from(model.discriminator.getWeights()[0]!.dataSync().slice(0, 8))];
    };
    assert.deepEqual(await continueFrom(loaded), await continueFrom(gan), 'the loaded model continues as the one in memory');
    loaded.dispose();
  } finally {
    trainer.dispose();
    gan.dispose();
    await rm(root, { recursive: true, force: true });
  }
});

test('adaTarget: images, a sign that means real, one kind of augmentation; a bad saved state is named', async () => {
  assert.throws(() => createModel('gan', { adaTarget: 0.6 }, { shape: [2], kind: 'points' }, new Rng(0)), /gan: adaTarget: augments images .* the data are points/);
  assert.throws(() => createModel('dcgan', { adaTarget: 0.6, diffAugment: true }, sprites, new Rng(0)), /dcgan: adaTarget: .*use one of the two/);
  assert.throws(() => createModel('wgan-gp', { adaTarget: 0.6, arch: 'conv' }, sprites, new Rng(0)), /wgan-gp: adaTarget: .*Wasserstein critic/);
  assert.throws(() => createModel('dcgan', { adaTarget: 1.5 }, sprites, new Rng(0)), /dcgan: adaTarget/);
  assert.throws(() => createModel('dcgan', { adaTarget: 0.6, adaSpeed: 0 }, sprites, new Rng(0)), /dcgan: adaSpeed/);
  const root = await mkdtemp(join(tmpdir(), 'genlab-ada-bad-'));
  try {
    const gan = createModel('dcgan', { adaTarget: 0.6, latent: 4, filters: [4, 8] }, sprites, new Rng(0));
    await gan.save(root);
    gan.dispose();
    const file = join(root, 'genlab-model.json');
    const json = JSON.parse(await readFile(file, 'utf8'));
    json.state.ada.p = 2;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, JSON.stringify(json));
    await assert.rejects(loadModel(root), /genlab-model\.json.*"state\.ada" must be/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
