import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStockLayersModel } from './helpers/models.js';
import { initEngine } from '../src/engine/backend.js';
import { GenlabError } from '../src/engine/errors.js';
import { saveLayersModel } from '../src/engine/model-io.js';
import { Rng } from '../src/engine/rng.js';
import { buildMlp } from '../src/nets/mlp.js';
import { buildConvDecoder, buildConvEncoder, padding } from '../src/nets/conv.js';
import { buildDcganGenerator } from '../src/nets/dcgan.js';
import { BatchNormalization, Dense } from '../src/nets/layers.js';

await initEngine({ backend: 'cpu' });

test('mlp: flattens and concatenates its inputs, reshapes its output, 784-400-20 has the classic parameter count', () => {
  const enc = buildMlp({ name: 'encoder', inputs: [[28, 28, 1]], hidden: [400], output: [40], rng: new Rng(1) });
  assert.equal(enc.countParams(), 784 * 400 + 400 + 400 * 40 + 40);
  const dec = buildMlp({ name: 'decoder', inputs: [[20], [10]], hidden: [400], output: [28, 28, 1], rng: new Rng(1) });
  const y = dec.apply([tf.zeros([3, 20]), tf.zeros([3, 10])]) as tf.Tensor;
  assert.deepEqual(y.shape, [3, 28, 28, 1]);
  assert.throws(() => buildMlp({ name: 'm', inputs: [[2]], hidden: [0], output: [2], rng: new Rng(1) }), GenlabError);
});

test('nets: the same seed builds the same weights, another seed other weights', () => {
  const w = (seed: number): Float32Array => {
    const m = buildMlp({ name: 'm', inputs: [[5]], hidden: [7], output: [3], rng: new Rng(seed) });
    return Float32Array.from(m.getWeights().flatMap((t) => Array.from(t.dataSync())));
  };
  assert.deepEqual(w(3), w(3));
  assert.notDeepEqual(w(3), w(4));
});

test('conv: 28, 40, 20 need no padding; 30 and 21×18 are padded in and cropped out', () => {
  assert.deepEqual(padding(28, 4), [0, 0]);
  assert.deepEqual(padding(30, 4), [1, 1]);
  assert.deepEqual(padding(21, 4), [1, 2]);
  for (const shape of [[28, 28, 1], [40, 40, 3], [20, 20, 3], [30, 30, 1], [21, 18, 3]] as const) {
    const enc = buildConvEncoder({ name: 'encoder', input: shape, outputs: 8, rng: new Rng(1) });
    const dec = buildConvDecoder({ name: 'decoder', inputs: [[4]], output: shape, rng: new Rng(1) });
    const code = enc.apply(tf.zeros([2, ...shape])) as tf.Tensor;
    assert.deepEqual(code.shape, [2, 8]);
    assert.deepEqual((dec.apply(tf.zeros([2, 4])) as tf.Tensor).shape, [2, ...shape]);
  }
  // The encoder layers are conv 4×4/2 32 → conv 4×4/2 64.
  const enc = buildConvEncoder({ name: 'encoder', input: [28, 28, 1], outputs: 8, extraInputs: [[10]], rng: new Rng(1) });
  const convs = enc.layers.filter((l) => l.getClassName() === 'Conv2D');
  assert.deepEqual(convs.map((l) => (l.getConfig() as { filters: number }).filters), [32, 64]);
  assert.deepEqual((enc.apply([tf.zeros([1, 28, 28, 1]), tf.zeros([1, 10])]) as tf.Tensor).shape, [1, 8]);
  assert.throws(() => buildConvEncoder({ name: 'e', input: [10], outputs: 2, rng: new Rng(1) }), /conv nets need images/);
});

test('nets load with stock tf.loadLayersModel from model.json + weights.bin', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'genlab-nets-'));
  try {
    const dec = buildConvDecoder({ name: 'decoder', inputs: [[4], [3]], output: [30, 30, 1], rng: new Rng(2) });
    await saveLayersModel(dec, join(dir, 'decoder'));
    const loaded = await loadStockLayersModel(join(dir, 'decoder'));
    const inputs = [tf.randomNormal([2, 4], 0, 1, 'float32', 1), tf.cast(tf.oneHot([0, 2], 3), 'float32')];
    const a = (dec.apply(inputs) as tf.Tensor).dataSync();
    const b = (loaded.apply(inputs) as tf.Tensor).dataSync();
    assert.deepEqual(Array.from(a), Array.from(b));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('dense and batch norm in genlab\'s nets save as tfjs-layers\' Dense and BatchNormalization (stock loaders open them) and load back as genlab\'s layers: the same outputs in training and inference', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'genlab-nets-'));
  try {
    const g = buildDcganGenerator({ name: 'generator', inputs: [[6]], output: [28, 28, 1], batchNorm: true, rng: new Rng(3) });
    const z = tf.randomNormal([5, 6], 0, 1, 'float32', 4);
    g.apply(z, { training: true }); // moves the moving averages off their initial values
    await saveLayersModel(g, join(dir, 'g'));
    const json = JSON.parse(await readFile(join(dir, 'g', 'model.json'), 'utf8'));
    const classes = (json.modelTopology.config.layers as { class_name: string }[]).map((l) => l.class_name);
    assert.equal(classes.filter((c) => c === 'BatchNormalization').length, 2, classes.join(', '));
    const weights = await readFile(join(dir, 'g', 'weights.bin'));
    const loaded = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weights).buffer }),
    );
    assert.ok(classes.includes('Dense'), classes.join(', '));
    assert.ok(loaded.layers.some((l) => l instanceof BatchNormalization), 'loaded as genlab\'s BatchNormalization');
    assert.ok(loaded.layers.some((l) => l instanceof Dense), 'loaded as genlab\'s Dense');
    for (const training of [false, true]) {
      const a = (g.apply(z, { training }) as tf.Tensor).dataSync();
      const b = (loaded.apply(z, { training }) as tf.Tensor).dataSync();
      assert.deepEqual(Array.from(b), Array.from(a), `training: ${training}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
