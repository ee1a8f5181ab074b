/** Choosing the number of components by an information criterion (BIC or AIC) over a range of K. */
import { badInput } from '../../engine/errors.js';
import { GaussianMixture } from './gaussian-mixture.js';
import { toPoints } from './matrix.js';
import type { CovarianceType, DataInput, GaussianMixtureConfig } from './types.js';

/** One row of the selection table. */
export interface SelectionRow {
  k: number;
  bic: number;
  aic: number;
  /** Mean ln p(xᵢ) per point under the fitted model (natural log). */
  logLikelihood: number;
  converged: boolean;
  iterations: number;
}

export interface SelectOptions<C extends CovarianceType = CovarianceType>
  extends Omit<GaussianMixtureConfig<C>, 'components' | 'weightsInit' | 'meansInit' | 'precisionsInit' | 'warmStart'> {
  /** Inclusive range of K to try. Default [1, 10] (capped at the number of points). */
  range?: readonly [number, number];
  /** Criterion to minimise. Default 'bic'. */
  criterion?: 'bic' | 'aic';
  /** Called after each K is fitted (progress). */
  onFit?: (row: SelectionRow) => void;
}

export interface SelectionResult<C extends CovarianceType = CovarianceType> {
  /** One row per K tried, in increasing K. */
  table: SelectionRow[];
  /** The fitted model with the lowest criterion. */
  best: GaussianMixture<C>;
  bestK: number;
}

/**
 * Fits a GaussianMixture for each K in `range` (same seed and settings) and keeps the one with the lowest BIC (or
 * AIC). BIC = −2 ln L + p ln N penalises parameters more than AIC = −2 ln L + 2p and is consistent for the true K.
 */
export function selectComponents<C extends CovarianceType = 'full'>(data: DataInput, options: SelectOptions<C> = {}): SelectionResult<C> {
  const where = 'selectComponents';
  const points = toPoints(data, where);
  const { range = [1, 10], criterion = 'bic', onFit, ...config } = options;
  if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => Number.isSafeInteger(v) && v >= 1) || range[0] > range[1]) {
    throw badInput(`${where}: range`, `expected [min, max] integers with 1 <= min <= max, got ${JSON.stringify(range)}`);
  }
  if (criterion !== 'bic' && criterion !== 'aic') throw badInput(`${where}: criterion`, `expected 'bic' or 'aic', got '${String(criterion)}'`);
  const lo = range[0];
  const hi = Math.min(range[1], points.rows);
  if (lo > hi) throw badInput(`${where}: range`, `the smallest K (${lo}) exceeds the number of points (${points.rows})`);
  const table: SelectionRow[] = [];
  let best: GaussianMixture<C> | undefined;
  let bestValue = Infinity;
  for (let k = lo; k <= hi; k++) {
    const gmm = new GaussianMixture<C>({ ...config, components: k }).fit(points);
    const logLikelihood = gmm.score(points);
    const n = points.rows;
    const p = gmm.parameterCount;
    const row: SelectionRow = {
      k,
      bic: -2 * logLikelihood * n + p * Math.log(n),
      aic: -2 * logLikelihood * n + 2 * p,
      logLikelihood,
      converged: gmm.converged,
      iterations: gmm.iterations,
    };
    table.push(row);
    onFit?.(row);
    if (row[criterion] < bestValue || best === undefined) {
      bestValue = row[criterion];
      best = gmm;
    }
  }
  return { table, best: best!, bestK: best!.components };
}
