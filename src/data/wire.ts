/**
 * A dataset as the lab's server sends it to a page (src/cli/lab-data.ts): a small JSON description, `DatasetMeta`,
 * and the values as raw little-endian bytes — one byte per value (value × 255) when the values are whole multiples of
 * 1/255, as MNIST's are, else float32. Browser-safe.
 */
import { badInput } from '../engine/errors.js';
import { exampleSize, makeDataset, type Dataset, type Labels } from './dataset.js';

export interface DatasetMeta {
  name: string;
  kind: 'images' | 'points';
  split: 'train' | 'test';
  shape: number[];
  count: number;
  dtype: 'uint8' | 'float32';
  /** Indices in the split when a seeded subset was asked for, else null (the whole split, in order). */
  indices: number[] | null;
  /** A class index or a value (e.g. a moon's phase) per example, or null. */
  labels: number[] | null;
  /** Class names when the labels are classes. */
  classes: string[] | null;
  /** What a value label measures (e.g. 'phase (deg)'), when the labels are values. */
  labelName: string | null;
}

/** The Dataset a page works with (float32 values in [0, 1] for images), from the server's two answers. */
export function datasetFromWire(meta: DatasetMeta, bytes: ArrayBuffer | Uint8Array): Dataset {
  const raw = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const values = meta.count * exampleSize(meta.shape);
  const expected = values * (meta.dtype === 'uint8' ? 1 : 4);
  if (raw.byteLength !== expected) throw badInput(meta.name, `expected ${expected} bytes of ${meta.dtype} data, got ${raw.byteLength}`);
  let data: Float32Array;
  if (meta.dtype === 'uint8') {
    data = new Float32Array(values);
    for (let i = 0; i < values; i++) data[i] = raw[i]! / 255;
  } else {
    data = new Float32Array(values);
    new Uint8Array(data.buffer).set(raw);
  }
  let labels: Labels | undefined;
  if (meta.labels) {
    labels = meta.classes
      ? { kind: 'class', values: Int32Array.from(meta.labels), classes: meta.classes }
      : { kind: 'value', values: Float32Array.from(meta.labels), name: meta.labelName ?? 'value' };
  }
  return makeDataset({ name: meta.name, kind: meta.kind, shape: meta.shape, data, count: meta.count, ...(labels ? { labels } : {}) });
}
