/**
 * Spectral normalisation of D (Miyato et al. 2018) and the moving average of G's weights (Karras et al. 2018;
 * Yazıcı et al. 2019): after training steps every normalised D kernel has spectral norm ≈ 1 (on every Node backend),
 * the gradient reaches W through W/σ(W) with u, v constants, D's outputs survive save/load bit for bit; the averaged
 * weights are the closed-form average of G's history, samples come from them, they save, load and resume exactly;
 * no tensor leaks. Tiny models, a few steps each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../src/engine/backend.js';
import { loadLayersModel } from '../src/engine/model-io.js';
import { loadNativeAddon } from '../src/engine/native.js';
import { Rng } from '../src/engine/rng.js';
import { loadToy } from '../src/data/toy.js';
import { symmetricEigen } from '../src/math/linalg.js';
import { createModel, loadModel, type ModelOptions } from '../src/models/kinds.js';
import { GAN } from '../src/models/gan.js';
import type { DataInfo, TensorBatch } from '../src/models/model.js';
import { fit, resumeRun, TrainStep, type MetricsRecord } from '../src/train/index.js';
import { runMain } from './helpers/cli.js';

await initEngine({ backend: 'cpu' });

const nativeBuilt = ((): boolean => {
  try {
    loadNativeAddon();
    return true;
  } catch {
    return false;
  }
})();
const BACKENDS = [...(nativeBuilt ? ['native' as const] : []), 'wasm' as const, 'cpu' as const];

const points2 = { shape: [2], kind: 'points' as const };
const images = { shape: [8, 8, 1], kind: 'images' as const, classes: ['a', 'b', 'c'] };

function pointBatch(n: number, seed = 0): TensorBatch {
  const ds = loadToy('ring8', { trainCount: n, testCount: 0, seed }).train;
  return { x: tf.tensor2d(ds.data, [n, 2]), labels: tf.tensor1d(ds.labels!.values as Int32Array, 'int32') };
}
function imageBatch(n: number, seed = 0): TensorBatch {
  return { x: tf.randomUniform([n, 8, 8, 1], 0, 1, 'float32', seed), labels: tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i % 3), 'int32') };
}
const disposeBatch = (b: TensorBatch): void => tf.dispose([b.x, ...(b.labels ? [b.labels] : [])]);
const values = (ws: readonly (tf.Tensor | tfl.LayerVariable)[]): Float32Array[] =>
  ws.map((w) => Float32Array.from(('read' in w ? w.read() : w).dataSync()));
const sameValues = (a: Float32Array[], b: Float32Array[]): boolean => a.length === b.length && a.every((x, i) => x.length === b[i]!.length && x.every((v, j) => v === b[i]![j]));

/** The largest singular value of a kernel as the matrix reshape(W, [−1, out]), in float64: √ of λ_max(MᵀM). */
function spectralNorm(w: tf.Tensor): number {
  const out = w.shape[w.rank - 1]!;
  const m = w.dataSync();
  const rows = m.length / out;
  const gram = new Float64Array(out * out);
  for (let r = 0; r < rows; r++) for (let i = 0; i < out; i++) for (let j = 0; j < out; j++) gram[i * out + j]! += m[r * out + i]! * m[r * out + j]!;
  const eig = symmetricEigen(gram, out);
  return Math.sqrt(eig.values[out - 1]!);
}

/** The normalised kernels' spectral norms, and the layer names of D. */
function normalisedNorms(gan: GAN): number[] {
  const w = tf.tidy(() => gan.spectralNormaliser!.normalisedKernels());
  const norms = w.map(spectralNorm);
  tf.dispose(w);
  return norms;
}

for (const backend of BACKENDS) {
  test(`${backend}: spectral normalisation — after training steps every D kernel of W/σ(W) has spectral norm ≈ 1 (dcgan, gan with minibatch discrimination, wgan-gp)`, async () => {
    await initEngine({ backend });
    try {
      const cases: { kind: 'dcgan' | 'gan' | 'wgan-gp'; options: ModelOptions; data: DataInfo; batch: () => TensorBatch }[] = [
        { kind: 'dcgan', options: { filters: [4, 8], latent: 3 }, data: images, batch: () => imageBatch(8) },
        { kind: 'gan', options: { hidden: [16, 8], latent: 3, minibatchDiscrimination: true, minibatchKernels: 3, minibatchKernelDims: 2 }, data: points2, batch: () => pointBatch(16) },
        { kind: 'wgan-gp', options: { hidden: [16, 8], latent: 3, dSteps: 2 }, data: points2, batch: () => pointBatch(16) },
      ];
      for (const c of cases) {
        const gan = createModel(c.kind, { ...c.options, spectralNorm: true }, c.data, new Rng(1)) as GAN;
        const sn = gan.spectralNormaliser!;
        const kernels = sn.kernels.map((k) => k.originalName);
        // Every dense and conv kernel of D (head and minibatch projection included), no batch norm in D.
        const expected = c.kind === 'dcgan' ? ['discriminator_conv1/kernel', 'discriminator_conv2/kernel', 'discriminator_out/kernel']
          : c.kind === 'gan' ? ['discriminator_dense1/kernel', 'discriminator_dense2/kernel', 'discriminator_minibatch_T/kernel', 'discriminator_head_out/kernel']
          : ['discriminator_dense1/kernel', 'discriminator_dense2/kernel', 'discriminator_out/kernel'];
        assert.deepEqual(kernels, expected, c.kind);
        assert.equal(gan.discriminator.layers.filter((l) => l.getClassName() === 'BatchNormalization').length, 0, `${c.kind}: no batch norm in a spectrally normalised D`);
        const batch = c.batch();
        const before = values(sn.kernels);
        const trainer = new TrainStep(gan, new Rng(2), { learningRate: 2e-4, beta1: 0.5 }); // Radford et al.'s Adam
        let terms = await trainer.run(batch);
        for (let s = 0; s < 3; s++) terms = await trainer.run(batch);
        assert.ok(terms.values.every(Number.isFinite), `${c.kind}: finite terms ${terms.values}`);
        const after = values(sn.kernels);
        after.forEach((w, i) => assert.ok(w.some((v, j) => v !== before[i]![j]), `${c.kind}: kernel ${kernels[i]} was trained`));
        for (const [i, norm] of normalisedNorms(gan).entries()) {
          // σ̂ = vᵀMu ≤ σ_max for unit u, v, so ‖W/σ̂‖₂ ≥ 1; one power iteration per D step keeps it within a few per
          // cent while W moves slowly (up to 5–10 % on these tiny nets at lr 2e-3, whose top singular values are close).
          assert.ok(norm >= 1 - 1e-5 && norm < 1.05, `${backend} ${c.kind}: ‖W/σ(W)‖₂ of ${kernels[i]} is ${norm}`);
        }
        // More iterations converge to the exact σ: the estimator is the largest singular value.
        sn.powerIteration(200);
        for (const [i, norm] of normalisedNorms(gan).entries()) assert.ok(Math.abs(norm - 1) < 1e-4, `${backend} ${c.kind}: converged ‖W/σ(W)‖₂ of ${kernels[i]} is ${norm}`);
        trainer.dispose();
        disposeBatch(batch);
        gan.dispose();
      }
    } finally {
      await initEngine({ backend: 'cpu' });
    }
  });
}

test('spectral normalisation: ∇_W of a loss through W/σ(W) is (G − ⟨G, W/σ⟩ v uᵀ)/σ, u and v held constant (Miyato et al. §2.3)', () => {
  const gan = createModel('gan', { hidden: [6, 5], latent: 2, spectralNorm: true }, points2, new Rng(4)) as GAN;
  const sn = gan.spectralNormaliser!;
  sn.kernels.forEach((k, i) => {
    const w = k.read() as tf.Variable;
    const g = tf.randomNormal(w.shape, 0, 1, 'float32', 10 + i);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(sn.normalisedKernels()[i]!, g)) as tf.Scalar, [w]);
    const [sigmaT] = [sn.sigmas()[i]!];
    const sigma = sigmaT.dataSync()[0]!;
    const uv = tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(sn.v[i]!, [-1, 1]), tf.reshape(sn.u[i]!, [1, -1])), w.shape)); // ∂σ/∂M = v uᵀ (M = reshape(W, [−1, out]))
    const expected = tf.tidy(() => tf.sub(tf.div(g, sigma), tf.mul(uv, value.dataSync()[0]! / sigma)));
    const got = grads[w.name]!.dataSync();
    const want = expected.dataSync();
    for (let j = 0; j < want.length; j++) assert.ok(Math.abs(got[j]! - want[j]!) <= 1e-4 * (1 + Math.abs(want[j]!)), `kernel ${i}, element ${j}: ${got[j]} ≠ ${want[j]}`);
    tf.dispose([g, value, ...Object.values(grads), sigmaT, uv, expected]);
  });
  gan.dispose();
});

test('spectral normalisation: a D step changes D and u, a G step changes neither; D outputs are identical after save/load, and training continues identically', async () => {
  const root = await mkdtemp(join(tmpdir(), 'genlab-sn-'));
  try {
    for (const kind of ['dcgan', 'cgan'] as const) {
      const gan = createModel(kind, { filters: [4, 8], latent: 3, arch: 'conv', spectralNorm: true, loss: 'hinge' }, images, new Rng(1)) as GAN;
      const sn = gan.spectralNormaliser!;
      const batch = imageBatch(8, 3);
      const trainer = new TrainStep(gan, new Rng(2));
      const u0 = values(sn.u);
      const d0 = values(gan.discriminator.trainableWeights);
      await trainer.run(batch, [{ group: 'generator', times: 1 }]);
      assert.ok(sameValues(values(sn.u), u0) && sameValues(values(gan.discriminator.trainableWeights), d0), `${kind}: a G step leaves D and its u alone`);
      const terms = await trainer.run(batch, [{ group: 'discriminator', times: 2 }]);
      assert.ok(terms.values.every(Number.isFinite));
      assert.ok(!sameValues(values(sn.u), u0), `${kind}: a D step iterates u`);
      assert.ok(!sameValues(values(gan.discriminator.trainableWeights), d0), `${kind}: a D step trains D`);

      const dir = join(root, kind);
      const before = Array.from(gan.discriminate(batch.x, batch.labels as tf.Tensor1D).dataSync());
      await gan.save(dir);
      const loaded = (await loadModel(dir)) as GAN;
      assert.deepEqual(Array.from(loaded.discriminate(batch.x, batch.labels as tf.Tensor1D).dataSync()), before, `${kind}: D's outputs after loading`);
      assert.ok(sameValues(values(loaded.spectralNormaliser!.u), values(sn.u)) && sameValues(values(loaded.spectralNormaliser!.v), values(sn.v)));
      // One more step of each, from the same state and the same stream: the same weights and vectors.
      const other = new TrainStep(loaded, new Rng(7));
      const mine = new TrainStep(gan, new Rng(7));
      await mine.run(batch);
      await other.run(batch);
      assert.ok(sameValues(values(gan.variables()), values(loaded.variables())), `${kind}: a step after loading = a step before saving`);
      [trainer, other, mine].forEach((t) => t.dispose());
      loaded.dispose();
      disposeBatch(batch);
      gan.dispose();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('moving average of G: the averaged weights are Σ (1 − β) β^(t−k) θ_k / (1 − β^t) over the G updates (batch-norm statistics included); training itself is unchanged', async () => {
  const beta = 0.6;
  const options = { hidden: [8], latent: 2, batchNorm: true };
  const gan = createModel('gan', { ...options, emaDecay: beta }, points2, new Rng(1));
  const plain = createModel('gan', options, points2, new Rng(1));
  const lazy = createModel('gan', { ...options, emaDecay: beta }, points2, new Rng(1)); // its average is read only at the end
  const batch = pointBatch(32);
  const trainers = [gan, plain, lazy].map((m) => new TrainStep(m, new Rng(2)));
  const thetas: Float32Array[][] = [];
  const initial = values(gan.generator.weights);
  assert.ok(sameValues(values(gan.averagedGenerator()!.weights), initial), 'the average starts as G');
  const steps = 4;
  for (let t = 1; t <= steps; t++) {
    for (const tr of trainers) await tr.run(batch);
    thetas.push(values(gan.generator.weights));
    if (t === 1) assert.ok(sameValues(values(gan.averagedGenerator()!.weights), thetas[0]!), 'bias-corrected: after one update the average is θ₁');
    assert.equal(gan.averageCount, t);
  }
  assert.ok(sameValues(values(plain.generator.weights), thetas[steps - 1]!), 'the average does not change how G trains');
  const averaged = values(gan.averagedGenerator()!.weights);
  assert.ok(sameValues(values(lazy.averagedGenerator()!.weights), averaged), 'when the average is read does not matter');
  const norm = 1 - beta ** steps;
  averaged.forEach((a, i) => {
    for (let j = 0; j < a.length; j++) {
      let want = 0;
      for (let k = 1; k <= steps; k++) want += ((1 - beta) * beta ** (steps - k) * thetas[k - 1]![i]![j]!) / norm;
      assert.ok(Math.abs(a[j]! - want) <= 1e-5 * (1 + Math.abs(want)), `weight ${gan.generator.weights[i]!.name}[${j}]: ${a[j]} ≠ ${want}`);
    }
  });
  assert.ok(!sameValues(averaged, thetas[steps - 1]!), 'the average is not G');

  // Samples, generate and evaluate use the averaged generator.
  const z = gan.noise(5, new Rng(9));
  const viaAverage = tf.tidy(() => (gan.averagedGenerator()!.apply(z, { training: false }) as tf.Tensor).dataSync());
  const viaTrained = tf.tidy(() => (gan.generator.apply(z, { training: false }) as tf.Tensor).dataSync());
  const sample = gan.sample(5, new Rng(9));
  assert.deepEqual(Array.from(sample.dataSync()), Array.from(viaAverage));
  assert.notDeepEqual(Array.from(sample.dataSync()), Array.from(viaTrained));
  const generated = gan.generate(z);
  assert.deepEqual(Array.from(generated.dataSync()), Array.from(viaAverage));
  tf.dispose([z, sample, generated]);
  const evalOf = (m: GAN): number[] => {
    const r = m.evaluate(batch, new Rng(4));
    const out = Object.values(r).map((t) => t.dataSync()[0]!);
    tf.dispose(Object.values(r));
    return out;
  };
  assert.notDeepEqual(evalOf(gan as GAN), evalOf(plain as GAN), 'evaluation generates with the averaged G');

  trainers.forEach((t) => t.dispose());
  [gan, plain, lazy].forEach((m) => m.dispose());
  disposeBatch(batch);
});

test('moving average of G: save/load round-trips the averaged and the trained G (generator/ is the average) and the count', async () => {
  const root = await mkdtemp(join(tmpdir(), 'genlab-ema-'));
  try {
    const gan = createModel('dcgan', { filters: [4, 8], latent: 3, emaDecay: 0.9, spectralNorm: true }, images, new Rng(1)) as GAN;
    const batch = imageBatch(8);
    const trainer = new TrainStep(gan, new Rng(2));
    for (let s = 0; s < 3; s++) await trainer.run(batch);
    await gan.save(root);
    const loaded = (await loadModel(root)) as GAN;
    assert.equal(loaded.averageCount, 3);
    assert.ok(sameValues(values(loaded.averagedGenerator()!.weights), values(gan.averagedGenerator()!.weights)), 'averaged weights');
    assert.ok(sameValues(values(loaded.generator.weights), values(gan.generator.weights)), 'trained weights');
    const plainGenerator = await loadLayersModel(join(root, 'generator'));
    assert.ok(sameValues(values(plainGenerator.weights), values(gan.averagedGenerator()!.weights)), 'generator/ alone is the averaged G');
    plainGenerator.dispose();
    const a = gan.sample(4, new Rng(3));
    const b = loaded.sample(4, new Rng(3));
    assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
    tf.dispose([a, b]);
    trainer.dispose();
    disposeBatch(batch);
    gan.dispose();
    loaded.dispose();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('resume: a run with spectral normalisation and a moving average of G continued from its checkpoint logs and ends as the uninterrupted run', async () => {
  const root = await mkdtemp(join(tmpdir(), 'genlab-sn-ema-resume-'));
  try {
    const data = { train: loadToy('ring8', { trainCount: 96, testCount: 32, seed: 1 }).train, test: loadToy('ring8', { trainCount: 32, testCount: 32, seed: 2 }).test };
    const options = { hidden: [16, 16], latent: 3, batchNorm: true, spectralNorm: true, emaDecay: 0.9 };
    const plan = { batchSize: 32, seed: 5, learningRate: 2e-3, beta1: 0.5, qualitySamples: 200 };
    const numbers = (records: readonly MetricsRecord[]) => records.map(({ time: _t, examplesPerSec: _e, ...rest }) => rest);
    const whole = createModel('gan', options, points2, new Rng(1));
    const full = await fit(whole, data, { ...plan, epochs: 3, runDir: join(root, 'full') });
    const half = createModel('gan', options, points2, new Rng(1));
    await fit(half, data, { ...plan, epochs: 1, runDir: join(root, 'half') });
    half.dispose();
    const resumed = await resumeRun(join(root, 'half'), data, { loadModel, epochs: 3 });
    assert.deepEqual(numbers(resumed.metrics), numbers(full.metrics));
    assert.ok(sameValues(values(resumed.model.variables()), values(whole.variables())), 'every weight, the averaged G and u, v alike');
    resumed.model.dispose();
    whole.dispose();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('no tensor leaks: steps, samples, evaluation and D with spectral normalisation and a moving average', async () => {
  const gan = createModel('cgan', { arch: 'conv', filters: [4, 8], latent: 3, spectralNorm: true, emaDecay: 0.99, r1Penalty: 1 }, images, new Rng(1));
  const batch = imageBatch(8);
  const trainer = new TrainStep(gan, new Rng(2));
  const rng = new Rng(3);
  await trainer.run(batch); // optimiser accumulators are created on the first update
  const before = tf.memory().numTensors;
  for (let s = 0; s < 4; s++) {
    await trainer.run(batch);
    tf.tidy(() => {
      gan.evaluate(batch, rng);
      gan.discriminate(batch.x, batch.labels as tf.Tensor1D);
    });
    gan.sample(3, new Rng(s)).dispose();
  }
  assert.equal(tf.memory().numTensors, before, `${tf.memory().numTensors - before} tensors leaked`);
  trainer.dispose();
  disposeBatch(batch);
  gan.dispose();
});

test('the options: strict configs and bounds, and `genlab train dcgan --help` lists --spectral-norm and --ema', async () => {
  assert.throws(() => createModel('vae', { spectralNorm: true }, images, new Rng(0)), /spectralNorm: not an option of vae/);
  assert.throws(() => createModel('vaegan', { emaDecay: 0.9 }, images, new Rng(0)), /emaDecay: not an option of vaegan/);
  assert.throws(() => createModel('gan', { emaDecay: 1 }, points2, new Rng(0)), /emaDecay: expected a number in \[0, 0\.999999\]/);
  assert.throws(() => createModel('gan', { spectralNorm: 'yes' as unknown as boolean }, points2, new Rng(0)), /spectralNorm: expected true or false/);
  const off = createModel('dcgan', { filters: [4] }, images, new Rng(0)) as GAN;
  assert.equal(off.spectralNormaliser, null);
  assert.equal(off.averagedGenerator(), null);
  off.dispose();
  const help = await runMain(['train', 'dcgan', '--help']);
  assert.match(help.stdout, /--spectral-norm\s+spectral normalisation of D/);
  assert.match(help.stdout, /--ema <x>\s+decay β of a moving average of the weights \(a\s+GAN’s G/);
});
