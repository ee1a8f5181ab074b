/**
 * The native backend's average pooling and nearest-neighbour resizing (src/engine/native/kernels/resample.ts; the
 * residual GAN's down and up blocks) against the cpu kernels: forward and gradient, bit for bit, over filter sizes,
 * strides, paddings (windows that overlap, windows cut by the border), integer and fractional scales, both ways,
 * alignCorners and halfPixelCenters; and that they ran natively, not through their cpu fallback.
 */
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../src/engine/backend.js';
import { nativeBuildStatus, nativeKernelCalls } from '../src/engine/native.js';
import { Rng } from '../src/engine/rng.js';
import { assertClose, size, uniform, valuesOn } from './helpers/backends.js';
import { assertRanNatively, assertSame } from './helpers/native.js';

const status = nativeBuildStatus();
const skip = status !== null && status.library === null ? `native backend not built: ${status.reason}` : false;
const rng = new Rng(20261205);

/** `fn` on cpu and on native: every output equal, bit for bit (NaN = NaN); and `kernel` ran natively, never on cpu. */
async function assertSameAsCpu(what: string, kernel: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  nativeKernelCalls(true);
  await assertSame(what, fn, 0);
  assertRanNatively(kernel, what, true);
}

test('average pooling and its gradient on native: the cpu kernels\' values bit for bit, over windows, strides and paddings', { skip }, async () => {
  await initEngine({ backend: 'native' });
  const cases: [number[], number | [number, number], number | [number, number], 'valid' | 'same' | number][] = [
    [[64, 28, 28, 32], 2, 2, 'valid'], // the residual discriminator's pooling
    [[3, 7, 7, 5], 2, 2, 'valid'], // odd sides: the last row and column fall outside every window
    [[3, 7, 7, 5], 2, 2, 'same'], // the border cuts the last windows
    [[2, 9, 8, 3], 3, 1, 'same'], // windows overlap: the gradient sums several
    [[2, 9, 8, 3], [3, 2], [2, 1], 'valid'],
    [[2, 6, 10, 4], 3, 2, 1], // explicit padding
    [[1, 5, 5, 1], 5, 1, 'valid'],
  ];
  for (const [shape, filter, strides, pad] of cases) {
    const xv = uniform(rng, size(shape));
    const what = `avgPool [${shape}] filter ${filter} strides ${strides} pad ${pad}`;
    await assertSameAsCpu(what, 'AvgPool', () => tf.avgPool(tf.tensor4d(xv, shape as [number, number, number, number]), filter, strides, pad));
    const dyShape = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], filter, strides, 1, pad).outShape;
    const dyv = uniform(rng, size(dyShape));
    await assertSameAsCpu(`${what}, gradient`, 'AvgPoolGrad', () =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(x as tf.Tensor4D, filter, strides, pad), tf.tensor(dyv, dyShape))))(tf.tensor4d(xv, shape as [number, number, number, number])),
    );
  }
});

test('nearest-neighbour resizing and its gradient on native: the cpu kernels\' values bit for bit (the gradient image by image: the cpu kernel mixes up images), up and down, integer and fractional scales', { skip }, async () => {
  await initEngine({ backend: 'native' });
  const cases: [number[], [number, number], boolean, boolean][] = [
    [[64, 14, 14, 64], [28, 28], false, false], // the residual generator's upsampling
    [[3, 5, 7, 2], [10, 21], false, false],
    [[3, 5, 7, 2], [7, 9], false, false], // fractional: some sources twice, some once
    [[3, 5, 7, 2], [7, 9], true, false],
    [[3, 5, 7, 2], [7, 9], false, true],
    [[2, 9, 8, 3], [4, 3], false, false], // down: some sources never read, their gradient 0
    [[2, 9, 8, 3], [4, 3], true, false],
    [[1, 1, 1, 3], [4, 4], false, false],
  ];
  for (const [shape, to, alignCorners, halfPixelCenters] of cases) {
    const xv = uniform(rng, size(shape));
    const what = `resizeNearestNeighbor [${shape}] → ${to} alignCorners ${alignCorners} halfPixelCenters ${halfPixelCenters}`;
    const resize = (x: tf.Tensor4D): tf.Tensor4D => tf.image.resizeNearestNeighbor(x, to, alignCorners, halfPixelCenters);
    await assertSameAsCpu(what, 'ResizeNearestNeighbor', () => resize(tf.tensor4d(xv, shape as [number, number, number, number])));
    const dyShape = [shape[0]!, ...to, shape[3]!];
    const dyv = uniform(rng, size(dyShape));
    const gradient = (x: tf.Tensor4D, dy: tf.Tensor): tf.Tensor => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(resize(t as tf.Tensor4D), dy)))(x);
    // The cpu kernel reads dy at image b's offset in the *input* (images' batch stride, not dy's), so for b ≥ 1 it sums
    // another image's values (tfjs-backend-cpu 4.x); image by image, a batch of one, it is right, and that is the
    // reference here.
    const perImage = await valuesOn('cpu', () => {
      const one = (b: number): tf.Tensor => gradient(tf.tensor4d(xv.subarray(b * size(shape.slice(1)), (b + 1) * size(shape.slice(1))), [1, ...shape.slice(1)] as [number, number, number, number]), tf.tensor(dyv.subarray(b * size(dyShape.slice(1)), (b + 1) * size(dyShape.slice(1))), [1, ...dyShape.slice(1)]));
      return tf.concat(Array.from({ length: shape[0]! }, (_, b) => one(b)));
    });
    nativeKernelCalls(true);
    const native = await valuesOn('native', () => gradient(tf.tensor4d(xv, shape as [number, number, number, number]), tf.tensor(dyv, dyShape)));
    assertRanNatively('ResizeNearestNeighborGrad', `${what}, gradient`);
    assertClose(native[0]!, perImage[0]!, `${what}, gradient`, 0);
  }
});

test('NaN and infinities pass through native pooling and resizing as on cpu', { skip }, async () => {
  await initEngine({ backend: 'native' });
  const xv = uniform(rng, 2 * 6 * 6 * 2);
  xv[3] = NaN;
  xv[40] = Infinity;
  xv[41] = -Infinity;
  await assertSameAsCpu('avgPool with NaN and ±Infinity', 'AvgPool', () => tf.avgPool(tf.tensor4d(xv, [2, 6, 6, 2]), 2, 2, 'valid'));
  await assertSameAsCpu('resize with NaN and ±Infinity', 'ResizeNearestNeighbor', () => tf.image.resizeNearestNeighbor(tf.tensor4d(xv, [2, 6, 6, 2]), [12, 12]));
});
