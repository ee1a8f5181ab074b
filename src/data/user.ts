/**
 * The user's own data, from a path: a table of numbers, a NumPy array or a folder of images, split into train and
 * test by a seeded shuffle.
 *
 * - `.csv`, `.tsv`, `.txt`: a 'points' Dataset, one example per row (see csv.ts for the accepted syntax).
 * - `.npy`: 2-D N×D → points; 1-D N → N points of dimension 1; 3-D N×H×W → grey images (C = 1); 4-D N×H×W×C with
 *   C = 1 or 3 → images. Image values: uint8 and the other integer dtypes are scaled by 1/255 (values must lie in
 *   0–255); bool is taken as 0/1; float values must already lie in [0, 1] (anything else is an error that says so,
 *   rather than a guess between 0–255 and −1…1 conventions). With `size`, images that are not size×size are fitted
 *   into a size×size square (aspect kept, white padding).
 * - a folder: image folder (see image-folder.ts), resized to `size` when given.
 * All values must be finite and representable as float32. The Dataset's name is the path as given.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { badFile, badInput } from '../engine/errors.js';
import { Rng } from '../engine/rng.js';
import { makeDataset, splitTrainTest, type Dataset, type DatasetSplits } from './dataset.js';
import { parseDelimited } from './csv.js';
import { fsError, readBytes } from './idx.js';
import { loadImageFolder } from './image-folder.js';
import { fitToSquare } from './image-ops.js';
import { parseNpy, type NpyArray } from './npy.js';

export interface UserDataOptions {
  /** Fraction of examples held out for the test split, in [0, 1). Default 0.1. */
  testFraction?: number;
  /** Seed of the train/test shuffle. Default 0. */
  seed?: number;
  /** Image side (folders and image .npy files): images are fitted into size×size. */
  size?: number;
}

export const USER_DATA_EXTENSIONS = ['.csv', '.tsv', '.txt', '.npy'];
const FLOAT32_MAX = 3.4028234663852886e38;
/** Most float32 values one dataset may hold (2 GiB). */
const MAX_VALUES = 2 ** 29;

/** Loads a data file or image folder and splits it into train and test. */
export async function loadUserData(path: string, options: UserDataOptions = {}): Promise<DatasetSplits> {
  const { testFraction = 0.1, seed = 0, size } = options;
  if (!(typeof testFraction === 'number' && testFraction >= 0 && testFraction < 1)) {
    throw badInput('testFraction', `expected a number in [0, 1), got ${testFraction}`);
  }
  if (!Number.isInteger(seed)) throw badInput('seed', `expected an integer, got ${seed}`);
  if (size !== undefined && !(Number.isInteger(size) && size >= 1 && size <= 4096)) {
    throw badInput('size', `expected an integer from 1 to 4096, got ${size}`);
  }
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    throw fsError(path, e);
  }
  let ds: Dataset;
  if (info.isDirectory()) {
    ds = await loadImageFolder(path, size === undefined ? {} : { size });
  } else {
    const ext = extname(path).toLowerCase();
    if (ext === '.csv' || ext === '.tsv' || ext === '.txt') {
      ds = await loadTable(path);
    } else if (ext === '.npy') {
      ds = npyToDataset(parseNpy(await readBytes(path), path), path, size);
    } else {
      throw badInput(path, `unknown file type ${JSON.stringify(ext || '(no extension)')}, expected ${USER_DATA_EXTENSIONS.join(', ')} or a folder of .png/.jpg images`);
    }
  }
  if (ds.count === 0) throw badFile(path, 'no examples');
  const nTest = Math.round(ds.count * testFraction);
  if (ds.count - nTest < 1) {
    throw badInput(path, `only ${ds.count} example${ds.count === 1 ? '' : 's'}: too few for a test fraction of ${testFraction}`);
  }
  return splitTrainTest(ds, testFraction, new Rng(seed));
}

async function loadTable(path: string): Promise<Dataset> {
  const bytes = await readBytes(path);
  if (bytes.includes(0)) throw badFile(path, 'binary data (NUL bytes), expected numbers as text');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badFile(path, 'not valid UTF-8 text, expected numbers as text');
  }
  const table = parseDelimited(text, path);
  const data = new Float32Array(table.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = table.data[i]!;
    if (Math.abs(v) > FLOAT32_MAX) {
      throw badFile(path, `data row ${Math.floor(i / table.cols) + 1}, column ${(i % table.cols) + 1}: ${v} does not fit in float32`);
    }
    data[i] = v;
  }
  return makeDataset({ name: path, kind: 'points', shape: [table.cols], data });
}

/** A Dataset from a parsed .npy array (see the module comment for the shape and value rules). */
export function npyToDataset(arr: NpyArray, path: string, size?: number): Dataset {
  const { shape, dtype, data: src } = arr;
  const shapeText = `(${shape.join(', ')})`;
  if (shape.length === 1 || shape.length === 2) {
    const d = shape.length === 1 ? 1 : shape[1]!;
    if (d === 0) throw badFile(path, `shape ${shapeText}: points have 0 dimensions`);
    const data = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = src[i]!;
      if (!Number.isFinite(v) || Math.abs(v) > FLOAT32_MAX) {
        throw badFile(path, `value ${v} at row ${Math.floor(i / d)}, column ${i % d} is not a finite float32 number`);
      }
      data[i] = v;
    }
    return makeDataset({ name: path, kind: 'points', shape: [d], data });
  }
  if (shape.length !== 3 && shape.length !== 4) {
    throw badFile(path, `shape ${shapeText}: expected N×D points, N×H×W or N×H×W×C images`);
  }
  const [n, h, w] = shape as [number, number, number];
  const c = shape.length === 4 ? shape[3]! : 1;
  if (c !== 1 && c !== 3) throw badFile(path, `shape ${shapeText}: images need 1 or 3 channels, found ${c}`);
  if (h === 0 || w === 0) throw badFile(path, `shape ${shapeText}: images of 0 pixels`);
  const scale = dtype === 'bool' || dtype.startsWith('float') ? 1 : 1 / 255;
  const max = scale === 1 ? 1 : 255;
  const data = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (!(v >= 0 && v <= max)) {
      const hint = scale === 1 && v > 1 && v <= 255 ? ' (divide 0–255 data by 255, or save it as uint8)' : '';
      throw badFile(path, `image value ${v} at index ${i} is outside ${scale === 1 ? '[0, 1]' : '0–255'} for dtype ${dtype}${hint}`);
    }
    data[i] = v * scale;
  }
  if (size === undefined || (h === size && w === size)) return makeDataset({ name: path, kind: 'images', shape: [h, w, c], data });
  if (n * size * size * c > MAX_VALUES) throw badInput(path, `${n} images of ${size}×${size}×${c} are too many values to hold in memory`);
  const out = new Float32Array(n * size * size * c);
  const per = h * w * c;
  for (let k = 0; k < n; k++) {
    const fitted = fitToSquare({ width: w, height: h, channels: c, data: data.subarray(k * per, (k + 1) * per) }, size);
    out.set(fitted.data, k * size * size * c);
  }
  return makeDataset({ name: path, kind: 'images', shape: [size, size, c], data: out });
}
