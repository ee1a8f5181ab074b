/**
 * The native backend treats denormal float32 values (|x| < 2⁻¹²⁶) as zero, in and out (native/src/common.h
 * DenormalsAsZero): arithmetic on them is tens of times slower, and weight decay leaves weights there for thousands of
 * steps. Checked on the calling thread and on the pool's helpers, for element-wise work, matrix products and the Adam
 * update; the cpu backend keeps the same values (they are denormals); JavaScript's own arithmetic keeps IEEE denormals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../src/engine/backend.js';
import { nativeBuildStatus, nativeKernelCalls } from '../src/engine/native.js';
import { assertRanNatively } from './helpers/native.js';

const status = nativeBuildStatus();
const skipNative = status !== null && status.library === null ? `native backend not built: ${status.reason}` : false;
const TINY = 3e-39; // a float32 denormal
/** Values of a tensor as numbers, then disposed. */
const valuesOf = (t: tf.Tensor): number[] => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

test('native kernels read and write denormals as zero, on the caller and on the helpers; the cpu backend keeps them', { skip: skipNative }, async () => {
  await initEngine({ backend: 'native' });
  // 4 values run on the calling thread; 300,000 are cut into chunks that the helpers share (pool.h kShareElements).
  for (const count of [4, 300_000]) {
    const x = tf.fill([count], TINY);
    nativeKernelCalls(true);
    const doubled = valuesOf(tf.mul(x, tf.scalar(2)));
    assertRanNatively('Multiply', `${count} denormals × 2`);
    assert.ok(doubled.every((v) => v === 0), `${count} values: denormal inputs read as 0`);
    const halved = valuesOf(tf.mul(tf.fill([count], 2e-38), tf.scalar(0.25))); // a normal × 0.25: a denormal result
    assert.ok(halved.every((v) => v === 0), `${count} values: denormal results written as 0`);
    x.dispose();
  }
  const product = valuesOf(tf.matMul(tf.fill([64, 64], TINY), tf.ones([64, 64])));
  assertRanNatively('BatchMatMul', 'a product of denormals');
  assert.ok(product.every((v) => v === 0), 'matMul: denormal inputs read as 0');
  // Adam: a weight held in the denormal range by weight decay alone (zero gradient) is flushed to 0.
  const w = tf.variable(tf.fill([8], TINY));
  const adam = tf.train.adam(1e-3);
  adam.applyGradients([{ name: w.name, tensor: tf.zeros([8]) }]);
  assert.ok(valuesOf(w.clone()).every((v) => v === 0), 'Adam leaves no denormal weight');
  adam.dispose();
  w.dispose();

  await tf.setBackend('cpu');
  assert.ok(valuesOf(tf.mul(tf.fill([4], TINY), tf.scalar(2))).every((v) => Math.abs(v - 2 * TINY) < 1e-44), 'the cpu backend keeps float32 denormals');
  // JavaScript's float64 arithmetic still has IEEE denormals after the native calls (the flags were restored).
  const small = Number.parseFloat(process.env['GENLAB_TEST_SMALL'] ?? '4e-308');
  assert.ok(small / 4 > 0 && small / 4 < 2.2250738585072014e-308, `4e-308 / 4 = ${small / 4}`);
});
