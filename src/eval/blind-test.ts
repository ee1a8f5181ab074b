/**
 * A person's two-sample test: real images and a model's samples shuffled into one grid, the person marks the ones
 * they take for generated, and the score says how often they were right. This is HYPE∞ (Zhou et al. 2019, "HYPE: A
 * Benchmark for Human eYe Perceptual Evaluation of Generative Models", §3.2): the human error rate on a balanced mix
 * of real and generated images, 50% when samples cannot be told from real images, 0% when every one is told apart.
 * It asks the question of the Pokémon done-when — would a person take these for sprites? — which no feature net
 * answers for sprites (eval/two-sample.ts is the machine's version). Pure functions: the lab's runs board draws the
 * grid and takes the clicks; examples/blind-test.ts and bench/pokemon-peer.ts write it as a PNG (`blindGrid`).
 */
import { badInput } from '../engine/errors.js';
import { Rng } from '../engine/rng.js';

/** One cell of the grid: the i-th real image or the i-th sample. */
export interface BlindCell {
  generated: boolean;
  index: number;
}

/** `real` real images and `generated` samples in an order drawn from `rng` (its Fisher–Yates shuffle). */
export function blindLayout(real: number, generated: number, rng: Rng): BlindCell[] {
  for (const [what, n] of [['real', real], ['generated', generated]] as const) {
    if (!(Number.isInteger(n) && n >= 1)) throw badInput(`blind test: ${what} images`, `expected a whole number ≥ 1, got ${n}`);
  }
  return rng.shuffle<BlindCell[]>([
    ...Array.from({ length: real }, (_, index) => ({ generated: false, index })),
    ...Array.from({ length: generated }, (_, index) => ({ generated: true, index })),
  ]);
}

export interface BlindScore {
  /** Samples marked generated, of all samples. */
  generatedCaught: number;
  generated: number;
  /** Real images left unmarked, of all real images. */
  realKept: number;
  real: number;
  /** Balanced accuracy: the mean of the two shares (0.5 when the person cannot tell). */
  accuracy: number;
  /** HYPE∞'s score: the balanced error rate, 1 − accuracy (0.5 when the samples pass for real images). */
  humanError: number;
}

/** Scores the cells the person marked as generated (grid positions). */
export function scoreBlindTest(layout: readonly BlindCell[], marked: Iterable<number>): BlindScore {
  const picks = new Set<number>();
  for (const m of marked) {
    if (!(Number.isInteger(m) && m >= 0 && m < layout.length)) throw badInput('blind test: marked cell', `expected a position in [0, ${layout.length - 1}], got ${m}`);
    picks.add(m);
  }
  const generated = layout.filter((c) => c.generated).length;
  const real = layout.length - generated;
  if (generated === 0 || real === 0) throw badInput('blind test: layout', `expected real and generated cells, got ${real} real and ${generated} generated`);
  const generatedCaught = layout.filter((c, i) => c.generated && picks.has(i)).length;
  const realKept = layout.filter((c, i) => !c.generated && !picks.has(i)).length;
  const accuracy = (generatedCaught / generated + realKept / real) / 2;
  return { generatedCaught, generated, realKept, real, accuracy, humanError: 1 - accuracy };
}

/**
 * A whole grid of `n` held-out images and `n` samples, for a page or a PNG: the held-out images drawn from `real`
 * ([count, ...] flattened, `size` values each) by the seed's stream seed + 1000, the cells shuffled by seed + 7, and
 * `samples` (at least n, in order) filling the generated cells. Returns the images in cell order and the key.
 */
export function blindGrid(real: { data: Float32Array; count: number }, samples: Float32Array, n: number, size: number, seed: number): { images: Float32Array; layout: BlindCell[] } {
  if (real.count < n) throw badInput('blind test: held-out images', `expected at least ${n}, got ${real.count}`);
  if (samples.length < n * size) throw badInput('blind test: samples', `expected at least ${n} of ${size} values, got ${Math.floor(samples.length / size)}`);
  const picks = new Rng(seed + 1000).shuffle(Array.from({ length: real.count }, (_, i) => i)).slice(0, n);
  const layout = blindLayout(n, n, new Rng(seed + 7));
  const images = new Float32Array(2 * n * size);
  layout.forEach((cell, i) => {
    const start = (cell.generated ? cell.index : picks[cell.index]!) * size;
    images.set((cell.generated ? samples : real.data).subarray(start, start + size), i * size);
  });
  return { images, layout };
}
