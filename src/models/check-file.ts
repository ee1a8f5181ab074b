/**
 * Load-time checks of a saved model folder, so that a corrupt or hand-edited folder gets a one-line error naming its
 * genlab-model.json instead of a stack trace (or NaN samples) later:
 *
 * - before the networks are built: the config's values against the option table (types, ranges: models/options.ts)
 *   and the example shape within bounds;
 * - after: every weight finite (a run that diverged saves NaN weights; they would only ever produce NaN), and one
 *   forward pass of every network on two examples (evaluate, sample, reconstruct), which fails when the sizes in
 *   genlab-model.json disagree with the networks' own (a latent of 20 over networks built for 10).
 *
 * The networks' model.json files themselves (topology, weight specs) are checked by engine/model-check.ts as they
 * are read.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GenlabError, badFile } from '../engine/errors.js';
import { Rng } from '../engine/rng.js';
import { isConditional, type ModelFile, type TrainableModel } from './model.js';
import { checkOptionValues } from './options.js';

/** Most values one example may hold: 2^24 (a 2048×2048×4 image); larger shapes are corrupt files, not data. */
const MAX_EXAMPLE_VALUES = 2 ** 24;

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);

/** Checks the fields of a genlab-model.json beyond their presence (`path` names it). */
export function checkSavedConfig(path: string, file: ModelFile): void {
  const size = file.dataShape.reduce((a, b) => a * b, 1);
  if (file.dataShape.length > 4 || size > MAX_EXAMPLE_VALUES) {
    throw badFile(path, `"dataShape" [${file.dataShape.join(', ')}] is not an example shape (at most 4 dimensions and ${MAX_EXAMPLE_VALUES} values)`);
  }
  try {
    checkOptionValues(file.config);
  } catch (e) {
    if (e instanceof GenlabError) throw badFile(path, `"config": ${e.message}`);
    throw e;
  }
}

/** Runs `load` and turns anything but a GenlabError into a one-line error naming `path`. */
export async function loadChecked<M>(path: string, load: () => Promise<M>): Promise<M> {
  try {
    return await load();
  } catch (e) {
    if (e instanceof GenlabError) throw e;
    throw badFile(path, `cannot load the model (${firstLine(e)})`);
  }
}

/**
 * Checks a freshly loaded model (see the module comment); disposes it and throws a one-line error naming `path`
 * when it is unusable.
 */
export function checkLoadedModel<M extends TrainableModel>(model: M, path: string): M {
  try {
    checkFiniteWeights(model, path);
    forwardPass(model, path);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * Checks that `model`'s variables have the shapes of `fresh`'s (a model newly built from the same genlab-model.json),
 * in order; disposes `fresh`. A config whose sizes (hidden widths, latent, filters, classes) disagree with the saved
 * networks fails here even where a forward pass would not notice.
 */
export function checkSameShapes(model: TrainableModel, fresh: TrainableModel, path: string): void {
  try {
    const a = model.variables().map((v) => v.shape.join('×'));
    const b = fresh.variables().map((v) => v.shape.join('×'));
    const i = a.findIndex((s, k) => s !== b[k]);
    if (a.length !== b.length || i >= 0) {
      const at = i >= 0 ? `weight ${i + 1} is ${a[i]}, the config makes ${b[i] ?? 'none'}` : `${a.length} weights, the config makes ${b.length}`;
      throw badFile(path, `its networks do not fit its sizes (${at})`);
    }
  } finally {
    fresh.dispose();
  }
}

function checkFiniteWeights(model: TrainableModel, path: string): void {
  for (const v of model.variables()) {
    if (v.dtype !== 'float32') continue;
    const ok = tf.tidy(() => tf.all(tf.isFinite(v)).dataSync()[0] === 1);
    if (!ok) throw badFile(path, `weight ${v.name} holds NaN or infinite values (saved from a run that diverged?): refusing to use them`);
  }
}

/** The model's samples, or null for a model that cannot sample (an upscaler has no `sample`). */
function sampleIfAble(model: TrainableModel, n: number, rng: Rng, labels: tf.Tensor1D | undefined): tf.Tensor | null {
  return model.sample?.(n, rng, labels) ?? null;
}

function forwardPass(model: TrainableModel, path: string): void {
  const pack = (model.config as { pack?: unknown }).pack;
  const n = 2 * (typeof pack === 'number' && Number.isInteger(pack) && pack > 1 ? pack : 1);
  const want = [n, ...model.dataShape].join(', ');
  try {
    tf.tidy(() => {
      const x = tf.fill([n, ...model.dataShape], 0.5);
      const labels = isConditional(model) ? (tf.zeros([n], 'int32') as tf.Tensor1D) : undefined;
      const rng = new Rng(0);
      model.evaluate(labels ? { x, labels } : { x }, rng);
      const s = sampleIfAble(model, n, rng, labels);
      if (s && s.shape.join(', ') !== want) throw new Error(`samples of shape [${s.shape.join(', ')}], expected [${want}]`);
      const r = model.reconstruct?.(x, rng, labels);
      if (r && r.shape.join(', ') !== want) throw new Error(`reconstructions of shape [${r.shape.join(', ')}], expected [${want}]`);
    });
  } catch (e) {
    if (e instanceof GenlabError && e.code !== 'internal') throw badFile(path, `its networks do not fit it (${e.message})`);
    throw badFile(path, `its networks do not fit its sizes (${firstLine(e)})`);
  }
}
