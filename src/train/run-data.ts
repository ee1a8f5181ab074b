/** The data of a run as its flags or manifest.json describe them: a dataset, its seed and binarisation, and limits. */
import { subset, type Dataset } from '../data/dataset.js';
import { loadDataset, type LoadOptions } from '../data/registry.js';
import type { FitData } from './types.js';

export interface RunDataOptions {
  seed?: number;
  binarize?: string | undefined;
  /** Only the first `limit` training (and `testLimit` test) examples. */
  limit?: number | undefined;
  testLimit?: number | undefined;
}

/** Loads the dataset `spec` (a name or a path) as a run uses it: its first `limit` / `testLimit` examples. */
export async function loadRunData(spec: string, options: RunDataOptions = {}): Promise<FitData> {
  const load: LoadOptions = { seed: options.seed ?? 0 };
  const b = options.binarize;
  if (b === 'none' || b === 'static' || b === 'dynamic') load.binarize = b;
  const { train, test } = await loadDataset(spec, load);
  const first = (ds: Dataset, n: number | undefined): Dataset => (n === undefined || n >= ds.count ? ds : subset(ds, Int32Array.from({ length: n }, (_, i) => i)));
  return { train: first(train, options.limit), test: first(test, options.testLimit) };
}
