/**
 * The `native` backend (genlab's Node addon on oneDNN) against wasm and cpu, in one run: training examples/s of the
 * 784-400-20 MLP VAE (batch 128, MNIST, the real training loop `fit`) and of the small DCGAN of bench/wasm-conv.ts
 * (batch 64, one D and one G step per batch), with the ratios to each other and to PyTorch on this kind of machine
 * (../shared/peer/README.md: VAE ≈ 22,300 ex/s, DCGAN ≈ 1,650 ex/s, 2 threads).
 *
 *   node --import tsx bench/native.ts [--vae-steps N] [--gan-steps N] [--cpu] [--threads N]
 *
 * The cpu backend is slow (VAE ≈ 170 ex/s; the DCGAN needs minutes per step), so it runs only with --cpu, and only the
 * VAE. wasm cannot train the DCGAN without genlab's wasm kernels, which initEngine registers.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { parseArgs } from 'node:util';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { loadMnist } from '../src/data/mnist.js';
import { subset } from '../src/data/dataset.js';
import { createModel } from '../src/models/registry.js';
import { fit } from '../src/train/index.js';

export const PYTORCH_VAE = 22_300;
export const PYTORCH_DCGAN = 1_650;

type Backend = 'native' | 'wasm' | 'cpu';

async function vaeExamplesPerSecond(backend: Backend, steps: number): Promise<number> {
  const batchSize = 128;
  await initEngine({ backend });
  const { train } = await loadMnist();
  const model = createModel('vae', { arch: 'mlp', hidden: [400], latent: 20 }, { shape: [28, 28, 1], kind: 'images' }, new Rng(0));
  try {
    await fit(model, { train: subset(train, Array.from({ length: 2 * batchSize }, (_, i) => i)) }, { steps: 2, batchSize });
    const data = { train: subset(train, Array.from({ length: steps * batchSize }, (_, i) => i)) };
    const t0 = performance.now();
    await fit(model, data, { steps, batchSize });
    return (steps * batchSize) / ((performance.now() - t0) / 1000);
  } finally {
    model.dispose();
  }
}

const LATENT = 100;

function dcgan(rng: Rng): { g: tfl.Sequential; d: tfl.Sequential } {
  const init = () => tfl.initializers.glorotUniform({ seed: rng.tfSeed() });
  const g = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [LATENT], units: 7 * 7 * 64, useBias: false, kernelInitializer: init() }),
      tfl.layers.reshape({ targetShape: [7, 7, 64] }),
      tfl.layers.batchNormalization(),
      tfl.layers.reLU(),
      tfl.layers.conv2dTranspose({ filters: 32, kernelSize: 5, strides: 2, padding: 'same', useBias: false, kernelInitializer: init() }),
      tfl.layers.batchNormalization(),
      tfl.layers.reLU(),
      tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 5, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: init() }),
    ],
  });
  const d = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 5, strides: 2, padding: 'same', kernelInitializer: init() }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 5, strides: 2, padding: 'same', kernelInitializer: init() }),
      tfl.layers.batchNormalization(),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init() }),
    ],
  });
  return { g, d };
}

function bce(p: tf.Tensor, target: 0 | 1): tf.Scalar {
  const q = tf.clipByValue(p, 1e-7, 1 - 1e-7);
  return tf.neg(tf.mean(target === 1 ? tf.log(q) : tf.log1p(tf.neg(q)))) as tf.Scalar;
}

async function dcganExamplesPerSecond(backend: Backend, steps: number, batch = 64): Promise<number> {
  await initEngine({ backend });
  const rng = new Rng(1);
  const { g, d } = dcgan(rng);
  const { train } = await loadMnist();
  const gVars = g.trainableWeights.map((w) => w.read() as tf.Variable);
  const dVars = d.trainableWeights.map((w) => w.read() as tf.Variable);
  const gOpt = tf.train.adam(2e-4, 0.5);
  const dOpt = tf.train.adam(2e-4, 0.5);
  let at = 0;
  const step = (): void => {
    const idx = Array.from({ length: batch }, (_, i) => (at + i) % train.count);
    at += batch;
    const real = tf.tidy(() => tf.sub(tf.mul(tf.tensor4d(subset(train, idx).data, [batch, 28, 28, 1]), 2), 1));
    const zSeed = rng.tfSeed();
    dOpt.minimize(() => {
      const fake = g.apply(tf.randomNormal([batch, LATENT], 0, 1, 'float32', zSeed), { training: true }) as tf.Tensor;
      return tf.add(bce(d.apply(real, { training: true }) as tf.Tensor, 1), bce(d.apply(fake, { training: true }) as tf.Tensor, 0));
    }, false, dVars);
    gOpt.minimize(() => {
      const fake = g.apply(tf.randomNormal([batch, LATENT], 0, 1, 'float32', zSeed + 1), { training: true }) as tf.Tensor;
      return bce(d.apply(fake, { training: true }) as tf.Tensor, 1);
    }, false, gVars);
    real.dispose();
  };
  try {
    for (let i = 0; i < 2; i++) step();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    await gVars[0]!.data();
    return (steps * batch) / ((performance.now() - t0) / 1000);
  } finally {
    gOpt.dispose();
    dOpt.dispose();
    g.dispose();
    d.dispose();
  }
}

const { values } = parseArgs({
  options: { 'vae-steps': { type: 'string' }, 'gan-steps': { type: 'string' }, cpu: { type: 'boolean' }, threads: { type: 'string' } },
});
if (values.threads) {
  const { loadNativeAddon } = await import('../src/engine/native.js');
  loadNativeAddon().threads(Number(values.threads));
}
const vaeSteps = Number(values['vae-steps'] ?? 100);
const ganSteps = Number(values['gan-steps'] ?? 20);
const backends: Backend[] = values.cpu ? ['native', 'wasm', 'cpu'] : ['native', 'wasm'];
const vae: Partial<Record<Backend, number>> = {};
const gan: Partial<Record<Backend, number>> = {};
for (const b of backends) vae[b] = await vaeExamplesPerSecond(b, b === 'cpu' ? Math.min(vaeSteps, 10) : vaeSteps);
for (const b of ['native', 'wasm'] as const) gan[b] = await dcganExamplesPerSecond(b, b === 'wasm' ? Math.min(ganSteps, 4) : ganSteps);

const line = (name: string, r: Partial<Record<Backend, number>>, peer: number): string[] => {
  const out = [`${name} (training examples/s)`];
  for (const [b, v] of Object.entries(r)) out.push(`  ${b.padEnd(6)} ${v.toFixed(0).padStart(7)}   ${(v / peer).toFixed(3)} × PyTorch (${peer})`);
  if (r.native && r.wasm) out.push(`  native/wasm ${(r.native / r.wasm).toFixed(2)}`);
  if (r.native && r.cpu) out.push(`  native/cpu  ${(r.native / r.cpu).toFixed(2)}`);
  return out;
};
console.log([...line('VAE 784-400-20, batch 128, MNIST', vae, PYTORCH_VAE), ...line('DCGAN, batch 64, MNIST', gan, PYTORCH_DCGAN)].join('\n'));
