/**
 * Random normals for the models' noise (the VAE's ε, the GAN's codes): the values tfjs-core's `tf.randomNormal` draws
 * for the same seed, bit for bit — seedrandom's Alea generator (Baagøe 2010) seeded from the seed's decimal string,
 * and Marsaglia's polar method (MPRandGauss), in doubles, rounded to float32 — drawn by one kernel where the backend
 * has it (native: ≈ 3× faster than TF.js's JavaScript loop, which took 11% of the two-layer IWAE's step) and in
 * JavaScript elsewhere. One difference: a seed of 0 is a seed here, where tf.randomNormal takes it for "no seed" and
 * draws from Math.random. Kept free of Node imports (the browser build imports the models).
 */
import * as tf from '@tensorflow/tfjs-core';
import { badInput } from '../errors.js';

export const RANDOM_NORMAL_KERNEL = 'GenlabRandomNormal';

/** The kernel's attributes: the output's shape, the distribution, and the generator's state [s0, s1, s2, c]. */
export interface RandomNormalAttrs {
  shape: number[];
  mean: number;
  stdDev: number;
  state: [number, number, number, number];
}

/** Alea's state seeded from `seed` as seedrandom's `alea(seed)` seeds it (lib/alea.js: Mash, then Alea). */
export function aleaState(seed: string): [number, number, number, number] {
  let n = 0xefc8249d;
  const mash = (data: string): number => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000; // 2^32
    }
    return (n >>> 0) * 2.3283064365386963e-10; // 2^-32
  };
  let s0 = mash(' '), s1 = mash(' '), s2 = mash(' ');
  s0 -= mash(seed);
  if (s0 < 0) s0 += 1;
  s1 -= mash(seed);
  if (s1 < 0) s1 += 1;
  s2 -= mash(seed);
  if (s2 < 0) s2 += 1;
  return [s0, s1, s2, 1];
}

/** Fills `out` from a generator in `state`, as the native kernel does (native/src/random.cc): pairs of the polar method. */
export function fillRandomNormal(out: Float32Array, state: readonly [number, number, number, number], mean: number, stdDev: number): void {
  let [s0, s1, s2, c] = state;
  const next = (): number => {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10; // 2^-32
    s0 = s1;
    s1 = s2;
    return (s2 = t - (c = t | 0));
  };
  for (let i = 0; i < out.length; i += 2) {
    let v1: number, v2: number, s: number;
    do {
      v1 = 2 * next() - 1;
      v2 = 2 * next() - 1;
      s = v1 * v1 + v2 * v2;
    } while (s >= 1 || s === 0);
    const mul = Math.sqrt((-2.0 * Math.log(s)) / s);
    out[i] = mean + stdDev * v1 * mul;
    if (i + 1 < out.length) out[i + 1] = mean + stdDev * v2 * mul;
  }
}

/** Normals of `shape` with the given mean and standard deviation, from `seed` (float32). */
export function randomNormal<R extends tf.Rank>(shape: tf.ShapeMap[R], seed: number, mean = 0, stdDev = 1): tf.Tensor<R> {
  if (!(shape as number[]).every((d) => Number.isInteger(d) && d >= 0)) throw badInput('randomNormal: shape', `expected non-negative integers, got [${shape.join(', ')}]`);
  const state = aleaState(String(seed));
  if (tf.getKernel(RANDOM_NORMAL_KERNEL, tf.getBackend()) !== undefined) {
    const attrs: RandomNormalAttrs = { shape: [...(shape as number[])], mean, stdDev, state };
    return tf.engine().runKernel(RANDOM_NORMAL_KERNEL, {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor<R>;
  }
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  fillRandomNormal(values, state, mean, stdDev);
  return tf.tensor(values, shape, 'float32') as tf.Tensor<R>;
}
