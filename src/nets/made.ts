/**
 * MADE (Germain et al. 2015, "MADE: Masked Autoencoder for Distribution Estimation"): a dense network whose kernels are
 * multiplied by 0/1 masks so that output i depends only on the inputs that come before i in an ordering — an
 * autoregressive network in one pass. The networks are stock dense MLPs (saved and loaded as such); the masks follow
 * from the sizes and the ordering, and `madeForward` applies them to the kernels at each call.
 *
 * Degrees (§4): input i has degree d(i) ∈ 1..D (its place in the ordering); hidden unit k of every layer degree
 * 1 + (k mod (D − 1)); a connection to a hidden unit is kept when its degree is ≥ the source's, to an output when its
 * degree is > the source's. An output of degree d then sees exactly the inputs of degree < d.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { dense } from './layers.js';

/** Degrees of D inputs in natural order (1, 2, …, D) or reversed (D, …, 1). */
export function inputDegrees(d: number, reversed: boolean): number[] {
  return Array.from({ length: d }, (_, i) => (reversed ? d - i : i + 1));
}

/** Degrees of a hidden layer of `units` for D inputs: 1 + (k mod (D − 1)), all 1 when D ≤ 2. */
function hiddenDegrees(units: number, d: number): number[] {
  return Array.from({ length: units }, (_, k) => 1 + (k % Math.max(1, d - 1)));
}

/** mask[i][j] = keep(source degree i, target degree j) as a [sources, targets] matrix. */
function maskOf(from: readonly number[], to: readonly number[], keep: (a: number, b: number) => boolean): tf.Tensor2D {
  const m = new Float32Array(from.length * to.length);
  from.forEach((a, i) => to.forEach((b, j) => (m[i * to.length + j] = keep(a, b) ? 1 : 0)));
  return tf.tensor2d(m, [from.length, to.length]);
}

/**
 * The masks of a MADE over D inputs with hidden layers `hidden` and `outputsPerInput` outputs per input (laid out as
 * blocks of D: output j belongs to input j mod D), one per dense layer. The caller owns (and disposes) them.
 */
export function madeMasks(d: number, hidden: readonly number[], outputsPerInput: number, reversed: boolean): tf.Tensor2D[] {
  const inputs = inputDegrees(d, reversed);
  const layers = [inputs, ...hidden.map((units) => hiddenDegrees(units, d))];
  const outputs = Array.from({ length: d * outputsPerInput }, (_, j) => inputs[j % d]!);
  const masks = layers.slice(1).map((to, i) => maskOf(layers[i]!, to, (a, b) => b >= a));
  masks.push(maskOf(layers[layers.length - 1]!, outputs, (a, b) => b > a));
  return masks;
}

/**
 * The MADE `net` (an MLP of dense layers: kernel and bias each, ReLU between) on x [m, D] with its kernels masked by
 * `masks`; `context` [m, first hidden width] (a conditioning input, e.g. an encoder's h in IAF) joins the first
 * hidden layer's pre-activation. Returns the output [m, outputs].
 */
export function madeForward(net: tfl.LayersModel, masks: readonly tf.Tensor2D[], x: tf.Tensor2D, context?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const weights = net.trainableWeights.map((w) => w.read());
    let h: tf.Tensor2D = x;
    masks.forEach((mask, i) => {
      h = tf.add(tf.matMul(h, tf.mul(weights[2 * i]!, mask) as tf.Tensor2D), weights[2 * i + 1]!) as tf.Tensor2D;
      if (i === 0 && context && masks.length > 1) h = tf.add(h, context) as tf.Tensor2D;
      if (i < masks.length - 1) h = tf.relu(h);
    });
    return h;
  });
}

/**
 * A MADE with no hidden layer over D values in natural order: output i = b_i + Σ_{j<i} W_ji x_j, the autoregressive
 * connections between visible units of Gregor et al. 2014 ("Deep AutoRegressive Networks", §2). A stock dense D → D
 * model whose kernel and bias start at zero, so it adds nothing until trained; run it with `madeForward` and
 * `madeMasks(d, [], 1, false)`. The masked entries get no gradient and stay zero, so the saved kernel is itself
 * strictly lower-triangular.
 */
export function buildAutoregressiveLinear(name: string, d: number): tfl.LayersModel {
  const input = tfl.input({ shape: [d], name: `${name}_in1` });
  const out = dense({ units: d, kernelInitializer: 'zeros', biasInitializer: 'zeros', name: `${name}_out` }).apply(input) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name });
}
