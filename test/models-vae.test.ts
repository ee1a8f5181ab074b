import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../src/engine/backend.js';
import { GenlabError } from '../src/engine/errors.js';
import { loadLayersModel } from '../src/engine/model-io.js';
import { Rng } from '../src/engine/rng.js';
import { loadDataset } from '../src/data/registry.js';
import { KINDS, MODEL_KINDS, createModel, loadModel } from '../src/models/kinds.js';
import { ConditionalVAE, VAE } from '../src/models/vae.js';
import { disposeBatch, evaluateLocal, firstN, loadStockLayersModel, toTensorBatch, trainSteps } from './helpers/models.js';

await initEngine(); // wasm: the MLP models train there
const { train: mnistTrain, test: mnistTest } = await loadDataset('mnist', { binarize: 'static' });
const digits = firstN(mnistTrain, 1000);
const heldOut = firstN(mnistTest, 300);
const images = { shape: mnistTrain.shape, kind: 'images' as const };
const labelled = { ...images, classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] };
const small = { hidden: [64], latent: 8 };

/** The loss terms of `model` on the first `n` held-out digits (values read back). */
function termsOn(model: VAE, n = 100, step = 0, seed = 3): Record<string, number> {
  const b = toTensorBatch(heldOut.data.slice(0, n * 784), [n, 28, 28, 1], (heldOut.labels!.values as Int32Array).slice(0, n));
  const terms = tf.tidy(() => model.lossGroups()[0]!.loss(b, new Rng(seed), step));
  const out = Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, v.dataSync()[0]!]));
  tf.dispose(Object.values(terms));
  disposeBatch(b);
  return out;
}

test('vae: one loss group "elbo" with named terms; loss = recon + β·kl + weight decay', () => {
  const model = createModel('vae', { ...small, beta: 2, weightDecay: 1e-3 }, images, new Rng(1)) as VAE;
  assert.equal(model.kind, 'vae');
  const groups = model.lossGroups();
  assert.deepEqual(groups.map((g) => g.name), ['elbo']);
  assert.equal(groups[0]!.variables.length, 8, 'kernels and biases of 2 + 2 dense layers');
  const t = termsOn(model);
  for (const k of ['loss', 'recon', 'kl', 'negElbo', 'weightDecay', 'meanVariance', 'beta']) assert.ok(Number.isFinite(t[k]), `${k} = ${t[k]}`);
  assert.ok(Math.abs(t['loss']! - (t['recon']! + 2 * t['kl']! + t['weightDecay']!)) < 1e-3 * t['loss']!);
  assert.ok(Math.abs(t['negElbo']! - (t['recon']! + t['kl']!)) < 1e-3 * t['negElbo']!);
  assert.ok(t['weightDecay']! > 0 && t['recon']! > 300, 'an untrained model costs ~543 nats (784 · ln 2)');
  model.dispose();
});

test('vae (mlp, Bernoulli): −ELBO falls on 1000 MNIST digits, on held-out digits too', async () => {
  const model = createModel('vae', small, images, new Rng(1)) as VAE;
  const before = evaluateLocal(model, heldOut);
  const { losses } = await trainSteps(model, digits, { steps: 100, batchSize: 50, learningRate: 3e-3 });
  const after = evaluateLocal(model, heldOut);
  assert.ok(losses.at(-1)! < losses[0]! - 250, `train loss ${losses[0]} → ${losses.at(-1)}`);
  assert.ok(after['negElbo']! < 200 && after['negElbo']! < before['negElbo']! - 300, `test −ELBO ${before['negElbo']} → ${after['negElbo']}`);
  model.dispose();
});

test('vae: with β = 0 the posterior variance collapses (the lecture), with β = 1 it does not', async () => {
  const variance = async (beta: number): Promise<number> => {
    const model = createModel('vae', { hidden: [64], latent: 20, beta }, images, new Rng(1)) as VAE;
    await trainSteps(model, digits, { steps: 200, batchSize: 50, learningRate: 5e-3 });
    const v = evaluateLocal(model, heldOut)['meanVariance']!;
    model.dispose();
    return v;
  };
  const collapsed = await variance(0);
  const kept = await variance(1);
  assert.ok(collapsed < 0.02 && kept > 0.2 && collapsed < kept / 10, `mean variance β=0 ${collapsed}, β=1 ${kept}`);
});

test('vae: KL warm-up raises β linearly over klWarmup steps; evaluate uses the full β', () => {
  const model = createModel('vae', { ...small, beta: 0.5, klWarmup: 100 }, images, new Rng(1)) as VAE;
  assert.deepEqual([0, 50, 100, 500].map((s) => termsOn(model, 10, s)['beta']), [0, 0.25, 0.5, 0.5]);
  const t0 = termsOn(model, 10, 0);
  assert.ok(Math.abs(t0['loss']! - t0['recon']!) < 1e-3 * t0['loss']!, 'no KL in the loss at step 0');
  const b = toTensorBatch(heldOut.data.slice(0, 784 * 10), [10, 28, 28, 1]);
  const ev = tf.tidy(() => {
    const e = model.evaluate(b, new Rng(3));
    return [e['loss']!.dataSync()[0]!, e['recon']!.dataSync()[0]!, e['kl']!.dataSync()[0]!];
  });
  assert.ok(Math.abs(ev[0]! - (ev[1]! + 0.5 * ev[2]!)) < 1e-3 * ev[0]!);
  disposeBatch(b);
  model.dispose();
});

test('vae: Gaussian decoders (fixed, learned shared, per-pixel variance) train; a learned σ² shrinks towards the error', async () => {
  for (const decoderVariance of ['fixed', 'learned', 'per-pixel'] as const) {
    const model = createModel('vae', { ...small, decoder: 'gaussian', decoderVariance, decoderStd: 0.5 }, images, new Rng(2)) as VAE;
    const { losses } = await trainSteps(model, firstN(digits, 400), { steps: 40, batchSize: 50, learningRate: 3e-3 });
    assert.ok(losses.every(Number.isFinite) && losses.at(-1)! < losses[0]! - 50, `${decoderVariance}: ${losses.join(' ')}`);
    // Adam moves the one shared log σ² by about the learning rate per step, down from log 0.5².
    if (decoderVariance === 'learned') assert.ok(model.learnedDecoderLogVar()! < Math.log(0.25) - 0.08, `log σ² ${model.learnedDecoderLogVar()}`);
    const x = model.sample(4, new Rng(1));
    const v = x.dataSync();
    assert.ok(v.every((p) => p >= 0 && p <= 1), 'image means stay in [0, 1]');
    tf.dispose(x);
    model.dispose();
  }
});

test('cvae: encoder and decoder see the label; the samples of each label look like that digit', async () => {
  const model = createModel('cvae', { hidden: [64], latent: 2 }, labelled, new Rng(1)) as VAE;
  assert.ok(model instanceof ConditionalVAE);
  assert.equal(model.kind, 'cvae');
  assert.throws(() => createModel('cvae', small, images, new Rng(1)), /needs data with class labels/);
  await trainSteps(model, digits, { steps: 200, batchSize: 50, learningRate: 3e-3 });
  // The mean of 64 samples of label c should be nearer the mean training digit c than any other class mean.
  const classMeans = Array.from({ length: 10 }, () => new Float64Array(784));
  const counts = new Array<number>(10).fill(0);
  const labels = digits.labels!.values as Int32Array;
  for (let i = 0; i < digits.count; i++) {
    counts[labels[i]!]!++;
    for (let p = 0; p < 784; p++) classMeans[labels[i]!]![p]! += digits.data[i * 784 + p]!;
  }
  classMeans.forEach((m, c) => m.forEach((v, p) => (m[p] = v / counts[c]!)));
  let recognised = 0;
  for (let c = 0; c < 10; c++) {
    const mean = tf.tidy(() => tf.mean(model.sample(64, new Rng(9), tf.fill([64], c, 'int32') as tf.Tensor1D), 0).dataSync());
    const dist = classMeans.map((m) => m.reduce((s, v, p) => s + (v - mean[p]!) ** 2, 0));
    if (dist.indexOf(Math.min(...dist)) === c) recognised++;
  }
  assert.ok(recognised >= 7, `${recognised} of 10 labels give samples nearest their own class mean`);
  // Without labels, samples cycle through the classes; the batch must carry labels for the loss.
  const cycled = tf.tidy(() => Array.from(model.cycleLabels(12).dataSync()));
  assert.deepEqual(cycled, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  const noLabels = toTensorBatch(heldOut.data.slice(0, 784 * 4), [4, 28, 28, 1]);
  assert.throws(() => model.lossGroups()[0]!.loss(noLabels, new Rng(1), 0), /needs class labels/);
  disposeBatch(noLabels);
  model.dispose();
});

test('iwae: the k-sample bound is at least the ELBO on the same samples, and training on it lowers it', async () => {
  const model = createModel('iwae', { ...small, k: 8 }, images, new Rng(4)) as VAE;
  assert.equal(model.kind, 'iwae');
  await trainSteps(model, digits, { steps: 40, batchSize: 50, learningRate: 3e-3 });
  const t = termsOn(model, 100);
  assert.ok(t['negIwae']! <= t['negElbo']! + 1e-3, `−L_8 ${t['negIwae']} vs −ELBO ${t['negElbo']}`);
  assert.ok(Math.abs(t['loss']! - t['negIwae']!) < 1e-4 * t['loss']!, 'the IWAE loss is −L_k');
  assert.ok(t['negIwae']! < 250, `−L_8 after training: ${t['negIwae']}`);
  // The same model as a plain VAE (k = 1 ELBO) gives a looser bound on average.
  const b = toTensorBatch(heldOut.data.slice(0, 784 * 100), [100, 28, 28, 1]);
  const [elbo, l50] = tf.tidy(() => {
    const terms = model.importanceTerms(b.x, 50, new Rng(11));
    return [tf.mean(terms.logWeights).dataSync()[0]!, tf.mean(tf.sub(tf.logSumExp(terms.logWeights, 0), Math.log(50))).dataSync()[0]!];
  });
  assert.ok(l50 >= elbo, `L_50 ${l50} ≥ ELBO ${elbo}`);
  disposeBatch(b);
  model.dispose();
});

test('save/load: the same samples and reconstructions for the same seed; stock TF.js opens the networks', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'genlab-vae-'));
  try {
    const cases = [
      ['vae', { ...small }, images],
      ['cvae', { ...small }, labelled],
      ['vae', { ...small, decoder: 'gaussian', decoderVariance: 'learned' }, images],
      ['iwae', { ...small, k: 3, decoder: 'gaussian', decoderVariance: 'per-pixel' }, images],
    ] as const;
    for (const [i, [kind, options, data]] of cases.entries()) {
      const model = createModel(kind, options, data, new Rng(5)) as VAE;
      await trainSteps(model, firstN(digits, 200), { steps: 5, batchSize: 40 });
      const where = join(dir, `m${i}`);
      await model.save(where);
      const loaded = (await loadModel(where)) as VAE;
      assert.equal(loaded.kind, model.kind);
      assert.equal(loaded.constructor, model.constructor);
      assert.deepEqual(loaded.config, model.config);
      assert.deepEqual(loaded.classes, model.classes);
      assert.equal(loaded.learnedDecoderLogVar(), model.learnedDecoderLogVar());
      const x = tf.tensor(heldOut.data.slice(0, 784 * 6), [6, 28, 28, 1]);
      const labels = data === labelled ? tf.tensor1d([3, 1, 4, 1, 5, 9], 'int32') : undefined;
      const outputs = (m: VAE): number[][] =>
        tf.tidy(() => [m.sample(6, new Rng(42), labels), m.reconstruct(x, new Rng(1), labels), m.importanceTerms(x, 4, new Rng(2), labels).logWeights].map((t) => Array.from(t.dataSync())));
      assert.deepEqual(outputs(loaded), outputs(model), `${kind} ${JSON.stringify(options)}`);
      tf.dispose([x, ...(labels ? [labels] : [])]);
      loaded.dispose();
      model.dispose();
    }
    const manifest = JSON.parse(await readFile(join(dir, 'm1', 'genlab-model.json'), 'utf8'));
    assert.equal(manifest.format, 'genlab-model');
    assert.equal(manifest.version, 1);
    assert.equal(manifest.kind, 'cvae');
    assert.deepEqual(manifest.dataShape, [28, 28, 1]);
    assert.equal(manifest.classes.length, 10);
    assert.match(manifest.networks.encoder, /mean .* log-variance/);
    // The encoder is a plain layers model: stock tfl.loadLayersModel builds it from model.json (no custom layers).
    const stock = await loadStockLayersModel(join(dir, 'm1', 'encoder'));
    assert.deepEqual(stock.outputs[0]!.shape, [null, 16]);
    assert.equal(stock.inputs.length, 2);
    stock.dispose();
    (await loadLayersModel(join(dir, 'm1', 'decoder'))).dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('registry: every kind builds; unknown kinds, bad options and broken folders give one-line errors', async () => {
  for (const kind of MODEL_KINDS) {
    const own = Object.fromEntries(Object.entries(small).filter(([option]) => (KINDS[kind].options as readonly string[]).includes(option)));
    const m = createModel(kind, own, labelled, new Rng(1));
    assert.equal(m.kind, kind);
    m.dispose();
  }
  assert.throws(() => createModel('flow', {}, images, new Rng(1)), (e: unknown) => e instanceof GenlabError && /expected one of ae, dae, vae, cvae, iwae, gan, dcgan, cgan, wgan-gp, vaegan/.test(e.message));
  assert.throws(() => createModel('vae', { latent: 0 }, images, new Rng(1)), /latent: expected an integer >= 1, got 0/);
  assert.throws(() => createModel('vae', { arch: 'conv' }, { shape: [2], kind: 'points' }, new Rng(1)), /conv needs images/);
  assert.throws(() => createModel('vae', { decoder: 'poisson' as 'gaussian' }, images, new Rng(1)), /decoder: expected one of bernoulli, gaussian/);
  const dir = await mkdtemp(join(tmpdir(), 'genlab-vae-'));
  try {
    await assert.rejects(loadModel(join(dir, 'missing')), (e: unknown) => e instanceof GenlabError && e.code === 'not-found');
    await assert.rejects(loadModel(dir), /genlab-model.json: missing/);
    await writeFile(join(dir, 'genlab-model.json'), '{"format": "genlab-model", "version": 1, "kind": "vae"');
    await assert.rejects(loadModel(dir), (e: unknown) => e instanceof GenlabError && e.code === 'bad-file' && /not valid JSON/.test(e.message));
    await writeFile(join(dir, 'genlab-model.json'), JSON.stringify({ format: 'genlab-model', version: 1, kind: 'flow', config: {}, dataShape: [2], dataKind: 'points', networks: {} }));
    await assert.rejects(loadModel(dir), /unknown model kind 'flow'/);
    await writeFile(join(dir, 'genlab-model.json'), JSON.stringify({ format: 'genlab-model', version: 1, kind: 'vae', config: {}, dataShape: [2], dataKind: 'points', networks: {} }));
    await assert.rejects(loadModel(dir), (e: unknown) => e instanceof GenlabError && e.code === 'not-found' && /encoder/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('no tensor leak: training steps, evaluate, sample, reconstruct and importance terms keep the count flat', async () => {
  const model = createModel('cvae', small, labelled, new Rng(1)) as VAE;
  await trainSteps(model, firstN(digits, 100), { steps: 2, batchSize: 50 }); // first steps create lazily made tensors
  const before = tf.memory().numTensors;
  await trainSteps(model, firstN(digits, 500), { steps: 30, batchSize: 50 });
  const x = tf.tensor(heldOut.data.slice(0, 784 * 5), [5, 28, 28, 1]);
  const labels = tf.tensor1d([0, 1, 2, 3, 4], 'int32');
  for (let i = 0; i < 5; i++) {
    tf.dispose([model.sample(3, new Rng(i)), model.reconstruct(x, new Rng(i), labels), model.code(x, labels)]);
    const e = model.encode(x, labels);
    const t = model.importanceTerms(x, 3, new Rng(i), labels);
    tf.dispose([e.mean, e.logVar, t.logWeights, t.logLikelihoods, t.kl]);
  }
  tf.dispose([x, labels]);
  evaluateLocal(model, firstN(heldOut, 100));
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
