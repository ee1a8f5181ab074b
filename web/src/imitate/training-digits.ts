/**
 * MNIST's 60,000 training digits for the nearest-neighbour search, fetched once from the lab's server (/api/dataset,
 * src/cli/lab-data.ts) with a progress report: 47 MB as one byte per pixel. They stay bytes (a quarter of the memory
 * of floats); a block of rows becomes floats only while it is searched.
 */
import type { DatasetMeta } from '../../../src/browser.js';
import { fetchJson } from '../lib/lecture.js';

export interface TrainingDigits {
  count: number;
  /** Values per image (28 · 28). */
  size: number;
  shape: number[];
  /** count × size pixel values: bytes (value × 255) or floats in [0, 1]. */
  values: Uint8Array | Float32Array;
  /** What a stored value is multiplied by to give the pixel in [0, 1]. */
  scale: number;
  /** ‖x‖² of every training image, for ‖a − b‖² = ‖a‖² + ‖b‖² − 2 a·b. */
  squaredNorms: Float32Array;
}

/** Pixel `j` of training image `i`, in [0, 1]. */
export const pixelOf = (digits: TrainingDigits, i: number, j: number): number => digits.values[i * digits.size + j]! * digits.scale;

/** Rows [from, to) as floats in [0, 1], row-major. */
export function rowsAsFloats(digits: TrainingDigits, from: number, to: number): Float32Array {
  const part = digits.values.subarray(from * digits.size, to * digits.size);
  if (digits.scale === 1 && part instanceof Float32Array) return part;
  const out = new Float32Array(part.length);
  for (let k = 0; k < part.length; k++) out[k] = part[k]! * digits.scale;
  return out;
}

/**
 * GETs `url` as bytes, reporting progress. XMLHttpRequest rather than a fetch body stream: in the lab's tests Chrome
 * reported a fully read 47 MB stream as an aborted request (net::ERR_ABORTED).
 */
function getBytes(url: string, onProgress: (loaded: number, total: number) => void): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('GET', url);
    xhr.responseType = 'arraybuffer';
    xhr.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onload = () => (xhr.status === 200 ? resolve(new Uint8Array(xhr.response as ArrayBuffer)) : reject(new Error(`MNIST training digits: HTTP ${xhr.status}`)));
    xhr.onerror = () => reject(new Error('MNIST training digits: the request failed (is this page served by `genlab lab`?)'));
    xhr.send();
  });
}

/** The whole MNIST training split, in order (index i is the i-th training digit of the library's loader). */
export async function fetchTrainingDigits(onProgress: (loaded: number, total: number) => void): Promise<TrainingDigits> {
  const query = new URLSearchParams({ name: 'mnist', split: 'train' });
  const meta = await fetchJson<DatasetMeta>(`api/dataset?${query}`);
  const raw = await getBytes(`api/dataset.bin?${query}`, onProgress);
  const size = meta.shape.reduce((a, b) => a * b, 1);
  const bytesPerValue = meta.dtype === 'uint8' ? 1 : 4;
  if (raw.byteLength !== meta.count * size * bytesPerValue) throw new Error(`MNIST training digits: expected ${meta.count * size * bytesPerValue} bytes, got ${raw.byteLength}`);
  const values = meta.dtype === 'uint8' ? raw : new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const digits: TrainingDigits = { count: meta.count, size, shape: meta.shape, values, scale: meta.dtype === 'uint8' ? 1 / 255 : 1, squaredNorms: new Float32Array(meta.count) };
  for (let i = 0; i < meta.count; i++) {
    let s = 0;
    for (let j = 0, at = i * size; j < size; j++, at++) {
      const v = values[at]! * digits.scale;
      s += v * v;
    }
    digits.squaredNorms[i] = s;
  }
  return digits;
}
