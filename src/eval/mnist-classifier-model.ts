/**
 * The browser-safe part of the MNIST classifier (see mnist-classifier.ts for the architecture and its training): the
 * `MnistClassifier` class over a loaded layers model — features, probabilities, predictions — and
 * `openMnistClassifier(location)`, which loads the saved model from a folder or an http(s) URL through
 * engine/model-io.ts (so the lab opens the shipped weights, assets/mnist-classifier/, in the browser). No Node
 * module is imported here; mnist-classifier.ts adds the file system parts (the shipped folder, training.json,
 * training) and re-exports all of this.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { badInput, GenlabError } from '../engine/errors.js';
import { loadLayersModel } from '../engine/model-io.js';
import { exampleSize, type Dataset } from '../data/dataset.js';

/** Width of the feature layer. */
export const CLASSIFIER_FEATURES = 128;
export const CLASSIFIER_CLASSES = 10;
export const FEATURE_LAYER = 'mnist_features';
export const LOGITS_LAYER = 'mnist_logits';
export const IMAGE_SHAPE = [28, 28, 1] as const;

/** Whether examples of `shape` are images the classifier takes (MNIST's 28×28×1). */
export const takesClassifierImages = (shape: readonly number[]): boolean => shape.join() === IMAGE_SHAPE.join();
export const IMAGE_SIZE = 784;

/** Images accepted by the classifier: a tensor [n, 28, 28, 1] (or [n, 784]) or a Float32Array of n × 784 values. */
export type ImageBatch = tf.Tensor | Float32Array;

function imageCount(x: ImageBatch): number {
  if (x instanceof Float32Array) {
    if (x.length % IMAGE_SIZE !== 0) throw badInput('images', `${x.length} values, not a whole number of 28×28×1 images`);
    return x.length / IMAGE_SIZE;
  }
  const n = x.shape[0] ?? 0;
  if (x.size !== n * IMAGE_SIZE) throw badInput('images', `tensor of shape [${x.shape.join(', ')}], expected [n, 28, 28, 1]`);
  return n;
}

/** Rows [start, end) of the images as a [rows, 28, 28, 1] float32 tensor (new; the caller disposes it). */
function imageRows(x: ImageBatch, start: number, end: number): tf.Tensor4D {
  if (x instanceof Float32Array) return tf.tensor4d(x.subarray(start * IMAGE_SIZE, end * IMAGE_SIZE), [end - start, ...IMAGE_SHAPE]);
  return tf.tidy(() => tf.cast(tf.reshape(tf.slice(tf.reshape(x, [-1, IMAGE_SIZE]), [start, 0], [end - start, IMAGE_SIZE]), [end - start, ...IMAGE_SHAPE]), 'float32') as tf.Tensor4D);
}

/** Outputs of the classifier on a batch of images, as plain arrays. */
export interface ClassifierOutputs {
  count: number;
  /** count × 128, row-major: the penultimate features (FID, KID). */
  features: Float32Array;
  /** count × 10, row-major: p(y|x) (Inception Score). */
  probabilities: Float32Array;
  /** count × 64, row-major: the last conv block (after pooling) averaged over its 5 × 5 positions (precision/recall). */
  conv: Float32Array;
}

/**
 * Scales of the two feature blocks on real digits: the root of the summed per-dimension variances of the 128
 * penultimate features and of the 64 conv features. Dividing each block by its scale gives both the same weight in
 * the precision/recall space (see image-metrics.ts). Stored in training.json beside the weights.
 */
export interface FeatureScales {
  features: number;
  conv: number;
}

export const CONV_FEATURES = 64;

/** A trained classifier: features, probabilities and accuracy on images in [0, 1]. */
export class MnistClassifier {
  /** The same layers, with the features, the probabilities and the pooled conv features as outputs. */
  private readonly all: tfl.LayersModel;
  /** The same layers up to the logits (before the softmax). */
  private readonly toLogits: tfl.LayersModel;

  /** `featureScales`: the block scales measured on real digits (null: measure them on the reference instead). */
  constructor(
    readonly model: tfl.LayersModel,
    readonly featureScales: FeatureScales | null = null,
  ) {
    const features = model.getLayer(FEATURE_LAYER).output as tfl.SymbolicTensor;
    const pooled = model.getLayer('mnist_pool2').output as tfl.SymbolicTensor;
    const conv = tfl.layers.globalAveragePooling2d({ name: 'mnist_conv_average' }).apply(pooled) as tfl.SymbolicTensor;
    this.all = tfl.model({ inputs: model.inputs, outputs: [features, model.outputs[0]!, conv] });
    this.toLogits = tfl.model({ inputs: model.inputs, outputs: model.getLayer(LOGITS_LAYER).output as tfl.SymbolicTensor });
  }

  /** Features [n, 128] of images [n, 28, 28, 1] in [0, 1] (a new tensor). */
  features(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => (this.all.predict(tf.reshape(x, [-1, ...IMAGE_SHAPE])) as tf.Tensor[])[0] as tf.Tensor2D);
  }

  /** Class probabilities [n, 10] (a new tensor). */
  probabilities(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.model.predict(tf.reshape(x, [-1, ...IMAGE_SHAPE])) as tf.Tensor2D);
  }

  /**
   * Logits [n, 10] (a new tensor): log p(y|x) up to a constant per image. A confident classifier's probabilities round
   * to 1 in float32; differences of logits keep telling confident images apart.
   */
  logits(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.toLogits.predict(tf.reshape(x, [-1, ...IMAGE_SHAPE])) as tf.Tensor2D);
  }

  /** Features, probabilities and conv features of any number of images, computed in batches of `batchSize`. */
  outputs(x: ImageBatch, batchSize = 500): ClassifierOutputs {
    const count = imageCount(x);
    const features = new Float32Array(count * CLASSIFIER_FEATURES);
    const probabilities = new Float32Array(count * CLASSIFIER_CLASSES);
    const conv = new Float32Array(count * CONV_FEATURES);
    for (let start = 0; start < count; start += batchSize) {
      const end = Math.min(count, start + batchSize);
      const outs = tf.tidy(() => this.all.predict(imageRows(x, start, end)) as tf.Tensor[]);
      features.set(outs[0]!.dataSync() as Float32Array, start * CLASSIFIER_FEATURES);
      probabilities.set(outs[1]!.dataSync() as Float32Array, start * CLASSIFIER_CLASSES);
      conv.set(outs[2]!.dataSync() as Float32Array, start * CONV_FEATURES);
      tf.dispose(outs);
    }
    return { count, features, probabilities, conv };
  }

  /** Predicted class of each image. */
  predict(x: ImageBatch, batchSize = 500): Int32Array {
    const { count, probabilities } = this.outputs(x, batchSize);
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let c = 1; c < CLASSIFIER_CLASSES; c++) if (probabilities[i * CLASSIFIER_CLASSES + c]! > probabilities[i * CLASSIFIER_CLASSES + best]!) best = c;
      out[i] = best;
    }
    return out;
  }

  /** Fraction of a labelled MNIST-shaped dataset classified correctly. */
  accuracy(ds: Dataset, batchSize = 500): number {
    if (ds.labels?.kind !== 'class') throw badInput(ds.name, 'accuracy needs class labels');
    if (exampleSize(ds.shape) !== IMAGE_SIZE) throw badInput(ds.name, `images of shape [${ds.shape.join(', ')}], expected [28, 28, 1]`);
    const predicted = this.predict(ds.data, batchSize);
    let correct = 0;
    for (let i = 0; i < ds.count; i++) if (predicted[i] === ds.labels.values[i]) correct++;
    return ds.count === 0 ? 0 : correct / ds.count;
  }

  dispose(): void {
    this.model.dispose();
  }
}

/**
 * Loads a saved classifier from `location` — a folder, or the URL of one (the URL of its model.json is accepted too)
 * — and checks that it is one (a feature layer and 10 outputs). `featureScales` as in the constructor.
 */
export async function openMnistClassifier(location: string, featureScales: FeatureScales | null = null): Promise<MnistClassifier> {
  const dir = location.replace(/\/model\.json$/, '');
  const model = await loadLayersModel(dir);
  const names = model.layers.map((l) => l.name);
  if (!names.includes(FEATURE_LAYER) || model.outputs[0]?.shape.at(-1) !== CLASSIFIER_CLASSES) {
    model.dispose();
    throw new GenlabError('bad-file', `${dir}: not an MNIST classifier (expected a '${FEATURE_LAYER}' layer and 10 outputs)`);
  }
  return new MnistClassifier(model, featureScales);
}
