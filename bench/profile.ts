/**
 * Where a training step's time goes, on the active backend (native by default): the share in matrix products and
 * convolutions (with their achieved GFLOP/s against a large sgemm measured in the same run — the machine's practical
 * peak), in every other kernel (element-wise, reductions, copies, the optimiser's update), and in TF.js's engine
 * around the kernels (tape, tensor bookkeeping, disposal): the step's wall time minus its kernels' time.
 *
 *   node --import tsx bench/profile.ts [--steps N] [--backend native|wasm|cpu]
 *
 * Kernel times come from tf.profile (the backend times each kernel it runs); the wall time of a step from the same
 * steps run without profiling (the median of 3 rounds), so the profiler's own cost does not count as the engine's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { GAN, Rng, TrainStep, batches, createModel, initEngine, loadDataset, recommendedOptimizerOptions, subset, type Batch, type TrainableModel } from '../src/index.js';

/**
 * Matrix products and convolutions: the kernels whose speed is the BLAS's / oneDNN's (genlab's layer ops, a product or
 * convolution with its bias and activation, included).
 */
const DENSE_KERNEL = /MatMul|Conv2D|Gemm|GenlabDense/i;

const size = (shape: readonly number[] | undefined): number => (shape ?? []).reduce((a, b) => a * b, 1);

/** Floating-point operations of one matrix-product or convolution kernel, from its input and output shapes. */
export function kernelFlops(name: string, inputs: readonly (readonly number[])[], outputs: readonly (readonly number[])[]): number {
  if (/MatMul|GenlabDense/i.test(name)) {
    const [a, b] = inputs;
    if (!a || !b) return 0;
    const [p, q] = a.slice(-2) as [number, number];
    const [r, s] = b.slice(-2) as [number, number];
    // The shared dimension k: A is [m, k] or [k, m] (transposed), B [k, n] or [n, k]; flops = 2·m·k·n = 2·|A|·|B| / (k·batch).
    const k = q === r ? q : p === r ? p : q === s ? q : p;
    const batch = size(a.slice(0, -2));
    return (2 * size(a) * size(b)) / (k * Math.max(1, batch));
  }
  if (/Conv2D/i.test(name)) {
    // Forward and both gradients cost 2 · |output of the forward conv| · kh·kw·inC; the filter is the 4-D input (or
    // the output of the filter gradient), the forward output the other 4-D tensor.
    // (A transposed convolution's input is the input gradient's dy.)
    const filter = /BackpropFilter/i.test(name) ? outputs[0] : inputs[1];
    const y = /Backprop|Transpose/i.test(name) ? (/BackpropFilter/i.test(name) ? inputs[1] : inputs[0]) : outputs[0];
    if (!filter || !y || filter.length !== 4) return 0;
    return 2 * size(y) * filter[0]! * filter[1]! * filter[2]!;
  }
  return 0;
}

/** GFLOP/s of a large square sgemm on the active backend, best of a few: the practical peak of matrix products here. */
export async function sgemmPeak(n = 1536, repeats = 3): Promise<number> {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  let best = Infinity;
  for (let i = 0; i < repeats + 1; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    const dt = performance.now() - t0;
    c.dispose();
    if (i > 0) best = Math.min(best, dt); // the first call warms up
  }
  tf.dispose([a, b]);
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

export interface StepProfile {
  workload: string;
  /** Wall milliseconds of a step (unprofiled; the median of 3 rounds of mean step times). */
  stepMs: number;
  denseMs: number;
  otherMs: number;
  /** Wall time around the kernels: TF.js's engine (tape, bookkeeping, disposal) and the JavaScript between kernels. */
  engineMs: number;
  denseGflops: number;
  /** The heaviest kernels by time per step: [name, ms, calls]. */
  top: [string, number, number][];
}

async function profileSteps(workload: string, model: TrainableModel, data: Batch[], optimizer: object, steps: number): Promise<StepProfile> {
  const trainer = new TrainStep(model, new Rng(1), optimizer);
  try {
    // Warm-up: kernels' first-call setup, and V8's optimising compiler, which takes a few dozen steps to reach the
    // trainer's JavaScript (with 5 warm-up steps the VAE's timed rounds ran ~1.5× slower than steady state).
    for (let i = 0; i < 40; i++) await trainer.run(data[i % data.length]!);
    // The median of 3 rounds: one round that another process slows down does not set the figure.
    const rounds: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await trainer.run(data[i % data.length]!);
      rounds.push((performance.now() - t0) / steps);
    }
    const stepMs = rounds.sort((a, b) => a - b)[1]!;
    const byKernel = new Map<string, { ms: number; calls: number }>();
    let dense = 0, other = 0, flops = 0;
    for (let i = 0; i < steps; i++) {
      const info = await tf.profile(async () => void (await trainer.run(data[i % data.length]!)));
      for (const k of info.kernels) {
        const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
        entry.ms += ms;
        entry.calls += 1;
        byKernel.set(k.name, entry);
        if (DENSE_KERNEL.test(k.name)) {
          dense += ms;
          flops += kernelFlops(k.name, k.inputShapes as number[][], k.outputShapes as number[][]);
        } else other += ms;
      }
    }
    const top = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8).map(([name, e]) => [name, e.ms / steps, e.calls / steps] as [string, number, number]);
    return { workload, stepMs, denseMs: dense / steps, otherMs: other / steps, engineMs: Math.max(0, stepMs - (dense + other) / steps), denseGflops: dense > 0 ? flops / (dense / 1000) / 1e9 : 0, top };
  } finally {
    trainer.dispose();
  }
}

export async function runProfileBench(options: { steps?: number; backend?: 'native' | 'wasm' | 'cpu' } = {}): Promise<{ backend: string; peak: number; rows: StepProfile[] }> {
  const steps = options.steps ?? 20;
  const { backend } = await initEngine(options.backend ? { backend: options.backend } : {});
  const mnist = await loadDataset('mnist');
  const batchesOf = (n: number, count: number): Batch[] => [...batches(subset(mnist.train, Array.from({ length: n * count }, (_, i) => i)), { batchSize: n })];
  const images = { shape: [28, 28, 1], kind: 'images' as const };
  const rows: StepProfile[] = [];
  const vae = createModel('vae', { hidden: [400], latent: 20 }, images, new Rng(0));
  rows.push(await profileSteps('VAE 784-400-20, batch 128', vae, batchesOf(128, 8), {}, steps));
  vae.dispose();
  const iwae = createModel('iwae', { hidden: [200, 200], latent: 100, topLatent: 50, topHidden: [100, 100], k: 5 }, images, new Rng(0));
  rows.push(await profileSteps('two-layer IWAE k = 5 (examples/vae-likelihood.sh), batch 100', iwae, batchesOf(100, 8), {}, steps));
  iwae.dispose();
  const dcgan: GAN = createModel('dcgan', {}, images, new Rng(0));
  rows.push(await profileSteps('DCGAN (batch norm), batch 64', dcgan, batchesOf(64, 8), recommendedOptimizerOptions('dcgan') ?? {}, Math.max(3, steps >> 2)));
  dcgan.dispose();
  const peerGan: GAN = createModel('dcgan', { batchNorm: false }, images, new Rng(0));
  rows.push(await profileSteps('DCGAN as the peer (no batch norm), batch 64', peerGan, batchesOf(64, 8), recommendedOptimizerOptions('dcgan') ?? {}, Math.max(3, steps >> 2)));
  peerGan.dispose();
  return { backend, peak: await sgemmPeak(), rows };
}

export function formatProfileBench(r: { backend: string; peak: number; rows: StepProfile[] }): string {
  const pct = (v: number, of: number): string => `${((100 * v) / of).toFixed(0).padStart(3)}%`;
  const lines = [
    `Where a training step's time goes (${r.backend}; large sgemm here: ${r.peak.toFixed(0)} GFLOP/s, the practical peak).`,
    '(Kernel times are tf.profile\'s: each kernel run and timed alone, with its own call overhead. That overstates small kernels and',
    ' understates the products\' GFLOP/s; `node --cpu-prof` of a step loop gives the unmeasured split: the VAE\'s products ran at ≈ 170 GFLOP/s there.)',
    '(On native a product whose left operand is mostly zeros — a dense layer fed MNIST pixels — skips them: GFLOP/s counts the dense',
    ' product\'s operations, so the VAE\'s and the IWAE\'s figures are dense-equivalent rates, above what the arithmetic units did.)',
  ];
  for (const p of r.rows) {
    lines.push(
      `  ${p.workload}: ${p.stepMs.toFixed(2)} ms/step = matmul/conv ${p.denseMs.toFixed(2)} ms (${pct(p.denseMs, p.stepMs)}, ${p.denseGflops.toFixed(1)} GFLOP/s = ${pct(p.denseGflops, r.peak)} of peak)` +
        ` + other kernels ${p.otherMs.toFixed(2)} ms (${pct(p.otherMs, p.stepMs)}) + engine ${p.engineMs.toFixed(2)} ms (${pct(p.engineMs, p.stepMs)})`,
    );
    lines.push(`    heaviest kernels per step: ${p.top.map(([n, ms, c]) => `${n} ${ms.toFixed(2)} ms ×${c}`).join(', ')}`);
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { steps: { type: 'string' }, backend: { type: 'string' } } });
  const backend = values.backend as 'native' | 'wasm' | 'cpu' | undefined;
  console.log(formatProfileBench(await runProfileBench({ ...(values.steps ? { steps: Number(values.steps) } : {}), ...(backend ? { backend } : {}) })));
}
