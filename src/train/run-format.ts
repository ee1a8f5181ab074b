/**
 * Reading a run folder's text files without the file system, so the same code serves the lab's server (Node) and its
 * pages (the browser): metrics.jsonl parsed leniently (a run being written has a half-written last line; a reader
 * must never fail on it), the terms it logged as train/test series, a CSV of it, and one summary line per run for
 * the board, made from whatever manifest.json holds (a run of an older or newer genlab may lack fields).
 *
 * The formats themselves are described in run-folder.ts (which writes them); nothing here imports a Node module.
 */
import type { MetricsRecord, RunStatus } from './run-folder.js';

/** Keys of a metrics record that are bookkeeping, not logged terms. */
export const RECORD_KEYS: readonly string[] = ['epoch', 'step', 'split', 'time', 'examplesPerSec'];

export interface ParsedMetrics {
  records: MetricsRecord[];
  /** 1-based numbers of whole lines that were not metrics records (skipped, so one bad line hides nothing else). */
  badLines: number[];
  /** True when the text ends inside a line: the writer is appending it (it is skipped until it is whole). */
  partial: boolean;
}

/**
 * Parses metrics.jsonl text. Only whole lines count: a last line without its newline is being written and is skipped
 * (even when it happens to parse, as `{"epoch":1}` cut after a digit would); other malformed lines are skipped and
 * reported in `badLines`.
 */
export function parseMetricsText(text: string): ParsedMetrics {
  const lines = text.split('\n');
  const partial = lines[lines.length - 1] !== '';
  if (partial) lines.pop();
  const records: MetricsRecord[] = [];
  const badLines: number[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const record = parseRecord(line);
    if (record) records.push(record);
    else badLines.push(i + 1);
  });
  return { records, badLines, partial };
}

function parseRecord(line: string): MetricsRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const r = value as Record<string, unknown>;
  if (typeof r['epoch'] !== 'number' || (r['split'] !== undefined && r['split'] !== 'train' && r['split'] !== 'test')) return null;
  return { step: 0, split: 'train', examplesPerSec: NaN, time: NaN, ...r } as MetricsRecord;
}

/** The logged terms, in the order they first appear (`loss` first when there is one); bookkeeping keys left out. */
export function metricTerms(records: readonly MetricsRecord[]): string[] {
  const seen = new Set<string>();
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) if (!RECORD_KEYS.includes(k) && (typeof v === 'number' || v === null)) seen.add(k);
  }
  // The writer logs each group's `loss` first already; a `loss` that appeared later (a test-only line) moves up.
  return [...seen].sort((a, b) => Number(b === 'loss') - Number(a === 'loss'));
}

/** One term of one split over the run: its values against epochs and steps (null in the file → NaN). */
export interface TermSeries {
  term: string;
  split: 'train' | 'test';
  epochs: number[];
  steps: number[];
  values: number[];
}

/** The series of `term` on `split` (empty when that split never logged it). */
export function termSeries(records: readonly MetricsRecord[], term: string, split: 'train' | 'test'): TermSeries {
  const s: TermSeries = { term, split, epochs: [], steps: [], values: [] };
  for (const r of records) {
    if (r.split !== split || !(term in r)) continue;
    const v = r[term];
    s.epochs.push(r.epoch);
    s.steps.push(r.step);
    s.values.push(typeof v === 'number' ? v : NaN);
  }
  return s;
}

/** CSV of the records: epoch, step, split, time, examplesPerSec, then every term (empty cell where a line lacks it). */
export function metricsCsv(records: readonly MetricsRecord[]): string {
  const columns = [...RECORD_KEYS, ...metricTerms(records)];
  const cell = (v: unknown): string => {
    if (v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.map(cell).join(','), ...records.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

/** What the board shows of a run: one row, made from its manifest.json and metrics.jsonl. */
export interface RunSummary {
  /** The run's folder relative to the runs folder, '/'-separated. */
  name: string;
  kind: string;
  data: string;
  /** The manifest's status; 'unknown' when it has none (not a run of this genlab). */
  status: RunStatus | 'unknown';
  epoch: number;
  step: number;
  /** Epochs planned (null: planned in steps, or unknown). */
  epochs: number | null;
  best: { metric: string; value: number; epoch: number; split: string } | null;
  /** Training seconds (summed over resumes), from the last metrics line; null before the first epoch ends. */
  time: number | null;
  created: string | null;
  updated: string | null;
  /** Why a failed run failed. */
  error: string | null;
  /** The loss per epoch (test when logged, else train; a GAN's first group's): the board's small curve. */
  loss: number[];
  /** What was wrong with the files, if anything (an unreadable manifest, malformed metrics lines). */
  problems: string[];
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const STATUSES: readonly string[] = ['running', 'finished', 'failed', 'stopped'];

/** The summary of run `name` from its parsed manifest (any JSON value: checked field by field) and its metrics. */
export function summarizeRun(name: string, manifest: unknown, metrics: ParsedMetrics): RunSummary {
  const m = (typeof manifest === 'object' && manifest !== null ? manifest : {}) as Record<string, unknown>;
  const data = (typeof m['data'] === 'object' && m['data'] !== null ? m['data'] : {}) as Record<string, unknown>;
  const options = (typeof m['options'] === 'object' && m['options'] !== null ? m['options'] : {}) as Record<string, unknown>;
  const best = (typeof m['best'] === 'object' && m['best'] !== null ? m['best'] : null) as Record<string, unknown> | null;
  const status = str(m['status']);
  const records = metrics.records;
  const last = records[records.length - 1];
  // The curve of `loss`, or with several loss groups the first group's (`discriminator/loss`), test when logged.
  const terms = metricTerms(records);
  const lossTerm = terms.includes('loss') ? 'loss' : (terms.find((t) => t.endsWith('/loss')) ?? 'loss');
  const lossSplit = records.some((r) => r.split === 'test' && typeof r[lossTerm] === 'number') ? 'test' : 'train';
  const problems: string[] = [];
  if (typeof manifest !== 'object' || manifest === null) problems.push('manifest.json is not a JSON object');
  if (metrics.badLines.length > 0) problems.push(`metrics.jsonl: ${metrics.badLines.length} malformed line(s) skipped (line ${metrics.badLines.slice(0, 3).join(', ')})`);
  return {
    name,
    kind: str(m['kind']) ?? '?',
    data: str(data['name']) ?? '?',
    status: status !== null && STATUSES.includes(status) ? (status as RunStatus) : 'unknown',
    epoch: num(m['epoch']) ?? last?.epoch ?? 0,
    step: num(m['step']) ?? last?.step ?? 0,
    epochs: num(options['epochs']),
    best:
      best && typeof best['metric'] === 'string' && num(best['value']) !== null
        ? { metric: best['metric'], value: best['value'] as number, epoch: num(best['epoch']) ?? 0, split: str(best['split']) ?? '' }
        : null,
    time: last ? num(last.time) : null,
    created: str(m['created']),
    updated: str(m['updated']),
    error: str(m['error']),
    loss: termSeries(records, lossTerm, lossSplit).values,
    problems,
  };
}

/** What the lab's server tells a run's page (GET /api/run?name=NAME; src/cli/lab-runs.ts makes it). */
export interface RunDetail {
  summary: RunSummary;
  /** The run's folder as the user would type it (the runs folder as given to `genlab lab --runs`, then the name). */
  folder: string;
  /** manifest.json as it is (the page shows it as tables), or null when it is not JSON. */
  manifest: Record<string, unknown> | null;
  /** The `genlab train` line that trains the run again (into a new folder). */
  command: string | null;
  /** Epochs with a grid in samples/ and recon/ (epoch-0001.png …). */
  images: { samples: number[]; recon: number[] };
  /** Where the run's saved model is, relative to the run: model/ when it ended, else the last checkpoint's. */
  model: { path: string; final: boolean } | null;
  /** Size of metrics.jsonl: the page re-reads it only when it changed. */
  metricsBytes: number;
  /** Whether the server can give this run's test examples (built-in data only), and if not, why. */
  examples: { available: true } | { available: false; reason: string };
}

/** Examples of a run's test split (GET /api/examples?run=NAME&n=N&seed=S): float32 values, little-endian, in base64. */
export interface ExamplesAnswer {
  /** [count, ...example shape]. */
  shape: number[];
  count: number;
  /** Their indices in the test split (`new Rng(seed).permutation`, as `genlab reconstruct --seed` picks them). */
  indices: number[];
  data: string;
  labels: number[] | null;
  classes: string[] | null;
}
