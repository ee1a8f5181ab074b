/**
 * The nearest training image of each query image under Euclidean (L2) pixel distance. Blocks of training rows are
 * searched on the TF.js backend with one matrix product each — ‖b − a‖² = ‖b‖² − 2 b·a + ‖a‖², and ‖a‖² is the same
 * for every training row b, so argmin over b needs ‖b‖² − 2 b·a only — one block per frame, so the page stays
 * responsive. The winner's distance is then recomputed exactly (float64, pixel by pixel): what the page shows is
 * the true L2 distance, not a float32 difference of large norms.
 */
import { tf } from '../../../src/browser.js';
import { pixelOf, rowsAsFloats, type TrainingDigits } from './training-digits.js';

export interface NearestResult {
  /** Index in the training split of each query's nearest image. */
  index: Int32Array;
  /** L2 distance to it. */
  distance: Float64Array;
}

export interface SearchOptions {
  /** Milliseconds of work per block (default 30): the block size adapts to it, so frames keep coming. */
  blockMs?: number;
  onProgress?: (done: number, total: number) => void;
  /** Checked between blocks: false abandons the search (it then resolves to null). */
  stillWanted?: () => boolean;
}

/** Lets the browser draw and handle input between blocks (rAF, or a timer when the tab is hidden). */
const nextFrame = (): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, 50);
    requestAnimationFrame(() => {
      clearTimeout(timer);
      resolve();
    });
  });

/** The exact L2 distance between query q (size values at `at` in `queries`) and training image i. */
export function exactDistance(queries: Float32Array, at: number, digits: TrainingDigits, i: number): number {
  let s = 0;
  for (let j = 0; j < digits.size; j++) {
    const d = queries[at + j]! - pixelOf(digits, i, j);
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Nearest training images of `count` query images (row-major floats in [0, 1]); null when abandoned. */
export async function nearestTraining(queries: Float32Array, count: number, digits: TrainingDigits, options: SearchOptions = {}): Promise<NearestResult | null> {
  const blockMs = options.blockMs ?? 30;
  let block = 256;
  const size = digits.size;
  const bestScore = new Float64Array(count).fill(Infinity);
  const index = new Int32Array(count).fill(-1);
  const queriesT = tf.tidy(() => tf.transpose(tf.tensor2d(queries.subarray(0, count * size), [count, size]))); // [size, count]
  try {
    for (let from = 0, to = 0; from < digits.count; from = to) {
      if (options.stillWanted && !options.stillWanted()) return null;
      to = Math.min(digits.count, from + block);
      const started = performance.now();
      const [minScore, argMin] = tf.tidy(() => {
        const rows = tf.tensor2d(rowsAsFloats(digits, from, to), [to - from, size]);
        const norms = tf.tensor2d(digits.squaredNorms.subarray(from, to), [to - from, 1]);
        const score = tf.sub(norms, tf.mul(2, tf.matMul(rows, queriesT))); // [rows, count]: ‖b‖² − 2 b·a
        return [tf.min(score, 0), tf.argMin(score, 0)];
      });
      const [mins, args] = await Promise.all([minScore.data(), argMin.data()]);
      minScore.dispose();
      argMin.dispose();
      for (let q = 0; q < count; q++) {
        if (mins[q]! < bestScore[q]!) {
          bestScore[q] = mins[q]!;
          index[q] = from + args[q]!;
        }
      }
      // The next block as large as fits the time per block (at most twice this one, so one slow block cannot stall).
      const ms = Math.max(1, performance.now() - started);
      block = Math.max(64, Math.min(2 * block, Math.round((block * blockMs) / ms)));
      options.onProgress?.(to, digits.count);
      await nextFrame();
    }
  } finally {
    queriesT.dispose();
  }
  if (options.stillWanted && !options.stillWanted()) return null;
  const distance = Float64Array.from(index, (i, q) => (i < 0 ? NaN : exactDistance(queries, q * size, digits, i)));
  return { index, distance };
}
