/**
 * Initial responsibilities, as a table keyed by the init method (scikit-learn's `init_params`). Each entry returns
 * a filler that writes rows [start, end) of the responsibilities [B, K], so that no N × K matrix is needed except for
 * 'random', whose responsibilities are random per cell.
 */
import type { Rng } from '../../engine/rng.js';
import type { ChunkRunner } from './chunks.js';
import { kmeans, kmeansPlusPlus, type KMeansBuffers } from './kmeans.js';
import type { Points } from './matrix.js';
import type { InitMethod } from './types.js';

/** Writes rows [start, end) of the responsibilities [end − start, K] into resp. */
export type ResponsibilityFill = (start: number, end: number, resp: Float64Array) => void;

/** Hard assignment: row i belongs to labels[i]. */
function oneHot(labels: Int32Array, k: number): ResponsibilityFill {
  return (start, end, resp) => {
    resp.fill(0, 0, (end - start) * k);
    for (let i = start; i < end; i++) resp[(i - start) * k + labels[i]!] = 1;
  };
}

/** Only the seed rows have responsibility: seeds[j] belongs to component j (every other row to none). */
function seedsOnly(seeds: Int32Array, k: number): ResponsibilityFill {
  return (start, end, resp) => {
    resp.fill(0, 0, (end - start) * k);
    seeds.forEach((row, j) => {
      if (row >= start && row < end) resp[(row - start) * k + j] = 1;
    });
  };
}

/** K distinct row indices drawn uniformly (a partial Fisher–Yates shuffle over a sparse map). */
export function distinctRows(n: number, k: number, rng: Rng): Int32Array {
  const swapped = new Map<number, number>();
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    out[i] = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
  }
  return out;
}

export const INITIALISERS: Readonly<
  Record<InitMethod, (points: Points, k: number, rng: Rng, buffers: KMeansBuffers | undefined, runner: ChunkRunner) => ResponsibilityFill>
> = {
  kmeans: (points, k, rng, buffers, runner) => oneHot(kmeans(points, k, rng, buffers ? { buffers, runner } : {}).labels, k),
  'kmeans++': (points, k, rng, buffers, runner) => seedsOnly(buffers ? kmeansPlusPlus(points, k, rng, buffers, runner) : kmeansPlusPlus(points, k, rng), k),
  'random-from-data': (points, k, rng) => seedsOnly(distinctRows(points.rows, k, rng), k),
  random: (points, k, rng) => {
    const r = new Float64Array(points.rows * k); // [N, K] uniform, normalised per row
    for (let i = 0; i < points.rows; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += r[i * k + j] = rng.uniform();
      for (let j = 0; j < k; j++) r[i * k + j]! /= s;
    }
    return (start, end, resp) => resp.set(r.subarray(start * k, end * k));
  },
};
