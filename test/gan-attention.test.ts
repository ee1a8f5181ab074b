/**
 * Self-attention in the DCGAN's G and D (`selfAttention`, src/nets/attention.ts; Zhang et al. 2019): the block starts
 * as the identity (γ = 0) and, once γ is not 0, lets a pixel reach the far side of the map, which its 1×1 convolutions
 * alone cannot; its γ is a 1×1 depthwise layer whose faster form (engine/fast-paths/layers.ts) gives the stock layer's
 * values and gradients; a G and D with it learn on sprites (γ moves), spectral normalisation divides the block's
 * convolutions but not γ, the networks save as stock layers and load back; the option's checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initEngine } from '../src/engine/backend.js';
import { loadLayersModel } from '../src/engine/model-io.js';
import { Rng } from '../src/engine/rng.js';
import { loadDataset } from '../src/data/registry.js';
import { selfAttention } from '../src/nets/attention.js';
import { depthwiseConv2d } from '../src/nets/layers.js';
import { spectralNormKernels } from '../src/nets/spectral-norm.js';
import { createModel } from '../src/models/kinds.js';
import type { GAN } from '../src/models/gan.js';
import { saveAndReloadGan, trainHingeGanChecked } from './helpers/models.js';

await initEngine();
const sprites = { shape: [20, 20, 3], kind: 'images' } as const;

/** A model of one attention block on an [8, 8, 16] map. */
function attentionBlock(seed: number): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 16] });
  return tfl.model({ inputs: input, outputs: selfAttention('block', input, new Rng(seed)) });
}

const gammaOf = (net: tfl.LayersModel): tfl.layers.Layer => net.layers.find((l) => l.name.endsWith('_gamma'))!;

test('an attention block starts as the identity; with γ ≠ 0 one pixel reaches the opposite corner', () => {
  const block = attentionBlock(1);
  const x = tf.randomNormal([2, 8, 8, 16], 0, 1, 'float32', 3);
  const y0 = block.predict(x) as tf.Tensor;
  assert.deepEqual(Array.from(y0.dataSync()), Array.from(x.dataSync()), 'γ = 0: y = x exactly');

  gammaOf(block).setWeights([tf.fill([1, 1, 16, 1], 0.5)]);
  // Change the top-left pixel of the first image only; look at the bottom-right pixel.
  const bump = tf.tidy(() => tf.mul(tf.reshape(tf.oneHot(tf.tensor1d([0], 'int32'), 2 * 8 * 8), [2, 8, 8, 1]), 5));
  const moved = tf.add(x, bump);
  const [a, b] = [block.predict(x) as tf.Tensor4D, block.predict(moved) as tf.Tensor4D];
  const corner = (t: tf.Tensor4D): number[] => Array.from(tf.slice(t, [0, 7, 7, 0], [1, 1, 1, 16]).dataSync());
  const change = corner(a).reduce((s, v, i) => s + Math.abs(v - corner(b)[i]!), 0);
  assert.ok(change > 1e-3, `the far corner moved by ${change}`);
  const other = (t: tf.Tensor4D): number[] => Array.from(tf.slice(t, [1, 0, 0, 0], [1, 8, 8, 16]).dataSync());
  assert.deepEqual(other(a), other(b), 'the other image of the batch is untouched');
  tf.dispose([x, y0, bump, moved, a, b]);
  block.dispose();
});

test('γ\'s 1×1 depthwise layer gives the stock DepthwiseConv2D\'s values and gradients (bias and no bias)', () => {
  for (const useBias of [false, true]) {
    const args = { kernelSize: 1, depthMultiplier: 1, useBias, depthwiseInitializer: tfl.initializers.randomNormal({ seed: 7 }), biasInitializer: tfl.initializers.randomNormal({ seed: 8 }) };
    const [fast, stock] = [depthwiseConv2d(args), tfl.layers.depthwiseConv2d(args)];
    const x = tf.randomNormal([3, 5, 4, 6], 0, 1, 'float32', 9);
    fast.apply(x);
    stock.apply(x);
    stock.setWeights(fast.getWeights());
    const run = (layer: tfl.layers.Layer): number[][] => {
      const f = (input: tf.Tensor): tf.Scalar => tf.sum(tf.square(layer.apply(input) as tf.Tensor));
      const { value, grads } = tf.variableGrads(() => f(x), layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
      const dx = tf.grad(f)(x);
      const out = [(layer.apply(x) as tf.Tensor).dataSync(), value.dataSync(), dx.dataSync(), ...Object.values(grads).map((g) => g.dataSync())].map((d) => Array.from(d));
      tf.dispose([value, dx, ...Object.values(grads)]);
      return out;
    };
    const [a, b] = [run(fast), run(stock)];
    assert.deepEqual(a[0], b[0], `bias ${useBias}: values bit for bit`);
    a.slice(1).forEach((v, i) => v.forEach((e, j) => assert.ok(Math.abs(e - b[i + 1]![j]!) <= 1e-4 * (1 + Math.abs(b[i + 1]![j]!)), `bias ${useBias}, output ${i + 1}[${j}]: ${e} vs ${b[i + 1]![j]}`)));
    tf.dispose(x);
    fast.dispose();
    stock.dispose();
  }
});

test('a DCGAN with self-attention learns on Pokémon sprites (γ of G and D move), saves stock layers and loads back', async () => {
  const pokemon = await loadDataset('pokemon', { size: 20 });
  const root = await mkdtemp(join(tmpdir(), 'genlab-attention-'));
  try {
    const gan = createModel('dcgan', { selfAttention: true, upsample: 'nearest', palette: 8, spectralNorm: true, loss: 'hinge', latent: 16, filters: [8, 16] }, sprites, new Rng(1)) as GAN;
    const { generator, discriminator } = gan;
    await trainHingeGanChecked(gan, pokemon.train);
    for (const net of [generator, discriminator]) {
      const gamma = gammaOf(net).getWeights()[0]!;
      const largest = tf.tidy(() => tf.max(tf.abs(gamma)).dataSync()[0]!);
      assert.ok(largest > 1e-5, `${net.name}: γ moved to at most ${largest}`);
    }
    const loaded = await saveAndReloadGan(gan, root);
    for (const net of ['generator', 'discriminator']) {
      const stock = await loadLayersModel(join(root, net));
      const kinds = stock.layers.map((l) => l.getClassName());
      for (const kind of ['Dot', 'Softmax', 'AveragePooling2D', 'DepthwiseConv2D']) assert.ok(kinds.includes(kind), `${net}: ${kinds.join(', ')}`);
      stock.dispose();
    }
    assert.equal(loaded.config.selfAttention, true);
    gan.dispose();
    loaded.dispose();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('spectral normalisation divides the attention block\'s four convolutions, not γ', () => {
  const count = (selfAttention: boolean): number => {
    const gan = createModel('dcgan', { selfAttention, spectralNorm: true, loss: 'hinge', latent: 16, filters: [8, 16] }, sprites, new Rng(0)) as GAN;
    const n = spectralNormKernels([gan.discriminator]).length;
    gan.dispose();
    return n;
  };
  assert.equal(count(true), count(false) + 4);
});

test('selfAttention: the DCGAN nets only, true or false', () => {
  assert.throws(() => createModel('gan', { selfAttention: true }, sprites, new Rng(0)), /gan: selfAttention: self-attention joins the DCGAN nets’ feature maps: use arch conv without residual, got arch mlp/);
  assert.throws(() => createModel('dcgan', { selfAttention: true, residual: true }, sprites, new Rng(0)), /dcgan: selfAttention: .*got residual/);
  assert.throws(() => createModel('dcgan', { selfAttention: 'yes' as never }, sprites, new Rng(0)), /dcgan: selfAttention: expected true or false/);
  assert.throws(() => createModel('vaegan', { selfAttention: true } as never, sprites, new Rng(0)), /selfAttention: not an option of vaegan/);
  const plain = createModel('dcgan', {}, sprites, new Rng(0)) as GAN;
  assert.equal(plain.config.selfAttention, false);
  plain.dispose();
});
