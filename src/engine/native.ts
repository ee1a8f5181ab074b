/**
 * The `native` TF.js backend for Node: TF.js's cpu backend (MathBackendCPU, so every kernel works and tensor data stays
 * in its typed arrays) with the kernels that dominate training replaced by genlab's Node addon (native/: oneDNN's
 * sgemm under matrix products, its convolution primitives under convolutions, vectorised OpenMP loops for element-wise
 * ops), spread over all cores, and a few gradients done in fewer kernels (registerNativeGradients).
 *
 * The addon is built by `npm install` (native/build.mjs) when a C++ compiler and oneDNN (Debian: libdnnl-dev) are
 * present; without it `registerNativeBackend` throws with the build's own reason and the engine falls back to wasm.
 * Each native kernel falls back to the cpu backend's own for what it does not cover (other dtypes, broadcasting it
 * does not handle, NCHW, depthwise, PReLU).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ADAM_UPDATE_KERNEL, type AdamUpdateAttrs } from './kernels/adam-update.js';
import {
  BERNOULLI_LOG_LIKELIHOOD_GRAD_KERNEL,
  BERNOULLI_LOG_LIKELIHOOD_KERNEL,
  KL_STANDARD_NORMAL_GRAD_KERNEL,
  KL_STANDARD_NORMAL_KERNEL,
  REPARAMETERIZE_GRAD_KERNEL,
  REPARAMETERIZE_KERNEL,
} from './kernels/fused-losses.js';
import { BATCH_NORM_TRAINING_GRAD_KERNEL, BATCH_NORM_TRAINING_KERNEL, type BatchNormTrainingAttrs } from './kernels/batch-norm-training.js';

/** The addon's functions (native/genlab_native.cc). */
export interface NativeAddon {
  library: string;
  gemm(batch: number, m: number, n: number, k: number, transA: number, transB: number, a: Float32Array, strideA: number,
    b: Float32Array, strideB: number, c: Float32Array, bias: Float32Array | null, biasMode: number, act: number, alpha: number): void;
  conv2d(x: Float32Array, w: Float32Array, y: Float32Array, ...conv: number[]): void;
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, ...conv: number[]): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, ...conv: number[]): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  binaryBroadcast(op: number, a: Float32Array, b: Float32Array, out: Float32Array, dims: Int32Array): void;
  sum(x: Float32Array, out: Float32Array, dims: Int32Array): void;
  compare(op: number, a: Float32Array, b: Float32Array, out: Uint8Array, dims: Int32Array | null): void;
  select(cond: Uint8Array, t: Float32Array, e: Float32Array, out: Float32Array): void;
  batchNorm(x: Float32Array, mean: Float32Array, variance: Float32Array, offset: Float32Array | null, scale: Float32Array | null,
    eps: number, out: Float32Array): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  epilogue(out: Float32Array, rows: number, cols: number, bias: Float32Array | null, biasMode: number, act: number, alpha: number): void;
  adam(x: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, outX: Float32Array, outM: Float32Array, outV: Float32Array,
    learningRate: number, oneMinusBeta1: number, oneMinusBeta2: number, beta1: number, beta2: number, epsilon: number,
    oneMinusAccBeta1: number, oneMinusAccBeta2: number): void;
  batchNormTraining(x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, y: Float32Array, mean: Float32Array, variance: Float32Array): void;
  batchNormTrainingGrad(dy: Float32Array, x: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array,
    dMean: Float32Array, dVariance: Float32Array, eps: number, dx: Float32Array, dGamma: Float32Array, dBeta: Float32Array): void;
  batchNormGrad(x: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array | null, dy: Float32Array, epsilon: number,
    dx: Float32Array, dMean: Float32Array, dVariance: Float32Array, dScale: Float32Array, dOffset: Float32Array): void;
  activationGrad(op: number, dy: Float32Array, v: Float32Array, out: Float32Array, alpha: number): void;
  bernoulliLogLikelihood(x: Float32Array, logits: Float32Array, out: Float32Array, d: number): void;
  bernoulliLogLikelihoodGrad(dy: Float32Array, x: Float32Array, logits: Float32Array, out: Float32Array, d: number): void;
  klStandardNormal(mean: Float32Array, logVar: Float32Array, out: Float32Array, latent: number): void;
  klStandardNormalGrad(dy: Float32Array, mean: Float32Array, logVar: Float32Array, dMean: Float32Array, dLogVar: Float32Array, latent: number): void;
  reparameterize(mean: Float32Array, logVar: Float32Array, eps: Float32Array, z: Float32Array): void;
  reparameterizeGrad(dz: Float32Array, logVar: Float32Array, eps: Float32Array, dMean: Float32Array, dLogVar: Float32Array): void;
  threads(n?: number): number;
  /** The oneDNN implementation a convolution pass (0 forward, 1 input gradient, 2 filter gradient) runs on; null: im2col + sgemm. */
  convImpl(pass: number, ...conv: number[]): string | null;
}

/** What native/build.mjs recorded: `library` null means no oneDNN was found, so no build was expected. */
export interface NativeBuildStatus {
  built: boolean;
  library: string | null;
  reason: string | null;
}

export const NATIVE_BACKEND = 'native';


/** native/ of this package, from src/engine or dist/engine. */
function nativeDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'native', 'build.mjs'))) return join(dir, 'native');
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native');
}

/** The build's verdict, or null when the build never ran. */
export function nativeBuildStatus(): NativeBuildStatus | null {
  const file = join(nativeDir(), 'build', 'status.json');
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as NativeBuildStatus;
  } catch {
    return null;
  }
}

let addon: NativeAddon | null = null;
let loadError: string | null = null;

/** The loaded addon; throws with the reason when it is not available. */
export function loadNativeAddon(): NativeAddon {
  if (addon) return addon;
  if (loadError !== null) throw new Error(loadError);
  const file = join(nativeDir(), 'build', 'Release', 'genlab_native.node');
  if (!existsSync(file)) {
    const status = nativeBuildStatus();
    loadError = `native addon not built (${status?.reason ?? 'run node native/build.mjs'}; needs libdnnl-dev)`;
    throw new Error(loadError);
  }
  try {
    // OpenMP's threads sleep when idle instead of spinning (read once, when libgomp loads with the addon): on a
    // machine whose cores are shared, spinning threads wait for each other's descheduled peers at every barrier.
    if (process.env['OMP_WAIT_POLICY'] === undefined) process.env['OMP_WAIT_POLICY'] = 'PASSIVE';
    addon = createRequire(import.meta.url)(file) as NativeAddon;
    const threads = Number(process.env['GENLAB_NATIVE_THREADS'] ?? '');
    if (Number.isInteger(threads) && threads > 0) addon.threads(threads);
    return addon;
  } catch (e) {
    loadError = `native addon cannot load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    throw new Error(loadError);
  }
}

/**
 * TF.js's cpu backend under another name; kernels registered for `native` run on it. One change: the native kernels'
 * outputs come from a pool of Float32Arrays that disposed tensors return to. Fresh ArrayBuffers for every output make
 * V8 run a full garbage collection about every training step (external memory pressure) and fault in new pages;
 * reused ones do neither. A pooled array is recycled only when no tensor data refers to it any more, and reads
 * (`dataSync`, `data`) return copies of pooled arrays, so no caller keeps a view of memory that is reused.
 */
export class NativeBackend extends MathBackendCPU {
  private readonly pool = new Map<number, Float32Array[]>();
  private pooledBytes = 0;
  /**
   * The buffers of pooled arrays (ours) → how many tensor data entries hold them or a view of them (the cpu kernels
   * Slice and SplitV answer contiguous slices with `subarray` views of their input).
   */
  private readonly owners = new WeakMap<ArrayBufferLike, { refs: number; array: Float32Array }>();
  static readonly POOL_BYTES = 256 << 20;

  /** A Float32Array of `n` values (contents undefined: the caller writes every element). */
  alloc(n: number): Float32Array {
    const out = this.pool.get(n)?.pop();
    if (out !== undefined) {
      this.pooledBytes -= out.byteLength;
      this.owners.set(out.buffer, { refs: 0, array: out });
      return out;
    }
    const fresh = new Float32Array(n);
    if (n >= 1024) this.owners.set(fresh.buffer, { refs: 0, array: fresh });
    return fresh;
  }

  /** A Uint8Array of `n` values (bool outputs) over a pooled array's memory; contents undefined. */
  allocBytes(n: number): Uint8Array {
    const words = this.alloc(Math.max(1, Math.ceil(n / 4)));
    return new Uint8Array(words.buffer, words.byteOffset, n);
  }

  private owner(values: tf.backend_util.BackendValues | undefined): { refs: number; array: Float32Array } | undefined {
    return ArrayBuffer.isView(values) ? this.owners.get(values.buffer) : undefined;
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    const owner = this.owner(values);
    if (owner) owner.refs++;
    return super.write(values, shape, dtype);
  }

  override move(dataId: tf.DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    const owner = this.owner(values);
    if (owner) owner.refs++;
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const values = super.readSync(dataId);
    return ArrayBuffer.isView(values) && this.owners.has(values.buffer) ? (values as Float32Array).slice() : values;
  }

  override async read(dataId: tf.DataId): Promise<tf.backend_util.BackendValues> {
    return this.readSync(dataId);
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const released = super.disposeData(dataId, force);
    const owner = this.owner(values);
    if (owner && !this.data.has(dataId) && --owner.refs === 0) {
      const array = owner.array;
      this.owners.delete(array.buffer);
      if (this.pooledBytes + array.byteLength <= NativeBackend.POOL_BYTES) {
        let free = this.pool.get(array.length);
        if (!free) this.pool.set(array.length, (free = []));
        free.push(array);
        this.pooledBytes += array.byteLength;
      }
    }
    return released;
  }

  override dispose(): void {
    this.pool.clear();
    this.pooledBytes = 0;
    super.dispose();
  }
}

type Info = tf.TensorInfo;
type Args = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, sigmoid: 2, relu6: 3, elu: 4, leakyrelu: 5 };

function f32(backend: NativeBackend, t: Info | undefined): Float32Array | null {
  if (t === undefined || t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId)?.values;
  return values instanceof Float32Array ? values : null;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** How a bias of `shape` broadcasts onto an output of `out` (rows × n): 1 per column, 2 scalar, 3 full, -1 unsupported. */
function biasMode(shape: readonly number[], out: readonly number[]): number {
  const n = out[out.length - 1] ?? 1;
  const s = size(shape);
  if (s === 1) return 2;
  if (shape.length > 0 && shape[shape.length - 1] === n && s === n && shape.length <= out.length) return 1;
  if (shape.length === out.length && shape.every((d, i) => d === out[i])) return 3;
  return -1;
}

function stridesOf(shape: readonly number[]): number[] {
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
function mergedDims(shape: readonly number[], strideSets: readonly (readonly number[])[]): { n: number; s: number[] }[] {
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
function broadcastDims(out: readonly number[], inputs: readonly (readonly number[])[]): Int32Array {
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
function binaryOperands(args: Args, backend: NativeBackend):
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

const ZERO = new Float32Array(1);

function makeKernels(native: NativeAddon, cpu: (name: string) => tf.KernelFunc): tf.KernelConfig[] {
  const kernels: tf.KernelConfig[] = [];
  const add = (kernelName: string, fn: (args: Args, backend: NativeBackend) => Info | Info[] | null): void => {
    const fallback = cpu(kernelName);
    kernels.push({
      kernelName,
      backendName: NATIVE_BACKEND,
      kernelFunc: ((args: Args) => {
        const out = fn(args, args.backend as NativeBackend);
        if (out !== null) {
          nativeCalls.set(kernelName, (nativeCalls.get(kernelName) ?? 0) + 1);
          return out;
        }
        fallbackCalls.set(kernelName, (fallbackCalls.get(kernelName) ?? 0) + 1);
        return fallback(args as never);
      }) as tf.KernelFunc,
    });
  };

  // Matrix products: BatchMatMul and _FusedMatMul (bias + activation applied in the same pass).
  const matMul = (args: Args, backend: NativeBackend, fused: boolean): Info | null => {
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
    let bmode = 0;
    let biasValues: Float32Array | null = null;
    if (fused && bias) {
      biasValues = f32(backend, bias);
      bmode = biasValues ? biasMode(bias.shape, outShape) : -1;
      if (bmode < 0) return null;
    }
    const out = backend.alloc(batch * m * n);
    native.gemm(batch, m, n, k, tA ? 1 : 0, tB ? 1 : 0, av, batchA === 1 ? 0 : m * k, bv, batchB === 1 ? 0 : k * n, out,
      biasValues, bmode, act, attrs.leakyreluAlpha ?? 0.2);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
  add('BatchMatMul', (args, backend) => matMul(args, backend, false));
  add('_FusedMatMul', (args, backend) => matMul(args, backend, true));

  // Convolutions (NHWC, not depthwise): forward, both gradients, and the fused forward (bias + activation).
  const convArgs = (c: tf.backend_util.Conv2DInfo): number[] => [
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.filterHeight, c.filterWidth, c.outChannels, c.outHeight,
    c.outWidth, c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.left, c.dilationHeight, c.dilationWidth,
  ];
  type ConvAttrs = {
    strides: number | [number, number]; pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
    dataFormat?: 'NHWC' | 'NCHW'; dilations?: number | [number, number]; dimRoundingMode?: 'floor' | 'round' | 'ceil';
    inputShape?: [number, number, number, number]; filterShape?: [number, number, number, number];
    activation?: string; leakyreluAlpha?: number;
  };
  const info = (xShape: number[], fShape: number[], attrs: ConvAttrs, dilations: number | [number, number]): tf.backend_util.Conv2DInfo | null => {
    if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC' || xShape.length !== 4 || fShape.length !== 4) return null;
    try {
      return tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], fShape as [number, number, number, number],
        attrs.strides, dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    } catch {
      return null;
    }
  };
  const conv = (args: Args, backend: NativeBackend, fused: boolean): Info | null => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, Info | undefined>;
    const attrs = args.attrs as unknown as ConvAttrs;
    if (!x || !filter || preluActivationWeights) return null;
    const xv = f32(backend, x), wv = f32(backend, filter);
    const c = xv && wv ? info(x.shape, filter.shape, attrs, attrs.dilations ?? 1) : null;
    if (!xv || !wv || !c || c.inChannels !== filter.shape[2]) return null;
    const act = fused ? ACTIVATIONS[attrs.activation ?? 'linear'] : 0;
    if (act === undefined) return null;
    const outShape = [c.batchSize, c.outHeight, c.outWidth, c.outChannels];
    let bmode = 0;
    let biasValues: Float32Array | null = null;
    if (fused && bias) {
      biasValues = f32(backend, bias);
      bmode = biasValues ? biasMode(bias.shape, outShape) : -1;
      if (bmode < 0) return null;
    }
    const out = backend.alloc(size(outShape));
    native.conv2d(xv, wv, out, ...convArgs(c));
    if (bmode !== 0 || act !== 0) {
      native.epilogue(out, out.length / Math.max(1, c.outChannels), c.outChannels, biasValues, bmode, act, attrs.leakyreluAlpha ?? 0.2);
    }
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
  add('Conv2D', (args, backend) => conv(args, backend, false));
  add('FusedConv2D', (args, backend) => conv(args, backend, true));
  add('Conv2DBackpropInput', (args, backend) => {
    const { dy, filter } = args.inputs as Record<string, Info | undefined>;
    const attrs = args.attrs as unknown as ConvAttrs;
    const dyv = f32(backend, dy), wv = f32(backend, filter);
    if (!dy || !filter || !dyv || !wv || !attrs.inputShape) return null;
    const c = info([...attrs.inputShape], filter.shape, attrs, 1);
    if (!c || c.outChannels !== dy.shape[3] || c.outHeight !== dy.shape[1] || c.outWidth !== dy.shape[2]) return null;
    const out = backend.alloc(size(attrs.inputShape));
    native.conv2dBackpropInput(dyv, wv, out, ...convArgs(c));
    return backend.makeTensorInfo([...attrs.inputShape], 'float32', out);
  });
  add('Conv2DBackpropFilter', (args, backend) => {
    const { x, dy } = args.inputs as Record<string, Info | undefined>;
    const attrs = args.attrs as unknown as ConvAttrs;
    const xv = f32(backend, x), dyv = f32(backend, dy);
    if (!x || !dy || !xv || !dyv || !attrs.filterShape) return null;
    const c = info(x.shape, [...attrs.filterShape], attrs, 1);
    if (!c || c.outChannels !== dy.shape[3] || c.outHeight !== dy.shape[1] || c.outWidth !== dy.shape[2]) return null;
    const out = backend.alloc(size(attrs.filterShape));
    native.conv2dBackpropFilter(xv, dyv, out, ...convArgs(c));
    return backend.makeTensorInfo([...attrs.filterShape], 'float32', out);
  });

  // Element-wise binary ops on float32, with broadcasting.
  const BINARY: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6 };
  for (const [name, op] of Object.entries(BINARY)) {
    add(name, (args, backend) => {
      const ops = binaryOperands(args, backend);
      if (!ops) return null;
      const { av, bv, shape, n } = ops;
      const out = backend.alloc(n);
      if (n === 0) return backend.makeTensorInfo(shape, 'float32', out);
      if (ops.flat) native.binary(op, av, bv, out);
      else native.binaryBroadcast(op, av, bv, out, ops.dims());
      return backend.makeTensorInfo(shape, 'float32', out);
    });
  }

  // Sum and Mean over any axes (float32; accumulated in double).
  const reduce = (args: Args, backend: NativeBackend, mean: boolean): Info | null => {
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
  };
  add('Sum', (args, backend) => reduce(args, backend, false));
  add('Mean', (args, backend) => reduce(args, backend, true));

  // Tile where it is a broadcast (each repeated dim has size 1).
  add('Tile', (args, backend) => {
    const { x } = args.inputs as Record<string, Info | undefined>;
    const xv = f32(backend, x);
    const reps = (args.attrs as { reps: number[] }).reps;
    if (!x || !xv || reps.length !== x.shape.length || x.shape.length === 0) return null;
    if (!x.shape.every((d, i) => reps[i] === 1 || d === 1)) return null;
    const outShape = x.shape.map((d, i) => d * reps[i]!);
    const out = backend.alloc(size(outShape));
    if (out.length > 0) native.binaryBroadcast(14, xv, ZERO, out, broadcastDims(outShape, [x.shape, []]));
    return backend.makeTensorInfo(outShape, 'float32', out);
  });

  // Slice and SplitV: strided copies (the cpu kernels copy non-contiguous slices element by element).
  const sliceOf = (backend: NativeBackend, x: Info, xv: Float32Array, begin: number[], sz: number[]): Info => {
    const out = backend.alloc(size(sz));
    if (out.length > 0) {
      const strides = stridesOf(x.shape);
      const offset = begin.reduce((a, b, i) => a + b * strides[i]!, 0);
      native.binaryBroadcast(14, xv.subarray(offset), ZERO, out, Int32Array.from([...sz, ...strides, ...sz.map(() => 0)]));
    }
    return backend.makeTensorInfo(sz, 'float32', out);
  };
  add('Slice', (args, backend) => {
    const { x } = args.inputs as Record<string, Info | undefined>;
    const xv = f32(backend, x);
    if (!x || !xv || x.shape.length === 0) return null;
    const attrs = args.attrs as { begin: number | number[]; size: number | number[] };
    const [begin, sz] = tf.slice_util.parseSliceParams(x as tf.TensorInfo as tf.Tensor, attrs.begin, attrs.size) as [number[], number[]];
    return sliceOf(backend, x, xv, begin, sz);
  });
  add('SplitV', (args, backend) => {
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
      const info = sliceOf(backend, x, xv, [...begin], sz);
      begin[axis]! += s;
      return info;
    });
  });

  // Comparisons (bool outputs) and Select.
  const COMPARE: Record<string, number> = { Greater: 8, GreaterEqual: 9, Less: 10, LessEqual: 11, Equal: 12, NotEqual: 13 };
  for (const [name, op] of Object.entries(COMPARE)) {
    add(name, (args, backend) => {
      const ops = binaryOperands(args, backend);
      if (!ops) return null;
      const out = backend.allocBytes(ops.n);
      if (ops.n > 0) native.compare(op, ops.av, ops.bv, out, ops.flat ? null : ops.dims());
      return backend.makeTensorInfo(ops.shape, 'bool', out);
    });
  }
  add('Select', (args, backend) => {
    const { condition, t, e } = args.inputs as Record<string, Info | undefined>;
    const tv = f32(backend, t), ev = f32(backend, e);
    if (!condition || !t || !tv || !ev || condition.dtype !== 'bool') return null;
    const cv = backend.data.get(condition.dataId)?.values;
    if (!(cv instanceof Uint8Array) || cv.length !== tv.length || ev.length !== tv.length) return null;
    const out = backend.alloc(tv.length);
    native.select(cv, tv, ev, out);
    return backend.makeTensorInfo(t.shape, 'float32', out);
  });

  // ZerosLike and Cast to float32 (from bool or int32): pooled outputs, as the cpu kernels' fresh arrays cost a
  // garbage collection about every training step (external memory pressure).
  add('ZerosLike', (args, backend) => {
    const { x } = args.inputs as Record<string, Info | undefined>;
    if (!x || x.dtype !== 'float32') return null;
    return backend.makeTensorInfo(x.shape, 'float32', backend.alloc(size(x.shape)).fill(0));
  });
  add('Cast', (args, backend) => {
    const { x } = args.inputs as Record<string, Info | undefined>;
    const values = x ? backend.data.get(x.dataId)?.values : undefined;
    const from = x?.dtype === 'bool' || x?.dtype === 'int32';
    if (!x || !from || (args.attrs as { dtype?: string }).dtype !== 'float32' || !(values instanceof Uint8Array || values instanceof Int32Array)) return null;
    const out = backend.alloc(values.length);
    out.set(values);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  });

  // Batch normalisation (inference form, which training uses with the batch's moments).
  add('FusedBatchNorm', (args, backend) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, Info | undefined>;
    const xv = f32(backend, x), mv = f32(backend, mean), vv = f32(backend, variance);
    const ov = offset ? f32(backend, offset) : null, sv = scale ? f32(backend, scale) : null;
    if (!x || !xv || !mv || !vv || (offset && !ov) || (scale && !sv) || mv.length === 0 || vv.length === 0) return null;
    const out = backend.alloc(xv.length);
    native.batchNorm(xv, mv, vv, ov, sv, Number((args.attrs as { varianceEpsilon?: number }).varianceEpsilon ?? 0.001), out);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  });

  // Element-wise unary ops and activations.
  const UNARY: Record<string, number> = {
    Relu: 0, Sigmoid: 1, Exp: 2, Log: 3, Sqrt: 4, Square: 5, Neg: 6, Abs: 7, Tanh: 8, Rsqrt: 10, Reciprocal: 11, Log1p: 12, Step: 13,
    LeakyRelu: 14,
  };
  for (const [name, op] of Object.entries(UNARY)) {
    add(name, (args, backend) => {
      const { x } = args.inputs as Record<string, Info | undefined>;
      const xv = f32(backend, x);
      if (!x || !xv) return null;
      const out = backend.alloc(xv.length);
      native.unary(op, xv, out, Number((args.attrs as { alpha?: number } | undefined)?.alpha ?? 0));
      return backend.makeTensorInfo(x.shape, 'float32', out);
    });
  }
  return kernels;
}

/** A kernel only the native backend has (no cpu kernel to fall back to): `fn` computes it; its calls are counted. */
function nativeOnlyKernel(kernelName: string, fn: (args: Args, backend: NativeBackend) => Info | Info[]): tf.KernelConfig {
  return {
    kernelName,
    backendName: NATIVE_BACKEND,
    kernelFunc: ((args: Args) => {
      const out = fn(args, args.backend as NativeBackend);
      nativeCalls.set(kernelName, (nativeCalls.get(kernelName) ?? 0) + 1);
      return out;
    }) as tf.KernelFunc,
  };
}

/** The float32 values of a native-only kernel's inputs, by name (it has no cpu kernel to hand anything else to). */
function values(backend: NativeBackend, kernel: string, inputs: tf.NamedTensorInfoMap, names: string[]): Float32Array[] {
  return names.map((name) => {
    const v = f32(backend, inputs[name]);
    if (!v) throw new Error(`${kernel}: expected float32 ${names.join(', ')}`);
    return v;
  });
}

/** ADAM_UPDATE_KERNEL: one pass of the addon instead of ~20 element-wise kernels per variable. */
function adamUpdateKernel(native: NativeAddon): tf.KernelConfig {
  return nativeOnlyKernel(ADAM_UPDATE_KERNEL, (args, backend) => {
    const { x, m, v, g } = args.inputs as Record<string, Info | undefined>;
    const [xv, mv, vv, gv] = [x, m, v, g].map((t) => f32(backend, t));
    if (!x || !xv || !mv || !vv || !gv) throw new Error(`${ADAM_UPDATE_KERNEL}: expected float32 x, m, v, g`);
    const a = args.attrs as unknown as AdamUpdateAttrs;
    const out = [backend.alloc(xv.length), backend.alloc(xv.length), backend.alloc(xv.length)] as const;
    native.adam(xv, mv, vv, gv, ...out, a.learningRate, 1 - a.beta1, 1 - a.beta2, a.beta1, a.beta2, a.epsilon, a.oneMinusAccBeta1, a.oneMinusAccBeta2);
    return out.map((o) => backend.makeTensorInfo(x.shape, 'float32', o));
  });
}

/** The gradient of FusedBatchNorm (NHWC, per-channel statistics and scale) in one native pass: [dx, dMean, dVariance, dScale, dOffset]. */
const BATCH_NORM_GRAD_KERNEL = 'GenlabFusedBatchNormGrad';

function batchNormGradKernel(native: NativeAddon): tf.KernelConfig {
  return nativeOnlyKernel(BATCH_NORM_GRAD_KERNEL, (args, backend) => {
    const { x, mean, variance, scale, dy } = args.inputs as Record<string, Info | undefined>;
    const [xv, mv, vv, dyv] = [x, mean, variance, dy].map((t) => f32(backend, t));
    const sv = scale ? f32(backend, scale) : null;
    if (!x || !mean || !xv || !mv || !vv || !dyv || (scale && !sv)) throw new Error(`${BATCH_NORM_GRAD_KERNEL}: expected float32 x, mean, variance, scale, dy`);
    const c = mv.length;
    const outs = [backend.alloc(xv.length), backend.alloc(c), backend.alloc(c), backend.alloc(c), backend.alloc(c)] as const;
    native.batchNormGrad(xv, mv, vv, sv, dyv, Number((args.attrs as { varianceEpsilon: number }).varianceEpsilon), ...outs);
    return outs.map((o, i) => backend.makeTensorInfo(i === 0 ? x.shape : mean.shape, 'float32', o));
  });
}

/**
 * Training-mode batch normalisation (kernels/batch-norm-training.ts): [y, mean, variance] from x [..., C], gamma, beta in
 * one addon call, and its gradient [dx, dGamma, dBeta] through the batch statistics in another.
 */
function batchNormTrainingKernels(native: NativeAddon): tf.KernelConfig[] {
  return [
    nativeOnlyKernel(BATCH_NORM_TRAINING_KERNEL, ({ inputs, attrs }, backend) => {
      const [x, gamma, beta] = values(backend, BATCH_NORM_TRAINING_KERNEL, inputs, ['x', 'gamma', 'beta']);
      const c = gamma!.length;
      const outs = [backend.alloc(x!.length), backend.alloc(c), backend.alloc(c)] as const;
      native.batchNormTraining(x!, gamma!, beta!, (attrs as unknown as BatchNormTrainingAttrs).varianceEpsilon, ...outs);
      return outs.map((o, i) => backend.makeTensorInfo(i === 0 ? inputs['x']!.shape : [c], 'float32', o));
    }),
    nativeOnlyKernel(BATCH_NORM_TRAINING_GRAD_KERNEL, ({ inputs, attrs }, backend) => {
      const [dy, x, mean, variance, gamma, dMean, dVariance] = values(backend, BATCH_NORM_TRAINING_GRAD_KERNEL, inputs,
        ['dy', 'x', 'mean', 'variance', 'gamma', 'dMean', 'dVariance']);
      const c = gamma!.length;
      const outs = [backend.alloc(x!.length), backend.alloc(c), backend.alloc(c)] as const;
      native.batchNormTrainingGrad(dy!, x!, mean!, variance!, gamma!, dMean!, dVariance!, (attrs as unknown as BatchNormTrainingAttrs).varianceEpsilon, ...outs);
      return outs.map((o, i) => backend.makeTensorInfo(i === 0 ? inputs['x']!.shape : [c], 'float32', o));
    }),
  ];
}

/** The gradient of an activation from dy and v (x for relu and leaky relu, y for sigmoid and tanh); attr `op` as in the addon. */
const ACTIVATION_GRAD_KERNEL = 'GenlabActivationGrad';
const ACTIVATION_GRADS = { Relu: 0, LeakyRelu: 1, Sigmoid: 2, Tanh: 3 } as const;

function activationGradKernel(native: NativeAddon): tf.KernelConfig {
  return nativeOnlyKernel(ACTIVATION_GRAD_KERNEL, (args, backend) => {
    const { dy, v } = args.inputs as Record<string, Info | undefined>;
    const dyv = f32(backend, dy), vv = f32(backend, v);
    if (!dy || !dyv || !vv) throw new Error(`${ACTIVATION_GRAD_KERNEL}: expected float32 dy and v`);
    const { op, alpha } = args.attrs as { op: number; alpha: number };
    const out = backend.alloc(dyv.length);
    native.activationGrad(op, dyv, vv, out, alpha);
    return [backend.makeTensorInfo(dy.shape, 'float32', out)];
  });
}

/**
 * The VAE's loss terms (kernels/fused-losses.ts, which checks the shapes and registers the gradients): one addon pass
 * each, forward and backward. Inputs by name; the last axis is the per-example one.
 */
function fusedLossKernels(native: NativeAddon): tf.KernelConfig[] {
  const shapeOf = (inputs: tf.NamedTensorInfoMap, name: string): number[] => inputs[name]!.shape;
  const last = (shape: number[]): number => shape[shape.length - 1]!;
  return [
    nativeOnlyKernel(BERNOULLI_LOG_LIKELIHOOD_KERNEL, ({ inputs }, backend) => {
      const [x, logits] = values(backend, BERNOULLI_LOG_LIKELIHOOD_KERNEL, inputs, ['x', 'logits']);
      const shape = shapeOf(inputs, 'logits');
      const out = backend.alloc(logits!.length / last(shape));
      native.bernoulliLogLikelihood(x!, logits!, out, last(shape));
      return backend.makeTensorInfo(shape.slice(0, -1), 'float32', out);
    }),
    nativeOnlyKernel(BERNOULLI_LOG_LIKELIHOOD_GRAD_KERNEL, ({ inputs }, backend) => {
      const [dy, x, logits] = values(backend, BERNOULLI_LOG_LIKELIHOOD_GRAD_KERNEL, inputs, ['dy', 'x', 'logits']);
      const shape = shapeOf(inputs, 'logits');
      const out = backend.alloc(logits!.length);
      native.bernoulliLogLikelihoodGrad(dy!, x!, logits!, out, last(shape));
      return backend.makeTensorInfo(shape, 'float32', out);
    }),
    nativeOnlyKernel(KL_STANDARD_NORMAL_KERNEL, ({ inputs }, backend) => {
      const [mean, logVar] = values(backend, KL_STANDARD_NORMAL_KERNEL, inputs, ['mean', 'logVar']);
      const shape = shapeOf(inputs, 'mean');
      const out = backend.alloc(mean!.length / last(shape));
      native.klStandardNormal(mean!, logVar!, out, last(shape));
      return backend.makeTensorInfo(shape.slice(0, -1), 'float32', out);
    }),
    nativeOnlyKernel(KL_STANDARD_NORMAL_GRAD_KERNEL, ({ inputs }, backend) => {
      const [dy, mean, logVar] = values(backend, KL_STANDARD_NORMAL_GRAD_KERNEL, inputs, ['dy', 'mean', 'logVar']);
      const shape = shapeOf(inputs, 'mean');
      const outs = [backend.alloc(mean!.length), backend.alloc(mean!.length)] as const;
      native.klStandardNormalGrad(dy!, mean!, logVar!, ...outs, last(shape));
      return outs.map((o) => backend.makeTensorInfo(shape, 'float32', o));
    }),
    nativeOnlyKernel(REPARAMETERIZE_KERNEL, ({ inputs }, backend) => {
      const [mean, logVar, eps] = values(backend, REPARAMETERIZE_KERNEL, inputs, ['mean', 'logVar', 'eps']);
      const out = backend.alloc(eps!.length);
      native.reparameterize(mean!, logVar!, eps!, out);
      return backend.makeTensorInfo(shapeOf(inputs, 'eps'), 'float32', out);
    }),
    nativeOnlyKernel(REPARAMETERIZE_GRAD_KERNEL, ({ inputs }, backend) => {
      const [dz, logVar, eps] = values(backend, REPARAMETERIZE_GRAD_KERNEL, inputs, ['dz', 'logVar', 'eps']);
      const outs = [backend.alloc(logVar!.length), backend.alloc(logVar!.length)] as const;
      native.reparameterizeGrad(dz!, logVar!, eps!, ...outs);
      return outs.map((o) => backend.makeTensorInfo(shapeOf(inputs, 'logVar'), 'float32', o));
    }),
  ];
}

const nativeCalls = new Map<string, number>();
const fallbackCalls = new Map<string, number>();

/** How often each native kernel ran natively and how often it handed its call to the cpu kernel (tests, profiling). */
export function nativeKernelCalls(reset = false): { native: Record<string, number>; fallback: Record<string, number> } {
  const r = { native: Object.fromEntries(nativeCalls), fallback: Object.fromEntries(fallbackCalls) };
  if (reset) {
    nativeCalls.clear();
    fallbackCalls.clear();
  }
  return r;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const allFloat32 = (ts: readonly (tf.Tensor | undefined)[]): boolean => ts.every((t) => t === undefined || t.dtype === 'float32');

/**
 * Replaces the registered gradient of `kernelName` (TF.js's, registered by tfjs-layers) by `fast` on the native backend;
 * where `fast` answers null (other dtypes or shapes), on every other backend, and inside an outer gradient (a gradient
 * of a gradient, as WGAN-GP's penalty takes: the kernels `fast` runs have no gradients of their own; TF.js's fused
 * matMul and conv2d step aside the same way), TF.js's own runs.
 */
function overrideGradient(kernelName: string, fast: (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => ReturnType<tf.GradFunc> | null): void {
  const original = tf.getGradient(kernelName);
  if (!original) return;
  tf.registerGradient({
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const mine = tf.getBackend() === NATIVE_BACKEND && tf.engine().state.gradientDepth === 0 && !Array.isArray(dy);
      return (mine ? fast(dy, saved, attrs) : null) ?? original.gradFunc(dy, saved, attrs);
    },
  });
}

/**
 * Gradients that TF.js composes of several full-size kernels, done in fewer on native. The values are TF.js's, up to
 * float rounding where noted.
 * - Sum and Mean: TF.js multiplies the reshaped dy by ones(x.shape), a fresh array filled in JavaScript (garbage-
 *   collection pressure) and a full pass more; a broadcast (Tile) of dy — for Mean, of dy / n — gives the same values
 *   (dy·1 = dy exactly).
 * - FusedBatchNorm (NHWC, per-channel statistics): one native pass instead of ~12 full-size element-wise kernels and 4
 *   reductions (sums accumulated in double: equal up to float rounding).
 * - Relu, LeakyRelu, Sigmoid, Tanh: one native pass with TF.js's float32 operations (2–3 kernels in TF.js): the same values.
 * Gradients computed in the gradient function itself (not in its closures) are disposed with the backward pass's scope
 * when no closure asks for them, as TF.js's own Sum gradient does. Registered with the backend: importing tfjs-layers
 * afterwards would put TF.js's own back (slower, same results).
 */
function registerNativeGradients(): void {
  for (const name of ['Sum', 'Mean'] as const) {
    overrideGradient(name, (dy, [x], attrs) => {
      // Empty x: broadcastTo would keep dy's size-1 dims (it treats repeat 0 as no repeat).
      if (!x || !allFloat32([x, dy]) || x.size === 0) return null;
      return {
        x: () => {
          const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
          const expanded = tf.reshape(dy, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
          const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
          return tf.broadcastTo(name === 'Mean' ? tf.div(expanded, count) : expanded, x.shape);
        },
      };
    });
  }
  overrideGradient('FusedBatchNorm', (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as (tf.Tensor | undefined)[];
    if (!x || !mean || !variance || x.rank !== 4 || mean.rank !== 1 || x.shape[3] !== mean.shape[0] || !sameShape(variance.shape, mean.shape) ||
      (scale && !sameShape(scale.shape, mean.shape)) || !sameShape(dy.shape, x.shape) || !allFloat32([x, mean, variance, scale, dy])) return null;
    const inputs = scale ? { x, mean, variance, scale, dy } : { x, mean, variance, dy };
    const [dx, dMean, dVariance, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, inputs as unknown as tf.NamedTensorMap,
      { varianceEpsilon: (attrs as { varianceEpsilon: number }).varianceEpsilon }) as tf.Tensor[];
    return { x: () => dx!, mean: () => dMean!, variance: () => dVariance!, scale: () => dScale!, offset: () => dOffset! };
  });
  for (const [name, op] of Object.entries(ACTIVATION_GRADS)) {
    overrideGradient(name, (dy, [v], attrs) => {
      if (!v || !allFloat32([v, dy]) || !sameShape(v.shape, dy.shape)) return null;
      const alpha = Number((attrs as { alpha?: number } | undefined)?.alpha ?? 0);
      const [dx] = tf.engine().runKernel(ACTIVATION_GRAD_KERNEL, { dy, v }, { op, alpha }) as tf.Tensor[];
      return { x: () => dx! };
    });
  }
}

let registered = false;
let nativeKernelNames: string[] = [];

/** Registers the `native` backend and its kernels (idempotent); throws when the addon is not available. */
export function registerNativeBackend(): void {
  if (registered) return;
  const native = loadNativeAddon();
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 0);
  const cpuKernels = tf.getKernelsForBackend('cpu');
  const cpuFunc = (name: string): tf.KernelFunc => {
    const k = tf.getKernel(name, 'cpu');
    if (!k) throw new Error(`native: no cpu kernel ${name}`);
    return k.kernelFunc;
  };
  const setKernel = (config: tf.KernelConfig): void => {
    if (tf.getKernel(config.kernelName, NATIVE_BACKEND) !== undefined) tf.unregisterKernel(config.kernelName, NATIVE_BACKEND);
    tf.registerKernel(config);
  };
  for (const k of cpuKernels) setKernel({ ...k, backendName: NATIVE_BACKEND });
  const mine = [...makeKernels(native, cpuFunc), adamUpdateKernel(native), batchNormGradKernel(native), activationGradKernel(native),
    ...fusedLossKernels(native), ...batchNormTrainingKernels(native)];
  for (const k of mine) setKernel(k);
  nativeKernelNames = mine.map((k) => k.kernelName);
  registerNativeGradients();
  registered = true;
}

/** Names of the kernels the addon implements (each falls back to the cpu kernel outside what it covers). */
export function nativeKernels(): string[] {
  return [...nativeKernelNames];
}
