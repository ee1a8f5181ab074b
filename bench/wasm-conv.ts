/**
 * Training speed of a small DCGAN (Radford et al. 2016) on the wasm backend against the cpu backend, measured in the
 * same run: examples per second of full GAN steps (one discriminator update on a real and a fake batch, then one
 * generator update), batch 64, 28×28×1 synthetic images.
 *
 *   node --import tsx bench/wasm-conv.ts [--steps N] [--cpu-steps N] [--warmup N] [--batch N]
 *
 * `runWasmConvBench()` returns the numbers for a bench runner. The cpu backend needs minutes per step here (its
 * Conv2DBackpropFilter is a scalar loop through TensorBuffer.get, ≈7 s per call at batch 16), so it gets one timed step
 * and no warm-up by default; its per-step time is dominated by that one kernel and varies little between steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { pathToFileURL } from 'node:url';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';

export interface WasmConvBenchOptions {
  /** Timed GAN steps on wasm (after warm-up). Default 24. */
  steps?: number;
  /** Timed GAN steps on cpu (minutes each at batch 64). Default 1. */
  cpuSteps?: number;
  /** Untimed steps first on wasm (kernel setup, XNNPACK operator caches). Default 2. */
  warmup?: number;
  /** Untimed steps first on cpu. Default 0. */
  cpuWarmup?: number;
  /** Batch size. Default 64. */
  batch?: number;
  seed?: number;
}

const LATENT = 100;

/** G: dense → 7×7×64 → BN → ReLU → convT 5×5/2 32 → BN → ReLU → convT 5×5/2 1 → tanh. */
function generator(rng: Rng): tfl.Sequential {
  const init = () => tfl.initializers.glorotUniform({ seed: rng.tfSeed() });
  return tfl.sequential({
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
}

/** D: conv 5×5/2 32 → LeakyReLU(0.2) → conv 5×5/2 64 → BN → LeakyReLU(0.2) → flatten → dense(1) sigmoid. */
function discriminator(rng: Rng): tfl.Sequential {
  const init = () => tfl.initializers.glorotUniform({ seed: rng.tfSeed() });
  return tfl.sequential({
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
}

/** Binary cross-entropy of probabilities `p` against a constant target (clipped away from log 0). */
function bce(p: tf.Tensor, target: 0 | 1): tf.Scalar {
  const q = tf.clipByValue(p, 1e-7, 1 - 1e-7);
  return tf.neg(tf.mean(target === 1 ? tf.log(q) : tf.log1p(tf.neg(q)))) as tf.Scalar;
}

/** Synthetic "digits": a bright bar and a blob at random places, in [-1, 1] like tanh outputs. */
function syntheticBatch(rng: Rng, batch: number): Float32Array {
  const out = new Float32Array(batch * 28 * 28).fill(-1);
  for (let b = 0; b < batch; b++) {
    const base = b * 784;
    const r = 4 + rng.int(20);
    for (let c = 4; c < 24; c++) out[base + r * 28 + c] = 1;
    const cy = 6 + rng.int(16);
    const cx = 6 + rng.int(16);
    for (let y = cy - 3; y <= cy + 3; y++) {
      for (let x = cx - 3; x <= cx + 3; x++) if ((y - cy) ** 2 + (x - cx) ** 2 <= 9) out[base + y * 28 + x] = 1;
    }
  }
  return out;
}

/** Examples per second of GAN steps on the currently active backend. */
async function ganExamplesPerSecond(steps: number, warmup: number, batch: number, seed: number): Promise<number> {
  const rng = new Rng(seed);
  const g = generator(rng);
  const d = discriminator(rng);
  const gVars = g.trainableWeights.map((w) => w.read() as tf.Variable);
  const dVars = d.trainableWeights.map((w) => w.read() as tf.Variable);
  const gOpt = tf.train.adam(2e-4, 0.5);
  const dOpt = tf.train.adam(2e-4, 0.5);
  const step = (): void => {
    const real = tf.tensor4d(syntheticBatch(rng, batch), [batch, 28, 28, 1]);
    const zSeed = rng.tfSeed();
    dOpt.minimize(
      () => {
        const fake = g.apply(tf.randomNormal([batch, LATENT], 0, 1, 'float32', zSeed), { training: true }) as tf.Tensor;
        const pReal = d.apply(real, { training: true }) as tf.Tensor;
        const pFake = d.apply(fake, { training: true }) as tf.Tensor;
        return tf.add(bce(pReal, 1), bce(pFake, 0));
      },
      false,
      dVars,
    );
    gOpt.minimize(
      () => {
        const fake = g.apply(tf.randomNormal([batch, LATENT], 0, 1, 'float32', zSeed + 1), { training: true }) as tf.Tensor;
        return bce(d.apply(fake, { training: true }) as tf.Tensor, 1);
      },
      false,
      gVars,
    );
    real.dispose();
  };
  try {
    for (let i = 0; i < warmup; i++) step();
    await tf.ready();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    // Every step ends with the optimisers' variable updates; reading one variable waits for all queued work.
    await gVars[0]!.data();
    const seconds = (performance.now() - t0) / 1000;
    return (steps * batch) / seconds;
  } finally {
    gOpt.dispose();
    dOpt.dispose();
    g.dispose();
    d.dispose();
  }
}

export async function runWasmConvBench(options: WasmConvBenchOptions = {}): Promise<Record<string, number>> {
  const { steps = 24, cpuSteps = 1, warmup = 2, cpuWarmup = 0, batch = 64, seed = 1 } = options;
  await initEngine({ backend: 'wasm' });
  const wasm = await ganExamplesPerSecond(steps, warmup, batch, seed);
  await tf.setBackend('cpu');
  const cpu = await ganExamplesPerSecond(cpuSteps, cpuWarmup, batch, seed);
  await tf.setBackend('wasm');
  return {
    dcgan_wasm_examples_per_s: wasm,
    dcgan_cpu_examples_per_s: cpu,
    dcgan_wasm_over_cpu: wasm / cpu,
  };
}

function flag(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : undefined;
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const opts: WasmConvBenchOptions = {};
  const steps = flag('--steps');
  const cpuSteps = flag('--cpu-steps');
  const warmup = flag('--warmup');
  const batch = flag('--batch');
  if (steps !== undefined) opts.steps = steps;
  if (cpuSteps !== undefined) opts.cpuSteps = cpuSteps;
  if (warmup !== undefined) opts.warmup = warmup;
  if (batch !== undefined) opts.batch = batch;
  const r = await runWasmConvBench(opts);
  console.log(`DCGAN training, batch ${opts.batch ?? 64}, 28×28×1 (examples/s, higher is better)`);
  console.log(`  wasm: ${r['dcgan_wasm_examples_per_s']!.toFixed(2)}  (${opts.steps ?? 24} steps)`);
  console.log(`  cpu:  ${r['dcgan_cpu_examples_per_s']!.toFixed(2)}  (${opts.cpuSteps ?? 1} steps)`);
  console.log(`  wasm/cpu: ${r['dcgan_wasm_over_cpu']!.toFixed(1)}×`);
}
