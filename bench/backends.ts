/** The Node backends a benchmark compares in one run: native (when its addon was built), wasm, cpu. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mnistDataDir } from '../src/data/mnist.js';
import { nativeBuildStatus } from '../src/engine/native.js';

export type BenchBackend = 'native' | 'wasm' | 'cpu';

/**
 * The backends to compare: native (when built), wasm and cpu, or those of `GENLAB_BENCH_BACKENDS`
 * (comma-separated, e.g. `native` while tuning native kernels).
 */
export function benchBackends(): BenchBackend[] {
  const all: BenchBackend[] = nativeBuildStatus()?.built ? ['native', 'wasm', 'cpu'] : ['wasm', 'cpu'];
  const wanted = process.env['GENLAB_BENCH_BACKENDS']?.split(',').map((b) => b.trim());
  if (!wanted) return all;
  const unknown = wanted.filter((b) => !(all as string[]).includes(b));
  if (unknown.length) throw new Error(`GENLAB_BENCH_BACKENDS: expected some of ${all.join(', ')}, got ${unknown.join(', ')}`);
  return all.filter((b) => wanted.includes(b));
}

/** One line per backend (examples/s and the ratio to `peer`), then each backend's ratio to wasm. */
export function formatThroughput(title: string, r: Partial<Record<BenchBackend, number>>, peer: { name: string; examplesPerSec: number }): string {
  const lines = [`${title} (training examples/s, higher is better)`];
  for (const [b, v] of Object.entries(r)) {
    lines.push(`  ${b.padEnd(6)} ${v.toFixed(v < 10 ? 2 : 0).padStart(8)}   ${(v / peer.examplesPerSec).toFixed(3)} × ${peer.name} (${peer.examplesPerSec})`);
  }
  for (const b of ['native', 'cpu'] as const) if (r[b] !== undefined && r.wasm) lines.push(`  ${b}/wasm ${(r[b]! / r.wasm).toFixed(b === 'cpu' ? 4 : 2)}`);
  return lines.join('\n');
}

/** A reference program of ../shared/peer/ (which may be absent). */
export function peerScript(name: string): string {
  return fileURLToPath(new URL(`../../shared/peer/${name}`, import.meta.url));
}

/** Debian's python3 (where python3-torch and python3-sklearn install), else whatever python3 is on the PATH. */
export function peerPython(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/**
 * The environment of a peer's command: this machine's `OPENBLAS_CORETYPE` / `OPENBLAS_L2_SIZE` force OpenBLAS (Debian's
 * PyTorch, numpy and scikit-learn use it for matrix products) onto AVX2 kernels on an AVX-512 CPU, so the peer runs
 * without them — that command only; genlab's own runs, the tests and CI keep the environment as it is.
 */
export function peerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  return env;
}

/** PyTorch's thread settings tried per trial (its own pool, OpenBLAS's): the two pools fight on 2 cores otherwise. */
export const PEER_THREADS: readonly { torch: number; blas: number }[] = [
  { torch: 2, blas: 1 },
  { torch: 1, blas: 2 },
];

/** Which OpenBLAS kernels the peer's environment loads (threadpoolctl's report), e.g. "OpenBLAS 0.3.21 SkylakeX". */
export function peerBlasKernel(): string {
  const code = 'import json, torch\nfrom threadpoolctl import threadpool_info\nprint(json.dumps([{k: p.get(k) for k in ("internal_api", "version", "architecture")} for p in threadpool_info()]))';
  const r = spawnSync(peerPython(), ['-c', code], { encoding: 'utf8', timeout: 60_000, env: peerEnv() });
  if (r.status !== 0) return `unknown (${(r.stderr || r.error?.message || 'failed').trim().split('\n').at(-1)})`;
  const pools = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '[]') as { internal_api: string; version?: string; architecture?: string }[];
  return pools.map((p) => [p.internal_api, p.version, p.architecture].filter(Boolean).join(' ')).join(', ') || 'no BLAS pool found';
}

/** One run of a peer program: its training examples/s and the thread setting it ran with. */
export interface PeerMeasurement {
  examplesPerSec: number;
  threads: { torch: number; blas: number };
}

/**
 * Runs a PyTorch reference program of ../shared/peer/ (Debian's python3-torch) on the same MNIST files, once per
 * thread setting of PEER_THREADS, without the OpenBLAS overrides (peerEnv), and returns its best
 * `train_examples_per_s` with that setting — or null when it cannot run here (no PyTorch, no script): the benches
 * then use the figure of shared/peer/README.md and say so. With `bestEpoch`, a run's figure is its fastest epoch (the
 * `epoch N … R ex/s` lines the script logs) rather than its average over all of them.
 */
export function measurePyTorchBest(script: string, args: string[], log: (line: string) => void, options: { bestEpoch?: boolean } = {}): PeerMeasurement | null {
  const file = peerScript(script);
  if (!existsSync(file)) return null;
  let best: PeerMeasurement | null = null;
  for (const threads of PEER_THREADS) {
    const all = [...args, '--threads', String(threads.torch), '--blas-threads', String(threads.blas)];
    log(`running ${script} ${all.join(' ')} …`);
    const peer = spawnSync(peerPython(), [file, ...all, '--data-dir', mnistDataDir()], { encoding: 'utf8', timeout: 600_000, env: peerEnv() });
    if (peer.status !== 0) {
      log(`${script} did not run (${(peer.stderr || peer.error?.message || 'failed').trim().split('\n').at(-1)}): using shared/peer/README.md's figure`);
      return null;
    }
    const whole = (JSON.parse(peer.stdout.trim().split('\n').at(-1) ?? '{}') as { train_examples_per_s?: number }).train_examples_per_s;
    const value = options.bestEpoch ? Math.max(...epochRates(peer.stderr)) : whole;
    if (typeof value === 'number' && value > 0 && (!best || value > best.examplesPerSec)) best = { examplesPerSec: value, threads };
  }
  return best;
}

/** The examples/s of each `epoch N … R ex/s` line of a peer's log (vae_mnist.py's progress on stderr). */
export function epochRates(log: string): number[] {
  return [...log.matchAll(/^epoch \d+\b.*?([\d.]+) ex\/s\s*$/gm)].map((m) => Number(m[1]));
}

/** `measurePyTorchBest`'s examples/s alone. */
export function measurePyTorch(script: string, args: string[], log: (line: string) => void): number | null {
  return measurePyTorchBest(script, args, log)?.examplesPerSec ?? null;
}

/** The peer to compare with: measured in this run when possible, else the README figure (marked as such). */
export function pytorchPeer(measured: number | null, readmeFigure: number): { name: string; examplesPerSec: number } {
  return measured === null ? { name: 'PyTorch (shared/peer/README.md)', examplesPerSec: readmeFigure } : { name: 'PyTorch (measured now)', examplesPerSec: Math.round(measured) };
}
