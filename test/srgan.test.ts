/**
 * The super-resolution GAN (kind srgan): a short run on a few MNIST digits must upscale held-out digits better than
 * bicubic interpolation (and better than before training), without leaking tensors; the saved model loads back to the
 * same outputs and its networks open with stock TF.js; options are strict; `genlab upscale` and `genlab eval` work
 * on the run, and bad input gets one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { loadStockLayersModel } from './helpers/models.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { subset } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/registry.js';
import { can, createModel, loadModel } from '../src/models/kinds.js';
import { evaluateUpscaling, upscaleFidOptions } from '../src/eval/upscale-metrics.js';
import { fid } from '../src/eval/image-metrics.js';
import { CLASSIFIER_FEATURES } from '../src/eval/mnist-classifier-model.js';
import { fit, sampleGrids } from '../src/train/index.js';
import { runCli, runMain, runModelCommands } from './helpers/cli.js';

await initEngine();
const root = await mkdtemp(join(tmpdir(), 'genlab-srgan-'));
test.after(() => rm(root, { recursive: true, force: true }));

const mnist = await loadDataset('mnist');
const first = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const digits = { train: subset(mnist.train, first(512)), test: subset(mnist.test, first(64)) };
const shape = { shape: [28, 28, 1], kind: 'images' as const };
const small = { residualBlocks: 1, generatorFilters: 16, filters: [8, 16] };
const run = join(root, 'run');

// One short run, shared by the tests: the held-out scores before and after, and the tensor count along the way.
const model = createModel('srgan', small, shape, new Rng(1));
const before = await evaluateUpscaling(model, digits.test.data, digits.test.count);
const counts: number[] = [];
const t0 = Date.now();
await fit(model, digits, { steps: 160, batchSize: 32, runDir: run, callbacks: [sampleGrids(), { onBatchEnd: () => void counts.push(tf.memory().numTensors) }] });
const after = await evaluateUpscaling(model, digits.test.data, digits.test.count);
process.stderr.write(`srgan test: 160 steps in ${((Date.now() - t0) / 1000).toFixed(1)} s; held-out PSNR ${before.psnr.toFixed(2)} → ${after.psnr.toFixed(2)} dB (bicubic ${after.bicubicPsnr.toFixed(2)}), SSIM ${before.ssim.toFixed(3)} → ${after.ssim.toFixed(3)} (bicubic ${after.bicubicSsim.toFixed(3)})\n`);

test('a short run upscales held-out digits better than bicubic, and better than before training', () => {
  assert.equal(after.count, 64);
  assert.ok(after.psnr > after.bicubicPsnr, `PSNR ${after.psnr.toFixed(2)} dB vs bicubic ${after.bicubicPsnr.toFixed(2)} dB`);
  assert.ok(after.psnr > before.psnr + 1, `PSNR ${before.psnr.toFixed(2)} → ${after.psnr.toFixed(2)} dB`);
  assert.ok(after.ssim > before.ssim, `SSIM ${before.ssim.toFixed(3)} → ${after.ssim.toFixed(3)}`);
  assert.equal(after.bicubicPsnr, before.bicubicPsnr, 'the baseline does not depend on the model');
});

test('training leaks no tensors: the count after each step stays flat', () => {
  assert.equal(counts.length, 160);
  assert.equal(counts.at(-1), counts[10], `tensors after step 11: ${counts[10]}, after the last: ${counts.at(-1)}`);
});

test('the run logs PSNR/SSIM of model and bicubic per epoch and draws low-res | bicubic | model | original', async () => {
  const lines = (await readFile(join(run, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const test = lines.filter((l) => l['split'] === 'test').at(-1)!;
  for (const key of ['psnr', 'ssim', 'bicubicPsnr', 'bicubicSsim', 'loss', 'content', 'adversarial']) assert.equal(typeof test[key], 'number', key);
  const train = lines.filter((l) => l['split'] === 'train').at(-1)!;
  for (const key of ['discriminator/loss', 'generator/loss', 'generator/content', 'generator/adversarial']) assert.equal(typeof train[key], 'number', key);
  const png = PNG.sync.read(await readFile(join(run, 'samples', 'epoch-0010.png')));
  assert.ok(png.height > 4 * 28 && png.width > 8 * 28, `${png.width}×${png.height}`);
});

test('save/load: identical upscalings; the networks open with stock TF.js; sample is an honest error', async () => {
  const loaded = await loadModel(join(run, 'model'));
  assert.ok(can(loaded, 'upscale') && can(model, 'upscale'));
  if (!can(loaded, 'upscale') || !can(model, 'upscale')) return;
  const x = tf.tensor4d(digits.test.data.subarray(0, 8 * 784), [8, 28, 28, 1]);
  const [a, b] = tf.tidy(() => [model.upscale(model.downscale(x)).dataSync(), loaded.upscale(loaded.downscale(x)).dataSync()]);
  assert.deepEqual(Array.from(b!), Array.from(a!));
  const stock = await loadStockLayersModel(join(run, 'model', 'generator'));
  const c = tf.tidy(() => (stock.predict(tf.avgPool(x, 2, 2, 'valid')) as tf.Tensor).dataSync());
  assert.ok(Array.from(c).every((v, i) => Math.abs(v - a![i]!) < 1e-5), 'stock TF.js gives the same upscalings');
  assert.equal(loaded.sample, undefined, 'an upscaler has no sample');
  assert.equal(can(loaded, 'sample'), false);
  assert.throws(() => loaded.upscale(x), /srgan\.upscale: expected a tensor \[n, 14, 14, 1\], got \[8, 28, 28, 1\]/);
  tf.dispose([x]);
  stock.dispose();
  loaded.dispose();
});

test('options are strict: another kind’s option, a scale that does not divide the images, points data', () => {
  assert.throws(() => createModel('srgan', { latent: 8 }, shape, new Rng(0)), /latent: not an option of srgan \(its options: scale, residualBlocks/);
  assert.throws(() => createModel('srgan', { scale: 3 }, shape, new Rng(0)), /scale: expected a factor that divides the images' 28×28 pixels, got 3/);
  assert.throws(() => createModel('srgan', { content: 'vgg' as 'pixels' }, shape, new Rng(0)), /content: expected one of pixels, features/);
  assert.throws(() => createModel('srgan', {}, { shape: [2], kind: 'points' }, new Rng(0)), /srgan: data: expected images/);
  const features = createModel('srgan', { ...small, content: 'features', scale: 4 }, shape, new Rng(0));
  const terms = tf.tidy(() => {
    const x = tf.tensor4d(digits.train.data.subarray(0, 4 * 784), [4, 28, 28, 1]);
    return Object.fromEntries(Object.entries(features.lossGroups()[1]!.loss({ x }, new Rng(0), 0)).map(([k, v]) => [k, v.dataSync()[0]!]));
  });
  assert.ok(terms['content']! > 0 && Math.abs(terms['loss']! - terms['content']! - 1e-3 * terms['adversarial']!) < 1e-6, JSON.stringify(terms));
  features.dispose();
});

test('on MNIST the report adds each upscaled set\'s FID against the originals, in the classifier\'s features', async () => {
  assert.ok(can(model, 'upscale'));
  if (!can(model, 'upscale')) return;
  assert.deepEqual(await upscaleFidOptions(model, 'pokemon', 64), {}, 'no classifier features for sprites');
  assert.deepEqual(await upscaleFidOptions(model, undefined, 64), {}, 'none for image files');
  const { classifier } = await upscaleFidOptions(model, 'mnist', 64);
  assert.ok(classifier);
  const r = await evaluateUpscaling(model, digits.test.data, 64, { classifier, batchSize: 24 });
  assert.equal(r.psnr, after.psnr, 'PSNR unchanged by the FID option');
  // The same FIDs from the features of each set computed here, in one batch.
  const features = tf.tidy(() => {
    const x = tf.tensor4d(digits.test.data.subarray(0, 64 * 784), [64, 28, 28, 1]);
    const low = model.downscale(x);
    return [model.upscale(low), model.bicubic(low), x].map((t) => classifier!.features(tf.clipByValue(t, 0, 1)).dataSync() as Float32Array);
  });
  assert.equal(features[0]!.length, 64 * CLASSIFIER_FEATURES);
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-3 * Math.max(1, b), `${what}: ${a} vs ${b}`);
  close(r.fid!, fid(features[0]!, 64, features[2]!, 64), 'model FID');
  close(r.bicubicFid!, fid(features[1]!, 64, features[2]!, 64), 'bicubic FID');
  assert.ok(r.fid! > 0 && r.bicubicFid! > 0 && r.fid !== r.bicubicFid, JSON.stringify(r));
  await assert.rejects(evaluateUpscaling(model, digits.test.data.subarray(0, 784), 1, { classifier }), /upscale: FID: needs at least 2 MNIST-shaped images/);
});

test('genlab upscale: PSNR/SSIM of model and bicubic as JSON, and the grid', async () => {
  const grid = join(root, 'grid.png');
  const r = await runCli(['upscale', run, '--split', 'test', '-n', '32', '--out', grid, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout.trim()) as Record<string, number>;
  assert.equal(report['count'], 32);
  assert.equal(report['scale'], 2);
  assert.ok(report['psnr']! > report['bicubicPsnr']!, r.stdout);
  assert.ok(report['fid']! > 0 && report['bicubicFid']! > 0, `MNIST: FID of both sets: ${r.stdout}`);
  const png = PNG.sync.read(await readFile(grid));
  assert.ok(png.height > 4 * 28, `four rows: ${png.height}`);
});

test('genlab eval reports the upscaling scores of an srgan run', async () => {
  const report = JSON.parse(await runModelCommands(['eval', run, '--limit', '16', '--json'])) as Record<string, number>;
  for (const key of ['psnr', 'ssim', 'bicubicPsnr', 'bicubicSsim', 'fid', 'bicubicFid']) assert.equal(typeof report[key], 'number', key);
  assert.equal(report['count'], 16);
});

test('bad input: one line naming it', async () => {
  const tiny = join(root, 'tiny.png');
  const png = new PNG({ width: 10, height: 10 });
  await writeFile(tiny, PNG.sync.write(png));
  const wrongSize = await runMain(['upscale', run, tiny]);
  assert.equal(wrongSize.code, 2);
  assert.match(wrongSize.stderr, /^genlab: .*tiny\.png: 10×10 pixels, expected an original of 28×28 .* or a low-resolution image of 14×14/);
  const vae = join(root, 'vae');
  const v = createModel('vae', { hidden: [8], latent: 2 }, shape, new Rng(0));
  await v.save(vae);
  v.dispose();
  const notSrgan = await runMain(['upscale', vae, '--data', 'mnist']);
  assert.equal(notSrgan.code, 2);
  assert.match(notSrgan.stderr, /^genlab: upscale: a vae model cannot upscale; use a srgan model\n$/);
  const scale = await runMain(['train', 'srgan', '--data', 'mnist', '--scale', '3', '--out', join(root, 'never')]);
  assert.equal(scale.code, 2);
  assert.match(scale.stderr, /^genlab: --scale: expected a factor that divides the images' 28×28 pixels, got 3\n$/);
  assert.ok(!existsSync(join(root, 'never', 'manifest.json')));
  const sample = await runMain(['sample', run, '--out', join(root, 's.png')]);
  assert.equal(sample.code, 2);
  assert.match(sample.stderr, /^genlab: sample: a srgan model cannot invent examples: it upscales given images \(genlab upscale RUN\)\n$/);
});
