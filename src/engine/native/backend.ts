/**
 * The `native` TF.js backend for Node: TF.js's cpu backend (MathBackendCPU, so every kernel works and tensor data stays
 * in its typed arrays) with the kernels that dominate training replaced by genlab's Node addon (./addon.ts), spread over
 * all cores. Each native kernel falls back to the cpu backend's own for what it does not cover (./kernels/).
 * The gradients done in fewer kernels on native (./gradients.ts) are installed with the engine's other fast paths
 * (../fast-paths/), not here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { loadNativeAddon } from './addon.js';
import { nativeKernelConfigs } from './kernels/index.js';
import { NATIVE_BACKEND } from './names.js';

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

  /**
   * The Float32Array of `t` when a kernel may write into it in place: a pooled array (ours: no caller holds it, reads
   * are copies), held by this one tensor data entry (no view of it elsewhere) and by one tensor (no clone shares the
   * data id). A kernel that overwrites it returns the same array as its output (`makeTensorInfo` takes it over), so
   * that what changed is invisible: the input's data id belonged to a tensor about to be replaced (a variable that
   * the caller assigns the output to). Null otherwise.
   */
  exclusive(t: tf.TensorInfo): Float32Array | null {
    const data = this.data.get(t.dataId);
    const values = data?.values;
    if (!(values instanceof Float32Array) || data!.refCount !== 1) return null;
    const owner = this.owners.get(values.buffer);
    return owner !== undefined && owner.refs === 1 && owner.array === values ? values : null;
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

let registered = false;
let nativeKernelNames: string[] = [];

/** Registers (or replaces) a kernel of the native backend without TF.js's "already registered" warning. */
function setKernel(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, NATIVE_BACKEND) !== undefined) tf.unregisterKernel(config.kernelName, NATIVE_BACKEND);
  tf.registerKernel(config);
}

/**
 * Registers the `native` backend: every cpu kernel under its name, then the addon's kernels over them (idempotent);
 * throws when the addon is not available.
 */
export function registerNativeBackend(): void {
  if (registered) return;
  const native = loadNativeAddon();
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 0);
  for (const k of tf.getKernelsForBackend('cpu')) setKernel({ ...k, backendName: NATIVE_BACKEND });
  const cpuKernel = (name: string): tf.KernelFunc => {
    const k = tf.getKernel(name, 'cpu');
    if (!k) throw new Error(`native: no cpu kernel ${name}`);
    return k.kernelFunc;
  };
  const mine = nativeKernelConfigs(native, cpuKernel);
  for (const k of mine) setKernel(k);
  nativeKernelNames = mine.map((k) => k.kernelName);
  registered = true;
}

/** Whether `registerNativeBackend` ran (the native gradients are installed only then). */
export function nativeBackendRegistered(): boolean {
  return registered;
}

/** Names of the kernels the addon implements (each falls back to the cpu kernel outside what it covers). */
export function nativeKernels(): string[] {
  return [...nativeKernelNames];
}
