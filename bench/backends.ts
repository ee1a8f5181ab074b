/** The Node backends a benchmark compares in one run: native (when its addon was built), wasm, cpu. */
import { nativeBuildStatus } from '../src/engine/native.js';

export type BenchBackend = 'native' | 'wasm' | 'cpu';

export function benchBackends(): BenchBackend[] {
  return nativeBuildStatus()?.built ? ['native', 'wasm', 'cpu'] : ['wasm', 'cpu'];
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
