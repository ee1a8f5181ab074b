/**
 * Row-parallel passes of a fit, split in chunks. A pass over the data (k-means assignment, k-means++ potential, EM's
 * E-step with the M-step sums) is cut into chunks of consecutive rows that depend only on the data's size, never on
 * the number of threads; each chunk writes its own partial results, and the caller reduces them in chunk order. So a
 * fit gives the same bits on one thread or several, here and in the browser.
 *
 * A team runs a pass on this thread plus the worker threads of pool.ts attached to the same shared memory:
 * every thread takes the next chunk (a compare-and-swap on one ticket word) until none is left, so a slow or late
 * worker only does less (a worker still starting does none). The main thread publishes a pass, works on it too,
 * then waits until every chunk is done. Browser-safe: nothing here imports a Node module.
 */

/** The passes a worker can run, by id (see worker.ts for the functions). */
export const JOBS = { em: 1, assign: 2, potential: 3 } as const;
export type JobId = (typeof JOBS)[keyof typeof JOBS];

/** Runs `count` chunks of a pass: `fn(thread, chunk)` for each chunk, on whichever thread takes it. */
export interface ChunkRunner {
  /** Threads that may take part (1: this thread alone). */
  readonly threads: number;
  run(job: JobId, arg: number, count: number, fn: (thread: number, chunk: number) => void): void;
}

/** Every chunk on this thread, in order. */
export const SERIAL: ChunkRunner = {
  threads: 1,
  run(_job, _arg, count, fn) {
    for (let c = 0; c < count; c++) fn(0, c);
  },
};

/** At most this many chunks per pass: their partial sums stay small next to the data. */
export const MAX_CHUNKS = 64;

/** Rows of each chunk for N rows in blocks of `block`: whole blocks, at least `minBlocks` of them, at most MAX_CHUNKS chunks. */
export function chunkRows(n: number, block: number, minBlocks: number): number {
  return block * Math.max(minBlocks, Math.ceil(n / (MAX_CHUNKS * block)));
}

/** Int32 slots of the control block (the ticket, a BigInt64, takes the first two). */
const GEN = 2; // the published pass's generation; STOP when the team is released
const DONE = 3; // chunks finished in the current pass
const JOB = 4;
const ARG = 5;
const FAILED = 6; // 1 when a worker's chunk threw (its message follows)
const BY_WORKERS = 7; // chunks the workers took, over the team's life
const MESSAGE = 8; // byte offset … MESSAGE_BYTES: the message, UTF-8, zero-padded
const MESSAGE_BYTES = 480;
/** Bytes of a team's control block. */
export const CONTROL_BYTES = MESSAGE * 4 + MESSAGE_BYTES;
const STOP = -1;
/**
 * Polls of a word before sleeping on it: passes follow each other within tens of microseconds, and a futex wake-up
 * costs about as much as a short pass, so a thread first spins this long (some 20–50 µs) for the next one.
 */
const SPINS = 1000;
/** Generations wrap below 2²³ (they share the ticket's 64 bits with the chunk count and index, 20 bits each). */
const GEN_MASK = (1 << 23) - 1;

/** Chunks that worker threads took, over every team of this process so far (how benchmarks and tests see them help). */
export const teamTotals = { workerChunks: 0 };

/** Polls words[at] (up to SPINS times) while `keep` holds for its value; returns the last value read. */
function spinWhile(words: Int32Array, at: number, keep: (value: number) => boolean): number {
  let v = Atomics.load(words, at);
  for (let i = 0; i < SPINS && keep(v); i++) v = Atomics.load(words, at);
  return v;
}

const encode = (gen: number, count: number, index: number): bigint => (BigInt(gen) << 40n) | (BigInt(count) << 20n) | BigInt(index);

/**
 * The shared state of a team, over a control block of CONTROL_BYTES in shared memory (8-byte aligned) that the main
 * thread and its workers see alike; `thread` is this thread's index (0: the main thread).
 */
export class Team implements ChunkRunner {
  private readonly ticket: BigInt64Array;
  private readonly words: Int32Array;
  private readonly message: Uint8Array;
  private gen = 0;

  constructor(
    buffer: ArrayBufferLike,
    offset: number,
    readonly threads: number,
    readonly thread: number,
  ) {
    this.ticket = new BigInt64Array(buffer, offset, 1);
    this.words = new Int32Array(buffer, offset, MESSAGE);
    this.message = new Uint8Array(buffer, offset + MESSAGE * 4, MESSAGE_BYTES);
  }

  /** Main thread: publishes a pass of `count` chunks, works on it, and returns once every chunk is done. */
  run(job: JobId, arg: number, count: number, fn: (thread: number, chunk: number) => void): void {
    if (count === 0) return;
    const w = this.words;
    this.gen = (this.gen + 1) & GEN_MASK;
    w[JOB] = job;
    w[ARG] = arg;
    Atomics.store(w, DONE, 0);
    Atomics.store(this.ticket, 0, encode(this.gen, count, 0));
    Atomics.store(w, GEN, this.gen);
    Atomics.notify(w, GEN);
    this.take(this.gen, fn);
    for (let done = spinWhile(w, DONE, (v) => v < count); done < count; done = Atomics.load(w, DONE)) Atomics.wait(w, DONE, done);
    if (Atomics.load(w, FAILED) !== 0) {
      const text = new TextDecoder().decode(this.message.slice()).replace(/\0+$/, '');
      throw new Error(`GaussianMixture: a worker thread failed: ${text}`);
    }
  }

  /** Main thread: no more passes; the workers go back to waiting for the next fit. */
  release(): void {
    Atomics.store(this.ticket, 0, 0n);
    Atomics.store(this.words, GEN, STOP);
    Atomics.notify(this.words, GEN);
    teamTotals.workerChunks += Atomics.load(this.words, BY_WORKERS);
  }

  /** Worker: takes chunks of every pass published until release (`dispatch` runs one chunk of a job). */
  serve(dispatch: (job: JobId, arg: number, thread: number, chunk: number) => void): void {
    const w = this.words;
    for (;;) {
      const gen = Atomics.load(w, GEN);
      if (gen === STOP) return;
      this.take(gen, (thread, chunk) => dispatch(w[JOB] as JobId, w[ARG]!, thread, chunk));
      if (spinWhile(w, GEN, (v) => v === gen) === gen) Atomics.wait(w, GEN, gen);
    }
  }

  /** Takes chunks of pass `gen` until none is left (or another pass began): each is claimed by one thread only. */
  private take(gen: number, fn: (thread: number, chunk: number) => void): void {
    const w = this.words;
    for (;;) {
      const t = Atomics.load(this.ticket, 0);
      const count = Number((t >> 20n) & 0xfffffn);
      const index = Number(t & 0xfffffn);
      if (Number(t >> 40n) !== gen || index >= count || Atomics.load(w, GEN) !== gen) return;
      if (Atomics.compareExchange(this.ticket, 0, t, t + 1n) !== t) continue;
      // Claimed: the pass's job and arg stay as they are until this chunk is counted done.
      if (this.thread === 0) fn(0, index);
      else {
        try {
          fn(this.thread, index);
        } catch (e) {
          this.fail(e);
        }
        Atomics.add(w, BY_WORKERS, 1);
      }
      if (Atomics.add(w, DONE, 1) + 1 === count) Atomics.notify(w, DONE);
    }
  }

  private fail(e: unknown): void {
    if (Atomics.compareExchange(this.words, FAILED, 0, 1) !== 0) return;
    const bytes = new TextEncoder().encode(e instanceof Error ? (e.stack ?? e.message) : String(e));
    this.message.set(bytes.subarray(0, MESSAGE_BYTES));
  }
}
