/**
 * The MNIST digit classifier whose feature space the image metrics of genlab (FID, KID, Inception Score,
 * precision/recall) are computed in: the MNIST analogue of the Inception network of Heusel et al. (2017).
 *
 * Architecture (a plain tfjs-layers Sequential, 'valid' padding, ReLU, He-normal initial weights):
 *
 *   [28, 28, 1] → conv 3×3 32 [26²] → conv 3×3 32 [24²] → maxpool 2 [12²] → conv 3×3 64 [10²] → maxpool 2 [5²]
 *     → flatten (1600) → dense 128 (`mnist_features`: the penultimate FEATURE layer, post-ReLU)
 *     → dense 10 (`mnist_logits`) → softmax (`mnist_probabilities`)
 *
 * 234 282 parameters (0.94 MB of float32). 'valid' rather than 'same' padding makes a training step ≈ 30% cheaper on
 * wasm at no cost in accuracy. Training (`trainMnistClassifier`): Adam, cross-entropy, dropout 0.25 on the
 * flattened conv output and 0.5 on the features — applied by the training loop, not by layers in the model, so the
 * saved model is exactly the inference network and every dropout mask is drawn from the seeded Rng — and light
 * augmentation (each training image shifted by a random whole number of pixels in [−2, 2]² per epoch, zeros shifted
 * in). The learning rate decays by a cosine schedule from `learningRate` to 5% of it over the run. Everything random
 * (initial weights, batch order, shifts, dropout) derives from `seed`, so a seed gives the same weights on the same
 * backend.
 *
 * The shipped weights live in `assets/mnist-classifier/` (model.json + weights.bin, plus training.json: the command,
 * seed, backend, test accuracy and the feature scales of the precision/recall space) and are re-created by
 * `genlab classifier train --out assets/mnist-classifier` (6 epochs, seed 0: 99.43% test accuracy, 39 min on wasm
 * sharing 2 cores). The 64 conv features (`outputs().conv`, the last conv block averaged over positions) are read
 * off the same layers; see image-metrics.ts for why precision/recall use them.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { badInput, GenlabError } from '../engine/errors.js';
import { loadLayersModel, saveLayersModel } from '../engine/model-io.js';
import { Rng } from '../engine/rng.js';
import { batches, exampleSize, type Dataset } from '../data/dataset.js';

/** Width of the feature layer. */
export const CLASSIFIER_FEATURES = 128;
export const CLASSIFIER_CLASSES = 10;
export const FEATURE_LAYER = 'mnist_features';
export const LOGITS_LAYER = 'mnist_logits';
const IMAGE_SHAPE = [28, 28, 1] as const;
const IMAGE_SIZE = 784;

/** The folder of the shipped weights: `assets/mnist-classifier/` at the package root (from src/ or dist/ alike). */
export function defaultClassifierDir(): string {
  return fileURLToPath(new URL('../../assets/mnist-classifier/', import.meta.url));
}

/** The untrained classifier (see the file comment), its initial weights seeded from `rng`. */
export function buildMnistClassifier(rng: Rng): tfl.Sequential {
  const init = () => tfl.initializers.heNormal({ seed: rng.tfSeed() });
  const conv = (filters: number, name: string, first = false) =>
    tfl.layers.conv2d({
      ...(first ? { inputShape: [...IMAGE_SHAPE] } : {}),
      filters,
      kernelSize: 3,
      padding: 'valid',
      activation: 'relu',
      kernelInitializer: init(),
      biasInitializer: 'zeros',
      name,
    });
  return tfl.sequential({
    name: 'mnist_classifier',
    layers: [
      conv(32, 'mnist_conv1', true),
      conv(32, 'mnist_conv2'),
      tfl.layers.maxPooling2d({ poolSize: 2, name: 'mnist_pool1' }),
      conv(64, 'mnist_conv3'),
      tfl.layers.maxPooling2d({ poolSize: 2, name: 'mnist_pool2' }),
      tfl.layers.flatten({ name: 'mnist_flatten' }),
      tfl.layers.dense({ units: CLASSIFIER_FEATURES, activation: 'relu', kernelInitializer: init(), biasInitializer: 'zeros', name: FEATURE_LAYER }),
      tfl.layers.dense({
        units: CLASSIFIER_CLASSES,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: rng.tfSeed() }),
        biasInitializer: 'zeros',
        name: LOGITS_LAYER,
      }),
      tfl.layers.activation({ activation: 'softmax', name: 'mnist_probabilities' }),
    ],
  });
}

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

  /** `featureScales`: the block scales measured on real digits (null: measure them on the reference instead). */
  constructor(
    readonly model: tfl.LayersModel,
    readonly featureScales: FeatureScales | null = null,
  ) {
    const features = model.getLayer(FEATURE_LAYER).output as tfl.SymbolicTensor;
    const pooled = model.getLayer('mnist_pool2').output as tfl.SymbolicTensor;
    const conv = tfl.layers.globalAveragePooling2d({ name: 'mnist_conv_average' }).apply(pooled) as tfl.SymbolicTensor;
    this.all = tfl.model({ inputs: model.inputs, outputs: [features, model.outputs[0]!, conv] });
  }

  /** Features [n, 128] of images [n, 28, 28, 1] in [0, 1] (a new tensor). */
  features(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => (this.all.predict(tf.reshape(x, [-1, ...IMAGE_SHAPE])) as tf.Tensor[])[0] as tf.Tensor2D);
  }

  /** Class probabilities [n, 10] (a new tensor). */
  probabilities(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.model.predict(tf.reshape(x, [-1, ...IMAGE_SHAPE])) as tf.Tensor2D);
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

/** Reads `featureScales` from training.json in `dir` (null when absent). */
async function readFeatureScales(dir: string): Promise<FeatureScales | null> {
  const file = join(dir, TRAINING_FILE);
  if (!existsSync(file)) return null;
  let json: { featureScales?: { features?: unknown; conv?: unknown } };
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new GenlabError('bad-file', `${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const f = json.featureScales;
  if (f === undefined) return null;
  if (typeof f.features !== 'number' || typeof f.conv !== 'number' || !(f.features > 0) || !(f.conv > 0)) {
    throw new GenlabError('bad-file', `${file}: "featureScales" should be { "features": number > 0, "conv": number > 0 }`);
  }
  return { features: f.features, conv: f.conv };
}

/** Block scales (see FeatureScales) measured on classifier outputs of real digits. */
export function measureFeatureScales(out: ClassifierOutputs): FeatureScales {
  const spread = (x: Float32Array, dim: number): number => {
    const mean = new Float64Array(dim);
    for (let i = 0; i < out.count; i++) for (let j = 0; j < dim; j++) mean[j] = mean[j]! + x[i * dim + j]!;
    let total = 0;
    for (let j = 0; j < dim; j++) mean[j] = mean[j]! / out.count;
    for (let i = 0; i < out.count; i++) for (let j = 0; j < dim; j++) total += (x[i * dim + j]! - mean[j]!) ** 2;
    return Math.sqrt(total / Math.max(1, out.count - 1));
  };
  return { features: spread(out.features, CLASSIFIER_FEATURES), conv: spread(out.conv, CONV_FEATURES) };
}

/** The file beside model.json + weights.bin recording how the classifier was trained (and its feature scales). */
export const TRAINING_FILE = 'training.json';

const loaded = new Map<string, Promise<MnistClassifier>>();

/**
 * Loads the classifier saved in `dir` (default: the shipped weights, `defaultClassifierDir()`). Loads of the same
 * folder share one model per process (do not dispose a shared one; pass `{ fresh: true }` for a private copy).
 */
export async function loadMnistClassifier(dir = defaultClassifierDir(), options: { fresh?: boolean } = {}): Promise<MnistClassifier> {
  const load = async () => {
    const model = await loadLayersModel(dir).catch((e: unknown) => {
      if (e instanceof GenlabError && e.code === 'not-found' && dir === defaultClassifierDir()) {
        throw new GenlabError('not-found', `${dir}: the shipped MNIST classifier is missing (re-create it: genlab classifier train --out assets/mnist-classifier)`);
      }
      throw e;
    });
    const names = model.layers.map((l) => l.name);
    if (!names.includes(FEATURE_LAYER) || model.outputs[0]?.shape.at(-1) !== CLASSIFIER_CLASSES) {
      model.dispose();
      throw new GenlabError('bad-file', `${dir}: not an MNIST classifier (expected a '${FEATURE_LAYER}' layer and 10 outputs)`);
    }
    return new MnistClassifier(model, await readFeatureScales(dir));
  };
  if (options.fresh) return load();
  let hit = loaded.get(dir);
  if (!hit) {
    hit = load();
    loaded.set(dir, hit);
    hit.catch(() => loaded.delete(dir));
  }
  return hit;
}

export interface ClassifierTrainOptions {
  /** Passes over the 60 000 training images. Default 6. */
  epochs?: number;
  /** Default 0. */
  seed?: number;
  /** Default 128. */
  batchSize?: number;
  /** Peak Adam step size (cosine-decayed to 5% of it). Default 2e-3. */
  learningRate?: number;
  /** Largest random shift in pixels (0: no augmentation). Default 2. */
  maxShift?: number;
  /** Dropout rates on the flattened conv output and on the features. Default [0.25, 0.5]. */
  dropout?: [number, number];
  /** Called every `logEvery` steps with the running mean loss. */
  onProgress?: (info: { epoch: number; step: number; stepsPerEpoch: number; loss: number }) => void;
  /** Called after each epoch with the accuracy on `validation` (when given). */
  onEpoch?: (info: { epoch: number; loss: number; accuracy?: number; seconds: number }) => void;
  validation?: Dataset;
  /** Default 50. */
  logEvery?: number;
}

/**
 * Copies `src` (n × 28 × 28) into `dst` with image i shifted by (dy, dx) ∈ [−s, s]² drawn from `rng`; pixels shifted
 * in are 0.
 */
export function shiftImages(src: Float32Array, dst: Float32Array, n: number, maxShift: number, rng: Rng): void {
  dst.fill(0);
  for (let i = 0; i < n; i++) {
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    const base = i * IMAGE_SIZE;
    for (let y = Math.max(0, dy); y < Math.min(28, 28 + dy); y++) {
      const from = base + (y - dy) * 28;
      const to = base + y * 28;
      for (let x = Math.max(0, dx); x < Math.min(28, 28 + dx); x++) dst[to + x] = src[from + x - dx]!;
    }
  }
}

/** Trains a new classifier on `train` (MNIST's training split) and returns it. */
export function trainMnistClassifier(train: Dataset, options: ClassifierTrainOptions = {}): MnistClassifier {
  const { epochs = 6, seed = 0, batchSize = 128, learningRate = 2e-3, maxShift = 2, dropout = [0.25, 0.5], logEvery = 50 } = options;
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw badInput('epochs', `expected a positive integer, got ${epochs}`);
  if (train.labels?.kind !== 'class' || exampleSize(train.shape) !== IMAGE_SIZE) throw badInput(train.name, 'expected labelled 28×28×1 images (MNIST)');
  const labels = train.labels.values;
  const root = new Rng(seed);
  const model = buildMnistClassifier(root.fork());
  const dataRng = root.fork();
  const shiftRng = root.fork();
  const dropRng = root.fork();
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(learningRate);
  const stepsPerEpoch = Math.floor(train.count / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  const layers = model.layers;
  let step = 0;
  const shifted = new Float32Array(batchSize * IMAGE_SIZE);

  const dropoutMask = (x: tf.Tensor, rate: number): tf.Tensor => {
    if (rate <= 0) return x;
    const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', dropRng.tfSeed()), rate), 'float32');
    return tf.mul(x, tf.div(keep, 1 - rate));
  };

  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = Date.now();
    let lossSum = 0, lossCount = 0, runSum = 0, runCount = 0;
    const pending: tf.Scalar[] = [];
    const flush = () => {
      for (const s of pending) {
        const v = s.dataSync()[0]!;
        lossSum += v;
        runSum += v;
        lossCount++;
        runCount++;
        s.dispose();
      }
      pending.length = 0;
    };
    for (const b of batches(train, { batchSize, rng: dataRng, dropLast: true, transform: () => {} })) {
      const lr = learningRate * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps)));
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      let x = b.x;
      if (maxShift > 0) {
        shiftImages(b.x, shifted, b.size, maxShift, shiftRng);
        x = shifted;
      }
      const yIdx = new Int32Array(b.size);
      for (let i = 0; i < b.size; i++) yIdx[i] = labels[b.indices[i]!]!;
      const xs = tf.tensor4d(x, [b.size, ...IMAGE_SHAPE]);
      const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(yIdx, 'int32'), CLASSIFIER_CLASSES));
      const cost = optimizer.minimize(
        () => {
          let h: tf.Tensor = xs;
          for (const layer of layers) {
            if (layer.name === 'mnist_probabilities') break;
            h = layer.apply(h) as tf.Tensor;
            if (layer.name === 'mnist_flatten') h = dropoutMask(h, dropout[0]);
            if (layer.name === FEATURE_LAYER) h = dropoutMask(h, dropout[1]);
          }
          return tf.losses.softmaxCrossEntropy(ys, h) as tf.Scalar;
        },
        true,
        variables,
      );
      xs.dispose();
      ys.dispose();
      if (cost) pending.push(cost);
      step++;
      if (step % logEvery === 0) {
        flush();
        const loss = runSum / Math.max(1, runCount);
        runSum = 0;
        runCount = 0;
        if (!Number.isFinite(loss)) throw new GenlabError('numeric', `classifier training: loss is ${loss} at step ${step}`);
        options.onProgress?.({ epoch, step, stepsPerEpoch, loss });
      }
    }
    flush();
    const classifier = new MnistClassifier(model);
    const accuracy = options.validation ? classifier.accuracy(options.validation) : undefined;
    options.onEpoch?.({ epoch, loss: lossSum / Math.max(1, lossCount), ...(accuracy !== undefined ? { accuracy } : {}), seconds: (Date.now() - started) / 1000 });
  }
  optimizer.dispose();
  return new MnistClassifier(model);
}

/** Saves a classifier as model.json + weights.bin in `dir` (replaced atomically). */
export async function saveMnistClassifier(classifier: MnistClassifier, dir: string): Promise<void> {
  await saveLayersModel(classifier.model, dir);
}
