import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStockLayersModel } from './helpers/models.js';
import { initEngine } from '../src/engine/backend.js';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { loadToy, toyModes } from '../src/data/toy.js';
import { createModel, loadModel, MODEL_KINDS, recommendedOptimizerOptions } from '../src/models/kinds.js';
import { GAN } from '../src/models/gan.js';
import { VAEGAN } from '../src/models/vaegan.js';
import {
  bceWithLogits,
  criticWassersteinLoss,
  discriminatorLeastSquaresLoss,
  discriminatorMinimaxLoss,
  featureMatchingLoss,
  featureReconstructionLoss,
  generatorLeastSquaresLoss,
  generatorMinimaxLoss,
  generatorNonSaturatingLoss,
  generatorWassersteinLoss,
  gradientPenalty,
  historicalAveragePenalty,
  minibatchFeatures,
  minibatchStddev,
  modeSeekingLoss,
  rootMeanSquareDistances,
} from '../src/models/gan-losses.js';
import type { LossGroup, TensorBatch, TrainableModel } from '../src/models/model.js';
import { modeMetrics } from '../src/eval/gan-toy.js';
import { randomNormal } from '../src/engine/kernels/random.js';
import { fit, resumeRun, TrainStep, type MetricsRecord } from '../src/train/index.js';

await initEngine(); // wasm

const points2 = { shape: [2], kind: 'points' as const };
const tinyImages = { shape: [8, 8, 1], kind: 'images' as const, classes: ['a', 'b', 'c'] };
const small = { hidden: [16, 16], latent: 3 };

const num = (t: tf.Tensor): number => {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
};
const close = (a: number, b: number, tol = 1e-5, what = ''): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what} ${a} ≠ ${b}`);
const softplus = (x: number): number => Math.log1p(Math.exp(x));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A batch of `n` points of a toy set (labels = mode index). */
function toyBatch(set: string, n: number, seed = 0): TensorBatch {
  const ds = loadToy(set, { trainCount: n, testCount: 0, seed }).train;
  return { x: tf.tensor2d(ds.data, [n, ds.shape[0]!]), labels: tf.tensor1d(ds.labels!.values as Int32Array, 'int32') };
}

/** A batch of `n` random 8×8 images in [0, 1] with labels 0, 1, 2, 0, … */
function imageBatch(n: number, seed = 0): TensorBatch {
  return { x: tf.randomUniform([n, 8, 8, 1], 0, 1, 'float32', seed), labels: tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i % 3), 'int32') };
}

const disposeBatch = (b: TensorBatch): void => tf.dispose([b.x, ...(b.labels ? [b.labels] : [])]);

/** The terms of one loss group on a batch, read back (no update). */
function terms(group: LossGroup, batch: TensorBatch, seed = 3): Record<string, number> {
  const t = tf.tidy(() => group.loss(batch, new Rng(seed), 0));
  const out = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.dataSync()[0]!]));
  tf.dispose(Object.values(t));
  return out;
}

/** `times` updates of the loss group `group` on `batch` through the training step (gradients of the group's own variables only). */
async function updates(trainer: TrainStep, batch: TensorBatch, group: string, times = 1): Promise<void> {
  for (let s = 0; s < times; s++) await trainer.run(batch, [{ group, times: 1 }]);
}

/** Copies of every weight (trainable and batch-norm statistics) of some layers models. */
function snapshot(nets: (tfl.LayersModel | null)[]): Float32Array[] {
  return nets.flatMap((n) => (n ? n.weights.map((w) => Float32Array.from(w.read().dataSync())) : []));
}
const same = (a: Float32Array[], b: Float32Array[]): boolean => a.length === b.length && a.every((x, i) => x.every((v, j) => v === b[i]![j]));

test('losses: each matches its formula on hand-computed values', () => {
  const r = [0.5, 2, -1]; // logits / scores on real examples
  const f = [-1, 1.5]; // on generated examples
  const R = tf.tensor1d(r), F = tf.tensor1d(f);
  // Goodfellow et al. 2014: D minimises −log σ(r) − log(1 − σ(f)); G minimises log(1 − σ(f)) (minimax) or −log σ(f).
  close(num(discriminatorMinimaxLoss(R, F)), mean(r.map((x) => -Math.log(sigmoid(x)))) + mean(f.map((x) => -Math.log(1 - sigmoid(x)))), 1e-5, 'D minimax');
  close(num(generatorMinimaxLoss(F)), mean(f.map((x) => Math.log(1 - sigmoid(x)))), 1e-5, 'G minimax');
  close(num(generatorNonSaturatingLoss(F)), mean(f.map((x) => -Math.log(sigmoid(x)))), 1e-5, 'G non-saturating');
  // One-sided label smoothing: real target 0.9, fakes keep 0.
  const a = 0.9;
  close(num(discriminatorMinimaxLoss(R, F, a)), mean(r.map((x) => a * softplus(-x) + (1 - a) * softplus(x))) + mean(f.map(softplus)), 1e-5, 'D smoothed');
  close(num(bceWithLogits(tf.tensor1d([30, -30]), 1)), mean([softplus(-30), softplus(30)]), 1e-5, 'saturated logits stay finite');
  // Mao et al. 2017 (a = 0, b = 1, c = 1).
  close(num(discriminatorLeastSquaresLoss(R, F)), 0.5 * mean(r.map((x) => (x - 1) ** 2)) + 0.5 * mean(f.map((x) => x * x)), 1e-6, 'D lsgan');
  close(num(discriminatorLeastSquaresLoss(R, F, a)), 0.5 * mean(r.map((x) => (x - a) ** 2)) + 0.5 * mean(f.map((x) => x * x)), 1e-6, 'D lsgan smoothed');
  close(num(generatorLeastSquaresLoss(F)), 0.5 * mean(f.map((x) => (x - 1) ** 2)), 1e-6, 'G lsgan');
  // Wasserstein (Arjovsky et al. 2017; Gulrajani et al. 2017).
  close(num(criticWassersteinLoss(R, F)), mean(f) - mean(r), 1e-6, 'critic');
  close(num(generatorWassersteinLoss(F)), -mean(f), 1e-6, 'G wasserstein');
  // Feature matching (Salimans et al. 2016 §3.1): ‖mean f(x) − mean f(G(z))‖².
  const fr = tf.tensor2d([[1, 2], [3, 4]]), ff = tf.tensor2d([[0, 0], [1, 1], [2, 2]]);
  close(num(featureMatchingLoss(fr, ff)), (2 - 1) ** 2 + (3 - 1) ** 2, 1e-6, 'feature matching');
  // Minibatch features (§3.2): B = 1 kernel of C = 2 dims; rows (0,0), (1,0), (0,2): o_i = Σ_{j≠i} exp(−L1).
  const o = minibatchFeatures(tf.tensor2d([[0, 0], [1, 0], [0, 2]]), 1).dataSync();
  const e = Math.exp;
  [e(-1) + e(-2), e(-1) + e(-3), e(-2) + e(-3)].forEach((v, i) => close(o[i]!, v, 1e-5, `o[${i}]`));
  // Minibatch standard deviation (Karras et al. 2018, §3): per group, each feature's population sd over the group,
  // averaged over features, √(v + 1e-8); groups of consecutive rows, the largest divisor of n up to the group size.
  const rows = tf.tensor2d([[0, 0], [2, 0], [1, 1], [1, 5]]);
  const sd = (v: number): number => Math.sqrt(v + 1e-8);
  const pairs = [(sd(1) + sd(0)) / 2, (sd(0) + sd(4)) / 2];
  const whole = (sd(0.5) + sd(4.25)) / 2; // columns [0, 2, 1, 1] and [0, 0, 1, 5]: variances 0.5 and 4.25
  for (const [group, want] of [[2, [pairs[0], pairs[0], pairs[1], pairs[1]]], [3, [pairs[0], pairs[0], pairs[1], pairs[1]]], [4, [whole, whole, whole, whole]], [9, [whole, whole, whole, whole]]] as const) {
    const got = minibatchStddev(rows, group);
    assert.deepEqual(got.shape, [4, 1]);
    got.dataSync().forEach((v, i) => close(v, want[i]!, 1e-5, `minibatch sd, group ${group}, row ${i}`));
    got.dispose();
  }
  rows.dispose();
  // Historical averaging (§3.3): λ Σ‖θ − θ̄‖².
  close(num(historicalAveragePenalty([tf.tensor1d([1, 2]), tf.scalar(3)], [tf.tensor1d([0, 0]), tf.scalar(1)], 0.5)), 0.5 * (1 + 4 + 4), 1e-6, 'historical');
  // VAE-GAN's feature-space reconstruction (Larsen et al. 2016, eq. 7): ½ Σ_f (a − b)², batch mean.
  close(num(featureReconstructionLoss(fr, tf.tensor2d([[0, 2], [3, 2]]))), mean([0.5 * 1, 0.5 * 4]), 1e-6, 'L_llike');
  tf.dispose([R, F, fr, ff]);
});

test('wgan-gp: the penalty is ≈ 0 for a 1-Lipschitz linear critic with unit-norm weights, λ(‖w‖ − 1)² otherwise', () => {
  const real = tf.randomNormal([16, 3], 0, 1, 'float32', 1), fake = tf.randomNormal([16, 3], 0, 1, 'float32', 2);
  const eps = tf.randomUniform([16], 0, 1, 'float32', 3);
  const w = tf.tensor2d([[0.6], [0.8], [0]]); // ‖w‖ = 1
  close(num(gradientPenalty((x) => tf.matMul(x, w), real, fake, eps)), 0, 1e-5, 'unit norm');
  const w2 = tf.mul(w, 2);
  close(num(gradientPenalty((x) => tf.matMul(x, w2 as tf.Tensor2D), real, fake, eps)), 10, 1e-4, 'norm 2: λ·(2 − 1)²');
  // Images: the gradient is flattened per example.
  const img = tf.ones([4, 2, 2, 1]);
  close(num(gradientPenalty((x) => tf.mul(tf.sum(x, [1, 2, 3]), 0.5), img, tf.zerosLike(img), tf.fill([4], 0.3))), 0, 1e-5, '‖∇‖ = ½·√4 = 1');
  // Zero-centred (0-GP): λ‖∇‖² = λ‖w‖², whatever the norm.
  close(num(gradientPenalty((x) => tf.matMul(x, w), real, fake, eps, 3, 0)), 3, 1e-5, '0-GP, unit norm: λ·1');
  close(num(gradientPenalty((x) => tf.matMul(x, w2 as tf.Tensor2D), real, fake, eps, 3, 0)), 12, 1e-4, '0-GP, norm 2: λ·4');
  tf.dispose([real, fake, eps, w, w2, img]);
});

test('zero-centred gradient penalty: adds λ‖∇D(x̂)‖² to D\'s loss only, and its gradient makes D smoother (smaller input gradients after a step)', async () => {
  const batch = toyBatch('ring8', 32);
  const plain = createModel('gan', small, points2, new Rng(8)) as GAN;
  const penalised = createModel('gan', { ...small, zeroCenteredPenalty: 5 }, points2, new Rng(8)) as GAN;
  const tp = terms(plain.lossGroups()[0]!, batch), tz = terms(penalised.lossGroups()[0]!, batch);
  assert.equal(tp['gradientPenalty'], undefined);
  assert.ok(tz['gradientPenalty']! > 0);
  close(tz['loss']!, tz['adversarial']! + tz['gradientPenalty']!, 1e-5, 'loss = adversarial + penalty');
  const inputGradient = (m: GAN): number => num(tf.tidy(() => tf.sum(tf.square(tf.grad((x: tf.Tensor) => tf.sum(m.discriminate(x)))(batch.x)))));
  const before = inputGradient(penalised);
  // Descend the penalty alone (the step's objective), D's variables only.
  const trainer = new TrainStep(penalised, new Rng(0), { optimizer: 'sgd', learningRate: 0.05, objective: (t) => t['gradientPenalty']! });
  await updates(trainer, batch, 'discriminator', 20);
  assert.ok(inputGradient(penalised) < before / 2, `descending the penalty flattens D: ‖∇ₓD‖² ${before} → ${inputGradient(penalised)}`);
  assert.throws(() => createModel('wgan-gp', { ...small, zeroCenteredPenalty: 1 }, points2, new Rng(1)), /has its own gradient penalty/);
  [plain, penalised].forEach((m) => m.dispose());
  trainer.dispose();
  disposeBatch(batch);
});

test('wgan-gp: the second-order gradient of the penalty through a LeakyReLU critic agrees on wasm and cpu', async () => {
  const model = createModel('wgan-gp', { hidden: [8, 8], latent: 2 }, points2, new Rng(1));
  const weights = model.discriminator.getWeights().map((t) => t.dataSync().slice());
  const grads = async (backend: 'wasm' | 'cpu'): Promise<Float32Array[]> => {
    await tf.setBackend(backend);
    const m = createModel('wgan-gp', { hidden: [8, 8], latent: 2 }, points2, new Rng(1));
    m.discriminator.setWeights(weights.map((w, i) => tf.tensor(w, model.discriminator.getWeights()[i]!.shape)));
    const real = tf.tensor2d([[1, 0], [0.5, -2], [2, 1]]), fake = tf.tensor2d([[0, 0.3], [-1, 1], [0.2, 0.2]]);
    const vars = m.discriminatorVariables();
    const { grads: g } = tf.variableGrads(() => gradientPenalty((x) => (m.discriminator.apply(x) as tf.Tensor[])[0]!, real, fake, tf.tensor1d([0.2, 0.5, 0.9])), vars);
    const out = vars.map((v) => (g[v.name] ? Float32Array.from(g[v.name]!.dataSync()) : new Float32Array(0)));
    tf.dispose([real, fake, ...Object.values(g)]);
    m.dispose();
    return out;
  };
  const onCpu = await grads('cpu');
  const onWasm = await grads('wasm');
  model.dispose();
  assert.ok(onCpu.some((g) => g.some((v) => Math.abs(v) > 1e-4)), 'the penalty has a gradient');
  onCpu.forEach((g, i) => g.forEach((v, j) => close(onWasm[i]![j]!, v, 1e-4, `grad ${i}[${j}]`)));
});

test('registry: every GAN kind builds with its defaults; bad combinations give one-line errors', () => {
  for (const kind of ['gan', 'dcgan', 'cgan', 'wgan-gp', 'vaegan'] as const) {
    assert.ok((MODEL_KINDS as readonly string[]).includes(kind));
    const m = createModel(kind, { latent: 4 }, tinyImages, new Rng(1));
    assert.equal(m.kind, kind);
    assert.deepEqual(m.lossGroups().map((g) => g.name), kind === 'vaegan' ? ['encoder', 'decoder', 'discriminator'] : ['discriminator', 'generator']);
    m.dispose();
  }
  const wgan = createModel('wgan-gp', small, points2, new Rng(1));
  assert.equal(wgan.config.loss, 'wgan-gp');
  assert.equal(wgan.lossGroups()[0]!.steps, 5, 'n_critic = 5');
  assert.deepEqual(recommendedOptimizerOptions('dcgan'), { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 });
  assert.deepEqual(recommendedOptimizerOptions('wgan-gp'), { learningRate: 1e-4, beta1: 0, beta2: 0.9 });
  assert.equal(recommendedOptimizerOptions('vae'), null);
  wgan.dispose();
  const bad = (kind: string, options: object, data: object, pattern: RegExp): void =>
    assert.throws(() => createModel(kind, options, data as typeof points2, new Rng(1)), (e: unknown) => e instanceof GenlabError && pattern.test(e.message) && !e.message.includes('\n'));
  bad('dcgan', {}, points2, /conv \(DCGAN\) nets need images/);
  bad('gan', { labelSmoothing: 0.1 }, points2, /target α in \(0\.5, 1\].*got 0\.1/);
  bad('wgan-gp', { labelSmoothing: 0.9 }, points2, /no labels to smooth/);
  bad('wgan-gp', { minibatchDiscrimination: true }, points2, /couples the batch/);
  bad('wgan-gp', { minibatchStddev: 4 }, points2, /couples the batch/);
  bad('gan', { minibatchStddev: 1 }, points2, /minibatchStddev: a group of 1 example has no spread/);
  bad('gan', { minibatchStddev: 2.5 }, points2, /minibatchStddev: expected an integer/);
  bad('gan', { minibatchStddev: 4, minibatchDiscrimination: true }, points2, /one way/);
  bad('gan', { loss: 'hinged' as 'hinge' }, points2, /loss: expected one of minimax, nonsaturating, lsgan, hinge, wgan-gp/);
  bad('cgan', {}, points2, /needs data with class labels/);
  bad('gan', { dSteps: 0 }, points2, /dSteps: expected an integer/);
  bad('vaegan', { loss: 'wgan-gp' }, points2, /expected one of minimax, nonsaturating, lsgan/);
});

test('shareFakes (default with dSteps 1): one pass of G per step, whose batch D\'s update trains on and G\'s update judges with D updated; off, or with dSteps 5, a fresh batch each', async () => {
  const passes = async (options: object) => {
    const m = createModel('cgan', { latent: 4, filters: [4, 8], arch: 'conv', ...options }, tinyImages, new Rng(1)) as GAN;
    const generated: Float32Array[] = [];
    const judged: Float32Array[] = [];
    const g = m.generator.apply.bind(m.generator);
    m.generator.apply = ((...args: Parameters<typeof g>) => {
      const out = g(...args) as tf.Tensor;
      generated.push(out.dataSync() as Float32Array);
      return out;
    }) as typeof g;
    const d = m.discriminator.apply.bind(m.discriminator);
    m.discriminator.apply = ((...args: Parameters<typeof d>) => {
      const [x] = args[0] as tf.Tensor[];
      judged.push(Float32Array.from(x!.dataSync()));
      return d(...args);
    }) as typeof d;
    const trainer = new TrainStep(m, new Rng(5), { learningRate: 0.01 });
    const batch = imageBatch(6);
    await trainer.run(batch);
    const shares = m.lossGroups()[1]!.wraps !== undefined;
    trainer.dispose();
    disposeBatch(batch);
    m.dispose();
    return { shares, generated, judged };
  };
  const shared = await passes({});
  assert.ok(shared.shares);
  assert.equal(shared.generated.length, 1, 'one pass of G');
  // D: real then generated in its update, then generated again in G's update — both the one batch G made.
  assert.equal(shared.judged.length, 3);
  assert.deepEqual(shared.judged[1], shared.generated[0]);
  assert.deepEqual(shared.judged[2], shared.generated[0]);
  for (const options of [{ shareFakes: false }, { loss: 'lsgan', dSteps: 2 }]) {
    const fresh = await passes(options);
    assert.ok(!fresh.shares);
    const updatesOfD = 'dSteps' in options ? 2 : 1;
    assert.equal(fresh.generated.length, updatesOfD + 1, `a pass of G per update (${JSON.stringify(options)})`);
    assert.notDeepEqual(fresh.judged.at(-1), fresh.judged.at(-2));
  }
  const wgan = createModel('wgan-gp', small, points2, new Rng(1));
  assert.equal(wgan.config.shareFakes, false, 'n_critic = 5: each D update its own batch');
  wgan.dispose();
  assert.throws(() => createModel('gan', { dSteps: 5, shareFakes: true }, points2, new Rng(1)), /shareFakes: D's 5 updates per step each train on a fresh generated batch; shareFakes needs dSteps 1/);
});

test('dcgan: the peer architecture (dense 7·7·64 → convT 5×5/2 32 → convT 5×5/2 1, tanh; conv 32 → conv 64 → dense); samples in [0, 1]', () => {
  const m = createModel('dcgan', {}, { shape: [28, 28, 1], kind: 'images' }, new Rng(1));
  const layers = (net: tfl.LayersModel, cls: string) => net.layers.filter((l) => l.getClassName() === cls).map((l) => l.getConfig() as Record<string, unknown>);
  assert.deepEqual(layers(m.generator, 'Dense').map((c) => c['units']), [7 * 7 * 64]);
  assert.deepEqual(layers(m.generator, 'Conv2DTranspose').map((c) => [c['filters'], c['kernelSize'], c['strides']]), [[32, [5, 5], [2, 2]], [1, [5, 5], [2, 2]]]);
  assert.deepEqual(layers(m.discriminator, 'Conv2D').map((c) => [c['filters'], c['kernelSize'], c['strides']]), [[32, [5, 5], [2, 2]], [64, [5, 5], [2, 2]]]);
  assert.equal(layers(m.discriminator, 'BatchNormalization').length, 1, 'BN on every conv of D but the first');
  assert.equal(layers(m.discriminator, 'LeakyReLU').length, 2);
  assert.equal(m.latent, 100);
  const s = m.sample(4, new Rng(2));
  assert.deepEqual(s.shape, [4, 28, 28, 1]);
  const v = s.dataSync();
  assert.ok(v.every((x) => x >= 0 && x <= 1) && Math.max(...v) > Math.min(...v));
  const d = m.discriminate(s);
  assert.deepEqual(d.shape, [4]);
  assert.ok(d.dataSync().every((p) => p > 0 && p < 1), 'P(real)');
  tf.dispose([s, d]);
  m.dispose();
  // Other sizes: padded into D, cropped out of G.
  const odd = createModel('dcgan', { latent: 4, filters: [4, 8] }, { shape: [30, 21, 3], kind: 'images' }, new Rng(1));
  const t = odd.sample(2, new Rng(1));
  assert.deepEqual(t.shape, [2, 30, 21, 3]);
  assert.deepEqual(odd.discriminate(t).shape, [2]);
  t.dispose();
  odd.dispose();
});

test('gan: the discriminator step leaves G unchanged (batch-norm statistics included) and the generator step leaves D unchanged', async () => {
  for (const kind of ['cgan', 'vaegan'] as const) {
    const m = createModel(kind, { latent: 4, filters: [4, 8], ...(kind === 'cgan' ? { arch: 'conv' as const } : {}) }, tinyImages, new Rng(1));
    const batch = imageBatch(6);
    const groups = m.lossGroups();
    const nets: Record<string, (tfl.LayersModel | null)[]> = {
      discriminator: [m.discriminator, m.discriminatorHead],
      generator: [m.generator],
      decoder: [m.generator],
      encoder: m instanceof VAEGAN ? [m.encoder] : [],
    };
    const trainer = new TrainStep(m, new Rng(5), { learningRate: 0.01 });
    for (const group of groups) {
      const before = Object.fromEntries(Object.entries(nets).map(([k, n]) => [k, snapshot(n)]));
      await updates(trainer, batch, group.name);
      for (const [name, n] of Object.entries(nets)) {
        if (n.length === 0) continue;
        const unchanged = same(before[name]!, snapshot(n));
        assert.equal(unchanged, name !== group.name && !(name === 'generator' && group.name === 'decoder') && !(name === 'decoder' && group.name === 'generator'), `${kind}: ${group.name} step, ${name} ${unchanged ? 'unchanged' : 'changed'}`);
      }
    }
    trainer.dispose();
    disposeBatch(batch);
    m.dispose();
  }
});

test('gan on ring8: a small MLP trained a few hundred steps through the training loop raises its high-quality samples', async () => {
  const data = loadToy('ring8', { trainCount: 2048, testCount: 128, seed: 0 });
  const model = createModel('gan', { hidden: [128, 128], latent: 4 }, points2, new Rng(1));
  const quality = (sigmas = 3) => {
    const s = model.sample(2000, new Rng(9));
    const m = modeMetrics(s.dataSync(), 2, toyModes('ring8')!, { sigmas });
    s.dispose();
    return m;
  };
  const before = quality();
  const looseBefore = quality(15);
  const tensors = tf.memory().numTensors;
  const result = await fit(model, data, { steps: 400, batchSize: 64, learningRate: 2e-3, beta1: 0.5, seed: 0 });
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leak over 400 steps of the loop');
  const after = quality();
  const looseAfter = quality(15);
  assert.ok(after.highQuality > before.highQuality, `high quality ${before.highQuality} → ${after.highQuality}`);
  assert.ok(looseAfter.highQuality > looseBefore.highQuality + 0.2, `within 0.3 of a mode ${looseBefore.highQuality} → ${looseAfter.highQuality}`);
  const last = result.metrics.filter((r) => r.split === 'train').at(-1)!;
  for (const k of ['discriminator/loss', 'discriminator/real', 'discriminator/fake', 'generator/loss']) assert.ok(Number.isFinite(last[k] as number), k);
  const test = result.metrics.filter((r) => r.split === 'test').at(-1)!;
  for (const k of ['loss', 'generatorLoss', 'real', 'fake']) assert.ok(Number.isFinite(test[k] as number), `test ${k}`);
  model.dispose();
});

test('label smoothing: D\'s loss rises by exactly (1 − α)·mean real logit; feature matching replaces G\'s loss with ‖E f(x) − E f(G(z))‖²', () => {
  const batch = toyBatch('ring8', 32);
  const plain = createModel('gan', small, points2, new Rng(4));
  const smooth = createModel('gan', { ...small, labelSmoothing: 0.9 }, points2, new Rng(4));
  const tp = terms(plain.lossGroups()[0]!, batch), ts = terms(smooth.lossGroups()[0]!, batch);
  const realLogits = tf.tidy(() => tf.mean(tf.reshape((plain.discriminator.apply(batch.x, { training: true }) as tf.Tensor[])[0]!, [-1])));
  close(ts['loss']! - tp['loss']!, 0.1 * num(realLogits), 1e-4, 'smoothing shift');
  assert.equal(ts['fake'], tp['fake'], 'fakes keep target 0');

  const fm = createModel('gan', { ...small, featureMatching: true }, points2, new Rng(4));
  const t = terms(fm.lossGroups()[1]!, batch, 11);
  assert.equal(t['loss'], t['featureMatching']);
  assert.notEqual(t['loss'], t['adversarial']);
  const expected = tf.tidy(() => {
    const z = tf.randomNormal([32, small.latent], 0, 1, 'float32', new Rng(11).tfSeed());
    const fake = fm.generator.apply(z, { training: true }) as tf.Tensor;
    const ff = (fm.discriminator.apply(fake, { training: true }) as tf.Tensor[])[1]!;
    const fr = (fm.discriminator.apply(batch.x, { training: true }) as tf.Tensor[])[1]!;
    return tf.sum(tf.square(tf.sub(tf.mean(fr, 0), tf.mean(ff, 0))));
  });
  close(t['featureMatching']!, num(expected), 1e-4, 'feature matching');
  [plain, smooth, fm].forEach((m) => m.dispose());
  disposeBatch(batch);
});

test('minibatch discrimination: D\'s verdict on an example depends on the rest of its batch (a collapsed batch looks different)', () => {
  const x = tf.tensor2d([[2, 0], [0, 2], [-2, 0], [0, -2]]);
  const collapsed = tf.tensor2d([[2, 0], [2, 0], [2, 0], [2, 0]]);
  for (const on of [false, true]) {
    const m = createModel('gan', { ...small, minibatchDiscrimination: true, minibatchKernels: 5, minibatchKernelDims: 3, ...(on ? {} : { minibatchDiscrimination: false }) }, points2, new Rng(2)) as GAN;
    assert.equal(m.discriminatorHead !== null, on);
    const a = m.discriminate(x).dataSync()[0]!;
    const b = m.discriminate(collapsed).dataSync()[0]!;
    if (on) {
      assert.notEqual(a, b, 'with minibatch features, the same point scores differently in a collapsed batch');
      // The discriminator body outputs features and the projection M; o = Σ_{j≠i} exp(−L1) = n − 1 for identical rows.
      const o = tf.tidy(() => minibatchFeatures((m.discriminator.apply(collapsed) as tf.Tensor[])[1]!, 5).dataSync());
      assert.ok(o.every((v) => Math.abs(v - 3) < 1e-5));
    } else close(a, b, 1e-6, 'without, examples are scored alone');
    m.dispose();
  }
  tf.dispose([x, collapsed]);
});

test('minibatch standard deviation: a collapsed batch shows no spread, D scores it apart, and G\'s gradient through it spreads the batch', () => {
  const x = tf.tensor2d([[2, 0], [0, 2], [-2, 0], [0, -2]]);
  const collapsed = tf.tensor2d([[2, 0], [2, 0], [2, 0], [2, 0]]);
  for (const group of [0, 4]) {
    const m = createModel('gan', { ...small, minibatchStddev: group }, points2, new Rng(2)) as GAN;
    assert.equal(m.discriminatorHead !== null, group > 0);
    const a = m.discriminate(x).dataSync()[0]!;
    const b = m.discriminate(collapsed).dataSync()[0]!;
    if (group > 0) {
      assert.notEqual(a, b, 'with the batch\'s spread, the same point scores differently in a collapsed batch');
      const spread = (batch: tf.Tensor): number => tf.tidy(() => minibatchStddev(m.discriminator.apply(batch) as tf.Tensor, group).dataSync()[0]!);
      close(spread(collapsed), 1e-4, 1e-6, 'identical rows: √ε');
      assert.ok(spread(x) > 0.01, 'distinct rows spread');
      // D rewarding spread (the head's weight on o positive): the gradient of D's mean logit on a nearly collapsed batch
      // moves its points apart — the signal G gets when its batches have less variety than the data's.
      const head = m.discriminatorHead!.getLayer('discriminator_head_out');
      const [kernel, bias] = head.getWeights();
      const w = kernel!.arraySync() as number[][];
      w[w.length - 1]![0] = 10;
      const boosted = tf.tensor2d(w);
      head.setWeights([boosted, bias!]);
      const near = tf.tensor2d([[2, 0], [2.01, 0], [2, 0.01], [1.99, 0]]);
      const grad = tf.grad((p: tf.Tensor) => tf.mean(m.discriminate(p)))(near);
      const moved = tf.add(near, tf.mul(grad, 0.5 / (tf.max(tf.abs(grad)).dataSync()[0]! + 1e-12)));
      const sdOf = (p: tf.Tensor): number => tf.tidy(() => tf.mean(tf.sqrt(tf.moments(p, 0).variance)).dataSync()[0]!);
      assert.ok(sdOf(moved) > 2 * sdOf(near), `a step up D's gradient spreads the batch (sd ${sdOf(near).toFixed(4)} → ${sdOf(moved).toFixed(4)})`);
      tf.dispose([boosted, near, grad, moved]);
    } else close(a, b, 1e-6, 'without, examples are scored alone');
    m.dispose();
  }
  tf.dispose([x, collapsed]);
});

test('mode seeking: 1 / (image distance over code distance + ε) over pairs of one label, 0 without pairs; weighted into G\'s loss; descending it spreads G\'s outputs', () => {
  const meanAbs = (a: number[], b: number[]): number => mean(a.map((v, i) => Math.abs(v - b[i]!)));
  const x = [[0, 1, 2, 3], [1, 1, 0, 3], [5, 5, 5, 5]];
  const z = [[0, 1], [2, -1], [0, 0]];
  const images = tf.tensor4d(x.flat(), [3, 2, 2, 1]);
  const codes = tf.tensor2d(z);
  const labelled = (rows: number[][]): number => tf.tidy(() => modeSeekingLoss(images, codes, tf.tensor2d(rows)).dataSync()[0]!);
  // labels a, a, b: the one pair (0, 1), counted both ways
  close(labelled([[1, 0], [1, 0], [0, 1]]), 1 / (meanAbs(x[0]!, x[1]!) / meanAbs(z[0]!, z[1]!) + 1e-5), 1e-5, 'one pair');
  const pairs = [[0, 1], [0, 2], [1, 2]] as const;
  const sumOver = (rows: number[][]): number => pairs.reduce((s, [i, j]) => s + meanAbs(rows[i]!, rows[j]!), 0);
  close(tf.tidy(() => modeSeekingLoss(images, codes).dataSync()[0]!), 1 / (sumOver(x) / sumOver(z) + 1e-5), 1e-5, 'unlabelled: every pair');
  assert.equal(labelled([[1, 0, 0], [0, 1, 0], [0, 0, 1]]), 0, 'no two examples share a label');
  const rms = rootMeanSquareDistances(tf.tensor2d(x)).arraySync();
  pairs.forEach(([i, j]) => close(rms[i]![j]!, Math.sqrt(mean(x[i]!.map((v, k) => (v - x[j]![k]!) ** 2))), 1e-5, `root mean square distance ${i}–${j}`));
  close(rms[1]![1]!, 0, 1e-5, 'a row from itself');
  tf.dispose([images, codes]);

  const batch = imageBatch(12);
  const cgan = createModel('cgan', { ...small, modeSeeking: 2 }, tinyImages, new Rng(3)) as GAN;
  const g = terms(cgan.lossGroups().find((l) => l.name === 'generator')!, batch);
  assert.ok(g['modeSeeking']! > 0, 'logged');
  close(g['loss']!, g['adversarial']! + 2 * g['modeSeeking']!, 1e-5, 'λ·term added to the adversarial loss');
  cgan.dispose();
  disposeBatch(batch);
  assert.throws(() => createModel('gan', { ...small, modeSeeking: -1 }, points2, new Rng(0)), /modeSeeking/);
  assert.throws(() => createModel('gan', { ...small, modeSeeking: 1, modeSeekingDistance: 'discriminator', pack: 2 }, points2, new Rng(0)), /modeSeekingDistance: with packing/);
  assert.throws(() => createModel('gan', { ...small, modeSeekingDistance: 'lpips' as never }, points2, new Rng(0)), /modeSeekingDistance/);

  // In D's features: the distances between two images are those of D's last hidden layer on them.
  const points = toyBatch('ring8', 16);
  const featured = createModel('gan', { ...small, modeSeeking: 1, modeSeekingDistance: 'discriminator' }, points2, new Rng(3)) as GAN;
  const logged = terms(featured.lossGroups().find((l) => l.name === 'generator')!, points)['modeSeeking']!;
  const expected = tf.tidy(() => {
    const codes = randomNormal([16, 3], new Rng(3).tfSeed());
    const features = (featured.discriminator.apply(featured.generator.apply(codes, { training: true }) as tf.Tensor, { training: true }) as tf.Tensor[])[1]!;
    return modeSeekingLoss(features, codes, undefined, rootMeanSquareDistances).dataSync()[0]!;
  });
  close(logged, expected, 1e-5, 'the term over D\'s features of G\'s batch');
  featured.dispose();
  disposeBatch(points);

  // A G that maps its codes to nearly one point: steps down the term alone spread its outputs apart.
  const m = createModel('gan', { ...small, modeSeeking: 1 }, points2, new Rng(4)) as GAN;
  const code = tf.randomNormal([32, 3], 0, 1, 'float32', 5);
  const squash = m.generator.layers.at(-1)!;
  squash.setWeights(squash.getWeights().map((w) => tf.mul(w, 0.01)));
  const spread = (): number => tf.tidy(() => {
    const p = m.generator.apply(code) as tf.Tensor;
    return tf.mean(tf.abs(tf.sub(tf.expandDims(p, 1), tf.expandDims(p, 0)))).dataSync()[0]!;
  });
  const before = spread();
  const sgd = tf.train.sgd(0.01);
  const vars = m.generator.trainableWeights.map((w) => w.read() as tf.Variable);
  for (let s = 0; s < 20; s++) sgd.minimize(() => modeSeekingLoss(m.generator.apply(code, { training: true }) as tf.Tensor, code), false, vars);
  const after = spread();
  assert.ok(after > 3 * before, `the outputs spread (mean distance ${before.toExponential(2)} → ${after.toExponential(2)})`);
  sgd.dispose();
  code.dispose();
  m.dispose();
});

test('packing (PacGAN): D judges packs of examples — one output per pack in training, each example its pack\'s verdict from discriminate; a collapsed pack scores apart', () => {
  const x = tf.tensor2d([[2, 0], [0, 2], [-2, 0], [0, -2], [1, 1]]);
  const m = createModel('gan', { ...small, pack: 2 }, points2, new Rng(3)) as GAN;
  assert.deepEqual(m.discriminator.inputs[0]!.shape, [null, 4], 'D sees two 2-D points side by side');
  const d = m.discriminate(x).dataSync();
  assert.equal(d.length, 5);
  close(d[0]!, d[1]!, 1e-6, 'examples 0 and 1 share a pack');
  close(d[2]!, d[3]!, 1e-6, 'examples 2 and 3 share a pack');
  assert.notEqual(d[0], d[2]);
  // The last pack is filled by cycling: [x4, x0].
  const last = m.discriminate(tf.tensor2d([[1, 1], [2, 0]])).dataSync()[0]!;
  close(d[4]!, last, 1e-6, 'a partial pack is filled from the start of the batch');
  // Training: a batch of 5 trains on 2 packs (the odd example is dropped), and the D step's loss is finite.
  const terms = tf.tidy(() => {
    const t = m.discriminatorTerms({ x }, new Rng(1), false);
    return { loss: t.loss.dataSync()[0]!, real: t['real']!.dataSync()[0]! };
  });
  assert.ok(Number.isFinite(terms.loss) && terms.real > 0 && terms.real < 1);
  assert.throws(() => tf.tidy(() => m.discriminatorTerms({ x: tf.tensor2d([[1, 1]]) }, new Rng(1), false)), /pack.*at least 2 examples/);
  assert.throws(() => createModel('wgan-gp', { ...small, pack: 2 }, points2, new Rng(3)), /pack/);
  const conv = createModel('dcgan', { latent: 4, filters: [4, 8], pack: 3 }, { shape: [8, 8, 1], kind: 'images' }, new Rng(3)) as GAN;
  assert.deepEqual(conv.discriminator.inputs[0]!.shape, [null, 8, 8, 3], 'conv D sees three images as channels');
  tf.tidy(() => assert.equal(conv.discriminate(tf.zeros([4, 8, 8, 1])).shape[0], 4));
  tf.dispose(x);
  m.dispose();
  conv.dispose();
});

test('instance noise: σ falls linearly to 0; while on, the blurred distributions overlap and D cannot separate them; once off, the loss is the plain GAN\'s', async () => {
  const batch = toyBatch('ring8', 64);
  const noisy = createModel('gan', { ...small, instanceNoise: 4, instanceNoiseSteps: 100 }, points2, new Rng(6)) as GAN;
  const plain = createModel('gan', small, points2, new Rng(6)) as GAN;
  assert.deepEqual([0, 50, 100, 500].map((s) => noisy.instanceNoiseAt(s)), [4, 2, 0, 0]);
  const [dNoisy, dPlain] = [noisy.lossGroups()[0]!, plain.lossGroups()[0]!];
  const loss = (g: LossGroup, step: number): number => num(tf.tidy(() => g.loss(batch, new Rng(3), step).loss));
  assert.equal(loss(dNoisy, 100), loss(dPlain, 100), 'σ = 0: same weights and seed give the plain loss exactly');
  assert.notEqual(loss(dNoisy, 0), loss(dPlain, 0), 'σ > 0: D sees noisy inputs');
  // Train both D's (G fixed) at step 0, where σ = 4 blurs ring8 (radius 2) and G's blob into overlapping clouds.
  const train = async (m: GAN): Promise<void> => {
    const trainer = new TrainStep(m, new Rng(5), { learningRate: 1e-2 });
    for (let s = 0; s < 150; s++) {
      trainer.step = 0; // every update at global step 0, where σ = 4
      await trainer.run(batch, [{ group: 'discriminator', times: 1 }]);
    }
    trainer.dispose();
  };
  await train(noisy);
  await train(plain);
  const [lNoisy, lPlain] = [loss(dNoisy, 0), loss(dPlain, 0)];
  assert.ok(lPlain < 0.9, `without noise D separates the data from G's blob (loss ${lPlain})`);
  assert.ok(lNoisy > 1.2, `with σ = 4 the blurred distributions overlap: D's loss stays near log 4 = 1.386 (${lNoisy})`);
  assert.throws(() => createModel('gan', { ...small, instanceNoise: -1 }, points2, new Rng(1)), /instanceNoise/);
  [noisy, plain].forEach((m) => m.dispose());
  disposeBatch(batch);
});

test('generatorLossAt: a small move of the fake points against its gradient lowers G\'s loss (the lab\'s arrows), for every loss and with feature matching', () => {
  const real = toyBatch('ring8', 32);
  for (const [loss, fm] of [['minimax', false], ['nonsaturating', false], ['lsgan', false], ['wgan-gp', false], ['nonsaturating', true]] as const) {
    const m = createModel('gan', { ...small, loss, featureMatching: fm }, points2, new Rng(4)) as GAN;
    const fake = tf.randomNormal([32, 2], 0, 1, 'float32', 5);
    const [before, after] = tf.tidy(() => {
      const f = (x: tf.Tensor) => m.generatorLossAt(x, real.x);
      const grad = tf.grad(f)(fake);
      const step = tf.mul(tf.div(grad, tf.add(tf.norm(grad), 1e-12)), 1e-2);
      return [f(fake).dataSync()[0]!, f(tf.sub(fake, step)).dataSync()[0]!];
    });
    assert.ok(after < before, `${loss}${fm ? ' + feature matching' : ''}: ${after} !< ${before}`);
    if (fm) assert.throws(() => m.generatorLossAt(fake), /feature matching/);
    fake.dispose();
    m.dispose();
  }
  disposeBatch(real);
});

test('historical averaging: 0 at the first step, then λ‖θ − mean of past θ‖² (λ/4 ‖θ₂ − θ₁‖² at the second); kept across save/load', async () => {
  const lambda = 0.5;
  const m = createModel('gan', { ...small, historicalAveraging: lambda }, points2, new Rng(3)) as GAN;
  const batch = toyBatch('ring8', 16);
  const dGroup = m.lossGroups()[0]!;
  const trainer = new TrainStep(m, new Rng(2), { optimizer: 'sgd', learningRate: 0.5 });
  const theta1 = m.discriminatorVariables().map((v) => v.clone());
  const t1 = tf.tidy(() => num(tf.variableGrads(() => dGroup.loss(batch, new Rng(1), 0)['historical']!, dGroup.variables).value.clone()));
  close(t1, 0, 1e-7, 'first step');
  await updates(trainer, batch, 'discriminator'); // counts as step 2 of the average: θ̄ = (θ₁ + θ₁)/2 … then θ moves
  const hist = m.historicalAverages()!;
  assert.equal(hist.discriminator.count, 2);
  assert.equal(hist.generator.count, 0, 'the generator has not stepped');
  tf.dispose([...hist.discriminator.averages, ...hist.generator.averages]);
  const theta2 = m.discriminatorVariables().map((v) => v.clone());
  // Third evaluation: θ̄ = (θ₁ + θ₁ + θ₂)/3, penalty λ‖θ₂ − θ̄‖² = λ·(2/3)²‖θ₂ − θ₁‖².
  const got = terms(dGroup, batch)['historical']!;
  const diff = theta2.reduce((s, t, i) => s + num(tf.sum(tf.square(tf.sub(t, theta1[i]!)))), 0);
  assert.ok(diff > 0);
  close(got, lambda * (4 / 9) * diff, 1e-3, 'penalty');
  const dir = await mkdtemp(join(tmpdir(), 'genlab-gan-hist-'));
  try {
    await m.save(dir);
    const loaded = (await loadModel(dir)) as GAN;
    const h = loaded.historicalAverages()!;
    assert.equal(h.discriminator.count, 3);
    const mine = m.historicalAverages()!;
    h.discriminator.averages.forEach((a, i) => assert.deepEqual(Array.from(a.dataSync()), Array.from(mine.discriminator.averages[i]!.dataSync())));
    tf.dispose([...h.discriminator.averages, ...h.generator.averages, ...mine.discriminator.averages, ...mine.generator.averages]);
    loaded.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  tf.dispose([...theta1, ...theta2]);
  trainer.dispose();
  disposeBatch(batch);
  m.dispose();
});

test('save/load: the same seed gives identical samples and D outputs; the networks load with stock tf.loadLayersModel', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'genlab-gan-save-'));
  try {
    const cases: [string, object, typeof points2 | typeof tinyImages][] = [
      ['gan', { ...small, minibatchDiscrimination: true, historicalAveraging: 0.1, loss: 'lsgan' }, points2],
      ['dcgan', { latent: 4, filters: [4, 8] }, tinyImages],
      ['cgan', { latent: 4, arch: 'conv', filters: [4, 8] }, tinyImages],
      ['vaegan', { latent: 4, filters: [4, 8] }, tinyImages],
    ];
    for (const [kind, options, data] of cases) {
      const m = createModel(kind, options, data, new Rng(1)) as GAN | VAEGAN;
      // A few updates, so batch-norm statistics and history are not at their initial values.
      const batch = data === points2 ? toyBatch('ring8', 8) : imageBatch(8);
      const trainer = new TrainStep(m, new Rng(7));
      for (let s = 0; s < 2; s++) await trainer.run(batch);
      await m.save(join(dir, kind));
      const loaded = (await loadModel(join(dir, kind))) as GAN | VAEGAN;
      assert.equal(loaded.kind, kind);
      assert.deepEqual(loaded.config, m.config);
      const a = m.sample(6, new Rng(42)), b = loaded.sample(6, new Rng(42));
      assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), `${kind} samples`);
      const da = m.discriminate(batch.x, kind === 'cgan' ? batch.labels : undefined), db = loaded.discriminate(batch.x, kind === 'cgan' ? batch.labels : undefined);
      assert.deepEqual(Array.from(da.dataSync()), Array.from(db.dataSync()), `${kind} D`);
      assert.deepEqual(terms(loaded.lossGroups()[0]!, batch), terms(m.lossGroups()[0]!, batch), `${kind} losses`);
      const file = JSON.parse(await readFile(join(dir, kind, 'genlab-model.json'), 'utf8'));
      assert.equal(file.format, 'genlab-model');
      assert.ok(typeof file.networks.generator === 'string' && typeof file.networks.discriminator === 'string');
      tf.dispose([a, b, da, db]);
      trainer.dispose();
      disposeBatch(batch);
      loaded.dispose();
      m.dispose();
    }
    const stock = await loadStockLayersModel(join(dir, 'dcgan', 'generator'));
    assert.deepEqual((stock.apply(tf.zeros([1, 4])) as tf.Tensor).shape, [1, 8, 8, 1]);
    stock.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('cgan: samples depend on the label; the default cycles through the classes; labels are required', () => {
  const m = createModel('cgan', { latent: 4, hidden: [16] }, tinyImages, new Rng(1));
  const s = (label: number) => tf.tidy(() => m.sample(4, new Rng(3), tf.fill([4], label, 'int32') as tf.Tensor1D).dataSync());
  assert.notDeepEqual(Array.from(s(0)), Array.from(s(1)));
  assert.deepEqual(Array.from(s(1)), Array.from(s(1)));
  const cycled = tf.tidy(() => m.sample(3, new Rng(3)).dataSync());
  const given = tf.tidy(() => m.sample(3, new Rng(3), tf.tensor1d([0, 1, 2], 'int32')).dataSync());
  assert.deepEqual(Array.from(cycled), Array.from(given));
  const batch = imageBatch(4);
  assert.throws(() => m.lossGroups()[0]!.loss({ x: batch.x }, new Rng(1), 0), /needs class labels/);
  disposeBatch(batch);
  m.dispose();
});

test('vaegan: encoder, decoder and discriminator losses; reconstructions and interpolation in the data range', () => {
  const m = createModel('vaegan', { latent: 4, filters: [4, 8], gamma: 0.5 }, tinyImages, new Rng(1)) as VAEGAN;
  const batch = imageBatch(6);
  const [enc, dec, dis] = m.lossGroups().map((g) => terms(g, batch, 5));
  close(enc!['loss']!, enc!['kl']! + enc!['llike']!, 1e-4, 'encoder = KL + L_llike');
  close(dec!['loss']!, 0.5 * dec!['llike']! + dec!['adversarial']!, 1e-4, 'decoder = γ·L_llike + GAN');
  close(enc!['llike']!, dec!['llike']!, 1e-5, 'same L_llike with the same noise');
  assert.ok(dis!['loss']! > 0 && dis!['real']! > 0 && dis!['real']! < 1);
  const r = m.reconstruct(batch.x);
  assert.deepEqual(r.shape, [6, 8, 8, 1]);
  const path = tf.tidy(() => m.interpolate(tf.slice(batch.x, 0, 2), 5));
  assert.deepEqual(path.shape, [5, 8, 8, 1]);
  assert.ok([...r.dataSync(), ...path.dataSync()].every((v) => v >= 0 && v <= 1));
  tf.dispose([r, path]);
  disposeBatch(batch);
  m.dispose();
});

test('no tensor leak: many steps of every group and evaluate, all options on', async () => {
  const models: [TrainableModel, TensorBatch][] = [
    [createModel('gan', { ...small, featureMatching: true, minibatchDiscrimination: true, labelSmoothing: 0.9, historicalAveraging: 0.01, dSteps: 2, pack: 2, instanceNoise: 0.5, instanceNoiseSteps: 1000, zeroCenteredPenalty: 0.1 }, points2, new Rng(1)), toyBatch('ring8', 16)],
    [createModel('wgan-gp', { ...small, historicalAveraging: 0.01 }, points2, new Rng(1)), toyBatch('ring8', 16)],
    [createModel('cgan', { latent: 4, arch: 'conv', filters: [4, 8], loss: 'minimax', modeSeeking: 1 }, tinyImages, new Rng(1)), imageBatch(8)],
    [createModel('vaegan', { latent: 4, filters: [4, 8], loss: 'lsgan' }, tinyImages, new Rng(1)), imageBatch(8)],
  ];
  for (const [m, batch] of models) {
    const rng = new Rng(1);
    const trainer = new TrainStep(m, new Rng(2));
    await trainer.run(batch); // optimiser accumulators are created on the first update
    const before = tf.memory().numTensors;
    for (let s = 0; s < 5; s++) {
      await trainer.run(batch); // every group, each its `steps` times
      tf.tidy(() => {
        m.evaluate(batch, rng);
      });
      const x = m.sample!(3, new Rng(s));
      x.dispose();
    }
    assert.equal(tf.memory().numTensors, before, `${m.kind}: ${tf.memory().numTensors - before} tensors leaked`);
    trainer.dispose();
    disposeBatch(batch);
    m.dispose();
  }
});

test('resume: a GAN run continued from its checkpoint logs what the uninterrupted run logs (historical averages and batch-norm statistics travel in the checkpoint)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'genlab-gan-resume-'));
  try {
    const data = { train: loadToy('ring8', { trainCount: 96, testCount: 32, seed: 1 }).train, test: loadToy('ring8', { trainCount: 32, testCount: 32, seed: 2 }).test };
    const options = { hidden: [16, 16], latent: 3, batchNorm: true, historicalAveraging: 0.05, minibatchDiscrimination: true, minibatchKernels: 4, minibatchKernelDims: 2 };
    const plan = { batchSize: 32, seed: 5, learningRate: 2e-3, beta1: 0.5 };
    const numbers = (records: readonly MetricsRecord[]) => records.map(({ time: _t, examplesPerSec: _e, ...rest }) => rest);
    const whole = createModel('gan', options, points2, new Rng(1));
    const full = await fit(whole, data, { ...plan, epochs: 3, runDir: join(root, 'full') });
    whole.dispose();
    const half = createModel('gan', options, points2, new Rng(1));
    await fit(half, data, { ...plan, epochs: 1, runDir: join(root, 'half') });
    half.dispose();
    const resumed = await resumeRun(join(root, 'half'), data, { loadModel, epochs: 3 });
    resumed.model.dispose();
    assert.deepEqual(numbers(resumed.metrics), numbers(full.metrics));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
