/**
 * k-means for initialising EM, as scikit-learn does it: greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with
 * 2 + ⌊ln K⌋ candidates per centre, keeping the one that lowers the potential most) followed by Lloyd iterations
 * until the assignment stops changing or the centres move less than tol × (mean variance of the features).
 */
import type { Rng } from '../../engine/rng.js';
import { chunkRows, JOBS, SERIAL, type ChunkRunner } from './chunks.js';
import type { Points } from './matrix.js';
import type { Arena } from './wasm/arena.js';

/** Squared distance between row i of x and row j of c (both with d columns), summed as the SIMD kernels sum it. */
function sqDist(x: Float64Array, i: number, c: Float64Array, j: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  const xo = i * d;
  const co = j * d;
  let a = 0;
  for (; a + 2 <= d; a += 2) {
    const u = x[xo + a]! - c[co + a]!;
    const v = x[xo + a + 1]! - c[co + a + 1]!;
    s0 += u * u;
    s1 += v * v;
  }
  let s = s0 + s1;
  if (a < d) {
    const u = x[xo + a]! - c[co + a]!;
    s += u * u;
  }
  return s;
}

/** Index of the first entry of the non-decreasing `cumsum` that is ≥ v (numpy's searchsorted, side 'left'). */
function searchSorted(cumsum: Float64Array, v: number): number {
  let lo = 0;
  let hi = cumsum.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumsum[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, cumsum.length - 1);
}

/**
 * The arrays of a k-means run. In a kernel arena (with the points, see createContext) the SIMD kernels run on them;
 * otherwise they are plain arrays and TypeScript does the same steps. Passes over the rows run in chunks (see
 * chunks.ts): each chunk's share of the clusters' sums, and its count of changed rows (or its potential), is written
 * apart and added up in chunk order, so the result does not depend on how many threads ran the chunks.
 */
export interface KMeansBuffers {
  arena?: Arena;
  /** [N] cluster of each row (−1: not yet assigned). */
  labels: Int32Array;
  /** [N] ≥ distance from each row to its centre. */
  upper: Float64Array;
  /** [N] ≤ distance from each row to every other centre. */
  lower: Float64Array;
  /** [N] k-means++: squared distance of each row to its nearest seed. */
  closest: Float64Array;
  /** [K, D] */
  centers: Float64Array;
  /** [D, KP] the centres transposed, padded with far-away ones (+∞) to KP = K rounded up to a multiple of 4. */
  centersT: Float64Array;
  /** [K] half the distance from each centre to its nearest other centre. */
  half: Float64Array;
  /** [K] how far each centre moved in the last update. */
  moved: Float64Array;
  /** [K] the most any other centre moved in the last update. */
  drop: Float64Array;
  /** [K, D] and [K]: sums and counts of the rows assigned to each centre. */
  sums: Float64Array;
  counts: Float64Array;
  /** [D] one point (a k-means++ candidate). */
  point: Float64Array;
  /** Rows per chunk of a pass, and how many chunks. */
  chunkRows: number;
  chunkCount: number;
  /** [chunks, K, D], [chunks, K], [chunks]: each chunk's share of the sums and counts, and its changed rows or potential. */
  chunkSums: Float64Array;
  chunkCounts: Float64Array;
  chunkValues: Float64Array;
  /** Per thread, [KP] scratch: one row's distances to every centre. */
  dists: Float64Array[];
  /** Per thread, [chunkRows] int32 scratch of the SIMD kernel: the rows its bounds did not settle. */
  rowLists: Int32Array[];
}

/** Where buffers are allocated: an arena's views, plain arrays, or (for sizing) either. */
export interface Allocator {
  f64(n: number): Float64Array;
  i32(n: number): Int32Array;
}

export const PLAIN_ALLOCATOR: Allocator = { f64: (n) => new Float64Array(n), i32: (n) => new Int32Array(n) };

/** K rounded up to a multiple of 4 (the assignment kernel measures four centres at once). */
const paddedK = (k: number): number => Math.ceil(k / 4) * 4;

/** Buffers for N rows, K centres, D dims and `threads` threads, from `alloc` (with `arena`: its views, where the kernels run). */
export function kmeansBuffers(n: number, k: number, d: number, alloc: Allocator = PLAIN_ALLOCATOR, arena?: Arena, threads = 1): KMeansBuffers {
  const rows = chunkRows(n, 1024, 4);
  const chunks = Math.ceil(n / rows);
  return {
    ...(arena ? { arena } : {}),
    labels: alloc.i32(n),
    upper: alloc.f64(n),
    lower: alloc.f64(n),
    closest: alloc.f64(n),
    centers: alloc.f64(k * d),
    centersT: alloc.f64(d * paddedK(k)),
    half: alloc.f64(k),
    moved: alloc.f64(k),
    drop: alloc.f64(k),
    sums: alloc.f64(k * d),
    counts: alloc.f64(k),
    point: alloc.f64(d),
    chunkRows: rows,
    chunkCount: chunks,
    chunkSums: alloc.f64(chunks * k * d),
    chunkCounts: alloc.f64(chunks * k),
    chunkValues: alloc.f64(chunks),
    dists: Array.from({ length: threads }, () => alloc.f64(paddedK(k))),
    rowLists: Array.from({ length: threads }, () => alloc.i32(rows)),
  };
}

/** Chunk `chunk`'s potential: Σ min(closestᵢ, |xᵢ − point|²) over its rows; with update, closest takes the minimum. */
export function potentialChunk(points: Points, buffers: KMeansBuffers, chunk: number, update: number): void {
  const { rows: n, cols: d, data: x } = points;
  const { arena, closest, point, chunkRows: size } = buffers;
  const start = chunk * size;
  const end = Math.min(n, start + size);
  if (arena && arena.owns(x) && arena.owns(closest)) {
    buffers.chunkValues[chunk] = arena.kernels.potential(x.byteOffset + start * d * 8, d, end - start, point.byteOffset, closest.byteOffset + start * 8, update);
    return;
  }
  let pot = 0;
  for (let i = start; i < end; i++) {
    const dist = sqDist(x, i, point, 0, d);
    if (dist < closest[i]!) {
      if (update) closest[i] = dist;
      pot += dist;
    } else pot += closest[i]!;
  }
  buffers.chunkValues[chunk] = pot;
}

/** Σᵢ min(closestᵢ, |xᵢ − x_row|²); with update, closest takes the minimum. */
function potentialOf(points: Points, row: number, update: boolean, buffers: KMeansBuffers, runner: ChunkRunner): number {
  const d = points.cols;
  buffers.point.set(points.data.subarray(row * d, row * d + d));
  runner.run(JOBS.potential, update ? 1 : 0, buffers.chunkCount, (_thread, chunk) => potentialChunk(points, buffers, chunk, update ? 1 : 0));
  let pot = 0;
  for (let c = 0; c < buffers.chunkCount; c++) pot += buffers.chunkValues[c]!;
  return pot;
}

/** Greedy k-means++ seeding: the row indices of K seed points (distinct unless the data has fewer distinct points). */
export function kmeansPlusPlus(
  points: Points,
  k: number,
  rng: Rng,
  buffers: KMeansBuffers = kmeansBuffers(points.rows, k, points.cols),
  runner: ChunkRunner = SERIAL,
): Int32Array {
  const n = points.rows;
  const seeds = new Int32Array(k);
  const trials = 2 + Math.floor(Math.log(k));
  const closest = buffers.closest; // squared distance of each row to its nearest seed so far
  const cumsum = new Float64Array(n);
  const candidates = new Int32Array(trials);
  seeds[0] = rng.int(n);
  closest.fill(Infinity);
  let potential = potentialOf(points, seeds[0]!, true, buffers, runner);
  for (let c = 1; c < k; c++) {
    let s = 0;
    for (let i = 0; i < n; i++) cumsum[i] = s += closest[i]!;
    for (let t = 0; t < trials; t++) candidates[t] = searchSorted(cumsum, rng.uniform() * potential);
    // The candidate that leaves the smallest potential Σᵢ min(closestᵢ, |xᵢ − candidate|²).
    let best = candidates[0]!;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      const pot = potentialOf(points, candidates[t]!, false, buffers, runner);
      if (pot < bestPotential) {
        bestPotential = pot;
        best = candidates[t]!;
      }
    }
    seeds[c] = best;
    potential = potentialOf(points, best, true, buffers, runner);
  }
  return seeds;
}

export interface KMeansResult {
  /** [N] cluster of each row. */
  labels: Int32Array;
  /** [K, D] */
  centers: Float64Array;
  /** Σᵢ |xᵢ − c(xᵢ)|². */
  inertia: number;
  /** Lloyd iterations run. */
  iterations: number;
}

export interface KMeansOptions {
  /** Maximum Lloyd iterations (scikit-learn: 300). */
  maxIter?: number;
  /** Stop when Σₖ |Δcₖ|² ≤ tol × mean feature variance (scikit-learn: 1e-4). */
  tol?: number;
  /** Buffers to work in (in a kernel arena, the SIMD kernels run); by default, fresh plain arrays. */
  buffers?: KMeansBuffers;
  /** Who runs the passes' chunks (a fit's team of threads); by default this thread. The result is the same. */
  runner?: ChunkRunner;
}

/**
 * Lloyd's k-means from k-means++ seeds, with Hamerly's bounds (Hamerly 2010, "Making k-means even faster"): each row
 * keeps an upper bound on the distance to its centre and one lower bound on the distance to every other centre, so
 * that most distances are never computed once the centres settle (one bound per row suits few centres: Elkan's K
 * bounds per row cost more memory traffic than they save here). The assignments are exactly Lloyd's (a tie keeps the
 * current centre). An empty cluster is moved to the row farthest from its centre (as scikit-learn does).
 */
export function kmeans(points: Points, k: number, rng: Rng, options: KMeansOptions = {}): KMeansResult {
  const { rows: n, cols: d, data: x } = points;
  const { maxIter = 300, tol = 1e-4, buffers = kmeansBuffers(n, k, d), runner = SERIAL } = options;
  const { labels, upper, lower, centers, moved, sums, counts } = buffers;
  const seeds = kmeansPlusPlus(points, k, rng, buffers, runner);
  for (let c = 0; c < k; c++) centers.set(x.subarray(seeds[c]! * d, seeds[c]! * d + d), c * d);

  const shiftTol = (meanVariance(x, n, d) / d) * tol; // tol is relative to the mean variance of the features

  labels.fill(-1);
  sums.fill(0);
  counts.fill(0);
  upper.fill(Infinity);
  lower.fill(0);
  moved.fill(0);
  const previous = new Float64Array(k * d);
  let iterations = 0;
  for (let it = 0; it < maxIter; it++) {
    iterations = it + 1;
    // The sums follow the rows that change cluster; every 16 iterations they are summed anew (no drift).
    if (assign(points, k, buffers, runner, it % 16 === 15) === 0) break; // strict convergence: the centres would not move
    relocateEmptyClusters(x, d, k, buffers);
    previous.set(centers);
    let shift = 0;
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue; // still empty (fewer distinct rows than clusters): keep its centre
      for (let a = 0; a < d; a++) centers[c * d + a] = sums[c * d + a]! / counts[c]!;
      const m = sqDist(centers, c, previous, c, d);
      shift += m;
      moved[c] = Math.sqrt(m); // the bounds follow the centres in the next assign
    }
    if (shift <= shiftTol) {
      assign(points, k, buffers, runner, false); // like scikit-learn, finish with the labels of the final centres
      break;
    }
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += sqDist(x, i, centers, labels[i]!, d);
  return { labels: labels.slice(), centers: centers.slice(), inertia, iterations };
}

/** Σₐ variance of column a of x [n, d]: each column summed in row order, the rows read in memory order. */
function meanVariance(x: Float64Array, n: number, d: number): number {
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) mean[a]! += x[i * d + a]!;
  for (let a = 0; a < d; a++) mean[a]! /= n;
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) sq[a]! += (x[i * d + a]! - mean[a]!) ** 2;
  let total = 0;
  for (let a = 0; a < d; a++) total += sq[a]! / n;
  return total;
}

/**
 * One assignment step over every chunk (see assignChunk), then the chunks' shares added to the clusters' sums and
 * counts in chunk order (with `full`, the sums are made anew from them). Returns how many labels changed.
 */
function assign(points: Points, k: number, buffers: KMeansBuffers, runner: ChunkRunner, full: boolean): number {
  const d = points.cols;
  const { centers, centersT, half, moved, drop, sums, counts, chunkSums, chunkCounts, chunkValues, chunkCount } = buffers;
  const kp = paddedK(k);
  for (let c = 0; c < k; c++) {
    let m = Infinity;
    let most = 0;
    for (let e = 0; e < k; e++) {
      if (e === c) continue;
      m = Math.min(m, 0.5 * Math.sqrt(sqDist(centers, c, centers, e, d)));
      most = Math.max(most, moved[e]!);
    }
    half[c] = m;
    drop[c] = most;
  }
  for (let a = 0; a < d; a++) {
    for (let c = 0; c < kp; c++) centersT[a * kp + c] = c < k ? centers[c * d + a]! : Infinity;
  }
  runner.run(JOBS.assign, full ? 1 : 0, chunkCount, (thread, chunk) => assignChunk(points, buffers, thread, chunk, full ? 1 : 0));
  if (full) {
    sums.fill(0);
    counts.fill(0);
  }
  let changed = 0;
  for (let c = 0; c < chunkCount; c++) {
    for (let i = 0; i < k * d; i++) sums[i]! += chunkSums[c * k * d + i]!;
    for (let j = 0; j < k; j++) counts[j]! += chunkCounts[c * k + j]!;
    changed += chunkValues[c]!;
  }
  moved.fill(0);
  return changed;
}

/**
 * One assignment step with Hamerly's bounds for the rows of chunk `chunk` (the SIMD kernel `assign` does the same
 * steps): the bounds first follow the centres' last moves (upper += moved[label], lower −= drop[label]); a row is
 * skipped when its upper bound is at most max(lower, half[label]); else the upper bound is made exact and tested
 * again; else every distance is measured, the nearest centre wins (the current one on a tie) and the second nearest
 * becomes the lower bound. The chunk's share of the sums and counts: with `full` every row's, else only the moves
 * of the rows that changed cluster. chunkValues[chunk] receives how many did.
 */
export function assignChunk(points: Points, buffers: KMeansBuffers, thread: number, chunk: number, full: number): void {
  const { rows: n, cols: d, data: x } = points;
  const { arena, labels, upper, lower, centers, centersT, half, moved, drop, chunkRows: size } = buffers;
  const k = half.length;
  const start = chunk * size;
  const end = Math.min(n, start + size);
  const sums = buffers.chunkSums.subarray(chunk * k * d, (chunk + 1) * k * d).fill(0);
  const counts = buffers.chunkCounts.subarray(chunk * k, (chunk + 1) * k).fill(0);
  const dists = buffers.dists[thread]!;
  if (arena && arena.owns(x) && arena.owns(labels) && arena.owns(sums)) {
    const ptr = (a: Float64Array | Int32Array) => a.byteOffset;
    buffers.chunkValues[chunk] = arena.kernels.assign(
      ptr(x) + start * d * 8,
      d,
      end - start,
      ptr(centers),
      ptr(centersT),
      dists.length,
      ptr(half),
      ptr(moved),
      ptr(drop),
      ptr(labels) + start * 4,
      ptr(upper) + start * 8,
      ptr(lower) + start * 8,
      ptr(dists),
      ptr(buffers.rowLists[thread]!),
      ptr(sums),
      ptr(counts),
      full,
    );
    return;
  }
  let changed = 0;
  for (let i = start; i < end; i++) {
    const from = labels[i]!;
    let l = from;
    let u = 0;
    let lb = 0;
    let measure = true;
    if (from >= 0) {
      u = upper[i]! + moved[l]!;
      lb = lower[i]! - drop[l]!;
      const z = Math.max(lb, half[l]!);
      if (u <= z) measure = false;
      else {
        u = Math.sqrt(sqDist(x, i, centers, l, d));
        if (u <= z) measure = false;
      }
    }
    if (measure) {
      let best = Infinity;
      let second = Infinity;
      for (let c = 0; c < dists.length; c++) {
        const dc = c < k ? Math.sqrt(sqDist(x, i, centers, c, d)) : Infinity;
        dists[c] = dc;
        if (dc < best) {
          second = best;
          best = dc;
          l = c;
        } else if (dc < second) second = dc;
      }
      if (from >= 0 && dists[from] === best) l = from; // a tie keeps the current centre
      u = best;
      lb = second;
    }
    upper[i] = u;
    lower[i] = lb;
    if (l !== from) {
      changed++;
      labels[i] = l;
    }
    if (full || l !== from) {
      if (!full && from >= 0) {
        for (let a = 0; a < d; a++) sums[from * d + a]! -= x[i * d + a]!;
        counts[from]!--;
      }
      for (let a = 0; a < d; a++) sums[l * d + a]! += x[i * d + a]!;
      counts[l]!++;
    }
  }
  buffers.chunkValues[chunk] = changed;
}

/**
 * Moves each empty cluster to the row farthest from its centre (by its upper bound), taking that row from its
 * cluster; that row's bounds are reset so that it is fully re-examined next time.
 */
function relocateEmptyClusters(x: Float64Array, d: number, k: number, buffers: KMeansBuffers): void {
  const { labels, upper, lower, counts, sums } = buffers;
  for (let c = 0; c < k; c++) {
    if (counts[c]! > 0) continue;
    let far = -1;
    let farDist = -1;
    for (let i = 0; i < labels.length; i++) {
      if (counts[labels[i]!]! > 1 && upper[i]! > farDist) {
        farDist = upper[i]!;
        far = i;
      }
    }
    if (far < 0) return; // fewer distinct rows than clusters: leave it empty
    const from = labels[far]!;
    counts[from]!--;
    counts[c] = 1;
    for (let a = 0; a < d; a++) {
      sums[from * d + a]! -= x[far * d + a]!;
      sums[c * d + a] = x[far * d + a]!;
    }
    labels[far] = c;
    upper[far] = Infinity;
    lower[far] = 0;
  }
}
