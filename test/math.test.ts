/**
 * src/math: the kernel density estimate against hand-computed values, its bandwidth rule on known samples (a value
 * from an independent exact computation, Gaussian data, a mixture with a known optimum), and covariance ellipses of
 * textbook matrices.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianKde, kdeBandwidth } from '../src/math/kde.js';
import { covarianceEllipse } from '../src/math/gaussian.js';
import { sampleToy } from '../src/data/toy.js';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';

const phi = (u: number): number => Math.exp(-0.5 * u * u) / Math.sqrt(2 * Math.PI);
const close = (actual: number, expected: number, tol: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual}, expected ${expected} ± ${tol}`);

test('gaussianKde: two samples at 0 and 2 with h = 1 give (φ(x) + φ(x − 2)) / 2; h scales as 1/h · φ(u/h)', () => {
  const f = gaussianKde([0, 2], [0, 1, 2, -1], { bandwidth: 1 });
  close(f[0]!, (phi(0) + phi(2)) / 2, 1e-15, 'f(0)'); // 0.22646662…
  close(f[1]!, phi(1), 1e-15, 'f(1)'); // 0.24197072…
  close(f[2]!, f[0]!, 1e-15, 'symmetric about 1');
  close(f[3]!, (phi(1) + phi(3)) / 2, 1e-15, 'f(−1)');
  close(gaussianKde([3], [3.5], { bandwidth: 0.5 })[0]!, phi(1) / 0.5, 1e-15, 'one sample, h = ½, one h away');
});

test('gaussianKde integrates to 1 with its default bandwidth', () => {
  const rng = new Rng(4);
  const xs = Float64Array.from({ length: 500 }, () => (rng.uniform() < 0.4 ? -2 : 1) + 0.5 * rng.normal());
  const at = Float64Array.from({ length: 2001 }, (_, i) => -8 + (16 * i) / 2000);
  const f = gaussianKde(xs, at);
  const integral = f.reduce((s, v) => s + v, 0) * (16 / 2000);
  close(integral, 1, 1e-9, '∫ f̂');
});

test('kdeBandwidth: the Sheather–Jones plug-in of a fixed sample matches an exact (unbinned) computation', () => {
  // Reference: the same two-stage formulas with exact double sums over all pairs, in numpy (float64).
  const xs = [-2.1, -1.3, -0.4, 0.2, 0.5, 0.9, 1.7, 2.8, 3.1, 3.3];
  close(kdeBandwidth(xs), 1.4692640309581162, 1e-5, 'h');
  // Affine equivariance: h(a x + b) = |a| h(x).
  close(kdeBandwidth(xs.map((x) => 10 - 3 * x)), 3 * kdeBandwidth(xs), 1e-9, 'h(10 − 3x)');
});

test('kdeBandwidth: on Gaussian data it is the normal-reference optimum 1.06 σ n^(−1/5), within 8%', () => {
  for (const [n, seed] of [[1000, 1], [20000, 2]] as const) {
    const rng = new Rng(seed);
    const xs = Float64Array.from({ length: n }, () => 5 + 2 * rng.normal());
    const optimum = 1.06 * 2 * n ** -0.2;
    const h = kdeBandwidth(xs);
    assert.ok(Math.abs(h / optimum - 1) < 0.08, `n = ${n}: h ${h}, optimum ${optimum}`);
  }
});

test('kdeBandwidth: on gauss1d it is near the mixture\'s optimum, where a rule of thumb is three times too wide', () => {
  const n = 2000;
  const xs = sampleToy('gauss1d', n, new Rng(0)).points;
  // AMISE-optimal h = (R(φ) / (n ∫f''²))^(1/5), R(φ) = 1/(2√π); for a Gaussian mixture ∫f''² = Σᵢⱼ wᵢwⱼ φ⁽⁴⁾ at the
  // means' distance with variance σᵢ² + σⱼ².
  const w = [0.3, 0.5, 0.2], m = [-2, 0.5, 3], s = [0.4, 0.6, 0.3];
  let curvature = 0;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const v = s[i]! ** 2 + s[j]! ** 2, d = m[i]! - m[j]!;
      curvature += (w[i]! * w[j]! * Math.exp((-d * d) / (2 * v)) * (d ** 4 - 6 * d * d * v + 3 * v * v)) / (Math.sqrt(2 * Math.PI * v) * v ** 4);
    }
  }
  const optimum = (1 / (2 * Math.sqrt(Math.PI) * n * curvature)) ** 0.2; // 0.118
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const silverman = 0.9 * sd * n ** -0.2; // σ < IQR/1.34 here; 0.36
  const h = kdeBandwidth(xs);
  assert.ok(h > 0.9 * optimum && h < 1.35 * optimum, `h ${h}, optimum ${optimum}`);
  assert.ok(silverman > 2.5 * optimum, `Silverman ${silverman}`);
});

test('kdeBandwidth and gaussianKde refuse samples they cannot use', () => {
  assert.throws(() => kdeBandwidth([1, 1, 1]), GenlabError);
  assert.throws(() => kdeBandwidth([1]), GenlabError);
  assert.throws(() => kdeBandwidth([0, NaN, 1]), GenlabError);
  assert.throws(() => gaussianKde([], [0], { bandwidth: 1 }), GenlabError);
  assert.throws(() => gaussianKde([0], [0], { bandwidth: 0 }), GenlabError);
});

test('covarianceEllipse: axes and angle of textbook covariances', () => {
  const diag = covarianceEllipse([[4, 0], [0, 1]], 2);
  assert.deepEqual([diag.semiMajor, diag.semiMinor, diag.angle], [4, 2, 0]);
  const tall = covarianceEllipse([[1, 0], [0, 9]]);
  close(tall.semiMajor, 3, 1e-15, 'tall major');
  close(tall.angle, Math.PI / 2, 1e-15, 'tall angle');
  // [[2, 1], [1, 2]]: eigenvalues 3 along (1, 1) and 1 along (1, −1).
  const tilted = covarianceEllipse([[2, 1], [1, 2]]);
  close(tilted.semiMajor, Math.sqrt(3), 1e-15, 'tilted major');
  close(tilted.semiMinor, 1, 1e-15, 'tilted minor');
  close(tilted.angle, Math.PI / 4, 1e-15, 'tilted angle');
  close(covarianceEllipse([[2, -1], [-1, 2]]).angle, -Math.PI / 4, 1e-15, 'negative correlation');
  assert.equal(covarianceEllipse([[1, 1], [1, 1]]).semiMinor, 0, 'singular: a segment');
  assert.throws(() => covarianceEllipse([[1, NaN], [NaN, 1]]), GenlabError);
});
