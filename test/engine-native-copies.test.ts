/**
 * The native backend's block-copy kernels (src/engine/native/kernels/copies.ts) against the cpu kernels, bit for bit:
 * Concat along every axis (SplitV's gradient) and PadV2 with constants over ranks, padded and unpadded dims (the
 * LAPGAN's level-1 discriminator pads 14×14 to 16×16), Transpose over ranks and permutations (PacGAN's packing, the
 * upscalers' resizing); and that they ran natively.
 */
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../src/engine/backend.js';
import { nativeBuildStatus, nativeKernelCalls } from '../src/engine/native.js';
import { Rng } from '../src/engine/rng.js';
import { size, uniform } from './helpers/backends.js';
import { assertRanNatively, assertSame } from './helpers/native.js';

const status = nativeBuildStatus();
const skipNative = status !== null && status.library === null ? `native backend not built: ${status.reason}` : false;

test('Concat on native: the cpu kernel\'s values along every axis, of two or more inputs, one of them empty', { skip: skipNative }, async () => {
  await initEngine({ backend: 'native' });
  const rng = new Rng(5);
  const cases: [number[][], number][] = [
    [[[500, 100], [500, 100]], 1], // SplitV's gradient in the two-layer VAE
    [[[3, 4, 5], [3, 2, 5], [3, 1, 5]], 1],
    [[[3, 4, 5], [3, 4, 2]], -1],
    [[[2, 4], [3, 4]], 0],
    [[[4, 3], [4, 0], [4, 2]], 1],
  ];
  for (const [shapes, axis] of cases) {
    const values = shapes.map((sh) => uniform(rng, size(sh)));
    nativeKernelCalls(true);
    await assertSame(`concat [${shapes.map((s) => `[${s}]`).join(', ')}] axis ${axis}`, () => tf.concat(shapes.map((sh, i) => tf.tensor(values[i]!, sh)), axis), 0);
    assertRanNatively('Concat', `concat axis ${axis}`, true);
  }
});

test('PadV2 on native: the cpu kernel\'s values for constant padding over ranks 1–5, padded and unpadded dims, empty inputs', { skip: skipNative }, async () => {
  await initEngine({ backend: 'native' });
  const rng = new Rng(6);
  const cases: [number[], [number, number][], number][] = [
    [[64, 14, 14, 2], [[0, 0], [1, 1], [1, 1], [0, 0]], 0], // the LAPGAN's level-1 discriminator
    [[3, 5, 4, 2], [[0, 0], [2, 0], [0, 3], [1, 1]], -1.5], // the last dim padded too
    [[2, 3, 4, 5, 2], [[1, 0], [0, 0], [0, 2], [0, 0], [0, 0]], 2],
    [[7], [[3, 2]], 0.25],
    [[4, 6], [[0, 0], [0, 0]], 0], // no padding at all
    [[3, 0, 2], [[1, 1], [0, 0], [1, 0]], 7], // empty input: all constant
  ];
  for (const [shape, paddings, value] of cases) {
    const xv = uniform(rng, size(shape));
    nativeKernelCalls(true);
    await assertSame(`pad [${shape}] by ${JSON.stringify(paddings)} with ${value}`, () => tf.pad(tf.tensor(xv, shape), paddings, value), 0);
    assertRanNatively('PadV2', `pad [${shape}]`, true);
  }
});

test('Transpose on native: the cpu kernel\'s values for every permutation of rank 4, ranks 2–5, empty inputs', { skip: skipNative }, async () => {
  await initEngine({ backend: 'native' });
  const rng = new Rng(7);
  const permutations = (r: number): number[][] => (r === 0 ? [[]] : permutations(r - 1).flatMap((p) => Array.from({ length: r }, (_, i) => [...p.slice(0, i), r - 1, ...p.slice(i)])));
  const cases: [number[], number[]][] = [
    ...permutations(4).map((perm): [number[], number[]] => [[3, 5, 4, 2], perm]),
    [[6, 9], [1, 0]],
    [[2, 3, 4, 5, 2], [0, 2, 3, 1, 4]], // PacGAN's packing of [groups, pack, h, w, c]
    [[3, 0, 2], [2, 0, 1]],
  ];
  for (const [shape, perm] of cases) {
    const xv = uniform(rng, size(shape));
    nativeKernelCalls(true);
    await assertSame(`transpose [${shape}] by [${perm}]`, () => tf.transpose(tf.tensor(xv, shape), perm), 0);
    const identity = perm.every((p, i) => p === i); // tf.transpose answers with a copy without the kernel
    if (size(shape) > 0 && !identity) assertRanNatively('Transpose', `transpose [${shape}] by [${perm}]`, true);
  }
});
