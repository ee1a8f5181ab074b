/**
 * Multi-layer perceptrons as plain TF.js layers models (no custom layers, so they load with stock
 * `tf.loadLayersModel` anywhere). Every input is flattened and the inputs are concatenated, so one builder serves an
 * image encoder ([28, 28, 1] → …), a decoder (a code [20] → [28, 28, 1]) and their conditional versions (a code and
 * a one-hot label). Initialisers are seeded from an Rng: the same seed builds the same weights.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { badInput } from '../engine/errors.js';
import type { Rng } from '../engine/rng.js';
import { dense } from './layers.js';

/** Activations the builders accept (names as tfjs-layers knows them). */
export type Activation = 'relu' | 'elu' | 'selu' | 'tanh' | 'sigmoid' | 'linear';

export interface MlpOptions {
  /** Model name, and the prefix of every layer name (`encoder` → `encoder_dense1`…). */
  name: string;
  /** Shape of each input, e.g. `[[28, 28, 1]]`, or `[[20], [10]]` for a code and a one-hot label. */
  inputs: readonly (readonly number[])[];
  /** Widths of the hidden layers, e.g. [400] (the PyTorch VAE example). */
  hidden: readonly number[];
  /** Shape of the output: `[units]`, or an example shape such as [28, 28, 1] (the last dense layer is reshaped). */
  output: readonly number[];
  /** Activation of the hidden layers. Default 'relu'. */
  activation?: Activation;
  /** Activation of the output layer. Default 'linear' (logits, means and log-variances stay unbounded). */
  outputActivation?: Activation;
  /** Seeds the initialisers. */
  rng: Rng;
}

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Seeded Glorot-uniform kernel initialiser (biases start at zero). */
export function kernelInit(rng: Rng): ReturnType<typeof tfl.initializers.glorotUniform> {
  return tfl.initializers.glorotUniform({ seed: rng.tfSeed() });
}

/** Checks that every entry of a shape is a positive integer; `what` names it in the error. */
export function checkShape(what: string, shape: readonly number[]): void {
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw badInput(what, `expected a shape of positive integers, got [${shape.join(', ')}]`);
  }
}

/**
 * Flattens and concatenates `inputs` into one [batch, Σ sizes] tensor (the input layers are returned too). Shared by
 * the MLP and the conv decoder.
 */
export function flatInputs(name: string, shapes: readonly (readonly number[])[]): { inputs: tfl.SymbolicTensor[]; flat: tfl.SymbolicTensor } {
  if (shapes.length === 0) throw badInput(name, 'needs at least one input');
  shapes.forEach((s, i) => checkShape(`${name} input ${i}`, s));
  const inputs = shapes.map((shape, i) => tfl.input({ shape: [...shape], name: `${name}_in${i + 1}` }));
  const flats = inputs.map((inp, i) =>
    inp.shape.length > 2 ? (tfl.layers.flatten({ name: `${name}_flatten${i + 1}` }).apply(inp) as tfl.SymbolicTensor) : inp,
  );
  const flat = flats.length === 1 ? flats[0]! : (tfl.layers.concatenate({ name: `${name}_concat` }).apply(flats) as tfl.SymbolicTensor);
  return { inputs, flat };
}

/** Dense layers of widths `hidden` on top of `x`, each followed by `activation`. */
export function denseStack(name: string, x: tfl.SymbolicTensor, hidden: readonly number[], activation: Activation, rng: Rng, first = 1): tfl.SymbolicTensor {
  let h = x;
  hidden.forEach((units, i) => {
    if (!(Number.isInteger(units) && units >= 1)) throw badInput(`${name} hidden`, `expected positive integer widths, got [${hidden.join(', ')}]`);
    h = dense({ units, activation, kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_dense${first + i}` })
      .apply(h) as tfl.SymbolicTensor;
  });
  return h;
}

/** Builds an MLP: flatten + concatenate the inputs → hidden dense layers → a dense output reshaped to `output`. */
export function buildMlp(options: MlpOptions): tfl.LayersModel {
  const { name, hidden, output, activation = 'relu', outputActivation = 'linear', rng } = options;
  checkShape(`${name} output`, output);
  const { inputs, flat } = flatInputs(name, options.inputs);
  const h = denseStack(name, flat, hidden, activation, rng);
  let out = dense({ units: product(output), activation: outputActivation, kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_out` })
    .apply(h) as tfl.SymbolicTensor;
  if (output.length > 1) out = tfl.layers.reshape({ targetShape: [...output], name: `${name}_reshape` }).apply(out) as tfl.SymbolicTensor;
  return tfl.model({ inputs, outputs: out, name });
}
