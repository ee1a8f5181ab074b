/**
 * A GMM fitted to the VAE's codes one EM iteration at a time (through the estimator's public API, as the GMM page
 * does: a fit with maxIter 0 initialises, then each step is a warm-started fit with maxIter 1), so the page can
 * draw every iteration and stay responsive. Its mean log-likelihood per code after each iteration is kept, next to
 * the prior N(0, I)'s on the same codes: two densities over codes, K Gaussians against one.
 */
import { GaussianMixture, type Matrix } from '../../../src/browser.js';
import type { MixtureView } from './code-plane.js';

/** EM has converged when the mean log-likelihood changes by less than this. */
const TOL = 1e-5;
/** EM stops here whatever happens. */
const MAX_ITERATIONS = 300;

export class CodeMixture {
  private readonly gmm: GaussianMixture<'full'>;
  /** Mean log-likelihood per code: [0] of the initial components, then after each iteration. */
  readonly history: number[] = [];
  iteration = 0;
  converged = false;

  constructor(
    private readonly points: Matrix,
    readonly k: number,
    seed: number,
  ) {
    const start = new GaussianMixture({ components: k, covariance: 'full', init: 'kmeans', seed, maxIter: 0 }).fit(points);
    const json = start.toJSON();
    this.gmm = GaussianMixture.fromJSON({ ...json, config: { ...json.config, maxIter: 1, warmStart: true } }) as GaussianMixture<'full'>;
    this.history.push(this.gmm.score(points));
  }

  /** One EM iteration; false once converged (or at the iteration limit). */
  step(): boolean {
    if (this.done) return false;
    this.gmm.fit(this.points);
    this.iteration++;
    this.history.push(this.gmm.score(this.points));
    const [prev, last] = this.history.slice(-2) as [number, number];
    this.converged = Math.abs(last - prev) < TOL;
    return !this.done;
  }

  get done(): boolean {
    return this.converged || this.iteration >= MAX_ITERATIONS;
  }

  get logLikelihood(): number {
    return this.history[this.history.length - 1]!;
  }

  view(): MixtureView {
    return { weights: this.gmm.weights, means: this.gmm.means, covariances: this.gmm.covariances };
  }
}

/** Mean log N(z; 0, I) over `count` 2-D codes: the VAE's prior as a density over the same codes. */
export function priorLogLikelihood(codes: Float32Array, count: number): number {
  let sum = 0;
  for (let i = 0; i < 2 * count; i++) sum += codes[i]! * codes[i]!;
  return -Math.log(2 * Math.PI) - (0.5 * sum) / count;
}
