/** Matrix products on oneDNN's sgemm: BatchMatMul, and _FusedMatMul with its bias and activation in the same pass. */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import type { NativeBackend } from '../backend.js';
import { withCpuFallback, type Args, type Info, type KernelGroup } from './define.js';
import { ACTIVATIONS, biasOperand, f32, size } from './operands.js';

function matMul(native: NativeAddon, args: Args, backend: NativeBackend, fused: boolean): Info | null {
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, Info | undefined>;
  const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string; leakyreluAlpha?: number };
  if (!a || !b) return null;
  const av = f32(backend, a), bv = f32(backend, b);
  if (!av || !bv || a.shape.length < 2 || b.shape.length < 2) return null;
  if (preluActivationWeights) return null;
  const act = fused ? ACTIVATIONS[attrs.activation ?? 'linear'] : 0;
  if (act === undefined) return null;
  const tA = attrs.transposeA ?? false, tB = attrs.transposeB ?? false;
  const ra = a.shape.length, rb = b.shape.length;
  const m = tA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = tA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const k2 = tB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = tB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== k2) return null; // the cpu kernel reports the error
  const batchA = size(a.shape.slice(0, -2)), batchB = size(b.shape.slice(0, -2));
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    return null;
  }
  const batch = Math.max(batchA, batchB);
  if (size(outer) !== batch) return null;
  const outShape = [...outer, m, n];
  const fusedBias = fused && bias ? biasOperand(backend, bias, outShape) : { mode: 0, values: null };
  if (!fusedBias) return null;
  const { mode: bmode, values: biasValues } = fusedBias;
  const out = backend.alloc(batch * m * n);
  native.gemm(batch, m, n, k, tA ? 1 : 0, tB ? 1 : 0, av, batchA === 1 ? 0 : m * k, bv, batchB === 1 ? 0 : k * n, out,
    biasValues, bmode, act, attrs.leakyreluAlpha ?? 0.2);
  return backend.makeTensorInfo(outShape, 'float32', out);
}

export const matMulKernels: KernelGroup = (native, cpu) => [
  withCpuFallback('BatchMatMul', cpu, (args, backend) => matMul(native, args, backend, false)),
  withCpuFallback('_FusedMatMul', cpu, (args, backend) => matMul(native, args, backend, true)),
];
