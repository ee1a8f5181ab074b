/**
 * What genlab's layer ops (./dense.ts, ./conv.ts) share: the activations they fuse, and the backward pass of a bias and
 * an activation in one kernel where the backend has it (native): dPre = dy·act′(y) and the bias gradient, dy summed over
 * every axis but the last (the channels), where TF.js runs the activation's gradient (2–3 kernels) and, for the bias,
 * a sum and two reshapes. The values are TF.js's: its float32 operations, and the sum in double as the native Sum
 * kernel does. Kept free of Node imports (the browser build uses nets).
 */
import * as tf from '@tensorflow/tfjs-core';

/** From dy (and y, with an activation): [dPre] (absent when linear: it is dy), then [dBias] when attr `bias`. */
export const BIAS_ACTIVATION_GRAD_KERNEL = 'GenlabBiasActivationGrad';

/** The activations the ops fuse (tfjs-layers' names; each one's gradient is a function of its output). */
export const FUSED_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'elu'] as const;
export type FusedActivation = (typeof FUSED_ACTIVATIONS)[number];

/** Whether `name` (an activation's class name in tfjs-layers, e.g. 'relu') is one the ops fuse. */
export const isFusedActivation = (name: string): name is FusedActivation => (FUSED_ACTIVATIONS as readonly string[]).includes(name);

/** The attributes every layer op carries into its gradient. */
export interface BiasActivationAttrs {
  activation: FusedActivation;
  /** Whether the op has a bias input. */
  bias: boolean;
}

export const onBackend = (kernel: string): boolean => tf.getKernel(kernel, tf.getBackend()) !== undefined;

/** dy·act′ in TF.js ops, from the activation's output y (the formulas of TF.js's own gradients of these activations). */
function activationGradient(activation: FusedActivation, dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  switch (activation) {
    case 'linear':
      return dy;
    case 'relu':
      return tf.mul(dy, tf.step(y)); // y > 0 exactly where x > 0, and NaN where x is
    case 'sigmoid':
      return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case 'tanh':
      return tf.mul(tf.sub(1, tf.square(y)), dy);
    case 'elu':
      return tf.where(tf.greaterEqual(y, 0), dy, tf.mul(dy, tf.add(y, 1)));
  }
}

/**
 * The gradients before a layer op's product: dPre = dy·act′(y) and, with a bias, dBias (dPre summed over all axes but
 * the last). One kernel at the top level of a backward pass where the backend has it; TF.js ops inside an outer
 * gradient (so that they differentiate again) and elsewhere. `y` is needed only with an activation.
 */
export function biasActivationGradient(dy: tf.Tensor, y: tf.Tensor | undefined, { activation, bias }: BiasActivationAttrs): { dPre: tf.Tensor; dBias: () => tf.Tensor } {
  const sumLeading = (t: tf.Tensor): tf.Tensor => tf.sum(t, Array.from({ length: t.rank - 1 }, (_, i) => i));
  if (tf.engine().state.gradientDepth === 0 && onBackend(BIAS_ACTIVATION_GRAD_KERNEL) && (activation !== 'linear' || bias)) {
    const outs = tf.engine().runKernel(BIAS_ACTIVATION_GRAD_KERNEL, activation === 'linear' ? { dy } : { dy, y: y! },
      { activation, bias } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const dPre = activation === 'linear' ? dy : outs[0]!;
    const dBias = bias ? outs[outs.length - 1]! : null;
    return { dPre, dBias: () => dBias ?? sumLeading(dPre) };
  }
  const dPre = activationGradient(activation, dy, y!);
  return { dPre, dBias: () => sumLeading(dPre) };
}
