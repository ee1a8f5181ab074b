/**
 * EM passes over the data, block by block (Dempster, Laird & Rubin 1977; Bishop, PRML §9.2.2):
 * - E-step: rᵢₖ = πₖ N(xᵢ | μₖ, Σₖ) / Σⱼ πⱼ N(xᵢ | μⱼ, Σⱼ), in log space with log-sum-exp;
 * - M-step: Nₖ = Σᵢ rᵢₖ, μₖ = Σᵢ rᵢₖ xᵢ / Nₖ, Σₖ = Σᵢ rᵢₖ (xᵢ − μₖ)(xᵢ − μₖ)ᵀ / Nₖ + regCovar·I, πₖ = Nₖ / N.
 * One pass does both: each block's responsibilities are turned into M-step sums at once, so memory is O(block · K),
 * never O(N · K). The sums are taken around the means the pass started from (shifted sums) and redone around the new
 * means when the shift cost more than 12 digits, so the result matches the two-pass formula to rounding. A fit's pass
 * runs in chunks of rows (chunks.ts), on one thread or several, each chunk summing apart; the chunks' sums are added in
 * chunk order, so the thread count never changes a bit of the result.
 */
import { GenlabError } from '../../engine/errors.js';
import { JOBS } from './chunks.js';
import type { Points } from './matrix.js';
import {
  MASS_EPS,
  resetStats,
  setWeights,
  type CovarianceModel,
  type MixtureParams,
  type PassContext,
  type Stats,
  type Workspace,
} from './params.js';

/** Above this δ²/variance the shifted M-step sums are recomputed around the new means. */
export const SHIFT_REDO_RATIO = 4096;

/** A block visitor: rows [start, end), responsibilities resp[(i − start) K + k], log-likelihoods logLik[i − start]. */
export type BlockVisitor = (start: number, end: number, resp: Float64Array, logLik: Float64Array) => void;

export interface EStepResult {
  /** Σᵢ ln p(xᵢ). */
  totalLogLikelihood: number;
  /** The row with the lowest ln p(xᵢ) (the worst-explained point). */
  worstRow: number;
}

function noDensity(row: number): GenlabError {
  return new GenlabError('numeric', `GaussianMixture: row ${row} has no finite density under any component (values too large?); scale the data`);
}

/** Running totals of an E-step: Σ ln p(xᵢ), the lowest ln p(xᵢ) and its row, the first row without a finite density. */
interface Tally {
  total: number;
  worst: number;
  worstRow: number;
  badRow: number;
}

const newTally = (): Tally => ({ total: 0, worst: Infinity, worstRow: 0, badRow: -1 });

/**
 * E-step of rows [start, end) under p: work.resp receives their responsibilities and work.logLik their ln p(xᵢ), and
 * the tally takes them in. Returns false (tally.badRow set) at a row with no finite density under any component.
 */
function eStepBlock(model: CovarianceModel, x: Float64Array, start: number, end: number, p: MixtureParams, work: Workspace, tally: Tally): boolean {
  const kCount = p.k;
  const { resp, logLik, arena, logWeightsCopy, rowMax, rowSum } = work;
  const logW = p.logWeights;
  /** Row `start + i` has ln p(x) = lse. */
  const record = (i: number, lse: number): void => {
    logLik[i] = lse;
    tally.total += lse;
    if (lse < tally.worst) {
      tally.worst = lse;
      tally.worstRow = start + i;
    }
  };
  model.logDensities(x, start, end, p, resp, work); // [B, K] ln N(xᵢ | μₖ, Σₖ)
  if (arena && arena.owns(resp) && logWeightsCopy && rowMax && rowSum) {
    // The same log-sum-exp in the kernel; ln p(xᵢ) = mᵢ + ln sᵢ here.
    logWeightsCopy.set(logW);
    arena.kernels.softmaxRows(resp.byteOffset, logWeightsCopy.byteOffset, end - start, kCount, rowMax.byteOffset, rowSum.byteOffset);
    for (let i = 0; i < end - start; i++) {
      const max = rowMax[i]!;
      if (!(max > -Infinity) || max === Infinity) {
        tally.badRow = start + i;
        return false;
      }
      record(i, max + Math.log(rowSum[i]!));
    }
    return true;
  }
  for (let i = 0, o = 0; i < end - start; i++, o += kCount) {
    let max = -Infinity;
    for (let k = 0; k < kCount; k++) {
      const v = resp[o + k]! + logW[k]!;
      resp[o + k] = v;
      if (v > max) max = v;
    }
    if (!(max > -Infinity) || max === Infinity) {
      tally.badRow = start + i;
      return false;
    }
    let s = 0;
    for (let k = 0; k < kCount; k++) {
      const e = Math.exp(resp[o + k]! - max);
      resp[o + k] = e;
      s += e;
    }
    const inv = 1 / s;
    for (let k = 0; k < kCount; k++) resp[o + k]! *= inv;
    record(i, max + Math.log(s)); // ln Σₖ πₖ N(xᵢ | μₖ, Σₖ)
  }
  return true;
}

/**
 * E-step over all rows under parameters p, block by block; `visit` (optional) sees each block's responsibilities and
 * per-row log-likelihoods (work.logLik). Throws a 'numeric' GenlabError if a row has no finite density under any
 * component.
 */
export function eStep(model: CovarianceModel, points: Points, p: MixtureParams, work: Workspace, visit?: BlockVisitor): EStepResult {
  const { rows: n, data: x } = points;
  const tally = newTally();
  for (let start = 0; start < n; start += work.block) {
    const end = Math.min(n, start + work.block);
    if (!eStepBlock(model, x, start, end, p, work, tally)) throw noDensity(tally.badRow);
    visit?.(start, end, work.resp, work.logLik);
  }
  return { totalLogLikelihood: tally.total, worstRow: tally.worstRow };
}

/**
 * One chunk of a fit's EM pass (see chunks.ts), on thread `thread`: the E-step of its rows under p, their M-step sums
 * into the chunk's own stats (around the context's stats.shift) and its tally into ctx.em.tally.
 */
export function emChunk(model: CovarianceModel, ctx: PassContext, p: MixtureParams, thread: number, chunk: number): void {
  const { em, points } = ctx;
  const work = ctx.works[thread]!;
  const x = points.data;
  const start = chunk * em.rows;
  const end = Math.min(points.rows, start + em.rows);
  const stats = em.stats[chunk]!;
  resetStats(stats);
  const tally = newTally();
  for (let s = start; s < end; s += work.block) {
    const e = Math.min(end, s + work.block);
    if (!eStepBlock(model, x, s, e, p, work, tally)) break;
    model.accumulate(stats, x, s, e, work.resp, work);
  }
  em.tally.set([tally.total, tally.worst, tally.worstRow, tally.badRow], 4 * chunk);
}

/** Copies what the E-step reads of p into `to`. */
function copyForEStep(p: MixtureParams, to: MixtureParams): MixtureParams {
  to.weights.set(p.weights);
  to.logWeights.set(p.logWeights);
  to.means.set(p.means);
  to.precChol.set(p.precChol);
  to.logDetPrecChol.set(p.logDetPrecChol);
  return to;
}

/**
 * E-step under p that also accumulates the M-step sums into ctx.stats (around its shift): the chunks run on the
 * context's runner (this thread, or a team of threads), their sums and tallies are added up in chunk order.
 */
export function emPass(model: CovarianceModel, ctx: PassContext, p: MixtureParams): EStepResult {
  const { em, stats } = ctx;
  const source = ctx.slot ? copyForEStep(p, ctx.slot) : p;
  ctx.runner.run(JOBS.em, 0, em.count, (thread, chunk) => emChunk(model, ctx, source, thread, chunk));
  resetStats(stats);
  let total = 0;
  let worst = Infinity;
  let worstRow = 0;
  for (let c = 0; c < em.count; c++) {
    const part = em.stats[c]!;
    const t = 4 * c;
    if (em.tally[t + 3]! >= 0) throw noDensity(em.tally[t + 3]!); // the first chunk with one has the first such row
    addInto(stats.nk, part.nk);
    addInto(stats.sum, part.sum);
    addInto(stats.second, part.second);
    total += em.tally[t]!;
    if (em.tally[t + 1]! < worst) {
      worst = em.tally[t + 1]!;
      worstRow = em.tally[t + 2]!;
    }
  }
  return { totalLogLikelihood: total, worstRow };
}

/** to += from, element-wise. */
function addInto(to: Float64Array, from: Float64Array): void {
  for (let i = 0; i < to.length; i++) to[i]! += from[i]!;
}

/**
 * M-step from accumulated sums: writes weights, means and covariances of `q` (not its factors). `mass` [K] receives
 * Nₖ + 10ε (scikit-learn's guard against empty components). Returns the largest δ²/variance (see SHIFT_REDO_RATIO).
 */
export function mStep(model: CovarianceModel, stats: Stats, q: MixtureParams, regCovar: number, mass: Float64Array): number {
  const { k: kCount, d } = q;
  for (let k = 0; k < kCount; k++) {
    const m = stats.nk[k]! + MASS_EPS;
    mass[k] = m;
    for (let a = 0; a < d; a++) q.means[k * d + a] = stats.shift[k * d + a]! + stats.sum[k * d + a]! / m;
  }
  setWeights(q, mass);
  return model.covariancesFromStats(stats, mass, q, regCovar);
}

/**
 * Parameters from given responsibilities (the initialisations): `fill(start, end, resp)` writes rows [start, end)
 * of resp [B, K]. Two passes — means first, then covariances around them — as in the two-pass formula.
 */
export function paramsFromResponsibilities(
  model: CovarianceModel,
  points: Points,
  fill: (start: number, end: number, resp: Float64Array) => void,
  q: MixtureParams,
  stats: Stats,
  work: Workspace,
  regCovar: number,
  mass: Float64Array,
): void {
  const { rows: n, data: x } = points;
  const { k: kCount, d } = q;
  // Pass 1: Nₖ and Σᵢ rᵢₖ xᵢ (shift 0) → means.
  stats.shift.fill(0);
  resetStats(stats);
  for (let start = 0; start < n; start += work.block) {
    const end = Math.min(n, start + work.block);
    fill(start, end, work.resp);
    for (let row = start, o = 0; row < end; row++, o += kCount) {
      for (let k = 0; k < kCount; k++) {
        const r = work.resp[o + k]!;
        if (r === 0) continue;
        stats.nk[k]! += r;
        for (let a = 0; a < d; a++) stats.sum[k * d + a]! += r * x[row * d + a]!;
      }
    }
  }
  for (let k = 0; k < kCount; k++) {
    const m = stats.nk[k]! + MASS_EPS;
    for (let a = 0; a < d; a++) stats.shift[k * d + a] = stats.sum[k * d + a]! / m;
  }
  // Pass 2: all sums around those means.
  resetStats(stats);
  for (let start = 0; start < n; start += work.block) {
    const end = Math.min(n, start + work.block);
    fill(start, end, work.resp);
    model.accumulate(stats, x, start, end, work.resp, work);
  }
  mStep(model, stats, q, regCovar, mass);
}

/** A component whose mass Nₖ falls below this (in points) is empty: it is re-seeded (see runEm). */
export const EMPTY_MASS = 1e-6;

/**
 * Gives each empty component (mass < EMPTY_MASS) the mass-weighted mean covariance of the others, so that it stays
 * well defined even with regCovar = 0 (types whose components share one covariance need nothing). Returns how many
 * components are empty.
 */
export function fillEmptyCovariances(model: CovarianceModel, q: MixtureParams, mass: Float64Array): number {
  const size = model.componentSize(q.d);
  let empty = 0;
  for (let k = 0; k < q.k; k++) if (mass[k]! < EMPTY_MASS) empty++;
  if (empty === 0 || empty === q.k || size === 0) return empty;
  const pooled = new Float64Array(size);
  let total = 0;
  for (let k = 0; k < q.k; k++) {
    if (mass[k]! < EMPTY_MASS) continue;
    total += mass[k]!;
    for (let i = 0; i < size; i++) pooled[i]! += mass[k]! * q.covariances[k * size + i]!;
  }
  for (let i = 0; i < size; i++) pooled[i]! /= total;
  for (let k = 0; k < q.k; k++) if (mass[k]! < EMPTY_MASS) q.covariances.set(pooled, k * size);
  return empty;
}

export interface EmOptions {
  maxIter: number;
  tol: number;
  regCovar: number;
  /** Restart index (for messages and onIteration). */
  init: number;
  warn: (message: string) => void;
  onIteration?: ((info: { init: number; iteration: number; lowerBound: number; change: number }) => void) | undefined;
}

export interface EmResult {
  params: MixtureParams;
  converged: boolean;
  iterations: number;
  /** Mean log-likelihood per point of the parameters the last iteration started from (scikit-learn's lower_bound_). */
  lowerBound: number;
  /** lowerBound of every iteration. */
  history: number[];
}

/** The advice every singular-covariance error ends with. */
export function singularAdvice(regCovar: number): string {
  return `try fewer components, a larger regCovar (now ${regCovar}), or scaling the data`;
}

/** Factors q's covariances, throwing a 'numeric' GenlabError that says what to do when one is not positive definite. */
export function factorOrThrow(model: CovarianceModel, q: MixtureParams, regCovar: number, when: string): void {
  const failed = model.factor(q);
  if (failed < 0) return;
  const which = model.componentSize(q.d) === 0 ? 'the shared covariance' : `component ${failed}`;
  throw new GenlabError(
    'numeric',
    `GaussianMixture.fit: ${which} has an ill-defined covariance ${when} (not positive definite, e.g. collapsed onto ` +
      `a single point or a constant column); ${singularAdvice(regCovar)}`,
  );
}

/**
 * EM from parameters p (factored) until the mean log-likelihood changes by less than tol, or maxIter iterations.
 * Each iteration is one pass (E-step + M-step sums) and, rarely, a second pass when the shifted sums lost digits.
 * An empty component is re-seeded at the worst-explained point, with a warning (at most 2K times per run).
 */
export function runEm(model: CovarianceModel, ctx: PassContext, p: MixtureParams, spare: MixtureParams, options: EmOptions): EmResult {
  const { maxIter, tol, regCovar, init, warn, onIteration } = options;
  const { points, stats } = ctx;
  const n = points.rows;
  const mass = new Float64Array(p.k);
  const history: number[] = [];
  let cur = p;
  let next = spare;
  let prev = -Infinity;
  let lowerBound = -Infinity;
  let converged = false;
  let iterations = 0;
  let reseeds = 0;
  let reseededLast = false;
  for (let it = 1; it <= maxIter; it++) {
    iterations = it;
    stats.shift.set(cur.means);
    const { totalLogLikelihood, worstRow } = emPass(model, ctx, cur);
    lowerBound = totalLogLikelihood / n;
    let ratio = mStep(model, stats, next, regCovar, mass);
    if (ratio > SHIFT_REDO_RATIO) {
      // A component moved far compared with its spread: redo the sums around the new means.
      stats.shift.set(next.means);
      emPass(model, ctx, cur);
      ratio = mStep(model, stats, next, regCovar, mass);
    }
    const empty = fillEmptyCovariances(model, next, mass);
    let reseeded = false;
    if (empty > 0 && reseeds < 2 * p.k) {
      const k = mass.findIndex((m) => m < EMPTY_MASS);
      reseed(next, k, points, worstRow);
      reseeds++;
      reseeded = true;
      warn(
        `GaussianMixture.fit: component ${k} lost all its points at iteration ${it}${options.init > 0 ? ` of restart ${init}` : ''}; ` +
          `re-seeded it at the worst-explained point (row ${worstRow}). If this keeps happening, ${singularAdvice(regCovar)}`,
      );
    }
    factorOrThrow(model, next, regCovar, `at iteration ${it}`);
    [cur, next] = [next, cur];
    history.push(lowerBound);
    const change = lowerBound - prev;
    onIteration?.({ init, iteration: it, lowerBound, change });
    // Not converged right after a re-seed: the bound is not comparable across it.
    if (Math.abs(change) < tol && !reseeded && !reseededLast) {
      converged = true;
      break;
    }
    reseededLast = reseeded;
    prev = lowerBound;
  }
  return { params: cur, converged, iterations, lowerBound, history };
}

/** Moves component k to row `row` with one point's worth of weight (its covariance is already the pooled one). */
function reseed(q: MixtureParams, k: number, points: Points, row: number): void {
  const d = q.d;
  q.means.set(points.data.subarray(row * d, row * d + d), k * d);
  const weights = q.weights.slice();
  weights[k] = 1 / points.rows;
  setWeights(q, weights);
}
