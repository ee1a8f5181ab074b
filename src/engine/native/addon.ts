/**
 * Loading genlab's Node addon (native/: oneDNN's sgemm and convolution primitives, vectorised loops, all shared
 * between threads), built by `npm install` (native/build.mjs) when a C++ compiler and oneDNN (Debian: libdnnl-dev) are
 * present. Without it `loadNativeAddon` throws with the build's own reason, and the engine falls back to wasm.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The addon's functions (native/src/*.cc; module.cc lists them). */
export interface NativeAddon {
  library: string;
  /** What the functions below take; an addon of another version was built from other sources (see the check below). */
  interfaceVersion?: number;
  gemm(batch: number, m: number, n: number, k: number, transA: number, transB: number, a: Float32Array, strideA: number,
    b: Float32Array, strideB: number, c: Float32Array, bias: Float32Array | null, biasMode: number, act: number, alpha: number): void;
  /** The gradients of a dense layer before its products: dPre = dy·act′(y) (not for linear) and dBias = Σ_rows dPre. */
  denseGrad(act: number, dy: Float32Array, y: Float32Array | null, dPre: Float32Array | null, dBias: Float32Array | null, rows: number, cols: number): void;
  /** conv: the 15 numbers of native/src/conv.cc's Conv, then optionally bias (one per channel) | null, act, alpha. */
  conv2d(x: Float32Array, w: Float32Array, y: Float32Array, ...conv: (number | Float32Array | null)[]): void;
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, ...conv: (number | Float32Array | null)[]): void;
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
    oneMinusAccBeta1: number, oneMinusAccBeta2: number, weightDecay: number): void;
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
  /** dst[i, y, x, :] = src[i, rowOf[y], colOf[x], :] (zeros where an index is −1); src [n, h, w, c]. */
  gatherPixels(src: Float32Array, n: number, h: number, w: number, c: number, rowOf: Int32Array, colOf: Int32Array, dst: Float32Array): void;
  /** dst[i, y, x, :] = Σ src over rows [rowStart[y], rowEnd[y]) × columns [colStart[x], colEnd[x]), times multiplier (0: divided by the count). */
  sumBlocks(src: Float32Array, n: number, h: number, w: number, c: number, rowStart: Int32Array, rowEnd: Int32Array,
    colStart: Int32Array, colEnd: Int32Array, multiplier: number, dst: Float32Array): void;
  /** Fills `out` with normals as tf.randomNormal draws them, from an Alea generator in state (s0, s1, s2, c). */
  randomNormal(out: Float32Array, s0: number, s1: number, s2: number, c: number, mean: number, stdDev: number): void;
  /** dst[dstOffset + r·dstStride + j] = src[r·cols + j]: a contiguous block of rows into a wider array (Concat). */
  copyBlock(src: Float32Array, rows: number, cols: number, dst: Float32Array, dstOffset: number, dstStride: number): void;
  /** Sets the threads that share the work (when n > 0: the caller and n − 1 helpers); returns how many there are. */
  threads(n?: number): number;
  /** The oneDNN implementation a convolution pass (0 forward, 1 input gradient, 2 filter gradient) runs on; null: im2col + sgemm. */
  convImpl(pass: number, ...conv: number[]): string | null;
  /** The implementation C = op(A) · op(B) runs on: "genlab:sparse-left" (A's zeros skipped) or "sgemm". */
  gemmImpl(transA: number, transB: number, m: number, n: number, k: number, a: Float32Array): string;
}

/** What native/build.mjs recorded: `library` null means no oneDNN was found, so no build was expected. */
export interface NativeBuildStatus {
  built: boolean;
  library: string | null;
  reason: string | null;
}

/** native/ of this package, from src/engine/native or dist/engine/native. */
function nativeDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'native', 'build.mjs'))) return join(dir, 'native');
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'native');
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

/**
 * The addon's interface these sources call (native/src/module.cc kInterfaceVersion). An addon built before a change of
 * arguments would ignore or misread the new ones (an extra number is silently dropped), so it is refused with a line
 * saying how to rebuild, and the engine falls back to wasm.
 */
export const NATIVE_INTERFACE_VERSION = 2;

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
  let loaded: NativeAddon;
  try {
    // OpenMP's threads sleep when idle instead of spinning (read once, when libgomp loads with the addon): on a
    // machine whose cores are shared, spinning threads wait for each other's descheduled peers at every barrier.
    if (process.env['OMP_WAIT_POLICY'] === undefined) process.env['OMP_WAIT_POLICY'] = 'PASSIVE';
    loaded = createRequire(import.meta.url)(file) as NativeAddon;
  } catch (e) {
    loadError = `native addon cannot load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    throw new Error(loadError);
  }
  if (loaded.interfaceVersion !== NATIVE_INTERFACE_VERSION) {
    loadError = `native addon is stale (interface ${loaded.interfaceVersion ?? 1}, these sources need ${NATIVE_INTERFACE_VERSION}): rebuild it with node native/build.mjs`;
    throw new Error(loadError);
  }
  addon = loaded;
  const threads = Number(process.env['GENLAB_NATIVE_THREADS'] ?? '');
  if (Number.isInteger(threads) && threads > 0) addon.threads(threads);
  return addon;
}
