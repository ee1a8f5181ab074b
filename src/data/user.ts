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
 * Files are read in bounded memory (streamed, at most data/limits.ts's MAX_DATASET_VALUES values); only regular files
 * are read.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { badFile, badInput } from '../engine/errors.js';
import { Rng } from '../engine/rng.js';
import { makeDataset, splitTrainTest, type Dataset, type DatasetSplits } from './dataset.js';
import { readDelimitedFloat32 } from './csv.js';
import { fsError } from './idx.js';
import { loadImageFolder } from './image-folder.js';
import { fitToSquare } from './image-ops.js';
import { DATASET_LIMIT_WHY, MAX_DATASET_VALUES, formatCount } from './limits.js';
import { fortranToC, streamNpyFile, type NpyArray, type NpyData, type NpyDtype, type NpyHeader } from './npy.js';

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
      ds = await loadNpy(path, size);
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
  const table = await readDelimitedFloat32(path);
  return makeDataset({ name: path, kind: 'points', shape: [table.cols], data: table.data });
}

/** What a .npy array becomes: points of `d` dimensions, or images of h×w×c whose values are scaled by `scale`. */
type NpyLayout = { kind: 'points'; d: number } | { kind: 'images'; n: number; h: number; w: number; c: number; scale: number; max: number };

/** The dataset layout of an array of this shape and dtype (see the module comment), or a one-line error. */
function npyLayout(shape: readonly number[], dtype: NpyDtype, path: string): NpyLayout {
  const shapeText = `(${shape.join(', ')})`;
  if (shape.length === 1 || shape.length === 2) {
    const d = shape.length === 1 ? 1 : shape[1]!;
    if (d === 0) throw badFile(path, `shape ${shapeText}: points have 0 dimensions`);
    return { kind: 'points', d };
  }
  if (shape.length !== 3 && shape.length !== 4) throw badFile(path, `shape ${shapeText}: expected N×D points, N×H×W or N×H×W×C images`);
  const [n, h, w] = shape as [number, number, number];
  const c = shape.length === 4 ? shape[3]! : 1;
  if (c !== 1 && c !== 3) throw badFile(path, `shape ${shapeText}: images need 1 or 3 channels, found ${c}`);
  if (h === 0 || w === 0) throw badFile(path, `shape ${shapeText}: images of 0 pixels`);
  const scale = dtype === 'bool' || dtype.startsWith('float') ? 1 : 1 / 255;
  return { kind: 'images', n, h, w, c, scale, max: scale === 1 ? 1 : 255 };
}

/** Checks values `src` (from index `start` of the array) and writes them as float32 into `out`. */
function convertValues(src: NpyData, start: number, out: Float32Array, layout: NpyLayout, dtype: NpyDtype, path: string): void {
  if (layout.kind === 'points') {
    const { d } = layout;
    for (let k = 0; k < src.length; k++) {
      const v = src[k]!;
      const i = start + k;
      if (!Number.isFinite(v) || Math.abs(v) > FLOAT32_MAX) throw badFile(path, `value ${v} at row ${Math.floor(i / d)}, column ${i % d} is not a finite float32 number`);
      out[i] = v;
    }
    return;
  }
  const { scale, max } = layout;
  for (let k = 0; k < src.length; k++) {
    const v = src[k]!;
    if (!(v >= 0 && v <= max)) {
      const hint = scale === 1 && v > 1 && v <= 255 ? ' (divide 0–255 data by 255, or save it as uint8)' : '';
      throw badFile(path, `image value ${v} at index ${start + k} is outside ${scale === 1 ? '[0, 1]' : '0–255'} for dtype ${dtype}${hint}`);
    }
    out[start + k] = v * scale;
  }
}

function checkDatasetSize(count: number, path: string, what: string): void {
  if (count > MAX_DATASET_VALUES) throw badInput(path, `${what} hold ${formatCount(count)} values, more than ${formatCount(MAX_DATASET_VALUES)} (${DATASET_LIMIT_WHY})`);
}

/** A .npy file streamed into a Dataset (bounded memory: the header is checked against the limits before any value is read). */
async function loadNpy(path: string, size?: number): Promise<Dataset> {
  let layout: NpyLayout | null = null;
  let out = new Float32Array(0);
  let header: NpyHeader | null = null;
  await streamNpyFile(
    path,
    (h) => {
      header = h;
      layout = npyLayout(h.shape, h.dtype, path);
      checkDatasetSize(h.count, path, `its (${h.shape.join(', ')}) array would`);
      if (layout.kind === 'images' && size !== undefined) checkDatasetSize(layout.n * size * size * layout.c, path, `${layout.n} images of ${size}×${size}×${layout.c} would`);
      out = new Float32Array(h.count);
    },
    (values, start) => convertValues(values, start, out, layout!, header!.dtype, path),
  );
  const h = header! as NpyHeader;
  if (h.fortranOrder && h.shape.length > 1) out = fortranToC(out, h.shape);
  return arrayDataset(out, layout!, path, size);
}

/** The Dataset of checked float32 values laid out as `layout`, images fitted into size×size when asked. */
function arrayDataset(data: Float32Array, layout: NpyLayout, path: string, size?: number): Dataset {
  if (layout.kind === 'points') return makeDataset({ name: path, kind: 'points', shape: [layout.d], data });
  const { n, h, w, c } = layout;
  if (size === undefined || (h === size && w === size)) return makeDataset({ name: path, kind: 'images', shape: [h, w, c], data });
  checkDatasetSize(n * size * size * c, path, `${n} images of ${size}×${size}×${c} would`);
  const out = new Float32Array(n * size * size * c);
  const per = h * w * c;
  for (let k = 0; k < n; k++) {
    const fitted = fitToSquare({ width: w, height: h, channels: c, data: data.subarray(k * per, (k + 1) * per) }, size);
    out.set(fitted.data, k * size * size * c);
  }
  return makeDataset({ name: path, kind: 'images', shape: [size, size, c], data: out });
}

/** A Dataset from a parsed .npy array (see the module comment for the shape and value rules). */
export function npyToDataset(arr: NpyArray, path: string, size?: number): Dataset {
  const layout = npyLayout(arr.shape, arr.dtype, path);
  checkDatasetSize(arr.data.length, path, `its (${arr.shape.join(', ')}) array would`);
  const data = new Float32Array(arr.data.length);
  convertValues(arr.data, 0, data, layout, arr.dtype, path);
  return arrayDataset(data, layout, path, size);
}
