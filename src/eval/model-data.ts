/** Data for a trained model: a dataset by name or path, in the model's example shape (images conformed to its size). */
import { badInput } from '../engine/errors.js';
import type { Dataset } from '../data/dataset.js';
import { loadDataset, type LoadOptions } from '../data/registry.js';
import type { TrainableModel } from '../models/model.js';
import { conformImages } from './likelihood.js';

/** The `split` of dataset `spec`, converted to the model's example shape when it differs (images only). */
export async function loadDataFor(model: Pick<TrainableModel, 'dataShape' | 'dataKind'>, spec: string, split: 'train' | 'test', options: { seed?: number; binarize?: string } = {}): Promise<Dataset> {
  const shape = model.dataShape;
  const load: LoadOptions = { seed: options.seed ?? 0 };
  const b = options.binarize;
  if (b === 'none' || b === 'static' || b === 'dynamic') load.binarize = b;
  if (shape.length === 3 && shape[0] === shape[1]) load.size = shape[0]!;
  const ds = (await loadDataset(spec, load))[split];
  if (ds.shape.join() === shape.join()) return ds;
  if (ds.kind !== 'images' || model.dataKind !== 'images') {
    throw badInput(spec, `examples of shape [${ds.shape.join(', ')}], the model expects [${shape.join(', ')}]`);
  }
  return { ...ds, shape: [...shape], data: conformImages(ds.data, ds.count, ds.shape, shape) };
}
