/**
 * The decoded manifold: a square grid of 2-D codes decoded into one mosaic. Spaced by the quantiles of N(0, 1) (as in
 * Kingma & Welling's figure: each cell then holds an equal share of the prior's mass), or evenly over [−3, 3].
 */
import { tf, type VAE } from '../../../src/browser.js';

export type GridSpacing = 'quantiles' | 'linear';

/**
 * Φ⁻¹(p), the standard normal quantile, for 0 < p < 1 (Acklam's rational approximation, relative error below
 * 1.2e-9: plenty for placing a grid).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: expected 0 < p < 1, got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const tail = (q: number): number =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < low) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5, r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** The n coordinates of the grid along one axis, increasing: quantiles (i + ½)/n of N(0, 1), or evenly over [−3, 3]. */
export function gridAxis(n: number, spacing: GridSpacing): number[] {
  return Array.from({ length: n }, (_, i) => (spacing === 'quantiles' ? normalQuantile((i + 0.5) / n) : n === 1 ? 0 : -3 + (6 * i) / (n - 1)));
}

/**
 * The grid's codes, [n·n·2] row-major: row r from the top holds z₂ = axis[n − 1 − r] (up on the plane is up in the
 * mosaic), column c holds z₁ = axis[c].
 */
export function gridCodes(axis: readonly number[]): Float32Array {
  const n = axis.length;
  const codes = new Float32Array(n * n * 2);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      codes[2 * (r * n + c)] = axis[c]!;
      codes[2 * (r * n + c) + 1] = axis[n - 1 - r]!;
    }
  }
  return codes;
}

/** The mean images of p(x|z) for `count` 2-D codes: [count, ...dataShape] values. */
export function decodeCodes(model: VAE, codes: Float32Array, count: number): Float32Array {
  const images = tf.tidy(() => model.decode(tf.tensor2d(codes, [count, model.latent])));
  try {
    return images.dataSync() as Float32Array;
  } finally {
    images.dispose();
  }
}
