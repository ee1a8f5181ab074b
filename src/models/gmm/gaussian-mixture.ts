/**
 * The Gaussian mixture estimator: p(x) = Σₖ πₖ N(x | μₖ, Σₖ), fitted by EM (see em.ts), with scikit-learn's
 * `GaussianMixture` API in TypeScript: fit / predict / predictProba / scoreSamples / score / sample / bic / aic.
 */
import { badInput } from '../../engine/errors.js';
import { Rng } from '../../engine/rng.js';
import { COVARIANCE_MODELS, parameterCount } from './covariance.js';
import { MAX_CHUNKS, Team } from './chunks.js';
import { eStep, factorOrThrow, fillEmptyCovariances, paramsFromResponsibilities, runEm } from './em.js';
import { INITIALISERS } from './init.js';
import { choleskyPacked, packedSize } from '../../math/linalg.js';
import { toNested, toPoints, type Points } from './matrix.js';
import { defaultThreads, enlistWorkers } from './pool.js';
import {
  cloneParams,
  createContext,
  emChunking,
  emptyParams,
  setWeights,
  type CovarianceModel,
  type MixtureParams,
  type PassContext,
} from './params.js';
import {
  COVARIANCE_TYPES,
  INIT_METHODS,
  type CovarianceArray,
  type CovarianceType,
  type DataInput,
  type GaussianMixtureConfig,
  type GaussianMixtureJSON,
  type InitMethod,
  type Matrix,
} from './types.js';

/** The configuration with every default filled in (callbacks and initial values stay optional). */
export type ResolvedConfig<C extends CovarianceType> = Required<
  Omit<GaussianMixtureConfig<C>, 'weightsInit' | 'meansInit' | 'precisionsInit' | 'onWarning' | 'onIteration'>
> &
  Pick<GaussianMixtureConfig<C>, 'weightsInit' | 'meansInit' | 'precisionsInit' | 'onWarning' | 'onIteration'>;

/** Points drawn from a mixture, and the component each came from. */
export interface MixtureSample {
  /** [n, D] */
  points: Matrix & { data: Float64Array };
  /** [n] component index of each point. */
  labels: Int32Array;
}

const WHERE = 'GaussianMixture';
/** Most threads a fit may use (a pass has at most MAX_CHUNKS chunks to share). */
const MAX_THREADS = MAX_CHUNKS;

function checkInteger(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw badInput(`${WHERE}.${name}`, `expected an integer >= ${min}, got ${String(v)}`);
  return v;
}

function checkNumber(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw badInput(`${WHERE}.${name}`, `expected a finite number >= ${min}, got ${String(v)}`);
  return v;
}

function checkChoice<T extends string>(name: string, v: unknown, choices: readonly T[]): T {
  if (!(choices as readonly unknown[]).includes(v)) throw badInput(`${WHERE}.${name}`, `expected one of ${choices.join(', ')}, got '${String(v)}'`);
  return v as T;
}

/** Fills defaults (scikit-learn's) and validates every field, naming the parameter, the constraint and the value. */
export function resolveConfig<C extends CovarianceType>(config: GaussianMixtureConfig<C>): ResolvedConfig<C> {
  if (typeof config !== 'object' || config === null) throw badInput(WHERE, `expected a config object like { components: 3 }, got ${String(config)}`);
  const resolved: ResolvedConfig<C> = {
    components: checkInteger('components', config.components, 1),
    covariance: checkChoice('covariance', config.covariance ?? 'full', COVARIANCE_TYPES) as C,
    init: checkChoice('init', config.init ?? 'kmeans', INIT_METHODS),
    nInit: checkInteger('nInit', config.nInit ?? 1, 1),
    maxIter: checkInteger('maxIter', config.maxIter ?? 100, 0),
    tol: checkNumber('tol', config.tol ?? 1e-3, 0),
    regCovar: checkNumber('regCovar', config.regCovar ?? 1e-6, 0),
    seed: checkInteger('seed', config.seed ?? 0, -Number.MAX_SAFE_INTEGER),
    warmStart: config.warmStart ?? false,
    kernels: checkChoice('kernels', config.kernels ?? 'auto', ['auto', 'js'] as const),
    threads: checkInteger('threads', config.threads ?? defaultThreads(), 1),
  };
  if (resolved.threads > MAX_THREADS) throw badInput(`${WHERE}.threads`, `expected an integer from 1 to ${MAX_THREADS}, got ${resolved.threads}`);
  if (typeof resolved.warmStart !== 'boolean') throw badInput(`${WHERE}.warmStart`, `expected true or false, got ${String(config.warmStart)}`);
  for (const key of ['onWarning', 'onIteration'] as const) {
    const f = config[key];
    if (f !== undefined && typeof f !== 'function') throw badInput(`${WHERE}.${key}`, `expected a function, got ${typeof f}`);
  }
  if (config.weightsInit !== undefined) {
    const w = config.weightsInit;
    const k = resolved.components;
    if (!Array.isArray(w) || w.length !== k) throw badInput(`${WHERE}.weightsInit`, `expected ${k} weights, got ${Array.isArray(w) ? `${w.length}` : typeof w}`);
    w.forEach((v, i) => {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw badInput(`${WHERE}.weightsInit[${i}]`, `expected a number in [0, 1], got ${String(v)}`);
    });
    const total = w.reduce((a, b) => a + b, 0);
    if (Math.abs(total - 1) > 1e-6) throw badInput(`${WHERE}.weightsInit`, `expected weights that sum to 1, got a sum of ${total}`);
  }
  if (config.meansInit !== undefined) resolved.meansInit = config.meansInit;
  if (config.weightsInit !== undefined) resolved.weightsInit = config.weightsInit;
  if (config.precisionsInit !== undefined) resolved.precisionsInit = config.precisionsInit;
  if (config.onWarning !== undefined) resolved.onWarning = config.onWarning;
  if (config.onIteration !== undefined) resolved.onIteration = config.onIteration;
  return resolved;
}

/**
 * A mixture of K Gaussians fitted by expectation–maximisation, in float64 with log-sum-exp, covariances handled
 * through Cholesky factors of the precisions.
 *
 * ```ts
 * const gmm = new GaussianMixture({ components: 3, covariance: 'full', seed: 1 }).fit(rows);
 * gmm.predict(rows); gmm.scoreSamples(rows); gmm.bic(rows); gmm.sample(100).points;
 * ```
 */
export class GaussianMixture<C extends CovarianceType = 'full'> {
  /** The configuration, defaults filled in. */
  readonly config: ResolvedConfig<C>;
  /** Warnings of the last fit (also sent to config.onWarning): non-convergence, re-seeded components. */
  warnings: string[] = [];
  /** Whether the best restart of the last fit converged (lower bound changed by less than tol). */
  converged = false;
  /** EM iterations of the best restart. */
  iterations = 0;
  /** Mean log-likelihood per point at the start of the best restart's last iteration (scikit-learn's lower_bound_). */
  lowerBound = -Infinity;
  /**
   * lowerBound of every iteration of the best restart: non-decreasing, as EM guarantees (up to rounding), except
   * right after an empty component was re-seeded (a warning says when).
   */
  lowerBoundHistory: number[] = [];
  /** Threads the last fit shared its passes with (config.threads, or 1 when the data was too small to split). */
  threadsUsed = 1;

  private params: MixtureParams | undefined;
  private readonly model: CovarianceModel;
  private sampleRng: Rng;

  constructor(config: GaussianMixtureConfig<C>) {
    this.config = resolveConfig(config);
    this.model = COVARIANCE_MODELS[this.config.covariance];
    this.sampleRng = new Rng(this.config.seed).fork();
  }

  /** Whether fit (or fromJSON) has set the parameters. */
  get fitted(): boolean {
    return this.params !== undefined;
  }

  /** Number of components K. */
  get components(): number {
    return this.config.components;
  }

  /** Dimension D of the points the model was fitted on. */
  get dims(): number {
    return this.fittedParams('dims').d;
  }

  /** [K] mixing weights πₖ (sum 1). */
  get weights(): number[] {
    return Array.from(this.fittedParams('weights').weights);
  }

  /** [K][D] component means μₖ. */
  get means(): number[][] {
    const p = this.fittedParams('means');
    return toNested(p.means, p.k, p.d);
  }

  /** Covariances in the type's shape: full [K][D][D], tied [D][D], diag [K][D], spherical [K] (regCovar included). */
  get covariances(): CovarianceArray<C> {
    const p = this.fittedParams('covariances');
    return this.model.toNested(p.covariances, p.k, p.d) as CovarianceArray<C>;
  }

  /** Component k's covariance as a full [D][D] matrix, whatever the covariance type. */
  covarianceMatrix(k: number): number[][] {
    const p = this.fittedParams('covarianceMatrix');
    if (!Number.isInteger(k) || k < 0 || k >= p.k) throw badInput(`${WHERE}.covarianceMatrix`, `expected a component index in [0, ${p.k - 1}], got ${k}`);
    const out = new Float64Array(p.d * p.d);
    this.model.componentCovariance(p, k, out);
    return toNested(out, p.d, p.d);
  }

  /** Precisions Σₖ⁻¹ in the covariance type's shape. */
  get precisions(): CovarianceArray<C> {
    const p = this.fittedParams('precisions');
    const out = new Float64Array(p.covariances.length);
    this.model.invert(p.covariances, p.k, p.d, out);
    return this.model.toNested(out, p.k, p.d) as CovarianceArray<C>;
  }

  /**
   * scikit-learn's precisions_cholesky_: for full/tied the upper-triangular Uₖ with Σₖ⁻¹ = Uₖ Uₖᵀ; for diag and
   * spherical 1/σ.
   */
  get precisionsCholesky(): CovarianceArray<C> {
    return this.model.precisionsCholesky(this.fittedParams('precisionsCholesky')) as CovarianceArray<C>;
  }

  /** Free parameters: covariances + K·D means + K − 1 weights. */
  get parameterCount(): number {
    return parameterCount(this.config.covariance, this.config.components, this.fittedParams('parameterCount').d);
  }

  /**
   * Fits the mixture to `data` ([N, D], N ≥ K, finite): nInit restarts of init + EM, keeping the one with the best
   * lower bound. Non-convergence is a warning. Returns this.
   */
  fit(data: DataInput): this {
    const points = toPoints(data, `${WHERE}.fit`);
    const { components: k, nInit, maxIter, tol, regCovar, seed, warmStart } = this.config;
    if (k > points.rows) {
      throw badInput(`${WHERE}.fit`, `components must be at most the number of points, got components = ${k} for ${points.rows} rows; use fewer components`);
    }
    const reuse = warmStart && this.params !== undefined;
    if (reuse && this.params!.d !== points.cols) {
      throw badInput(`${WHERE}.fit`, `warmStart: data has ${points.cols} columns, but the model was fitted on ${this.params!.d}`);
    }
    this.warnings = [];
    const model = this.model;
    const d = points.cols;
    // Threads only where the data splits in chunks for them (the result is the same either way).
    const threads = Math.min(this.config.threads, emChunking(model, points.rows, d, k).count);
    const ctx = createContext(model, points, k, this.config.kernels, threads);
    let team: Team | undefined;
    if (ctx.arena && ctx.controlOffset !== undefined && enlistWorkers(ctx.arena.memory, ctx.shape) > 0) {
      ctx.runner = team = new Team(ctx.arena.memory.buffer, ctx.controlOffset, ctx.shape.threads, 0);
    }
    this.threadsUsed = ctx.runner.threads;
    const rng = new Rng(seed);
    let best: ReturnType<typeof runEm> | undefined;
    const restarts = reuse ? 1 : nInit;
    try {
      for (let init = 0; init < restarts; init++) {
        const initRng = rng.fork();
        const p = reuse ? cloneParams(this.params!) : this.initialParams(ctx, initRng);
        const run = runEm(model, ctx, p, emptyParams(model, k, d), {
          maxIter,
          tol,
          regCovar,
          init,
          warn: (m) => this.warn(m),
          onIteration: this.config.onIteration,
        });
        if (best === undefined || run.lowerBound > best.lowerBound) best = run;
      }
    } finally {
      team?.release();
    }
    const result = best!;
    this.params = result.params;
    this.converged = result.converged;
    this.iterations = result.iterations;
    this.lowerBound = result.lowerBound;
    this.lowerBoundHistory = result.history;
    if (!result.converged && maxIter > 0) {
      this.warn(
        `${WHERE}.fit: ${restarts > 1 ? 'the best of ' + restarts + ' initialisations' : 'EM'} did not converge in maxIter = ${maxIter} ` +
          `iterations (last change of the mean log-likelihood above tol = ${tol}); increase maxIter or tol, try another init, or check for degenerate data`,
      );
    }
    return this;
  }

  /** fit(data) then predict(data): the component of each training point. */
  fitPredict(data: DataInput): Int32Array {
    const points = toPoints(data, `${WHERE}.fitPredict`);
    return this.fit(points).predict(points);
  }

  /** [N] the most probable component of each row. */
  predict(data: DataInput): Int32Array {
    const { points, p } = this.prepare(data, 'predict');
    const k = p.k;
    const labels = new Int32Array(points.rows);
    this.evaluate(points, p, (start, end, resp) => {
      for (let i = start; i < end; i++) {
        const o = (i - start) * k;
        let best = 0;
        for (let j = 1; j < k; j++) if (resp[o + j]! > resp[o + best]!) best = j;
        labels[i] = best;
      }
    });
    return labels;
  }

  /** [N, K] posterior probability of each component for each row (rows sum to 1). */
  predictProba(data: DataInput): Matrix & { data: Float64Array } {
    const { points, p } = this.prepare(data, 'predictProba');
    const k = p.k;
    const out = new Float64Array(points.rows * k);
    this.evaluate(points, p, (start, end, resp) => out.set(resp.subarray(0, (end - start) * k), start * k));
    return { rows: points.rows, cols: k, data: out };
  }

  /** [N] ln p(xᵢ) = ln Σₖ πₖ N(xᵢ | μₖ, Σₖ) of each row (natural log density). */
  scoreSamples(data: DataInput): Float64Array {
    const { points, p } = this.prepare(data, 'scoreSamples');
    const out = new Float64Array(points.rows);
    this.evaluate(points, p, (start, end, _resp, logLik) => out.set(logLik.subarray(0, end - start), start));
    return out;
  }

  /** Mean ln p(xᵢ) over the rows (natural log). */
  score(data: DataInput): number {
    const { points, p } = this.prepare(data, 'score');
    return this.evaluate(points, p) / points.rows;
  }

  /** Bayesian information criterion −2 ln L + (free parameters) ln N on `data` (lower is better). */
  bic(data: DataInput): number {
    const { points } = this.prepare(data, 'bic');
    return -2 * this.score(points) * points.rows + this.parameterCount * Math.log(points.rows);
  }

  /** Akaike information criterion −2 ln L + 2 (free parameters) on `data` (lower is better). */
  aic(data: DataInput): number {
    const { points } = this.prepare(data, 'aic');
    return -2 * this.score(points) * points.rows + 2 * this.parameterCount;
  }

  /**
   * Draws n points: each picks a component with probability πₖ, then x = μₖ + Lₖ z with Lₖ Lₖᵀ = Σₖ, z ~ N(0, I).
   * With `seed` the draw is reproducible on its own; without it, successive calls continue one stream seeded by
   * config.seed.
   */
  sample(n: number, seed?: number): MixtureSample {
    const p = this.fittedParams('sample');
    checkInteger('sample: n', n, 0);
    if (seed !== undefined && !Number.isFinite(seed)) throw badInput(`${WHERE}.sample`, `seed must be a finite number, got ${seed}`);
    const rng = seed === undefined ? this.sampleRng : new Rng(seed);
    const { k, d } = p;
    const tri = packedSize(d);
    const chol = new Float64Array(k * tri); // [K, packed D] Lₖ
    const cov = new Float64Array(d * d);
    for (let j = 0; j < k; j++) {
      this.model.componentCovariance(p, j, cov);
      if (!choleskyPacked(cov, 0, d, chol, j * tri)) throw badInput(`${WHERE}.sample`, `component ${j} has a covariance that is not positive definite`);
    }
    const cumulative = new Float64Array(k);
    let s = 0;
    for (let j = 0; j < k; j++) cumulative[j] = s += p.weights[j]!;
    const points = new Float64Array(n * d);
    const labels = new Int32Array(n);
    const z = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const u = rng.uniform() * s;
      let j = 0;
      while (j < k - 1 && u >= cumulative[j]!) j++;
      labels[i] = j;
      rng.normals(z);
      let r = j * tri;
      for (let a = 0; a < d; a++) {
        let v = p.means[j * d + a]!;
        for (let b = 0; b <= a; b++) v += chol[r + b]! * z[b]!;
        r += a + 1;
        points[i * d + a] = v;
      }
    }
    return { points: { rows: n, cols: d, data: points }, labels };
  }

  /** The fitted model as plain JSON (`kind: 'gmm'`, version 1); GaussianMixture.fromJSON restores it exactly. */
  toJSON(): GaussianMixtureJSON {
    const p = this.fittedParams('toJSON');
    const { components, covariance, init, nInit, maxIter, tol, regCovar, seed, warmStart } = this.config;
    return {
      kind: 'gmm',
      version: 1,
      config: { components, covariance, init, nInit, maxIter, tol, regCovar, seed, warmStart },
      dims: p.d,
      weights: Array.from(p.weights),
      means: toNested(p.means, p.k, p.d),
      covariances: this.model.toNested(p.covariances, p.k, p.d),
      converged: this.converged,
      iterations: this.iterations,
      lowerBound: this.lowerBound,
      lowerBoundHistory: [...this.lowerBoundHistory],
    };
  }

  /** Restores a model saved by toJSON (validating every field); its scores are identical to the saved model's. */
  static fromJSON(json: unknown): GaussianMixture<CovarianceType> {
    const where = `${WHERE}.fromJSON`;
    if (typeof json !== 'object' || json === null) throw badInput(where, `expected a saved model object, got ${String(json)}`);
    const j = json as Partial<GaussianMixtureJSON>;
    if (j.kind !== 'gmm') throw badInput(where, `expected kind 'gmm', got '${String(j.kind)}'`);
    if (j.version !== 1) throw badInput(where, `expected version 1, got ${String(j.version)}`);
    if (typeof j.config !== 'object' || j.config === null) throw badInput(where, 'config is missing');
    const gmm = new GaussianMixture<CovarianceType>(j.config);
    const k = gmm.config.components;
    const d = checkInteger('fromJSON: dims', j.dims, 1);
    const model = gmm.model;
    const p = emptyParams(model, k, d);
    if (!Array.isArray(j.weights) || j.weights.length !== k || !j.weights.every((w) => typeof w === 'number' && w > 0 && Number.isFinite(w))) {
      throw badInput(`${where}: weights`, `expected ${k} positive numbers`);
    }
    const total = j.weights.reduce((a, b) => a + b, 0);
    if (Math.abs(total - 1) > 1e-9) throw badInput(`${where}: weights`, `expected weights that sum to 1, got a sum of ${total}`);
    setWeights(p, j.weights, false);
    if (!Array.isArray(j.means) || j.means.length !== k) throw badInput(`${where}: means`, `expected ${k} rows of ${d} numbers`);
    j.means.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== d || !row.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw badInput(`${where}: means[${i}]`, `expected ${d} finite numbers`);
      }
      p.means.set(row, i * d);
    });
    p.covariances.set(model.fromNested(j.covariances, k, d, `${where}: covariances`));
    const failed = model.factor(p);
    if (failed >= 0) throw badInput(`${where}: covariances`, `component ${failed} is not positive definite`);
    gmm.params = p;
    gmm.converged = j.converged === true;
    gmm.iterations = typeof j.iterations === 'number' ? j.iterations : 0;
    gmm.lowerBound = typeof j.lowerBound === 'number' ? j.lowerBound : -Infinity;
    gmm.lowerBoundHistory = Array.isArray(j.lowerBoundHistory) ? j.lowerBoundHistory.filter((v) => typeof v === 'number') : [];
    return gmm;
  }

  // ---- internals ----

  private warn(message: string): void {
    this.warnings.push(message);
    this.config.onWarning?.(message);
  }

  private fittedParams(method: string): MixtureParams {
    if (!this.params) throw badInput(`${WHERE}.${method}`, 'the model is not fitted yet; call fit(data) first');
    return this.params;
  }

  private prepare(data: DataInput, method: string): { points: Points; p: MixtureParams } {
    const p = this.fittedParams(method);
    const points = toPoints(data, `${WHERE}.${method}`);
    if (points.cols !== p.d) throw badInput(`${WHERE}.${method}`, `data has ${points.cols} columns, but the model was fitted on ${p.d}`);
    return { points, p };
  }

  /** E-step over `points` (block-wise); returns Σ ln p(xᵢ). */
  private evaluate(
    points: Points,
    p: MixtureParams,
    visit?: (start: number, end: number, resp: Float64Array, logLik: Float64Array) => void,
  ): number {
    const { points: passPoints, work } = createContext(this.model, points, p.k, this.config.kernels);
    return eStep(this.model, passPoints, p, work, visit).totalLogLikelihood;
  }

  /** Parameters of one restart: responsibilities from config.init, then weightsInit/meansInit/precisionsInit. */
  private initialParams(ctx: PassContext, rng: Rng): MixtureParams {
    const { points, work, stats } = ctx;
    const { components: k, init, regCovar } = this.config;
    const d = points.cols;
    const model = this.model;
    const q = emptyParams(model, k, d);
    const mass = new Float64Array(k);
    const fill = INITIALISERS[init as InitMethod](points, k, rng, work.kmeans, ctx.runner);
    paramsFromResponsibilities(model, points, fill, q, stats, work, regCovar, mass);
    fillEmptyCovariances(model, q, mass);
    const { weightsInit, meansInit, precisionsInit } = this.config;
    if (weightsInit) setWeights(q, weightsInit);
    if (meansInit) {
      if (!Array.isArray(meansInit) || meansInit.length !== k) throw badInput(`${WHERE}.meansInit`, `expected ${k} rows of ${d} numbers`);
      meansInit.forEach((row, i) => {
        if (!Array.isArray(row) || row.length !== d || !row.every((v) => Number.isFinite(v))) {
          throw badInput(`${WHERE}.meansInit[${i}]`, `expected ${d} finite numbers (the data has ${d} columns)`);
        }
        q.means.set(row, i * d);
      });
    }
    if (precisionsInit) {
      const precisions = model.fromNested(precisionsInit, k, d, `${WHERE}.precisionsInit`);
      if (model.invert(precisions, k, d, q.covariances) >= 0) throw badInput(`${WHERE}.precisionsInit`, 'expected positive-definite precisions');
    }
    factorOrThrow(model, q, regCovar, `at initialisation ('${init}')`);
    return q;
  }
}
