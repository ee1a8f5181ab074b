/**
 * 'tied' covariances: all components share one D × D matrix Σ = L Lᵀ. With W = L⁻¹ the E-step transforms each row
 * once, y = W x, and each component costs only |y − W μₖ|² (D operations instead of D²/2).
 */
import { accumulateMatrixBlock, transformRows } from './kernels.js';
import { describe, factorMatrices, flattenMatrixInto, invertMatrices, shiftRatio, transposedFactors } from './cov-full.js';
import { badInput } from '../../engine/errors.js';
import { lowerTimesVector, packedSize } from '../../math/linalg.js';
import { LOG_2PI, type CovarianceModel } from './params.js';

export const tiedCovariance: CovarianceModel = {
  type: 'tied',
  covarianceSize: (_k, d) => d * d,
  componentSize: () => 0,
  precCholSize: (_k, d) => packedSize(d),
  secondSize: (_k, d) => d * d,
  parameterCount: (_k, d) => (d * (d + 1)) / 2,

  factor(p) {
    const failed = factorMatrices(p, 1);
    if (failed >= 0) return 0;
    p.logDetPrecChol.fill(p.logDetPrecChol[0]!);
    return -1;
  },

  logDensities(x, start, end, p, out, work) {
    const { k: kCount, d } = p;
    const y = work.rowsT;
    const m = work.meansT;
    transformRows(x, d, start, end, p.precChol, 0, y, work.diff4); // y [B, D] = W xᵢ
    for (let k = 0; k < kCount; k++) lowerTimesVector(p.precChol, 0, d, p.means, k * d, m, k * d); // m [K, D] = W μₖ
    const base = -0.5 * d * LOG_2PI + p.logDetPrecChol[0]!;
    const rows = end - start;
    const arena = work.arena;
    if (arena && arena.owns(y) && arena.owns(m) && arena.owns(out) && work.precCholCopy && work.bases) {
      // |y − W μₖ|² is a diagonal Mahalanobis term with unit scales
      const ones = work.precCholCopy.subarray(0, kCount * d).fill(1);
      work.bases.fill(base);
      arena.kernels.diagLogDensities(y.byteOffset, d, rows, m.byteOffset, ones.byteOffset, work.bases.byteOffset, kCount, out.byteOffset);
      return;
    }
    for (let i = 0; i < rows; i++) {
      const yo = i * d;
      for (let k = 0; k < kCount; k++) {
        const mo = k * d;
        let q0 = 0;
        let q1 = 0;
        let a = 0;
        for (; a + 2 <= d; a += 2) {
          const u = y[yo + a]! - m[mo + a]!;
          const v = y[yo + a + 1]! - m[mo + a + 1]!;
          q0 += u * u;
          q1 += v * v;
        }
        if (a < d) {
          const u = y[yo + a]! - m[mo + a]!;
          q0 += u * u;
        }
        out[i * kCount + k] = base - 0.5 * (q0 + q1);
      }
    }
  },

  accumulate(stats, x, start, end, resp, work) {
    const kCount = stats.nk.length;
    const d = stats.sum.length / kCount;
    accumulateMatrixBlock(stats, x, d, start, end, resp, kCount, work, () => 0);
  },

  covariancesFromStats(stats, mass, p, regCovar) {
    // Σ = (Σₖ Σᵢ rᵢₖ (xᵢ − sₖ)(xᵢ − sₖ)ᵀ − Σₖ massₖ δₖ δₖᵀ) / Σₖ massₖ + regCovar·I, with δₖ = μₖ − sₖ.
    const { k: kCount, d } = p;
    const cov = p.covariances;
    let total = 0;
    for (let k = 0; k < kCount; k++) total += mass[k]!;
    const correction = new Float64Array(d); // Σₖ massₖ δₖₐ² (for the digits-lost ratio)
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        let s = stats.second[a * d + b]!;
        for (let k = 0; k < kCount; k++) {
          const da = p.means[k * d + a]! - stats.shift[k * d + a]!;
          const db = p.means[k * d + b]! - stats.shift[k * d + b]!;
          s -= mass[k]! * da * db;
          if (a === b) correction[a]! += mass[k]! * da * da;
        }
        cov[a * d + b] = s / total;
        cov[b * d + a] = s / total;
      }
    }
    let worst = 0;
    for (let a = 0; a < d; a++) {
      const variance = cov[a * d + a]! + regCovar;
      cov[a * d + a] = variance;
      const r = shiftRatio(Math.sqrt(correction[a]! / total), variance);
      if (r > worst) worst = r;
    }
    return worst;
  },

  componentCovariance(p, _j, out) {
    out.set(p.covariances.subarray(0, p.d * p.d));
  },

  fromNested(nested, _k, d, where) {
    if (!Array.isArray(nested)) throw badInput(where, `expected one ${d} × ${d} matrix, got ${describe(nested)}`);
    const out = new Float64Array(d * d);
    flattenMatrixInto(nested, d, where, out, 0);
    return out;
  },

  toNested(values, _k, d) {
    const m: number[][] = [];
    for (let a = 0; a < d; a++) m.push(Array.from(values.subarray(a * d, (a + 1) * d)));
    return m;
  },

  precisionsCholesky: (p) => transposedFactors(p.precChol, 1, p.d)[0]!,

  invert: (values, _k, d, out) => (invertMatrices(values, 1, d, out) >= 0 ? 0 : -1),
};
