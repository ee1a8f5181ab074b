/**
 * The maths of each covariance type, as a table keyed by the type: EM and the estimator look up the entry once and
 * never branch on the type themselves. Each entry is a `CovarianceModel` (see params.ts for what it provides).
 */
import { diagCovariance, sphericalCovariance } from './cov-diag.js';
import { fullCovariance } from './cov-full.js';
import { tiedCovariance } from './cov-tied.js';
import type { CovarianceModel } from './params.js';
import type { CovarianceType } from './types.js';

export const COVARIANCE_MODELS: Readonly<Record<CovarianceType, CovarianceModel>> = {
  full: fullCovariance,
  tied: tiedCovariance,
  diag: diagCovariance,
  spherical: sphericalCovariance,
};

/** Free parameters of a K-component mixture in D dims: covariances + means (K·D) + weights (K − 1). */
export function parameterCount(type: CovarianceType, k: number, d: number): number {
  return COVARIANCE_MODELS[type].parameterCount(k, d) + k * d + (k - 1);
}
