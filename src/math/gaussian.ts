/**
 * Gaussians in float64: the mean and covariance of a set of rows, the Fréchet distance between two Gaussians (what
 * FID measures), and the ellipse a 2-D Gaussian is drawn as. Plain numbers, no TF.js: the image metrics, the mixture
 * plots and the lab all use these.
 */
import { badInput } from '../engine/errors.js';
import { symmetricEigen2, trace, traceSqrtProduct } from './linalg.js';

/** Mean and covariance (unbiased, divided by count − 1, as numpy.cov) of `count` rows of `dim` values. */
export interface GaussianStats {
  dim: number;
  count: number;
  mean: Float64Array;
  /** dim × dim row-major. */
  cov: Float64Array;
}

export function gaussianStats(rows: ArrayLike<number>, count: number, dim: number): GaussianStats {
  if (!(count >= 2) || rows.length < count * dim) throw badInput('gaussianStats', `need at least 2 rows of ${dim} values, got ${count} (${rows.length} values)`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) mean[j] = mean[j]! + rows[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j] = mean[j]! / count;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) centred[j] = rows[i * dim + j]! - mean[j]!;
    for (let j = 0; j < dim; j++) {
      const cj = centred[j]!;
      if (cj === 0) continue;
      const row = j * dim;
      for (let k = j; k < dim; k++) cov[row + k] = cov[row + k]! + cj * centred[k]!;
    }
  }
  for (let j = 0; j < dim; j++) {
    for (let k = j; k < dim; k++) {
      const v = cov[j * dim + k]! / (count - 1);
      cov[j * dim + k] = v;
      cov[k * dim + j] = v;
    }
  }
  return { dim, count, mean, cov };
}

/**
 * Fréchet distance between N(μ₁, Σ₁) and N(μ₂, Σ₂) (Dowson & Landau 1982; FID, Heusel et al. 2017):
 *   ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^{1/2}).
 * Exact in float64 up to rounding, so identical statistics give 0 to ~1e-10 relative.
 */
export function frechetDistance(a: GaussianStats, b: GaussianStats): number {
  if (a.dim !== b.dim) throw badInput('frechetDistance', `statistics of dimension ${a.dim} and ${b.dim}`);
  const n = a.dim;
  let d2 = 0;
  for (let j = 0; j < n; j++) d2 += (a.mean[j]! - b.mean[j]!) ** 2;
  return d2 + trace(a.cov, n) + trace(b.cov, n) - 2 * traceSqrtProduct(a.cov, b.cov, n);
}

/** The ellipse {x : (x − μ)ᵀ Σ⁻¹ (x − μ) = s²} of a 2-D Gaussian, centred on its mean. */
export interface CovarianceEllipse {
  /** Semi-axes s·√λ₁ ≥ s·√λ₂ along the eigenvectors of Σ (data units). */
  semiMajor: number;
  semiMinor: number;
  /** Angle of the major axis from the x axis, radians, counter-clockwise (x right, y up) in (−π/2, π/2]. */
  angle: number;
}

/**
 * The `nSigma`-σ ellipse of a 2 × 2 covariance [[σxx, σxy], [σxy, σyy]] (only σxx, σxy, σyy are read). Slightly
 * negative eigenvalues — rounding of a singular covariance — give a semi-axis of 0.
 */
export function covarianceEllipse(cov: readonly (readonly number[])[], nSigma = 1): CovarianceEllipse {
  const sxx = cov[0]?.[0], sxy = cov[0]?.[1], syy = cov[1]?.[1];
  if (!Number.isFinite(sxx) || !Number.isFinite(sxy) || !Number.isFinite(syy)) throw badInput('covarianceEllipse', `expected a finite 2 × 2 covariance, got ${JSON.stringify(cov)}`);
  if (!(nSigma >= 0)) throw badInput('covarianceEllipse', `nSigma must be ≥ 0, got ${nSigma}`);
  const [l1, l2, angle] = symmetricEigen2(sxx!, sxy!, syy!);
  return { semiMajor: nSigma * Math.sqrt(Math.max(l1, 0)), semiMinor: nSigma * Math.sqrt(Math.max(l2, 0)), angle };
}
