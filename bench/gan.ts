/**
 * DCGAN training speed on MNIST, batch 64, for each TF.js backend available in Node (native when built, wasm, cpu),
 * in the same run, with the ratio to PyTorch (../shared/peer/dcgan_mnist.py, 300 steps, run here when python3-torch is
 * installed; else the ≈ 1,650 examples/s of ../shared/peer/README.md): examples per
 * second of full training steps through the real loop (src/train `fit`: one discriminator update on a real and a
 * generated batch, then one generator update), with genlab's DCGAN (`createModel('dcgan')`: the peer's
 * 7·7·64 → 32 → 1 generator and 32 → 64 discriminator, 5×5 kernels, batch norm; latent 100; Adam 2e-4, β1 0.5).
 *
 *   node --import tsx bench/gan.ts [--steps N] [--cpu-steps N] [--warmup N] [--batch N]
 *
 * `runGanBench()` returns the numbers for a bench runner. The cpu backend's convolution gradients are scalar loops
 * (minutes per step at batch 64), so it gets one timed step and no warm-up by default; native and wasm get 2 warm-up
 * steps (kernel setup, caches) and 20 timed ones. Timing runs from the end of the last warm-up step (or the loop's
 * start) to the end of the last step; each step ends with a read of its loss terms, so queued work is included.
 */
import { pathToFileURL } from 'node:url';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { subset } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/registry.js';
import { createModel, recommendedOptimizerOptions } from '../src/models/kinds.js';
import { fit } from '../src/train/index.js';
import { benchBackends, formatThroughput, measurePyTorch, pytorchPeer, type BenchBackend } from './backends.js';

export const PYTORCH_DCGAN_EXAMPLES_PER_SEC = 1_650;

export interface GanBenchOptions {
  /** Timed steps on native and wasm (after warm-up). Default 20. */
  steps?: number;
  /** Timed steps on cpu. Default 1. */
  cpuSteps?: number;
  /** Untimed steps first on native and wasm. Default 2. */
  warmup?: number;
  /** Untimed steps first on cpu. Default 0. */
  cpuWarmup?: number;
  /** Batch size. Default 64. */
  batch?: number;
  seed?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Also run ../shared/peer/dcgan_mnist.py (300 steps) when PyTorch is installed. Default true. */
  peer?: boolean;
}

/**
 * Examples per second of DCGAN training steps on the active backend; `config` overrides the DCGAN's defaults (e.g.
 * `{ batchNorm: false }`, the peer's exact networks).
 */
export async function dcganExamplesPerSecond(steps: number, warmup: number, batch: number, seed: number, config: Record<string, unknown> = {}): Promise<{ examplesPerSec: number; secondsPerStep: number }> {
  const mnist = await loadDataset('mnist');
  const total = steps + warmup;
  const train = subset(mnist.train, Array.from({ length: total * batch }, (_, i) => i));
  const model = createModel('dcgan', config, { shape: [28, 28, 1], kind: 'images' }, new Rng(seed));
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

/** DCGAN training examples/s per backend (`dcgan_mnist_<backend>`) and seconds per step (`…_seconds_per_step`). */
export async function runGanBench(options: GanBenchOptions = {}): Promise<Record<string, number>> {
  const { steps = 20, cpuSteps = 1, warmup = 2, cpuWarmup = 0, batch = 64, seed = 1, log = (l: string) => void process.stderr.write(`${l}\n`) } = options;
  const result: Record<string, number> = {};
  for (const backend of benchBackends()) {
    await initEngine({ backend });
    const [n, w] = backend === 'cpu' ? [cpuSteps, cpuWarmup] : [steps, warmup];
    log(`gan bench: ${backend}, ${w} + ${n} steps of batch ${batch}${backend === 'cpu' ? ' (slow: scalar convolution gradients)' : ''}`);
    const r = await dcganExamplesPerSecond(n, w, batch, seed);
    result[`dcgan_mnist_${backend}`] = r.examplesPerSec;
    result[`dcgan_mnist_${backend}_seconds_per_step`] = r.secondsPerStep;
  }
  await initEngine({ backend: 'wasm' });
  const pytorch = options.peer === false ? null : measurePyTorch('dcgan_mnist.py', ['--steps', '300', '--samples', '0', '--batch-size', String(batch)], log);
  if (pytorch !== null) result['pytorch'] = pytorch;
  return result;
}

export function formatGanBench(r: Record<string, number>, batch = 64): string {
  const perBackend: Partial<Record<BenchBackend, number>> = {};
  for (const b of ['native', 'wasm', 'cpu'] as const) if (r[`dcgan_mnist_${b}`] !== undefined) perBackend[b] = r[`dcgan_mnist_${b}`];
  return formatThroughput(`DCGAN, batch ${batch}, MNIST`, perBackend, pytorchPeer(r['pytorch'] ?? null, PYTORCH_DCGAN_EXAMPLES_PER_SEC));
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
  console.log(formatGanBench(await runGanBench(opts), opts.batch));
}
