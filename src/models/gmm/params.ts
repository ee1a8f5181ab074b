/**
 * The internal state of a mixture (flat Float64Arrays), the sufficient statistics an EM pass accumulates, the work
 * buffers of one pass, and the interface every covariance type implements (see covariance.ts for the table).
 */
import { chunkRows, CONTROL_BYTES, SERIAL, type ChunkRunner } from './chunks.js';
import type { Points } from './matrix.js';
import type { CovarianceType } from './types.js';
import { Arena } from './wasm/arena.js';
import { kmeansBuffers, PLAIN_ALLOCATOR, type Allocator, type KMeansBuffers } from './kmeans.js';

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
  /** [block] ln p(xᵢ) of the block's rows. */
  logLik: Float64Array;
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

/** What fixes a context's layout: the same shape gives the same views at the same offsets (workers rely on it). */
export interface ContextShape {
  type: CovarianceType;
  rows: number;
  cols: number;
  k: number;
  /** Threads that may work on it: one workspace each. */
  threads: number;
}

/** The fit's EM pass in chunks (see chunks.ts): each chunk's partial sums and tallies, added up in chunk order. */
export interface EmChunks {
  /** Rows per chunk, and how many chunks. */
  rows: number;
  count: number;
  /** Per chunk, its M-step sums (their shift is the context's stats.shift). */
  stats: Stats[];
  /** [count, 4] per chunk: Σ ln p(xᵢ), the lowest ln p(xᵢ), its row, the first row without a finite density (or −1). */
  tally: Float64Array;
}

/** Everything passes over the data need: the points, per-thread block buffers, the M-step sums and their chunks. */
export interface PassContext {
  shape: ContextShape;
  points: Points;
  /** Thread 0's workspace (this thread's). */
  work: Workspace;
  /** One workspace per thread. */
  works: Workspace[];
  stats: Stats;
  em: EmChunks;
  /**
   * The parameters an EM pass reads, where every thread can read them: arena copies (emPass fills them) when the
   * context is shared; otherwise null and the pass reads the caller's parameters.
   */
  slot: MixtureParams | null;
  /** Who runs the chunks of a pass: this thread (SERIAL) unless a fit sets its team of threads. */
  runner: ChunkRunner;
  /** The shared arena, when worker threads can attach to it; and its team's control block (byte offset). */
  arena?: Arena;
  controlOffset?: number;
}

/**
 * Lays out a context's buffers from `alloc` in a fixed order (see ContextShape): with `simd`, the arena's extra
 * buffers too (`arena` is the allocator then, or undefined while only counting bytes).
 */
function layout(model: CovarianceModel, shape: ContextShape, alloc: Allocator, simd: boolean, arena: Arena | undefined): PassContext {
  const { rows: n, cols: d, k, threads } = shape;
  const block = Math.min(blockRows(d), n);
  const stride = block + 2 - (block % 2); // even, ≥ block + 1
  const data = simd ? alloc.f64(n * d) : new Float64Array(0); // plain contexts read the caller's points
  const works = Array.from({ length: threads }, (): Workspace => {
    const work: Workspace = {
      block,
      stride,
      resp: alloc.f64(block * k),
      logLik: alloc.f64(block),
      diffT: alloc.f64(d * stride),
      weightedT: alloc.f64(d * stride),
      diff4: alloc.f64(4 * d),
      rowsT: alloc.f64(block * d),
      meansT: alloc.f64(k * d),
    };
    if (simd) {
      if (arena) work.arena = arena;
      work.meansCopy = alloc.f64(k * d);
      work.precCholCopy = alloc.f64(Math.max(model.precCholSize(k, d), k * d));
      work.bases = alloc.f64(k);
      work.logWeightsCopy = alloc.f64(k);
      work.xT = alloc.f64(d * stride);
      work.rk = alloc.f64(stride);
      work.rowMax = alloc.f64(block);
      work.rowSum = alloc.f64(block);
    }
    return work;
  });
  const second = model.secondSize(k, d);
  const stats: Stats = { nk: alloc.f64(k), sum: alloc.f64(k * d), second: alloc.f64(second), shift: alloc.f64(k * d) };
  const { rows: rowsPerChunk, count } = emChunking(model, n, d, k);
  const em: EmChunks = {
    rows: rowsPerChunk,
    count,
    stats: Array.from({ length: count }, () => ({ nk: alloc.f64(k), sum: alloc.f64(k * d), second: alloc.f64(second), shift: stats.shift })),
    tally: alloc.f64(4 * count),
  };
  works[0]!.kmeans = kmeansBuffers(n, k, d, alloc, arena, threads);
  const context: PassContext = { shape, points: { rows: n, cols: d, data }, work: works[0]!, works, stats, em, slot: null, runner: SERIAL };
  if (simd && threads > 1) {
    if (arena) context.arena = arena;
    context.controlOffset = alloc.f64(CONTROL_BYTES / 8).byteOffset;
    context.slot = {
      type: shape.type,
      k,
      d,
      weights: alloc.f64(k),
      logWeights: alloc.f64(k),
      means: alloc.f64(k * d),
      covariances: new Float64Array(0), // the E-step never reads them
      precChol: alloc.f64(model.precCholSize(k, d)),
      logDetPrecChol: alloc.f64(k),
    };
  }
  return context;
}

/**
 * How a fit's EM pass over N rows is cut: chunks of whole blocks, at least four blocks each, at most MAX_CHUNKS of
 * them, and fewer when their partial sums would take more than 32 MB. Depends on the data's shape only.
 */
export function emChunking(model: CovarianceModel, n: number, d: number, k: number): { rows: number; count: number } {
  const block = Math.min(blockRows(d), n);
  const partBytes = 8 * (k + k * d + model.secondSize(k, d));
  const maxChunks = Math.max(2, Math.floor((32 << 20) / partBytes));
  const rows = Math.max(chunkRows(n, block, 4), block * Math.ceil(n / (maxChunks * block)));
  return { rows, count: Math.ceil(n / rows) };
}

/** An allocator that only adds up the bytes an arena would need. */
function byteCounter(): Allocator & { bytes: number } {
  const counter = {
    bytes: 0,
    f64(n: number) {
      counter.bytes += Arena.bytes(n);
      return new Float64Array(0);
    },
    i32(n: number) {
      counter.bytes += Math.ceil(n / 4) * 16;
      return new Int32Array(0);
    },
  };
  return counter;
}

/**
 * Buffers for passes over `points` with K components, for up to `threads` threads. With kernels 'auto' and
 * WebAssembly SIMD available, they all live in one arena (the points are copied into it once), a shared one when
 * threads > 1 (else the context is for one thread); otherwise they are plain arrays.
 */
export function createContext(model: CovarianceModel, points: Points, k: number, kernels: KernelChoice, threads = 1): PassContext {
  const shape: ContextShape = { type: model.type, rows: points.rows, cols: points.cols, k, threads };
  let arena: Arena | undefined;
  if (kernels === 'auto') {
    if (threads > 1) {
      const counter = byteCounter();
      layout(model, shape, counter, true, undefined);
      arena = Arena.create(counter.bytes, true);
    }
    if (!arena) {
      shape.threads = 1;
      const counter = byteCounter();
      layout(model, shape, counter, true, undefined);
      arena = Arena.create(counter.bytes);
    }
  }
  if (!arena) shape.threads = 1;
  const context = layout(model, shape, arena ?? PLAIN_ALLOCATOR, arena !== undefined, arena);
  if (arena) context.points.data.set(points.data);
  else context.points = points;
  return context;
}

/** The context a worker thread sees: the views of `createContext` over the same shared memory. */
export function attachContext(model: CovarianceModel, shape: ContextShape, arena: Arena): PassContext {
  return layout(model, shape, arena, true, arena);
}
