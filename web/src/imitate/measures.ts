/**
 * What the page measures of a set of images (row-major floats in [0, 1], [h, w] single-channel):
 * how sharp they are — the mean gradient magnitude (blur flattens edges) and the share of grey pixels, neither
 * background nor ink (a blurred stroke is grey) — and summaries of their nearest-training distances.
 */

/** Pixels strictly between these count as grey. */
export const GREY = [0.1, 0.9] as const;

/** Mean over images and pixels of |∇x| by forward differences (0 at the last row/column's missing neighbour). */
export function meanGradient(images: Float32Array, count: number, h: number, w: number): number {
  let sum = 0;
  for (let k = 0; k < count; k++) {
    const o = k * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = images[o + y * w + x]!;
        const dx = x + 1 < w ? images[o + y * w + x + 1]! - v : 0;
        const dy = y + 1 < h ? images[o + (y + 1) * w + x]! - v : 0;
        sum += Math.sqrt(dx * dx + dy * dy);
      }
    }
  }
  return sum / (count * h * w);
}

/** Share of the pixels that are grey: strictly between GREY[0] and GREY[1]. */
export function greyShare(images: Float32Array, count: number, size: number): number {
  let grey = 0;
  for (let i = 0; i < count * size; i++) {
    const v = images[i]!;
    if (v > GREY[0] && v < GREY[1]) grey++;
  }
  return grey / (count * size);
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return values.length ? s / values.length : NaN;
}

/** Share of `values` in each of `bins` equal bins over [lo, hi) (values outside go to the end bins). */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): number[] {
  const out = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const b = Math.floor(((values[i]! - lo) / (hi - lo)) * bins);
    out[Math.min(bins - 1, Math.max(0, b))]! += 1 / values.length;
  }
  return out;
}
