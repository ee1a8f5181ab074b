/**
 * genlab's one module of dense float64 linear algebra, in plain TypeScript (no TF.js): the Gaussian mixtures' Cholesky
 * and triangular maths (models/gmm), the symmetric eigensolver and matrix square roots of the Fréchet distance
 * (eval/image-metrics), the 2 × 2 eigen-decomposition behind covariance ellipses (math/gaussian.ts). It lives in
 * math/, a leaf every room may import, because models/ and eval/ both need it and models must not import eval.
 *
 * Storage conventions:
 * - a full matrix `A` [n, n] is row-major: A[i][j] = a[i * n + j];
 * - a packed lower-triangular matrix `L` stores its rows one after another: L[i][j] (j ≤ i) = l[i(i+1)/2 + j],
 *   so that row i is the contiguous run l[i(i+1)/2 .. i(i+1)/2 + i]. `packedSize(n)` = n(n+1)/2.
 * The packed routines take offsets into larger arrays and allocate nothing: EM calls them per component per
 * iteration.
 *
 * Eigenvalues by cyclic Jacobi rather than tridiagonal QR: for the 128 × 128 covariances of the image metrics it takes
 * a few milliseconds, it is short enough to check line by line, and it computes small eigenvalues to high relative
 * accuracy (Demmel & Veselić 1992), which is what the square root of a nearly singular covariance needs.
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

/**
 * Eigen-decomposition of a symmetric 2 × 2 matrix [[a, b], [b, c]]: returns [λ₁, λ₂, θ] with λ₁ ≥ λ₂ and θ the angle
 * (radians, from the first axis) of λ₁'s eigenvector.
 */
export function symmetricEigen2(a: number, b: number, c: number): [number, number, number] {
  const mean = (a + c) / 2;
  const radius = Math.hypot((a - c) / 2, b);
  return [mean + radius, mean - radius, 0.5 * Math.atan2(2 * b, a - c)];
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

// ---- packed lower-triangular matrices (Cholesky factors) ----

/** Number of values in a packed lower-triangular n × n matrix: n(n+1)/2. */
export function packedSize(n: number): number {
  return (n * (n + 1)) / 2;
}

/**
 * Cholesky factor of the symmetric positive-definite matrix `a` [n, n] (full, only its lower triangle is read):
 * writes L (a = L Lᵀ) packed into `out` at `outOffset`. Returns false (leaving `out` partly written) when `a` is not
 * numerically positive definite: a pivot ≤ 0 or not finite.
 */
export function choleskyPacked(a: Float64Array, aOffset: number, n: number, out: Float64Array, outOffset: number): boolean {
  for (let i = 0; i < n; i++) {
    const ri = outOffset + (i * (i + 1)) / 2; // start of row i of L
    for (let j = 0; j <= i; j++) {
      const rj = outOffset + (j * (j + 1)) / 2;
      let s = a[aOffset + i * n + j]!;
      for (let m = 0; m < j; m++) s -= out[ri + m]! * out[rj + m]!;
      if (i === j) {
        if (!(s > 0) || !Number.isFinite(s)) return false;
        out[ri + i] = Math.sqrt(s);
      } else {
        out[ri + j] = s / out[rj + j]!;
      }
    }
  }
  return true;
}

/**
 * Inverse of a packed lower-triangular matrix (the inverse is lower-triangular too), by forward substitution on the
 * columns of the identity: `out` (packed, at `outOffset`) = L⁻¹. `l` and `out` must not overlap.
 */
export function invertLowerPacked(l: Float64Array, lOffset: number, n: number, out: Float64Array, outOffset: number): void {
  for (let i = 0; i < n; i++) {
    const ri = lOffset + (i * (i + 1)) / 2;
    const oi = outOffset + (i * (i + 1)) / 2;
    const inv = 1 / l[ri + i]!;
    // Row i of L⁻¹: X[i][j] = −(Σ_{j≤m<i} L[i][m] X[m][j]) / L[i][i] for j < i, X[i][i] = 1 / L[i][i].
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let m = j; m < i; m++) s += l[ri + m]! * out[outOffset + (m * (m + 1)) / 2 + j]!;
      out[oi + j] = -s * inv;
    }
    out[oi + i] = inv;
  }
}

/** Σ log L[i][i] of a packed lower-triangular matrix: ½ log det(L Lᵀ). */
export function logDiagPacked(l: Float64Array, offset: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[offset + (i * (i + 3)) / 2]!);
  return s;
}

/** Full symmetric matrix [n, n] from a packed lower triangle holding X: writes Xᵀ X into `out` at `outOffset`. */
export function transposeTimesLower(x: Float64Array, xOffset: number, n: number, out: Float64Array, outOffset: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      // (XᵀX)[i][j] = Σ_{m ≥ i} X[m][i] X[m][j]   (X lower: X[m][i] = 0 for m < i)
      let s = 0;
      for (let m = i; m < n; m++) {
        const rm = xOffset + (m * (m + 1)) / 2;
        s += x[rm + i]! * x[rm + j]!;
      }
      out[outOffset + i * n + j] = s;
      out[outOffset + j * n + i] = s;
    }
  }
}

/** y = L x for a packed lower-triangular L [n, n] and x [n] (x read at xOffset, y written at yOffset; no overlap). */
export function lowerTimesVector(
  l: Float64Array,
  lOffset: number,
  n: number,
  x: ArrayLike<number>,
  xOffset: number,
  y: Float64Array,
  yOffset: number,
): void {
  let r = lOffset;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let m = 0; m <= i; m++) s += l[r + m]! * x[xOffset + m]!;
    y[yOffset + i] = s;
    r += i + 1;
  }
}
