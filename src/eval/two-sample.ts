/**
 * A classifier two-sample test (Lopez-Paz & Oquab 2017, "Revisiting Classifier Two-Sample Tests"): a small convnet
 * learns to tell real images from samples, and its accuracy on real and generated images it never saw says how far
 * apart the two sets are — 0.5 when samples pass for real images, 1 when every one is told apart. Where no
 * pretrained feature net exists for the data (the Pokémon sprites: FID's Inception, or genlab's MNIST classifier,
 * knows nothing of them), it asks the question a person looking at a grid asks: "can these be told from the real
 * ones?" The classifier is trained from scratch on the run's own training images, so it measures what a few thousand
 * images can teach, not human judgement; its result is a comparison between runs, with 0.5 as its floor.
 *
 *   classifier:  x ∈ [0, 1] → 2x − 1 → conv 3×3/2 32 → LeakyReLU 0.2 → conv 3×3/2 64 → LeakyReLU 0.2 → dense 1 (logit)
 * trained with Adam on balanced batches of real (label 1) and generated (0) images, sigmoid cross-entropy.
 */
import * as tf from '@tensorflow/tfjs-core';
import { badInput } from '../engine/errors.js';
import { Rng } from '../engine/rng.js';
import { exampleSize } from '../data/dataset.js';

export interface TwoSampleOptions {
  /** Seed of the classifier's weights and batch order. Default 0. */
  seed?: number;
  /** Passes over the training images. Default 15. */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
}

export interface TwoSampleReport {
  /** Balanced accuracy on the unseen images: the mean of the two accuracies below (0.5: indistinguishable). */
  accuracy: number;
  /** Share of the unseen real images called real. */
  realAccuracy: number;
  /** Share of the unseen samples called generated. */
  fakeAccuracy: number;
  /** Images the classifier trained on, per side, and the unseen ones it was scored on. */
  trainedPerSide: number;
  testReal: number;
  testFake: number;
}

/** Images of one set: their values ([count, h, w, c] row-major, in [0, 1]) and count. */
export interface ImageSet {
  data: Float32Array;
  count: number;
}

/**
 * Trains the classifier on `trainReal` against `trainFake` (the first min(count) of each, so that both sides weigh
 * the same) and scores it on `testReal` and `testFake`. Images are [h, w, c] = `shape`.
 */
export function classifierTwoSampleTest(
  trainReal: ImageSet,
  trainFake: ImageSet,
  testReal: ImageSet,
  testFake: ImageSet,
  shape: readonly [number, number, number],
  options: TwoSampleOptions = {},
): TwoSampleReport {
  const { seed = 0, epochs = 15, batchSize = 64, learningRate = 1e-3 } = options;
  const size = exampleSize(shape);
  for (const [name, set] of Object.entries({ trainReal, trainFake, testReal, testFake })) {
    if (set.data.length !== set.count * size) throw badInput(`two-sample test: ${name}`, `${set.data.length} values are not ${set.count} images of ${shape.join('×')}`);
    if (set.count < 1) throw badInput(`two-sample test: ${name}`, 'needs at least one image');
  }
  const perSide = Math.min(trainReal.count, trainFake.count);
  const rng = new Rng(seed);
  const net = twoSampleNet(shape, rng.fork());
  const order = rng.fork();
  const optimizer = tf.train.adam(learningRate);
  try {
    // Row r < perSide is real image r, row perSide + r generated image r.
    const image = (row: number): Float32Array => {
      const [set, i] = row < perSide ? [trainReal, row] : [trainFake, row - perSide];
      return set.data.subarray(i * size, (i + 1) * size);
    };
    for (let epoch = 0; epoch < epochs; epoch++) {
      const perm = order.permutation(2 * perSide);
      for (let start = 0; start < perm.length; start += batchSize) {
        const rows = perm.subarray(start, Math.min(start + batchSize, perm.length));
        const xb = new Float32Array(rows.length * size);
        const yb = new Float32Array(rows.length);
        rows.forEach((row, i) => {
          xb.set(image(row), i * size);
          yb[i] = row < perSide ? 1 : 0;
        });
        tf.tidy(() => {
          const xs = tf.tensor4d(xb, [rows.length, ...shape]);
          const ys = tf.tensor2d(yb, [rows.length, 1]);
          optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(ys, net.logits(xs)) as tf.Scalar, false, net.variables);
        });
      }
    }
    const realAccuracy = shareCalledRight(net, testReal, shape, true);
    const fakeAccuracy = shareCalledRight(net, testFake, shape, false);
    return { accuracy: (realAccuracy + fakeAccuracy) / 2, realAccuracy, fakeAccuracy, trainedPerSide: perSide, testReal: testReal.count, testFake: testFake.count };
  } finally {
    optimizer.dispose();
    tf.dispose(net.variables);
  }
}

interface TwoSampleNet {
  variables: tf.Variable[];
  logits(x: tf.Tensor4D): tf.Tensor2D;
}

/** The classifier of the file comment, He-initialised from `rng`. */
function twoSampleNet(shape: readonly [number, number, number], rng: Rng): TwoSampleNet {
  const [h, w, c] = shape;
  const half = (side: number): number => Math.ceil(side / 2);
  const flat = half(half(h)) * half(half(w)) * 64;
  // tidy drops the initial values; the variables (never tracked by tidy) stay.
  const he = (dims: number[], fanIn: number): tf.Variable => tf.tidy(() => tf.variable(tf.randomNormal(dims, 0, Math.sqrt(2 / fanIn), 'float32', rng.tfSeed())));
  const zeros = (n: number): tf.Variable => tf.tidy(() => tf.variable(tf.zeros([n])));
  const [k1, b1, k2, b2, wOut, bOut] = [he([3, 3, c, 32], 9 * c), zeros(32), he([3, 3, 32, 64], 9 * 32), zeros(64), he([flat, 1], flat), zeros(1)];
  return {
    variables: [k1, b1, k2, b2, wOut, bOut],
    logits: (x) =>
      tf.tidy(() => {
        const centred: tf.Tensor4D = tf.sub(tf.mul(x, 2), 1);
        const h1 = tf.leakyRelu(tf.add(tf.conv2d(centred, k1 as tf.Tensor4D, 2, 'same'), b1), 0.2) as tf.Tensor4D;
        const y = tf.leakyRelu(tf.add(tf.conv2d(h1, k2 as tf.Tensor4D, 2, 'same'), b2), 0.2);
        return tf.add(tf.matMul(tf.reshape(y, [x.shape[0], flat]), wOut as tf.Tensor2D), bOut);
      }),
  };
}

/** Share of `set` the classifier gets right: called real when `real`, generated otherwise. */
function shareCalledRight(net: TwoSampleNet, set: ImageSet, shape: readonly [number, number, number], real: boolean): number {
  const size = exampleSize(shape);
  let right = 0;
  for (let start = 0; start < set.count; start += 256) {
    const n = Math.min(256, set.count - start);
    const logits = tf.tidy(() => net.logits(tf.tensor4d(set.data.subarray(start * size, (start + n) * size), [n, ...shape])));
    const values = logits.dataSync();
    logits.dispose();
    for (const v of values) if ((v > 0) === real) right++;
  }
  return right / set.count;
}
