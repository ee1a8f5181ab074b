/**
 * Image metrics: the float64 eigensolver and matrix square roots against known matrices, each metric on synthetic
 * cases with known answers, then FID/KID/IS/precision/recall/memorisation in the shipped MNIST classifier's space on
 * the known cases of the brief (test images vs training images near the best, uniform noise near the worst, a
 * one-class "generator" caught, copies of training digits flagged). A few thousand images, not all 70 000.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { loadMnist } from '../src/data/mnist.js';
import { subset } from '../src/data/dataset.js';
import { matMul, sqrtPsd, symmetricEigen, traceSqrtProduct } from '../src/math/linalg.js';
import { frechetDistance, gaussianStats } from '../src/math/gaussian.js';
import {
  evaluateImageSamples,
  fid,
  formatImageMetrics,
  inceptionScore,
  kid,
  kthNeighbourDistances,
  memorisationCheck,
  precisionRecall,
  prepareImageReference,
  type ImageMetrics,
} from '../src/eval/image-metrics.js';
import { loadMnistClassifier } from '../src/eval/mnist-classifier.js';

await initEngine();

/** A random orthogonal n × n matrix (Gram–Schmidt on Gaussian columns). */
function randomOrthogonal(n: number, rng: Rng): Float64Array {
  const q = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const v = rng.normals(new Float64Array(n));
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += v[i]! * q[i * n + k]!;
        for (let i = 0; i < n; i++) v[i] = v[i]! - d * q[i * n + k]!;
      }
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) q[i * n + j] = v[i]! / norm;
  }
  return q;
}

/** Q diag(values) Qᵀ. */
function withSpectrum(q: Float64Array, values: number[]): Float64Array {
  const n = values.length;
  const qd = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qd[i * n + j] = q[i * n + j]! * values[j]!;
  const qt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qt[i * n + j] = q[j * n + i]!;
  return matMul(qd, qt, n, n, n);
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

test('symmetricEigen: 2×2 and diagonal matrices have their textbook eigenpairs', () => {
  const e = symmetricEigen([2, 1, 1, 2], 2);
  assert.ok(maxAbsDiff(e.values, [1, 3]) < 1e-15);
  // Eigenvector of 1 is ±(1, −1)/√2, of 3 is ±(1, 1)/√2 (columns).
  assert.ok(Math.abs(Math.abs(e.vectors[0]!) - Math.SQRT1_2) < 1e-15 && Math.abs(e.vectors[0]! + e.vectors[2]!) < 1e-15);
  assert.ok(Math.abs(e.vectors[1]! - e.vectors[3]!) < 1e-15);
  const d = symmetricEigen([5, 0, 0, 0, -2, 0, 0, 0, 7], 3);
  assert.deepEqual(Array.from(d.values), [-2, 5, 7]);
  assert.equal(d.sweeps, 0);
});

test('symmetricEigen: a 128×128 matrix built from known eigenvalues gives them back to 1e-12, with orthonormal vectors', () => {
  const n = 128;
  const rng = new Rng(1);
  const values = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : Math.exp(rng.normal() * 3))); // wide range, some zeros
  const q = randomOrthogonal(n, rng);
  const a = withSpectrum(q, values);
  const e = symmetricEigen(a, n);
  const sorted = [...values].sort((x, y) => x - y);
  const scale = Math.max(...values);
  assert.ok(maxAbsDiff(e.values, sorted) < 1e-12 * scale, `eigenvalue error ${maxAbsDiff(e.values, sorted)}`);
  // A V = V Λ and Vᵀ V = I.
  const av = matMul(a, e.vectors, n, n, n);
  const vl = Float64Array.from(e.vectors, (v, i) => v * e.values[i % n]!);
  assert.ok(maxAbsDiff(av, vl) < 1e-11 * scale);
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vt[i * n + j] = e.vectors[j * n + i]!;
  const eye = Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
  assert.ok(maxAbsDiff(matMul(vt, e.vectors, n, n, n), eye) < 1e-13);
  assert.ok(e.sweeps < 15, `${e.sweeps} sweeps`);
});

test('sqrtPsd: squares back to the matrix, including a singular one; diag(4, 9) → diag(2, 3)', () => {
  assert.ok(maxAbsDiff(sqrtPsd([4, 0, 0, 9], 2), [2, 0, 0, 3]) < 1e-15);
  const n = 40;
  const rng = new Rng(2);
  const values = Array.from({ length: n }, (_, i) => (i < 10 ? 0 : rng.uniform() * 5)); // rank 30
  const a = withSpectrum(randomOrthogonal(n, rng), values);
  const r = sqrtPsd(a, n);
  assert.ok(maxAbsDiff(matMul(r, r, n, n, n), a) < 1e-12);
  assert.ok(maxAbsDiff(r, withSpectrum(symmetricEigen(a, n).vectors, Array.from(symmetricEigen(a, n).values, (l) => Math.sqrt(Math.max(0, l))))) < 1e-7);
});

test('traceSqrtProduct and frechetDistance: closed forms (commuting, 2×2 non-commuting, 1-D) and d(P, P) = 0', () => {
  // Commuting (diagonal): Tr (AB)^{1/2} = Σ √(aᵢbᵢ).
  assert.ok(Math.abs(traceSqrtProduct([1, 0, 0, 4], [9, 0, 0, 1], 2) - (3 + 2)) < 1e-14);
  // 2×2 non-commuting: the eigenvalues λ₁, λ₂ of AB give Tr (AB)^{1/2} = √(tr AB + 2 √det AB).
  const a = [2, 0.7, 0.7, 1];
  const b = [1.5, -0.4, -0.4, 0.8];
  const ab = matMul(Float64Array.from(a), Float64Array.from(b), 2, 2, 2);
  const det = ab[0]! * ab[3]! - ab[1]! * ab[2]!;
  const expected = Math.sqrt(ab[0]! + ab[3]! + 2 * Math.sqrt(det));
  assert.ok(Math.abs(traceSqrtProduct(a, b, 2) - expected) < 1e-14);
  // 1-D Gaussians: (μ₁ − μ₂)² + (σ₁ − σ₂)².
  const g = (mean: number, variance: number) => ({ dim: 1, count: 10, mean: Float64Array.of(mean), cov: Float64Array.of(variance) });
  assert.ok(Math.abs(frechetDistance(g(1, 4), g(-2, 9)) - (9 + 1)) < 1e-14);
  // Diagonal covariances: ‖μ₁ − μ₂‖² + Σ (√aᵢ − √bᵢ)².
  const s1 = { dim: 2, count: 10, mean: Float64Array.of(0, 0), cov: Float64Array.of(4, 0, 0, 1) };
  const s2 = { dim: 2, count: 10, mean: Float64Array.of(3, 4), cov: Float64Array.of(1, 0, 0, 9) };
  assert.ok(Math.abs(frechetDistance(s1, s2) - (25 + 1 + 4)) < 1e-13);
  // The same 128-d statistics: 0 (to rounding).
  const rng = new Rng(3);
  const rows = rng.normals(new Float32Array(500 * 128)).map((v, i) => v * (1 + (i % 128) / 16) + (i % 5));
  const st = gaussianStats(rows, 500, 128);
  assert.ok(Math.abs(frechetDistance(st, st)) < 1e-9, `d(P, P) = ${frechetDistance(st, st)}`);
});

test('gaussianStats: mean and unbiased covariance as numpy.cov', () => {
  const st = gaussianStats([1, 2, 3, 6, 5, 10], 3, 2); // rows (1,2), (3,6), (5,10)
  assert.deepEqual(Array.from(st.mean), [3, 6]);
  assert.deepEqual(Array.from(st.cov), [4, 8, 8, 16]);
});

test('fid and kid on Gaussian features: same distribution ≈ 0, shifted distribution large; kid is unbiased around 0', () => {
  const rng = new Rng(4);
  const d = 16;
  const draw = (n: number, shift: number) => rng.normals(new Float32Array(n * d)).map((v) => v + shift);
  const a = draw(2000, 0), b = draw(2000, 0), c = draw(2000, 1);
  const same = fid(a, 2000, b, 2000, d);
  const shifted = fid(a, 2000, c, 2000, d);
  assert.ok(same < 0.2 && Math.abs(shifted - d) < 0.5, `fid same ${same}, shifted ${shifted} (expected ≈ ${d})`);
  const kSame = kid(a, 2000, b, 2000, d, { subsets: 10, subsetSize: 500, rng: new Rng(5) });
  const kShifted = kid(a, 2000, c, 2000, d, { subsets: 10, subsetSize: 500, rng: new Rng(5) });
  assert.ok(Math.abs(kSame.mean) < 3 * kSame.std + 1e-3, `kid same ${kSame.mean} ± ${kSame.std}`);
  assert.ok(kShifted.mean > 20 * Math.max(kSame.std, 1e-3), `kid shifted ${kShifted.mean}`);
});

test('inceptionScore: 10 confident equally frequent classes → 10; one class or uniform p(y|x) → 1', () => {
  const n = 1000;
  const oneHot = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) oneHot[i * 10 + (i % 10)] = 1;
  assert.ok(Math.abs(inceptionScore(oneHot, n).mean - 10) < 1e-9);
  const single = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) single[i * 10 + 3] = 1;
  assert.ok(Math.abs(inceptionScore(single, n).mean - 1) < 1e-9);
  assert.ok(Math.abs(inceptionScore(new Float32Array(n * 10).fill(0.1), n).mean - 1) < 1e-6);
});

test('precisionRecall and k-NN radii: identical sets → 1, 1; disjoint clusters → 0, 0; half the modes → recall ≈ 0.5', () => {
  const rng = new Rng(6);
  const d = 8;
  const cluster = (n: number, centre: number) => rng.normals(new Float32Array(n * d)).map((v, i) => v * 0.1 + (i % d === 0 ? centre : 0));
  const real = new Float32Array([...cluster(300, 0), ...cluster(300, 10)]);
  assert.deepEqual(precisionRecall(real, 600, real, 600, d), { precision: 1, recall: 1 });
  const far = cluster(600, 100);
  assert.deepEqual(precisionRecall(real, 600, far, 600, d), { precision: 0, recall: 0 });
  const half = cluster(600, 0);
  const pr = precisionRecall(real, 600, half, 600, d);
  assert.ok(pr.precision > 0.75 && pr.recall > 0.35 && pr.recall <= 0.5, JSON.stringify(pr)); // the far mode is never reached
  // k-th neighbour on a line 0, 1, 3, 6: k = 1 → 1, 1, 2, 3 (squared: 1, 1, 4, 9).
  assert.deepEqual(Array.from(kthNeighbourDistances(Float32Array.of(0, 1, 3, 6), 4, 1, 1)), [1, 1, 4, 9]);
});

// ---------------------------------------------------------------------------------------------------------------
// Known cases in the shipped classifier's space

const { train, test: testSplit } = await loadMnist();
const classifier = await loadMnistClassifier();
// Random, disjoint subsets (contiguous ranges of MNIST differ: the first and last 5000 test digits come from
// different writers). "Real" distribution: 4000 training digits. Memorisation: 5000 other training digits are the
// generator's training set, 2000 test digits the held-out set; the samples are other test digits.
const trainOrder = new Rng(11).permutation(train.count);
const testOrder = new Rng(12).permutation(testSplit.count);
const reference = await prepareImageReference(
  {
    name: 'mnist-train-4000',
    real: subset(train, trainOrder.subarray(0, 4000)),
    train: subset(train, trainOrder.subarray(4000, 9000)),
    heldOut: subset(testSplit, testOrder.subarray(0, 2000)),
  },
  { classifier },
);
const testImages = subset(testSplit, testOrder.subarray(2000, 4000));
const threes = subset(testSplit, testOrder.subarray(4000).filter((i) => testSplit.labels!.values[i] === 3));
const copies = subset(train, trainOrder.subarray(4000, 5000));
const noise = new Float32Array(2000 * 784);
const grey = new Float32Array(500 * 784);
{
  const rng = new Rng(8);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.uniform();
  for (let i = 0; i < grey.length; i++) grey[i] = Math.min(1, Math.max(0, 0.5 + 0.05 * rng.normal()));
}

/** 3×3 box blur of 28×28 images (edges clamped). */
function blur(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < x.length / 784; b++) {
    for (let y = 0; y < 28; y++) {
      for (let c = 0; c < 28; c++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += x[b * 784 + Math.min(27, Math.max(0, y + dy)) * 28 + Math.min(27, Math.max(0, c + dx))]!;
        out[b * 784 + y * 28 + c] = s / 9;
      }
    }
  }
  return out;
}

const results = new Map<string, ImageMetrics>();
async function evaluate(name: string, samples: Parameters<typeof evaluateImageSamples>[0], memorisationCount = 1000): Promise<ImageMetrics> {
  const m = await evaluateImageSamples(samples, { reference, classifier, seed: 0, memorisationCount });
  results.set(name, m);
  return m;
}

test('known case: test digits vs training digits score near the best', async () => {
  const m = await evaluate('test digits', testImages);
  assert.ok(m.fid < 10, `fid ${m.fid}`);
  assert.ok(m.kid < 1, `kid ${m.kid} ± ${m.kidStd}`);
  assert.ok(m.inceptionScore > 9 && Math.abs(m.inceptionScore - m.realInceptionScore) < 0.3, `IS ${m.inceptionScore} vs real ${m.realInceptionScore}`);
  assert.ok(m.precision > 0.75 && m.recall > 0.75, `precision ${m.precision}, recall ${m.recall}`);
  const mem = m.memorisation!;
  assert.equal(mem.flagged, false);
  assert.ok(mem.nearCopies < 0.04 && mem.nearTrain.z < 3 && Math.abs(mem.medianRatio - 1) < 0.2, JSON.stringify(mem));
});

test('known case: uniform noise scores near the worst', async () => {
  const m = await evaluate('uniform noise', noise, 300);
  const best = results.get('test digits')!;
  assert.ok(m.fid > 50 * best.fid && m.kid > 50 * best.kid, `fid ${m.fid} vs ${best.fid}, kid ${m.kid} vs ${best.kid}`);
  assert.ok(m.inceptionScore < 2, `IS ${m.inceptionScore}`);
  assert.ok(m.precision < 0.01 && m.recall < 0.01, `precision ${m.precision}, recall ${m.recall}`);
  assert.equal(m.memorisation!.flagged, false);
  assert.ok(m.memorisation!.medianRatio > 2);
  // Constant grey (an untrained generator's output) too; in the penultimate features alone its precision would be 1.
  const g = await evaluate('constant grey', grey, 0);
  assert.ok(g.fid > 50 * best.fid && g.inceptionScore < 2 && g.precision < 0.05 && g.recall < 0.01, JSON.stringify(g));
});

test('known case: a "generator" that only outputs threes is caught (low recall, IS ≈ 1) while precision stays high', async () => {
  const m = await evaluate('only threes', threes, 0);
  assert.ok(m.recall < 0.2, `recall ${m.recall}`);
  assert.ok(m.inceptionScore < 1.5, `IS ${m.inceptionScore}`);
  assert.ok(m.precision > 0.7, `precision ${m.precision}`);
  assert.ok(m.fid > 10 * results.get('test digits')!.fid, `fid ${m.fid}`);
  assert.ok(m.classCounts[3]! > 0.95 * m.count);
});

test('known case: copies of training digits are flagged by the memorisation check; FID of a set with itself ≈ 0', async () => {
  const m = await evaluate('training copies', copies);
  const mem = m.memorisation!;
  assert.equal(mem.flagged, true);
  assert.ok(mem.sampleToTrain.median < 1e-2 && mem.nearCopies > 0.95 && mem.nearTrain.share > 0.99 && mem.nearTrain.z > 10, JSON.stringify(mem));
  // A fifth of copies among new digits is still caught; blurred new digits (close to many digits, copies of none) are not.
  const mixed = new Float32Array(500 * 784);
  mixed.set(copies.data.subarray(0, 100 * 784));
  mixed.set(testImages.data.subarray(0, 400 * 784), 100 * 784);
  const baseline = reference.heldOut.subarray(0, 500 * 784);
  const partial = memorisationCheck(mixed, reference.train, reference.heldOut, baseline);
  assert.ok(partial.flagged && partial.nearCopies > 0.15, JSON.stringify(partial));
  const blurred = memorisationCheck(blur(testImages.data.subarray(0, 500 * 784)), reference.train, reference.heldOut, baseline);
  assert.equal(blurred.flagged, false, JSON.stringify(blurred));
  if (process.env['GENLAB_PRINT_METRICS']) console.log(JSON.stringify({ partial, blurred }));
  const { features, count } = reference.real;
  const self = fid(features, count, features, count);
  assert.ok(Math.abs(self) < 1e-6, `fid self ${self}`);
  assert.deepEqual(precisionRecall(features, count, features, count), { precision: 1, recall: 1 });
});

test('evaluateImageSamples: tensors accepted, out-of-range values and empty input refused, seeded subsets reproducible', async () => {
  const x = tf.tensor4d(testImages.data.subarray(0, 300 * 784), [300, 28, 28, 1]);
  const before = tf.memory().numTensors;
  const a = await evaluateImageSamples(x, { reference, classifier, count: 200, seed: 5, memorisationCount: 50, kidSubsets: 2 });
  const b = await evaluateImageSamples(testImages.data.subarray(0, 300 * 784), { reference, classifier, count: 200, seed: 5, memorisationCount: 50, kidSubsets: 2 });
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  x.dispose();
  assert.equal(a.count, 200);
  assert.deepEqual(a, b);
  await assert.rejects(evaluateImageSamples(Float32Array.from({ length: 784 * 4 }, () => -1), { reference, classifier }), /expected images in \[0, 1\]/);
  await assert.rejects(evaluateImageSamples(new Float32Array(10), { reference, classifier }), /28×28×1/);
  assert.ok(formatImageMetrics(a).some((l) => l.startsWith('FID')));
});

test('summary of the known cases', () => {
  const rows = [...results].map(([name, m]) => ({
    name,
    fid: +m.fid.toFixed(3),
    kid: +m.kid.toFixed(4),
    is: +m.inceptionScore.toFixed(2),
    precision: m.precision,
    recall: m.recall,
    memorisation: m.memorisation
      ? `ratio ${m.memorisation.medianRatio.toFixed(3)} near ${m.memorisation.nearCopies.toFixed(3)} share ${m.memorisation.nearTrain.share.toFixed(3)}/${m.memorisation.nearTrain.expected.toFixed(3)} z ${m.memorisation.nearTrain.z.toFixed(1)} ${m.memorisation.flagged ? 'FLAGGED' : 'ok'}`
      : '—',
  }));
  if (process.env['GENLAB_PRINT_METRICS']) console.log(JSON.stringify(rows, null, 1), `real IS ${reference.realInceptionScore.toFixed(3)}`);
  assert.equal(rows.length, 5);
});
