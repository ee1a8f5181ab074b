/**
 * Importance-sampled evaluation speed (`genlab eval --iw-k K`, src/eval/likelihood.ts) against PyTorch's
 * (../shared/peer/vae_mnist.py --iw-k K, its `eval_iw_seconds`): the same model size (784-400-20, Bernoulli decoder),
 * K samples for each of the 10,000 MNIST test images, seconds of the estimate alone on both sides (model building and
 * data loading excluded; the weights do not change the work, so neither side trains first: PyTorch runs --epochs 0).
 * Trials alternate (genlab, PyTorch, …); PyTorch keeps the faster of its thread settings, without the OpenBLAS
 * overrides (bench/backends.ts). K = 1000 is the setting (≈1.5 min a side here); --quick uses K = 100.
 *
 *   npm run bench -- --only iw [--quick]      or   node --import tsx bench/iw.ts [--k K] [--trials N]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mnistDataDir } from '../src/data/mnist.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng, createModel, evaluateLikelihood, loadDataset, type VAE } from '../src/index.js';
import { benchBackends, peerEnv, peerPython, peerScript, PEER_THREADS } from './backends.js';

/** Seconds of genlab's importance-sampled estimate with `k` samples over MNIST's test split (its CLI's batch size). */
export async function genlabIwSeconds(k: number): Promise<number> {
  const { test } = await loadDataset('mnist');
  const model = createModel('vae', { hidden: [400], latent: 20 }, { shape: [28, 28, 1], kind: 'images' }, new Rng(0)) as VAE;
  try {
    const t0 = performance.now();
    await evaluateLikelihood(model, test!, { k, batchSize: 100 });
    return (performance.now() - t0) / 1000;
  } finally {
    model.dispose();
  }
}

/** PyTorch's `eval_iw_seconds` at its faster thread setting, or null when it cannot run here. */
export function pytorchIwSeconds(k: number, log: (line: string) => void): { seconds: number; threads: string } | null {
  const file = peerScript('vae_mnist.py');
  if (!existsSync(file)) return null;
  let best: { seconds: number; threads: string } | null = null;
  for (const t of PEER_THREADS) {
    const args = [file, '--epochs', '0', '--iw-k', String(k), '--threads', String(t.torch), '--blas-threads', String(t.blas), '--data-dir', mnistDataDir()];
    log(`running vae_mnist.py --epochs 0 --iw-k ${k} --threads ${t.torch} --blas-threads ${t.blas} …`);
    const r = spawnSync(peerPython(), args, { encoding: 'utf8', timeout: 1_800_000, env: peerEnv() });
    if (r.status !== 0) return null;
    const seconds = (JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { eval_iw_seconds?: number }).eval_iw_seconds;
    if (typeof seconds === 'number' && seconds > 0 && (!best || seconds < best.seconds)) best = { seconds, threads: `${t.torch}/${t.blas}` };
  }
  return best;
}

export interface IwBench {
  k: number;
  genlab: number[];
  pytorch: number[];
  threads: string[];
}

export async function runIwBench(options: { k?: number; trials?: number; quick?: boolean; log?: (line: string) => void } = {}): Promise<IwBench> {
  const { quick = false, log = (l: string) => void process.stderr.write(`${l}\n`) } = options;
  const k = options.k ?? (quick ? 100 : 1000);
  const trials = options.trials ?? (quick ? 1 : 2);
  await initEngine({ backend: benchBackends()[0]! });
  const r: IwBench = { k, genlab: [], pytorch: [], threads: [] };
  for (let t = 0; t < trials; t++) {
    log(`iw bench: k = ${k}, trial ${t + 1}/${trials}`);
    r.genlab.push(await genlabIwSeconds(k));
    const p = pytorchIwSeconds(k, log);
    if (p) {
      r.pytorch.push(p.seconds);
      r.threads.push(p.threads);
    }
  }
  return r;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function formatIwBench(r: IwBench): string {
  const g = median(r.genlab);
  const head = `Importance-sampled log p(x), k = ${r.k}, 10,000 MNIST test images, VAE 784-400-20 (seconds, median of alternating trials):`;
  if (r.pytorch.length === 0) return `${head}\n  genlab ${g.toFixed(1)} s (${((r.k * 1e4) / g / 1e3).toFixed(0)}k decoded samples/s); PyTorch did not run here`;
  const p = median(r.pytorch);
  return `${head}\n  genlab ${g.toFixed(1)} s   PyTorch ${p.toFixed(1)} s [threads ${[...new Set(r.threads)].join(', ')}]   genlab speed / PyTorch's ${(p / g).toFixed(2)}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { k: { type: 'string' }, trials: { type: 'string' }, quick: { type: 'boolean', default: false } } });
  console.log(formatIwBench(await runIwBench({ quick: values.quick!, ...(values.k ? { k: Number(values.k) } : {}), ...(values.trials ? { trials: Number(values.trials) } : {}) })));
}
