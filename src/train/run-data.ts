/** The data of a run as its flags or manifest.json describe them: a dataset, its seed, binarisation and image size, limits and mirroring. */
import { badInput } from '../engine/errors.js';
import { subset, withMirroring, type Dataset } from '../data/dataset.js';
import { loadDataset, type LoadOptions } from '../data/registry.js';
import type { FitData } from './types.js';

export interface RunDataOptions {
  seed?: number;
  binarize?: string | undefined;
  /** Images: side of the square they are resized to (Pokémon, moons, image folders); the dataset's default without it. */
  size?: number | undefined;
  /** Only the first `limit` training (and `testLimit` test) examples. */
  limit?: number | undefined;
  testLimit?: number | undefined;
  /** Images: training batches flip each image left to right with probability ½ (data/dataset.ts withMirroring). */
  mirror?: boolean | undefined;
}

/** Loads the dataset `spec` (a name or a path) as a run uses it: its first `limit` / `testLimit` examples. */
export async function loadRunData(spec: string, options: RunDataOptions = {}): Promise<FitData> {
  const load: LoadOptions = { seed: options.seed ?? 0 };
  const b = options.binarize;
  if (b === 'none' || b === 'static' || b === 'dynamic') load.binarize = b;
  if (options.size !== undefined) load.size = options.size;
  const { train, test } = await loadDataset(spec, load);
  if (options.size !== undefined && !(train.kind === 'images' && train.shape[0] === options.size && train.shape[1] === options.size)) {
    throw badInput('--size', `${spec}'s examples are [${train.shape.join(', ')}] and take no size (it resizes pokemon, moons and image folders)`);
  }
  if (options.mirror && train.kind !== 'images') throw badInput('--mirror', `${spec}'s examples are points [${train.shape.join(', ')}]: only images flip left to right`);
  const first = (ds: Dataset, n: number | undefined): Dataset => (n === undefined || n >= ds.count ? ds : subset(ds, Int32Array.from({ length: n }, (_, i) => i)));
  const kept = first(train, options.limit);
  return { train: options.mirror ? withMirroring(kept) : kept, test: first(test, options.testLimit) };
}
