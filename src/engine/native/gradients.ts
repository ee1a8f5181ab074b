/**
 * Gradients that TF.js composes of several full-size kernels, done in fewer on the native backend. The values are
 * TF.js's, up to float rounding where noted.
 * - Sum and Mean: TF.js multiplies the reshaped dy by ones(x.shape), a fresh array filled in JavaScript (garbage-
 *   collection pressure) and a full pass more; a broadcast (Tile) of dy — for Mean, of dy / n — gives the same values
 *   (dy·1 = dy exactly).
 * - FusedBatchNorm (NHWC, per-channel statistics): one native pass instead of ~12 full-size element-wise kernels and 4
 *   reductions (sums accumulated in double: equal up to float rounding).
 * - Relu, LeakyRelu, Sigmoid, Tanh: one native pass with TF.js's float32 operations (2–3 kernels in TF.js): the same values.
 * Gradients computed in the gradient function itself (not in its closures) are disposed with the backward pass's scope
 * when no closure asks for them, as TF.js's own Sum gradient does.
 *
 * Each wraps the gradient registered for its kernel (TF.js's, which tfjs-layers registers when it loads) and is
 * installed by the engine's fast paths (../fast-paths/), when initEngine runs: a copy of tfjs-layers evaluated later
 * puts TF.js's own back (slower, same results) until the next initEngine. Free of Node imports (the fast paths are
 * part of the browser build).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ACTIVATION_GRADS, ACTIVATION_GRAD_KERNEL, BATCH_NORM_GRAD_KERNEL, NATIVE_BACKEND } from './names.js';

type FastGradient = (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => ReturnType<tf.GradFunc> | null;

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const allFloat32 = (ts: readonly (tf.Tensor | undefined)[]): boolean => ts.every((t) => t === undefined || t.dtype === 'float32');

function reductionGradient(name: 'Sum' | 'Mean'): FastGradient {
  return (dy, [x], attrs) => {
    // Empty x: broadcastTo would keep dy's size-1 dims (it treats repeat 0 as no repeat).
    if (!x || !allFloat32([x, dy]) || x.size === 0) return null;
    return {
      x: () => {
        const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
        const expanded = tf.reshape(dy, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
        const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
        return tf.broadcastTo(name === 'Mean' ? tf.div(expanded, count) : expanded, x.shape);
      },
    };
  };
}

const fusedBatchNormGradient: FastGradient = (dy, saved, attrs) => {
  const [x, mean, variance, scale] = saved as (tf.Tensor | undefined)[];
  if (!x || !mean || !variance || x.rank !== 4 || mean.rank !== 1 || x.shape[3] !== mean.shape[0] || !sameShape(variance.shape, mean.shape) ||
    (scale && !sameShape(scale.shape, mean.shape)) || !sameShape(dy.shape, x.shape) || !allFloat32([x, mean, variance, scale, dy])) return null;
  const inputs = scale ? { x, mean, variance, scale, dy } : { x, mean, variance, dy };
  const [dx, dMean, dVariance, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, inputs as unknown as tf.NamedTensorMap,
    { varianceEpsilon: (attrs as { varianceEpsilon: number }).varianceEpsilon }) as tf.Tensor[];
  return { x: () => dx!, mean: () => dMean!, variance: () => dVariance!, scale: () => dScale!, offset: () => dOffset! };
};

function activationGradient(op: number): FastGradient {
  return (dy, [v], attrs) => {
    if (!v || !allFloat32([v, dy]) || !sameShape(v.shape, dy.shape)) return null;
    const alpha = Number((attrs as { alpha?: number } | undefined)?.alpha ?? 0);
    const [dx] = tf.engine().runKernel(ACTIVATION_GRAD_KERNEL, { dy, v }, { op, alpha }) as tf.Tensor[];
    return { x: () => dx! };
  };
}

/** Kernel name → its faster gradient on native, in the order they are installed. */
const FAST_GRADIENTS: readonly [string, FastGradient][] = [
  ['Sum', reductionGradient('Sum')],
  ['Mean', reductionGradient('Mean')],
  ['FusedBatchNorm', fusedBatchNormGradient],
  ...Object.entries(ACTIVATION_GRADS).map(([name, op]): [string, FastGradient] => [name, activationGradient(op)]),
];

/** The gradient configs this module registered (to tell them from TF.js's, which a later tfjs-layers puts back). */
const ours = new WeakSet<tf.GradConfig>();

/**
 * `original` with `fast` in front of it on the native backend. Where `fast` answers null (other dtypes or shapes), on
 * every other backend, and inside an outer gradient (a gradient of a gradient, as WGAN-GP's penalty takes: the kernels
 * `fast` runs have no gradients of their own; TF.js's fused matMul and conv2d step aside the same way), `original` runs.
 */
function wrap(original: tf.GradConfig, fast: FastGradient): tf.GradConfig {
  return {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const mine = tf.getBackend() === NATIVE_BACKEND && tf.engine().state.gradientDepth === 0 && !Array.isArray(dy);
      return (mine ? fast(dy as tf.Tensor, saved, attrs) : null) ?? original.gradFunc(dy, saved, attrs);
    },
  };
}

/** The kernels whose registered gradient is genlab's native one now. */
export function activeNativeGradients(): string[] {
  return FAST_GRADIENTS.filter(([name]) => {
    const current = tf.getGradient(name);
    return current !== undefined && ours.has(current);
  }).map(([name]) => name);
}

/**
 * Wraps the registered gradient of each kernel above that does not carry genlab's already (idempotent: a second call
 * changes nothing; after a later tfjs-layers re-registered TF.js's, it wraps those). Returns the kernels whose gradient
 * is genlab's native one.
 */
export function installNativeGradients(): string[] {
  for (const [name, fast] of FAST_GRADIENTS) {
    const current = tf.getGradient(name);
    if (current === undefined || ours.has(current)) continue;
    const config = wrap(current, fast);
    ours.add(config);
    tf.registerGradient(config);
  }
  return activeNativeGradients();
}
