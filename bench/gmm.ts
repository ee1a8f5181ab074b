/**
 * GMM benchmark: seconds per EM iteration (K = 8, full covariances) for N ∈ {10k, 100k, 1M} × D ∈ {2, 16, 64},
 * against the textbook reference (bench/gmm-reference.ts) measured in the same run, and the 100k × 16 workload of
 * ../shared/peer/gmm_bench.py side by side with scikit-learn's figures.
 *
 *   node --import tsx bench/gmm.ts            all sizes (1M × 64 takes a while)
 *   node --import tsx bench/gmm.ts --quick    N ≤ 100k, and D = 64 only at 10k
 *   node --import tsx bench/gmm.ts --csv /tmp/gmm100k.csv --json
 *   node --import tsx bench/gmm.ts --csv /tmp/gmm100k.csv --sizes 100000 --dims 16    one grid row and the peer workload
 *
 * The reference is timed on at most REFERENCE_ROWS points and extrapolated per point (EM cost is linear in N); the
 * output says so. Per-iteration times are the fastest of the measured iterations; CPU seconds (this process, all its
 * threads) are shown beside wall-clock seconds because the machine may be shared.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Rng } from '../src/engine/rng.js';
import { readDelimitedFile } from '../src/data/csv.js';
import { GaussianMixture, wasmAvailable, type Matrix } from '../src/models/gmm.js';
import { workersReady } from '../src/models/gmm/pool.js';
import { referenceEmIteration, type ReferenceParams } from './gmm-reference.js';
import { PEER_THREADS, peerEnv, peerPython, peerScript } from './backends.js';

/** scikit-learn 1.x on this project's 2-core machine (../shared/peer/README.md): 100k × 16, K = 8, full. */
export const SKLEARN_100K = { fitSeconds: 1.53, emSecondsPerIteration: 0.126, iterations: 11, meanLogLikelihood: -21.2248 };

/** Most points the reference runs on before its time is extrapolated per point. */
export const REFERENCE_ROWS = 2000;

export interface GmmBenchOptions {
  /** Smaller grid: N ≤ 100k, D = 64 only at N = 10k. */
  quick?: boolean;
  sizes?: number[];
  dims?: number[];
  components?: number;
  /** The peer workload's CSV; default: write it with ../shared/peer/gmm_bench.py (or numpy alone) to a temp file. */
  csv?: string;
  /** Skip the peer workload. */
  noPeer?: boolean;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface GmmBenchRow {
  n: number;
  d: number;
  k: number;
  /** genlab, default kernels (WebAssembly SIMD where available): wall-clock, and CPU time of this process. */
  secondsPerIteration: number;
  cpuSecondsPerIteration: number;
  /** genlab with kernels: 'js' (N ≤ 100k, else null). */
  tsSecondsPerIteration: number | null;
  /** The textbook reference, per iteration at this N (extrapolated when referenceRows < n). */
  referenceSecondsPerIteration: number;
  referenceRows: number;
  /** reference / genlab. */
  speedup: number;
}

export interface PeerResult {
  csv: string;
  /** Threads genlab's fit shared its passes with (GaussianMixture's threadsUsed). */
  threads: number;
  n: number;
  d: number;
  k: number;
  fitSeconds: number;
  /** CPU time of the process during the fit, all its threads (on one thread: close to the wall clock on an idle machine). */
  fitCpuSeconds: number;
  initSeconds: number;
  iterations: number;
  converged: boolean;
  emSecondsPerIteration: number;
  emCpuSecondsPerIteration: number;
  meanLogLikelihood: number;
  /** scikit-learn's figures: measured now when the peer script ran here, else those of its README. */
  sklearn: { fitSeconds: number; emSecondsPerIteration: number; iterations: number; meanLogLikelihood: number; measuredHere: boolean };
  note: string;
}

export interface GmmBenchResult {
  rows: GmmBenchRow[];
  peer: PeerResult | null;
  kernels: 'wasm-simd' | 'js';
  node: string;
}

/** n points in d dims from a seeded mixture of k Gaussians with random means and (correlated) covariances. */
export function syntheticMixture(n: number, d: number, k: number, seed: number): Matrix & { data: Float64Array } {
  const rng = new Rng(seed);
  const means = Array.from({ length: k }, () => Array.from({ length: d }, () => (rng.uniform() * 2 - 1) * 3));
  // x = μ + A z with A lower-triangular, diagonal in [0.5, 1.5], off-diagonal ~ N(0, 0.3²/d)
  const factors = Array.from({ length: k }, () =>
    Array.from({ length: d }, (_, a) => Array.from({ length: a + 1 }, (_, b) => (a === b ? 0.5 + rng.uniform() : (rng.normal() * 0.3) / Math.sqrt(d)))),
  );
  const data = new Float64Array(n * d);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const j = rng.int(k);
    rng.normals(z);
    for (let a = 0; a < d; a++) {
      let v = means[j]![a]!;
      const row = factors[j]![a]!;
      for (let b = 0; b <= a; b++) v += row[b]! * z[b]!;
      data[i * d + a] = v;
    }
  }
  return { rows: n, cols: d, data };
}

/** Wall-clock and CPU seconds (this process) since the start. */
interface Clock {
  wall: number;
  cpu: number;
}

function now(): Clock {
  const { user, system } = process.cpuUsage();
  return { wall: performance.now() / 1000, cpu: (user + system) / 1e6 };
}

/** Fastest EM iteration of a fit (intervals between onIteration calls), after a cheap init: wall and CPU seconds. */
function timeIterations(x: Matrix, k: number, kernels: 'auto' | 'js', iterations: number): Clock {
  let last: Clock | undefined;
  const best = { wall: Infinity, cpu: Infinity };
  new GaussianMixture({
    components: k,
    init: 'random-from-data',
    maxIter: iterations + 1,
    tol: 0,
    seed: 1,
    kernels,
    onIteration: () => {
      const t = now();
      if (last) {
        best.wall = Math.min(best.wall, t.wall - last.wall);
        best.cpu = Math.min(best.cpu, t.cpu - last.cpu);
      }
      last = t;
    },
  }).fit(x);
  return best;
}

/** The reference's seconds per iteration on the first `rows` points (best of three iterations). */
function timeReference(x: Matrix, k: number, rows: number): number {
  const d = x.cols;
  const points = Array.from({ length: rows }, (_, i) => Array.from(x.data.subarray(i * d, (i + 1) * d)));
  let params: ReferenceParams = {
    weights: new Array<number>(k).fill(1 / k),
    means: Array.from({ length: k }, (_, j) => points[Math.floor((j * rows) / k)]!.slice()),
    covariances: Array.from({ length: k }, () => Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => (a === b ? 1 : 0)))),
  };
  let best = Infinity;
  for (let it = 0; it < 3; it++) {
    const t = performance.now();
    params = referenceEmIteration(points, params).params;
    best = Math.min(best, performance.now() - t);
  }
  return best / 1000;
}

/** Writes the peer's data set to a CSV: with the peer script itself, else with its numpy data generator alone. */
function writePeerCsv(file: string, log: (line: string) => void): { ok: boolean; sklearn?: Record<string, number>; note: string } {
  const script = peerScript('gmm_bench.py');
  if (!existsSync(script)) return { ok: false, note: `${script} not found` };
  const python = peerPython();
  // scikit-learn at its best: without the OpenBLAS overrides (peerEnv), the faster of its thread settings.
  let best: Record<string, number> | null = null;
  let why = '';
  for (const t of PEER_THREADS) {
    const args = [script, '--write-csv', file, '--threads', String(t.torch), '--blas-threads', String(t.blas)];
    log(`running ${args.join(' ')} …`);
    const peer = spawnSync(python, args, { encoding: 'utf8', timeout: 300_000, env: peerEnv() });
    if (peer.status !== 0) {
      why = (peer.stderr || peer.error?.message || '').trim().split('\n').at(-1) ?? 'failed';
      break;
    }
    const result = JSON.parse(peer.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
    if (!best || result['fit_seconds']! < best['fit_seconds']!) best = { ...result, threads: t.torch, blasThreads: t.blas };
  }
  if (best) return { ok: true, sklearn: best, note: `scikit-learn measured in this run (best of threads ${PEER_THREADS.map((t) => `${t.torch}/${t.blas}`).join(', ')}: ${best['threads']}/${best['blasThreads']})` };
  log(`the peer script did not run (${why}); writing the same data with numpy alone`);
  // gmm_bench.make_data uses numpy only: import the module with stand-ins for the scikit-learn names it imports.
  const code = [
    'import sys, types',
    'for name in ("sklearn", "sklearn.cluster", "sklearn.mixture"): sys.modules[name] = types.ModuleType(name)',
    'sys.modules["sklearn.cluster"].KMeans = None; sys.modules["sklearn.mixture"].GaussianMixture = None',
    `sys.path.insert(0, ${JSON.stringify(join(script, '..'))})`,
    'import gmm_bench',
    'x, labels, text, truth = gmm_bench.make_data(100000, 16, 8, 0, 0.75)',
    `open(${JSON.stringify(file)}, "w").write(text)`,
  ].join('\n');
  for (const interpreter of [...new Set([python, 'python3'])]) {
    const numpy = spawnSync(interpreter, ['-c', code], { encoding: 'utf8', timeout: 300_000 });
    if (numpy.status === 0) {
      return { ok: true, note: `scikit-learn does not run here (${why}); data written with ${interpreter} + numpy; scikit-learn figures from shared/peer/README.md` };
    }
  }
  return { ok: false, note: `neither scikit-learn nor numpy ran here (${why})` };
}

async function peerWorkload(options: GmmBenchOptions, log: (line: string) => void): Promise<PeerResult | null> {
  let csv = options.csv;
  let sklearn: PeerResult['sklearn'] = { ...SKLEARN_100K, measuredHere: false };
  let note = 'scikit-learn figures from shared/peer/README.md';
  if (!csv) {
    // Written anew each run: the peer script that writes it also times scikit-learn, in this run.
    csv = join(tmpdir(), 'genlab-gmm100k.csv');
    const written = writePeerCsv(csv, log);
    note = written.note;
    if (!written.ok) {
      log(`peer workload skipped: ${written.note}`);
      return null;
    }
    const s = written.sklearn;
    if (s) {
      sklearn = {
        fitSeconds: s['fit_seconds']!,
        emSecondsPerIteration: s['em_seconds_per_iter']!,
        iterations: s['n_iter']!,
        meanLogLikelihood: s['score_mean_loglik']!,
        measuredHere: true,
      };
    }
  }
  const table = await readDelimitedFile(csv);
  const x: Matrix = { rows: table.rows, cols: table.cols, data: table.data };
  log(`peer workload: ${x.rows} × ${x.cols}, K = 8, full, kmeans init (as scikit-learn)`);
  // warm-up (JIT, kernel compilation, the worker threads' start) on a slice, then the timed fit
  const warmRows = Math.min(x.rows, 20_000);
  new GaussianMixture({ components: 8, maxIter: 2 }).fit({ rows: warmRows, cols: x.cols, data: table.data.subarray(0, warmRows * x.cols) });
  await workersReady();
  const stamps: Clock[] = [];
  const t0 = now();
  const g = new GaussianMixture({ components: 8, seed: 0, onIteration: () => stamps.push(now()) }).fit(x);
  const t1 = now();
  const fitSeconds = t1.wall - t0.wall;
  const median = (key: keyof Clock, whole: number): number => {
    const intervals = stamps.slice(1).map((t, i) => t[key] - stamps[i]![key]);
    return intervals.length ? [...intervals].sort((a, b) => a - b)[Math.floor(intervals.length / 2)]! : whole;
  };
  const perIteration = median('wall', fitSeconds);
  return {
    csv,
    threads: g.threadsUsed,
    n: x.rows,
    d: x.cols,
    k: 8,
    fitSeconds,
    fitCpuSeconds: t1.cpu - t0.cpu,
    initSeconds: Math.max(0, fitSeconds - perIteration * g.iterations),
    iterations: g.iterations,
    converged: g.converged,
    emSecondsPerIteration: perIteration,
    emCpuSecondsPerIteration: median('cpu', t1.cpu - t0.cpu),
    meanLogLikelihood: g.score(x),
    sklearn,
    note,
  };
}

/** Runs the benchmark; see the module comment. */
export async function runGmmBench(options: GmmBenchOptions = {}): Promise<GmmBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const quick = options.quick ?? false;
  const sizes = options.sizes ?? (quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]);
  const dims = options.dims ?? [2, 16, 64];
  const k = options.components ?? 8;
  const rows: GmmBenchRow[] = [];
  for (const d of dims) {
    let referencePerPoint = 0; // the reference's cost is linear in N: timed once per D
    for (const n of sizes) {
      if (quick && d === 64 && n > 10_000) continue;
      const x = syntheticMixture(n, d, k, 100 + d);
      const iterations = n * d * d >= 1e8 ? 2 : 4;
      const ours = timeIterations(x, k, 'auto', iterations);
      const secondsPerIteration = ours.wall;
      const tsSecondsPerIteration = n <= 100_000 ? timeIterations(x, k, 'js', Math.min(iterations, 2)).wall : null;
      const referenceRows = Math.min(sizes[0]!, d >= 64 ? REFERENCE_ROWS / 4 : REFERENCE_ROWS);
      if (referencePerPoint === 0) referencePerPoint = timeReference(x, k, referenceRows) / referenceRows;
      const referenceSecondsPerIteration = referencePerPoint * n;
      const row = {
        n,
        d,
        k,
        secondsPerIteration,
        cpuSecondsPerIteration: ours.cpu,
        tsSecondsPerIteration,
        referenceSecondsPerIteration,
        referenceRows,
        speedup: referenceSecondsPerIteration / secondsPerIteration,
      };
      rows.push(row);
      log(
        `N ${n} D ${d}: ${secondsPerIteration.toFixed(4)} s/iter (CPU ${ours.cpu.toFixed(4)})` +
          (tsSecondsPerIteration === null ? '' : ` (TypeScript kernels ${tsSecondsPerIteration.toFixed(4)})`) +
          `, reference ${referenceSecondsPerIteration.toFixed(3)}${referenceRows < n ? ` (extrapolated from ${referenceRows} points)` : ''}, ×${row.speedup.toFixed(1)}`,
      );
    }
  }
  const peer = options.noPeer ? null : await peerWorkload(options, log);
  return { rows, peer, kernels: wasmAvailable() ? 'wasm-simd' : 'js', node: process.version };
}

/** The result as a readable report. */
export function formatGmmBench(result: GmmBenchResult): string {
  const lines = result.rows.length === 0 ? [`GMM EM against scikit-learn (genlab kernels: ${result.kernels}, Node ${result.node})`] : [
    `GMM EM, K = 8, full covariances — seconds per iteration (genlab kernels: ${result.kernels}, Node ${result.node})`,
    '       N    D     genlab  (CPU s)   TS kernels    reference   speedup',
  ];
  for (const r of result.rows) {
    lines.push(
      `${String(r.n).padStart(8)} ${String(r.d).padStart(4)} ${r.secondsPerIteration.toFixed(4).padStart(10)} ${r.cpuSecondsPerIteration.toFixed(4).padStart(8)} ` +
        `${(r.tsSecondsPerIteration === null ? '—' : r.tsSecondsPerIteration.toFixed(4)).padStart(12)} ` +
        `${r.referenceSecondsPerIteration.toFixed(3).padStart(11)}${r.referenceRows < r.n ? '*' : ' '} ${('×' + r.speedup.toFixed(1)).padStart(8)}`,
    );
  }
  if (result.rows.some((r) => r.referenceRows < r.n)) {
    lines.push(`* reference timed on ${REFERENCE_ROWS} points (${REFERENCE_ROWS / 4} for D = 64) and extrapolated per point`);
  }
  const p = result.peer;
  if (p) {
    lines.push(
      '',
      `${p.n} × ${p.d}, K = ${p.k}, full, kmeans init (shared/peer/gmm_bench.py data, ${p.csv}):`,
      `  genlab        fit ${p.fitSeconds.toFixed(2)} s on ${p.threads} thread${p.threads === 1 ? '' : 's'} (init ${p.initSeconds.toFixed(2)} s; CPU ${p.fitCpuSeconds.toFixed(2)} s), ${p.iterations} iterations, ` +
        `${p.emSecondsPerIteration.toFixed(4)} s per EM iteration (CPU ${p.emCpuSecondsPerIteration.toFixed(4)}), mean log-likelihood ${p.meanLogLikelihood.toFixed(4)}`,
      `  scikit-learn  fit ${p.sklearn.fitSeconds.toFixed(2)} s, ${p.sklearn.iterations} iterations, ${p.sklearn.emSecondsPerIteration.toFixed(4)} s per EM iteration, ` +
        `mean log-likelihood ${p.sklearn.meanLogLikelihood.toFixed(4)}${p.sklearn.measuredHere ? '' : ' (README figures)'}`,
      `  speed-up over scikit-learn: ×${(p.sklearn.emSecondsPerIteration / p.emSecondsPerIteration).toFixed(2)} per EM iteration, ` +
        `×${(p.sklearn.fitSeconds / p.fitSeconds).toFixed(2)} whole fit (wall clock; below 1 means slower); ` +
        `log-likelihood difference ${(p.meanLogLikelihood - p.sklearn.meanLogLikelihood).toFixed(4)}`,
      `  (${p.note})`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const csvAt = args.indexOf('--csv');
  const options: GmmBenchOptions = { quick: args.includes('--quick'), noPeer: args.includes('--no-peer') };
  if (csvAt >= 0 && args[csvAt + 1]) options.csv = args[csvAt + 1]!;
  // --sizes 10000,100000 and --dims 16: the grid's rows (an empty list: the peer workload alone)
  for (const flag of ['sizes', 'dims'] as const) {
    const at = args.indexOf(`--${flag}`);
    if (at < 0) continue;
    const list = (args[at + 1] ?? '').split(',').filter((v) => v !== '').map(Number);
    if (list.some((v) => !Number.isSafeInteger(v) || v < 1)) throw new Error(`--${flag}: expected comma-separated positive integers, got '${args[at + 1] ?? ''}'`);
    options[flag] = list;
  }
  const result = await runGmmBench(options);
  process.stdout.write((args.includes('--json') ? JSON.stringify(result) : formatGmmBench(result)) + '\n');
}
