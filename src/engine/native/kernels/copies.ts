/**
 * Kernels that copy or fill: Tile where it is a broadcast (each repeated dim has size 1), Slice, SplitV and Transpose
 * as strided copies (the cpu kernel's Transpose moves each value through index arithmetic in JavaScript: 18 ms for a
 * batch of 64 RGB images of 40×40), Concat and PadV2 as block copies (the cpu kernels copy non-contiguous slices,
 * concatenations along any axis but the first, and paddings element by element: SplitV's gradient is a Concat), and
 * ZerosLike and Cast to float32 (from bool or int32) into pooled outputs, as the cpu kernels' fresh arrays cost a
 * garbage collection about every training step (external memory pressure).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import type { NativeBackend } from '../backend.js';
import { withCpuFallback, type Args, type Info, type KernelGroup } from './define.js';
import { COPY_OP, ZERO, broadcastDims, f32, size, stridesOf } from './operands.js';

function tile(native: NativeAddon, args: Args, backend: NativeBackend): Info | null {
  const { x } = args.inputs as Record<string, Info | undefined>;
  const xv = f32(backend, x);
  const reps = (args.attrs as { reps: number[] }).reps;
  if (!x || !xv || reps.length !== x.shape.length || x.shape.length === 0) return null;
  if (!x.shape.every((d, i) => reps[i] === 1 || d === 1)) return null;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const out = backend.alloc(size(outShape));
  if (out.length > 0) native.binaryBroadcast(COPY_OP, xv, ZERO, out, broadcastDims(outShape, [x.shape, []]));
  return backend.makeTensorInfo(outShape, 'float32', out);
}

/** x[begin : begin + sz] as a new tensor. */
function sliceOf(native: NativeAddon, backend: NativeBackend, x: Info, xv: Float32Array, begin: number[], sz: number[]): Info {
  const out = backend.alloc(size(sz));
  if (out.length > 0) {
    const strides = stridesOf(x.shape);
    const offset = begin.reduce((a, b, i) => a + b * strides[i]!, 0);
    native.binaryBroadcast(COPY_OP, xv.subarray(offset), ZERO, out, Int32Array.from([...sz, ...strides, ...sz.map(() => 0)]));
  }
  return backend.makeTensorInfo(sz, 'float32', out);
}

function slice(native: NativeAddon, args: Args, backend: NativeBackend): Info | null {
  const { x } = args.inputs as Record<string, Info | undefined>;
  const xv = f32(backend, x);
  if (!x || !xv || x.shape.length === 0) return null;
  const attrs = args.attrs as { begin: number | number[]; size: number | number[] };
  const [begin, sz] = tf.slice_util.parseSliceParams(x as tf.TensorInfo as tf.Tensor, attrs.begin, attrs.size) as [number[], number[]];
  return sliceOf(native, backend, x, xv, begin, sz);
}

function splitV(native: NativeAddon, args: Args, backend: NativeBackend): Info[] | null {
  const { x } = args.inputs as Record<string, Info | undefined>;
  const xv = f32(backend, x);
  if (!x || !xv || x.shape.length === 0) return null;
  const attrs = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0]!;
  const splits = tf.backend_util.prepareSplitSize(x as tf.TensorInfo as tf.Tensor, attrs.numOrSizeSplits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return splits.map((s) => {
    const sz = [...x.shape];
    sz[axis] = s;
    const part = sliceOf(native, backend, x, xv, [...begin], sz);
    begin[axis]! += s;
    return part;
  });
}

/** x with its dims permuted: out[i₀, i₁, …] = x[…] read through x's strides taken in `perm`'s order. */
function transpose(native: NativeAddon, args: Args, backend: NativeBackend): Info | null {
  const { x } = args.inputs as Record<string, Info | undefined>;
  const xv = f32(backend, x);
  const perm = (args.attrs as { perm: number[] }).perm;
  if (!x || !xv || x.shape.length === 0 || perm.length !== x.shape.length) return null;
  const strides = stridesOf(x.shape);
  const outShape = perm.map((p) => x.shape[p]!);
  const out = backend.alloc(size(outShape));
  if (out.length > 0) native.binaryBroadcast(COPY_OP, xv, ZERO, out, Int32Array.from([...outShape, ...perm.map((p) => strides[p]!), ...perm.map(() => 0)]));
  return backend.makeTensorInfo(outShape, 'float32', out);
}

/** float32 inputs side by side along `axis`: each input's rows (the dims before axis) copied into its columns of the output. */
function concat(native: NativeAddon, args: Args, backend: NativeBackend): Info | null {
  const inputs = Object.values(args.inputs) as Info[];
  const values = inputs.map((t) => f32(backend, t));
  if (inputs.length < 2 || !values.every((v) => v !== null) || inputs[0]!.shape.length === 0) return null;
  const rank = inputs[0]!.shape.length;
  const axis = tf.util.parseAxisParam((args.attrs as { axis: number | number[] }).axis, inputs[0]!.shape)[0]!;
  const shapes = inputs.map((t) => t.shape);
  if (!shapes.every((sh) => sh.length === rank && sh.every((d, i) => i === axis || d === shapes[0]![i]))) return null;
  const outShape = [...shapes[0]!];
  outShape[axis] = shapes.reduce((a, sh) => a + sh[axis]!, 0);
  const rows = size(outShape.slice(0, axis));
  const width = size(outShape.slice(axis));
  const out = backend.alloc(rows * width);
  let offset = 0;
  inputs.forEach((t, i) => {
    const cols = size(t.shape.slice(axis));
    if (cols > 0 && rows > 0) native.copyBlock(values[i]!, rows, cols, out, offset, width);
    offset += cols;
  });
  return backend.makeTensorInfo(outShape, 'float32', out);
}

/**
 * float32 x padded with a constant: the output filled, then x's rows copied into it, one block copy per index of the
 * dims before the last two (trailing dims without padding merged into one, so an NHWC image padded in H and W is one
 * block of H rows of W·C values; the cpu kernel moves each value through index arithmetic in JavaScript, ≈ 200 ns a
 * value: 24 ms of the LAPGAN's step, which pads 14×14 to 16×16 for its level-1 discriminator).
 */
function padV2(native: NativeAddon, args: Args, backend: NativeBackend): Info | null {
  const { x } = args.inputs as Record<string, Info | undefined>;
  const xv = f32(backend, x);
  const { paddings, constantValue } = args.attrs as { paddings: [number, number][]; constantValue: number };
  if (!x || !xv || x.shape.length === 0 || paddings.length !== x.shape.length || paddings.some(([a, b]) => a < 0 || b < 0)) return null;
  const outShape = x.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
  const out = backend.alloc(size(outShape));
  out.fill(constantValue);
  if (xv.length === 0) return backend.makeTensorInfo(outShape, 'float32', out);
  // Merge trailing dims without padding into the dim before them: [.., d, e] with e unpadded is [.., d·e].
  const dims = [...x.shape];
  const pads = paddings.map(([a, b]) => [a, b] as [number, number]);
  while (dims.length > 1 && pads[pads.length - 1]![0] === 0 && pads[pads.length - 1]![1] === 0) {
    const inner = dims.pop()!;
    pads.pop();
    dims[dims.length - 1]! *= inner;
    pads[pads.length - 1] = [pads[pads.length - 1]![0] * inner, pads[pads.length - 1]![1] * inner];
  }
  if (dims.length === 1) {
    dims.unshift(1);
    pads.unshift([0, 0]);
  }
  const padded = dims.map((d, i) => pads[i]![0] + d + pads[i]![1]);
  const r = dims.length;
  const [rows, cols] = [dims[r - 2]!, dims[r - 1]!];
  const outStrides = stridesOf(padded);
  const prefix = dims.slice(0, r - 2);
  const blocks = size(prefix);
  const at = new Array<number>(prefix.length).fill(0);
  for (let b = 0; b < blocks; b++) {
    let offset = pads[r - 2]![0] * outStrides[r - 2]! + pads[r - 1]![0];
    at.forEach((v, i) => (offset += (v + pads[i]![0]) * outStrides[i]!));
    native.copyBlock(xv.subarray(b * rows * cols, (b + 1) * rows * cols), rows, cols, out, offset, outStrides[r - 2]!);
    for (let i = prefix.length - 1; i >= 0 && ++at[i]! === prefix[i]!; i--) at[i] = 0; // the next block's index
  }
  return backend.makeTensorInfo(outShape, 'float32', out);
}

function zerosLike(args: Args, backend: NativeBackend): Info | null {
  const { x } = args.inputs as Record<string, Info | undefined>;
  if (!x || x.dtype !== 'float32') return null;
  return backend.makeTensorInfo(x.shape, 'float32', backend.alloc(size(x.shape)).fill(0));
}

function cast(args: Args, backend: NativeBackend): Info | null {
  const { x } = args.inputs as Record<string, Info | undefined>;
  const values = x ? backend.data.get(x.dataId)?.values : undefined;
  const from = x?.dtype === 'bool' || x?.dtype === 'int32';
  if (!x || !from || (args.attrs as { dtype?: string }).dtype !== 'float32' || !(values instanceof Uint8Array || values instanceof Int32Array)) return null;
  const out = backend.alloc(values.length);
  out.set(values);
  return backend.makeTensorInfo(x.shape, 'float32', out);
}

export const copyKernels: KernelGroup = (native, cpu) => [
  withCpuFallback('Tile', cpu, (args, backend) => tile(native, args, backend)),
  withCpuFallback('Slice', cpu, (args, backend) => slice(native, args, backend)),
  withCpuFallback('SplitV', cpu, (args, backend) => splitV(native, args, backend)),
  withCpuFallback('Transpose', cpu, (args, backend) => transpose(native, args, backend)),
  withCpuFallback('Concat', cpu, (args, backend) => concat(native, args, backend)),
  withCpuFallback('PadV2', cpu, (args, backend) => padV2(native, args, backend)),
  withCpuFallback('ZerosLike', cpu, zerosLike),
  withCpuFallback('Cast', cpu, cast),
];
