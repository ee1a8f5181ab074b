/** Reading kernel inputs for the addon: float32 values, sizes, strides and broadcasts in the forms its functions take. */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from '../backend.js';
import type { Args, Info } from './define.js';

/** The addon's activation codes (fused matrix products and convolutions). */
export const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, sigmoid: 2, relu6: 3, elu: 4, leakyrelu: 5, tanh: 6 };

/** The addon's binary op that copies its first operand (broadcast copies: Tile, Slice, SplitV). */
export const COPY_OP = 14;
/** The unused second operand of COPY_OP. */
export const ZERO = new Float32Array(1);

/** The float32 values of `t` (null for other dtypes or data the backend does not hold as a Float32Array). */
export function f32(backend: NativeBackend, t: Info | undefined): Float32Array | null {
  if (t === undefined || t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId)?.values;
  return values instanceof Float32Array ? values : null;
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** How a bias of `shape` broadcasts onto an output of `out` (rows × n): 1 per column, 2 scalar, 3 full, -1 unsupported. */
export function biasMode(shape: readonly number[], out: readonly number[]): number {
  const n = out[out.length - 1] ?? 1;
  const s = size(shape);
  if (s === 1) return 2;
  if (shape.length > 0 && shape[shape.length - 1] === n && s === n && shape.length <= out.length) return 1;
  if (shape.length === out.length && shape.every((d, i) => d === out[i])) return 3;
  return -1;
}

/** A fused kernel's bias: its values and how it broadcasts onto `outShape` (biasMode), or null when the addon cannot take it. */
export function biasOperand(backend: NativeBackend, bias: Info, outShape: readonly number[]): { mode: number; values: Float32Array | null } | null {
  const values = f32(backend, bias);
  const mode = values ? biasMode(bias.shape, outShape) : -1;
  return mode < 0 ? null : { mode, values };
}

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * The loops over `shape` with one stride per array in `strideSets`: size-1 dims dropped and adjacent dims merged where
 * every array allows, so that the native inner loop is long and the outer index arithmetic short.
 */
export function mergedDims(shape: readonly number[], strideSets: readonly (readonly number[])[]): { n: number; s: number[] }[] {
  const dims: { n: number; s: number[] }[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const cur = { n: shape[d]!, s: strideSets.map((st) => st[d]!) };
    const prev = dims[dims.length - 1];
    if (prev && prev.s.every((ps, k) => ps === cur.s[k]! * cur.n)) {
      prev.n *= cur.n;
      prev.s = cur.s;
    } else dims.push(cur);
  }
  if (dims.length === 0) dims.push({ n: 1, s: strideSets.map(() => 0) });
  return dims;
}

/** [shape, stridesA, stridesB] for a broadcast binary op on `out` (no empty dims), strides 0 where an input is broadcast. */
export function broadcastDims(out: readonly number[], inputs: readonly (readonly number[])[]): Int32Array {
  const rank = out.length;
  const strides = inputs.map((shape) => {
    const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
    return stridesOf(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
  });
  const dims = mergedDims(out, strides);
  return Int32Array.from([...dims.map((d) => d.n), ...inputs.flatMap((_, k) => dims.map((d) => d.s[k]!))]);
}

/**
 * The inputs `a` and `b` of a broadcasting element-wise kernel: their float32 values, the output's shape and size, and
 * whether each input is full-size or a scalar (`flat`; else `dims()` gives the strides for the broadcast). Null when
 * the cpu kernel must run (other dtypes, shapes that do not broadcast).
 */
export function binaryOperands(args: Args, backend: NativeBackend):
  { av: Float32Array; bv: Float32Array; shape: number[]; n: number; flat: boolean; dims: () => Int32Array } | null {
  const { a, b } = args.inputs as Record<string, Info | undefined>;
  const av = f32(backend, a), bv = f32(backend, b);
  if (!a || !b || !av || !bv) return null;
  let shape: number[];
  try {
    shape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
  } catch {
    return null;
  }
  const n = size(shape);
  const flat = (av.length === n || av.length === 1) && (bv.length === n || bv.length === 1);
  return { av, bv, shape, n, flat, dims: () => broadcastDims(shape, [a.shape, b.shape]) };
}

/** The float32 values of a native-only kernel's inputs, by name (it has no cpu kernel to hand anything else to). */
export function values(backend: NativeBackend, kernel: string, inputs: tf.NamedTensorInfoMap, names: string[]): Float32Array[] {
  return names.map((name) => {
    const v = f32(backend, inputs[name]);
    if (!v) throw new Error(`${kernel}: expected float32 ${names.join(', ')}`);
    return v;
  });
}
