/** Public types of the Gaussian mixture model: data, covariance shapes, configuration and the saved JSON form. */

/** A block of points, row-major: point i is data[i * cols .. (i + 1) * cols). */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array | Float32Array;
}

/** What every method that takes points accepts: a row-major Matrix, or an array of rows. */
export type DataInput = Matrix | readonly (readonly number[])[];

/**
 * How components share their covariance (scikit-learn's `covariance_type`):
 * - `full`: each component has its own general covariance matrix;
 * - `tied`: all components share one general covariance matrix;
 * - `diag`: each component has its own diagonal covariance matrix;
 * - `spherical`: each component has its own single variance (σ² I).
 */
export type CovarianceType = 'full' | 'tied' | 'diag' | 'spherical';

export const COVARIANCE_TYPES: readonly CovarianceType[] = ['full', 'tied', 'diag', 'spherical'];

/**
 * How the first responsibilities are chosen (scikit-learn's `init_params`):
 * - `kmeans` (default): run k-means (Lloyd's algorithm, started from k-means++ seeds) and take its hard assignment;
 * - `kmeans++`: the k-means++ seeds only (no Lloyd iterations): each seed point starts one component;
 * - `random`: responsibilities drawn uniformly at random and normalised per point;
 * - `random-from-data`: K distinct data points drawn uniformly at random start one component each.
 */
export type InitMethod = 'kmeans' | 'kmeans++' | 'random' | 'random-from-data';

export const INIT_METHODS: readonly InitMethod[] = ['kmeans', 'kmeans++', 'random', 'random-from-data'];

/**
 * Covariances as nested arrays, in scikit-learn's shapes: full [K][D][D], tied [D][D], diag [K][D], spherical [K].
 * (Precisions and precision Cholesky factors have the same shapes.)
 */
export interface CovarianceShapes {
  full: number[][][];
  tied: number[][];
  diag: number[][];
  spherical: number[];
}

/** Covariances (or precisions) of covariance type C, as nested arrays. */
export type CovarianceArray<C extends CovarianceType = CovarianceType> = CovarianceShapes[C];

/** One EM iteration as reported to `onIteration`. */
export interface IterationInfo {
  /** Restart index, 0 … nInit − 1. */
  init: number;
  /** Iteration, 1-based. */
  iteration: number;
  /** Mean log-likelihood per point of the parameters this iteration started from (natural log). */
  lowerBound: number;
  /** lowerBound − previous lowerBound (Infinity on the first iteration). */
  change: number;
}

/** Configuration of a GaussianMixture. Every field is optional except `components`; defaults are scikit-learn's. */
export interface GaussianMixtureConfig<C extends CovarianceType = CovarianceType> {
  /** Number of mixture components K (an integer ≥ 1, at most the number of points). */
  components: number;
  /** Covariance type (see CovarianceType). Default 'full'. */
  covariance?: C;
  /** How the first responsibilities are chosen (see InitMethod). Default 'kmeans'. */
  init?: InitMethod;
  /** Number of initialisations (restarts); the one with the best lower bound is kept. Default 1. */
  nInit?: number;
  /** Maximum EM iterations per initialisation. Default 100. */
  maxIter?: number;
  /** EM stops when the mean log-likelihood per point changes by less than this. Default 1e-3. */
  tol?: number;
  /** Added to the diagonal of every covariance so that it stays positive definite. Default 1e-6. */
  regCovar?: number;
  /** Seed of every random draw (initialisation, sampling). Default 0. */
  seed?: number;
  /** When true, a second `fit` starts from the current parameters (nInit is then 1). Default false. */
  warmStart?: boolean;
  /**
   * Which code runs the hot loops: 'auto' (default) uses WebAssembly SIMD kernels where the runtime has them (Node
   * ≥ 16, current browsers) and TypeScript otherwise; 'js' forces the TypeScript kernels. Results agree to rounding.
   */
  kernels?: 'auto' | 'js';
  /**
   * Threads that share a fit's passes over the data (k-means and EM), where worker threads and shared WebAssembly
   * memory exist (Node ≥ 20.16; elsewhere a fit runs on one). Data too small to split in chunks runs on one thread.
   * The fitted result is the same, bit for bit, whatever the count. Default: 2 in Node on 2 or more cores, else 1.
   */
  threads?: number;
  /** Initial weights [K] (sum 1), overriding those of `init`. */
  weightsInit?: readonly number[];
  /** Initial means [K][D], overriding those of `init`. */
  meansInit?: readonly (readonly number[])[];
  /** Initial precisions (inverse covariances) in the covariance type's shape, overriding those of `init`. */
  precisionsInit?: CovarianceArray<C>;
  /** Receives every warning (non-convergence, re-seeded components); they are also kept in `warnings`. */
  onWarning?: (message: string) => void;
  /** Called after every EM iteration (progress display); must not throw. */
  onIteration?: (info: IterationInfo) => void;
}

/** The saved form of a fitted GaussianMixture (`toJSON` / `GaussianMixture.fromJSON`). */
export interface GaussianMixtureJSON {
  kind: 'gmm';
  version: 1;
  config: {
    components: number;
    covariance: CovarianceType;
    init: InitMethod;
    nInit: number;
    maxIter: number;
    tol: number;
    regCovar: number;
    seed: number;
    warmStart: boolean;
  };
  /** Number of dimensions D. */
  dims: number;
  /** [K] */
  weights: number[];
  /** [K][D] */
  means: number[][];
  /** In the covariance type's shape (see CovarianceShapes). */
  covariances: CovarianceArray;
  converged: boolean;
  iterations: number;
  lowerBound: number;
  lowerBoundHistory: number[];
}
