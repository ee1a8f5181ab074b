/**
 * Checkpoints: everything a killed run needs to continue exactly where it stopped.
 *
 * ```
 * checkpoint/
 *   model/             model.save(...) — the networks as plain TF.js layers models
 *   optimizer-0.bin    the first loss group's optimiser tensors (TF.js weights format; specs in state.json), …
 *   state.json         CheckpointState: progress (epoch, step, position in the epoch), rng state, optimiser specs,
 *                      partial sums of the epoch under way, and every metrics record so far
 * ```
 * The folder is replaced atomically (written aside, then renamed; engine/model-io.ts), so a crash or a failing
 * write leaves the previous checkpoint whole.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GenlabError, badFile } from '../engine/errors.js';
import { recoverAtomicDir, writeDirAtomically } from '../engine/model-io.js';
import type { RngState } from '../engine/rng.js';
import type { TrainableModel } from '../models/model.js';
import { restoreOptimizerState, saveOptimizerState, type ResolvedOptimizerOptions, type SavedOptimizerState } from './optimizers.js';
import type { MetricsRecord } from './run-folder.js';

export const CHECKPOINT_VERSION = 1;
const STATE_FILE = 'state.json';
const optimizerFile = (i: number): string => `optimizer-${i}.bin`;

/** Where training stands: enough to continue the same stream of batches and noise. */
export interface TrainProgress {
  /** Completed epochs. */
  epoch: number;
  /** Completed training steps (global). */
  step: number;
  /** Batches done in the epoch under way (0 at an epoch boundary). */
  batchInEpoch: number;
  /** Seed of the epoch under way's shuffle (null at an epoch boundary: the next epoch draws a new one). */
  shuffleSeed: number | null;
  /** Example-weighted sums of the logged terms over the epoch under way, and its example count and seconds. */
  sums: Record<string, number>;
  examples: number;
  epochSeconds: number;
  /** Training time of the whole run so far (all sessions), seconds. */
  seconds: number;
}

/** state.json of a checkpoint. */
export interface CheckpointState {
  version: number;
  progress: TrainProgress;
  /** The training stream (shuffles, batch transforms, the model's noise). */
  rng: RngState;
  /** One per loss group, in declared order. */
  optimizers: { group: string; state: SavedOptimizerState }[];
  metrics: MetricsRecord[];
}

/** Writes a checkpoint of `model`, its optimisers (one per loss group, in order) and the progress into `dir`. */
export async function writeCheckpoint(
  dir: string,
  parts: { model: TrainableModel; optimizers: { group: string; optimizer: tf.Optimizer }[]; progress: TrainProgress; rng: RngState; metrics: readonly MetricsRecord[] },
): Promise<void> {
  await writeDirAtomically(dir, async (tmp) => {
    await parts.model.save(join(tmp, 'model'));
    const optimizers: CheckpointState['optimizers'] = [];
    for (const [i, { group, optimizer }] of parts.optimizers.entries()) {
      const { state, data } = await saveOptimizerState(optimizer);
      await writeFile(join(tmp, optimizerFile(i)), new Uint8Array(data));
      optimizers.push({ group, state });
    }
    const state: CheckpointState = {
      version: CHECKPOINT_VERSION,
      progress: structuredClone(parts.progress),
      rng: parts.rng,
      optimizers,
      metrics: [...parts.metrics],
    };
    await writeFile(join(tmp, STATE_FILE), JSON.stringify(state));
  });
}

/** Reads state.json of the checkpoint in `dir` (after putting back a folder a crash left aside). */
export async function readCheckpointState(dir: string): Promise<CheckpointState> {
  await recoverAtomicDir(dir);
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) throw new GenlabError('not-found', `${dir}: no checkpoint here (no ${STATE_FILE})`);
  let state: CheckpointState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as CheckpointState;
  } catch (e) {
    throw badFile(file, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof state.version !== 'number' || !state.progress || !state.rng || !Array.isArray(state.optimizers)) {
    throw badFile(file, 'not a genlab checkpoint (progress, rng or optimizers missing)');
  }
  if (state.version > CHECKPOINT_VERSION) throw badFile(file, `checkpoint version ${state.version}, this genlab reads up to ${CHECKPOINT_VERSION}`);
  return state;
}

/** The folder holding the checkpointed model (for a `loadModel` function). */
export function checkpointModelDir(dir: string): string {
  return join(dir, 'model');
}

/**
 * Restores the optimisers of a checkpoint into fresh optimisers, one per loss group: `groups` are the loaded
 * model's groups (names must match the saved ones, in order).
 */
export async function restoreOptimizers(
  dir: string,
  state: CheckpointState,
  settings: ResolvedOptimizerOptions,
  groups: readonly { name: string; variables: tf.Variable[]; optimizer: tf.Optimizer }[],
): Promise<void> {
  const saved = state.optimizers.map((o) => o.group);
  const names = groups.map((g) => g.name);
  if (saved.join('\u0000') !== names.join('\u0000')) {
    throw badFile(join(dir, STATE_FILE), `checkpoint has optimisers for loss groups [${saved.join(', ')}], the model has [${names.join(', ')}]`);
  }
  for (const [i, group] of groups.entries()) {
    const file = join(dir, optimizerFile(i));
    if (!existsSync(file)) throw badFile(file, 'optimizer state missing');
    const bytes = await readFile(file);
    const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    await restoreOptimizerState(group.optimizer, settings, state.optimizers[i]!.state, data, group.variables, `${file} (group ${group.name})`);
  }
}
