/**
 * Shared plumbing for genlab's wasm kernels. The kernels work at the backend level, like the wasm backend's own:
 * they read and write tensors in place on the wasm heap and call other wasm kernels (BatchMatMul, Transpose) through
 * their kernel functions, so no engine tensors are created and `tf.memory().numTensors` is untouched.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type { BackendWasm };
export type TensorInfo = tf.TensorInfo;

/** What TF.js hands a kernel function, typed for the wasm backend. */
export interface WasmKernelArgs<Attrs> {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: Attrs;
}

/** A required input of a kernel. */
export function input(inputs: tf.NamedTensorInfoMap, name: string, kernel: string): TensorInfo {
  const t = inputs[name];
  if (t === undefined || t === null) throw new Error(`${kernel}: missing input '${name}'`);
  return t;
}

export function assertFloat32(t: TensorInfo, what: string): void {
  if (t.dtype !== 'float32') throw new Error(`${what} must be float32 on the wasm backend, got ${t.dtype}`);
}

/**
 * A live Float32Array view of a tensor's memory on the wasm heap. Any allocation on the heap (makeOutput, another
 * kernel) may grow the wasm memory and detach earlier views, so take views only after the last allocation.
 */
export function f32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** The same data seen with another shape: no copy and no reference counting, whoever owns `t` owns the view. */
export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/**
 * Temporary tensors of one kernel call: freed together when the call ends, also when it throws. `keep` hands a
 * tensor out of the scope (the kernel's output).
 */
export class TempScope {
  private readonly live = new Set<TensorInfo>();
  constructor(private readonly backend: BackendWasm) {}

  track<T extends TensorInfo>(t: T): T {
    this.live.add(t);
    return t;
  }

  /** Uninitialised heap memory for a tensor of this shape. */
  alloc(shape: number[], dtype: tf.DataType = 'float32'): TensorInfo {
    return this.track(this.backend.makeOutput(shape, dtype));
  }

  /** Frees a temporary now (to keep peak memory down in loops). */
  free(t: TensorInfo): void {
    if (this.live.delete(t)) this.backend.disposeData(t.dataId);
  }

  keep<T extends TensorInfo>(t: T): T {
    this.live.delete(t);
    return t;
  }

  dispose(): void {
    for (const t of this.live) this.backend.disposeData(t.dataId);
    this.live.clear();
  }
}

export function withScope<T>(backend: BackendWasm, fn: (scope: TempScope) => T): T {
  const scope = new TempScope(backend);
  try {
    return fn(scope);
  } finally {
    scope.dispose();
  }
}

/**
 * The wasm kernel config of `original` with `kernelFunc` in its place, for wrappers. The original's setup (its cwrap
 * of the C++ function) must still run if the backend is (re)initialised later.
 */
export function withKernelFunc<Attrs>(
  original: tf.KernelConfig,
  kernelFunc: (args: WasmKernelArgs<Attrs>) => TensorInfo | TensorInfo[],
): tf.KernelConfig {
  const config: tf.KernelConfig = {
    kernelName: original.kernelName,
    backendName: 'wasm',
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  };
  if (original.setupFunc !== undefined) config.setupFunc = original.setupFunc;
  if (original.disposeFunc !== undefined) config.disposeFunc = original.disposeFunc;
  return config;
}

/** Calls another wasm kernel directly (as the backends' own kernels do), bypassing the engine. */
export function runWasmKernel(
  name: string,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
  backend: BackendWasm,
): TensorInfo {
  const config = tf.getKernel(name, 'wasm');
  if (config === undefined) throw new Error(`wasm kernel '${name}' is not registered`);
  const out = config.kernelFunc({ inputs, attrs, backend });
  if (Array.isArray(out)) throw new Error(`wasm kernel '${name}' returned several outputs`);
  return out;
}

/** `a [m, k] · b [k, n]` with the wasm backend's XNNPACK matmul (untransposed: its fast path); the result is [1, m, n]. */
export function matMul(backend: BackendWasm, a: TensorInfo, m: number, k: number, b: TensorInfo, n: number): TensorInfo {
  return runWasmKernel(
    'BatchMatMul',
    { a: view(a, [1, m, k]), b: view(b, [1, k, n]) },
    { transposeA: false, transposeB: false },
    backend,
  );
}

/** Rows [b0·P, (b0 + nb)·P) of `t` seen as [B·P, C] (P positions per image), as a tensor: `t` itself when whole. */
export function imageRows(
  backend: BackendWasm,
  scope: TempScope,
  t: TensorInfo,
  b0: number,
  nb: number,
  batch: number,
  perImage: number,
  channels: number,
): TensorInfo {
  if (nb === batch) return view(t, [nb * perImage, channels]);
  const part = scope.alloc([nb * perImage, channels]);
  f32(backend, part).set(f32(backend, t).subarray(b0 * perImage * channels, (b0 + nb) * perImage * channels));
  return part;
}

/** Transposes with the wasm Transpose kernel (used to bring NCHW tensors to NHWC and back). */
export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return runWasmKernel('Transpose', { x }, { perm }, backend);
}

export const NCHW_TO_NHWC = [0, 2, 3, 1];
export const NHWC_TO_NCHW = [0, 3, 1, 2];

/** The shape a tensor info reports, as [batch, height, width, channels]. */
export function shape4(t: TensorInfo, what: string): [number, number, number, number] {
  const [a, b, c, d] = t.shape;
  if (t.shape.length !== 4 || a === undefined || b === undefined || c === undefined || d === undefined) {
    throw new Error(`${what} must be rank 4, got shape [${t.shape.join(', ')}]`);
  }
  return [a, b, c, d];
}

/**
 * The first and one-past-last output index `o` for which `o * stride - pad + offset` lies inside [0, size): the
 * outputs whose receptive field at kernel tap `offset` (already multiplied by the dilation) reads real input rather
 * than padding.
 */
export function validRange(size: number, outSize: number, stride: number, pad: number, offset: number): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - offset) / stride));
  const hi = Math.min(outSize, Math.floor((size - 1 + pad - offset) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}
