/**
 * Fault suite (issue 17): what a hostile user or a crash does to genlab, and what genlab must answer.
 *
 * - Run folders: every state a kill can leave (synthesised, deterministic), SIGKILLs of real training processes at
 *   seeded instants (then resume, or a fresh start where the kill came before the manifest), chained kills, two
 *   writers on one folder, stale locks: the run must end with the uninterrupted run's metrics, and no folder may be
 *   left that neither --resume nor a fresh start accepts.
 * - The listed bad inputs and their kin, through the CLI in one child process: each must end with exit status 2 and
 *   one line on stderr — no stack trace, no hang (the child is killed after a budget and the case under way named),
 *   no silent acceptance (status 0).
 * - Seeded fuzzing of the files a run reads back: state.json, manifest.json, model.json, genlab-model.json,
 *   metrics.jsonl, optimizer and weight files. Every mutation here breaks the file's schema, so each must be refused
 *   in one line.
 *
 * Each part prints `fault suite: <part>: N tried, N clean errors, 0 other` (FAULT_VERBOSE=1 prints every message).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { initEngine } from '../src/engine/backend.js';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { checkModelJson } from '../src/engine/model-check.js';
import { loadToy } from '../src/data/toy.js';
import { encodeNpy } from '../src/data/npy.js';
import { createModel, loadModel } from '../src/models/kinds.js';
import {
  LOCK_FILE,
  acquireRunLock,
  checkState,
  fit,
  parseMetrics,
  readManifest,
  readMetrics,
  resumeRun,
  runFolderState,
  type MetricsRecord,
} from '../src/train/index.js';
import { RESUME_CONFIG, RESUME_OPTIONS, TinyAutoencoder, resumeData } from './helpers/train-models.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'genlab-fault-'));
const VERBOSE = !!process.env.FAULT_VERBOSE;
/** The options of test/helpers/fault-child.ts's run: 3 epochs of 6 steps, a checkpoint after every step. */
const FAULT_OPTIONS = { ...RESUME_OPTIONS, epochs: 3, checkpointEverySteps: 1 } as const;

interface Tally {
  tried: number;
  clean: number;
  other: string[];
}
const tallies = new Map<string, Tally>();
/** What each kill left: the folder's state, or 'finished first'. */
const killStates = new Map<string, number>();
const countKill = (state: string): void => void killStates.set(state, (killStates.get(state) ?? 0) + 1);
const tally = (part: string): Tally => {
  let t = tallies.get(part);
  if (!t) tallies.set(part, (t = { tried: 0, clean: 0, other: [] }));
  return t;
};

before(async () => {
  await initEngine({ backend: 'cpu' });
});

after(() => {
  // "clean": a one-line refusal, or a run continued to exactly the uninterrupted metrics.
  for (const [part, t] of tallies) console.log(`fault suite: ${part}: ${t.tried} tried, ${t.clean} clean, ${t.other.length} other`);
  if (killStates.size > 0) console.log(`fault suite: kills left: ${[...killStates].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  rmSync(work, { recursive: true, force: true });
});

/** The numbers of metrics.jsonl, without the wall-clock fields. */
const numbers = (records: readonly MetricsRecord[]): Record<string, unknown>[] => records.map(({ time: _t, examplesPerSec: _e, ...rest }) => rest);
let dirCount = 0;
const newDir = (): string => join(work, `d${++dirCount}`);

/** A one-line GenlabError naming `names` (when given), or a failure recorded in `t`. */
function expectClean(t: Tally, what: string, e: unknown, names?: string): void {
  t.tried++;
  const ok = e instanceof GenlabError && !/[\r\n]/.test(e.message) && e.message.length < 500 && (names === undefined || e.message.includes(names));
  if (ok) t.clean++;
  else t.other.push(`${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  if (VERBOSE) console.log(what, '->', e instanceof Error ? e.message : String(e));
}

// ---- run folders ---------------------------------------------------------------------------------------------------

let baseline: Record<string, unknown>[] = [];
/** A run of FAULT_OPTIONS stopped by its signal after `steps` steps: a resumable folder mid-run. */
let stoppedRun = '';

before(async () => {
  const dir = newDir();
  const model = TinyAutoencoder.create(RESUME_CONFIG);
  await fit(model, resumeData(), { ...FAULT_OPTIONS, runDir: dir });
  model.dispose();
  baseline = numbers(await readMetrics(join(dir, 'metrics.jsonl')));
  assert.equal(baseline.length, 6);
  stoppedRun = newDir();
  const controller = new AbortController();
  const m2 = TinyAutoencoder.create(RESUME_CONFIG);
  await fit(m2, resumeData(), { ...FAULT_OPTIONS, runDir: stoppedRun, signal: controller.signal, callbacks: [{ onBatchEnd: (step) => void (step === 9 && controller.abort()) }] });
  m2.dispose();
});

/** Finishes the run in `dir` as the CLI would (resume when resumable, else start afresh) and checks its metrics. */
async function finishRun(dir: string, what: string): Promise<void> {
  const state = runFolderState(dir);
  assert.notEqual(state, 'foreign', `${what}: folder left unusable (${existsSync(dir) ? readdirSync(dir).join(', ') : ''})`);
  if (state === 'resumable') {
    const { model } = await resumeRun(dir, resumeData(), { loadModel: (d) => TinyAutoencoder.load(d) });
    model.dispose();
  } else {
    const model = TinyAutoencoder.create(RESUME_CONFIG);
    await fit(model, resumeData(), { ...FAULT_OPTIONS, runDir: dir });
    model.dispose();
  }
  assert.deepEqual(numbers(await readMetrics(join(dir, 'metrics.jsonl'))), baseline, `${what} (${state}): metrics differ from the uninterrupted run`);
  const left = readdirSync(dir).filter((n) => n.startsWith('.') || n.endsWith('.old'));
  assert.deepEqual(left, [], `${what}: leftovers after the run finished`);
  assert.equal((await readManifest(dir)).status, 'finished');
}

/** The pid of a process that has exited (for stale locks). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}
const staleLock = (): string => `${JSON.stringify({ pid: deadPid(), host: hostname(), since: '2020-01-01T00:00:00.000Z' })}\n`;

test('run folder: every state a kill can leave is continued or reused, with the uninterrupted metrics', async () => {
  const lock = staleLock();
  const fresh = (setup: (dir: string) => void) => (): string => {
    const dir = newDir();
    mkdirSync(dir, { recursive: true });
    setup(dir);
    return dir;
  };
  const fromStopped = (setup: (dir: string) => void) => (): string => {
    const dir = newDir();
    cpSync(stoppedRun, dir, { recursive: true });
    setup(dir);
    return dir;
  };
  const cases: Record<string, () => string> = {
    'killed after mkdir': fresh(() => {}),
    'killed after taking the lock': fresh((d) => writeFileSync(join(d, LOCK_FILE), lock)),
    'killed while writing the lock': fresh((d) => writeFileSync(join(d, LOCK_FILE), '{"pid":')),
    'killed while writing the first checkpoint': fresh((d) => {
      writeFileSync(join(d, LOCK_FILE), lock);
      mkdirSync(join(d, '.checkpoint.tmp-123-456/model'), { recursive: true });
      writeFileSync(join(d, '.checkpoint.tmp-123-456/optimizer-0.bin'), 'half');
    }),
    'killed after the first checkpoint': fresh((d) => {
      writeFileSync(join(d, LOCK_FILE), lock);
      cpSync(join(stoppedRun, 'checkpoint'), join(d, 'checkpoint'), { recursive: true });
    }),
    'killed while writing the manifest': fresh((d) => {
      cpSync(join(stoppedRun, 'checkpoint'), join(d, 'checkpoint'), { recursive: true });
      writeFileSync(join(d, '.manifest.json.tmp-123'), '{"vers');
    }),
    'an older genlab killed between manifest and first checkpoint': fresh((d) => {
      cpSync(join(stoppedRun, 'manifest.json'), join(d, 'manifest.json'));
      mkdirSync(join(d, '.checkpoint.tmp-1-2'));
    }),
    'killed between the two renames of a checkpoint': fromStopped((d) => renameSync(join(d, 'checkpoint'), join(d, 'checkpoint.old'))),
    'killed before the old checkpoint was removed': fromStopped((d) => {
      cpSync(join(d, 'checkpoint'), join(d, 'checkpoint.old'), { recursive: true });
      mkdirSync(join(d, '.checkpoint.tmp-9-9'));
      writeFileSync(join(d, LOCK_FILE), lock);
    }),
    'killed while writing best/ and metrics': fromStopped((d) => {
      mkdirSync(join(d, '.best.tmp-9-9/encoder'), { recursive: true });
      if (existsSync(join(d, 'best'))) renameSync(join(d, 'best'), join(d, 'best.old'));
      writeFileSync(join(d, '.metrics.jsonl.tmp-9'), 'x');
      writeFileSync(join(d, `${LOCK_FILE}.stale-1-2`), lock);
    }),
    'killed after metrics were appended past the checkpoint': fromStopped((d) => {
      writeFileSync(join(d, 'metrics.jsonl'), `${readFileSync(join(d, 'metrics.jsonl'), 'utf8')}{"epoch":2,"step":12,"split":"train","loss":9}\n{"epoch":2,"st`);
    }),
  };
  const t = tally('run-folder states');
  for (const [what, make] of Object.entries(cases)) {
    t.tried++;
    await finishRun(make(), what);
    t.clean++;
  }
  // A folder of someone else's files is refused, untouched.
  const foreign = newDir();
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'notes.txt'), 'mine');
  const model = TinyAutoencoder.create(RESUME_CONFIG);
  await assert.rejects(fit(model, resumeData(), { ...FAULT_OPTIONS, runDir: foreign }), (e: unknown) => (expectClean(t, 'foreign folder', e, foreign), true));
  model.dispose();
  assert.deepEqual(readdirSync(foreign), ['notes.txt']);
  assert.deepEqual(t.other, []);
});

/** Starts fault-child.ts in `mode` on `dir`, SIGKILLs it `delayMs` after it prints `ready`; true if it finished first. */
function killAt(dir: string, mode: 'fresh' | 'resume', delayMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/fault-child.ts', dir, mode], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000); // hang detector
    child.stdout.on('data', (b: Buffer) => {
      out += String(b);
      if (!timer && out.includes('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (b: Buffer) => (err += String(b)));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (signal === 'SIGKILL') return resolve(false);
      if (code === 0 && out.includes('"status":"finished"')) return resolve(true);
      reject(new Error(`fault child ${mode} exited with ${code}: ${err}`));
    });
  });
}

test('run folder: SIGKILL at seeded instants, then resume (or a fresh start), gives the uninterrupted metrics', async () => {
  const rng = new Rng(1717);
  // Early instants aim at the start (lock, first checkpoint, manifest: the synthesised states above cover every one of
  // them too); the others anywhere in the ~300 ms run.
  const delays = [0, 5, 40 + rng.int(260), 40 + rng.int(260)];
  const t = tally('kills');
  for (const delay of delays) {
    const dir = newDir();
    const finished = await killAt(dir, 'fresh', delay);
    t.tried++;
    countKill(finished ? 'finished first' : runFolderState(dir));
    await finishRun(dir, `kill at ${delay} ms`);
    t.clean++;
  }
  // Chained: killed, continued by another process that is killed in turn, then finished here.
  for (const [a, b] of [[30 + rng.int(200), rng.int(200)]] as const) {
    const dir = newDir();
    countKill((await killAt(dir, 'fresh', a)) ? 'finished first' : runFolderState(dir));
    t.tried++;
    const state = runFolderState(dir);
    assert.notEqual(state, 'foreign');
    countKill((await killAt(dir, state === 'resumable' ? 'resume' : 'fresh', b)) ? 'finished first' : runFolderState(dir));
    await finishRun(dir, `kills at ${a} ms, then ${b} ms`);
    t.clean++;
  }
});

test('run folder: one writer at a time; a stale lock is taken over, a live one refused in one line', async () => {
  const t = tally('two writers');
  // In one process: a second lock on the same folder is refused while the first is held.
  const dir = newDir();
  mkdirSync(dir);
  const held = acquireRunLock(dir);
  try {
    assert.throws(() => acquireRunLock(dir), (e: unknown) => (expectClean(t, 'second lock, same process', e, 'in use by another genlab process'), true));
  } finally {
    held.release();
  }
  assert.ok(!existsSync(join(dir, LOCK_FILE)), 'release removes the lock');
  // A lock of a dead process is taken over.
  writeFileSync(join(dir, LOCK_FILE), staleLock());
  acquireRunLock(dir).release();

  // Two processes: the first holds the run (paused at step 2), the second (a resume) is refused while it does.
  const run = newDir();
  const first = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/fault-child.ts', run, 'hold'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const firstDone = new Promise<number | null>((resolve) => first.on('exit', (code) => resolve(code)));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('the first writer never reached step 2')), 60_000);
    first.stdout.on('data', (b: Buffer) => {
      out += String(b);
      if (out.includes('holding\n')) {
        clearTimeout(guard);
        resolve();
      }
    });
  });
  const second = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/fault-child.ts', run, 'resume'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  writeFileSync(`${run}.release`, '');
  t.tried++;
  const line = second.stderr.trim();
  if (second.status === 2 && !line.includes('\n') && line.includes(`in use by another genlab process (pid ${first.pid}`)) t.clean++;
  else t.other.push(`second writer: status ${second.status}, stderr ${second.stderr}`);
  assert.equal(await firstDone, 0);
  assert.deepEqual(numbers(await readMetrics(join(run, 'metrics.jsonl'))), baseline, 'the first writer\'s run is whole, no line twice');
  assert.deepEqual(t.other, []);
});

// ---- the CLI on bad inputs --------------------------------------------------------------------------------------

/** A tiny VAE run on ring8 written through the library, as `genlab train vae` writes it. */
async function vaeRun(dir: string): Promise<void> {
  const data = loadToy('ring8', { trainCount: 64, testCount: 16, seed: 0 });
  const model = createModel('vae', { hidden: [8], latent: 2 }, { shape: data.train.shape, kind: 'points' }, new Rng(1));
  await fit(model, data, { epochs: 2, batchSize: 32, runDir: dir, seed: 0, dataInfo: { limit: 64, testLimit: 16 } });
  model.dispose();
}

const json = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const writeJson = (file: string, value: unknown): void => writeFileSync(file, JSON.stringify(value));

function pngFile(width: number, height: number): Buffer {
  const img = new PNG({ width, height });
  img.data.fill(200);
  return PNG.sync.write(img);
}

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG chunk with a correct CRC. */
function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** The PNG of `width`×`height` with its IDAT chunks replaced by `idat` (null: none), CRCs correct. */
function pngWithIdat(width: number, height: number, idat: Uint8Array | null): Buffer {
  const png = pngFile(width, height);
  const ihdr = png.subarray(8, 33);
  return Buffer.concat([png.subarray(0, 8), ihdr, ...(idat ? [chunk('IDAT', idat)] : []), chunk('IEND', new Uint8Array(0))]);
}

test('CLI: every listed bad input and its kin get one line and exit status 2 (no stack trace, no hang)', async () => {
  const run = join(work, 'vae-run');
  await vaeRun(run);
  const copy = (name: string, edit: (dir: string) => void): string => {
    const dir = join(work, 'cli', name);
    cpSync(run, dir, { recursive: true });
    edit(dir);
    return dir;
  };
  const state = (dir: string): string => join(dir, 'checkpoint/state.json');
  const editState = (name: string, edit: (s: Record<string, Record<string, unknown>>) => void): string =>
    copy(name, (d) => {
      const s = json(state(d)) as Record<string, Record<string, unknown>>;
      edit(s);
      writeJson(state(d), s);
    });
  const files = join(work, 'files');
  mkdirSync(files, { recursive: true });
  const f = (name: string): string => join(files, name);
  const rng = new Rng(99);

  // Data inputs.
  spawnSync('mkfifo', [f('fifo.csv')]);
  spawnSync('mkfifo', [f('fifo.npy')]);
  symlinkSync('/dev/zero', f('zero.csv'));
  writeFileSync(f('bad-header.csv'), '1,O\n2,3\n4,5\n');
  const imageFolder = (name: string, bytes: Uint8Array, ext = 'png'): string => {
    const dir = f(name);
    mkdirSync(dir);
    writeFileSync(join(dir, `b.${ext}`), bytes);
    return dir;
  };
  const raw = new Uint8Array(4 * (1 + 4 * 4)); // 4×4 RGBA scanlines, filter 0
  const { deflateSync } = await import('node:zlib');
  const jpg = new Uint8Array(jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(256, 128) }, 90).data);
  const sof = jpg.findIndex((x, i) => x === 0xff && jpg[i + 1] === 0xc0);
  const progressive = jpg.slice();
  progressive[sof + 1] = 0xc2; // a baseline JPEG marked progressive
  const forged = (w: number, h: number): Buffer => {
    const p = Buffer.from(pngFile(4, 4));
    p.writeUInt32BE(w, 16);
    p.writeUInt32BE(h, 20);
    p.writeUInt32BE(crc32(p.subarray(12, 29)), 29);
    return p;
  };
  const big = f('big-folder');
  mkdirSync(big);
  for (let i = 0; i < 6; i++) writeFileSync(join(big, `${i}.png`), forged(8000, 8000));
  const fifoFolder = f('fifo-folder');
  mkdirSync(fifoFolder);
  writeFileSync(join(fifoFolder, 'a.png'), pngFile(4, 4));
  spawnSync('mkfifo', [join(fifoFolder, 'b.png')]);
  // A valid-looking 1 GiB .npy: its header, then a sparse file (no disk used) of the right size.
  const header = encodeNpy([1], new Float32Array(1));
  const text = new TextDecoder('latin1').decode(header.subarray(10, 10 + header[8]!));
  const hugeHeader = text.replace('(1,)', '(268435456,)');
  const h = new Uint8Array(10 + hugeHeader.length);
  h.set(header.subarray(0, 8));
  new DataView(h.buffer).setUint16(8, hugeHeader.length, true);
  h.set(new TextEncoder().encode(hugeHeader), 10);
  writeFileSync(f('big.npy'), h);
  truncateSync(f('big.npy'), h.length + 268435456 * 4);
  const npyHeaderBomb = new Uint8Array(12 + 8);
  npyHeaderBomb.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
  new DataView(npyHeaderBomb.buffer).setUint32(8, 0xfffffff0, true);
  writeFileSync(f('header-bomb.npy'), npyHeaderBomb);

  const cases: { name: string; argv: string[] }[] = [
    // --out
    { name: '--out /etc/hostname', argv: ['train', 'vae', '--data', 'ring8', '--out', '/etc/hostname'] },
    { name: '--out /dev/null', argv: ['train', 'vae', '--data', 'ring8', '--out', '/dev/null'] },
    { name: "--out ''", argv: ['train', 'vae', '--data', 'ring8', '--out', ''] },
    { name: '--out /proc/x', argv: ['train', 'vae', '--data', 'ring8', '--out', '/proc/x'] },
    { name: '--out /sys/x/y', argv: ['train', 'vae', '--data', 'ring8', '--out', '/sys/x/y'] },
    { name: '--out under a file', argv: ['train', 'vae', '--data', 'ring8', '--out', '/etc/hostname/run'] },
    { name: '--out a folder of other files', argv: ['train', 'vae', '--data', 'ring8', '--out', files] },
    // counts
    { name: '--latent 1000000000', argv: ['train', 'vae', '--data', 'ring8', '--out', join(work, 'cli-new-1'), '--latent', '1000000000', '--limit', '64'] },
    { name: '--hidden 1000000000', argv: ['train', 'vae', '--data', 'ring8', '--out', join(work, 'cli-new-2'), '--hidden', '1000000000', '--limit', '64'] },
    { name: 'data info moons --size 100000', argv: ['data', 'info', 'moons', '--size', '100000'] },
    { name: 'data info moons --size 2000', argv: ['data', 'info', 'moons', '--size', '2000'] },
    { name: 'sample -n 1000000000', argv: ['sample', run, '-n', '1000000000', '--out', join(work, 's.npy')] },
    { name: 'eval --iw-k 1000000000', argv: ['eval', run, '--iw-k', '1000000000'] },
    { name: 'eval --samples 1000000000', argv: ['eval', run, '--samples', '1000000000'] },
    { name: 'eval --limit 1000000000', argv: ['eval', run, '--limit', '1000000000'] },
    { name: 'eval --temperature 1.5 of a vae', argv: ['eval', run, '--temperature', '1.5'] },
    { name: 'reconstruct -n 1000000000', argv: ['reconstruct', run, '-n', '1000000000', '--out', join(work, 'r.png')] },
    // checkpoint files
    { name: 'truncated optimizer-0.bin', argv: ['train', 'vae', '--out', copy('opt-trunc', (d) => truncateSync(join(d, 'checkpoint/optimizer-0.bin'), 24)), '--resume'] },
    { name: 'optimizer-0.bin with extra bytes', argv: ['train', 'vae', '--out', copy('opt-long', (d) => writeFileSync(join(d, 'checkpoint/optimizer-0.bin'), Buffer.concat([readFileSync(join(d, 'checkpoint/optimizer-0.bin')), Buffer.alloc(8)]))), '--resume'] },
    { name: 'state.json garbage RNG state', argv: ['train', 'vae', '--out', editState('rng-garbage', (s) => (s['rng'] = { s: 'garbage', spareNormal: null })), '--resume'] },
    { name: 'state.json all-zero RNG state', argv: ['train', 'vae', '--out', editState('rng-zero', (s) => (s['rng']!['s'] = [0, 0, 0, 0])), '--resume'] },
    { name: 'state.json non-array metrics', argv: ['train', 'vae', '--out', editState('metrics-obj', (s) => ((s as Record<string, unknown>)['metrics'] = { a: 1 })), '--resume'] },
    { name: 'state.json "step":"20"', argv: ['train', 'vae', '--out', editState('step-string', (s) => (s['progress']!['step'] = '20')), '--resume'] },
    { name: 'state.json "step":-1e12', argv: ['train', 'vae', '--out', editState('step-negative', (s) => (s['progress']!['step'] = -1e12)), '--resume'] },
    { name: 'state.json step past the plan', argv: ['train', 'vae', '--out', editState('step-past', (s) => (s['progress']!['step'] = 1e9)), '--resume'] },
    { name: 'state.json not JSON', argv: ['train', 'vae', '--out', copy('state-text', (d) => writeFileSync(state(d), '{"version":1,')), '--resume'] },
    { name: 'state.json missing', argv: ['train', 'vae', '--out', copy('state-missing', (d) => rmSync(state(d))), '--resume'] },
    { name: 'state.json other loss groups', argv: ['train', 'vae', '--out', editState('groups', (s) => ((s as unknown as { optimizers: { group: string }[] }).optimizers[0]!.group = 'generator')), '--resume'] },
    { name: 'manifest.json status 7', argv: ['train', 'vae', '--out', copy('manifest-status', (d) => writeJson(join(d, 'manifest.json'), { ...json(join(d, 'manifest.json')), status: 7 })), '--resume'] },
    { name: 'manifest.json epoch "1"', argv: ['train', 'vae', '--out', copy('manifest-epoch', (d) => writeJson(join(d, 'manifest.json'), { ...json(join(d, 'manifest.json')), epoch: '1' })), '--resume'] },
    { name: 'manifest.json not JSON', argv: ['train', 'vae', '--out', copy('manifest-text', (d) => writeFileSync(join(d, 'manifest.json'), '{')), '--resume'] },
    { name: 'checkpoint weights.bin truncated', argv: ['train', 'vae', '--out', copy('ckpt-weights', (d) => truncateSync(join(d, 'checkpoint/model/encoder/weights.bin'), 10)), '--resume'] },
    // saved models
    {
      name: 'genlab-model.json sizes disagree with its networks',
      argv: ['sample', copy('sizes', (d) => {
        const file = join(d, 'model/genlab-model.json');
        const m = json(file) as { config: Record<string, unknown> };
        m.config['latent'] = 5;
        writeJson(file, m);
      }), '--out', join(work, 'x.npy')],
    },
    { name: 'genlab-model.json dataShape [3]', argv: ['sample', copy('shape', (d) => writeJson(join(d, 'model/genlab-model.json'), { ...json(join(d, 'model/genlab-model.json')), dataShape: [3] })), '--out', join(work, 'x.npy')] },
    { name: 'genlab-model.json latent "abc"', argv: ['sample', copy('latent-text', (d) => {
      const file = join(d, 'model/genlab-model.json');
      const m = json(file) as { config: Record<string, unknown> };
      m.config['latent'] = 'abc';
      writeJson(file, m);
    }), '--out', join(work, 'x.npy')] },
    { name: 'genlab-model.json huge dataShape', argv: ['sample', copy('shape-huge', (d) => writeJson(join(d, 'model/genlab-model.json'), { ...json(join(d, 'model/genlab-model.json')), dataShape: [100000, 100000] })), '--out', join(work, 'x.npy')] },
    {
      name: 'model.json with a layer cycle',
      argv: ['sample', copy('cycle', (d) => {
        const file = join(d, 'model/decoder/model.json');
        const m = json(file) as { modelTopology: { config: { layers: { name: string; inbound_nodes: unknown[] }[] } } };
        const layers = m.modelTopology.config.layers;
        layers[1]!.inbound_nodes = [[[layers[layers.length - 1]!.name, 0, 0, {}]]];
        writeJson(file, m);
      }), '--out', join(work, 'x.npy')],
    },
    {
      name: 'model.json referring to a missing layer',
      argv: ['sample', copy('missing-layer', (d) => {
        const file = join(d, 'model/decoder/model.json');
        const m = json(file) as { modelTopology: { config: { layers: { inbound_nodes: unknown[] }[] } } };
        m.modelTopology.config.layers[1]!.inbound_nodes = [[['nowhere', 0, 0, {}]]];
        writeJson(file, m);
      }), '--out', join(work, 'x.npy')],
    },
    {
      name: 'model.json weight of shape [-1]',
      argv: ['sample', copy('weight-shape', (d) => {
        const file = join(d, 'model/decoder/model.json');
        const m = json(file) as { weightsManifest: { weights: { shape: number[] }[] }[] };
        m.weightsManifest[0]!.weights[0]!.shape = [-1];
        writeJson(file, m);
      }), '--out', join(work, 'x.npy')],
    },
    { name: 'model.json not JSON', argv: ['sample', copy('model-text', (d) => writeFileSync(join(d, 'model/decoder/model.json'), '{"modelTopology"')), '--out', join(work, 'x.npy')] },
    { name: 'all-NaN weights', argv: ['sample', copy('nan', (d) => writeFileSync(join(d, 'model/decoder/weights.bin'), Buffer.from(new Float32Array(readFileSync(join(d, 'model/decoder/weights.bin')).length / 4).fill(NaN).buffer))), '--out', join(work, 'x.npy')] },
    { name: 'one infinite weight', argv: ['sample', copy('inf', (d) => {
      const file = join(d, 'model/encoder/weights.bin');
      const w = readFileSync(file);
      w.writeFloatLE(Infinity, 4 * rng.int(w.length / 4));
      writeFileSync(file, w);
    }), '--out', join(work, 'x.npy')] },
    // data files
    { name: 'FIFO as CSV', argv: ['data', 'info', f('fifo.csv')] },
    { name: 'FIFO as .npy', argv: ['data', 'info', f('fifo.npy')] },
    { name: 'symlink to /dev/zero as CSV', argv: ['data', 'info', f('zero.csv')] },
    { name: 'corrupt first CSV row 1,O', argv: ['data', 'info', f('bad-header.csv')] },
    { name: 'valid 1 GiB .npy', argv: ['data', 'info', f('big.npy')] },
    { name: '.npy with a 4 GiB header', argv: ['data', 'info', f('header-bomb.npy')] },
    { name: 'PNG without IDAT', argv: ['data', 'info', imageFolder('no-idat', pngWithIdat(4, 4, null))] },
    { name: 'PNG with random IDAT', argv: ['data', 'info', imageFolder('random-idat', pngWithIdat(4, 4, Uint8Array.from({ length: 40 }, () => rng.int(256))))] },
    { name: 'PNG with too little IDAT data', argv: ['data', 'info', imageFolder('little-idat', pngWithIdat(4, 4, deflateSync(raw.subarray(0, 30))))] },
    { name: 'PNG with a cut IDAT stream', argv: ['data', 'info', imageFolder('cut-idat', pngWithIdat(4, 4, deflateSync(raw).subarray(0, 8)))] },
    { name: 'baseline JPEG marked progressive', argv: ['data', 'info', imageFolder('progressive', progressive, 'jpg')] },
    { name: 'JPEG cut short', argv: ['data', 'info', imageFolder('cut-jpeg', jpg.subarray(0, jpg.length - 40), 'jpg')] },
    { name: 'six 8000×8000 PNGs in one folder', argv: ['data', 'info', big] },
    { name: 'FIFO named b.png in an image folder', argv: ['data', 'info', fifoFolder] },
  ];
  const casesFile = join(work, 'cases.json');
  writeFileSync(casesFile, JSON.stringify(cases));
  const budgetMs = 90_000;
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/cli-cases.ts', casesFile], { cwd: root, encoding: 'utf8', timeout: budgetMs, maxBuffer: 64 * 2 ** 20 });
  const lines = child.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { start?: string; name?: string; code?: number; stderr?: string; ms?: number });
  const t = tally('CLI bad inputs');
  const results = lines.filter((l) => l.name !== undefined);
  const hung = child.error || child.signal ? lines.at(-1)?.start : undefined;
  for (const c of cases) {
    const r = results.find((x) => x.name === c.name);
    t.tried++;
    if (!r) {
      t.other.push(`${c.name}: ${hung === c.name ? `hang (killed after ${budgetMs / 1000} s)` : 'not run'}`);
      continue;
    }
    // Progress notes may come first; the error is the last line, and nothing may look like a stack trace.
    const stderr = r.stderr!.trimEnd();
    const last = stderr.split('\n').at(-1)!;
    const oneLine = /^genlab: \S/.test(last) && !stderr.includes('internal error') && !/\n\s+at /.test(stderr);
    if (VERBOSE) console.log(`${c.name} -> ${r.code} ${last} (${r.ms} ms)`);
    if (r.code === 2 && oneLine) t.clean++;
    else t.other.push(`${c.name}: ${r.code === 0 ? 'silently accepted' : /\n\s+at /.test(stderr) ? 'stack trace' : `exit ${r.code}`}: ${stderr.slice(0, 600)}`);
  }
  assert.deepEqual(t.other, [], t.other.join('\n'));
});

// ---- fuzzing the files a run reads back ------------------------------------------------------------------------

/** Values that are never valid for a field of the given kind. */
const BAD: Record<string, unknown[]> = {
  count: ['20', -1, -1e12, 1.5, null, true, [], {}, 2 ** 60],
  word: ['1', -1e12, 1.5, null, 2 ** 40, {}],
  seconds: ['1', -1, null, [], {}],
  record: ['x', 5, null, [1]],
  list: ['x', 5, null, { a: 1 }],
  string: [1, null, [], {}],
};

/** Sets `path` (dot-separated; numbers index lists) of a deep copy of `value` to `v`. */
function mutate(value: unknown, path: string, v: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys.at(-1)!] = v;
  return copy;
}

test('fuzz: state.json, manifest.json, metrics.jsonl and optimizer files are refused in one line when broken', async () => {
  const t = tally('run files');
  const stateFile = join(stoppedRun, 'checkpoint/state.json');
  const good = json(stateFile);
  assert.doesNotThrow(() => checkState(good, stateFile));
  const fields: [string, keyof typeof BAD | unknown[]][] = [
    ['version', ['1', 0, 99, 1.5, null]],
    ['progress', 'record'],
    ['progress.epoch', 'count'],
    ['progress.step', 'count'],
    ['progress.batchInEpoch', 'count'],
    ['progress.examples', 'count'],
    ['progress.shuffleSeed', ['20', -1, 1.5, 2 ** 33, true]],
    ['progress.sums', ['x', [], { loss: '1' }, { loss: null }]],
    ['progress.epochSeconds', 'seconds'],
    ['progress.seconds', 'seconds'],
    ['rng', 'record'],
    ['rng.s', ['garbage', [1, 2, 3], [0, 0, 0, 0], [1.5, 1, 1, 1], ['1', 1, 1, 1], null, {}]],
    ['rng.s.2', 'word'],
    ['rng.spareNormal', ['x', true, {}]],
    ['optimizers', 'list'],
    ['optimizers.0', ['x', null, {}, { group: 1, state: {} }]],
    ['optimizers.0.group', 'string'],
    ['optimizers.0.state.specs', ['x', null, [{ name: '0', shape: [-1], dtype: 'float32' }], [{ name: '0', shape: [2], dtype: 'complex64' }]]],
    ['optimizers.0.state.specs.0.shape', [[-1], ['1'], 'x', [2 ** 20, 2 ** 20]]],
    ['optimizers.0.state.names', ['x', [], [1]]],
    ['optimizers.0.state.extra', [[], { accBeta1: 'x' }, null]],
    ['metrics', ['x', 5, null, { a: 1 }, [{}], [{ epoch: '1', step: 0, split: 'train' }], [{ epoch: 99, step: 0, split: 'train' }], [{ epoch: 1, step: 0, split: 'valid' }]]],
    ['metrics.0.epoch', 'count'],
    ['metrics.0.split', ['x', 1, null]],
  ];
  const rng = new Rng(4242);
  for (const [path, kind] of fields) {
    const values = Array.isArray(kind) ? kind : BAD[kind]!;
    for (const v of values) {
      if (path === 'progress.epoch' && v === 2 ** 60) continue; // covered by the others
      const what = `state.json ${path} = ${JSON.stringify(v)}`;
      try {
        checkState(mutate(good, path, v), stateFile);
        t.tried++;
        t.other.push(`${what}: silently accepted`);
      } catch (e) {
        expectClean(t, what, e, stateFile);
      }
    }
  }

  // manifest.json, through readManifest on a copy of the folder.
  const manifestDir = newDir();
  mkdirSync(manifestDir);
  const manifest = json(join(stoppedRun, 'manifest.json'));
  const manifestFields: [string, unknown[]][] = [
    ['status', [7, 'paused', null]],
    ['epoch', BAD['count']!],
    ['step', ['1', -1, 1.5, null]],
    ['seed', ['0', 1.5, null]],
    ['data', ['x', {}, { name: 1 }]],
    ['data.shape', [[], [0], ['1'], [1, 2, 3, 4, 5], 'x']],
    ['data.trainCount', ['1', -1, null]],
    ['data.limit', ['1', -1]],
    ['options', ['x', null, []]],
    ['config', ['x', null]],
    ['best', [{ epoch: 1 }, { epoch: 1, split: 'x', metric: 'loss', value: 1 }, 'x']],
    ['backend', [1, null]],
    ['kind', [1, null]],
    ['version', ['1', 99]],
  ];
  for (const [path, values] of manifestFields) {
    for (const v of values) {
      writeJson(join(manifestDir, 'manifest.json'), mutate(manifest, path, v));
      const what = `manifest.json ${path} = ${JSON.stringify(v)}`;
      try {
        await readManifest(manifestDir);
        t.tried++;
        t.other.push(`${what}: silently accepted`);
      } catch (e) {
        expectClean(t, what, e, manifestDir);
      }
    }
  }
  writeFileSync(join(manifestDir, 'manifest.json'), Buffer.from(Uint8Array.from({ length: 200 }, () => rng.int(256))));
  await readManifest(manifestDir).then(
    () => t.other.push('random manifest.json: accepted'),
    (e: unknown) => expectClean(t, 'random manifest.json', e),
  );

  // metrics.jsonl: a broken line before the last is an error; a half-written last line is not.
  for (const text of ['{"epoch":1}\n{"epo\n{"epoch":2}\n', '{"epoch":1}\n[1,2]\n\n{"epoch":2}\n', 'null\n{"epoch":1}\n']) {
    try {
      parseMetrics(text, 'metrics.jsonl');
      t.tried++;
      t.other.push(`metrics ${JSON.stringify(text)}: silently accepted`);
    } catch (e) {
      expectClean(t, `metrics ${JSON.stringify(text)}`, e, 'metrics.jsonl');
    }
  }

  // Optimizer files cut at seeded lengths: resume refuses each.
  for (let k = 0; k < 3; k++) {
    const dir = newDir();
    cpSync(stoppedRun, dir, { recursive: true });
    const file = join(dir, 'checkpoint/optimizer-0.bin');
    const length = readFileSync(file).length;
    truncateSync(file, rng.int(length));
    await resumeRun(dir, resumeData(), { loadModel: (d) => TinyAutoencoder.load(d) }).then(
      (r) => (r.model.dispose(), t.other.push(`optimizer file cut: accepted`)),
      (e: unknown) => expectClean(t, `optimizer-0.bin cut`, e, 'optimizer-0.bin'),
    );
    assert.equal(runFolderState(dir), 'resumable', 'a refused resume leaves the folder as it was');
  }
  assert.deepEqual(t.other, [], t.other.join('\n'));
});

test('fuzz: model.json topologies and genlab-model.json configs are refused in one line when broken', async () => {
  const t = tally('model files');
  const run = join(work, 'vae-run');
  if (!existsSync(run)) await vaeRun(run);
  const modelFile = join(run, 'model/decoder/model.json');
  const good = json(modelFile);
  assert.doesNotThrow(() => checkModelJson(modelFile, good));
  const layers = (good['modelTopology'] as { config: { layers: { name: string }[] } }).config.layers;
  const last = layers[layers.length - 1]!.name;
  const mutations: [string, unknown][] = [
    ['weightsManifest', 'x'],
    ['weightsManifest', [{}]],
    ['weightsManifest', [{ paths: 'x', weights: [] }]],
    ['weightsManifest', [{ paths: ['../../etc/passwd'], weights: [] }]],
    ['weightsManifest', [{ paths: ['/etc/passwd'], weights: [] }]],
    ['weightsManifest.0.weights.0.shape', [-1]],
    ['weightsManifest.0.weights.0.shape', ['a']],
    ['weightsManifest.0.weights.0.shape', [2 ** 20, 2 ** 20]],
    ['weightsManifest.0.weights.0.dtype', 'complex64'],
    ['weightsManifest.0.weights.0.name', 7],
    ['modelTopology', 'x'],
    ['modelTopology.config.layers', 'x'],
    ['modelTopology.config.layers.1.inbound_nodes', [[[last, 0, 0, {}]]]],
    ['modelTopology.config.layers.1.inbound_nodes', [[['nowhere', 0, 0, {}]]]],
    ['modelTopology.config.layers.1.inbound_nodes', [[[layers[0]!.name, 5, 0, {}]]]],
    ['modelTopology.config.layers.1.inbound_nodes', [[[layers[0]!.name, '0', 0, {}]]]],
    ['modelTopology.config.layers.1.inbound_nodes', 'x'],
    ['modelTopology.config.layers.1.name', layers[0]!.name],
    ['modelTopology.config.layers.1.class_name', 5],
    ['modelTopology.config.output_layers', [['nowhere', 0, 0]]],
    ['modelTopology.config.input_layers', 'x'],
    ['modelTopology.class_name', null],
  ];
  for (const [path, v] of mutations) {
    const what = `model.json ${path} = ${JSON.stringify(v)}`;
    try {
      checkModelJson(modelFile, mutate(good, path, v));
      t.tried++;
      t.other.push(`${what}: silently accepted`);
    } catch (e) {
      expectClean(t, what, e, modelFile);
    }
  }

  // genlab-model.json: loadModel on a copy with one field broken.
  const configFile = 'model/genlab-model.json';
  const config = json(join(run, configFile));
  const configMutations: [string, unknown][] = [
    ['config.latent', 'abc'],
    ['config.latent', 1e9],
    ['config.latent', -1],
    ['config.latent', 1.5],
    ['config.latent', 5],
    ['config.hidden', 'x'],
    ['config.hidden', [0]],
    ['config.hidden', [1e9]],
    ['config.hidden', new Array(20).fill(8)],
    ['config.hidden', [9]],
    ['config.arch', 'x'],
    ['config.decoder', 7],
    ['config.beta', 'x'],
    ['dataShape', [0]],
    ['dataShape', [1e9, 1e9]],
    ['dataShape', ['1']],
    ['dataShape', [3]],
    ['dataKind', 'x'],
    ['classes', [1]],
    ['format', 'x'],
    ['version', 2],
    ['kind', 'zzz'],
  ];
  for (const [path, v] of configMutations) {
    const dir = newDir();
    cpSync(join(run, 'model'), dir, { recursive: true });
    writeJson(join(dir, 'genlab-model.json'), mutate(config, path, v));
    const what = `genlab-model.json ${path} = ${JSON.stringify(v)}`;
    await loadModel(dir).then(
      (m) => (m.dispose(), t.tried++, t.other.push(`${what}: silently accepted`)),
      (e: unknown) => expectClean(t, what, e, dir),
    );
  }
  // Weight files cut or filled with NaN.
  for (const [what, edit] of [
    ['weights.bin cut', (file: string) => truncateSync(file, 7)],
    ['weights.bin NaN', (file: string) => writeFileSync(file, Buffer.from(new Float32Array(readFileSync(file).length / 4).fill(NaN).buffer))],
    ['weights.bin missing', (file: string) => rmSync(file)],
  ] as const) {
    const dir = newDir();
    cpSync(join(run, 'model'), dir, { recursive: true });
    edit(join(dir, 'encoder/weights.bin'));
    await loadModel(dir).then(
      (m) => (m.dispose(), t.tried++, t.other.push(`${what}: silently accepted`)),
      (e: unknown) => expectClean(t, what, e),
    );
  }
  assert.deepEqual(t.other, [], t.other.join('\n'));
});
