/**
 * Conv and transposed-conv networks, built with tfjs-layers exactly as models build them, train on the wasm backend:
 * a conv autoencoder learns, the DCGAN generator and discriminator take optimiser steps, a small MNIST-style
 * classifier trains, whole-network gradients equal the cpu backend's, and no step leaks tensors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';

const engine = await initEngine({ backend: 'wasm' });
assert.equal(engine.backend, 'wasm');

const glorot = (rng: Rng) => tfl.initializers.glorotUniform({ seed: rng.tfSeed() });

/** Conv autoencoder on 16×16×1: two stride-2 convs (3×3 ReLU, 4×4 LeakyReLU) → 16-d code → two stride-2 transposed convs. */
function autoencoder(rng: Rng): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [16, 16, 1], filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: glorot(rng) }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: glorot(rng) }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 16, kernelInitializer: glorot(rng) }),
      tfl.layers.dense({ units: 4 * 4 * 16, activation: 'relu', kernelInitializer: glorot(rng) }),
      tfl.layers.reshape({ targetShape: [4, 4, 16] }),
      tfl.layers.conv2dTranspose({ filters: 8, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: glorot(rng) }),
      tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid', kernelInitializer: glorot(rng) }),
    ],
  });
}

/** DCGAN generator (Radford et al. 2016) for 28×28×1. */
function generator(rng: Rng, latent: number): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [latent], units: 7 * 7 * 64, useBias: false, kernelInitializer: glorot(rng) }),
      tfl.layers.reshape({ targetShape: [7, 7, 64] }),
      tfl.layers.batchNormalization(),
      tfl.layers.reLU(),
      tfl.layers.conv2dTranspose({ filters: 32, kernelSize: 5, strides: 2, padding: 'same', useBias: false, kernelInitializer: glorot(rng) }),
      tfl.layers.batchNormalization(),
      tfl.layers.reLU(),
      tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 5, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: glorot(rng) }),
    ],
  });
}

/** DCGAN discriminator for 28×28×1. */
function discriminator(rng: Rng): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 5, strides: 2, padding: 'same', kernelInitializer: glorot(rng) }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 5, strides: 2, padding: 'same', kernelInitializer: glorot(rng) }),
      tfl.layers.batchNormalization(),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: glorot(rng) }),
    ],
  });
}

/** Small MNIST classifier (the Keras example): conv 3×3 32 → conv 3×3 64 → maxPool 2 → dropout → dense 128 → dense 10. */
function classifier(rng: Rng, pooling: 'max' | 'avg' = 'max'): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: glorot(rng) }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'valid', activation: 'relu', kernelInitializer: glorot(rng) }),
      pooling === 'max' ? tfl.layers.maxPooling2d({ poolSize: 2 }) : tfl.layers.averagePooling2d({ poolSize: 2 }),
      tfl.layers.dropout({ rate: 0.25, seed: rng.tfSeed() }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: glorot(rng) }),
      tfl.layers.dropout({ rate: 0.5, seed: rng.tfSeed() }),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(rng) }),
    ],
  });
}

/** Binary cross-entropy of probabilities against targets (clipped away from log 0). */
function bce(p: tf.Tensor, target: tf.Tensor | number): tf.Scalar {
  const q = tf.clipByValue(p, 1e-7, 1 - 1e-7);
  const t = typeof target === 'number' ? tf.fill(p.shape, target) : target;
  return tf.neg(tf.mean(tf.add(tf.mul(t, tf.log(q)), tf.mul(tf.sub(1, t), tf.log1p(tf.neg(q)))))) as tf.Scalar;
}

/** Images of `size`² in [0, 1]: a soft blob and a bar at random places (structure an autoencoder can learn). */
function blobsAndBars(rng: Rng, count: number, size: number): Float32Array {
  const out = new Float32Array(count * size * size);
  for (let n = 0; n < count; n++) {
    const cy = 2 + rng.uniform() * (size - 4);
    const cx = 2 + rng.uniform() * (size - 4);
    const r = 1.5 + rng.uniform() * 2;
    const bar = rng.int(size);
    const horizontal = rng.int(2) === 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const blob = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * r * r));
        const line = (horizontal ? y : x) === bar ? 0.8 : 0;
        out[n * size * size + y * size + x] = Math.min(1, blob + line);
      }
    }
  }
  return out;
}

const vars = (model: tfl.LayersModel): tf.Variable[] => model.trainableWeights.map((w) => w.read() as tf.Variable);

test('a conv autoencoder learns structured 16×16 images on wasm (Adam, MSE), without leaking tensors', () => {
  const rng = new Rng(11);
  const model = autoencoder(rng);
  const data = tf.tensor4d(blobsAndBars(rng, 64, 16), [64, 16, 16, 1]);
  const optimizer = tf.train.adam(0.01);
  const trainable = vars(model);
  const losses: number[] = [];
  let tensorsAfterFirstStep = 0;
  for (let step = 0; step < 30; step++) {
    const start = (step % 2) * 32;
    const loss = tf.tidy(() => {
      const x = tf.slice(data, [start, 0, 0, 0], [32, 16, 16, 1]);
      return optimizer.minimize(() => tf.losses.meanSquaredError(x, model.apply(x, { training: true }) as tf.Tensor), true, trainable)!;
    });
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
    if (step === 0) tensorsAfterFirstStep = tf.memory().numTensors;
    else assert.equal(tf.memory().numTensors, tensorsAfterFirstStep, `tensors after step ${step}`);
  }
  assert.ok(losses.every(Number.isFinite), `finite losses ${losses}`);
  const first = losses[0]!;
  const last = (losses[27]! + losses[28]! + losses[29]!) / 3;
  assert.ok(last < 0.7 * first, `loss fell from ${first.toFixed(4)} to ${last.toFixed(4)}`);
  optimizer.dispose();
  model.dispose();
  data.dispose();
});

test('the DCGAN discriminator and generator take Adam and SGD steps on wasm with finite losses and no leaks', () => {
  const rng = new Rng(12);
  const latent = 32;
  const batch = 16;
  const g = generator(rng, latent);
  const d = discriminator(rng);
  const real = tf.tensor4d(blobsAndBars(rng, batch, 28).map((v) => 2 * v - 1), [batch, 28, 28, 1]);
  for (const makeOptimizer of [() => tf.train.adam(2e-4, 0.5), () => tf.train.sgd(0.05)]) {
    const dOpt = makeOptimizer();
    const gOpt = makeOptimizer();
    let baseline = -1;
    for (let step = 0; step < 4; step++) {
      const z = tf.randomNormal([batch, latent], 0, 1, 'float32', rng.tfSeed());
      const dLoss = dOpt.minimize(() => {
        const fake = g.apply(z, { training: true }) as tf.Tensor;
        return tf.add(bce(d.apply(real, { training: true }) as tf.Tensor, 1), bce(d.apply(fake, { training: true }) as tf.Tensor, 0));
      }, true, vars(d))!;
      const gLoss = gOpt.minimize(() => bce(d.apply(g.apply(z, { training: true }) as tf.Tensor, { training: true }) as tf.Tensor, 1), true, vars(g))!;
      const values = [dLoss.dataSync()[0]!, gLoss.dataSync()[0]!];
      tf.dispose([z, dLoss, gLoss]);
      assert.ok(values.every(Number.isFinite), `finite D and G losses at step ${step}: ${values}`);
      if (step === 0) baseline = tf.memory().numTensors;
      else assert.equal(tf.memory().numTensors, baseline, `tensors after step ${step}`);
    }
    // tf.variableGrads as well (what a custom training loop uses).
    const { value, grads } = tf.variableGrads(() => bce(d.apply(real, { training: true }) as tf.Tensor, 1), vars(d));
    assert.ok(Number.isFinite(value.dataSync()[0]!));
    for (const [name, grad] of Object.entries(grads)) assert.ok(grad.dataSync().every(Number.isFinite), `finite gradient of ${name}`);
    tf.dispose([value, ...Object.values(grads)]);
    dOpt.dispose();
    gOpt.dispose();
  }
  tf.dispose(real);
  g.dispose();
  d.dispose();
});

test('a small MNIST-style classifier (max or average pooling, dropout, valid padding) trains on wasm', async () => {
  const rng = new Rng(13);
  const batch = 16;
  const images = blobsAndBars(rng, batch, 28);
  const labels = Int32Array.from({ length: batch }, (_, i) => i % 10);
  const x = tf.tensor4d(images, [batch, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  for (const pooling of ['max', 'avg'] as const) {
    const model = classifier(rng, pooling);
    const optimizer = tf.train.adam(1e-3);
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.log(tf.add(model.apply(x, { training: true }) as tf.Tensor, 1e-7))), true, vars(model))!;
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
    }
    assert.ok(losses.every(Number.isFinite), `${pooling}: finite losses ${losses}`);
    optimizer.dispose();
    // And the Keras-style path: compile + fit.
    model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
    const history = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    assert.ok(Number.isFinite(history.history['loss']![0] as number), `${pooling}: fit loss`);
    model.dispose();
  }
  tf.dispose([x, y]);
});

/** Trainable-variable gradients of `loss(model)` on a backend, for a model built there from shared weights. */
async function gradientsOn(
  backend: string,
  build: () => tfl.Sequential,
  weights: { values: Float32Array; shape: number[] }[],
  loss: (model: tfl.Sequential) => tf.Scalar,
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const model = build();
  const ws = weights.map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(ws);
  tf.dispose(ws);
  const trainable = vars(model);
  const { value, grads } = tf.variableGrads(() => loss(model), trainable);
  const out = trainable.map((v) => grads[v.name]!.dataSync().slice() as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  model.dispose();
  return out;
}

test('whole-network gradients on wasm equal the cpu backend (autoencoder, DCGAN G and D)', async () => {
  const batch = 3;
  const dataRng = new Rng(14);
  const small = blobsAndBars(dataRng, batch, 16);
  const large = blobsAndBars(dataRng, batch, 28).map((v) => 2 * v - 1);
  const z = Float32Array.from({ length: batch * 8 }, () => dataRng.normal());
  const nets: { name: string; build: () => tfl.Sequential; loss: (m: tfl.Sequential) => tf.Scalar }[] = [
    {
      name: 'autoencoder',
      build: () => autoencoder(new Rng(1)),
      loss: (m) => {
        const x = tf.tensor4d(small, [batch, 16, 16, 1]);
        return bce(m.apply(x, { training: true }) as tf.Tensor, x);
      },
    },
    {
      name: 'generator',
      build: () => generator(new Rng(2), 8),
      // A fixed random projection of the image, so every pixel's gradient matters.
      loss: (m) => tf.sum(tf.mul(m.apply(tf.tensor2d(z, [batch, 8]), { training: true }) as tf.Tensor, tf.tensor4d(large, [batch, 28, 28, 1]))) as tf.Scalar,
    },
    {
      name: 'discriminator',
      build: () => discriminator(new Rng(3)),
      loss: (m) => bce(m.apply(tf.tensor4d(large, [batch, 28, 28, 1]), { training: true }) as tf.Tensor, 1),
    },
  ];
  for (const net of nets) {
    await tf.setBackend('cpu');
    const reference = net.build();
    const weights = reference.getWeights().map((w) => ({ values: w.dataSync().slice() as Float32Array, shape: w.shape }));
    reference.dispose();
    const cpu = await gradientsOn('cpu', net.build, weights, net.loss);
    const wasm = await gradientsOn('wasm', net.build, weights, net.loss);
    assert.equal(wasm.length, cpu.length);
    // Compare at each variable's scale, floored at a thousandth of the whole net's: a conv bias feeding batch
    // normalisation has an exactly zero gradient, which both backends give only up to rounding.
    const scales = cpu.map((c) => c.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
    const floor = 1e-3 * Math.max(...scales);
    cpu.forEach((c, i) => {
      const w = wasm[i]!;
      const scale = Math.max(scales[i]!, floor);
      let worst = 0;
      for (let j = 0; j < c.length; j++) worst = Math.max(worst, Math.abs(w[j]! - c[j]!) / scale);
      assert.ok(worst < 1e-3, `${net.name} variable ${i}: largest difference ${worst.toExponential(2)} of the gradient's scale ${scale.toExponential(2)}`);
    });
  }
  await tf.setBackend('wasm');
});
