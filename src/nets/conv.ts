/**
 * Small convolutional encoder and decoder as plain TF.js layers models, for images [height, width, channels]:
 *
 *   encoder: image → conv 4×4 stride 2, 32 → conv 4×4 stride 2, 64 → flatten (+ extra inputs) → dense … → outputs
 *   decoder: code (+ extra inputs) → dense … → dense → reshape [h/4, w/4, 64] → transposed conv 4×4 stride 2, 32
 *            → transposed conv 4×4 stride 2, channels → output
 *
 * 'same' padding and stride 2 halve (double) the side at each layer, so sides divisible by 4 (28, 40…) need nothing
 * more; other sizes are zero-padded up to the next multiple of 4 on the way in and cropped back on the way out.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { badInput } from '../engine/errors.js';
import type { Rng } from '../engine/rng.js';
import { conv2d, conv2dTranspose, dense } from './layers.js';
import { checkShape, denseStack, flatInputs, kernelInit, type Activation } from './mlp.js';

export interface ConvEncoderOptions {
  name: string;
  /** Image shape [height, width, channels]. */
  input: readonly [number, number, number] | readonly number[];
  /** Shapes of further inputs concatenated after the convolutions (e.g. a one-hot label [10]). */
  extraInputs?: readonly (readonly number[])[];
  /** Filters of the stride-2 convolutions. Default [32, 64]. */
  filters?: readonly number[];
  /** Dense layers between the convolutions and the output. Default []. */
  hidden?: readonly number[];
  /** Units of the (linear) output layer. */
  outputs: number;
  activation?: Activation;
  rng: Rng;
}

export interface ConvDecoderOptions {
  name: string;
  /** Shapes of the inputs, flattened and concatenated: the code [latent], then e.g. a one-hot label. */
  inputs: readonly (readonly number[])[];
  /** Output image shape [height, width, channels]. */
  output: readonly number[];
  /** Filters of the encoder this mirrors (the decoder runs them in reverse). Default [32, 64]. */
  filters?: readonly number[];
  /** Dense layers before the projection to the first feature map. Default []. */
  hidden?: readonly number[];
  activation?: Activation;
  rng: Rng;
}

/** How much an image of `size` is padded to reach a multiple of `multiple`: [before, after]. */
export function padding(size: number, multiple: number): [number, number] {
  const total = Math.ceil(size / multiple) * multiple - size;
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function imageShape(what: string, shape: readonly number[]): [number, number, number] {
  checkShape(what, shape);
  if (shape.length !== 3) throw badInput(what, `conv nets need images [height, width, channels], got [${shape.join(', ')}]`);
  return shape as unknown as [number, number, number];
}

function checkFilters(name: string, filters: readonly number[]): void {
  if (filters.length === 0 || !filters.every((f) => Number.isInteger(f) && f >= 1)) {
    throw badInput(`${name} filters`, `expected positive integers, got [${filters.join(', ')}]`);
  }
}

/** The conv encoder (see the file comment). Inputs: the image, then `extraInputs`; output [batch, outputs]. */
export function buildConvEncoder(options: ConvEncoderOptions): tfl.LayersModel {
  const { name, extraInputs = [], filters = [32, 64], hidden = [], outputs, activation = 'relu', rng } = options;
  const [h, w, c] = imageShape(`${name} input`, options.input);
  checkFilters(name, filters);
  const multiple = 2 ** filters.length;
  const image = tfl.input({ shape: [h, w, c], name: `${name}_in1` });
  let x: tfl.SymbolicTensor = image;
  const [top, bottom] = padding(h, multiple);
  const [left, right] = padding(w, multiple);
  if (top + bottom + left + right > 0) {
    x = tfl.layers.zeroPadding2d({ padding: [[top, bottom], [left, right]], name: `${name}_pad` }).apply(x) as tfl.SymbolicTensor;
  }
  filters.forEach((f, i) => {
    x = conv2d({ filters: f, kernelSize: 4, strides: 2, padding: 'same', activation, kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_conv${i + 1}` })
      .apply(x) as tfl.SymbolicTensor;
  });
  x = tfl.layers.flatten({ name: `${name}_flatten` }).apply(x) as tfl.SymbolicTensor;
  const inputs = [image];
  if (extraInputs.length > 0) {
    extraInputs.forEach((s, i) => checkShape(`${name} input ${i + 2}`, s));
    const extra = extraInputs.map((shape, i) => tfl.input({ shape: [...shape], name: `${name}_in${i + 2}` }));
    inputs.push(...extra);
    x = tfl.layers.concatenate({ name: `${name}_concat` }).apply([x, ...extra]) as tfl.SymbolicTensor;
  }
  x = denseStack(name, x, hidden, activation, rng);
  const out = dense({ units: outputs, kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_out` })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs, outputs: out, name });
}

/** The conv decoder (see the file comment): output [batch, ...output], linear (logits or means). */
export function buildConvDecoder(options: ConvDecoderOptions): tfl.LayersModel {
  const { name, filters = [32, 64], hidden = [], activation = 'relu', rng } = options;
  const [h, w, c] = imageShape(`${name} output`, options.output);
  checkFilters(name, filters);
  const multiple = 2 ** filters.length;
  const [top, bottom] = padding(h, multiple);
  const [left, right] = padding(w, multiple);
  const h0 = (h + top + bottom) / multiple;
  const w0 = (w + left + right) / multiple;
  const deepest = filters[filters.length - 1]!;
  const { inputs, flat } = flatInputs(name, options.inputs);
  let x = denseStack(name, flat, hidden, activation, rng);
  x = dense({ units: h0 * w0 * deepest, activation, kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_project` })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reshape({ targetShape: [h0, w0, deepest], name: `${name}_reshape` }).apply(x) as tfl.SymbolicTensor;
  // Mirror of the encoder: filters in reverse, the last transposed conv producing the image channels.
  const outFilters = [...filters.slice(0, -1).reverse(), c];
  outFilters.forEach((f, i) => {
    const last = i === outFilters.length - 1;
    x = conv2dTranspose({
      filters: f,
      kernelSize: 4,
      strides: 2,
      padding: 'same',
      activation: last ? 'linear' : activation,
      kernelInitializer: kernelInit(rng),
      biasInitializer: 'zeros',
      name: `${name}_deconv${i + 1}`,
    }).apply(x) as tfl.SymbolicTensor;
  });
  if (top + bottom + left + right > 0) {
    x = tfl.layers.cropping2D({ cropping: [[top, bottom], [left, right]], name: `${name}_crop` }).apply(x) as tfl.SymbolicTensor;
  }
  return tfl.model({ inputs, outputs: x, name });
}
