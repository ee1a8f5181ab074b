/**
 * 'diag' and 'spherical' covariances: Σₖ = diag(σ²ₖ₁ … σ²ₖD), or σ²ₖ I. W = 1/σ per dimension, ln det W = −Σ ln σ,
 * and the Mahalanobis term is Σₐ ((xₐ − μₐ)/σₐ)², computed from the differences (not by expanding the square).
 */
import { badInput } from '../../engine/errors.js';
import { describe, shiftRatio } from './cov-full.js';
import { LOG_2PI, type CovarianceModel, type MixtureParams, type Stats, type Workspace } from './params.js';

/** Per-dimension statistics shared by diag and spherical: second[k, a] += Σᵢ rᵢₖ (xᵢₐ − shiftₖₐ)². */
function accumulateDiag(stats: Stats, x: Float64Array, start: number, end: number, resp: Float64Array, work: Workspace): void {
  const kCount = stats.nk.length;
  const d = stats.sum.length / kCount;
  const { nk, sum, second, shift } = stats;
  const arena = work.arena;
  if (arena && arena.owns(x) && arena.owns(resp) && arena.owns(second) && arena.owns(nk)) {
    const ptr = (a: Float64Array) => a.byteOffset;
    arena.kernels.diagAccumulate(ptr(x) + start * d * 8, d, end - start, ptr(resp), kCount, ptr(shift), ptr(nk), ptr(sum), ptr(second));
    return;
  }
  for (let row = start, o = 0; row < end; row++, o += kCount) {
    const xo = row * d;
    for (let k = 0; k < kCount; k++) {
      const r = resp[o + k]!;
      if (r === 0) continue;
      nk[k]! += r;
      const so = k * d;
      for (let a = 0; a < d; a++) {
        const v = x[xo + a]! - shift[so + a]!;
        const rv = r * v;
        sum[so + a]! += rv;
        second[so + a]! += rv * v;
      }
    }
  }
}

/** ln N for per-dimension scales: w[k·wStride + a·aStride] = 1/σₖₐ (aStride 0: one scale per component). */
function logDensitiesScaled(
  x: Float64Array,
  start: number,
  end: number,
  p: MixtureParams,
  out: Float64Array,
  aStride: number,
  work: Workspace,
): void {
  const { k: kCount, d, means, precChol: w, logDetPrecChol } = p;
  const arena = work.arena;
  if (arena && arena.owns(x) && arena.owns(out) && work.meansCopy && work.precCholCopy && work.bases) {
    // the kernel takes [K, D] scales: spherical ones are repeated over the dims
    const scales = work.precCholCopy;
    for (let k = 0; k < kCount; k++) {
      for (let a = 0; a < d; a++) scales[k * d + a] = w[aStride === 0 ? k : k * d + a]!;
      work.bases[k] = -0.5 * d * LOG_2PI + logDetPrecChol[k]!;
    }
    work.meansCopy.set(means);
    const ptr = (a: Float64Array) => a.byteOffset;
    arena.kernels.diagLogDensities(ptr(x) + start * d * 8, d, end - start, ptr(work.meansCopy), ptr(scales), ptr(work.bases), kCount, ptr(out));
    return;
  }
  const wStride = aStride === 0 ? 1 : d;
  const c = -0.5 * d * LOG_2PI;
  for (let row = start, o = 0; row < end; row++, o += kCount) {
    const xo = row * d;
    for (let k = 0; k < kCount; k++) {
      const mo = k * d;
      const wo = k * wStride;
      let q0 = 0;
      let q1 = 0;
      let a = 0;
      for (; a + 2 <= d; a += 2) {
        const u = (x[xo + a]! - means[mo + a]!) * w[wo + a * aStride]!;
        const v = (x[xo + a + 1]! - means[mo + a + 1]!) * w[wo + (a + 1) * aStride]!;
        q0 += u * u;
        q1 += v * v;
      }
      if (a < d) {
        const u = (x[xo + a]! - means[mo + a]!) * w[wo + a * aStride]!;
        q0 += u * u;
      }
      out[o + k] = c + logDetPrecChol[k]! - 0.5 * (q0 + q1);
    }
  }
}

function positiveVector(nested: unknown, length: number, where: string, what: string): Float64Array {
  if (!Array.isArray(nested) || nested.length !== length) throw badInput(where, `expected ${what}, got ${describe(nested)}`);
  const out = new Float64Array(length);
  nested.forEach((v: unknown, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw badInput(`${where}[${i}]`, `expected a positive number, got ${String(v)}`);
    out[i] = v;
  });
  return out;
}

function invertPositive(values: Float64Array, out: Float64Array, perComponent: number): number {
  for (let i = 0; i < values.length; i++) {
    if (!(values[i]! > 0)) return Math.floor(i / perComponent);
    out[i] = 1 / values[i]!;
  }
  return -1;
}

export const diagCovariance: CovarianceModel = {
  type: 'diag',
  covarianceSize: (k, d) => k * d,
  componentSize: (d) => d,
  precCholSize: (k, d) => k * d,
  secondSize: (k, d) => k * d,
  parameterCount: (k, d) => k * d,

  factor(p) {
    const { k: kCount, d, covariances, precChol, logDetPrecChol } = p;
    for (let k = 0; k < kCount; k++) {
      let logDet = 0;
      for (let a = 0; a < d; a++) {
        const v = covariances[k * d + a]!;
        if (!(v > 0) || !Number.isFinite(v)) return k;
        precChol[k * d + a] = 1 / Math.sqrt(v);
        logDet -= 0.5 * Math.log(v);
      }
      logDetPrecChol[k] = logDet;
    }
    return -1;
  },

  logDensities: (x, start, end, p, out, work) => logDensitiesScaled(x, start, end, p, out, 1, work),

  accumulate: (stats, x, start, end, resp, work) => accumulateDiag(stats, x, start, end, resp, work),

  covariancesFromStats(stats, mass, p, regCovar) {
    const { k: kCount, d } = p;
    let worst = 0;
    for (let i = 0; i < kCount * d; i++) {
      const delta = p.means[i]! - stats.shift[i]!;
      const variance = stats.second[i]! / mass[Math.floor(i / d)]! - delta * delta + regCovar;
      p.covariances[i] = variance;
      const r = shiftRatio(delta, variance);
      if (r > worst) worst = r;
    }
    return worst;
  },

  componentCovariance(p, j, out) {
    const d = p.d;
    out.fill(0);
    for (let a = 0; a < d; a++) out[a * d + a] = p.covariances[j * d + a]!;
  },

  fromNested(nested, k, d, where) {
    if (!Array.isArray(nested) || nested.length !== k) throw badInput(where, `expected ${k} rows of ${d} positive numbers, got ${describe(nested)}`);
    const out = new Float64Array(k * d);
    nested.forEach((row: unknown, j) => out.set(positiveVector(row, d, `${where}[${j}]`, `${d} positive numbers`), j * d));
    return out;
  },

  toNested(values, k, d) {
    const out: number[][] = [];
    for (let j = 0; j < k; j++) out.push(Array.from(values.subarray(j * d, (j + 1) * d)));
    return out;
  },

  precisionsCholesky(p) {
    return this.toNested(p.precChol, p.k, p.d);
  },

  invert: (values, _k, d, out) => invertPositive(values, out, d),
};

export const sphericalCovariance: CovarianceModel = {
  type: 'spherical',
  covarianceSize: (k) => k,
  componentSize: () => 1,
  precCholSize: (k) => k,
  secondSize: (k, d) => k * d,
  parameterCount: (k) => k,

  factor(p) {
    for (let k = 0; k < p.k; k++) {
      const v = p.covariances[k]!;
      if (!(v > 0) || !Number.isFinite(v)) return k;
      p.precChol[k] = 1 / Math.sqrt(v);
      p.logDetPrecChol[k] = -0.5 * p.d * Math.log(v);
    }
    return -1;
  },

  logDensities: (x, start, end, p, out, work) => logDensitiesScaled(x, start, end, p, out, 0, work),

  accumulate: (stats, x, start, end, resp, work) => accumulateDiag(stats, x, start, end, resp, work),

  covariancesFromStats(stats, mass, p, regCovar) {
    // σₖ² = mean over dims of the diagonal variances (scikit-learn's definition), regCovar included.
    const { k: kCount, d } = p;
    let worst = 0;
    for (let k = 0; k < kCount; k++) {
      let s = 0;
      let shiftSq = 0;
      for (let a = 0; a < d; a++) {
        const i = k * d + a;
        const delta = p.means[i]! - stats.shift[i]!;
        s += stats.second[i]! / mass[k]! - delta * delta;
        shiftSq += delta * delta;
      }
      const variance = s / d + regCovar;
      p.covariances[k] = variance;
      const r = shiftRatio(Math.sqrt(shiftSq / d), variance);
      if (r > worst) worst = r;
    }
    return worst;
  },

  componentCovariance(p, j, out) {
    const d = p.d;
    out.fill(0);
    for (let a = 0; a < d; a++) out[a * d + a] = p.covariances[j]!;
  },

  fromNested: (nested, k, _d, where) => positiveVector(nested, k, where, `${k} positive numbers`),

  toNested: (values) => Array.from(values),

  precisionsCholesky: (p) => Array.from(p.precChol),

  invert: (values, _k, _d, out) => invertPositive(values, out, 1),
};
