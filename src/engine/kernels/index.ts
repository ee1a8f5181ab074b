/**
 * Kernels genlab registers for backends that lack them. The wasm backend of TF.js 4.x has no gradient kernels for
 * convolutions, so conv nets cannot train on it out of the box; the implementations here close that gap.
 */
let wasmRegistered = false;

/** Registers every kernel that training our conv and transposed-conv nets needs on wasm. Idempotent. */
export function registerWasmTrainingKernels(): void {
  if (wasmRegistered) return;
  wasmRegistered = true;
  // Filled in by the wasm kernel work (see ./wasm/).
}
