/**
 * Small dense float64 linear algebra for the image metrics: Gaussian statistics of feature sets, a symmetric
 * eigensolver (cyclic Jacobi) and the matrix square roots the Fréchet distance needs. Matrices are row-major
 * Float64Arrays of n × n values.
 *
 * Jacobi rather than tridiagonal QR: for the 128 × 128 covariances of the metrics it takes a few milliseconds, it is
 * short enough to check line by line, and it computes small eigenvalues to high relative accuracy (Demmel & Veselić
 * 1992), which is what the square root of a nearly singular covariance needs.
 */
import { badInput } from '../engine/errors.js';

export interface SymmetricEigen {
  /** Eigenvalues in ascending order. */
  values: Float64Array;
  /** n × n row-major; column j is the unit eigenvector of values[j]. */
  vectors: Float64Array;
  /** Jacobi sweeps used. */
  sweeps: number;
}

function checkSquare(what: string, a: ArrayLike<number>, n: number): void {
  if (!(Number.isInteger(n) && n >= 1) || a.length !== n * n) throw badInput(what, `expected ${n} × ${n} = ${n * n} values, got ${a.length}`);
}

/** a (n × m) times b (m × p), row-major. */
export function matMul(a: Float64Array, b: Float64Array, n: number, m: number, p: number): Float64Array {
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    const row = i * p;
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      const bk = k * p;
      for (let j = 0; j < p; j++) out[row + j] = out[row + j]! + aik * b[bk + j]!;
    }
  }
  return out;
}

/** (a + aᵀ) / 2, in place; returns a. */
export function symmetrize(a: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = (a[i * n + j]! + a[j * n + i]!) / 2;
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

export function trace(a: Float64Array, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += a[i * n + i]!;
  return t;
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations (Golub & Van Loan, Matrix Computations, §8.5;
 * rotation angle as in Numerical Recipes' `jacobi`). Only the symmetric part of `a` is used; `a` is not modified.
 * Sweeps stop when the off-diagonal mass is below `tolerance` × the Frobenius norm.
 */
export function symmetricEigen(a: ArrayLike<number>, n: number, options: { tolerance?: number; maxSweeps?: number } = {}): SymmetricEigen {
  checkSquare('symmetricEigen', a, n);
  const { tolerance = 1e-15, maxSweeps = 100 } = options;
  const m = symmetrize(Float64Array.from(a), n);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let norm2 = 0;
  for (let i = 0; i < n * n; i++) {
    if (!Number.isFinite(m[i]!)) throw badInput('symmetricEigen', `matrix has a non-finite entry (${m[i]}) at ${Math.floor(i / n)}, ${i % n}`);
    norm2 += m[i]! * m[i]!;
  }
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * m[p * n + q]! * m[p * n + q]!;
    if (off <= tolerance * tolerance * norm2 || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const app = m[p * n + p]!;
        const aqq = m[q * n + q]!;
        // Skip rotations that would not change the diagonal in float64 (NR's test, after the first sweeps).
        if (sweeps > 3 && Math.abs(app) + 1e2 * Math.abs(apq) === Math.abs(app) && Math.abs(aqq) + 1e2 * Math.abs(apq) === Math.abs(aqq)) {
          m[p * n + q] = 0;
          m[q * n + p] = 0;
          continue;
        }
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // m ← Jᵀ m J with J = identity except J_pp = J_qq = c, J_pq = s, J_qp = −s.
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        m[p * n + q] = 0;
        m[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  // Sort ascending, permuting the eigenvector columns alike.
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[i * n + i]! - m[j * n + j]!);
  const values = Float64Array.from(order, (i) => m[i * n + i]!);
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) vectors[k * n + j] = v[k * n + order[j]!]!;
  return { values, vectors, sweeps };
}

/** V f(Λ) Vᵀ for a symmetric matrix with eigenpairs (Λ, V). */
export function applySpectral(eig: SymmetricEigen, n: number, f: (lambda: number) => number): Float64Array {
  const { values, vectors } = eig;
  const fl = Float64Array.from(values, f);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[i * n + k]! * fl[k]! * vectors[j * n + k]!;
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

/**
 * The symmetric positive semi-definite square root of a symmetric PSD matrix. Eigenvalues below zero — rounding
 * noise of a singular covariance — are taken as zero.
 */
export function sqrtPsd(a: ArrayLike<number>, n: number): Float64Array {
  return applySpectral(symmetricEigen(a, n), n, (l) => Math.sqrt(Math.max(0, l)));
}

/**
 * Tr((Σ₁ Σ₂)^{1/2}) for symmetric PSD Σ₁, Σ₂, computed as Tr((Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}): the product Σ₁Σ₂ is similar
 * to the symmetric PSD matrix Σ₁^{1/2} Σ₂ Σ₁^{1/2}, so both have the same non-negative eigenvalues, and the trace of
 * the square root is the sum of their square roots. No complex arithmetic and no non-symmetric square root (where
 * scipy's `sqrtm` in the reference FID code can return complex values for singular covariances).
 */
export function traceSqrtProduct(s1: ArrayLike<number>, s2: ArrayLike<number>, n: number): number {
  checkSquare('traceSqrtProduct Σ₂', s2, n);
  const r = sqrtPsd(s1, n);
  const m = symmetrize(matMul(matMul(r, Float64Array.from(s2), n, n, n), r, n, n, n), n);
  const { values } = symmetricEigen(m, n);
  let t = 0;
  for (const l of values) t += Math.sqrt(Math.max(0, l));
  return t;
}

/** Mean and covariance (unbiased, divided by count − 1, as numpy.cov) of `count` rows of `dim` values. */
export interface GaussianStats {
  dim: number;
  count: number;
  mean: Float64Array;
  /** dim × dim row-major. */
  cov: Float64Array;
}

export function gaussianStats(rows: ArrayLike<number>, count: number, dim: number): GaussianStats {
  if (!(count >= 2) || rows.length < count * dim) throw badInput('gaussianStats', `need at least 2 rows of ${dim} values, got ${count} (${rows.length} values)`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) mean[j] = mean[j]! + rows[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j] = mean[j]! / count;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) centred[j] = rows[i * dim + j]! - mean[j]!;
    for (let j = 0; j < dim; j++) {
      const cj = centred[j]!;
      if (cj === 0) continue;
      const row = j * dim;
      for (let k = j; k < dim; k++) cov[row + k] = cov[row + k]! + cj * centred[k]!;
    }
  }
  for (let j = 0; j < dim; j++) {
    for (let k = j; k < dim; k++) {
      const v = cov[j * dim + k]! / (count - 1);
      cov[j * dim + k] = v;
      cov[k * dim + j] = v;
    }
  }
  return { dim, count, mean, cov };
}

/**
 * Fréchet distance between N(μ₁, Σ₁) and N(μ₂, Σ₂) (Dowson & Landau 1982; FID, Heusel et al. 2017):
 *   ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^{1/2}).
 * Exact in float64 up to rounding, so identical statistics give 0 to ~1e-10 relative.
 */
export function frechetDistance(a: GaussianStats, b: GaussianStats): number {
  if (a.dim !== b.dim) throw badInput('frechetDistance', `statistics of dimension ${a.dim} and ${b.dim}`);
  const n = a.dim;
  let d2 = 0;
  for (let j = 0; j < n; j++) d2 += (a.mean[j]! - b.mean[j]!) ** 2;
  return d2 + trace(a.cov, n) + trace(b.cov, n) - 2 * traceSqrtProduct(a.cov, b.cov, n);
}
