/**
 * Training speed of the 784-400-20 MLP VAE (the classic PyTorch example; Bernoulli decoder, Adam 1e-3), batch 128,
 * on MNIST, for each Node backend in the same run (native when built, wasm, cpu), through the real training loop
 * (`fit`) — the ratios, not the absolute numbers, are what carry across machines.
 *
 *   node --import tsx bench/vae.ts [--steps N] [--cpu-steps N]
 *
 * PyTorch: ../shared/peer/vae_mnist.py runs in the same bench run (2 epochs) when Debian's python3-torch is installed;
 * otherwise the ratio uses shared/peer/README.md's 22,300 examples/s (another machine of this kind), and says so.
 */
import * as tf from '@tensorflow/tfjs-core';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { loadMnist } from '../src/data/mnist.js';
import { subset, type Dataset } from '../src/data/dataset.js';
import { createModel } from '../src/models/kinds.js';
import { fit } from '../src/train/index.js';
import { benchBackends, formatThroughput, measurePyTorch, pytorchPeer } from './backends.js';

export const PYTORCH_VAE_EXAMPLES_PER_SEC = 22_300;

export interface VaeBenchOptions {
  /** Timed training steps on native and wasm. Default 100. */
  steps?: number;
  /** Timed training steps on cpu (slow). Default 10. */
  cpuSteps?: number;
  /** Also run ../shared/peer/vae_mnist.py (2 epochs) when PyTorch is installed. Default true. */
  peer?: boolean;
}

/**
 * MNIST's first `count` training images, loaded once per process: a trial that loaded its own (47 MB converted,
 * up to 188 MB gathered) left the last trial's arrays to the garbage collector, which then ran inside its timed steps.
 */
const firstImages = new Map<number, Promise<Dataset>>();
function firstTrainImages(count: number): Promise<Dataset> {
  let data = firstImages.get(count);
  if (!data) firstImages.set(count, (data = loadMnist().then(({ train }) => subset(train, Array.from({ length: count }, (_, i) => i)))));
  return data;
}

/** Examples/s of `steps` VAE training steps (batch 128) on the active backend, after two warm-up steps. */
export async function vaeExamplesPerSecond(steps: number): Promise<number> {
  const batchSize = 128;
  const data = { train: await firstTrainImages(steps * batchSize) };
  const warmupData = { train: await firstTrainImages(2 * batchSize) };
  const model = createModel('vae', { arch: 'mlp', hidden: [400], latent: 20 }, { shape: [28, 28, 1], kind: 'images' }, new Rng(0));
  let seconds: number;
  try {
    await fit(model, warmupData, { steps: 2, batchSize }); // warm-up
    const t0 = performance.now();
    await fit(model, data, { steps, batchSize });
    seconds = (performance.now() - t0) / 1000;
  } finally {
    model.dispose();
  }
  if (tf.memory().numTensors > 100) throw new Error(`bench/vae: ${tf.memory().numTensors} tensors left on ${tf.getBackend()}`);
  return (steps * batchSize) / seconds;
}

/** Examples/s of VAE training per backend, measured after two warm-up steps (and PyTorch's, key `pytorch`, when it runs here). */
export async function runVaeBench(options: VaeBenchOptions = {}): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const backend of benchBackends()) {
    await initEngine({ backend });
    result[backend] = await vaeExamplesPerSecond(backend === 'cpu' ? (options.cpuSteps ?? 10) : (options.steps ?? 100));
  }
  const pytorch = options.peer === false ? null : measurePyTorch('vae_mnist.py', ['--epochs', '2', '--iw-k', '0'], (l) => void process.stderr.write(`${l}\n`));
  if (pytorch !== null) result['pytorch'] = pytorch;
  return result;
}

export function formatVaeBench(r: Record<string, number>): string {
  const { pytorch, ...backends } = r;
  return formatThroughput('VAE 784-400-20, batch 128, MNIST', backends, pytorchPeer(pytorch ?? null, PYTORCH_VAE_EXAMPLES_PER_SEC));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { steps: { type: 'string' }, 'cpu-steps': { type: 'string' } } });
  const r = await runVaeBench({
    ...(values.steps ? { steps: Number(values.steps) } : {}),
    ...(values['cpu-steps'] ? { cpuSteps: Number(values['cpu-steps']) } : {}),
  });
  console.log(formatVaeBench(r));
}
