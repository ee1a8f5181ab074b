/**
 * The engine's fast paths, installed explicitly by initEngine (../backend.ts) once the backend is chosen, never by
 * importing a module:
 * 1. layers: genlab's faster Dense, Conv2D, Conv2DTranspose, DepthwiseConv2D and BatchNormalization (./layers.ts) under the stock class names in
 *    tfjs-layers' serialization map, so that loaded models train as fast as built ones;
 * 2. gradients of genlab's own ops (training-mode batch normalisation, the VAE's fused losses, the dense and
 *    convolution layers), for every backend: until they are registered, those ops run as their TF.js composites;
 * 3. native gradients (../native/gradients.ts), once the native backend is registered: TF.js's gradients wrapped with
 *    one-pass native ones;
 * 4. tape saves without copies (./tape.ts): what a kernel's gradient needs is kept on the tape as a tensor sharing its
 *    data instead of a clone made by an Identity kernel.
 * tfjs-layers registers its stock classes and every TF.js gradient when it is evaluated (its Node bundle carries its
 * own copy of tfjs-core's gradients and registers them into the process-wide registry, overwriting silently), so each
 * step runs after ../backend.ts has imported it, whatever order modules were imported in. A second copy of tfjs-layers
 * evaluated after initEngine would put the stock ones back: every initEngine call reinstalls what is missing, and
 * `activeFastPaths()` reports what is in place now. Idempotent.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAINING_GRADIENT } from '../kernels/batch-norm-training.js';
import { CONV_GRADIENTS } from '../kernels/conv.js';
import { DENSE_GRADIENTS } from '../kernels/dense.js';
import { FUSED_LOSS_GRADIENTS } from '../kernels/fused-losses.js';
import { activeNativeGradients, installNativeGradients } from '../native/gradients.js';
import { NATIVE_BACKEND } from '../native/names.js';
import { activeFastLayers, installFastLayers } from './layers.js';
import { installSharedTapeSaves, tapeSavesShared } from './tape.js';

/** What is installed, by name. */
export interface FastPaths {
  /** Stock layer classes whose deserialisation builds genlab's faster layer (Dense, Conv2D, Conv2DTranspose, DepthwiseConv2D, BatchNormalization). */
  layers: string[];
  /** genlab's own ops whose gradient is registered (GenlabBatchNormTraining, the fused losses, GenlabDense…). */
  opGradients: string[];
  /** TF.js kernels whose gradient is genlab's one-pass native one on the native backend (Sum, Relu, …). */
  nativeGradients: string[];
  /** Whether the tape keeps what gradients need without copies (./tape.ts). */
  sharedTapeSaves: boolean;
}

const OP_GRADIENTS: readonly tf.GradConfig[] = [BATCH_NORM_TRAINING_GRADIENT, ...FUSED_LOSS_GRADIENTS, ...DENSE_GRADIENTS, ...CONV_GRADIENTS];

function activeOpGradients(): string[] {
  return OP_GRADIENTS.filter((g) => tf.getGradient(g.kernelName) === g).map((g) => g.kernelName);
}

/** Whether the native backend is registered (its gradients are useless, and not installed, without it). */
const nativeRegistered = (): boolean => tf.findBackendFactory(NATIVE_BACKEND) != null;

/** What is in place now (a later copy of tfjs-layers may have replaced some since the last initEngine). */
export function activeFastPaths(): FastPaths {
  return { layers: activeFastLayers(), opGradients: activeOpGradients(), nativeGradients: activeNativeGradients(), sharedTapeSaves: tapeSavesShared() };
}

/** Installs every fast path that is not in place, in the order above; returns what is in place. */
export function installFastPaths(): FastPaths {
  const layers = installFastLayers();
  for (const g of OP_GRADIENTS) if (tf.getGradient(g.kernelName) !== g) tf.registerGradient(g);
  const opGradients = activeOpGradients();
  const nativeGradients = nativeRegistered() ? installNativeGradients() : activeNativeGradients();
  return { layers, opGradients, nativeGradients, sharedTapeSaves: installSharedTapeSaves() };
}

/** One short phrase for the engine's log line: `fast paths: 5 layers, 10 op gradients, 7 native gradients, shared tape saves`. */
export function describeFastPaths(f: FastPaths): string {
  const parts = [[f.layers.length, 'layers'], [f.opGradients.length, 'op gradients'], [f.nativeGradients.length, 'native gradients']] as const;
  const listed = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  if (f.sharedTapeSaves) listed.push('shared tape saves');
  return `fast paths: ${listed.length > 0 ? listed.join(', ') : 'none'}`;
}

export {
  BatchNormalization,
  Conv2D,
  Conv2DTranspose,
  DepthwiseConv2D,
  Dense,
  type BatchNormArgs,
  type Conv2DArgs,
  type Conv2DTransposeArgs,
  type DepthwiseConv2DArgs,
  type DenseArgs,
} from './layers.js';
