/**
 * DCGAN training speed on MNIST, batch 64, for each TF.js backend available in Node, in the same run: examples per
 * second of full training steps through the real loop (src/train `fit`: one discriminator update on a real and a
 * generated batch, then one generator update), with genlab's DCGAN (`createModel('dcgan')`: the peer's
 * 7·7·64 → 32 → 1 generator and 32 → 64 discriminator, 5×5 kernels, batch norm; latent 100; Adam 2e-4, β1 0.5).
 *
 *   node --import tsx bench/gan.ts [--steps N] [--cpu-steps N] [--warmup N] [--batch N]
 *
 * `runGanBench()` returns the numbers for a bench runner. The cpu backend's convolution gradients are scalar loops
 * (minutes per step at batch 64), so it gets one timed step and no warm-up by default; wasm gets 2 warm-up steps
 * (kernel setup, XNNPACK caches) and 20 timed ones. Timing runs from the end of the last warm-up step (or the loop's
 * start) to the end of the last step; each step ends with a read of its loss terms, so queued work is included.
 */
import * as tf from '@tensorflow/tfjs-core';
import { pathToFileURL } from 'node:url';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { subset } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/registry.js';
import { createModel, recommendedOptimizerOptions } from '../src/models/registry.js';
import { fit } from '../src/train/index.js';

export interface GanBenchOptions {
  /** Timed steps on wasm (after warm-up). Default 20. */
  steps?: number;
  /** Timed steps on cpu. Default 1. */
  cpuSteps?: number;
  /** Untimed steps first on wasm. Default 2. */
  warmup?: number;
  /** Untimed steps first on cpu. Default 0. */
  cpuWarmup?: number;
  /** Batch size. Default 64. */
  batch?: number;
  seed?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** Examples per second of DCGAN training steps on the active backend. */
async function dcganExamplesPerSecond(steps: number, warmup: number, batch: number, seed: number): Promise<{ examplesPerSec: number; secondsPerStep: number }> {
  const mnist = await loadDataset('mnist');
  const total = steps + warmup;
  const train = subset(mnist.train, Array.from({ length: total * batch }, (_, i) => i));
  const model = createModel('dcgan', {}, { shape: [28, 28, 1], kind: 'images' }, new Rng(seed));
  let t0 = 0;
  let t1 = 0;
  try {
    await fit(model, { train }, {
      steps: total,
      batchSize: batch,
      seed,
      ...recommendedOptimizerOptions('dcgan'),
      callbacks: [
        {
          onStart() {
            t0 = performance.now();
          },
          onBatchEnd(step) {
            if (step === warmup) t0 = performance.now();
            if (step === total) t1 = performance.now();
          },
        },
      ],
    });
  } finally {
    model.dispose();
  }
  const seconds = (t1 - t0) / 1000;
  return { examplesPerSec: (steps * batch) / seconds, secondsPerStep: seconds / steps };
}

/** DCGAN training examples/s on wasm and cpu, and their ratio. */
export async function runGanBench(options: GanBenchOptions = {}): Promise<Record<string, number>> {
  const { steps = 20, cpuSteps = 1, warmup = 2, cpuWarmup = 0, batch = 64, seed = 1, log = (l: string) => void process.stderr.write(`${l}\n`) } = options;
  await initEngine({ backend: 'wasm' });
  log(`gan bench: wasm, ${warmup} + ${steps} steps of batch ${batch}`);
  const wasm = await dcganExamplesPerSecond(steps, warmup, batch, seed);
  await tf.setBackend('cpu');
  log(`gan bench: cpu, ${cpuWarmup} + ${cpuSteps} steps of batch ${batch} (slow: scalar convolution gradients)`);
  const cpu = await dcganExamplesPerSecond(cpuSteps, cpuWarmup, batch, seed);
  await tf.setBackend('wasm');
  return {
    dcgan_mnist_wasm_examples_per_s: wasm.examplesPerSec,
    dcgan_mnist_cpu_examples_per_s: cpu.examplesPerSec,
    dcgan_mnist_wasm_over_cpu: wasm.examplesPerSec / cpu.examplesPerSec,
    dcgan_mnist_wasm_seconds_per_step: wasm.secondsPerStep,
    dcgan_mnist_cpu_seconds_per_step: cpu.secondsPerStep,
  };
}

function flag(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : undefined;
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const opts: GanBenchOptions = {};
  for (const [name, key] of [['--steps', 'steps'], ['--cpu-steps', 'cpuSteps'], ['--warmup', 'warmup'], ['--batch', 'batch']] as const) {
    const v = flag(name);
    if (v !== undefined) opts[key] = v;
  }
  const r = await runGanBench(opts);
  console.log(`DCGAN training on MNIST, batch ${opts.batch ?? 64} (examples/s, higher is better)`);
  console.log(`  wasm: ${r['dcgan_mnist_wasm_examples_per_s']!.toFixed(1)}  (${r['dcgan_mnist_wasm_seconds_per_step']!.toFixed(3)} s/step, ${opts.steps ?? 20} steps)`);
  console.log(`  cpu:  ${r['dcgan_mnist_cpu_examples_per_s']!.toFixed(2)}  (${r['dcgan_mnist_cpu_seconds_per_step']!.toFixed(1)} s/step, ${opts.cpuSteps ?? 1} steps)`);
  console.log(`  wasm/cpu: ${r['dcgan_mnist_wasm_over_cpu']!.toFixed(1)}×`);
}
