/**
 * A straightforward full-covariance EM iteration, the way a textbook writes it (Bishop, PRML §9.2.2): per point and
 * component, fresh arrays; each covariance inverted and its determinant taken by Gauss–Jordan elimination; densities
 * exponentiated through log-sum-exp. No blocking, no triangular factors, no typed arrays. It is the baseline of
 * bench/gmm.ts and an outside check of the library's EM step in test/gmm.test.ts.
 */

export interface ReferenceParams {
  /** [K] */
  weights: number[];
  /** [K][D] */
  means: number[][];
  /** [K][D][D] */
  covariances: number[][][];
}

/** Inverse and ln |det| of a square matrix by Gauss–Jordan elimination with partial pivoting. */
export function invertWithLogDet(m: number[][]): { inverse: number[][]; logDet: number } {
  const d = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: d }, (_, j) => (i === j ? 1 : 0))]);
  let logDet = 0;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    const pivot = a[c]![c]!;
    logDet += Math.log(Math.abs(pivot));
    for (let j = 0; j < 2 * d; j++) a[c]![j]! /= pivot;
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = a[r]![c]!;
      for (let j = 0; j < 2 * d; j++) a[r]![j]! -= f * a[c]![j]!;
    }
  }
  return { inverse: a.map((row) => row.slice(d)), logDet };
}

/** One EM iteration from `params` on points `x`: the new parameters and the mean log-likelihood of the old ones. */
export function referenceEmIteration(x: number[][], params: ReferenceParams, regCovar = 1e-6): { params: ReferenceParams; meanLogLikelihood: number } {
  const n = x.length;
  const d = x[0]!.length;
  const k = params.weights.length;
  const factors = params.covariances.map(invertWithLogDet);
  // E-step: responsibilities, point by point.
  const resp: number[][] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const logp: number[] = [];
    for (let j = 0; j < k; j++) {
      const diff = x[i]!.map((v, a) => v - params.means[j]![a]!);
      const solved = factors[j]!.inverse.map((row) => row.reduce((s, v, b) => s + v * diff[b]!, 0));
      const maha = diff.reduce((s, v, a) => s + v * solved[a]!, 0);
      logp.push(Math.log(params.weights[j]!) - 0.5 * (d * Math.log(2 * Math.PI) + factors[j]!.logDet + maha));
    }
    const max = Math.max(...logp);
    const lse = max + Math.log(logp.reduce((s, v) => s + Math.exp(v - max), 0));
    total += lse;
    resp.push(logp.map((v) => Math.exp(v - lse)));
  }
  // M-step: masses, means, covariances.
  const weights: number[] = [];
  const means: number[][] = [];
  const covariances: number[][][] = [];
  for (let j = 0; j < k; j++) {
    let nk = 0;
    const mean = new Array<number>(d).fill(0);
    for (let i = 0; i < n; i++) {
      nk += resp[i]![j]!;
      for (let a = 0; a < d; a++) mean[a]! += resp[i]![j]! * x[i]![a]!;
    }
    nk += 10 * Number.EPSILON; // as scikit-learn
    for (let a = 0; a < d; a++) mean[a]! /= nk;
    const cov = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (let i = 0; i < n; i++) {
      const diff = x[i]!.map((v, a) => v - mean[a]!);
      const outer = diff.map((u) => diff.map((v) => resp[i]![j]! * u * v));
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a]![b]! += outer[a]![b]!;
    }
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) cov[a]![b]! /= nk;
      cov[a]![a]! += regCovar;
    }
    weights.push(nk);
    means.push(mean);
    covariances.push(cov);
  }
  const mass = weights.reduce((s, v) => s + v, 0);
  return { params: { weights: weights.map((w) => w / mass), means, covariances }, meanLogLikelihood: total / n };
}
