/**
 * What the board's pages ask the lab's server (src/cli/lab-api.ts): the runs, a run's details, its metrics file and
 * test examples. Run names are paths below the runs folder ('a', 'sweep/lr-1e-3'); URLs are relative to the page.
 */
import { parseMetricsText, type ExamplesAnswer, type ParsedMetrics, type RunDetail, type RunSummary } from '../../../src/browser.js';

/** GET `url` as JSON; a failure throws the server's one-line message. */
async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { cache: 'no-store', headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => null)) as (T & { error?: string }) | null;
  if (!res.ok || body === null) throw new Error(body?.error ?? `${url}: HTTP ${res.status}`);
  return body;
}

export interface RunsList {
  /** The runs folder as `genlab lab --runs` was given it; null without --runs. */
  dir: string | null;
  runs: RunSummary[];
}

export const listRuns = (): Promise<RunsList> => getJson<RunsList>('api/runs');

export const runDetail = (name: string): Promise<RunDetail> => getJson<RunDetail>(`api/run?name=${encodeURIComponent(name)}`);

/** URL of a file of run `name` ('.' is the runs folder itself). */
export function runFile(name: string, path: string): string {
  const dir = name === '.' ? '' : `${name.split('/').map(encodeURIComponent).join('/')}/`;
  return `runs/${dir}${path}`;
}

/** Absolute URL of a folder of run `name` (what `loadModel` takes). */
export const runFolderUrl = (name: string, path: string): string => new URL(runFile(name, path), location.href).href;

/** metrics.jsonl of run `name`, parsed leniently (a half-written last line is skipped). Only call it when it exists. */
export async function runMetrics(name: string): Promise<ParsedMetrics> {
  const res = await fetch(runFile(name, 'metrics.jsonl'), { cache: 'no-store' });
  if (!res.ok) throw new Error(`${name}: metrics.jsonl: HTTP ${res.status}`);
  return parseMetricsText(await res.text());
}

export interface Examples {
  x: Float32Array;
  shape: number[];
  labels: Int32Array | null;
  indices: number[];
}

/** `n` test examples of run `name`, picked by `seed` (as `genlab reconstruct --seed` picks them). */
export async function runExamples(name: string, n: number, seed: number): Promise<Examples> {
  const a = await getJson<ExamplesAnswer>(`api/examples?run=${encodeURIComponent(name)}&n=${n}&seed=${seed}`);
  const bytes = Uint8Array.from(atob(a.data), (c) => c.charCodeAt(0));
  return { x: new Float32Array(bytes.buffer), shape: a.shape, labels: a.labels ? Int32Array.from(a.labels) : null, indices: a.indices };
}

/** The run page's URL, and the compare view's. */
export const runPage = (name: string): string => `runs.html?run=${encodeURIComponent(name)}`;
export const comparePage = (names: readonly string[]): string => `runs.html?${names.map((n) => `compare=${encodeURIComponent(n)}`).join('&')}`;
