/**
 * What the lecture's image pages share: the trained models shipped in assets/models/ (served by `genlab lab` under
 * /shipped/, re-created by `npm run assets`, see scripts/train-assets.ts), the built-in datasets (/api/dataset, see
 * src/cli/lab-data.ts) and starting the engine. Pages open a shipped model instantly and may train their own live.
 */
import { datasetFromWire, initEngine, loadModel, type BackendName, type Dataset, type DatasetMeta, type EngineInfo, type GenerativeModel } from '../../../src/browser.js';

/** The shipped models (folders of assets/models/). */
export type ShippedModel = 'moons-ae' | 'moons-vae' | 'mnist-vae2d' | 'pokemon-vae' | 'mnist-dcgan';

/** asset.json of a shipped model: how it was trained. */
export interface AssetInfo {
  name: string;
  purpose: string;
  /** The `genlab train` line that re-creates it. */
  command: string;
  seed: number;
  backend: string;
  trainSeconds: number;
  /** Its last test metrics record (metrics.jsonl), or null. */
  lastTest: Record<string, unknown> | null;
}

/** The URL of a file (or, with '', the folder) of shipped model `name`. */
export const shippedUrl = (name: ShippedModel, file = ''): string => new URL(`shipped/models/${name}/${file}`, location.href).href;

/** A shipped model, loaded from its files (the same `loadModel` as a run's model on the runs board). */
export async function openShippedModel(name: ShippedModel): Promise<{ model: GenerativeModel; asset: AssetInfo }> {
  const [model, asset] = await Promise.all([loadModel(shippedUrl(name)), fetchJson<AssetInfo>(shippedUrl(name, 'asset.json'))]);
  return { model, asset };
}

/** The MNIST classifier's model.json URL (assets/mnist-classifier/). */
export const classifierUrl = (): string => new URL('shipped/mnist-classifier/model.json', location.href).href;

export async function fetchJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}${res.status === 404 ? ' (is this page served by `genlab lab`?)' : ''}`);
  return (await res.json()) as T;
}

export interface DatasetRequest {
  split?: 'train' | 'test';
  /** A seeded subset of n examples (default: the whole split, in order). */
  n?: number;
  seed?: number;
}

/** A built-in dataset's split (or a seeded subset), from the lab's server. */
export async function fetchDataset(name: 'mnist' | 'pokemon' | 'moons', request: DatasetRequest = {}): Promise<Dataset> {
  const q = new URLSearchParams({ name, split: request.split ?? 'test' });
  if (request.n !== undefined) q.set('n', String(request.n));
  if (request.seed !== undefined) q.set('seed', String(request.seed));
  const [meta, bytes] = await Promise.all([
    fetchJson<DatasetMeta>(`api/dataset?${q}`),
    fetch(`api/dataset.bin?${q}`).then(async (r) => {
      if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
      return r.arrayBuffer();
    }),
  ]);
  return datasetFromWire(meta, bytes);
}

/**
 * Starts TF.js on the backend the URL asks for (?backend=webgl, webgpu, wasm, cpu or auto; default `fallback`),
 * wasm binaries from the lab itself.
 */
export async function startEngine(fallback: BackendName | 'auto' = 'auto'): Promise<EngineInfo> {
  const backend = (new URLSearchParams(location.search).get('backend') ?? fallback) as BackendName | 'auto';
  return initEngine({ backend, wasmPath: new URL('wasm/', location.href).href });
}
