/**
 * The runs folder as the board sees it: which folders are runs (those holding manifest.json, up to three levels
 * down: runs/a, runs/sweep/lr-1e-3), a summary of each (kind, data, status, epoch, best, time) re-read only when its
 * files changed, a run's details for its page (manifest, command line, per-epoch grids, where its model is), and a
 * few examples of its test split, for the page that reconstructs and interpolates with the model.
 *
 * Every file is read through `resolveInside` (lab-files.ts): nothing outside DIR, no dotfiles, no writes. The test
 * examples are the one thing not read from DIR: they come from the library's built-in datasets (named by the run's
 * manifest, never a path from it), exactly as `genlab reconstruct` loads them.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  BUILTIN_DATASETS,
  Rng,
  badInput,
  loadDataFor,
  parseMetricsText,
  subset,
  summarizeRun,
  type Dataset,
  type ExamplesAnswer,
  type RunDetail,
  type RunSummary,
} from '../index.js';
import { reproduceCommand } from './lab-command.js';
import { resolveInside } from './lab-files.js';

/** How deep below DIR runs are looked for. */
const MAX_DEPTH = 3;
/** Test examples one request may ask for: a page's grid of images, or the points of a toy set's scatter. */
export const MAX_EXAMPLES = { images: 256, points: 2000 } as const;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);
const epochOf = (file: string): number | null => {
  const m = /^epoch-(\d+)\.png$/.exec(file);
  return m ? Number(m[1]) : null;
};

export class RunsFolder {
  readonly root: string;
  /** Per run: its files' stamps, its summary and what --quality-samples was (see `detail`). */
  private readonly summaries = new Map<string, { key: string; summary: RunSummary; qualitySamples: number | undefined }>();
  private readonly testSplits = new Map<string, Promise<Dataset>>();

  constructor(
    /** DIR as the user typed it (commands shown on the board use it). */
    readonly dir: string,
  ) {
    this.root = resolve(dir);
  }

  /** Names of the runs under DIR ('/'-separated paths; '.' when DIR is itself a run). */
  async names(): Promise<string[]> {
    if (await exists(join(this.root, 'manifest.json'))) return ['.'];
    const found: string[] = [];
    const walk = async (abs: string, rel: string, depth: number): Promise<void> => {
      const entries = await readdir(abs, { withFileTypes: true }).catch(() => []);
      if (entries.some((e) => e.isFile() && e.name === 'manifest.json')) return void found.push(rel);
      if (depth === MAX_DEPTH) return;
      // Symbolic links are not followed: they could lead out of DIR or round in circles.
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) await walk(join(abs, e.name), rel ? `${rel}/${e.name}` : e.name, depth + 1);
    };
    await walk(this.root, '', 0);
    return found.sort();
  }

  /** The summary of every run, newest first. */
  async list(): Promise<RunSummary[]> {
    const names = await this.names();
    const out = (await Promise.all(names.map((n) => this.summary(n)))).filter((s): s is RunSummary => s !== null);
    for (const name of this.summaries.keys()) if (!names.includes(name)) this.summaries.delete(name);
    return out.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? '') || a.name.localeCompare(b.name));
  }

  /** The folder of run `name`, or null when it is not a run under DIR. */
  async runDir(name: string): Promise<string | null> {
    const real = await resolveInside(this.root, name === '.' ? '' : name);
    return real !== null && (await exists(join(real, 'manifest.json'))) ? real : null;
  }

  /** The summary of run `name`, re-read only when manifest.json or metrics.jsonl changed; null when it is gone. */
  async summary(name: string): Promise<RunSummary | null> {
    return (await this.read(name))?.summary ?? null;
  }

  private async read(name: string): Promise<{ summary: RunSummary; qualitySamples: number | undefined } | null> {
    const dir = await this.runDir(name);
    if (!dir) return null;
    const stamp = async (f: string): Promise<string> => stat(join(dir, f)).then((s) => `${s.mtimeMs}:${s.size}`, () => '-');
    const key = `${await stamp('manifest.json')}|${await stamp('metrics.jsonl')}`;
    const cached = this.summaries.get(name);
    if (cached?.key === key) return cached;
    const { manifest, problem } = await this.readManifest(dir);
    const metrics = parseMetricsText(await readFile(join(dir, 'metrics.jsonl'), 'utf8').catch(() => ''));
    const summary = summarizeRun(name, manifest, metrics);
    if (problem) summary.problems.unshift(problem);
    // What --quality-samples was: the test records carry it when the run measured sample quality (0: it did not).
    const records = metrics.records;
    const measured = records.find((r) => typeof r['qualitySamples'] === 'number')?.['qualitySamples'] as number | undefined;
    const entry = { key, summary, qualitySamples: records.length === 0 ? undefined : (measured ?? 0) };
    this.summaries.set(name, entry);
    return entry;
  }

  private async readManifest(dir: string): Promise<{ manifest: Json | null; problem: string | null }> {
    try {
      const json: unknown = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
      return isObject(json) ? { manifest: json, problem: null } : { manifest: null, problem: 'manifest.json is not a JSON object' };
    } catch (e) {
      return { manifest: null, problem: `manifest.json cannot be read (${(e as Error).message.split('\n')[0]})` };
    }
  }

  /** What a run's page shows; null when `name` is not a run under DIR. */
  async detail(name: string): Promise<RunDetail | null> {
    const dir = await this.runDir(name);
    const read = await this.read(name);
    if (!dir || !read) return null;
    const { summary, qualitySamples } = read;
    const { manifest } = await this.readManifest(dir);
    const epochs = async (sub: string): Promise<number[]> =>
      (await readdir(join(dir, sub)).catch(() => [] as string[])).map(epochOf).filter((e): e is number => e !== null).sort((a, b) => a - b);
    const model = (await exists(join(dir, 'model', 'genlab-model.json')))
      ? { path: 'model', final: true }
      : (await exists(join(dir, 'checkpoint', 'model', 'genlab-model.json')))
        ? { path: 'checkpoint/model', final: false }
        : null;
    const metricsBytes = await stat(join(dir, 'metrics.jsonl')).then((s) => s.size, () => 0);
    const base = this.dir.replace(/\/+$/, '');
    const folder = name === '.' ? base : `${base}/${name}`;
    return {
      summary,
      folder,
      manifest,
      command: manifest ? reproduceCommand(manifest, `${folder}-rerun`, qualitySamples) : null,
      images: { samples: await epochs('samples'), recon: await epochs('recon') },
      model,
      metricsBytes,
      examples: examplesAvailability(manifest),
    };
  }

  /**
   * `n` examples of run `name`'s test split (as the run saw it: its seed, binarisation and --test-limit), chosen by
   * `new Rng(seed).permutation` as `genlab reconstruct --seed` chooses them.
   */
  async examples(name: string, n: number, seed: number): Promise<ExamplesAnswer | null> {
    const dir = await this.runDir(name);
    if (!dir) return null;
    const { manifest } = await this.readManifest(dir);
    const available = examplesAvailability(manifest);
    if (!available.available) throw badInput(name, available.reason);
    const data = manifest!['data'] as Json;
    const kind = data['kind'] === 'images' ? 'images' : 'points';
    if (!(Number.isInteger(n) && n >= 1 && n <= MAX_EXAMPLES[kind])) throw badInput('n', `expected 1 … ${MAX_EXAMPLES[kind]} examples, got ${n}`);
    if (!Number.isSafeInteger(seed)) throw badInput('seed', `expected an integer, got ${seed}`);
    const test = await this.testSplit(manifest!);
    if (test.count === 0) throw badInput(name, 'the run has no test examples');
    const indices = new Rng(seed).permutation(test.count).subarray(0, Math.min(n, test.count));
    const picked = subset(test, indices);
    // Dynamic binarisation draws binary pixels per batch: draw them once, from the seed, as the grids do.
    picked.batchTransform?.(picked.data, new Rng(seed));
    const bytes = new Uint8Array(picked.data.buffer, picked.data.byteOffset, picked.data.byteLength);
    return {
      shape: [picked.count, ...picked.shape],
      count: picked.count,
      indices: [...indices],
      data: Buffer.from(bytes).toString('base64'),
      labels: picked.labels?.kind === 'class' ? [...picked.labels.values] : null,
      classes: picked.labels?.kind === 'class' ? [...picked.labels.classes] : null,
    };
  }

  /** The run's test split, loaded once per data, seed, binarisation and shape (the two latest are kept). */
  private testSplit(manifest: Json): Promise<Dataset> {
    const data = manifest['data'] as Json;
    const seed = typeof manifest['seed'] === 'number' ? manifest['seed'] : 0;
    const binarize = typeof data['binarize'] === 'string' ? data['binarize'] : undefined;
    const shape = data['shape'] as number[];
    const testLimit = typeof data['testLimit'] === 'number' ? data['testLimit'] : undefined;
    const key = JSON.stringify([data['name'], seed, binarize, shape, testLimit]);
    let split = this.testSplits.get(key);
    if (!split) {
      const model = { dataShape: shape, dataKind: data['kind'] === 'images' ? ('images' as const) : ('points' as const) };
      split = loadDataFor(model, data['name'] as string, 'test', { seed, ...(binarize !== undefined ? { binarize } : {}) }).then((ds) =>
        testLimit !== undefined && testLimit < ds.count ? subset(ds, Int32Array.from({ length: testLimit }, (_, i) => i)) : ds,
      );
      split.catch(() => this.testSplits.delete(key));
      this.testSplits.set(key, split);
      while (this.testSplits.size > 2) this.testSplits.delete(this.testSplits.keys().next().value!);
    }
    return split;
  }
}

/** Whether the lab can load the test examples of the run of `manifest`: only built-in data, named by the manifest. */
function examplesAvailability(manifest: Json | null): RunDetail['examples'] {
  const data = manifest && isObject(manifest['data']) ? manifest['data'] : null;
  if (!data || typeof data['name'] !== 'string') return { available: false, reason: 'the manifest names no data' };
  if (!BUILTIN_DATASETS.includes(data['name'])) {
    return { available: false, reason: `the run's data (${data['name']}) is a file of yours; the lab reads only built-in datasets and what is under its runs folder` };
  }
  if (!Array.isArray(data['shape']) || !data['shape'].every((d) => Number.isInteger(d) && d >= 1)) return { available: false, reason: 'the manifest gives no example shape' };
  return { available: true };
}
