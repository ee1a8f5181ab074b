/**
 * The shipped MNIST classifier (assets/mnist-classifier): it loads from the package, has ≥ 99% accuracy on MNIST's
 * test digits (the very number recorded when it was trained), exposes features and probabilities consistently and
 * without leaking tensors; its training is seeded; the `classifier` CLI scores an .npy of samples end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { initEngine } from '../src/engine/backend.js';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { loadMnist } from '../src/data/mnist.js';
import { subset } from '../src/data/dataset.js';
import { encodeNpy } from '../src/data/npy.js';
import {
  buildMnistClassifier,
  CLASSIFIER_FEATURES,
  defaultClassifierDir,
  FEATURE_LAYER,
  loadMnistClassifier,
  shiftImages,
  trainMnistClassifier,
  type FeatureScales,
} from '../src/eval/mnist-classifier.js';
import { classifierScoreCommand, registerClassifierCommand } from '../src/cli/classifier.js';

await initEngine();
const { train, test: testSplit } = await loadMnist();
const range = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);

test('the shipped weights are in assets/mnist-classifier: model.json + weights.bin, well under 5 MB', () => {
  const dir = defaultClassifierDir();
  assert.match(dir.replaceAll('\\', '/'), /\/assets\/mnist-classifier\/?$/);
  for (const f of ['model.json', 'weights.bin', 'training.json']) assert.ok(existsSync(join(dir, f)), `${f} missing`);
  assert.ok(statSync(join(dir, 'weights.bin')).size < 5e6);
});

test('the shipped classifier has ≥ 99% accuracy on MNIST test digits (3000 drawn at random; training.json records all 10 000)', async () => {
  const classifier = await loadMnistClassifier();
  const digits = subset(testSplit, new Rng(0).permutation(testSplit.count).subarray(0, 3000));
  const accuracy = classifier.accuracy(digits);
  assert.ok(accuracy >= 0.99, `accuracy ${accuracy}`);
  const recorded = JSON.parse(readFileSync(join(defaultClassifierDir(), 'training.json'), 'utf8')) as { testAccuracy: number; featureScales: FeatureScales };
  assert.ok(recorded.testAccuracy >= 0.99);
  assert.deepEqual(classifier.featureScales, { features: recorded.featureScales.features, conv: recorded.featureScales.conv });
});

test('architecture: conv 32 → conv 32 → pool → conv 64 → pool → dense 128 (features) → dense 10 → softmax', async () => {
  const classifier = await loadMnistClassifier();
  const model = classifier.model;
  assert.deepEqual(
    model.layers.map((l) => l.getClassName()),
    ['Conv2D', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'Dense', 'Activation'],
  );
  assert.equal(model.countParams(), 234_282);
  assert.equal(model.layers[6]!.name, FEATURE_LAYER);
  // A fresh build has the same topology.
  const fresh = buildMnistClassifier(new Rng(0));
  assert.equal(fresh.countParams(), model.countParams());
  fresh.dispose();
});

test('features, probabilities, outputs and predict agree, accept arrays and tensors, and leak no tensors', async () => {
  const classifier = await loadMnistClassifier();
  const x = subset(testSplit, range(0, 64)).data;
  const t = tf.tensor4d(x, [64, 28, 28, 1]);
  const before = tf.memory().numTensors;
  const f = classifier.features(t);
  const p = classifier.probabilities(t);
  assert.deepEqual(f.shape, [64, CLASSIFIER_FEATURES]);
  assert.deepEqual(p.shape, [64, 10]);
  const out = classifier.outputs(x, 25); // uneven batches
  const fData = f.dataSync();
  const pData = p.dataSync();
  f.dispose();
  p.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  for (let i = 0; i < fData.length; i++) assert.ok(Math.abs(fData[i]! - out.features[i]!) < 1e-4 && fData[i]! >= 0);
  for (let i = 0; i < 64; i++) {
    const row = Array.from(pData.subarray(i * 10, i * 10 + 10));
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    for (let c = 0; c < 10; c++) assert.ok(Math.abs(row[c]! - out.probabilities[i * 10 + c]!) < 1e-5);
  }
  const predicted = classifier.predict(t);
  t.dispose();
  assert.ok(predicted.filter((v, i) => v === testSplit.labels!.values[i]).length >= 62);
  assert.throws(() => classifier.outputs(new Float32Array(100)), /28×28×1/);
});

test('loadMnistClassifier: one shared model per folder; a missing folder is a not-found error', async () => {
  assert.equal(await loadMnistClassifier(), await loadMnistClassifier());
  await assert.rejects(loadMnistClassifier('/nonexistent/classifier'), (e: unknown) => e instanceof GenlabError && e.code === 'not-found');
});

test('shiftImages: moves each image by whole pixels within ±maxShift, zeros shifted in', () => {
  const img = new Float32Array(784 * 3);
  for (let b = 0; b < 3; b++) img[b * 784 + 14 * 28 + 14] = 1; // one lit pixel at (14, 14)
  const out = new Float32Array(img.length);
  shiftImages(img, out, 3, 0, new Rng(0));
  assert.deepEqual(out, img);
  shiftImages(img, out, 3, 2, new Rng(1));
  for (let b = 0; b < 3; b++) {
    const lit = [...out.subarray(b * 784, (b + 1) * 784)].flatMap((v, i) => (v === 1 ? [i] : []));
    assert.equal(lit.length, 1);
    const [y, x] = [Math.floor(lit[0]! / 28), lit[0]! % 28];
    assert.ok(Math.abs(y - 14) <= 2 && Math.abs(x - 14) <= 2);
  }
});

test('trainMnistClassifier: the same seed gives the same weights, another seed others; loss goes down', () => {
  const small = subset(train, range(0, 160));
  const run = (seed: number, epochs: number) => {
    const losses: number[] = [];
    const c = trainMnistClassifier(small, { epochs, seed, batchSize: 32, logEvery: 1, onProgress: ({ loss }) => losses.push(loss) });
    const w = c.model.getWeights().map((v) => Array.from(v.dataSync()));
    c.dispose();
    return { w, losses };
  };
  const a = run(3, 2), b = run(3, 2), c = run(4, 1);
  assert.deepEqual(a.w, b.w);
  assert.notDeepEqual(a.w.slice(0, 2), c.w.slice(0, 2));
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  assert.ok(mean(a.losses.slice(-3)) < mean(a.losses.slice(0, 3)), `losses ${a.losses.map((l) => l.toFixed(2)).join(' ')}`);
});

test('genlab classifier: flags are checked; score of an .npy of training digits reports metrics and flags the copies', async () => {
  const program = new Command('genlab').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerClassifierCommand(program);
  for (const c of program.commands.flatMap((c) => [c, ...c.commands])) c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  await assert.rejects(program.parseAsync(['classifier', 'train'], { from: 'user' }), /--out/);
  await assert.rejects(program.parseAsync(['classifier', 'train', '--out', 'x', '--epochs', '0'], { from: 'user' }), /--epochs/);

  const dir = await mkdtemp(join(tmpdir(), 'genlab-classifier-'));
  try {
    const file = join(dir, 'samples.npy');
    await writeFile(file, encodeNpy([200, 28, 28, 1], subset(train, range(0, 200)).data));
    const lines: string[] = [];
    await classifierScoreCommand(file, { json: true, referenceCount: 1000, memorisationCount: 100 }, (l) => lines.push(l));
    const m = JSON.parse(lines[0]!) as { fid: number; kid: number; inceptionScore: number; precision: number; recall: number; memorisation: { flagged: boolean; trainCount: number } };
    assert.equal(m.memorisation.trainCount, 60_000);
    assert.equal(m.memorisation.flagged, true);
    assert.ok(m.inceptionScore > 7 && m.precision > 0.7 && m.fid < 20, JSON.stringify(m));
    const text: string[] = [];
    await classifierScoreCommand(file, { referenceCount: 1000, memorisationCount: 0 }, (l) => text.push(l));
    assert.ok(text.some((l) => /^FID\s+\d/.test(l)) && !text.some((l) => l.startsWith('memorisation')), text.join('\n'));
    await writeFile(file, encodeNpy([3, 10], new Float32Array(30)));
    await assert.rejects(classifierScoreCommand(file, {}, () => {}), /28×28×1/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
