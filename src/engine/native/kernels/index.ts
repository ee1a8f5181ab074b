/**
 * Every kernel the native backend puts over the cpu kernels it inherits, by concern. Those with a TF.js name fall back
 * to the cpu kernel outside what the addon covers; the Genlab… kernels exist only here (no fallback).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { adamKernels } from './adam.js';
import { batchNormKernels } from './batch-norm.js';
import { convKernels } from './conv.js';
import { copyKernels } from './copies.js';
import type { CpuKernel, KernelGroup } from './define.js';
import { activationGradKernels, binaryKernels, comparisonKernels, unaryKernels } from './elementwise.js';
import { fusedLossKernels } from './fused-losses.js';
import { layerOpKernels } from './layer-ops.js';
import { matMulKernels } from './matmul.js';
import { randomKernels } from './random.js';
import { reductionKernels } from './reductions.js';
import { resampleKernels } from './resample.js';
import { softmaxKernels } from './softmax.js';

export { nativeKernelCalls } from './define.js';

const GROUPS: readonly KernelGroup[] = [
  matMulKernels,
  layerOpKernels,
  convKernels,
  binaryKernels,
  reductionKernels,
  copyKernels,
  comparisonKernels,
  unaryKernels,
  batchNormKernels,
  activationGradKernels,
  adamKernels,
  fusedLossKernels,
  resampleKernels,
  randomKernels,
  softmaxKernels,
];

/** The native backend's kernel configs for the loaded addon; `cpu` gives the cpu kernel each falls back to. */
export function nativeKernelConfigs(native: NativeAddon, cpu: CpuKernel): tf.KernelConfig[] {
  return GROUPS.flatMap((group) => group(native, cpu));
}
