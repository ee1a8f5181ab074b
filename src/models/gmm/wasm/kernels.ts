/**
 * The WebAssembly modules of the GMM hot loops. Their source is WebAssembly text in this folder (em.wat: E-step
 * Mahalanobis terms and M-step sums; kmeans.wat: Hamerly assignment and k-means++ potential; softmax.wat: the E-step's
 * log-sum-exp), assembled by wabt at build time (`node scripts/build-wasm.mjs`) into kernels.generated.ts, which is
 * committed: nothing here needs a toolchain at run time. Each module comes twice: importing a plain memory, and a shared
 * one (worker threads, see ../pool.ts). See arena.ts for how they are instantiated and called.
 */
import { KERNEL_MODULES_BASE64, SHARED_KERNEL_MODULES_BASE64 } from './kernels.generated.js';

/** The kernel modules' names. */
export type KernelModuleName = keyof typeof KERNEL_MODULES_BASE64;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The bytes of every kernel module, by name (each imports env.memory, shared or not, and exports its kernels by name). */
export function kernelModuleBytes(shared = false): Record<KernelModuleName, Uint8Array<ArrayBuffer>> {
  const source = shared ? SHARED_KERNEL_MODULES_BASE64 : KERNEL_MODULES_BASE64;
  const out = {} as Record<KernelModuleName, Uint8Array<ArrayBuffer>>;
  for (const name of Object.keys(source) as KernelModuleName[]) out[name] = decodeBase64(source[name]);
  return out;
}
