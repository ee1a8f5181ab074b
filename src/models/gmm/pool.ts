/**
 * The worker threads a fit shares its passes with, in Node only: created lazily on the first fit that uses them, once
 * per process, reused by every later fit, and unref'd so that they never keep the process alive. A fit hands them its
 * shared arena (an `attach` message); each then takes chunks of the fit's passes (chunks.ts) until the fit releases
 * its team, and waits for the next fit. The fit never waits for a worker to start: passes run on the main thread
 * alone until a worker joins, with the same result.
 *
 * Browser-safe to import: Node's worker_threads module is reached through process.getBuiltinModule (Node ≥ 20.16)
 * when the code runs in Node, never imported, so bundles of the lab contain no Node import. The worker's own entry
 * (worker.ts) is loaded by URL: worker.js beside this file in dist/, worker.ts under tsx (through tsx's register API).
 */
import type { ContextShape } from './params.js';
import { sharedWasmAvailable } from './wasm/arena.js';

type WorkerThreads = typeof import('node:worker_threads');
type Worker = InstanceType<WorkerThreads['Worker']>;

/** What a worker receives for each fit. */
export interface AttachMessage {
  memory: WebAssembly.Memory;
  shape: ContextShape;
  /** The worker's thread index in the team (1, 2, …; the main thread is 0). */
  thread: number;
}

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
}

/** A Node built-in module where this runs in Node (≥ 20.16), else undefined. */
function nodeBuiltin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: NodeProcess }).process;
  try {
    return typeof proc?.getBuiltinModule === 'function' ? (proc.getBuiltinModule(id) as T | undefined) : undefined;
  } catch {
    return undefined;
  }
}

interface PoolWorker {
  worker: Worker;
  ready: Promise<void>;
}

const pool = {
  workers: [] as PoolWorker[],
  /** Workers started in this process (tests check that fits reuse them). */
  started: 0,
  /** Set when a worker failed to start: no more are tried (fits run on one thread). */
  broken: false,
};

/** The threads a fit uses by default: 2 where worker threads and shared WebAssembly memory exist (and 2 cores), else 1. */
export function defaultThreads(): number {
  if (!nodeBuiltin<WorkerThreads>('node:worker_threads') || !sharedWasmAvailable()) return 1;
  const cores = nodeBuiltin<{ availableParallelism?: () => number }>('node:os')?.availableParallelism?.() ?? 1;
  return Math.min(2, Math.max(1, cores));
}

/** Starts one worker (see the module comment for which file). */
function start(threads: WorkerThreads): PoolWorker {
  const here = import.meta.url;
  const underTsx = here.endsWith('.ts');
  const entry = new URL('./' + (underTsx ? 'worker.ts' : 'worker.js'), here);
  const worker = underTsx
    ? new threads.Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(entry.href)}))`,
        { eval: true },
      )
    : new threads.Worker(entry);
  worker.unref();
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  const entryOf: PoolWorker = { worker, ready };
  const drop = (): void => {
    pool.workers = pool.workers.filter((w) => w !== entryOf);
  };
  worker.on('error', () => {
    pool.broken = true;
    drop();
  });
  worker.on('exit', drop);
  ready.catch(() => undefined); // a failed start is handled above; fits go on without it
  pool.started++;
  return entryOf;
}

/**
 * Hands a fit's shared memory to `shape.threads − 1` workers (started now if the pool has fewer). Returns how many
 * were asked; they join the fit's passes as soon as they are up.
 */
export function enlistWorkers(memory: WebAssembly.Memory, shape: ContextShape): number {
  const threads = nodeBuiltin<WorkerThreads>('node:worker_threads');
  if (!threads || pool.broken) return 0;
  try {
    while (pool.workers.length < shape.threads - 1) pool.workers.push(start(threads));
  } catch {
    pool.broken = true; // e.g. .ts sources run by a loader other than tsx: fits go on with the workers there are
  }
  const asked = pool.workers.slice(0, shape.threads - 1);
  asked.forEach((w, i) => w.worker.postMessage({ memory, shape, thread: i + 1 } satisfies AttachMessage));
  return asked.length;
}

/** Resolves once every worker started so far is up (benchmarks and tests wait for it; fits never need to). */
export async function workersReady(): Promise<void> {
  await Promise.all(pool.workers.map((w) => w.ready));
}

/** Workers alive now and started in this process so far. */
export function poolInfo(): { alive: number; started: number } {
  return { alive: pool.workers.length, started: pool.started };
}
