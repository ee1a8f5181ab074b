/**
 * 'full' covariances: each component has its own D × D matrix Σₖ = Lₖ Lₖᵀ (Cholesky). The E-step uses Wₖ = Lₖ⁻¹,
 * packed lower: ln N(x | μ, Σ) = −½ D ln 2π + ln det W − ½ |W (x − μ)|², one triangular matrix-vector per point and
 * component, and ln det W = Σ ln Wᵢᵢ from its diagonal (no determinant is ever formed).
 */
import { badInput } from '../../engine/errors.js';
import { accumulateMatrixBlock, logDensitiesPacked } from './kernels.js';
import { choleskyPacked, invertLowerPacked, logDiagPacked, packedSize, transposeTimesLower } from '../../math/linalg.js';
import { LOG_2PI, type CovarianceModel, type MixtureParams, type Stats } from './params.js';

/** Checks a [k][d][d] nested array of symmetric matrices and flattens it. */
export function flattenMatrices(nested: unknown, k: number, d: number, where: string): Float64Array {
  if (!Array.isArray(nested) || nested.length !== k) throw badInput(where, `expected ${k} matrices of ${d} × ${d}, got ${describe(nested)}`);
  const out = new Float64Array(k * d * d);
  nested.forEach((m, j) => flattenMatrixInto(m, d, `${where}[${j}]`, out, j * d * d));
  return out;
}

/** Checks one [d][d] symmetric matrix and writes it at out[offset …]. */
export function flattenMatrixInto(m: unknown, d: number, where: string, out: Float64Array, offset: number): void {
  if (!Array.isArray(m) || m.length !== d) throw badInput(where, `expected a ${d} × ${d} matrix, got ${describe(m)}`);
  for (let a = 0; a < d; a++) {
    const row: unknown = m[a];
    if (!Array.isArray(row) || row.length !== d) throw badInput(`${where}[${a}]`, `expected ${d} numbers, got ${describe(row)}`);
    for (let b = 0; b < d; b++) {
      const v: unknown = row[b];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw badInput(`${where}[${a}][${b}]`, `expected a finite number, got ${String(v)}`);
      out[offset + a * d + b] = v;
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < a; b++) {
      const u = out[offset + a * d + b]!;
      const v = out[offset + b * d + a]!;
      if (Math.abs(u - v) > 1e-10 * Math.max(1, Math.abs(u), Math.abs(v))) {
        throw badInput(where, `expected a symmetric matrix, but [${a}][${b}] = ${u} and [${b}][${a}] = ${v}`);
      }
    }
  }
}

export function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return v === null ? 'null' : typeof v;
}

/** Cholesky-inverts each of `count` d × d matrices: out = values⁻¹. Returns the failing matrix or −1. */
export function invertMatrices(values: Float64Array, count: number, d: number, out: Float64Array): number {
  const tri = packedSize(d);
  const l = new Float64Array(tri);
  const w = new Float64Array(tri);
  for (let j = 0; j < count; j++) {
    if (!choleskyPacked(values, j * d * d, d, l, 0)) return j;
    invertLowerPacked(l, 0, d, w, 0);
    transposeTimesLower(w, 0, d, out, j * d * d); // Σ⁻¹ = L⁻ᵀ L⁻¹ = Wᵀ W
  }
  return -1;
}

/** Factors `count` d × d covariances into packed W = L⁻¹ and ln det W. Returns the failing matrix or −1. */
export function factorMatrices(p: MixtureParams, count: number): number {
  const d = p.d;
  const tri = packedSize(d);
  const l = new Float64Array(tri);
  for (let j = 0; j < count; j++) {
    if (!choleskyPacked(p.covariances, j * d * d, d, l, 0)) return j;
    invertLowerPacked(l, 0, d, p.precChol, j * tri);
    p.logDetPrecChol[j] = logDiagPacked(p.precChol, j * tri, d);
  }
  return -1;
}

/**
 * Σ = second/mass − δ δᵀ + regCovar·I from shifted sums (δ = μ − shift), symmetrised, at cov[cOffset …] from the
 * lower triangle of second[sOffset …]. Returns max over dims of δ²/variance.
 */
export function matrixFromShiftedSums(
  second: Float64Array,
  sOffset: number,
  mass: number,
  delta: Float64Array,
  dOffset: number,
  d: number,
  regCovar: number,
  cov: Float64Array,
  cOffset: number,
): number {
  let worst = 0;
  for (let a = 0; a < d; a++) {
    const da = delta[dOffset + a]!;
    for (let b = 0; b <= a; b++) {
      const v = second[sOffset + a * d + b]! / mass - da * delta[dOffset + b]!;
      cov[cOffset + a * d + b] = v;
      cov[cOffset + b * d + a] = v;
    }
    const variance = cov[cOffset + a * d + a]! + regCovar;
    cov[cOffset + a * d + a] = variance;
    const ratio = shiftRatio(da, variance);
    if (ratio > worst) worst = ratio;
  }
  return worst;
}

/** δ²/variance, the digits lost by shifted sums (Infinity for a variance ≤ 0 unless δ = 0). */
export function shiftRatio(delta: number, variance: number): number {
  if (delta === 0) return 0;
  return variance > 0 ? (delta * delta) / variance : Infinity;
}

/** `count` packed lower factors W (at w) as nested upper-triangular matrices U = Wᵀ. */
export function transposedFactors(w: Float64Array, count: number, d: number): number[][][] {
  const tri = packedSize(d);
  return Array.from({ length: count }, (_, j) => {
    const u = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) u[b]![a] = w[j * tri + (a * (a + 1)) / 2 + b]!;
    return u;
  });
}

export const fullCovariance: CovarianceModel = {
  type: 'full',
  covarianceSize: (k, d) => k * d * d,
  componentSize: (d) => d * d,
  precCholSize: (k, d) => k * packedSize(d),
  secondSize: (k, d) => k * d * d,
  parameterCount: (k, d) => (k * d * (d + 1)) / 2,

  factor: (p) => factorMatrices(p, p.k),

  logDensities(x, start, end, p, out, work) {
    const { k: kCount, d } = p;
    const c = -0.5 * d * LOG_2PI;
    logDensitiesPacked(x, d, start, end, kCount, p.means, p.precChol, packedSize(d), (k) => c + p.logDetPrecChol[k]!, out, work);
  },

  accumulate(stats: Stats, x, start, end, resp, work) {
    const kCount = stats.nk.length;
    const d = stats.sum.length / kCount;
    accumulateMatrixBlock(stats, x, d, start, end, resp, kCount, work, (k) => k * d * d);
  },

  covariancesFromStats(stats, mass, p, regCovar) {
    const { k: kCount, d } = p;
    const delta = new Float64Array(kCount * d);
    for (let i = 0; i < delta.length; i++) delta[i] = p.means[i]! - stats.shift[i]!;
    let worst = 0;
    for (let k = 0; k < kCount; k++) {
      const r = matrixFromShiftedSums(stats.second, k * d * d, mass[k]!, delta, k * d, d, regCovar, p.covariances, k * d * d);
      if (r > worst) worst = r;
    }
    return worst;
  },

  componentCovariance(p, j, out) {
    out.set(p.covariances.subarray(j * p.d * p.d, (j + 1) * p.d * p.d));
  },

  fromNested: (nested, k, d, where) => flattenMatrices(nested, k, d, where),

  toNested(values, k, d) {
    const out: number[][][] = [];
    for (let j = 0; j < k; j++) {
      const m: number[][] = [];
      for (let a = 0; a < d; a++) m.push(Array.from(values.subarray(j * d * d + a * d, j * d * d + (a + 1) * d)));
      out.push(m);
    }
    return out;
  },

  precisionsCholesky: (p) => transposedFactors(p.precChol, p.k, p.d),

  invert: (values, k, d, out) => invertMatrices(values, k, d, out),
};
