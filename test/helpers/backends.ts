/** Comparing a backend's kernels with the cpu backend's: seeded inputs, outputs read back, a float32 tolerance. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../src/engine/rng.js';

export type Values = Float32Array | Int32Array | Uint8Array;

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** n seeded uniform values in [lo, hi). */
export function uniform(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng.uniform();
  return out;
}

/** Runs `fn` (which builds its inputs from typed arrays) on `backend`; returns every output's values. */
export async function valuesOn(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Values[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(() => {
    const r = fn();
    return Array.isArray(r) ? r : [r];
  });
  const values = outs.map((t) => t.dataSync().slice() as Values);
  tf.dispose(outs);
  return values;
}

/** |a − e| ≤ tol·(max(1, max finite |e|) + |e|): absolute at the scale of the output, plus relative; NaN = NaN. */
export function assertClose(actual: Values, expected: Values, what: string, tol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1;
  for (const e of expected) if (Number.isFinite(e)) scale = Math.max(scale, Math.abs(e));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= tol * (scale + Math.abs(e)))) assert.fail(`${what}: element ${i} is ${a}, cpu gives ${e} (scale ${scale})`);
  }
}
