/**
 * tfjs-layers' Dense, Conv2D and BatchNormalization with faster training passes. Same weights, same computation, same
 * class names in saved models, so a model saved from either opens with the stock layers (the browser lab, any TF.js
 * program) or these (registered below, so that loading in genlab gets them).
 *
 * - Dense and Conv2D without an activation: tfjs-core's fused matMul and conv2d, which the stock layers call, compute
 *   the gradients of every input at once (tf.customGrad), also where nothing needs them: the input's in the first
 *   layer of a discriminator or a generator (data or codes), D's weights' in G's step. Inside a gradient these layers
 *   run the plain ops and add the bias, whose registered gradients compute only what the backward pass asks for (the
 *   DCGAN's step loses six of its 39 convolution and matrix passes). Outside gradients, and with an activation (which
 *   tfjs-core already leaves unfused inside gradients), the stock call runs.
 * - BatchNormalization: its training pass on one op (engine/kernels/batch-norm-training.ts): a single kernel forward
 *   and one backward where the backend has them (native), the layer's own composite (tf.moments + tf.batchNorm)
 *   everywhere else.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { batchNormTraining } from '../engine/kernels/batch-norm-training.js';

type LayerVariable = { read(): tf.Tensor; write(v: tf.Tensor): void };

/** A stock layer class, which tfjs-layers registers for deserialisation but does not export. */
function stock<Args, L>(className: string): new (args: Args) => L {
  return tf.serialization.SerializationMap.getMap().classNameMap[className]![0] as unknown as new (args: Args) => L;
}

function register(cls: { className: string }): void {
  tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
}

const insideGradient = (): boolean => tf.engine().state.gradientDepth > 0;
const single = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | undefined => (Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs);

/** The fields of the stock Dense and Conv2D that these read (public in tfjs-layers' JavaScript, not in its typings). */
type LinearFields = { kernel: LayerVariable; bias: LayerVariable | null; activation: { getClassName(): string } };

/** `product(kernel)` plus the layer's bias, as plain ops. */
function plusBias(f: LinearFields, product: (kernel: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const y = product(f.kernel.read());
    return f.bias ? tf.add(y, f.bias.read()) : y;
  });
}

type DenseArgs = Parameters<typeof tfl.layers.dense>[0];
const StockDense = stock<DenseArgs, ReturnType<typeof tfl.layers.dense>>('Dense');

export class Dense extends StockDense {
  static className = 'Dense';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    const x = single(inputs);
    const f = this as unknown as LinearFields;
    if (!insideGradient() || x?.rank !== 2 || f.activation.getClassName() !== 'linear') return super.call(inputs, kwargs);
    return plusBias(f, (kernel) => tf.matMul(x, kernel));
  }
}
register(Dense);

type Conv2DArgs = Parameters<typeof tfl.layers.conv2d>[0];
const StockConv2D = stock<Conv2DArgs, ReturnType<typeof tfl.layers.conv2d>>('Conv2D');

export class Conv2D extends StockConv2D {
  static className = 'Conv2D';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    const x = single(inputs);
    const f = this as unknown as LinearFields & { strides: [number, number]; padding: string; dataFormat: string; dilationRate: [number, number] };
    if (!insideGradient() || x?.rank !== 4 || f.dataFormat !== 'channelsLast' || f.activation.getClassName() !== 'linear' ||
      (f.padding !== 'same' && f.padding !== 'valid')) return super.call(inputs, kwargs);
    return plusBias(f, (kernel) => tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, f.strides, f.padding as 'same' | 'valid', 'NHWC', f.dilationRate));
  }
}
register(Conv2D);

type BatchNormArgs = Parameters<typeof tfl.layers.batchNormalization>[0];
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
register(BatchNormalization);

/** A dense layer (tfjs-layers' arguments) that computes only the gradients a backward pass asks for. */
export function dense(args: DenseArgs): tfl.layers.Layer {
  return new Dense(args);
}

/** A 2-D convolution layer (tfjs-layers' arguments) that computes only the gradients a backward pass asks for. */
export function conv2d(args: Conv2DArgs): tfl.layers.Layer {
  return new Conv2D(args);
}

/** A batch normalisation layer (tfjs-layers' arguments) whose training pass is one op where the backend has it. */
export function batchNormalization(args: BatchNormArgs): tfl.layers.Layer {
  return new BatchNormalization(args);
}
