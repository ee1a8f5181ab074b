/**
 * /api/dataset…, routed by lab-api.ts: the built-in datasets for the lab's lecture pages (the latent space's test
 * digits, the Pokémon page's held-out sprites, the nearest training images of "VAE imitates, GAN creates", live
 * training in the browser).
 * Read-only, GET only, built-in data by name only (never a path):
 *
 *   /api/dataset?name=mnist&split=test[&n=N&seed=S]       DatasetMeta (JSON): shape, count, dtype, labels, classes
 *   /api/dataset.bin?name=mnist&split=test[&n=N&seed=S]   the examples' values, row-major, little-endian `dtype`
 *
 * Without n, the whole split in order; with n, n examples picked by `new Rng(seed).permutation` (as the runs board
 * picks test examples). Values are sent as bytes (uint8, value × 255) when every value is a whole multiple of 1/255 —
 * MNIST's 60,000 training digits are 47 MB instead of 188 — and as float32 otherwise. Splits are loaded once and kept
 * (the two latest datasets), with whether each split travels as bytes.
 */
import type { ServerResponse } from 'node:http';
import { BUILTIN_DATASETS, Rng, badInput, loadDataset, subset, type Dataset, type DatasetMeta, type DatasetSplits } from '../index.js';

/** Whether every value is k/255 for a whole k (then it travels as one byte, exactly). */
function isByteValued(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) {
    const k = data[i]! * 255;
    if (!(k >= 0 && k <= 255) || Math.abs(k - Math.round(k)) > 1e-4) return false;
  }
  return true;
}

interface Prepared {
  ds: Dataset;
  indices: number[] | null;
  dtype: 'uint8' | 'float32';
}

/** A built-in dataset's splits as loaded once, and whether each split's values travel as bytes. */
interface Loaded {
  splits: DatasetSplits;
  byteValued: Record<'train' | 'test', boolean>;
}

export class DatasetServer {
  /** The two latest datasets asked for (both splits of each: a page asks for one, then often the other). */
  private readonly loaded = new Map<string, Promise<Loaded>>();

  private load(name: string): Promise<Loaded> {
    let p = this.loaded.get(name);
    if (!p) {
      p = loadDataset(name, { seed: 0 }).then((splits) => ({ splits, byteValued: { train: isByteValued(splits.train.data), test: isByteValued(splits.test.data) } }));
      p.catch(() => this.loaded.delete(name));
      this.loaded.set(name, p);
      while (this.loaded.size > 2) this.loaded.delete(this.loaded.keys().next().value!);
    }
    return p;
  }

  private async prepare(q: URLSearchParams): Promise<Prepared> {
    const name = q.get('name') ?? '';
    if (!BUILTIN_DATASETS.includes(name)) throw badInput('name', `expected a built-in dataset (${BUILTIN_DATASETS.join(', ')}), got '${name}'`);
    const split = q.get('split') ?? 'test';
    if (split !== 'train' && split !== 'test') throw badInput('split', `expected train or test, got '${split}'`);
    const loaded = await this.load(name);
    const full = loaded.splits[split];
    const nText = q.get('n');
    const seedText = q.get('seed') ?? '0';
    if (!/^\d+$/.test(seedText)) throw badInput('seed', `expected a whole number, got '${seedText}'`);
    let ds = full;
    let indices: number[] | null = null;
    if (nText !== null && nText !== '') {
      if (!/^\d+$/.test(nText) || Number(nText) < 1) throw badInput('n', `expected a positive whole number, got '${nText}'`);
      const n = Math.min(Number(nText), full.count);
      indices = [...new Rng(Number(seedText)).permutation(full.count).subarray(0, n)];
      ds = subset(full, indices);
    }
    // A subset of a byte-valued split is byte-valued.
    return { ds, indices, dtype: loaded.byteValued[split] ? 'uint8' : 'float32' };
  }

  async meta(q: URLSearchParams): Promise<DatasetMeta> {
    const { ds, indices, dtype } = await this.prepare(q);
    const labels = ds.labels;
    return {
      name: ds.name,
      kind: ds.kind,
      split: q.get('split') === 'train' ? 'train' : 'test',
      shape: [...ds.shape],
      count: ds.count,
      dtype,
      indices,
      labels: labels ? [...labels.values] : null,
      classes: labels?.kind === 'class' ? [...labels.classes] : null,
      labelName: labels?.kind === 'value' ? labels.name : null,
    };
  }

  async bytes(q: URLSearchParams): Promise<Uint8Array> {
    const { ds, dtype } = await this.prepare(q);
    if (dtype === 'float32') return new Uint8Array(ds.data.buffer, ds.data.byteOffset, ds.data.byteLength);
    const out = new Uint8Array(ds.data.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.round(ds.data[i]! * 255);
    return out;
  }
}

/** Sends raw bytes (the values of /api/dataset.bin). */
export function sendBytes(res: ServerResponse, bytes: Uint8Array, head: boolean): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Length', String(bytes.byteLength));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  res.end(head ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
