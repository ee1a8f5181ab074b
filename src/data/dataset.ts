/**
 * A dataset is a block of examples in one Float32Array plus its shape and optional labels. Images are NHWC with
 * values in [0, 1]; points are rows of D numbers. Loaders return a train and a test split.
 */
import { badInput } from '../engine/errors.js';
import type { Rng } from '../engine/rng.js';

/** Class labels (digit, Pokémon type…) or a continuous value per example (a moon's phase angle). */
export type Labels =
  | { kind: 'class'; values: Int32Array; classes: string[] }
  | { kind: 'value'; values: Float32Array; name: string };

export interface Dataset {
  /** Dataset name as the CLI knows it (`mnist`, `ring8`, a file path…). */
  name: string;
  /** `images`: shape is [height, width, channels], values in [0, 1]. `points`: shape is [dims]. */
  kind: 'images' | 'points';
  /** Shape of one example. */
  shape: number[];
  /** Number of examples. */
  count: number;
  /** All examples, row-major: data.length === count × product(shape). */
  data: Float32Array;
  labels?: Labels;
  /**
   * Applied to every batch drawn from this dataset unless the caller passes its own transform: e.g. MNIST's dynamic
   * binarisation, which resamples binary pixels from the grey values at every pass.
   */
  batchTransform?: (x: Float32Array, rng: Rng | undefined) => void;
}

export interface DatasetSplits {
  train: Dataset;
  test: Dataset;
}

/** Number of values in one example. */
export function exampleSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A Dataset built from its parts, with the length checks every loader needs. */
export function makeDataset(parts: Omit<Dataset, 'count'> & { count?: number }): Dataset {
  const size = exampleSize(parts.shape);
  const count = parts.count ?? (size === 0 ? 0 : parts.data.length / size);
  if (!Number.isInteger(count) || count * size !== parts.data.length) {
    throw badInput(parts.name, `data has ${parts.data.length} values, not a whole number of examples of shape [${parts.shape.join(', ')}]`);
  }
  if (parts.labels && parts.labels.values.length !== count) {
    throw badInput(parts.name, `${parts.labels.values.length} labels for ${count} examples`);
  }
  return { ...parts, count };
}

/** Each class's share of the examples (summing to 1), or undefined when the data have no class labels. */
export function classFrequencies(ds: Pick<Dataset, 'labels' | 'count'>): number[] | undefined {
  if (ds.labels?.kind !== 'class' || ds.count === 0) return undefined;
  const counts = new Array<number>(ds.labels.classes.length).fill(0);
  for (const c of ds.labels.values) counts[c]!++;
  return counts.map((c) => c / ds.count);
}

/** The examples at `indices` (in that order), labels included. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const size = exampleSize(ds.shape);
  const data = new Float32Array(indices.length * size);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    data.set(ds.data.subarray(j * size, (j + 1) * size), i * size);
  }
  let labels: Labels | undefined;
  if (ds.labels?.kind === 'class') {
    const values = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) values[i] = ds.labels.values[indices[i]!]!;
    labels = { ...ds.labels, values };
  } else if (ds.labels?.kind === 'value') {
    const values = new Float32Array(indices.length);
    for (let i = 0; i < indices.length; i++) values[i] = ds.labels.values[indices[i]!]!;
    labels = { ...ds.labels, values };
  }
  return {
    name,
    kind: ds.kind,
    shape: [...ds.shape],
    count: indices.length,
    data,
    ...(labels ? { labels } : {}),
    ...(ds.batchTransform ? { batchTransform: ds.batchTransform } : {}),
  };
}

/** A seeded random train/test split of one dataset (for user data that comes as a single file or folder). */
export function splitTrainTest(ds: Dataset, testFraction: number, rng: Rng): DatasetSplits {
  if (!(testFraction >= 0 && testFraction < 1)) throw badInput('testFraction', `expected a number in [0, 1), got ${testFraction}`);
  const order = rng.permutation(ds.count);
  const nTest = Math.round(ds.count * testFraction);
  return { train: subset(ds, order.subarray(nTest)), test: subset(ds, order.subarray(0, nTest)) };
}

/**
 * `ds` whose batches flip each image left to right with probability ½, after the dataset's own transform: x-flip
 * augmentation, which doubles a small set of images with images of the same kind (Karras et al. 2020, "Training
 * Generative Adversarial Networks with Limited Data", §3 and its `--mirror`). The draws come from the batch's
 * generator, so a run's flips follow its seed; batches drawn without one (evaluation) are left as they are.
 */
export function withMirroring(ds: Dataset): Dataset {
  const [, width, channels] = imageShape(ds);
  const own = ds.batchTransform;
  return {
    ...ds,
    batchTransform: (x, rng) => {
      own?.(x, rng);
      if (rng) flipHalfLeftRight(x, exampleSize(ds.shape), width, channels, rng);
    },
  };
}

/** `ds`'s images followed by each of them mirrored left to right (labels repeated): 2 × count images. */
export function withMirrorImages(ds: Dataset): Dataset {
  const [, width, channels] = imageShape(ds);
  const size = exampleSize(ds.shape);
  const data = new Float32Array(2 * ds.data.length);
  data.set(ds.data);
  data.set(ds.data, ds.data.length);
  for (let start = ds.data.length; start < data.length; start += size) flipLeftRight(data, start, size, width, channels);
  const labels: Labels | undefined =
    ds.labels?.kind === 'class' ? { ...ds.labels, values: Int32Array.from([...ds.labels.values, ...ds.labels.values]) }
    : ds.labels?.kind === 'value' ? { ...ds.labels, values: Float32Array.from([...ds.labels.values, ...ds.labels.values]) }
    : undefined;
  return makeDataset({ name: ds.name, kind: ds.kind, shape: [...ds.shape], data, ...(labels ? { labels } : {}) });
}

/** [height, width, channels] of an image dataset; a one-line error for anything else. */
function imageShape(ds: Dataset): [number, number, number] {
  if (ds.kind !== 'images' || ds.shape.length !== 3) throw badInput(ds.name, `mirroring flips images [height, width, channels], got ${ds.kind} [${ds.shape.join(', ')}]`);
  return ds.shape as [number, number, number];
}

/** Flips each example of `x` (examples of `size` values) left to right with probability ½, in place. */
function flipHalfLeftRight(x: Float32Array, size: number, width: number, channels: number, rng: Rng): void {
  for (let start = 0; start < x.length; start += size) if (rng.uniform() < 0.5) flipLeftRight(x, start, size, width, channels);
}

/** Mirrors the image of `size` values at `start` of `x` (rows of `width` pixels of `channels`) left to right, in place. */
function flipLeftRight(x: Float32Array, start: number, size: number, width: number, channels: number): void {
  const row = width * channels;
  for (let r = start; r < start + size; r += row) {
    for (let a = 0, b = width - 1; a < b; a++, b--) {
      for (let c = 0; c < channels; c++) {
        const i = r + a * channels + c;
        const j = r + b * channels + c;
        const t = x[i]!;
        x[i] = x[j]!;
        x[j] = t;
      }
    }
  }
}

/** One minibatch: `x` holds `size` examples row-major; `indices` are their positions in the dataset. */
export interface Batch {
  x: Float32Array;
  size: number;
  shape: number[];
  indices: Int32Array;
  labels?: Int32Array | Float32Array;
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle each pass with this generator; omit for dataset order. */
  rng?: Rng;
  /** Drop the last, smaller batch (keeps batch statistics comparable). Default false. */
  dropLast?: boolean;
  /** Applied to each batch's values in place; defaults to the dataset's own `batchTransform`. */
  transform?: (x: Float32Array, rng: Rng | undefined) => void;
}

/** One pass over the dataset in minibatches (seeded shuffle when `rng` is given). */
export function* batches(ds: Dataset, options: BatchOptions): Generator<Batch> {
  const { batchSize, rng, dropLast = false, transform = ds.batchTransform } = options;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw badInput('batchSize', `expected a positive integer, got ${batchSize}`);
  const order = rng ? rng.permutation(ds.count) : Int32Array.from({ length: ds.count }, (_, i) => i);
  const size = exampleSize(ds.shape);
  for (let start = 0; start < ds.count; start += batchSize) {
    const n = Math.min(batchSize, ds.count - start);
    if (n < batchSize && dropLast) break;
    const indices = order.slice(start, start + n);
    const x = new Float32Array(n * size);
    for (let i = 0; i < n; i++) x.set(ds.data.subarray(indices[i]! * size, (indices[i]! + 1) * size), i * size);
    transform?.(x, rng);
    const batch: Batch = { x, size: n, shape: [n, ...ds.shape], indices };
    if (ds.labels) {
      const values = ds.labels.kind === 'class' ? new Int32Array(n) : new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = ds.labels.values[indices[i]!]!;
      batch.labels = values;
    }
    yield batch;
  }
}

/**
 * Minibatches without end, pass after pass over the dataset (each pass reshuffled by `rng` when given), labels
 * included: for drivers that count steps rather than epochs — the lab's pages and the model tests feed them to
 * TrainStep. Throws at once when the dataset holds no batch (empty, or fewer examples than a batch with dropLast).
 */
export function endlessBatches(ds: Dataset, options: BatchOptions): Generator<Batch, never, undefined> {
  const { batchSize, dropLast = false } = options;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw badInput('batchSize', `expected a positive integer, got ${batchSize}`);
  if (ds.count === 0 || (dropLast && ds.count < batchSize)) {
    throw badInput(ds.name, `${ds.count} examples${ds.count > 0 ? `, fewer than one batch of ${batchSize}` : ''}: nothing to train on`);
  }
  return (function* (): Generator<Batch, never, undefined> {
    for (;;) yield* batches(ds, options);
  })();
}
