/**
 * k-means for initialising EM, as scikit-learn does it: greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with
 * 2 + ⌊ln K⌋ candidates per centre, keeping the one that lowers the potential most) followed by Lloyd iterations
 * until the assignment stops changing or the centres move less than tol × (mean variance of the features).
 */
import type { Rng } from '../../engine/rng.js';
import type { Points } from './matrix.js';
import type { Arena } from './wasm/arena.js';

/** Squared distance between row i of x and row j of c (both with d columns). */
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
  if (a < d) {
    const u = x[xo + a]! - c[co + a]!;
    s0 += u * u;
  }
  return s0 + s1;
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
 * otherwise they are plain arrays and TypeScript does the same steps.
 */
export interface KMeansBuffers {
  arena?: Arena;
  /** [N] cluster of each row (−1: not yet assigned). */
  labels: Int32Array;
  /** [N] ≥ distance from each row to its centre. */
  upper: Float64Array;
  /** [N, K] ≤ distance from each row to each centre. */
  lower: Float64Array;
  /** [N] k-means++: squared distance of each row to its nearest seed. */
  closest: Float64Array;
  /** [K, D] */
  centers: Float64Array;
  /** [K, K] half the distance between each two centres. */
  halfDist: Float64Array;
  /** [K] half the distance from each centre to its nearest other centre. */
  half: Float64Array;
  /** [K] how far each centre moved in the last update. */
  moved: Float64Array;
  /** [K, D] and [K]: sums and counts of the rows assigned to each centre. */
  sums: Float64Array;
  counts: Float64Array;
  /** [D] one point (a k-means++ candidate). */
  point: Float64Array;
}

/** Sizes (in doubles; int32 arrays counted as whole doubles) of the buffers for N rows, K centres, D dims. */
export function kmeansBufferSizes(n: number, k: number, d: number): Record<keyof Omit<KMeansBuffers, 'arena'>, number> {
  return {
    labels: Math.ceil(n / 2),
    upper: n,
    lower: n * k,
    closest: n,
    centers: k * d,
    halfDist: k * k,
    half: k,
    moved: k,
    sums: k * d,
    counts: k,
    point: d,
  };
}

/** Buffers for N rows, K centres, D dims: in `arena` when given (which must have room), else plain arrays. */
export function kmeansBuffers(n: number, k: number, d: number, arena?: Arena): KMeansBuffers {
  const size = kmeansBufferSizes(n, k, d);
  const f64 = (m: number) => (arena ? arena.f64(m) : new Float64Array(m));
  return {
    ...(arena ? { arena } : {}),
    labels: arena ? arena.i32(n) : new Int32Array(n),
    upper: f64(size.upper),
    lower: f64(size.lower),
    closest: f64(size.closest),
    centers: f64(size.centers),
    halfDist: f64(size.halfDist),
    half: f64(size.half),
    moved: f64(size.moved),
    sums: f64(size.sums),
    counts: f64(size.counts),
    point: f64(size.point),
  };
}

/** Σᵢ min(closestᵢ, |xᵢ − x_row|²); with update, closest takes the minimum. */
function potentialOf(points: Points, row: number, closest: Float64Array, update: boolean, buffers: KMeansBuffers): number {
  const { rows: n, cols: d, data: x } = points;
  const arena = buffers.arena;
  if (arena && arena.owns(x) && arena.owns(closest)) {
    buffers.point.set(x.subarray(row * d, row * d + d));
    return arena.kernels.potential(x.byteOffset, d, n, buffers.point.byteOffset, closest.byteOffset, update ? 1 : 0);
  }
  let pot = 0;
  for (let i = 0; i < n; i++) {
    const dist = sqDist(x, i, x, row, d);
    if (dist < closest[i]!) {
      if (update) closest[i] = dist;
      pot += dist;
    } else pot += closest[i]!;
  }
  return pot;
}

/** Greedy k-means++ seeding: the row indices of K seed points (distinct unless the data has fewer distinct points). */
export function kmeansPlusPlus(
  points: Points,
  k: number,
  rng: Rng,
  buffers: KMeansBuffers = kmeansBuffers(points.rows, k, points.cols),
): Int32Array {
  const n = points.rows;
  const seeds = new Int32Array(k);
  const trials = 2 + Math.floor(Math.log(k));
  const closest = buffers.closest; // squared distance of each row to its nearest seed so far
  const cumsum = new Float64Array(n);
  const candidates = new Int32Array(trials);
  seeds[0] = rng.int(n);
  closest.fill(Infinity);
  let potential = potentialOf(points, seeds[0]!, closest, true, buffers);
  for (let c = 1; c < k; c++) {
    let s = 0;
    for (let i = 0; i < n; i++) cumsum[i] = s += closest[i]!;
    for (let t = 0; t < trials; t++) candidates[t] = searchSorted(cumsum, rng.uniform() * potential);
    // The candidate that leaves the smallest potential Σᵢ min(closestᵢ, |xᵢ − candidate|²).
    let best = candidates[0]!;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      const pot = potentialOf(points, candidates[t]!, closest, false, buffers);
      if (pot < bestPotential) {
        bestPotential = pot;
        best = candidates[t]!;
      }
    }
    seeds[c] = best;
    potential = potentialOf(points, best, closest, true, buffers);
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
}

/**
 * Lloyd's k-means from k-means++ seeds, with Elkan's bounds (Elkan 2003, "Using the triangle inequality to accelerate
 * k-means"): each row keeps an upper bound on the distance to its centre and a lower bound on the distance to every
 * centre, so that most distances are never computed once the centres settle. The assignments are exactly Lloyd's.
 * An empty cluster is moved to the row farthest from its centre (as scikit-learn does).
 */
export function kmeans(points: Points, k: number, rng: Rng, options: KMeansOptions = {}): KMeansResult {
  const { rows: n, cols: d, data: x } = points;
  const { maxIter = 300, tol = 1e-4, buffers = kmeansBuffers(n, k, d) } = options;
  const { labels, upper, lower, centers, moved, sums, counts } = buffers;
  const seeds = kmeansPlusPlus(points, k, rng, buffers);
  for (let c = 0; c < k; c++) centers.set(x.subarray(seeds[c]! * d, seeds[c]! * d + d), c * d);

  // tol is relative to the mean variance of the features.
  let meanVar = 0;
  for (let a = 0; a < d; a++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * d + a]!;
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * d + a]! - m) ** 2;
    meanVar += v / n;
  }
  const shiftTol = (meanVar / d) * tol;

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
    // The sums follow the rows that change cluster; every 16 iterations they are recomputed (no drift).
    if (it % 16 === 15) recomputeSums(x, d, buffers);
    if (assign(points, k, buffers) === 0) break; // strict convergence: the centres would not move
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
      assign(points, k, buffers); // like scikit-learn, finish with the labels of the final centres
      break;
    }
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += sqDist(x, i, centers, labels[i]!, d);
  return { labels: labels.slice(), centers: centers.slice(), inertia, iterations };
}

/** The sums and counts of each cluster, from the labels. */
function recomputeSums(x: Float64Array, d: number, buffers: KMeansBuffers): void {
  const { labels, sums, counts } = buffers;
  sums.fill(0);
  counts.fill(0);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l < 0) continue;
    counts[l]!++;
    for (let a = 0; a < d; a++) sums[l * d + a]! += x[i * d + a]!;
  }
}

/**
 * One assignment step with Elkan's bounds; rows that change cluster are moved in the clusters' sums and counts. The
 * SIMD kernel `assign` does the same steps. First the bounds follow the last moves of the centres (buffers.moved,
 * then zeroed); a row is skipped when its upper bound is within half the distance from its centre to the nearest
 * other; otherwise centre k is examined only when the upper bound exceeds both the row's lower bound for k and half
 * the distance between the two centres. Returns how many labels changed.
 */
function assign(points: Points, k: number, buffers: KMeansBuffers): number {
  const { rows: n, cols: d, data: x } = points;
  const { arena, labels, upper, lower, centers, halfDist, half, moved, sums, counts } = buffers;
  for (let c = 0; c < k; c++) {
    let m = Infinity;
    for (let e = 0; e < k; e++) {
      const h = 0.5 * Math.sqrt(sqDist(centers, c, centers, e, d));
      halfDist[c * k + e] = h;
      if (e !== c && h < m) m = h;
    }
    half[c] = m;
  }
  let changed = 0;
  if (arena && arena.owns(x) && arena.owns(labels) && arena.owns(lower)) {
    const ptr = (a: Float64Array | Int32Array) => a.byteOffset;
    changed = arena.kernels.assign(ptr(x), d, n, ptr(centers), k, ptr(halfDist), ptr(half), ptr(moved), ptr(labels), ptr(upper), ptr(lower), ptr(sums), ptr(counts));
  } else {
    for (let i = 0; i < n; i++) {
      const lo = i * k;
      const from = labels[i]!;
      let l = from;
      let u: number;
      if (l < 0) {
        // first pass: every distance
        u = Infinity;
        for (let c = 0; c < k; c++) {
          const dc = Math.sqrt(sqDist(x, i, centers, c, d));
          lower[lo + c] = dc;
          if (dc < u) {
            u = dc;
            l = c;
          }
        }
      } else {
        u = upper[i]! + moved[l]!;
        for (let c = 0; c < k; c++) lower[lo + c]! -= moved[c]!;
        if (u > half[l]!) {
          let tight = false;
          for (let c = 0; c < k; c++) {
            if (c === l) continue;
            const z = Math.max(lower[lo + c]!, halfDist[l * k + c]!);
            if (u <= z) continue;
            if (!tight) {
              u = Math.sqrt(sqDist(x, i, centers, l, d));
              lower[lo + l] = u;
              tight = true;
              if (u <= z) continue;
            }
            const dc = Math.sqrt(sqDist(x, i, centers, c, d));
            lower[lo + c] = dc;
            if (dc < u) {
              u = dc;
              l = c;
            }
          }
        }
      }
      upper[i] = u;
      if (l !== from) {
        changed++;
        labels[i] = l;
        if (from >= 0) {
          for (let a = 0; a < d; a++) sums[from * d + a]! -= x[i * d + a]!;
          counts[from]!--;
        }
        for (let a = 0; a < d; a++) sums[l * d + a]! += x[i * d + a]!;
        counts[l]!++;
      }
    }
  }
  moved.fill(0);
  return changed;
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
    lower.fill(0, far * k, (far + 1) * k);
  }
}
