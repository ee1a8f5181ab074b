/**
 * The internal state of a mixture (flat Float64Arrays), the sufficient statistics an EM pass accumulates, the work
 * buffers of one pass, and the interface every covariance type implements (see covariance.ts for the table).
 */
import type { Points } from './matrix.js';
import type { CovarianceType } from './types.js';
import { Arena } from './wasm/arena.js';
import { kmeansBufferSizes, kmeansBuffers, type KMeansBuffers } from './kmeans.js';

/** ln(2π). */
export const LOG_2PI = Math.log(2 * Math.PI);

/** scikit-learn adds 10·ε to every component's mass so that an empty component divides by a tiny number, not zero. */
export const MASS_EPS = 10 * Number.EPSILON;

/** Parameters of a mixture of K Gaussians in D dimensions. */
export interface MixtureParams {
  type: CovarianceType;
  k: number;
  d: number;
  /** [K] mixing weights, sum 1. */
  weights: Float64Array;
  /** [K] ln weights (kept in step with `weights` by `setWeights`). */
  logWeights: Float64Array;
  /** [K, D] */
  means: Float64Array;
  /** full [K, D, D] · tied [D, D] · diag [K, D] · spherical [K] (regCovar included). */
  covariances: Float64Array;
  /**
   * Factors W of the precisions Σ⁻¹ = Wᵀ W, so that the Mahalanobis term is |W (x − μ)|²:
   * full [K, D(D+1)/2] and tied [D(D+1)/2]: W = L⁻¹ (L Lᵀ = Σ), packed lower rows (scikit-learn's
   * `precisions_cholesky_` is Wᵀ); diag [K, D] and spherical [K]: 1/σ.
   */
  precChol: Float64Array;
  /** [K] ln det W = −½ ln det Σ_k. */
  logDetPrecChol: Float64Array;
}

/** Sufficient statistics of one EM pass, accumulated around `shift` (a per-component centre) for accuracy. */
export interface Stats {
  /** [K] Σᵢ rᵢₖ */
  nk: Float64Array;
  /** [K, D] Σᵢ rᵢₖ (xᵢ − shiftₖ) */
  sum: Float64Array;
  /** Type-specific Σᵢ rᵢₖ (xᵢ − shiftₖ)(xᵢ − shiftₖ)ᵀ: full [K, D, D] and tied [D, D] (lower triangle), diag and spherical [K, D]. */
  second: Float64Array;
  /** [K, D] centre of each component's sums (the means the pass started from). */
  shift: Float64Array;
}

/** Work buffers for blocks of at most `block` rows. */
export interface Workspace {
  block: number;
  /** Row stride of diffT/weightedT: ≥ block + 1 and even (a zero pad column keeps SIMD pairs whole). */
  stride: number;
  /** [block, K] log densities, then responsibilities. */
  resp: Float64Array;
  /** [D, stride] differences xᵢ − shiftₖ of the rows with rᵢₖ > 0, transposed (one dimension per run). */
  diffT: Float64Array;
  /** [D, stride] the same differences times rᵢₖ. */
  weightedT: Float64Array;
  /** [4, D] interleaved differences of four rows (E-step). */
  diff4: Float64Array;
  /** [block, D] transformed rows (tied E-step). */
  rowsT: Float64Array;
  /** [K, D] transformed means (tied E-step). */
  meansT: Float64Array;
  /** When set, the SIMD kernels run on arrays that live in this arena (points, buffers, sums). */
  arena?: Arena;
  /** Arena copies of the means [K, D] and precision factors of the parameters an E-step reads (with arena only). */
  meansCopy?: Float64Array;
  precCholCopy?: Float64Array;
  /** [K] per-component constants of the log-densities (with arena only). */
  bases?: Float64Array;
  /** [K] ln weights, and per row of a block the max and Σ exp of the E-step's log-sum-exp (with arena only). */
  logWeightsCopy?: Float64Array;
  rowMax?: Float64Array;
  rowSum?: Float64Array;
  /** [D, stride] the block's rows transposed, and [stride] one component's responsibilities (with arena only). */
  xT?: Float64Array;
  rk?: Float64Array;
  /** k-means buffers in the arena (with arena only). */
  kmeans?: KMeansBuffers;
}

/** The maths of one covariance type: sizes, factorisation, E-step densities, M-step statistics. */
export interface CovarianceModel {
  readonly type: CovarianceType;
  /** Values stored in `covariances` for K components in D dims. */
  covarianceSize(k: number, d: number): number;
  /** Values per component in `covariances` (0 when all components share one, as 'tied'). */
  componentSize(d: number): number;
  /** Values stored in `precChol`. */
  precCholSize(k: number, d: number): number;
  /** Values stored in `Stats.second`. */
  secondSize(k: number, d: number): number;
  /** Free parameters of the covariances (for BIC/AIC). */
  parameterCount(k: number, d: number): number;
  /**
   * Computes `precChol` and `logDetPrecChol` from `covariances`. Returns the index of the first component whose
   * covariance is not positive definite (nothing is written for it), or −1.
   */
  factor(p: MixtureParams): number;
  /** ln N(xᵢ | μₖ, Σₖ) for rows [start, end) of x [N, D]: out[(i − start) K + k]. */
  logDensities(x: Float64Array, start: number, end: number, p: MixtureParams, out: Float64Array, work: Workspace): void;
  /** Adds the statistics of rows [start, end) with responsibilities resp[(i − start) K + k]. */
  accumulate(stats: Stats, x: Float64Array, start: number, end: number, resp: Float64Array, work: Workspace): void;
  /**
   * Covariances from the statistics, given the new means (already in p.means); `mass[k]` = nk + MASS_EPS. Adds
   * regCovar to every variance. Returns the largest ratio δ²/variance over components and dims, where δ = μ − shift:
   * above ~4096 the shifted sums lost more than 12 digits and the pass should be redone around the new means.
   */
  covariancesFromStats(stats: Stats, mass: Float64Array, p: MixtureParams, regCovar: number): number;
  /** Component j's covariance as a full [D, D] matrix written to out. */
  componentCovariance(p: MixtureParams, j: number, out: Float64Array): void;
  /** Covariances (or precisions) from the nested shape of this type; throws naming `where` on a bad shape. */
  fromNested(nested: unknown, k: number, d: number, where: string): Float64Array;
  /** Flat covariances (or precisions) to the nested shape of this type. */
  toNested(values: Float64Array, k: number, d: number): number[] | number[][] | number[][][];
  /** scikit-learn's `precisions_cholesky_` in this type's nested shape (full/tied: upper-triangular U = Wᵀ). */
  precisionsCholesky(p: MixtureParams): number[] | number[][] | number[][][];
  /** Inverts each component's matrix (precisions ↔ covariances); returns the failing component or −1. */
  invert(values: Float64Array, k: number, d: number, out: Float64Array): number;
}

/** Sets weights (normalised to sum 1 unless `normalise` is false: restoring saved weights bit for bit) and their logs. */
export function setWeights(p: MixtureParams, weights: ArrayLike<number>, normalise = true): void {
  let total = 0;
  for (let j = 0; j < p.k; j++) total += weights[j]!;
  if (!normalise) total = 1;
  for (let j = 0; j < p.k; j++) {
    const w = weights[j]! / total;
    p.weights[j] = w;
    p.logWeights[j] = Math.log(w);
  }
}

/** Fresh (zeroed) parameters for K components in D dims of the given covariance model. */
export function emptyParams(model: CovarianceModel, k: number, d: number): MixtureParams {
  return {
    type: model.type,
    k,
    d,
    weights: new Float64Array(k),
    logWeights: new Float64Array(k),
    means: new Float64Array(k * d),
    covariances: new Float64Array(model.covarianceSize(k, d)),
    precChol: new Float64Array(model.precCholSize(k, d)),
    logDetPrecChol: new Float64Array(k),
  };
}

/** A deep copy of parameters. */
export function cloneParams(p: MixtureParams): MixtureParams {
  return {
    type: p.type,
    k: p.k,
    d: p.d,
    weights: p.weights.slice(),
    logWeights: p.logWeights.slice(),
    means: p.means.slice(),
    covariances: p.covariances.slice(),
    precChol: p.precChol.slice(),
    logDetPrecChol: p.logDetPrecChol.slice(),
  };
}

/** Zeroes the accumulated sums (keeps the shift). */
export function resetStats(stats: Stats): void {
  stats.nk.fill(0);
  stats.sum.fill(0);
  stats.second.fill(0);
}

/** Rows per block for D dims: about 16k values (128 KiB) of data per block, between 64 and 1024 rows. */
export function blockRows(d: number): number {
  return Math.max(64, Math.min(1024, Math.floor(16384 / d)));
}

/** Which kernels run the hot loops: 'auto' = WebAssembly SIMD where available, else TypeScript; 'js' = TypeScript. */
export type KernelChoice = 'auto' | 'js';

/** Everything one pass over the data needs: the points, the block buffers and (for fitting) the M-step sums. */
export interface PassContext {
  points: Points;
  work: Workspace;
  stats: Stats;
}

/**
 * Buffers for passes over `points` with K components. With kernels 'auto' and WebAssembly SIMD available, they all
 * live in one arena (the points are copied into it once); otherwise they are plain arrays.
 */
export function createContext(model: CovarianceModel, points: Points, k: number, kernels: KernelChoice): PassContext {
  const d = points.cols;
  const block = Math.min(blockRows(d), points.rows);
  const stride = block + 2 - (block % 2); // even, ≥ block + 1
  const sizes = {
    points: points.rows * d,
    resp: block * k,
    diffT: d * stride,
    weightedT: d * stride,
    diff4: 4 * d,
    rowsT: block * d,
    meansT: k * d,
    meansCopy: k * d,
    precCholCopy: Math.max(model.precCholSize(k, d), k * d),
    bases: k,
    logWeightsCopy: k,
    xT: d * stride,
    rk: stride,
    rowMax: block,
    rowSum: block,
    nk: k,
    sum: k * d,
    second: model.secondSize(k, d),
    shift: k * d,
  };
  const bytes = [...Object.values(sizes), ...Object.values(kmeansBufferSizes(points.rows, k, d))].reduce((a, n) => a + Arena.bytes(n), 0);
  const arena = kernels === 'auto' ? Arena.create(bytes) : undefined;
  const alloc = (n: number): Float64Array => (arena ? arena.f64(n) : new Float64Array(n));
  let data = points.data;
  if (arena) {
    data = arena.f64(sizes.points);
    data.set(points.data);
  }
  const work: Workspace = {
    block,
    stride,
    resp: alloc(sizes.resp),
    diffT: alloc(sizes.diffT),
    weightedT: alloc(sizes.weightedT),
    diff4: alloc(sizes.diff4),
    rowsT: alloc(sizes.rowsT),
    meansT: alloc(sizes.meansT),
  };
  if (arena) {
    work.arena = arena;
    work.meansCopy = arena.f64(sizes.meansCopy);
    work.precCholCopy = arena.f64(sizes.precCholCopy);
    work.bases = arena.f64(sizes.bases);
    work.logWeightsCopy = arena.f64(sizes.logWeightsCopy);
    work.xT = arena.f64(sizes.xT);
    work.rk = arena.f64(sizes.rk);
    work.rowMax = arena.f64(sizes.rowMax);
    work.rowSum = arena.f64(sizes.rowSum);
    work.kmeans = kmeansBuffers(points.rows, k, d, arena);
  }
  const stats: Stats = { nk: alloc(k), sum: alloc(sizes.sum), second: alloc(sizes.second), shift: alloc(sizes.shift) };
  return { points: { rows: points.rows, cols: d, data }, work, stats };
}
