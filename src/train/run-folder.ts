/**
 * The run folder a training run writes and the lab's board reads (see docs/ARCHITECTURE.md):
 *
 * ```
 * runs/NAME/
 *   manifest.json    RunManifest, replaced atomically at every change of status, epoch or best
 *   model/           the final model (model.save), written when the run finishes or stops
 *   checkpoint/      see checkpoint.ts; replaced atomically
 *   metrics.jsonl    one MetricsRecord per line, appended and flushed line by line
 *   samples/         epoch-0001.png … from one fixed noise seed; recon/epoch-0001.png …
 * ```
 */
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GenlabError, badFile } from '../engine/errors.js';
import { writeFileAtomically } from '../engine/model-io.js';

export const RUN_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const METRICS_FILE = 'metrics.jsonl';
export const MODEL_DIR = 'model';
export const CHECKPOINT_DIR = 'checkpoint';
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
  /** Only the first N training examples were used (--limit), and the first N test examples (--test-limit). */
  limit?: number;
  testLimit?: number;
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

/** Reads manifest.json of run folder `dir`. */
export async function readManifest(dir: string): Promise<RunManifest> {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) throw new GenlabError('not-found', `${dir}: not a run folder (no ${MANIFEST_FILE})`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw badFile(file, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const m = json as Partial<RunManifest>;
  if (typeof m !== 'object' || m === null || typeof m.kind !== 'string' || typeof m.version !== 'number' || !m.data) {
    throw badFile(file, 'not a genlab run manifest (kind, version or data missing)');
  }
  if (m.version > RUN_VERSION) throw badFile(file, `run format version ${m.version}, this genlab reads up to ${RUN_VERSION}`);
  return m as RunManifest;
}

/** Writes manifest.json atomically (readers see the old or the new one), stamping `updated`. */
export async function writeManifest(dir: string, manifest: RunManifest): Promise<void> {
  manifest.updated = new Date().toISOString();
  await writeFileAtomically(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** True when `dir` does not exist or is empty (a new run may be started there). */
export function isEmptyDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
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
  return parseMetrics(await readFile(file, 'utf8'), file);
}
