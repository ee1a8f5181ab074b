import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { engineInfo, initEngine } from '../src/engine/backend.js';
import { nativeKernelCalls, registerNativeBackend } from '../src/engine/native.js';
import {
  LOG_2PI,
  bernoulliLogLikelihood,
  bernoulliReconstruction,
  diagonalNormalLogDensityOfNoise,
  gaussianLogLikelihood,
  klDivergenceToStandardNormal,
  klPerExample,
  klWeight,
  l2WeightDecay,
  lectureRegularizer,
  logMeanExp,
  meanVariance,
  reparameterize,
  standardNormalLogDensity,
} from '../src/models/losses.js';
import { assertClose, valuesOn } from './helpers/backends.js';

await initEngine();

const close = (a: number, b: number, tol = 1e-4, what = ''): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

test('bernoulliLogLikelihood: Σ x log p + (1 − x) log(1 − p), stable for saturated logits', () => {
  const x = tf.tensor2d([[1, 0, 0.3], [0, 1, 1]]);
  const logits = tf.tensor2d([[2, -1, 0.5], [300, -300, 40]]);
  const ll = values(bernoulliLogLikelihood(x, logits));
  const ref = (xs: number[], ls: number[]): number =>
    xs.reduce((s, xi, i) => {
      const p = 1 / (1 + Math.exp(-ls[i]!));
      return s + xi * Math.log(p) + (1 - xi) * Math.log(1 - p);
    }, 0);
  close(ll[0]!, ref([1, 0, 0.3], [2, -1, 0.5]), 1e-5, 'row 0');
  // Row 1: logits ±300 predicting the wrong pixel cost exactly 300 nats each (no Infinity, no NaN); 40 costs ~e^−40.
  close(ll[1]!, -600, 1e-6, 'row 1');
  close(bernoulliReconstruction(x, logits).dataSync()[0]!, -(ll[0]! + ll[1]!) / 2, 1e-6, 'batch mean');
});

test('gaussianLogLikelihood: full log N(x; μ, σ²) with constants, fixed / scalar / per-dim variance', () => {
  const x = tf.tensor2d([[0.5, 1.5]]);
  const mu = tf.tensor2d([[0, 1]]);
  const ref = (lv: number[]): number => [0.5, 0.5].reduce((s, d, i) => s - 0.5 * (LOG_2PI + lv[i]! + (d * d) / Math.exp(lv[i]!)), 0);
  close(values(gaussianLogLikelihood(x, mu, 0))[0]!, ref([0, 0]), 1e-6, 'fixed σ = 1');
  close(values(gaussianLogLikelihood(x, mu, tf.scalar(Math.log(0.04))))[0]!, ref([Math.log(0.04), Math.log(0.04)]), 1e-5, 'scalar');
  close(values(gaussianLogLikelihood(x, mu, tf.tensor2d([[-1, 2]])))[0]!, ref([-1, 2]), 1e-6, 'per dim');
  // Broadcast over k samples: x [n, D] against means [k, n, D] gives [k, n].
  const ll = gaussianLogLikelihood(x, tf.stack([mu, mu]), 0);
  assert.deepEqual(ll.shape, [2, 1]);
});

test('KL to N(0, I): Kingma & Welling appendix B, equal to half the lecture regulariser, zero at N(0, I)', () => {
  const m = tf.tensor2d([[0, 0], [1, -2]]);
  const lv = tf.tensor2d([[0, 0], [0.5, -1]]);
  const kl = values(klPerExample(m, lv));
  close(kl[0]!, 0, 1e-7, 'KL(N(0,1)‖N(0,1))');
  const ref = 0.5 * (Math.exp(0.5) - 1 - 0.5 + 1) + 0.5 * (Math.exp(-1) - 1 + 1 + 4);
  close(kl[1]!, ref, 1e-6, 'closed form');
  const lecture = values(lectureRegularizer(m, lv));
  kl.forEach((v, i) => close(lecture[i]!, 2 * v, 1e-6, 'lecture = 2·KL'));
  close(klDivergenceToStandardNormal(m, lv).dataSync()[0]!, (kl[0]! + kl[1]!) / 2, 1e-6, 'batch mean');
  // Monte Carlo check of the closed form for one 1-D Gaussian: E_q[log q − log p].
  const n = 200000;
  const eps = tf.randomNormal([n, 1], 0, 1, 'float32', 5);
  const mean = tf.fill([n, 1], 1), logVar = tf.fill([n, 1], 0.5);
  const z = reparameterize(mean, logVar, eps);
  const mc = tf.mean(tf.sub(diagonalNormalLogDensityOfNoise(eps, logVar), standardNormalLogDensity(z))).dataSync()[0]!;
  close(mc, 0.5 * (Math.exp(0.5) - 1 - 0.5 + 1), 0.01, 'Monte Carlo KL');
});

test('reparameterize, logMeanExp, meanVariance, l2WeightDecay, klWeight', () => {
  const z = values(reparameterize(tf.tensor1d([1, -1]), tf.tensor1d([Math.log(4), 0]), tf.tensor1d([0.5, 2])));
  close(z[0]!, 1 + 2 * 0.5, 1e-6, 'z0');
  close(z[1]!, -1 + 2, 1e-6, 'z1');
  const lme = values(logMeanExp(tf.tensor2d([[1000, 0], [1000, Math.log(3)]]), 0));
  close(lme[0]!, 1000, 1e-6, 'no overflow');
  close(lme[1]!, Math.log(2), 1e-6, 'log mean exp');
  close(meanVariance(tf.tensor2d([[0, Math.log(3)]])).dataSync()[0]!, 2, 1e-6, 'mean variance');
  close(l2WeightDecay([tf.tensor2d([[1, 2]]), tf.tensor1d([3])], 0.1).dataSync()[0]!, 0.05 * 14, 1e-6, 'l2');
  assert.equal(l2WeightDecay([tf.tensor1d([3])], 0).dataSync()[0], 0);
  assert.deepEqual([0, 50, 100, 1e9].map((s) => klWeight(2, 100, s)), [0, 1, 2, 2]);
  assert.equal(klWeight(0.5, 0, 0), 0.5);
});

// The fused ops (engine/kernels/fused-losses.ts): on native, one kernel each way; elsewhere the composite forms above.
// Both must give the same values and gradients, first and second order. Skipped where the native addon cannot load
// (test/engine-native.test.ts is the one that fails when it should have built).
let nativeReason: string | null = null;
try {
  registerNativeBackend();
} catch (e) {
  nativeReason = e instanceof Error ? e.message : String(e);
}
const fusedBackends = ['cpu', 'wasm', ...(nativeReason === null ? ['native'] : [])];
if (nativeReason !== null) console.log(`# models-losses: fused ops on native skipped: ${nativeReason}`);

/** `fn` evaluated on each backend against cpu's values (composite ops there); returns the kernel calls on native. */
async function sameOnBackends(what: string, fn: () => tf.Tensor[], tol = 2e-6): Promise<Record<string, number>> {
  const before = tf.getBackend();
  const ref = await valuesOn('cpu', fn);
  let calls: Record<string, number> = {};
  for (const b of fusedBackends.filter((name) => name !== 'cpu')) {
    if (b === 'native') nativeKernelCalls(true);
    const got = await valuesOn(b, fn);
    if (b === 'native') calls = nativeKernelCalls(true).native;
    ref.forEach((r, i) => assertClose(got[i]!, r, `${what} on ${b} [output ${i}]`, tol));
  }
  await tf.setBackend(before);
  return calls;
}

/** The op's value and its gradients with respect to every input under a seeded random dy (the same on every backend). */
function withGradients(op: (...xs: tf.Tensor[]) => tf.Tensor, inputs: () => tf.Tensor[], dySeed: number): () => tf.Tensor[] {
  return () => {
    const xs = inputs();
    const y = op(...xs);
    const dy = tf.randomUniform(y.shape, -2, 2, 'float32', dySeed);
    return [y, ...tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(op(...a), dy)))(xs)];
  };
}

/**
 * A gradient penalty's second order on native, against its closed form in float64: S = Σ g² with g = ∂(Σ dy·f)/∂x_k at
 * x_k + shift, differentiated with respect to the inputs `outer`. (TF.js differentiates a gradient only with respect to
 * tensors other than the inner gradient's own, hence the shift. Its composite forms are no reference here: TF.js's
 * gradients of exp and sigmoid read their saved outputs, whose clones precede the op on the tape, so the second order
 * misses those paths or finds none; the fused ops' nested gradients recompute them from the inputs.)
 * `expected(x, dy, shift)` gives ∂S/∂x_i for each outer input from the inputs' values.
 */
async function assertSecondOrder(what: string, op: (...xs: tf.Tensor[]) => tf.Tensor, inputs: () => tf.Tensor[], k: number, outer: number[],
  expected: (x: Float32Array[], dy: Float32Array, shift: Float32Array) => number[][]): Promise<void> {
  if (nativeReason !== null) return;
  const before = tf.getBackend();
  await tf.setBackend('native');
  tf.tidy(() => {
    const xs = inputs();
    const dy = tf.randomUniform(op(...xs).shape, -2, 2, 'float32', 7);
    const shift = tf.randomUniform(xs[k]!.shape, -0.1, 0.1, 'float32', 8);
    const weighted = (...a: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(op(...a), dy));
    const got = tf.grads((...o: tf.Tensor[]) => {
      const a = xs.map((x, i) => (outer.includes(i) ? o[outer.indexOf(i)]! : x));
      const g = tf.grad((t: tf.Tensor) => weighted(...a.map((x, i) => (i === k ? tf.add(x, t) : x))))(shift);
      return tf.sum(tf.square(g));
    })(outer.map((i) => xs[i]!));
    const want = expected(xs.map((x) => x.dataSync() as Float32Array), dy.dataSync() as Float32Array, shift.dataSync() as Float32Array);
    got.forEach((g, i) => assertClose(g.dataSync() as Float32Array, Float32Array.from(want[i]!), `${what}: ∂S/∂input ${outer[i]}`, 1e-4));
  });
  await tf.setBackend(before);
}

const seeded = (shape: number[], lo: number, hi: number, seed: number): tf.Tensor => tf.randomUniform(shape, lo, hi, 'float32', seed);

test('bernoulliLogLikelihood as one op on native: values and gradients as the composite form, second-order gradients as their closed form (odd sizes, broadcast x, logits ±100, binary and grey x)', async () => {
  const cases: { x: number[]; logits: number[] }[] = [
    { x: [3, 7], logits: [3, 7] },
    { x: [5, 13], logits: [4, 5, 13] }, // IWAE: x [n, D] against k samples of logits
    { x: [1, 1, 9], logits: [9] }, // x of higher rank: the composite form on every backend
    { x: [128, 784], logits: [128, 784] },
  ];
  for (const [i, c] of cases.entries()) {
    const inputs = (): tf.Tensor[] => {
      const grey = seeded(c.x, 0, 1, 10 + i);
      const binary = tf.cast(tf.greater(seeded(c.x, 0, 1, 20 + i), 0.5), 'float32');
      const x = tf.where(tf.greater(seeded(c.x, 0, 1, 30 + i), 0.5), binary, grey);
      // Ordinary logits, and a tenth of them at ±100 (saturated: no Infinity, no NaN, gradients 0 or ±1).
      const extreme = tf.mul(tf.sign(seeded(c.logits, -1, 1, 40 + i)), 100);
      const logits = tf.where(tf.greater(seeded(c.logits, 0, 1, 50 + i), 0.9), extreme, seeded(c.logits, -8, 8, 60 + i));
      return [x, logits];
    };
    const calls = await sameOnBackends(`bernoulli [${c.x}] [${c.logits}]`, withGradients(bernoulliLogLikelihood, inputs, 70 + i), 1e-5);
    if (nativeReason === null && i !== 2) {
      assert.ok((calls['GenlabBernoulliLogLikelihood'] ?? 0) > 0, `[${c.logits}]: the fused forward ran (${JSON.stringify(calls)})`);
      assert.ok((calls['GenlabBernoulliLogLikelihoodGrad'] ?? 0) > 0, `[${c.logits}]: the one-kernel gradient ran`);
    }
  }
  const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
  for (const [xShape, lShape] of [[[3, 7], [3, 7]], [[5, 13], [4, 5, 13]]]) {
    const inputs = (): tf.Tensor[] => [tf.cast(tf.greater(seeded(xShape!, 0, 1, 1), 0.5), 'float32'), seeded(lShape!, -6, 6, 2)];
    // g = (x − σ(l'))·dy, l' = l + shift: ∂S/∂x = Σ 2g·dy (over the rows x repeats over), ∂S/∂l = −2g·dy·σ(l')(1 − σ(l')).
    await assertSecondOrder(`bernoulli [${xShape}] [${lShape}]`, bernoulliLogLikelihood, inputs, 1, [0, 1], ([x, l], dy, shift) => {
      const D = xShape![xShape!.length - 1]!;
      const dx = new Array<number>(x!.length).fill(0), dl: number[] = [];
      l!.forEach((li, i) => {
        const p = sigmoid(li + shift[i]!), g = (x![i % x!.length]! - p) * dy[Math.floor(i / D)]!;
        dx[i % x!.length]! += 2 * g * dy[Math.floor(i / D)]!;
        dl.push(-2 * g * dy[Math.floor(i / D)]! * p * (1 - p));
      });
      return [dx, dl];
    });
  }
  if (nativeReason === null) {
    // The formula itself on native, as the first test checks it on the default backend.
    await tf.setBackend('native');
    const ll = values(bernoulliLogLikelihood(tf.tensor2d([[1, 0, 0.3], [0, 1, 1]]), tf.tensor2d([[2, -1, 0.5], [300, -300, 40]])));
    close(ll[0]!, Math.log(1 / (1 + Math.exp(-2))) + Math.log(1 - 1 / (1 + Math.exp(1))) + 0.3 * Math.log(1 / (1 + Math.exp(-0.5))) + 0.7 * Math.log(1 - 1 / (1 + Math.exp(-0.5))), 1e-5, 'row 0');
    close(ll[1]!, -600, 1e-6, 'row 1');
    await initEngine();
    await tf.setBackend(engineInfo()!.backend);
  }
});

test('klPerExample and reparameterize as one op each on native: values and gradients as the composite forms, second-order gradients as their closed forms', async () => {
  for (const [i, shape] of [[128, 20], [3, 5, 7], [1, 1]].entries()) {
    // log-variances up to ±20: exp over a wide range.
    const inputs = (): tf.Tensor[] => [seeded(shape, -3, 3, 80 + i), seeded(shape, -20, 20, 90 + i)];
    const calls = await sameOnBackends(`kl [${shape}]`, withGradients(klPerExample, inputs, 100 + i), 1e-5);
    if (nativeReason === null) assert.ok((calls['GenlabKlStandardNormal'] ?? 0) > 0 && (calls['GenlabKlStandardNormalGrad'] ?? 0) > 0, `kl [${shape}]: fused on native`);
    // g = ½(exp(lv') − 1)·dy: ∂S/∂lv = 2g·½exp(lv')·dy.
    await assertSecondOrder(`kl [${shape}]`, klPerExample, inputs, 1, [1], ([, lv], dy, shift) => {
      const L = shape[shape.length - 1]!;
      return [Array.from(lv!, (v, i) => {
        const e = Math.exp(v + shift[i]!), d = dy[Math.floor(i / L)]!;
        return 2 * (0.5 * (e - 1) * d) * 0.5 * e * d;
      })];
    });
  }
  const cases: { post: number[]; eps: number[] }[] = [
    { post: [128, 20], eps: [1, 128, 20] }, // the VAE: one sample
    { post: [7, 5], eps: [3, 7, 5] }, // IWAE: k samples per example
    { post: [7, 5], eps: [7, 5] },
    { post: [4, 1, 5], eps: [4, 3, 5] }, // the posterior does not repeat over eps's leading dims: composite everywhere
  ];
  for (const [i, c] of cases.entries()) {
    const inputs = (): tf.Tensor[] => [seeded(c.post, -3, 3, 110 + i), seeded(c.post, -6, 6, 120 + i), tf.randomNormal(c.eps, 0, 1, 'float32', 130 + i)];
    const calls = await sameOnBackends(`reparameterize [${c.post}] [${c.eps}]`, withGradients(reparameterize, inputs, 140 + i), 1e-5);
    if (nativeReason === null && i !== 3) {
      assert.ok((calls['GenlabReparameterize'] ?? 0) > 0 && (calls['GenlabReparameterizeGrad'] ?? 0) > 0, `reparameterize [${c.eps}]: fused on native`);
    }
    if (i === 3) continue;
    // g = Σ_k ½σ'·ε·dz with σ' = exp(½ lv'), over the samples: ∂S/∂lv = g², ∂S/∂ε = 2g·½σ'·dz.
    await assertSecondOrder(`reparameterize [${c.eps}]`, reparameterize, inputs, 1, [1, 2], ([, lv, eps], dz, shift) => {
      const P = lv!.length;
      const sig = Array.from(lv!, (v, j) => Math.exp(0.5 * (v + shift[j]!)));
      const g = new Array<number>(P).fill(0);
      eps!.forEach((e, i) => { g[i % P]! += 0.5 * sig[i % P]! * e * dz[i]!; });
      return [g.map((v) => v * v), Array.from(eps!, (_, i) => 2 * g[i % P]! * 0.5 * sig[i % P]! * dz[i]!)];
    });
  }
});
