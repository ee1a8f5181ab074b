/**
 * How many colours an image uses: the entropy (bits) of its pixels' colours over a 4×4×4 grid of RGB cells, white
 * pixels (every channel above 0.9: the sprites' background) left out, averaged over images. Indexed-colour sprites
 * use a few flat colours each (the held-out Pokémon at 20×20: 3.0 bits); a generator that picks every pixel's colour
 * on its own paints more, one that commits each pixel to a small palette fewer.
 */

/** Cells per channel of the RGB grid. */
export const COLOUR_LEVELS = 4;
/** A pixel whose channels are all above this is background (white). */
export const WHITE_LEVEL = 0.9;

/**
 * Mean colour entropy in bits of `count` RGB images [count, …, 3] with values in [0, 1]; images with no pixel but
 * white are left out of the mean (NaN when every image is blank).
 */
export function colourEntropy(pixels: Float32Array, count: number): number {
  const perImage = pixels.length / count;
  if (!Number.isInteger(perImage) || perImage % 3 !== 0) throw new Error(`colourEntropy: ${pixels.length} values are not ${count} RGB images`);
  const cells = new Float64Array(COLOUR_LEVELS ** 3);
  const cell = (v: number): number => Math.min(COLOUR_LEVELS - 1, Math.max(0, Math.floor(v * COLOUR_LEVELS)));
  let total = 0;
  let images = 0;
  for (let i = 0; i < count; i++) {
    cells.fill(0);
    let coloured = 0;
    for (let o = i * perImage; o < (i + 1) * perImage; o += 3) {
      const [r, g, b] = [pixels[o]!, pixels[o + 1]!, pixels[o + 2]!];
      if (r > WHITE_LEVEL && g > WHITE_LEVEL && b > WHITE_LEVEL) continue;
      cells[(cell(r) * COLOUR_LEVELS + cell(g)) * COLOUR_LEVELS + cell(b)]!++;
      coloured++;
    }
    if (coloured === 0) continue;
    let entropy = 0;
    for (const c of cells) if (c > 0) entropy -= (c / coloured) * Math.log2(c / coloured);
    total += entropy;
    images++;
  }
  return images > 0 ? total / images : NaN;
}
