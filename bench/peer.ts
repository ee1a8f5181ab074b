/**
 * genlab on its default Node backend against the programs users would otherwise pick, on the same machine, in the same
 * run: PyTorch (../shared/peer/vae_mnist.py, dcgan_mnist.py; Debian's python3-torch) and scikit-learn (gmm_bench.py,
 * through bench/gmm.ts). Trials alternate (genlab, PyTorch, genlab, PyTorch …) so that a machine that slows down or
 * speeds up during the run weighs on both sides alike; the ratio is of the medians. A trial is the better of two runs
 * on each side (genlab: two runs; PyTorch: its two thread settings).
 *
 *   npm run bench -- --only peer            or   node --import tsx bench/peer.ts [--trials N] [--quick] [--only vae|dcgan|gmm]
 *
 * Workloads (both sides train the same networks with the same optimiser, batch and thread count):
 * - VAE 784-400-20, Bernoulli decoder, Adam 1e-3, batch 128, one epoch per trial for genlab; PyTorch runs two epochs
 *   per thread setting and its fastest epoch counts (its epoch rate jumps between ≈ 14,000 and ≈ 20,000 examples/s
 *   from one epoch to the next here, for reasons of its own: its best is the figure to beat).
 * - DCGAN as the peer's: no batch norm, 7·7·64 → 32 → 1 and 32 → 64 → 1, 5×5 stride 2, Adam 2e-4 β1 0.5, batch 64
 *   (PyTorch: 300 steps per trial). Both sides run G once per step: D's update trains on G(z) and G's update reuses
 *   it (genlab's shareFakes, on by default).
 * - genlab's default DCGAN (batch norm in G and D) on the same time base: what `genlab train dcgan` runs.
 * Without PyTorch the figures of shared/peer/README.md stand in, and the table says so.
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { initEngine } from '../src/engine/backend.js';
import { benchBackends, measurePyTorchBest, peerBlasKernel, PEER_THREADS } from './backends.js';
import { dcganExamplesPerSecond, PYTORCH_DCGAN_EXAMPLES_PER_SEC } from './gan.js';
import { formatGmmBench, runGmmBench } from './gmm.js';
import { PYTORCH_VAE_EXAMPLES_PER_SEC, vaeExamplesPerSecond } from './vae.js';

export interface PeerBenchOptions {
  /** Alternating trials per workload. Default 3. */
  trials?: number;
  /** Fewer steps per trial (a smoke run, not a measurement). */
  quick?: boolean;
  /** One workload only (the DCGAN's two rows go together); default all. */
  only?: PeerWorkload;
  log?: (line: string) => void;
}

export const PEER_WORKLOADS = ['vae', 'dcgan', 'gmm'] as const;
export type PeerWorkload = (typeof PEER_WORKLOADS)[number];

export interface PeerRow {
  workload: string;
  /** genlab's examples/s, one per trial. */
  genlab: number[];
  /** PyTorch's examples/s, one per trial (the best of its thread settings); empty when it could not run here. */
  pytorch: number[];
  /** The thread setting of each PyTorch figure, e.g. "2/1" (torch/BLAS). */
  pytorchThreads: string[];
  /** What the ratio is against when PyTorch could not run: shared/peer/README.md's figure. */
  readmeFigure: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface PeerBench {
  backend: string;
  rows: PeerRow[];
  /** scikit-learn's GMM comparison, formatted; null when not run (`only`). */
  gmm: string | null;
  /** The OpenBLAS kernels the peer's environment loads (threadpoolctl). */
  blasKernel: string;
}

/** Seconds of untimed genlab runs before a workload's trials (see runPeerBench). */
const WARMUP_SECONDS = 12;

export async function runPeerBench(options: PeerBenchOptions = {}): Promise<PeerBench> {
  const { trials = 3, quick = false, only, log = (l: string) => void process.stderr.write(`${l}\n`) } = options;
  // genlab's default in Node (native when built), set explicitly: an earlier bench of the same run may have left another.
  const { backend } = await initEngine({ backend: benchBackends()[0]! });
  const vaeSteps = quick ? 30 : 468; // one epoch of MNIST at batch 128, as the peer's trial (its last batch of 96 aside)
  const dcganSteps = quick ? 5 : 300; // as the peer's trial
  const all: { key: PeerWorkload; workload: string; genlab: () => Promise<number>; peer: [string, string[]] | null; bestEpoch?: boolean; readmeFigure: number }[] = [
    { key: 'vae', workload: 'VAE 784-400-20, batch 128', genlab: () => vaeExamplesPerSecond(vaeSteps), peer: ['vae_mnist.py', ['--epochs', quick ? '1' : '2', '--iw-k', '0']], bestEpoch: true, readmeFigure: PYTORCH_VAE_EXAMPLES_PER_SEC },
    {
      key: 'dcgan',
      workload: 'DCGAN as the peer (no batch norm), batch 64',
      genlab: async () => (await dcganExamplesPerSecond(dcganSteps, 2, 64, 1, { batchNorm: false })).examplesPerSec,
      peer: ['dcgan_mnist.py', ['--steps', quick ? '30' : '300', '--samples', '0']],
      readmeFigure: PYTORCH_DCGAN_EXAMPLES_PER_SEC,
    },
    {
      key: 'dcgan',
      workload: 'DCGAN, genlab default (batch norm), batch 64',
      genlab: async () => (await dcganExamplesPerSecond(dcganSteps, 2, 64, 1)).examplesPerSec,
      peer: null, // the same PyTorch figure as the row above: its networks have no batch norm
      readmeFigure: PYTORCH_DCGAN_EXAMPLES_PER_SEC,
    },
  ];
  const workloads = all.filter((w) => only === undefined || w.key === only);
  const rows: PeerRow[] = [];
  for (const w of workloads) {
    const row: PeerRow = { workload: w.workload, genlab: [], pytorch: [], pytorchThreads: [], readmeFigure: w.readmeFigure };
    // Untimed runs first, for WARMUP_SECONDS: V8 compiles genlab's JavaScript in tiers as it runs it, and the VAE's
    // epoch rate kept rising over the first four epochs of a process (27,450 → 27,970 → 30,900 → 30,980 → 33,170 →
    // 34,020 examples/s, then flat), while the peer's Python and C++ start compiled; after them, each side's trial
    // times a freshly built model and optimiser from its first step.
    if (!quick) {
      for (const t0 = performance.now(); performance.now() - t0 < WARMUP_SECONDS * 1000; ) {
        log(`peer bench: ${w.workload}, warm-up: ${(await w.genlab()).toFixed(0)} examples/s`);
      }
    }
    for (let t = 0; t < trials; t++) {
      log(`peer bench: ${w.workload}, trial ${t + 1}/${trials}`);
      // The better of two runs, as PyTorch's trial is the better of its two thread settings: this machine's speed
      // jumps between two levels from one run to the next (genlab's VAE ≈ 28,000 or ≈ 34,000 examples/s in one
      // process, PyTorch's ≈ 14,000 or ≈ 20,000), and a trial should time the code, not the level it drew.
      row.genlab.push(Math.max(await w.genlab(), await w.genlab()));
      if (w.peer) {
        const v = measurePyTorchBest(w.peer[0], w.peer[1], log, { bestEpoch: w.bestEpoch === true });
        if (v !== null) {
          row.pytorch.push(v.examplesPerSec);
          row.pytorchThreads.push(`${v.threads.torch}/${v.threads.blas}`);
        }
      }
    }
    if (!w.peer) {
      row.pytorch = rows[rows.length - 1]?.pytorch ?? [];
      row.pytorchThreads = rows[rows.length - 1]?.pytorchThreads ?? [];
    }
    rows.push(row);
  }
  const gmm = only === undefined || only === 'gmm' ? formatGmmBench(await runGmmBench({ sizes: [], log })) : null; // the scikit-learn workload alone
  return { backend, rows, gmm, blasKernel: peerBlasKernel() };
}

export function formatPeerBench(r: PeerBench): string {
  const lines = [
    `genlab (${r.backend}, ${availableParallelism()} cores) against PyTorch, training examples/s, median of alternating trials (min–max), each the better of two runs:`,
    `  PyTorch runs without OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE, on its BLAS: ${r.blasKernel}; each trial keeps the best of torch/BLAS threads ${PEER_THREADS.map((t) => `${t.torch}/${t.blas}`).join(' and ')}`,
  ];
  const range = (xs: number[]): string => `${median(xs).toFixed(0).padStart(6)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  for (const row of r.rows) {
    const measured = row.pytorch.length > 0;
    const peer = measured ? median(row.pytorch) : row.readmeFigure;
    const threads = measured ? ` [threads ${[...new Set(row.pytorchThreads)].join(', ')}]` : '';
    lines.push(`  ${row.workload.padEnd(46)} genlab ${range(row.genlab)}   PyTorch ${measured ? range(row.pytorch) : `${peer} (shared/peer/README.md, not measured here)`}${threads}   genlab/PyTorch ${(median(row.genlab) / peer).toFixed(2)}`);
  }
  if (r.gmm !== null) lines.push('', r.gmm);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { trials: { type: 'string' }, quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
  const only = values.only as PeerWorkload | undefined;
  if (only !== undefined && !PEER_WORKLOADS.includes(only)) throw new Error(`--only: expected one of ${PEER_WORKLOADS.join(', ')}, got '${only}'`);
  console.log(formatPeerBench(await runPeerBench({ ...(values.trials ? { trials: Number(values.trials) } : {}), quick: values.quick!, ...(only ? { only } : {}) })));
}
