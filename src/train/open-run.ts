/**
 * Opening what `fit` wrote: a run folder (its manifest says which data it was trained on; the model is `model/`, or
 * the last checkpoint's `checkpoint/model/` while the run is still going), or a saved model folder itself.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GenlabError, badFile } from '../engine/errors.js';
import { MODEL_FILE } from '../models/model.js';
import { CHECKPOINT_DIR, MANIFEST_FILE, MODEL_DIR, readManifest } from './run-folder.js';

export interface RunInfo {
  dir: string;
  /** Folder of the saved model (model/ or checkpoint/model/). */
  modelDir: string;
  /**
   * The training data: name (as loadDataset knows it), example shape, MNIST binarisation, whether training images were
   * mirrored (--mirror); null for a bare model folder.
   */
  data: { name: string; shape: number[]; binarize?: string; mirror?: boolean } | null;
  seed: number;
}

/** Finds the model of run folder `dir` (or accepts a saved model folder itself) and reads its manifest. */
export async function openRun(dir: string): Promise<RunInfo> {
  if (!existsSync(dir)) throw new GenlabError('not-found', `${dir}: no such run folder`);
  if (existsSync(join(dir, MODEL_FILE))) return { dir, modelDir: dir, data: null, seed: 0 };
  if (!existsSync(join(dir, MANIFEST_FILE))) throw new GenlabError('not-found', `${dir}: not a run folder (no ${MANIFEST_FILE}) nor a saved model (no ${MODEL_FILE})`);
  const manifest = await readManifest(dir);
  const d = manifest.data as { name?: unknown; shape?: unknown; binarize?: unknown; mirror?: unknown };
  if (typeof d.name !== 'string' || !Array.isArray(d.shape) || !d.shape.every((v) => Number.isInteger(v) && v >= 1)) {
    throw badFile(join(dir, MANIFEST_FILE), 'expected "data": { "name": …, "shape": [...] }');
  }
  const modelDir = [join(dir, MODEL_DIR), join(dir, CHECKPOINT_DIR, MODEL_DIR)].find((c) => existsSync(join(c, MODEL_FILE)));
  if (!modelDir) throw new GenlabError('not-found', `${dir}: no saved model yet (neither model/ nor checkpoint/model/ holds ${MODEL_FILE})`);
  return {
    dir,
    modelDir,
    data: { name: d.name, shape: d.shape as number[], ...(typeof d.binarize === 'string' ? { binarize: d.binarize } : {}), ...(d.mirror === true ? { mirror: true } : {}) },
    seed: Number.isInteger(manifest.seed) ? manifest.seed : 0,
  };
}
