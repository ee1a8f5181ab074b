/**
 * The run folder a training run writes and the lab's board reads (see docs/ARCHITECTURE.md):
 *
 * ```
 * runs/NAME/
 *   manifest.json    RunManifest, replaced atomically at every change of status, epoch or best
 *   checkpoint/      the last good checkpoint (see checkpoint.ts; replaced atomically): what --resume continues
 *   best/            the model of the best epoch so far (manifest.best says which), replaced atomically
 *   model/           the final model (model.save), written when the run finishes or stops
 *   metrics.jsonl    one MetricsRecord per line, appended and flushed line by line
 *   samples/         epoch-0001.png … from one fixed noise seed; recon/epoch-0001.png …
 *   .lock            held by the one process writing the folder (run-lock.ts)
 * ```
 *
 * A folder is always in one of these states, whatever instant a run is killed at (`runFolderState`):
 * - `new`: absent or empty;
 * - `unstarted`: only what a start killed before its manifest leaves (a stale lock, the first checkpoint, temporary
 *   folders): a fresh start reuses it, clearing them;
 * - `resumable`: manifest.json and a checkpoint — the first checkpoint is written before the manifest, so a manifest
 *   never exists without one: `resumeRun` continues it (temporary folders are removed then);
 * - `foreign`: anything else (files that are not a run's): refused, never overwritten.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, statfsSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GenlabError, badFile, badInput } from '../engine/errors.js';
import { writeFileAtomically } from '../engine/model-io.js';
import { readBytes } from '../data/idx.js';
import { LOCK_FILE } from './run-lock.js';

export const RUN_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const METRICS_FILE = 'metrics.jsonl';
export const MODEL_DIR = 'model';
export const CHECKPOINT_DIR = 'checkpoint';
export const BEST_DIR = 'best';
export const SAMPLES_DIR = 'samples';
export const RECON_DIR = 'recon';

export type RunStatus = 'running' | 'finished' | 'failed' | 'stopped';

/**
 * One line of metrics.jsonl: the named terms of one split averaged over an epoch (example-weighted).
 * With one loss group the terms keep their names (`loss`, `recon`, `kl`); with several they are prefixed by the
 * group (`discriminator/loss`, `generator/loss`). Test lines hold what `model.evaluate` returns.
 * `time` is the run's training time so far in seconds (summed over resumes); `examplesPerSec` the split's
 * throughput in that epoch. A non-finite value is written as null (JSON has no NaN).
 */
export interface MetricsRecord {
  epoch: number;
  step: number;
  split: 'train' | 'test';
  examplesPerSec: number;
  time: number;
  [term: string]: number | string | null;
}

/** What the run's data were: enough to load them again for a resume and to label charts. */
export interface RunDataInfo {
  name: string;
  kind: 'images' | 'points';
  shape: number[];
  trainCount: number;
  testCount: number;
  /** MNIST binarisation, when one was asked for. */
  binarize?: string;
  /** Images resized to this side (--size), when one was asked for. */
  size?: number;
  /** Only the first N training examples were used (--limit), and the first N test examples (--test-limit). */
  limit?: number;
  testLimit?: number;
  /** Training images flipped left to right at random (--mirror). */
  mirror?: boolean;
}

/** manifest.json of a run folder. */
export interface RunManifest {
  version: number;
  kind: string;
  config: object;
  data: RunDataInfo;
  seed: number;
  backend: string;
  status: RunStatus;
  /** Completed epochs and steps, as of the last checkpoint or status change. */
  epoch: number;
  step: number;
  /**
   * The best epoch so far by `metric` (FitOptions.bestBy; default the lowest epoch-mean `loss`), on the test split
   * when there is one, else train.
   */
  best?: { epoch: number; split: 'train' | 'test'; metric: string; value: number };
  /** The training options with every default filled in (resume uses these). */
  options: object;
  created: string;
  updated: string;
  /** One line saying why a failed run failed. */
  error?: string;
}

/** Largest manifest.json read: 16 MiB (a manifest is a few kilobytes). */
const MAX_MANIFEST_BYTES = 16 * 2 ** 20;
const STATUSES: readonly RunStatus[] = ['running', 'finished', 'failed', 'stopped'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Reads manifest.json of run folder `dir`, checked against its schema (types and ranges of every field used). */
export async function readManifest(dir: string): Promise<RunManifest> {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) throw new GenlabError('not-found', `${dir}: not a run folder (no ${MANIFEST_FILE})`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(await readBytes(file, MAX_MANIFEST_BYTES)));
  } catch (e) {
    if (e instanceof GenlabError) throw e;
    throw badFile(file, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const m = json as Partial<RunManifest>;
  if (!isObject(m) || typeof m.kind !== 'string' || typeof m.version !== 'number' || !m.data) {
    throw badFile(file, 'not a genlab run manifest (kind, version or data missing)');
  }
  if (m.version > RUN_VERSION) throw badFile(file, `run format version ${m.version}, this genlab reads up to ${RUN_VERSION}`);
  const bad = (what: string): never => {
    throw badFile(file, what);
  };
  // What every reader needs is required; the rest is optional (hand-written manifests), but of its type when present.
  const d = m.data as unknown;
  if (!isObject(d) || typeof d['name'] !== 'string') bad('"data" needs a "name"');
  const data = d as Record<string, unknown>;
  if (!Array.isArray(data['shape']) || data['shape'].length === 0 || data['shape'].length > 4 || !data['shape'].every((v) => isCount(v) && v >= 1)) bad('"data.shape" must be a list of 1 to 4 positive integers');
  if (data['kind'] !== undefined && data['kind'] !== 'images' && data['kind'] !== 'points') bad('"data.kind" must be images or points');
  if (data['size'] !== undefined && !(isCount(data['size']) && data['size'] >= 1)) bad('"data.size" must be a positive integer');
  if (data['mirror'] !== undefined && typeof data['mirror'] !== 'boolean') bad('"data.mirror" must be true or false');
  for (const k of ['trainCount', 'testCount', 'limit', 'testLimit']) if (data[k] !== undefined && !isCount(data[k])) bad(`"data.${k}" must be a non-negative integer`);
  if (data['binarize'] !== undefined && typeof data['binarize'] !== 'string') bad('"data.binarize" must be a string');
  if (m.config !== undefined && !isObject(m.config)) bad('"config" must be an object');
  if (m.options !== undefined && !isObject(m.options)) bad('"options" must be an object');
  if (m.seed !== undefined && !(typeof m.seed === 'number' && Number.isSafeInteger(m.seed))) bad('"seed" must be an integer');
  if (m.status !== undefined && !STATUSES.includes(m.status)) bad(`"status" must be one of ${STATUSES.join(', ')}`);
  for (const k of ['epoch', 'step'] as const) if (m[k] !== undefined && !isCount(m[k])) bad(`"${k}" must be a non-negative integer`);
  if (isCount(m.epoch) && isCount(m.step) && m.epoch > m.step) bad(`"epoch" ${m.epoch} is more than its ${m.step} steps`);
  if (m.backend !== undefined && typeof m.backend !== 'string') bad('"backend" must be a string');
  if (m.best !== undefined) {
    const b = m.best as unknown;
    if (!isObject(b) || !isCount(b['epoch']) || typeof b['metric'] !== 'string' || typeof b['value'] !== 'number' || !Number.isFinite(b['value']) || (b['split'] !== 'train' && b['split'] !== 'test')) {
      bad('"best" must be { epoch, split, metric, value } with a finite value');
    }
  }
  return m as RunManifest;
}

/** Writes manifest.json atomically (readers see the old or the new one), stamping `updated`. */
export async function writeManifest(dir: string, manifest: RunManifest): Promise<void> {
  manifest.updated = new Date().toISOString();
  await writeFileAtomically(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The state of a run folder (see the module comment). */
export type RunFolderState = 'new' | 'unstarted' | 'resumable' | 'foreign';

/** Names a run leaves while it starts or writes (a lock, temporary and set-aside folders). */
const isLeftover = (name: string): boolean =>
  name === LOCK_FILE || /^\.lock\.stale-/.test(name) || /^\..*\.tmp-\d+/.test(name) || /^(checkpoint|best|model)\.old$/.test(name);

/** Which state run folder `dir` is in (see the module comment); `dir` is checked as a run folder path first. */
export function runFolderState(dir: string): RunFolderState {
  checkRunDirPath(dir);
  if (!existsSync(dir)) return 'new';
  const names = listDir(dir);
  if (names.length === 0) return 'new';
  const hasCheckpoint = names.includes(CHECKPOINT_DIR) || names.includes(`${CHECKPOINT_DIR}.old`);
  if (names.includes(MANIFEST_FILE) && hasCheckpoint) return 'resumable';
  // A manifest without a checkpoint: a run killed before its first checkpoint by a genlab that wrote the manifest
  // first. Nothing of it is worth keeping.
  const unstarted = names.every((n) => isLeftover(n) || n === CHECKPOINT_DIR || (n === MANIFEST_FILE && !hasCheckpoint));
  return unstarted ? 'unstarted' : 'foreign';
}

/**
 * True when a new run may start in `dir`: it does not exist, is empty, or holds only what a start killed before its
 * manifest left (the 'new' and 'unstarted' states). A path that cannot be a run folder (a file, /dev/null, '',
 * under /proc) is a one-line error.
 */
export function isEmptyDir(dir: string): boolean {
  const state = runFolderState(dir);
  return state === 'new' || state === 'unstarted';
}

/** Kernel file systems (statfs magic numbers): no place for a run folder, and Node's recursive mkdir loops in /proc. */
const KERNEL_FS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x1373: 'devtmpfs',
  0x1cd1: 'devpts',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x73636673: 'securityfs',
  0x62656570: 'configfs',
  0x6e736673: 'nsfs',
  0xcafe4a11: 'bpf',
};

/**
 * Checks that `dir` can be a run folder: a non-empty path, a folder if it exists, whose nearest existing ancestor
 * is a folder on an ordinary file system (not /proc, /sys or a kernel one such as devtmpfs). One-line errors name
 * the path.
 */
export function checkRunDirPath(dir: string): void {
  if (typeof dir !== 'string' || dir.trim() === '') throw badInput(`run folder ${JSON.stringify(dir)}`, 'an empty path, expected a folder to write the run into');
  if (dir.includes('\0')) throw badInput(JSON.stringify(dir), 'a path with a NUL character');
  const abs = resolve(dir);
  // /proc and /sys by name (Node's recursive mkdir loops in /proc); /dev by its file system below (/dev/shm is fine).
  if (/^\/(proc|sys)(\/|$)/.test(abs)) throw badInput(dir, `under /${abs.split('/')[1]}, a kernel file system: a run folder must be on disk`);
  let at = abs;
  for (;;) {
    let info;
    try {
      info = statSync(at);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT' && dirname(at) !== at) {
        at = dirname(at);
        continue;
      }
      if (code === 'ENOTDIR') throw badInput(dir, 'a part of the path is a file, not a folder');
      throw badInput(dir, `cannot be used as a run folder (${code ?? String(e)})`);
    }
    if (!info.isDirectory()) {
      const what = info.isFile() ? 'a file' : info.isCharacterDevice() ? 'a device' : info.isFIFO() ? 'a FIFO' : 'not a folder';
      throw badInput(dir, at === abs ? `is ${what}, not a folder: a run folder must be a folder` : `${at} is ${what}, not a folder`);
    }
    break;
  }
  try {
    const kind = KERNEL_FS[statfsSync(at).type];
    if (kind) throw badInput(dir, `on ${kind}, a kernel file system: a run folder must be on disk`);
  } catch (e) {
    if (e instanceof GenlabError) throw e; // statfs unavailable: the path checks above stand
  }
}

/** Creates run folder `dir` (and its parents) after `checkRunDirPath`, naming the path on failure. */
export function makeRunDir(dir: string): void {
  checkRunDirPath(dir);
  // Parent by parent: Node's recursive mkdir can loop forever on odd file systems.
  const missing: string[] = [];
  for (let at = resolve(dir); !existsSync(at); at = dirname(at)) missing.unshift(at);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== 'EEXIST') throw badInput(dir, `cannot create the run folder (${code ?? String(e)})`);
    }
  }
}

/**
 * Removes what killed writers left in run folder `dir` (held by this process's lock): temporary and set-aside
 * folders and files, and with `fresh` (a new run in an 'unstarted' folder) the dead start's checkpoint and manifest.
 * A folder set aside by an interrupted replacement whose new version never arrived is put back instead.
 */
export function clearLeftovers(dir: string, fresh: boolean): void {
  for (const name of listDir(dir)) {
    const path = join(dir, name);
    if (name === LOCK_FILE) continue;
    const setAside = /^(checkpoint|best|model)\.old$/.exec(name);
    if (setAside && !fresh && !existsSync(join(dir, setAside[1]!))) {
      // Killed between the two renames of a replacement: the previous folder goes back (engine/model-io.ts).
      try {
        renameSync(path, join(dir, setAside[1]!));
      } catch (e) {
        throw badInput(path, `cannot put back what a killed run set aside (${(e as { code?: string }).code ?? String(e)})`);
      }
      continue;
    }
    if (!isLeftover(name) && !(fresh && (name === CHECKPOINT_DIR || name === MANIFEST_FILE))) continue;
    try {
      rmSync(path, { recursive: true, force: true });
    } catch (e) {
      throw badInput(path, `cannot remove what a killed run left (${(e as { code?: string }).code ?? String(e)})`);
    }
  }
}

/** The names in folder `dir`, or a one-line error naming it. */
function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    throw badInput(dir, `cannot read the folder (${(e as { code?: string }).code ?? String(e)})`);
  }
}

/** JSON of one record, with non-finite numbers as null. */
export function formatMetricsLine(record: MetricsRecord): string {
  return JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}

/**
 * Appends records to metrics.jsonl, one line each, flushed to disk line by line (so a reader or a crash sees whole
 * lines, save perhaps the last).
 */
export class MetricsWriter {
  constructor(readonly file: string) {}

  append(records: readonly MetricsRecord[]): void {
    const fd = openSync(this.file, 'a');
    try {
      for (const r of records) {
        writeSync(fd, `${formatMetricsLine(r)}\n`);
        fsyncSync(fd);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Replaces the whole file with `records` atomically (a resume rewrites the lines its checkpoint knows). */
  async rewrite(records: readonly MetricsRecord[]): Promise<void> {
    await writeFileAtomically(this.file, records.map((r) => `${formatMetricsLine(r)}\n`).join(''));
  }
}

/**
 * Parses metrics.jsonl text. A last line without its newline that does not parse (the writer is mid-line) is
 * ignored; a malformed line anywhere else is an error.
 */
export function parseMetrics(text: string, file = METRICS_FILE): MetricsRecord[] {
  const lines = text.split('\n');
  const records: MetricsRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const value = JSON.parse(line) as MetricsRecord;
      if (typeof value !== 'object' || value === null || typeof value.epoch !== 'number') throw new Error('not a metrics record');
      records.push(value);
    } catch (e) {
      const last = i === lines.length - 1; // no newline after it: still being written
      if (!last) throw badFile(file, `line ${i + 1} is not a metrics record (${(e as Error).message.split('\n')[0]})`);
    }
  });
  return records;
}

/** Reads metrics.jsonl (all whole lines; a half-written last line is skipped). A missing file reads as no records. */
export async function readMetrics(file: string): Promise<MetricsRecord[]> {
  if (!existsSync(file)) return [];
  return parseMetrics(new TextDecoder().decode(await readBytes(file)), file);
}
