import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { initEngine } from '../src/engine/backend.js';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { randomNormal } from '../src/engine/kernels/random.js';
import { subset } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/registry.js';
import { parseNpy } from '../src/data/npy.js';
import { can, createModel, loadModel } from '../src/models/kinds.js';
import { minibatchStddev, modeSeekingLoss, rootMeanSquareDistances } from '../src/models/gan-losses.js';
import { LAPGAN } from '../src/models/lapgan.js';
import { boundBand, defaultLevels, downsample, gaussianPyramid, laplacianPyramid, projectOntoBands, reconstructPyramid, upsample } from '../src/nets/lapgan.js';
import { TrainStep } from '../src/train/step.js';
import { runCli } from './helpers/cli.js';

await initEngine();
const root = await mkdtemp(join(tmpdir(), 'genlab-lapgan-'));
test.after(() => rm(root, { recursive: true, force: true }));

const mnistInfo = { shape: [28, 28, 1], kind: 'images' as const };
const tiny = { latent: 8, hidden: [32], filters: [4, 8] };
const mnist = await loadDataset('mnist');

/** Mean absolute difference of two tensors. */
const meanAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))).dataSync()[0]!);

/** Runs `step` on batches from … to − 1, batch i the (i mod 4)-th 16 of the first 64 training digits. */
async function train(step: TrainStep, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    const x = tf.tensor4d(mnist.train.data.subarray((i % 4) * 16 * 784, ((i % 4) + 1) * 16 * 784), [16, 28, 28, 1]);
    await step.run({ x });
    x.dispose();
  }
}

/**
 * Saves `model` into `dir` (which must then hold `file`), loads it, trains both on batches from … to − 1 with fresh
 * optimisers on the same stream, and checks they then draw the same samples: what the folder carries is all of the
 * state. Returns the loaded model (the caller disposes it).
 */
async function checkResumesExactly(model: LAPGAN, dir: string, file: string, from: number, to: number, what: string): Promise<LAPGAN> {
  await model.save(dir);
  assert.ok((await readdir(dir)).includes(file), `${dir} holds ${file}`);
  const loaded = (await loadModel(dir)) as LAPGAN;
  const resumed = new TrainStep(loaded, new Rng(7), { learningRate: 1e-3 });
  const rest = new TrainStep(model, new Rng(7), { learningRate: 1e-3 });
  await train(rest, from, to);
  await train(resumed, from, to);
  const [a, b] = [model.sample(8, new Rng(9)), loaded.sample(8, new Rng(9))];
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()), `the same samples after the same updates (${what})`);
  tf.dispose([a, b]);
  [rest, resumed].forEach((s) => s.dispose());
  return loaded;
}

test('pyramid: the bands and the coarsest image rebuild the image exactly; d and u are block means and repeats', () => {
  const rng = new Rng(3);
  const x = tf.tensor4d(rng.normals(new Float32Array(2 * 40 * 40 * 3)), [2, 40, 40, 3]);
  for (const levels of [1, 2, 4]) {
    tf.tidy(() => {
      const pyramid = laplacianPyramid(x, levels);
      assert.equal(pyramid.bands.length, levels - 1);
      assert.deepEqual(pyramid.coarse.shape, [2, 40 / 2 ** (levels - 1), 40 / 2 ** (levels - 1), 3]);
      const rebuilt = reconstructPyramid(pyramid);
      assert.ok(tf.max(tf.abs(tf.sub(rebuilt, x))).dataSync()[0]! < 1e-5, `${levels} levels rebuild x`);
    });
  }
  tf.tidy(() => {
    // d(u(I)) = I: a block of repeats averages back to its pixel; a band has zero mean over every 2×2 block.
    const small = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    assert.deepEqual(Array.from(upsample(small).dataSync()), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    assert.deepEqual(Array.from(downsample(upsample(small)).dataSync()), [1, 2, 3, 4]);
    const band = laplacianPyramid(x, 2).bands[0]!;
    assert.ok(tf.max(tf.abs(downsample(band))).dataSync()[0]! < 1e-6);
    assert.deepEqual(gaussianPyramid(x, 3).map((i) => i.shape[1]), [10, 20, 40]);
  });
  x.dispose();
  assert.deepEqual([defaultLevels(28, 28), defaultLevels(40, 40), defaultLevels(8, 8), defaultLevels(7, 7), defaultLevels(32, 20)], [3, 3, 1, 1, 2]);
});

test('projectOntoBands: generated bands lose their 2×2 block means, real bands stay as they are', () => {
  const rng = new Rng(8);
  tf.tidy(() => {
    const h = tf.tensor4d(rng.normals(new Float32Array(3 * 14 * 14 * 2)), [3, 14, 14, 2]);
    const projected = projectOntoBands(h);
    assert.ok(tf.max(tf.abs(downsample(h))).dataSync()[0]! > 0.1, 'noise has block means');
    assert.ok(tf.max(tf.abs(downsample(projected))).dataSync()[0]! < 1e-6, 'a band averages to 0 over every block');
    assert.ok(meanAbs(projectOntoBands(projected), projected) < 1e-7, 'a projection: twice is once');
    // What it removes is exactly u(d(h)): h = projected + u(d(h)).
    assert.ok(meanAbs(tf.add(projected, upsample(downsample(h))), h) < 1e-6);
    const real = laplacianPyramid(tf.tensor4d(rng.normals(new Float32Array(2 * 28 * 28)), [2, 28, 28, 1]), 3).bands;
    for (const band of real) assert.ok(meanAbs(projectOntoBands(band), band) < 1e-6, 'a real band is left alone');
    assert.throws(() => projectOntoBands(tf.zeros([1, 7, 7, 1]) as tf.Tensor4D), /projectOntoBands: needs even sides, got \[7, 7\]/);
  });
});

test('boundBand: no band where the condition is at −1 or 1, a projected band stays projected, in between scaled by 1 − |l|', () => {
  const rng = new Rng(9);
  tf.tidy(() => {
    const coarse = tf.tensor4d([-1, -0.5, 0, 1], [1, 2, 2, 1]);
    const condition = upsample(coarse);
    const band = projectOntoBands(tf.tensor4d(rng.normals(new Float32Array(16)), [1, 4, 4, 1]));
    const bounded = boundBand(band, condition);
    const blocks = (t: tf.Tensor4D): number[][] => {
      const v = t.dataSync();
      return [0, 1, 2, 3].map((b) => [0, 1, 4, 5].map((o) => v[(b >> 1) * 8 + (b & 1) * 2 + o]!));
    };
    const [atMinus, half, zero, atPlus] = blocks(bounded);
    const raw = blocks(band);
    assert.deepEqual(atMinus!.map(Math.abs), [0, 0, 0, 0], 'a block whose mean is −1 is −1 in every pixel: no band');
    assert.deepEqual(atPlus!.map(Math.abs), [0, 0, 0, 0]);
    half!.forEach((v, i) => assert.ok(Math.abs(v - 0.5 * raw[1]![i]!) < 1e-6));
    zero!.forEach((v, i) => assert.ok(Math.abs(v - raw[2]![i]!) < 1e-6));
    assert.ok(tf.max(tf.abs(downsample(bounded))).dataSync()[0]! < 1e-6, 'still 0 over every block');
  });
});

test('lapgan: strict options, images whose sides halve, per-level loss groups, generate capability', () => {
  const model = createModel('lapgan', tiny, mnistInfo, new Rng(0));
  assert.equal(model.config.levels, 3);
  assert.deepEqual(model.levelShapes, [[7, 7, 1], [14, 14, 1], [28, 28, 1]]);
  assert.deepEqual(model.lossGroups().map((g) => g.name), ['discriminator-0', 'generator-0', 'discriminator-1', 'generator-1', 'discriminator-2', 'generator-2']);
  assert.deepEqual(model.lossGroups().map((g) => g.steps ?? 1), [8, 8, 2, 2, 1, 1], 'each level updates levelSteps (default 8, 2, 1) times a batch, D then G');
  const once = createModel('lapgan', { ...tiny, levelSteps: [1, 3, 1] }, mnistInfo, new Rng(0));
  assert.deepEqual(once.lossGroups().map((g) => g.steps ?? 1), [1, 1, 3, 3, 1, 1]);
  once.dispose();
  const two = createModel('lapgan', { ...tiny, levels: 2 }, mnistInfo, new Rng(0));
  assert.deepEqual(two.config.levelSteps, [8, 2]);
  two.dispose();
  assert.ok(can(model, 'generate') && !can(model, 'discriminate') && !can(model, 'reconstruct'));
  assert.equal(model.latent, 3 * 8, 'the code holds one block per level');
  model.dispose();
  const bad = (options: object, data: object, pattern: RegExp) =>
    assert.throws(() => createModel('lapgan', options, data as typeof mnistInfo, new Rng(0)), (e: unknown) => e instanceof GenlabError && e.code === 'bad-input' && pattern.test(e.message) && !e.message.includes('\n'));
  bad({ pack: 2 }, mnistInfo, /^pack: not an option of lapgan \(its options: levels, arch, latent, hidden, filters, batchNorm, projectBands, exactBounds, levelSteps, emaDecay, loss, minibatchStddev, modeSeeking, modeSeekingDistance, spectralNorm\)$/);
  bad({ loss: 'lsgan' }, mnistInfo, /^loss: expected one of nonsaturating, hinge, got 'lsgan'$/);
  bad({ levelSteps: [8, 0, 1] }, mnistInfo, /^levelSteps: expected an integer >= 1, got 0$/);
  bad({ levelSteps: [65, 1, 1] }, mnistInfo, /^levelSteps: .*64/);
  bad({ levelSteps: [8, 2] }, mnistInfo, /^levelSteps: expected one count per level \(3\), got 2$/);
  bad({ projectBands: 'yes' }, mnistInfo, /^projectBands: expected true or false/);
  bad({ levels: 4 }, mnistInfo, /^levels: 4 levels halve the image 3 times: its sides must divide by 8, got 28×28 \(at most 3 levels/);
  bad({ levels: 99 }, mnistInfo, /levels: expected an integer in \[1, 8\]/);
  bad({ filters: [] }, mnistInfo, /filters: expected at least one convolution/);
  bad({ minibatchStddev: 1 }, mnistInfo, /^minibatchStddev: a group of 1 example has no spread/);
  bad({ arch: 'resnet' }, mnistInfo, /^arch: expected one of mlp, conv, got 'resnet'$/);
  bad({ arch: 'mlp', hidden: [] }, mnistInfo, /^hidden: level 0’s MLP discriminator needs at least one hidden layer$/);
  bad({}, { shape: [2], kind: 'points' }, /needs images \[height, width, channels\]/);
  assert.throws(() => createModel('dcgan', { levels: 2 }, mnistInfo, new Rng(0)), /levels: not an option of dcgan/);
});

test('lapgan: a short run on MNIST digits keeps every level finite and moves samples towards the real pyramid, without leaking tensors', async () => {
  const digits = subset(mnist.train, Array.from({ length: 256 }, (_, i) => i));
  const real = tf.tensor4d(digits.data, [256, 28, 28, 1]);
  const model = createModel('lapgan', { latent: 16, hidden: [64], filters: [8, 16] }, mnistInfo, new Rng(1));
  // Per level, how far the samples' mean image is from the real one (coarse levels: images; band levels: |band| means).
  const distances = (): number[] =>
    tf.tidy(() => {
      const s = model.sample(256, new Rng(7));
      const sp = laplacianPyramid(tf.sub(tf.mul(s, 2), 1) as tf.Tensor4D, 3);
      const rp = laplacianPyramid(tf.sub(tf.mul(real, 2), 1) as tf.Tensor4D, 3);
      const meanOf = (t: tf.Tensor, abs: boolean) => tf.mean(abs ? tf.abs(t) : t, 0);
      return [meanAbs(meanOf(sp.coarse, false), meanOf(rp.coarse, false)), ...sp.bands.map((b, k) => meanAbs(meanOf(b, true), meanOf(rp.bands[k]!, true)))];
    });
  const before = distances();
  const step = new TrainStep(model, new Rng(2), { learningRate: 1e-3, beta1: 0.5 });
  const rng = new Rng(3);
  let tensorsAfterFirst = 0;
  for (let i = 0; i < 60; i++) {
    const idx = Int32Array.from({ length: 64 }, () => rng.int(256));
    const x = tf.gather(real, idx);
    const terms = await step.run({ x });
    x.dispose();
    terms.values.forEach((v, j) => assert.ok(Number.isFinite(v), `${terms.names[j]} finite`));
    if (i === 0) {
      tensorsAfterFirst = tf.memory().numTensors;
      for (let k = 0; k < 3; k++) assert.ok(terms.names.includes(`discriminator-${k}/loss`) && terms.names.includes(`generator-${k}/loss`));
    }
  }
  assert.equal(tf.memory().numTensors, tensorsAfterFirst, 'training steps keep no tensors');
  const after = distances();
  assert.ok(after[0]! < before[0]! * 0.7, `coarse level: mean image ${before[0]!.toFixed(3)} → ${after[0]!.toFixed(3)}`);
  for (const k of [1, 2]) assert.ok(after[k]! < before[k]!, `band ${k}: mean |band| ${before[k]!.toFixed(3)} → ${after[k]!.toFixed(3)}`);
  const held = tf.memory().numTensors;
  const metrics = model.evaluate({ x: tf.slice(real, 0, 32) }, new Rng(4));
  assert.deepEqual(Object.keys(metrics).sort(), ['discriminator-0', 'discriminator-1', 'discriminator-2', 'generator-0', 'generator-1', 'generator-2', 'loss']);
  Object.values(metrics).forEach((m) => assert.ok(Number.isFinite(m.dataSync()[0]!)));
  tf.dispose(Object.values(metrics));
  assert.ok(tf.memory().numTensors <= held + 1, 'evaluate keeps nothing but its input slice');

  // Save / load: the same samples for a seed, from networks in stock TF.js folders.
  const dir = join(root, 'saved');
  await model.save(dir);
  assert.deepEqual((await readdir(dir)).sort(), ['discriminator-0', 'discriminator-1', 'discriminator-2', 'generator-0', 'generator-1', 'generator-2', 'genlab-model.json']);
  const loaded = await loadModel(dir);
  assert.ok(loaded instanceof LAPGAN);
  const [a, b] = [model.sample(8, new Rng(11)), loaded.sample(8, new Rng(11))];
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  // generate is the last level of generateLevels; every level an image of its own size in [0, 1].
  tf.tidy(() => {
    const z = model.noise(8, new Rng(11));
    const levels = model.generateLevels(z);
    assert.deepEqual(levels.map((l) => l.shape), [[8, 7, 7, 1], [8, 14, 14, 1], [8, 28, 28, 1]]);
    assert.deepEqual(Array.from(levels[2]!.dataSync()), Array.from(a.dataSync()));
    // Exact bounds: a block whose coarser pixel is black is black in all four pixels, as a real one is.
    for (const k of [1, 2]) {
      const blackCondition = tf.equal(upsample(levels[k - 1]!), 0);
      const black = tf.sum(tf.cast(blackCondition, 'float32')).dataSync()[0]!;
      const lit = tf.sum(tf.where(blackCondition, levels[k]!, tf.zerosLike(levels[k]!))).dataSync()[0]!;
      assert.ok(black >= 4 * 8, `level ${k}: ${black / 4} black blocks to check`);
      assert.equal(lit, 0, `level ${k}: what a black block holds`);
    }
    // Projected bands: every 2×2 block of a finer level that no clipping touched averages back to its coarser pixel.
    for (const k of [1, 2]) {
      const inside = tf.cast(tf.logicalAnd(tf.greater(levels[k]!, 0), tf.less(levels[k]!, 1)), 'float32');
      const whole = tf.equal(downsample(inside as tf.Tensor4D), 1); // blocks of four unclipped pixels
      const checked = tf.sum(tf.cast(whole, 'float32')).dataSync()[0]!;
      const worst = tf.max(tf.where(whole, tf.abs(tf.sub(downsample(levels[k]!), levels[k - 1]!)), tf.zerosLike(levels[k - 1]!))).dataSync()[0]!;
      assert.ok(checked >= 8, `level ${k}: ${checked} unclipped blocks to check`);
      assert.ok(worst < 1e-5, `level ${k} averages back to level ${k - 1} (worst block ${worst})`);
    }
  });
  const values = a.dataSync();
  assert.ok(values.every((v) => v >= 0 && v <= 1), 'samples in the data range');
  // A model saved before exactBounds existed loads with unbounded bands; before projectBands, with raw bands.
  const file = join(dir, 'genlab-model.json');
  const manifest = JSON.parse(await readFile(file, 'utf8')) as { config: Record<string, unknown> };
  assert.equal(manifest.config['exactBounds'], true);
  delete manifest.config['exactBounds'];
  await writeFile(file, JSON.stringify(manifest));
  const unbounded = await loadModel(dir);
  assert.ok(unbounded instanceof LAPGAN && unbounded.config.exactBounds === false);
  const loose = unbounded.sample(8, new Rng(11));
  assert.notDeepEqual(Array.from(loose.dataSync()), Array.from(a.dataSync()), 'without the bounds, other samples');
  tf.dispose(loose);
  unbounded.dispose();
  assert.equal(manifest.config['projectBands'], true);
  delete manifest.config['projectBands'];
  await writeFile(file, JSON.stringify(manifest));
  const old = await loadModel(dir);
  assert.ok(old instanceof LAPGAN && old.config.projectBands === false);
  delete manifest.config['levelSteps'];
  await writeFile(file, JSON.stringify(manifest));
  const older = await loadModel(dir);
  assert.ok(older instanceof LAPGAN && older.config.levelSteps.join() === '1,1,1', 'saved before levelSteps: one update a level per batch');
  older.dispose();
  const raw = old.sample(8, new Rng(11));
  assert.notDeepEqual(Array.from(raw.dataSync()), Array.from(a.dataSync()), 'without the projection, other samples');
  tf.dispose(raw);
  old.dispose();
  tf.dispose([a, b, real]);
  loaded.dispose();
  model.dispose();
});

test('lapgan --loss hinge: every level plays the hinge game (its formula on D\'s raw scores), the samples move, the choice saves', async () => {
  const digits = tf.tensor4d(mnist.train.data.subarray(0, 128 * 784), [128, 28, 28, 1]);
  const model = createModel('lapgan', { latent: 16, hidden: [64], filters: [8, 16], loss: 'hinge' }, mnistInfo, new Rng(1));
  // Level 0 (no batch norm in its D): the terms are the hinge's on D's raw scores of the real 7×7 images and of G's.
  tf.tidy(() => {
    const batch = { x: tf.slice(digits, 0, 32) };
    const d = model.discriminatorTerms(0, batch, new Rng(9));
    const g = model.generatorTerms(0, batch, new Rng(9));
    const coarse = laplacianPyramid(tf.sub(tf.mul(batch.x, 2), 1) as tf.Tensor4D, 3).coarse;
    const score = (x: tf.Tensor) => tf.reshape((model.nets[0]!.discriminator.apply(x, { training: true }) as tf.Tensor[])[0]!, [-1]);
    const r = score(coarse);
    const f = score(tf.clipByValue(model.nets[0]!.generator.apply(randomNormal([32, 16], new Rng(9).tfSeed()), { training: true }) as tf.Tensor, -1, 1));
    const close = (a: tf.Tensor, b: tf.Tensor, what: string) => assert.ok(Math.abs(a.dataSync()[0]! - b.dataSync()[0]!) < 1e-4, `${what}: ${a.dataSync()[0]} vs ${b.dataSync()[0]}`);
    close(d['real']!, tf.mean(r), 'real: the mean raw score');
    close(d['fake']!, tf.mean(f), 'fake: the mean raw score');
    close(d.loss, tf.add(tf.mean(tf.relu(tf.sub(1, r))), tf.mean(tf.relu(tf.add(1, f)))), 'D: E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))]');
    close(g.loss, tf.neg(tf.mean(f)), 'G: −E[D(G(z))]');
  });
  const coarseGap = (): number =>
    tf.tidy(() => {
      const s = model.sample(128, new Rng(7));
      return meanAbs(tf.mean(laplacianPyramid(tf.sub(tf.mul(s, 2), 1) as tf.Tensor4D, 3).coarse, 0), tf.mean(laplacianPyramid(tf.sub(tf.mul(digits, 2), 1) as tf.Tensor4D, 3).coarse, 0));
    });
  const before = coarseGap();
  const step = new TrainStep(model, new Rng(2), { learningRate: 1e-3, beta1: 0.5 });
  const rng = new Rng(3);
  let terms = await step.run({ x: digits });
  for (let i = 0; i < 40; i++) {
    const x = tf.gather(digits, Int32Array.from({ length: 64 }, () => rng.int(128)));
    terms = await step.run({ x });
    x.dispose();
  }
  terms.values.forEach((v, j) => assert.ok(Number.isFinite(v), `${terms.names[j]} finite`));
  const after = coarseGap();
  assert.ok(after < before * 0.7, `coarse level: mean image ${before.toFixed(3)} → ${after.toFixed(3)}`);
  const dir = join(root, 'hinge');
  await model.save(dir);
  const loaded = await loadModel(dir);
  assert.ok(loaded instanceof LAPGAN && loaded.config.loss === 'hinge');
  const manifest = JSON.parse(await readFile(join(dir, 'genlab-model.json'), 'utf8')) as { networks: Record<string, string> };
  assert.match(JSON.stringify(manifest), /a score \(higher = more real; hinge loss\)/);
  loaded.dispose();
  model.dispose();
  digits.dispose();
});

test('lapgan --ema: every level samples from its moving average, which saves, loads and trains on exactly', async () => {
  const model = createModel('lapgan', { ...tiny, emaDecay: 0.9, levelSteps: [3, 2, 1] }, mnistInfo, new Rng(5)) as LAPGAN;
  const step = new TrainStep(model, new Rng(6), { learningRate: 1e-3 });
  await train(step, 0, 3);
  assert.deepEqual([0, 1, 2].map((k) => model.averageCount(k)), [9, 6, 3], 'one average update per G update');
  for (let k = 0; k < 3; k++) {
    assert.notEqual(model.samplingGenerator(k), model.nets[k]!.generator);
    const [avg, trained] = [model.samplingGenerator(k).weights[0]!.read(), model.nets[k]!.generator.weights[0]!.read()];
    assert.ok(meanAbs(avg, trained) > 0, `level ${k}: the average trails G`);
  }
  const dir = join(root, 'ema');
  await model.save(dir);
  assert.ok((await readdir(dir)).includes('generator-2-trained'));
  const loaded = (await loadModel(dir)) as LAPGAN;
  assert.deepEqual([0, 1, 2].map((k) => loaded.averageCount(k)), [9, 6, 3]);
  const resumed = new TrainStep(loaded, new Rng(7), { learningRate: 1e-3 });
  const rest = new TrainStep(model, new Rng(7), { learningRate: 1e-3 });
  // Fresh optimisers on both sides: what the folders carry is the weights, trained and averaged, and the counts.
  await train(rest, 3, 5);
  await train(resumed, 3, 5);
  const [a, b] = [model.sample(8, new Rng(9)), loaded.sample(8, new Rng(9))];
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()), 'the same samples after the same updates');
  const file = JSON.parse(await readFile(join(dir, 'genlab-model.json'), 'utf8')) as { state?: { ema?: { counts?: number[] } } };
  assert.deepEqual(file.state?.ema?.counts, [9, 6, 3]);
  delete file.state;
  await writeFile(join(dir, 'genlab-model.json'), JSON.stringify(file));
  await assert.rejects(loadModel(dir), /state\.ema\.counts" must be 3 non-negative integers with emaDecay > 0, got nothing/);
  tf.dispose([a, b]);
  [step, rest, resumed].forEach((s) => s.dispose());
  loaded.dispose();
  model.dispose();
});

test('lapgan --minibatch-stddev: every level\'s D sees its batch\'s spread (a collapsed batch scores apart); heads save, load and train on exactly', async () => {
  const model = createModel('lapgan', { ...tiny, minibatchStddev: 4, levelSteps: [2, 1, 1] }, mnistInfo, new Rng(5)) as LAPGAN;
  const step = new TrainStep(model, new Rng(6), { learningRate: 1e-3 });
  await train(step, 0, 2);
  const inputs = model.levelShapes.map(([h, w, c], k) => tf.randomUniform([8, h, w, k === 0 ? c : 2 * c], -1, 1, 'float32', 3 + k));
  model.nets.forEach(({ discriminator, head }, k) => {
    assert.ok(head, `level ${k} has a head`);
    const verdict = (x: tf.Tensor): number => tf.tidy(() => {
      const features = discriminator.apply(x, { training: false }) as tf.Tensor;
      return (head.apply([features, minibatchStddev(features, 4)]) as tf.Tensor).dataSync()[0]!;
    });
    const collapsed = tf.tidy(() => tf.tile(tf.slice(inputs[k]!, 0, 1), [8, 1, 1, 1]));
    assert.notEqual(verdict(collapsed), verdict(inputs[k]!), `level ${k}: the first example scores differently in a collapsed batch`);
    collapsed.dispose();
  });
  const loaded = await checkResumesExactly(model, join(root, 'stddev'), 'discriminator-2-head', 2, 4, 'D heads included');
  tf.dispose(inputs);
  step.dispose();
  loaded.dispose();
  model.dispose();
});

test('lapgan --spectral-norm: every level\'s D uses W/σ(W) (its terms ignore the kernels\' scale), no batch norm in D; u and v save, load and train on exactly', async () => {
  const model = createModel('lapgan', { ...tiny, spectralNorm: true, loss: 'hinge', levelSteps: [2, 1, 1] }, mnistInfo, new Rng(5)) as LAPGAN;
  const batchNorms = (net: tfl.LayersModel): number => net.layers.filter((l) => l.getClassName() === 'BatchNormalization').length;
  model.nets.forEach(({ discriminator }, k) => assert.equal(batchNorms(discriminator), 0, `level ${k}: no batch norm in D`));
  assert.ok(batchNorms(model.nets[1]!.generator) > 0, 'G keeps its batch norm');
  const kernels = (k: number): string[] => model.spectralNormaliser(k)!.kernels.map((w) => w.originalName);
  assert.deepEqual(kernels(0), ['discriminator-0_dense1/kernel', 'discriminator-0_out/kernel']);
  assert.deepEqual(kernels(1), ['discriminator-1_conv1/kernel', 'discriminator-1_conv2/kernel', 'discriminator-1_out/kernel']);
  const step = new TrainStep(model, new Rng(6), { learningRate: 1e-3 });
  const u0 = model.spectralNormaliser(2)!.u.map((u) => Array.from(u.dataSync()));
  await train(step, 0, 2);
  assert.ok(model.spectralNormaliser(2)!.u.some((u, i) => u.dataSync().some((v, j) => v !== u0[i]![j])), 'power iterations move u as D trains');
  // W/σ(W) does not change when every kernel is scaled (σ scales with it): every term through D stays the same.
  const x = tf.tensor4d(mnist.test.data.subarray(0, 16 * 784), [16, 28, 28, 1]);
  const terms = (): Record<string, number> => tf.tidy(() => Object.fromEntries(Object.entries(model.evaluate({ x }, new Rng(3))).map(([name, t]) => [name, t.dataSync()[0]!])));
  const before = terms();
  const raw = model.nets.map((_, k) => model.spectralNormaliser(k)!.kernels.map((w) => tf.clone(w.read())));
  model.nets.forEach((_, k) => model.spectralNormaliser(k)!.kernels.forEach((w, i) => tf.tidy(() => { w.write(tf.mul(raw[k]![i]!, 3)); })));
  const scaled = terms();
  for (const [name, value] of Object.entries(before)) assert.ok(Math.abs(scaled[name]! - value) < 1e-4 * Math.max(1, Math.abs(value)), `${name}: ${value} → ${scaled[name]} with kernels × 3`);
  model.nets.forEach((_, k) => model.spectralNormaliser(k)!.kernels.forEach((w, i) => w.write(raw[k]![i]!)));
  tf.dispose([x, ...raw.flat()]);
  const dir = join(root, 'spectral');
  const loaded = await checkResumesExactly(model, dir, 'spectral-norm-2.bin', 2, 4, 'u and v included');
  const file = JSON.parse(await readFile(join(dir, 'genlab-model.json'), 'utf8')) as { state?: object };
  delete file.state;
  await writeFile(join(dir, 'genlab-model.json'), JSON.stringify(file));
  await assert.rejects(loadModel(dir), /state\.spectralNorm\.specs" must be 3 lists with spectralNorm, got nothing/);
  step.dispose();
  loaded.dispose();
  model.dispose();
});

test('lapgan --arch conv: level 0 is the DCGAN\'s G and D (convolutions, batch norm in D), its coarse images move towards the real ones; it saves and resumes exactly', async () => {
  const digits = tf.tensor4d(mnist.train.data.subarray(0, 128 * 784), [128, 28, 28, 1]);
  const model = createModel('lapgan', { latent: 16, filters: [8, 16], levels: 2, arch: 'conv', loss: 'hinge' }, mnistInfo, new Rng(1)) as LAPGAN;
  const classes = (net: { layers: { getClassName(): string }[] }) => net.layers.map((l) => l.getClassName());
  const [g0, d0] = [model.nets[0]!.generator, model.nets[0]!.discriminator];
  assert.ok(classes(g0).includes('Conv2DTranspose') && !classes(g0).includes('Flatten'), `G_0 upsamples by convolutions: ${classes(g0).join(', ')}`);
  assert.ok(classes(d0).includes('Conv2D') && classes(d0).includes('BatchNormalization'), `D_0 convolves, with batch norm: ${classes(d0).join(', ')}`);
  assert.deepEqual(g0.outputs[0]!.shape, [null, 14, 14, 1]);
  const mlp = createModel('lapgan', { latent: 16, filters: [8, 16], levels: 2 }, mnistInfo, new Rng(1)) as LAPGAN;
  assert.ok(!classes(mlp.nets[0]!.generator).includes('Conv2DTranspose') && !classes(mlp.nets[0]!.discriminator).includes('Conv2D'), 'the default level 0 stays the MLPs');
  mlp.dispose();
  const coarseGap = (): number =>
    tf.tidy(() => {
      const coarse = (x: tf.Tensor) => tf.mean(laplacianPyramid(tf.sub(tf.mul(x, 2), 1) as tf.Tensor4D, 2).coarse, 0);
      return meanAbs(coarse(model.sample(128, new Rng(7))), coarse(digits));
    });
  const before = coarseGap();
  const step = new TrainStep(model, new Rng(2), { learningRate: 1e-3, beta1: 0.5 });
  const rng = new Rng(3);
  for (let i = 0; i < 40; i++) {
    const x = tf.gather(digits, Int32Array.from({ length: 64 }, () => rng.int(128)));
    const terms = await step.run({ x });
    x.dispose();
    terms.values.forEach((v, j) => assert.ok(Number.isFinite(v), `${terms.names[j]} finite`));
  }
  const after = coarseGap();
  assert.ok(after < before * 0.7, `coarse level: mean image ${before.toFixed(3)} → ${after.toFixed(3)}`);
  const loaded = await checkResumesExactly(model, join(root, 'conv0'), 'generator-0', 40, 42, 'a conv level 0');
  assert.equal(loaded.config.arch, 'conv');
  step.dispose();
  loaded.dispose();
  model.dispose();
  digits.dispose();
});

test('lapgan --mode-seeking: level 0\'s G loss adds λ·the mode-seeking term over its coarse images and codes; the band levels\' do not', () => {
  const model = createModel('lapgan', { ...tiny, modeSeeking: 2 }, mnistInfo, new Rng(5)) as LAPGAN;
  const plain = createModel('lapgan', tiny, mnistInfo, new Rng(5)) as LAPGAN;
  tf.tidy(() => {
    const batch = { x: tf.tensor4d(mnist.train.data.subarray(0, 16 * 784), [16, 28, 28, 1]) };
    const g = model.generatorTerms(0, batch, new Rng(9));
    const z = randomNormal([16, 8], new Rng(9).tfSeed());
    const coarse = tf.clipByValue(model.nets[0]!.generator.apply(z, { training: true }) as tf.Tensor, -1, 1);
    const expected = modeSeekingLoss(coarse, z).dataSync()[0]!;
    assert.ok(Math.abs(g['modeSeeking']!.dataSync()[0]! - expected) < 1e-4 * expected, 'the term over the coarse images and their codes');
    assert.ok(Math.abs(g.loss.dataSync()[0]! - g['adversarial']!.dataSync()[0]! - 2 * expected) < 1e-4 * expected, 'λ·term added');
    assert.ok(Math.abs(g['adversarial']!.dataSync()[0]! - plain.generatorTerms(0, batch, new Rng(9)).loss.dataSync()[0]!) < 1e-6, 'the adversarial part as without it');
    assert.deepEqual(Object.keys(model.generatorTerms(1, batch, new Rng(9))), ['loss'], 'a band level: no term');
  });
  assert.throws(() => createModel('lapgan', { ...tiny, modeSeeking: -1 }, mnistInfo, new Rng(0)), /modeSeeking/);
  model.dispose();
  plain.dispose();
});

test('lapgan --mode-seeking-distance discriminator: level 0\'s term over D_0\'s features of the coarse images', () => {
  const model = createModel('lapgan', { ...tiny, modeSeeking: 2, modeSeekingDistance: 'discriminator' }, mnistInfo, new Rng(5)) as LAPGAN;
  const pixels = createModel('lapgan', { ...tiny, modeSeeking: 2 }, mnistInfo, new Rng(5)) as LAPGAN;
  tf.tidy(() => {
    const batch = { x: tf.tensor4d(mnist.train.data.subarray(0, 16 * 784), [16, 28, 28, 1]) };
    const g = model.generatorTerms(0, batch, new Rng(9));
    const z = randomNormal([16, 8], new Rng(9).tfSeed());
    const coarse = tf.clipByValue(model.nets[0]!.generator.apply(z, { training: true }) as tf.Tensor, -1, 1);
    const features = (model.nets[0]!.discriminator.apply(coarse, { training: true }) as tf.Tensor[])[1] as tf.Tensor2D;
    const expected = modeSeekingLoss(features, z, undefined, rootMeanSquareDistances).dataSync()[0]!;
    assert.ok(Math.abs(g['modeSeeking']!.dataSync()[0]! - expected) < 1e-4 * expected, 'the term over D_0\'s features and the codes');
    const inPixels = pixels.generatorTerms(0, batch, new Rng(9))['modeSeeking']!.dataSync()[0]!;
    assert.ok(Math.abs(inPixels - expected) > 1e-3 * expected, 'not the pixels\' term');
  });
  assert.throws(() => createModel('lapgan', { ...tiny, modeSeeking: 1, modeSeekingDistance: 'features' as 'pixels' }, mnistInfo, new Rng(0)), /modeSeekingDistance/);
  model.dispose();
  pixels.dispose();
});

test('genlab train lapgan writes sample grids, then sample and eval work on the run', { timeout: 120_000 }, async () => {
  const run = join(root, 'run');
  const common = ['--limit', '64', '--test-limit', '32', '--batch-size', '32', '--filters', '4,8', '--hidden', '16', '--latent', '4', '--seed', '0'];
  const trained = await runCli(['train', 'lapgan', '--data', 'mnist', '--epochs', '1', '--quality-samples', '0', ...common, '--out', run]);
  assert.equal(trained.code, 0, trained.stderr);
  const grids = (await readdir(join(run, 'samples'))).filter((f) => f.endsWith('.png'));
  assert.ok(grids.length >= 1, 'a sample grid per epoch');
  assert.ok(PNG.sync.read(await readFile(join(run, 'samples', grids[0]!))).width >= 28 * 4);
  const grid = join(root, 'grid.png');
  const sampled = await runCli(['sample', run, '-n', '16', '--out', grid]);
  assert.equal(sampled.code, 0, sampled.stderr);
  assert.match(sampled.stdout, /16 lapgan samples/);
  assert.ok(existsSync(grid));
  const path = join(root, 'path.npy');
  assert.equal((await runCli(['interpolate', run, '--from', '2', '--to', '3', '--steps', '4', '--out', path])).code, 0);
  assert.deepEqual(parseNpy(new Uint8Array(await readFile(path)), path).shape, [4, 28, 28, 1]);
  const evaluated = await runCli(['eval', run, '--samples', '64', '--limit', '64', '--json']);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const report = JSON.parse(evaluated.stdout) as Record<string, unknown>;
  assert.ok(JSON.stringify(report).includes('fid'), `eval reports FID: ${evaluated.stdout.slice(0, 200)}`);
  const refused = await runCli(['train', 'lapgan', '--data', 'mnist', '--levels', '4', ...common, '--out', join(root, 'bad')]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^genlab: --levels: 4 levels halve the image 3 times/);
});
