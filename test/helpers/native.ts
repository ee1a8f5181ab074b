/** Comparing the native backend's kernels with the cpu backend's (test/engine-native*.test.ts). */
import assert from 'node:assert/strict';
import type * as tf from '@tensorflow/tfjs-core';
import { nativeKernelCalls } from '../../src/engine/native.js';
import { assertClose, valuesOn, type Values } from './backends.js';

/** Runs `fn` on cpu and on native; returns every output's values. */
export async function onBoth(fn: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Values[]; native: Values[] }> {
  return { cpu: await valuesOn('cpu', fn), native: await valuesOn('native', fn) };
}

/** `fn`'s outputs on native equal cpu's within `tol` (assertClose; 0: bit for bit, NaN = NaN). */
export async function assertSame(what: string, fn: () => tf.Tensor | tf.Tensor[], tol?: number): Promise<void> {
  const { cpu, native } = await onBoth(fn);
  assert.equal(native.length, cpu.length);
  cpu.forEach((c, i) => assertClose(native[i]!, c, `${what} [output ${i}]`, tol));
}

/**
 * Asserts that `kernel` ran natively since the last reset (and resets the counts); with `noFallback`, also that no
 * call of it went to the cpu kernel.
 */
export function assertRanNatively(kernel: string, what: string, noFallback = false): void {
  const calls = nativeKernelCalls(true);
  assert.ok((calls.native[kernel] ?? 0) > 0, `${what}: ${kernel} never ran natively (${JSON.stringify(calls)})`);
  if (noFallback) assert.ok(!calls.fallback[kernel], `${what}: ${kernel} fell back to the cpu kernel (${JSON.stringify(calls)})`);
}
