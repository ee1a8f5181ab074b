/** Paths through a model's code space: between two encoded examples, or between two of a generator's seeded codes. */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../engine/rng.js';
import type { Generates } from './kinds.js';

/**
 * Spherical interpolation between two codes (Shoemake 1985; recommended for Gaussian latents by White 2016,
 * "Sampling Generative Networks"): z(t) = sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b, cos Ω = a·b / (‖a‖‖b‖). Unlike
 * the straight line, its points keep the norm typical of N(0, I) codes (√latent), where the generator was trained.
 * Returns [steps, latent], ends included (straight line when a and b are (anti)parallel).
 */
export function slerpCodes(a: Float32Array, b: Float32Array, steps: number): Float32Array {
  const n = a.length;
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < n; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb || 1))));
  const out = new Float32Array(steps * n);
  for (let s = 0; s < steps; s++) {
    const t = steps === 1 ? 0 : s / (steps - 1);
    const [wa, wb] = Math.sin(omega) < 1e-6 ? [1 - t, t] : [Math.sin((1 - t) * omega) / Math.sin(omega), Math.sin(t * omega) / Math.sin(omega)];
    for (let i = 0; i < n; i++) out[s * n + i] = wa * a[i]! + wb * b[i]!;
  }
  return out;
}

/**
 * G along the great circle between the codes seeded `fromSeed` and `toSeed` (`new Rng(seed)`: the codes
 * `sample(1, new Rng(seed))` draws), `steps` points, ends included; `label` for a conditional generator.
 */
export function generatedPath(model: Generates, fromSeed: number, toSeed: number, steps: number, label?: number): tf.Tensor {
  const code = (seed: number): Float32Array => tf.tidy(() => model.noise(1, new Rng(seed)).dataSync() as Float32Array);
  const za = code(fromSeed);
  const zb = code(toSeed);
  return tf.tidy(() => {
    const path = tf.tensor2d(slerpCodes(za, zb, steps), [steps, model.latent]);
    return model.generate(path, label === undefined ? undefined : (tf.fill([steps], label, 'int32') as tf.Tensor1D));
  });
}
