/** Sum and Mean over any axes of float32 (accumulated in double, as the cpu kernels do). */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import type { NativeBackend } from '../backend.js';
import { withCpuFallback, type Args, type Info, type KernelGroup } from './define.js';
import { f32, mergedDims, size, stridesOf } from './operands.js';

function reduce(native: NativeAddon, args: Args, backend: NativeBackend, mean: boolean): Info | null {
  const { x } = args.inputs as Record<string, Info | undefined>;
  const xv = f32(backend, x);
  if (!x || !xv) return null;
  const attrs = args.attrs as { axis: number | number[]; keepDims?: boolean };
  let axes: number[];
  try {
    axes = tf.util.parseAxisParam(attrs.axis, x.shape);
  } catch {
    return null;
  }
  const reduced = new Set(axes);
  const kept = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const outShape = attrs.keepDims ? kept : x.shape.filter((_, i) => !reduced.has(i));
  const out = new Float32Array(size(outShape));
  const count = x.shape.reduce((a, d, i) => (reduced.has(i) ? a * d : a), 1);
  if (out.length === 0) return backend.makeTensorInfo(outShape, 'float32', out);
  if (xv.length === 0) return backend.makeTensorInfo(outShape, 'float32', out); // zeros, as on cpu (mean included)
  if (x.shape.length === 0) out[0] = xv[0]!;
  else {
    const outStrides = stridesOf(kept).map((st, i) => (reduced.has(i) ? 0 : st));
    const dims = mergedDims(x.shape, [outStrides]);
    native.sum(xv, out, Int32Array.from([...dims.map((d) => d.n), ...dims.map((d) => d.s[0]!)]));
    if (mean && count !== 1) for (let i = 0; i < out.length; i++) out[i] = out[i]! / count;
  }
  return backend.makeTensorInfo(outShape, 'float32', out);
}

export const reductionKernels: KernelGroup = (native, cpu) => [
  withCpuFallback('Sum', cpu, (args, backend) => reduce(native, args, backend, false)),
  withCpuFallback('Mean', cpu, (args, backend) => reduce(native, args, backend, true)),
];
