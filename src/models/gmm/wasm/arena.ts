/**
 * A WebAssembly memory holding everything the EM kernels touch during one fit or one scoring call (the points, the
 * block buffers, the M-step sums), handed out as Float64Array views, plus the instantiated SIMD kernels.
 * Everything is sized up front, so the memory never grows and the views stay valid. The kernel modules (kernels.ts)
 * all import that one memory, so their exports together form the WasmKernels below.
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
    k: number,
    halfDist: number,
    half: number,
    moved: number,
    labels: number,
    upper: number,
    lower: number,
    sums: number,
    counts: number,
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

let compiled: WebAssembly.Module[] | null | undefined;

/** The compiled kernel modules, or null where WebAssembly SIMD is unavailable. */
function kernelModules(): WebAssembly.Module[] | null {
  if (compiled === undefined) {
    try {
      compiled = typeof WebAssembly === 'object' ? Object.values(kernelModuleBytes()).map((bytes) => new WebAssembly.Module(bytes)) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
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

  /** An arena of at least `bytes`, or undefined where WebAssembly SIMD is unavailable or the size is too large. */
  static create(bytes: number): Arena | undefined {
    const modules = kernelModules();
    if (!modules || bytes > MAX_BYTES) return undefined;
    try {
      const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) + 1 });
      const exports = modules.map((mod) => new WebAssembly.Instance(mod, { env: { memory } }).exports);
      return new Arena(memory, Object.assign({}, ...exports) as WasmKernels);
    } catch {
      return undefined; // out of memory: the caller falls back to plain arrays
    }
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
  return kernelModules() !== null;
}
