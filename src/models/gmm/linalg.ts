/**
 * Small dense linear algebra on flat Float64Arrays, written as tight loops (no allocation inside).
 *
 * Storage conventions:
 * - a full matrix `A` [n, n] is row-major: A[i][j] = a[i * n + j];
 * - a packed lower-triangular matrix `L` stores its rows one after another: L[i][j] (j ≤ i) = l[i(i+1)/2 + j],
 *   so that row i is the contiguous run l[i(i+1)/2 .. i(i+1)/2 + i]. `packedSize(n)` = n(n+1)/2.
 */

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

/** Full symmetric matrix [n, n] from a packed lower triangle holding L: writes L Lᵀ into `out` at `outOffset`. */
export function lowerTimesTranspose(l: Float64Array, lOffset: number, n: number, out: Float64Array, outOffset: number): void {
  for (let i = 0; i < n; i++) {
    const ri = lOffset + (i * (i + 1)) / 2;
    for (let j = 0; j <= i; j++) {
      const rj = lOffset + (j * (j + 1)) / 2;
      let s = 0;
      for (let m = 0; m <= j; m++) s += l[ri + m]! * l[rj + m]!;
      out[outOffset + i * n + j] = s;
      out[outOffset + j * n + i] = s;
    }
  }
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

/**
 * Eigen-decomposition of a symmetric 2 × 2 matrix [[a, b], [b, c]]: returns [λ₁, λ₂, θ] with λ₁ ≥ λ₂ and θ the angle
 * (radians, from the first axis) of λ₁'s eigenvector.
 */
export function symmetricEigen2(a: number, b: number, c: number): [number, number, number] {
  const mean = (a + c) / 2;
  const radius = Math.hypot((a - c) / 2, b);
  return [mean + radius, mean - radius, 0.5 * Math.atan2(2 * b, a - c)];
}
