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
 *
 * The class and a loader that takes a folder or URL live in mnist-classifier-model.ts (no Node imports: the lab
 * opens the shipped weights in the browser); this file adds the file-system parts and re-exports them.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { badInput, GenlabError } from '../engine/errors.js';
import { saveLayersModel } from '../engine/model-io.js';
import { Rng } from '../engine/rng.js';
import { batches, exampleSize, type Dataset } from '../data/dataset.js';

export {
  CLASSIFIER_CLASSES,
  CLASSIFIER_FEATURES,
  CONV_FEATURES,
  FEATURE_LAYER,
  LOGITS_LAYER,
  MnistClassifier,
  openMnistClassifier,
  type ClassifierOutputs,
  type FeatureScales,
  type ImageBatch,
} from './mnist-classifier-model.js';
import {
  CLASSIFIER_CLASSES,
  CLASSIFIER_FEATURES,
  CONV_FEATURES,
  FEATURE_LAYER,
  IMAGE_SHAPE,
  IMAGE_SIZE,
  LOGITS_LAYER,
  MnistClassifier,
  openMnistClassifier,
  type ClassifierOutputs,
  type FeatureScales,
} from './mnist-classifier-model.js';

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
    const opened = await openMnistClassifier(dir).catch((e: unknown) => {
      if (e instanceof GenlabError && e.code === 'not-found' && dir === defaultClassifierDir()) {
        throw new GenlabError('not-found', `${dir}: the shipped MNIST classifier is missing (re-create it: genlab classifier train --out assets/mnist-classifier)`);
      }
      throw e;
    });
    try {
      return new MnistClassifier(opened.model, await readFeatureScales(dir));
    } catch (e) {
      opened.dispose();
      throw e;
    }
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
