/**
 * `discriminatorFeatures(x)` of the GAN family (src/models/gan.ts): D's last hidden layer for images in the data's
 * range, in inference mode — [n, F], each example's features independent of the rest of the batch, nothing of D's
 * state changed, no tensor left behind; the data's range mapped as `discriminate` maps it; with packing every example
 * gets its pack's features; shapes are checked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { createModel } from '../src/models/kinds.js';
import type { GAN } from '../src/models/gan.js';

await initEngine();

const MNIST_LIKE = { shape: [28, 28, 1], kind: 'images' } as const;

/** Random images in [0, 1], seeded. */
const images = (n: number, seed: number): tf.Tensor4D => tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', seed) as tf.Tensor4D;

describe('GAN.discriminatorFeatures', () => {
  it('gives [n, F] features of D’s last hidden layer, in inference mode, independent of the batch, without leaks', () => {
    const gan = createModel('dcgan', { filters: [8, 16], latent: 4 }, MNIST_LIKE, new Rng(1)) as GAN;
    const x = images(5, 2);
    const state = gan.discriminator.nonTrainableWeights.map((w) => w.read().arraySync());
    const before = tf.memory().numTensors;
    const f = gan.discriminatorFeatures(x);
    assert.equal(tf.memory().numTensors, before + 1, 'only the result is new');
    assert.deepEqual(f.shape, [5, 7 * 7 * 16]);
    // The same as D's feature output on 2x − 1, batch norm on its running statistics.
    const direct = tf.tidy(() => (gan.discriminator.apply(tf.sub(tf.mul(x, 2), 1), { training: false }) as tf.Tensor[])[1]!);
    assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(f, direct))).arraySync() as number) < 1e-5);
    // Inference mode: one example alone gets the features it gets in the batch, and D's statistics did not move.
    const alone = gan.discriminatorFeatures(tf.slice(x, [3, 0, 0, 0], [1, 28, 28, 1]));
    const inBatch = tf.slice(f, [3, 0], [1, -1]);
    assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(alone, inBatch))).arraySync() as number) < 1e-5);
    assert.deepEqual(gan.discriminator.nonTrainableWeights.map((w) => w.read().arraySync()), state);
    // Features move with the input: one changed pixel changes them.
    const edited = tf.tidy(() => tf.add(x, tf.scatterND([[0, 14, 14, 0]], [0.5], [5, 28, 28, 1])));
    const g = gan.discriminatorFeatures(edited);
    assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(tf.slice(g, [0, 0], [1, -1]), tf.slice(f, [0, 0], [1, -1])))).arraySync() as number) > 0);
    tf.dispose([x, f, direct, alone, inBatch, edited, g]);
    gan.dispose();
  });

  it('with packing, each example gets its pack’s features (the last pack filled by cycling)', () => {
    const gan = createModel('dcgan', { filters: [8, 16], latent: 4, pack: 2 }, MNIST_LIKE, new Rng(3)) as GAN;
    const x = images(3, 4);
    const f = gan.discriminatorFeatures(x);
    assert.equal(f.shape[0], 3);
    const rows = f.arraySync();
    assert.deepEqual(rows[0], rows[1], 'examples 0 and 1 share a pack');
    assert.notDeepEqual(rows[2], rows[0]);
    tf.dispose([x, f]);
    gan.dispose();
  });

  it('refuses inputs of the wrong shape, naming the method', () => {
    const gan = createModel('dcgan', { filters: [8, 16], latent: 4 }, MNIST_LIKE, new Rng(5)) as GAN;
    const x = tf.zeros([2, 14, 14, 1]);
    assert.throws(() => gan.discriminatorFeatures(x), /discriminatorFeatures/);
    x.dispose();
    gan.dispose();
  });
});
