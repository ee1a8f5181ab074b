/**
 * Gaussian mixture models fitted by EM — scikit-learn's `GaussianMixture`, in TypeScript (the maths is in gmm/).
 *
 * ```ts
 * import { GaussianMixture, selectComponents } from './models/gmm.js';
 * const gmm = new GaussianMixture({ components: 3, covariance: 'full', seed: 0 }).fit(rows); // rows: number[][] or { rows, cols, data }
 * gmm.predict(rows); gmm.predictProba(rows); gmm.scoreSamples(rows); gmm.bic(rows); gmm.sample(500);
 * const saved = JSON.stringify(gmm); const again = GaussianMixture.fromJSON(JSON.parse(saved));
 * const { bestK, table } = selectComponents(rows, { range: [1, 10], criterion: 'bic' });
 * ```
 *
 * Layout of gmm/: gaussian-mixture.ts (the estimator), em.ts (E/M passes, the EM loop), covariance.ts (the table of
 * covariance types: cov-full.ts, cov-tied.ts, cov-diag.ts), kernels.ts (hot loops in TypeScript), wasm/ (the same
 * loops as WebAssembly SIMD: .wat assembled by wabt at build time), kmeans.ts and init.ts (initialisations), select.ts (BIC/AIC),
 * matrix.ts (input validation), types.ts (public types); chunks.ts (a fit's passes in chunks, run by a team of threads),
 * pool.ts and worker.ts (the worker threads, Node only).
 */
export { GaussianMixture, resolveConfig, type MixtureSample, type ResolvedConfig } from './gmm/gaussian-mixture.js';
export { selectComponents, type SelectOptions, type SelectionResult, type SelectionRow } from './gmm/select.js';
export { kmeans, kmeansPlusPlus, type KMeansOptions, type KMeansResult } from './gmm/kmeans.js';
export { toPoints, type Points } from './gmm/matrix.js';
export { parameterCount } from './gmm/covariance.js';
export { wasmAvailable } from './gmm/wasm/arena.js';
export {
  COVARIANCE_TYPES,
  INIT_METHODS,
  type CovarianceArray,
  type CovarianceShapes,
  type CovarianceType,
  type DataInput,
  type GaussianMixtureConfig,
  type GaussianMixtureJSON,
  type InitMethod,
  type IterationInfo,
  type Matrix,
} from './gmm/types.js';
