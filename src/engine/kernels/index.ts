/**
 * Kernels genlab registers for backends that lack them. The wasm backend of TF.js 4.x has no gradient kernels for
 * convolutions, so conv nets cannot train on it out of the box; the implementations here close that gap, and replace or
 * wrap the few wasm kernels that training showed to compute wrong values or to be far slower than they need be.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './wasm/conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './wasm/conv2d-backprop-input.js';
import {
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
} from './wasm/depthwise-backprop.js';
import { MATMUL_KERNELS, wrapMatMul } from './wasm/matmul.js';
import { maxPoolGradConfig } from './wasm/max-pool-grad.js';
import { tileConfig } from './wasm/tile.js';
import { XNNPACK_CONV_KERNELS, guardXnnpackConv } from './wasm/xnnpack-conv-guard.js';
import { unsortedSegmentSumConfig } from './wasm/unsorted-segment-sum.js';

/**
 * genlab's own wasm kernels, each with why it is needed:
 * - Conv2DBackpropFilter: missing; the filter gradient of conv2d and of conv2dTranspose.
 * - DepthwiseConv2dNativeBackpropFilter / …Input: missing; the gradients of depthwise and separable convs.
 * - UnsortedSegmentSum: missing; the gradient of gather (embeddings).
 * - MaxPoolGrad: replaced; the wasm one sends the gradient of all-non-positive windows to the wrong element.
 * - Conv2DBackpropInput: replaced; the wasm one is a scalar loop, ~10× slower than the conv it differentiates, and it
 *   is both the input gradient of every conv and the forward pass of every transposed conv.
 * - Tile: replaced; the wasm one is ≈70 ns per element, and batch normalisation's gradient tiles over whole activations.
 * Plus the wrapped matmuls (BatchMatMul, _FusedMatMul): transposed operands are transposed explicitly, as the wasm
 * matmul is ≈14× slower with transposeA/B, which every dense layer's gradient uses; and batched fused products with
 * a bias, which the wasm kernel gets wrong, are computed unfused.
 * Plus the guarded XNNPACK convolutions below (Conv2D, FusedConv2D, DepthwiseConv2dNative, FusedDepthwiseConv2D):
 * wrong results for 'same' padding with a kernel smaller than the stride, heap corruption for empty outputs.
 */
export const WASM_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
  maxPoolGradConfig,
  tileConfig,
];

let wasmRegistered = false;

/** Registers (or replaces) a kernel without the "already registered" warning TF.js prints on overwrite. */
function setKernel(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) !== undefined) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}

/** Registers every kernel that training our conv and transposed-conv nets needs on wasm. Idempotent. */
export function registerWasmTrainingKernels(): void {
  if (wasmRegistered) return;
  wasmRegistered = true;
  for (const config of WASM_KERNELS) setKernel(config);
  // The XNNPACK convolutions stay, guarded: 'same' padding made explicit, empty outputs answered without XNNPACK
  // (see ./wasm/xnnpack-conv-guard.ts).
  for (const { name, depthwise } of XNNPACK_CONV_KERNELS) {
    const original = tf.getKernel(name, 'wasm');
    if (original !== undefined) setKernel(guardXnnpackConv(original, depthwise));
  }
  for (const name of MATMUL_KERNELS) {
    const original = tf.getKernel(name, 'wasm');
    if (original !== undefined) setKernel(wrapMatMul(original));
  }
}

/** Names of the wasm kernels genlab registers or wraps (for tests and diagnostics). */
export function wasmKernelNames(): string[] {
  return [...WASM_KERNELS.map((k) => k.kernelName), ...XNNPACK_CONV_KERNELS.map((k) => k.name), ...MATMUL_KERNELS];
}
