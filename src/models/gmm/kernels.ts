/**
 * The hot loops of EM for the matrix covariance types (full, tied), written for V8: flat Float64Arrays, no
 * allocation, four rows (or a 2 × 2 tile) at a time so that the additions form independent chains.
 */
import type { Stats, Workspace } from './params.js';

/**
 * Squared Mahalanobis terms |W (xᵢ − μ)|² of rows [start, end) of x [N, D], with W lower-triangular packed at
 * w[wOffset …] and μ = means[mOffset … + D]. Writes out[(i − start) · outStride + outOffset] = base − ½ |W (xᵢ − μ)|².
 * `diff4` [4 · D] is scratch.
 */
export function mahalanobisPacked(
  x: Float64Array,
  d: number,
  start: number,
  end: number,
  means: Float64Array,
  mOffset: number,
  w: Float64Array,
  wOffset: number,
  base: number,
  out: Float64Array,
  outOffset: number,
  outStride: number,
  diff4: Float64Array,
): void {
  let row = start;
  let o = outOffset;
  for (; row + 4 <= end; row += 4, o += 4 * outStride) {
    // diff4[4a + q] = x[row + q][a] − μ[a]: the four rows' differences side by side.
    const x0 = row * d;
    const x1 = x0 + d;
    const x2 = x1 + d;
    const x3 = x2 + d;
    for (let a = 0, t = 0; a < d; a++, t += 4) {
      const m = means[mOffset + a]!;
      diff4[t] = x[x0 + a]! - m;
      diff4[t + 1] = x[x1 + a]! - m;
      diff4[t + 2] = x[x2 + a]! - m;
      diff4[t + 3] = x[x3 + a]! - m;
    }
    let q0 = 0;
    let q1 = 0;
    let q2 = 0;
    let q3 = 0;
    let r = wOffset;
    for (let j = 0; j < d; j++) {
      // y_j = Σ_{i ≤ j} W[j][i] (x − μ)_i for the four rows.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0, t = 0; i <= j; i++, t += 4) {
        const l = w[r + i]!;
        s0 += l * diff4[t]!;
        s1 += l * diff4[t + 1]!;
        s2 += l * diff4[t + 2]!;
        s3 += l * diff4[t + 3]!;
      }
      r += j + 1;
      q0 += s0 * s0;
      q1 += s1 * s1;
      q2 += s2 * s2;
      q3 += s3 * s3;
    }
    out[o] = base - 0.5 * q0;
    out[o + outStride] = base - 0.5 * q1;
    out[o + 2 * outStride] = base - 0.5 * q2;
    out[o + 3 * outStride] = base - 0.5 * q3;
  }
  for (; row < end; row++, o += outStride) {
    const x0 = row * d;
    for (let a = 0; a < d; a++) diff4[a] = x[x0 + a]! - means[mOffset + a]!;
    let q = 0;
    let r = wOffset;
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i <= j; i++) s += w[r + i]! * diff4[i]!;
      r += j + 1;
      q += s * s;
    }
    out[o] = base - 0.5 * q;
  }
}

/**
 * y = W xᵢ for rows [start, end) of x [N, D] (W packed lower at w[wOffset …]): out[(i − start) D + j].
 * `diff4` [4 · D] is scratch.
 */
export function transformRows(
  x: Float64Array,
  d: number,
  start: number,
  end: number,
  w: Float64Array,
  wOffset: number,
  out: Float64Array,
  diff4: Float64Array,
): void {
  let row = start;
  let o = 0;
  for (; row + 4 <= end; row += 4, o += 4 * d) {
    const x0 = row * d;
    for (let a = 0, t = 0; a < d; a++, t += 4) {
      diff4[t] = x[x0 + a]!;
      diff4[t + 1] = x[x0 + d + a]!;
      diff4[t + 2] = x[x0 + 2 * d + a]!;
      diff4[t + 3] = x[x0 + 3 * d + a]!;
    }
    let r = wOffset;
    for (let j = 0; j < d; j++) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0, t = 0; i <= j; i++, t += 4) {
        const l = w[r + i]!;
        s0 += l * diff4[t]!;
        s1 += l * diff4[t + 1]!;
        s2 += l * diff4[t + 2]!;
        s3 += l * diff4[t + 3]!;
      }
      r += j + 1;
      out[o + j] = s0;
      out[o + d + j] = s1;
      out[o + 2 * d + j] = s2;
      out[o + 3 * d + j] = s3;
    }
  }
  for (; row < end; row++, o += d) {
    const x0 = row * d;
    let r = wOffset;
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i <= j; i++) s += w[r + i]! * x[x0 + i]!;
      r += j + 1;
      out[o + j] = s;
    }
  }
}

/**
 * Collects the rows of [start, end) with rᵢₖ > 0 for component k (rows with rᵢₖ = 0 add nothing, exactly):
 * diffT[a · stride + c] = (x_c − shiftₖ)_a and weightedT[…] = r_c · (x_c − shiftₖ)_a, and adds their mass to
 * stats.nk[k] and their weighted differences to stats.sum. Returns the number of rows collected.
 */
export function gatherComponent(
  stats: Stats,
  x: Float64Array,
  d: number,
  start: number,
  end: number,
  resp: Float64Array,
  k: number,
  kCount: number,
  diffT: Float64Array,
  weightedT: Float64Array,
  stride: number,
): number {
  const shift = stats.shift;
  const so = k * d;
  let c = 0;
  let mass = 0;
  for (let row = start, o = k; row < end; row++, o += kCount) {
    const r = resp[o]!;
    if (r === 0) continue;
    mass += r;
    const xo = row * d;
    for (let a = 0, t = c; a < d; a++, t += stride) {
      const v = x[xo + a]! - shift[so + a]!;
      diffT[t] = v;
      weightedT[t] = r * v;
    }
    c++;
  }
  if (c === 0) return 0;
  stats.nk[k]! += mass;
  const sum = stats.sum;
  for (let a = 0; a < d; a++) {
    const t0 = a * stride;
    let s0 = 0;
    let s1 = 0;
    let i = 0;
    for (; i + 2 <= c; i += 2) {
      s0 += weightedT[t0 + i]!;
      s1 += weightedT[t0 + i + 1]!;
    }
    if (i < c) s0 += weightedT[t0 + i]!;
    sum[so + a]! += s0 + s1;
  }
  return c;
}

/**
 * out[oOffset + a · D + b] += Σ_{c < n} A[a · stride + c] · B[b · stride + c] for b ≤ a (the lower triangle of
 * A Bᵀ, A and B [D, stride]), in 2 × 2 tiles: four dot products share their loads and run as independent chains.
 */
export function addLowerProduct(
  a: Float64Array,
  b: Float64Array,
  stride: number,
  n: number,
  d: number,
  out: Float64Array,
  oOffset: number,
): void {
  for (let i = 0; i < d; i += 2) {
    const ai0 = i * stride;
    const twoRows = i + 1 < d;
    const ai1 = ai0 + stride;
    for (let j = 0; j <= i; j += 2) {
      const bj0 = j * stride;
      const bj1 = bj0 + stride;
      const twoCols = j + 1 < d;
      if (twoRows && twoCols) {
        let s00 = 0;
        let s01 = 0;
        let s10 = 0;
        let s11 = 0;
        for (let c = 0; c < n; c++) {
          const a0 = a[ai0 + c]!;
          const a1 = a[ai1 + c]!;
          const b0 = b[bj0 + c]!;
          const b1 = b[bj1 + c]!;
          s00 += a0 * b0;
          s01 += a0 * b1;
          s10 += a1 * b0;
          s11 += a1 * b1;
        }
        const o = oOffset + i * d + j;
        out[o]! += s00;
        if (j + 1 <= i) out[o + 1]! += s01; // (i, j + 1) is in the lower triangle unless j = i
        out[o + d]! += s10;
        out[o + d + 1]! += s11;
      } else if (twoCols) {
        // last row of an odd D: one row, two columns
        let s0 = 0;
        let s1 = 0;
        for (let c = 0; c < n; c++) {
          const a0 = a[ai0 + c]!;
          s0 += a0 * b[bj0 + c]!;
          s1 += a0 * b[bj1 + c]!;
        }
        const o = oOffset + i * d + j;
        out[o]! += s0;
        if (j + 1 <= i) out[o + 1]! += s1;
      } else {
        // last row and column of an odd D
        let s0 = 0;
        let s1 = 0;
        let c = 0;
        for (; c + 2 <= n; c += 2) {
          s0 += a[ai0 + c]! * b[bj0 + c]!;
          s1 += a[ai0 + c + 1]! * b[bj0 + c + 1]!;
        }
        if (c < n) s0 += a[ai0 + c]! * b[bj0 + c]!;
        out[oOffset + i * d + j]! += s0 + s1;
      }
    }
  }
}

/**
 * Adds the M-step sums of rows [start, end) to stats for every component k: Nₖ, Σ r (x − shiftₖ) and the lower
 * triangle of Σ r (x − shiftₖ)(x − shiftₖ)ᵀ into stats.second[secondOffset(k) …] ([D, D]). Per component, the
 * differences (times r) are laid out transposed, then one matrix product. With the SIMD kernels (everything in the
 * workspace's arena) the block is transposed once and a component whose responsibilities are mostly nonzero is
 * processed densely (rows with r = 0 add exact zeros); otherwise only its rows with r > 0 are gathered.
 */
export function accumulateMatrixBlock(
  stats: Stats,
  x: Float64Array,
  d: number,
  start: number,
  end: number,
  resp: Float64Array,
  kCount: number,
  work: Workspace,
  secondOffset: (k: number) => number,
): void {
  const { arena, weightedT, diffT, stride, xT, rk } = work;
  if (!(arena && xT && rk && arena.owns(x) && arena.owns(resp) && arena.owns(stats.second) && arena.owns(stats.nk))) {
    for (let k = 0; k < kCount; k++) {
      const n = gatherComponent(stats, x, d, start, end, resp, k, kCount, diffT, weightedT, stride);
      if (n > 0) addLowerProduct(weightedT, diffT, stride, n, d, stats.second, secondOffset(k));
    }
    return;
  }
  const kernels = arena.kernels;
  const rows = end - start;
  const even = rows + (rows % 2);
  const xPtr = x.byteOffset + start * d * 8;
  kernels.transposeBlock(xPtr, d, rows, xT.byteOffset, stride);
  for (let k = 0; k < kCount; k++) {
    const nonzero = kernels.column(resp.byteOffset + k * 8, kCount, rows, rk.byteOffset);
    if (nonzero === 0) continue;
    const nk = stats.nk.byteOffset + k * 8;
    const sum = stats.sum.byteOffset + k * d * 8;
    const shift = stats.shift.byteOffset + k * d * 8;
    let n = even;
    if (2 * nonzero <= rows) {
      n = kernels.gather(xPtr, d, rows, resp.byteOffset + k * 8, kCount, shift, diffT.byteOffset, weightedT.byteOffset, stride, nk, sum);
      if (n % 2 === 1) {
        // a zero pad column makes the count even (stride ≥ block + 1 leaves room for it)
        for (let a = 0; a < d; a++) {
          weightedT[a * stride + n] = 0;
          diffT[a * stride + n] = 0;
        }
        n++;
      }
    } else {
      kernels.prepareDense(xT.byteOffset, d, even, stride, rk.byteOffset, shift, diffT.byteOffset, weightedT.byteOffset, nk, sum);
    }
    kernels.addLowerProduct(weightedT.byteOffset, diffT.byteOffset, stride, n, d, stats.second.byteOffset + secondOffset(k) * 8);
  }
}

/**
 * Writes ln N(xᵢ | μₖ, Σₖ) for rows [start, end) and every component, given packed factors Wₖ at
 * w[k · tri …] and log-determinants: out[(i − start) K + k]. Uses the SIMD kernel (on arena copies of the
 * means and factors) for the rows in whole groups of four when the points live in the workspace's arena.
 */
export function logDensitiesPacked(
  x: Float64Array,
  d: number,
  start: number,
  end: number,
  kCount: number,
  means: Float64Array,
  w: Float64Array,
  wStride: number,
  bases: (k: number) => number,
  out: Float64Array,
  work: Workspace,
): void {
  const arena = work.arena;
  let m = means;
  let f = w;
  let first = start; // first row left for the TypeScript kernel
  if (arena && arena.owns(x) && arena.owns(out) && work.meansCopy && work.precCholCopy) {
    m = work.meansCopy;
    f = work.precCholCopy;
    m.set(means);
    f.set(w.subarray(0, f.length));
    const rows4 = (end - start) & ~3;
    for (let k = 0; k < kCount; k++) {
      arena.kernels.mahalanobis4(
        x.byteOffset + start * d * 8,
        d,
        rows4,
        m.byteOffset + k * d * 8,
        f.byteOffset + k * wStride * 8,
        bases(k),
        out.byteOffset + k * 8,
        kCount,
        work.diff4.byteOffset,
      );
    }
    first = start + rows4;
  }
  if (first === end) return;
  for (let k = 0; k < kCount; k++) {
    mahalanobisPacked(x, d, first, end, m, k * d, f, k * wStride, bases(k), out, (first - start) * kCount + k, kCount, work.diff4);
  }
}
