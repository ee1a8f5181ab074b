/**
 * tfjs-layers' BatchNormalization with its training pass on one op (engine/kernels/batch-norm-training.ts): a single
 * kernel forward and one backward where the backend has them (native), the layer's own composite (tf.moments +
 * tf.batchNorm) everywhere else. Same weights, same moving-average updates, same class name in saved models, so a
 * model saved from either opens with the stock layer (the browser lab) or this one (registered below for loading).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { batchNormTraining } from '../engine/kernels/batch-norm-training.js';

type BatchNormArgs = Parameters<typeof tfl.layers.batchNormalization>[0];
type StockBatchNorm = ReturnType<typeof tfl.layers.batchNormalization>;
type LayerVariable = { read(): tf.Tensor; write(v: tf.Tensor): void };
/** The stock layer's fields this one reads (public in tfjs-layers' JavaScript, not in its typings). */
type Fields = { axis: number; momentum: number; epsilon: number; center: boolean; scale: boolean; gamma: LayerVariable; beta: LayerVariable; movingMean: LayerVariable; movingVariance: LayerVariable };

// The stock class, which tfjs-layers registers for deserialisation but does not export.
const Stock = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization']![0] as unknown as new (args?: BatchNormArgs) => StockBatchNorm;

export class BatchNormalization extends Stock {
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
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
tf.serialization.registerClass(BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** A batch normalisation layer (tfjs-layers' arguments) whose training pass is one op where the backend has it. */
export function batchNormalization(args: BatchNormArgs): tfl.layers.Layer {
  return new BatchNormalization(args);
}
