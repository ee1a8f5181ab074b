/**
 * A 2×2 checkerboard in images: per image and channel, the variance of the means of its four pixel phases (even/odd
 * row × even/odd column) over the variance of all its pixels, averaged. Strided transposed convolutions whose kernel
 * the stride does not divide paint such a pattern (Odena, Dumoulin & Olah 2016, "Deconvolution and Checkerboard
 * Artifacts"): a fresh DCGAN generator's sprites hold 17–34% of their variance in it, real images almost none.
 */

/**
 * Mean checkerboard share of `count` images [count, height, width, channels] (row-major, channels last), in [0, 1]:
 * the phases' means are weighted by their pixel counts (unequal on odd sides), so the between-phase variance is at
 * most the total. Flat image-channels (no variance) are left out of the mean (NaN when every one is flat).
 */
export function checkerboardShare(pixels: Float32Array, count: number, height: number, width: number, channels: number): number {
  const size = height * width * channels;
  if (pixels.length !== count * size) throw new Error(`checkerboardShare: ${pixels.length} values are not ${count} images of ${height}×${width}×${channels}`);
  const n = height * width;
  // Pixels per phase, the same for every image: rows with even / odd index times columns with even / odd index.
  const [evenRows, evenCols] = [Math.ceil(height / 2), Math.ceil(width / 2)];
  const counts = [evenRows * evenCols, evenRows * (width - evenCols), (height - evenRows) * evenCols, (height - evenRows) * (width - evenCols)];
  const sums = new Float64Array(4);
  let total = 0;
  let measured = 0;
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < channels; c++) {
      sums.fill(0);
      let [s, s2] = [0, 0];
      for (let r = 0; r < height; r++) {
        for (let q = 0; q < width; q++) {
          const v = pixels[i * size + (r * width + q) * channels + c]!;
          const phase = (r % 2) * 2 + (q % 2);
          sums[phase] = sums[phase]! + v;
          s += v;
          s2 += v * v;
        }
      }
      const mean = s / n;
      const variance = s2 / n - mean * mean;
      if (!(variance > 1e-12)) continue;
      let phaseVariance = 0;
      for (let p = 0; p < 4; p++) if (counts[p]! > 0) phaseVariance += (counts[p]! / n) * (sums[p]! / counts[p]! - mean) ** 2;
      total += phaseVariance / variance;
      measured++;
    }
  }
  return measured > 0 ? total / measured : NaN;
}
