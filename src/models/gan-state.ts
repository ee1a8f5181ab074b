/**
 * State a GAN carries besides its networks' weights, and its files: the historical averages of Salimans et al. 2016
 * (§3.3; history.bin) and the power-iteration vectors of spectral normalisation (spectral-norm.bin).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { joinPath, readModelBinaryFile } from '../engine/model-io.js';
import { SpectralNorm } from '../nets/spectral-norm.js';

/** Historical averages of one player: the running mean of its trainable weights and how many values it holds. */
export interface HistoryState {
  averages: tf.Variable[];
  count: number;
}

export const HISTORY_FILE = 'history.bin';
/** u and v of spectral normalisation, per kernel of D (specs in genlab-model.json `state.spectralNorm`). */
export const SPECTRAL_NORM_FILE = 'spectral-norm.bin';

/** Running means of `variables`, starting empty (count 0) or from saved values. */
export function createHistory(variables: readonly tf.Variable[], saved?: { averages: tf.Tensor[]; count: number }): HistoryState {
  const averages = variables.map((v, i) => tf.variable(saved ? saved.averages[i]! : v, false));
  return { averages, count: saved?.count ?? 0 };
}

/** Adds the current values of `variables` to the running means (inside a training step; no gradient flows). */
export function updateHistory(history: HistoryState, variables: readonly tf.Variable[]): void {
  history.count += 1;
  const t = history.count;
  tf.tidy(() => history.averages.forEach((a, i) => a.assign(tf.add(a, tf.div(tf.sub(variables[i]!, a), t))))); // ā ← ā + (θ − ā)/t
}

/** Encodes history averages for history.bin. */
export async function encodeHistory(histories: Record<string, HistoryState>): Promise<{ data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[]; counts: Record<string, number> }> {
  const named = Object.entries(histories).flatMap(([player, h]) => h.averages.map((a, i) => ({ name: `${player}/${i}`, tensor: a as tf.Tensor })));
  const { data, specs } = await tf.io.encodeWeights(named);
  return { data, specs, counts: Object.fromEntries(Object.entries(histories).map(([p, h]) => [p, h.count])) };
}

/** Reads history.bin back: per player, its averages in order and count. */
export async function decodeHistory(dir: string, saved: { counts: Record<string, number>; specs: tf.io.WeightsManifestEntry[] }): Promise<Record<string, { averages: tf.Tensor[]; count: number }>> {
  const bytes = await readModelBinaryFile(dir, HISTORY_FILE, 'missing: the model was saved with historical averages');
  const decoded = tf.io.decodeWeights(bytes, saved.specs);
  const out: Record<string, { averages: tf.Tensor[]; count: number }> = {};
  for (const [player, count] of Object.entries(saved.counts)) {
    const averages: tf.Tensor[] = [];
    for (let i = 0; decoded[`${player}/${i}`]; i++) averages.push(decoded[`${player}/${i}`]!);
    out[player] = { averages, count };
  }
  return out;
}

/** Encodes the spectral normaliser's vectors for spectral-norm.bin: u/0, v/0, u/1, v/1, … */
export async function encodeSpectralNorm(sn: SpectralNorm): Promise<{ data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[] }> {
  const { u, v } = sn.vectors();
  return tf.io.encodeWeights(u.flatMap((ui, i) => [{ name: `u/${i}`, tensor: ui as tf.Tensor }, { name: `v/${i}`, tensor: v[i]! as tf.Tensor }]));
}

/**
 * The spectral normaliser of `nets` with the vectors `file` (spectral-norm.bin unless given) holds, as `specs`
 * describe them (SpectralNorm.restore checks them against the kernels).
 */
export async function loadSpectralNorm(
  dir: string,
  specs: tf.io.WeightsManifestEntry[],
  nets: readonly (tfl.LayersModel | null)[],
  file = SPECTRAL_NORM_FILE,
): Promise<SpectralNorm> {
  const bytes = await readModelBinaryFile(dir, file, 'missing: the model was saved with spectralNorm');
  const decoded = tf.io.decodeWeights(bytes, specs);
  try {
    const u: tf.Tensor[] = [];
    const v: tf.Tensor[] = [];
    for (let i = 0; decoded[`u/${i}`] && decoded[`v/${i}`]; i++) {
      u.push(decoded[`u/${i}`]!);
      v.push(decoded[`v/${i}`]!);
    }
    return SpectralNorm.restore(nets, { u, v }, joinPath(dir, file));
  } finally {
    tf.dispose(Object.values(decoded)); // restore copies what it keeps
  }
}
