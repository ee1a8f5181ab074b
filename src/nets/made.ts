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
import type { Rng } from '../engine/rng.js';
import { dense } from './layers.js';
import { buildMlp } from './mlp.js';

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
 * The mask [sources, targets] of a one-layer autoregressive net over a height × width image in raster order that keeps
 * only each pixel's causal neighbourhood: pixel i sees pixel j < i when j lies at most `window` rows above it and at
 * most `window` columns to either side — the half-square context of PixelCNN's masked convolutions (van den Oord et
 * al. 2016, "Pixel Recurrent Neural Networks", §3.5), here with a weight per pair rather than shared. The caller owns it.
 */
export function causalWindowMask(height: number, width: number, window: number): tf.Tensor2D {
  const d = height * width;
  const m = new Float32Array(d * d);
  for (let i = 0; i < d; i++) {
    const [ri, ci] = [Math.floor(i / width), i % width];
    for (let j = Math.max(0, i - window * width - window); j < i; j++) {
      const [rj, cj] = [Math.floor(j / width), j % width];
      if (ri - rj <= window && Math.abs(ci - cj) <= window) m[j * d + i] = 1;
    }
  }
  return tf.tensor2d(m, [d, d]);
}

/**
 * The masks of a decoder's autoregressive pixels over an image of `shape` (raster order): each pixel's causal window
 * (`causalWindowMask`) when `window` > 0 (the one masked layer, single-channel images), else MADE's (`madeMasks`).
 */
export function pixelMasks(shape: readonly number[], hidden: readonly number[], window: number): tf.Tensor2D[] {
  if (window > 0) return [causalWindowMask(shape[0]!, shape[1]!, window)];
  return madeMasks(shape.reduce((a, b) => a * b, 1), hidden, 1, false);
}

/**
 * The autoregressive connections between the pixels of a decoder, a MADE over D values in natural order whose
 * outputs are added to the decoder's logits. Without hidden layers, output i = b_i + Σ_{j<i} W_ji x_j: the
 * autoregressive visible connections of Gregor et al. 2014 ("Deep AutoRegressive Networks", §2), whose kernel stays
 * strictly lower-triangular (its masked entries start at zero and get no gradient). With `hidden` widths, a MADE of
 * ReLU layers (Germain et al. 2015) whose masks `madeMasks(d, hidden, 1, false)` gives. A stock dense MLP either way;
 * its output layer starts at zero, so it adds nothing until trained. Run it with `madeForward`.
 */
export function buildAutoregressivePixels(name: string, d: number, hidden: readonly number[], rng: Rng): tfl.LayersModel {
  if (hidden.length > 0) {
    const net = buildMlp({ name, inputs: [[d]], hidden, output: [d], rng });
    const out = net.layers[net.layers.length - 1]!;
    out.setWeights(out.getWeights().map((w) => tf.zerosLike(w)));
    return net;
  }
  const input = tfl.input({ shape: [d], name: `${name}_in1` });
  const out = dense({ units: d, kernelInitializer: 'zeros', biasInitializer: 'zeros', name: `${name}_out` }).apply(input) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name });
}

/**
 * Decodes through a MADE of the pixels (`buildAutoregressivePixels`) by mean field, per example:
 * p_i = σ(base_i + MADE(p)_i) in natural order, each pixel's probability fed to the pixels after it. `weights` are
 * the net's [kernel, bias] per dense layer (kernels [sources, targets], row-major), `base` the decoder's logits
 * [n·D]. Values are pushed forward as they become known: pixel i, once computed, adds p_i times its kernel row to the
 * units that may see it; a hidden unit of degree m is complete once pixel m is, and then pushes its ReLU the same way.
 * Each connection is used once, reading kernel rows in order: the cost of one forward pass of the net per example.
 * The masks decide who receives (weights under a mask are ignored, whatever they hold).
 */
export function madeMeanField(weights: readonly Float32Array[], hidden: readonly number[], d: number, base: Float32Array): Float32Array {
  const n = base.length / d;
  const layers = hidden.length;
  const degrees = hidden.map((units) => hiddenDegrees(units, d));
  // Units of each hidden layer by degree: those of degree m are complete once pixel m is known.
  const byDegree = degrees.map((deg) => Array.from({ length: d + 1 }, (_, m) => deg.flatMap((v, k) => (v === m ? [k] : []))));
  const [outKernel, outBias] = [weights[2 * layers]!, weights[2 * layers + 1]!];
  const p = new Float32Array(base.length);
  const pre = hidden.map((units) => new Float64Array(units)); // each hidden layer's pre-activations so far
  const logits = new Float64Array(d);
  /** Adds v times row `j` of the output kernel to the logits of pixels `from`…D (0-based). */
  const pushToOutputs = (v: number, j: number, from: number): void => {
    if (v === 0) return;
    const row = j * d;
    for (let o = from; o < d; o++) logits[o] = logits[o]! + v * outKernel[row + o]!;
  };
  /** Adds v times row `j` of hidden layer `layer`'s kernel to its units of degree ≥ `degree`. */
  const pushToHidden = (v: number, j: number, layer: number, degree: number): void => {
    if (v === 0) return;
    const kernel = weights[2 * layer]!, deg = degrees[layer]!, acc = pre[layer]!, width = hidden[layer]!, row = j * width;
    for (let k = 0; k < width; k++) if (deg[k]! >= degree) acc[k] = acc[k]! + v * kernel[row + k]!;
  };
  for (let e = 0; e < n; e++) {
    pre.forEach((acc, layer) => acc.set(weights[2 * layer + 1]!));
    for (let o = 0; o < d; o++) logits[o] = base[e * d + o]! + outBias[o]!;
    for (let i = 1; i <= d; i++) {
      // Hidden units of degree i − 1 are complete (their sources have degree ≤ i − 1): push them on, layer by layer.
      for (let layer = 0; layer < layers; layer++) {
        for (const k of byDegree[layer]![i - 1]!) {
          const v = Math.max(0, pre[layer]![k]!);
          if (layer + 1 < layers) pushToHidden(v, k, layer + 1, i - 1);
          else pushToOutputs(v, k, i - 1);
        }
      }
      const prob = 1 / (1 + Math.exp(-logits[i - 1]!));
      p[e * d + i - 1] = prob;
      // Pixel i reaches the first hidden layer's units of degree ≥ i, or directly the pixels after it.
      if (layers > 0) pushToHidden(prob, i - 1, 0, i);
      else pushToOutputs(prob, i - 1, i);
    }
  }
  return p;
}
