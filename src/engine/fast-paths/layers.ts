/**
 * tfjs-layers' Dense, Conv2D, DepthwiseConv2D and BatchNormalization with faster training passes. Same weights, same computation, same
 * class names in saved models, so a model saved from either opens with the stock layers (the browser lab, any TF.js
 * program) or these. The nets build them (nets/layers.ts); `installFastLayers` (called by the fast paths, when
 * initEngine runs) puts them in tfjs-layers' serialization map in place of the stock classes, so that loading a model
 * in genlab gets them too.
 *
 * - Dense inside a gradient (training): one op (../kernels/dense.ts) where the backend has it (native): the product,
 *   bias and activation in one kernel forward, their gradients in one pass before the two products backward; it
 *   computes only the gradients the backward pass asks for, like the plain ops below, which run elsewhere.
 * - Dense and Conv2D without an activation: tfjs-core's fused matMul and conv2d, which the stock layers call, compute
 *   the gradients of every input at once (tf.customGrad), also where nothing needs them: the input's in the first
 *   layer of a discriminator or a generator (data or codes), D's weights' in G's step. Inside a gradient these layers
 *   run the plain ops and add the bias, whose registered gradients compute only what the backward pass asks for (the
 *   DCGAN's step loses six of its 39 convolution and matrix passes). Outside gradients, and with an activation (which
 *   tfjs-core already leaves unfused inside gradients), the stock call runs.
 * - DepthwiseConv2D of a 1×1 kernel, stride 1, one output per channel: a per-channel scale (a self-attention block's
 *   γ, nets/attention.ts), run as one broadcast multiply, whose gradient is a sum: forward and weight gradient of a
 *   [64, 12, 12, 32] map in 1.0 ms on native where the stock layer's depthwise kernels take 46 ms. Same values: each
 *   output is the one product x·k either way.
 * - BatchNormalization: its training pass on one op (../kernels/batch-norm-training.ts): a single kernel forward
 *   and one backward where the backend has them (native), the layer's own composite (tf.moments + tf.batchNorm)
 *   everywhere else.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
// Evaluated first: tfjs-layers registers the stock classes that `stock` below reads. (The typed import above is erased,
// so without this line the classes were missing whenever this module was the first to reach tfjs-layers.)
import '@tensorflow/tfjs-layers';
import { batchNormTraining } from '../kernels/batch-norm-training.js';
import { fusedConv2d, fusedConv2dTranspose } from '../kernels/conv.js';
import { fusedDense } from '../kernels/dense.js';

type LayerVariable = { read(): tf.Tensor; write(v: tf.Tensor): void };

/** A stock layer class, which tfjs-layers registers for deserialisation but does not export. */
function stock<Args, L>(className: string): new (args: Args) => L {
  return tf.serialization.SerializationMap.getMap().classNameMap[className]![0] as unknown as new (args: Args) => L;
}

const insideGradient = (): boolean => tf.engine().state.gradientDepth > 0;
const single = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | undefined => (Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs);

/** The fields of the stock Dense and Conv2D that these read (public in tfjs-layers' JavaScript, not in its typings). */
type LinearFields = { kernel: LayerVariable; bias: LayerVariable | null; activation: { getClassName(): string } };

/** The fields of the stock Conv2D and Conv2DTranspose that these read. */
type ConvFields = LinearFields & { strides: [number, number]; padding: 'same' | 'valid' | 'causal'; dataFormat: string; dilationRate: [number, number] };

/** `product(kernel)` plus the layer's bias, as plain ops. */
function plusBias(f: LinearFields, product: (kernel: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const y = product(f.kernel.read());
    return f.bias ? tf.add(y, f.bias.read()) : y;
  });
}

export type DenseArgs = Parameters<typeof tfl.layers.dense>[0];
const StockDense = stock<DenseArgs, ReturnType<typeof tfl.layers.dense>>('Dense');

export class Dense extends StockDense {
  static className = 'Dense';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    const x = single(inputs);
    const f = this as unknown as LinearFields;
    if (!insideGradient() || x?.rank !== 2) return super.call(inputs, kwargs);
    const activation = f.activation.getClassName();
    const fused = fusedDense(x, f.kernel.read(), f.bias?.read() ?? null, activation);
    if (fused) return fused;
    if (activation !== 'linear') return super.call(inputs, kwargs);
    return plusBias(f, (kernel) => tf.matMul(x, kernel));
  }
}

export type Conv2DArgs = Parameters<typeof tfl.layers.conv2d>[0];
const StockConv2D = stock<Conv2DArgs, ReturnType<typeof tfl.layers.conv2d>>('Conv2D');

export class Conv2D extends StockConv2D {
  static className = 'Conv2D';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    const x = single(inputs);
    const f = this as unknown as ConvFields;
    const pad = f.padding;
    if (!insideGradient() || x?.rank !== 4 || f.dataFormat !== 'channelsLast' || (pad !== 'same' && pad !== 'valid')) return super.call(inputs, kwargs);
    const activation = f.activation.getClassName();
    const undilated = f.dilationRate.every((d) => d === 1);
    const fused = undilated ? fusedConv2d(x, f.kernel.read(), f.bias?.read() ?? null, f.strides, pad, activation) : null;
    if (fused) return fused;
    if (activation !== 'linear') return super.call(inputs, kwargs);
    return plusBias(f, (kernel) => tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, f.strides, pad, 'NHWC', f.dilationRate));
  }
}

export type Conv2DTransposeArgs = Parameters<typeof tfl.layers.conv2dTranspose>[0];
const StockConv2DTranspose = stock<Conv2DTransposeArgs, ReturnType<typeof tfl.layers.conv2dTranspose>>('Conv2DTranspose');

/** tfjs-layers' output size of a transposed convolution along one axis (its `deconvLength`). */
const deconvLength = (size: number, stride: number, kernel: number, padding: 'same' | 'valid'): number =>
  padding === 'same' ? size * stride : size * stride + Math.max(kernel - stride, 0);

export class Conv2DTranspose extends StockConv2DTranspose {
  static className = 'Conv2DTranspose';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    const x = single(inputs);
    const f = this as unknown as ConvFields & { kernelSize: [number, number]; filters: number };
    if (!insideGradient() || x?.rank !== 4 || f.dataFormat !== 'channelsLast' || (f.padding !== 'same' && f.padding !== 'valid')) return super.call(inputs, kwargs);
    const outputShape: [number, number, number, number] = [x.shape[0]!, deconvLength(x.shape[1]!, f.strides[0], f.kernelSize[0], f.padding),
      deconvLength(x.shape[2]!, f.strides[1], f.kernelSize[1], f.padding), f.filters];
    const fused = fusedConv2dTranspose(x, f.kernel.read(), f.bias?.read() ?? null, outputShape, f.strides, f.padding, f.activation.getClassName());
    return fused ?? super.call(inputs, kwargs);
  }
}

export type DepthwiseConv2DArgs = Parameters<typeof tfl.layers.depthwiseConv2d>[0];
const StockDepthwiseConv2D = stock<DepthwiseConv2DArgs, ReturnType<typeof tfl.layers.depthwiseConv2d>>('DepthwiseConv2D');
/** The stock DepthwiseConv2D's fields this one reads. */
type DepthwiseFields = ConvFields & { kernelSize: [number, number]; depthMultiplier: number; depthwiseKernel: LayerVariable };

export class DepthwiseConv2D extends StockDepthwiseConv2D {
  static className = 'DepthwiseConv2D';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    const x = single(inputs);
    const f = this as unknown as DepthwiseFields;
    const scale = f.kernelSize.every((k) => k === 1) && f.strides.every((s) => s === 1) && f.depthMultiplier === 1 && f.dilationRate.every((d) => d === 1);
    if (!scale || x?.rank !== 4 || f.dataFormat !== 'channelsLast' || f.activation.getClassName() !== 'linear') return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const y = tf.mul(x, tf.reshape(f.depthwiseKernel.read(), [-1]));
      return f.bias ? tf.add(y, f.bias.read()) : y;
    });
  }
}

export type BatchNormArgs = Parameters<typeof tfl.layers.batchNormalization>[0];
const StockBatchNorm = stock<BatchNormArgs, ReturnType<typeof tfl.layers.batchNormalization>>('BatchNormalization');
/** The stock layer's fields this one reads. */
type Fields = { axis: number; momentum: number; epsilon: number; center: boolean; scale: boolean; gamma: LayerVariable; beta: LayerVariable; movingMean: LayerVariable; movingVariance: LayerVariable };

export class BatchNormalization extends StockBatchNorm {
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    const x = single(inputs);
    const f = this as unknown as Fields;
    const lastAxis = x !== undefined && (f.axis === -1 || f.axis === x.rank - 1);
    if (!kwargs['training'] || !lastAxis || !f.center || !f.scale) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, f.gamma.read(), f.beta.read(), f.epsilon);
      // The stock layer's moving averages: v ← v − (v − batch value)·(1 − momentum).
      for (const [moving, value] of [[f.movingMean, mean], [f.movingVariance, variance]] as const) {
        tf.tidy(() => {
          const current = moving.read();
          moving.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - f.momentum)));
        });
      }
      return y;
    });
  }
}

type Serializable = tf.serialization.SerializableConstructor<tf.serialization.Serializable>;

/** The faster classes, under the stock class names they replace. */
const FAST_LAYERS: readonly Serializable[] = [Dense, Conv2D, Conv2DTranspose, DepthwiseConv2D, BatchNormalization] as unknown as Serializable[];

const classNameMap = (): Record<string, [Serializable, unknown]> =>
  tf.serialization.SerializationMap.getMap().classNameMap as unknown as Record<string, [Serializable, unknown]>;

/** The stock class names whose deserialisation builds genlab's faster layer now. */
export function activeFastLayers(): string[] {
  const map = classNameMap();
  return FAST_LAYERS.filter((cls) => map[cls.className]?.[0] === cls).map((cls) => cls.className);
}

/**
 * Registers the faster classes for deserialisation under the stock names (idempotent; after a later copy of
 * tfjs-layers registered its stock classes again, registers ours again). Returns the names now served by ours.
 */
export function installFastLayers(): string[] {
  const map = classNameMap();
  for (const cls of FAST_LAYERS) if (map[cls.className]?.[0] !== cls) tf.serialization.registerClass(cls);
  return activeFastLayers();
}
