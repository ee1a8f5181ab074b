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
 * Runs a PyTorch reference program of ../shared/peer/ (Debian's python3-torch) on the same MNIST files and returns
 * its `train_examples_per_s`, or null when it cannot run here (no PyTorch, no script) — the benches then use the
 * figure of shared/peer/README.md and say so.
 */
export function measurePyTorch(script: string, args: string[], log: (line: string) => void): number | null {
  const file = peerScript(script);
  if (!existsSync(file)) return null;
  const python = peerPython();
  log(`running ${script} ${args.join(' ')} …`);
  const peer = spawnSync(python, [file, ...args, '--data-dir', mnistDataDir()], { encoding: 'utf8', timeout: 600_000 });
  if (peer.status !== 0) {
    log(`${script} did not run (${(peer.stderr || peer.error?.message || 'failed').trim().split('\n').at(-1)}): using shared/peer/README.md's figure`);
    return null;
  }
  const value = (JSON.parse(peer.stdout.trim().split('\n').at(-1) ?? '{}') as { train_examples_per_s?: number }).train_examples_per_s;
  return typeof value === 'number' && value > 0 ? value : null;
}

/** The peer to compare with: measured in this run when possible, else the README figure (marked as such). */
export function pytorchPeer(measured: number | null, readmeFigure: number): { name: string; examplesPerSec: number } {
  return measured === null ? { name: 'PyTorch (shared/peer/README.md)', examplesPerSec: readmeFigure } : { name: 'PyTorch (measured now)', examplesPerSec: Math.round(measured) };
}
