/**
 * A WebAssembly memory holding everything the EM kernels touch during one fit or one scoring call (the points, the
 * block buffers, the M-step sums), handed out as Float64Array views, plus the instantiated SIMD kernels.
 * Everything is sized up front, so the memory never grows and the views stay valid. The kernel modules (kernels.ts)
 * all import that one memory, so their exports together form the WasmKernels below. A shared arena's memory is also
 * handed to the worker threads of ../pool.ts, which attach to it and lay out the same views (see params.ts).
 */
import { kernelModuleBytes } from './kernels.js';

/** The SIMD kernels; pointers are byte offsets into the arena's memory (see the .wat sources for each one's contract). */
export interface WasmKernels {
  mahalanobis4(
    x: number,
    d: number,
    rows: number,
    means: number,
    w: number,
    base: number,
    out: number,
    outStride: number,
    diff4: number,
  ): void;
  addLowerProduct(a: number, b: number, stride: number, n: number, d: number, out: number): void;
  gather(
    x: number,
    d: number,
    rows: number,
    resp: number,
    kCount: number,
    shift: number,
    diffT: number,
    weightedT: number,
    stride: number,
    nk: number,
    sum: number,
  ): number;
  assign(
    x: number,
    d: number,
    rows: number,
    centers: number,
    centersT: number,
    kp: number,
    half: number,
    moved: number,
    drop: number,
    labels: number,
    upper: number,
    lower: number,
    dists: number,
    list: number,
    sums: number,
    counts: number,
    full: number,
  ): number;
  potential(x: number, d: number, rows: number, point: number, closest: number, update: number): number;
  diagLogDensities(x: number, d: number, rows: number, means: number, w: number, bases: number, kCount: number, out: number): void;
  transposeBlock(x: number, d: number, rows: number, xT: number, stride: number): void;
  column(resp: number, kCount: number, rows: number, rk: number): number;
  prepareDense(
    xT: number,
    d: number,
    n: number,
    stride: number,
    rk: number,
    shift: number,
    diffT: number,
    weightedT: number,
    nk: number,
    sum: number,
  ): void;
  softmaxRows(v: number, logW: number, rows: number, kCount: number, maxOut: number, sumOut: number): void;
  diagAccumulate(x: number, d: number, rows: number, resp: number, kCount: number, shift: number, nk: number, sum: number, second: number): void;
}

/** The compiled kernel modules by variant (plain, shared memory): null where they cannot run, undefined until asked. */
const compiled: { plain?: WebAssembly.Module[] | null; shared?: WebAssembly.Module[] | null } = {};

/** The compiled kernel modules, or null where WebAssembly SIMD (or, for `shared`, shared memory) is unavailable. */
function kernelModules(shared: boolean): WebAssembly.Module[] | null {
  const variant = shared ? 'shared' : 'plain';
  if (compiled[variant] === undefined) {
    try {
      const usable = typeof WebAssembly === 'object' && (!shared || typeof SharedArrayBuffer === 'function');
      compiled[variant] = usable ? Object.values(kernelModuleBytes(shared)).map((bytes) => new WebAssembly.Module(bytes)) : null;
    } catch {
      compiled[variant] = null;
    }
  }
  return compiled[variant];
}

function instantiate(modules: WebAssembly.Module[], memory: WebAssembly.Memory): WasmKernels {
  const exports = modules.map((mod) => new WebAssembly.Instance(mod, { env: { memory } }).exports);
  return Object.assign({}, ...exports) as WasmKernels;
}

const PAGE = 65536;
/** 4 GiB of wasm32 memory minus room for alignment. */
const MAX_BYTES = 65536 * PAGE - 16 * PAGE;

export class Arena {
  private offset = 0;

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly kernels: WasmKernels,
  ) {}

  /**
   * An arena of at least `bytes` (in a shared memory when `shared`), or undefined where WebAssembly SIMD (or shared
   * memory) is unavailable or the size is too large.
   */
  static create(bytes: number, shared = false): Arena | undefined {
    const modules = kernelModules(shared);
    if (!modules || bytes > MAX_BYTES) return undefined;
    try {
      const pages = Math.ceil(bytes / PAGE) + 1;
      const memory = new WebAssembly.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages });
      return new Arena(memory, instantiate(modules, memory));
    } catch {
      return undefined; // out of memory: the caller falls back to plain arrays
    }
  }

  /** The arena of another thread's shared `memory`, its kernels instantiated here; views are laid out from the start. */
  static attach(memory: WebAssembly.Memory): Arena {
    const modules = kernelModules(true);
    if (!modules) throw new Error('GaussianMixture worker: the shared-memory kernels cannot run here');
    return new Arena(memory, instantiate(modules, memory));
  }

  /** Whether the memory is shared (worker threads may attach to it). */
  get shared(): boolean {
    return typeof SharedArrayBuffer === 'function' && this.memory.buffer instanceof SharedArrayBuffer;
  }

  /** Bytes `f64(n)` takes, alignment included. */
  static bytes(n: number): number {
    return Math.ceil(n / 2) * 16;
  }

  /** A zeroed, 16-byte aligned view of n doubles. */
  f64(n: number): Float64Array {
    const view = new Float64Array(this.memory.buffer, this.offset, n);
    this.offset += Arena.bytes(n);
    return view;
  }

  /** A zeroed, 16-byte aligned view of n 32-bit integers. */
  i32(n: number): Int32Array {
    const view = new Int32Array(this.memory.buffer, this.offset, n);
    this.offset += Math.ceil(n / 4) * 16;
    return view;
  }

  /** Whether `a` lives in this arena (then `a.byteOffset` is its pointer). */
  owns(a: Float64Array | Int32Array): boolean {
    return a.buffer === this.memory.buffer;
  }
}

/** Whether the SIMD kernels can run here. */
export function wasmAvailable(): boolean {
  return kernelModules(false) !== null;
}

/** Whether the SIMD kernels can run on a shared memory here (what worker threads need). */
export function sharedWasmAvailable(): boolean {
  return kernelModules(true) !== null;
}
