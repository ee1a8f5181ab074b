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
 * write leaves the previous checkpoint whole. It is only written while every term and weight is finite: it is the
 * last good state of the run. Reading checks state.json against its schema (`checkState`) and each optimiser file's
 * size against its specs, so a corrupt checkpoint is a one-line error, never a stack trace or a run without end.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readBytes } from '../data/idx.js';
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

/** Largest state.json read: 256 MiB (it holds every metrics record of the run: kilobytes per epoch). */
const MAX_STATE_BYTES = 256 * 2 ** 20;

/** Reads state.json of the checkpoint in `dir` (after putting back a folder a crash left aside), checked. */
export async function readCheckpointState(dir: string): Promise<CheckpointState> {
  await recoverAtomicDir(dir);
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) throw new GenlabError('not-found', `${dir}: no checkpoint here (no ${STATE_FILE})`);
  let state: unknown;
  try {
    state = JSON.parse(new TextDecoder().decode(await readBytes(file, MAX_STATE_BYTES)));
  } catch (e) {
    if (e instanceof GenlabError) throw e;
    throw badFile(file, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return checkState(state, file);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A count that fits every later computation exactly (steps, epochs, examples). */
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 2 ** 50;
const isUint32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
/** A 32-bit word as the generator keeps it (signed or unsigned). */
const isWord = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v <= 0xffffffff;
const isSeconds = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * Checks a parsed state.json (`file` names it): every field of the right type and range (counts are non-negative
 * safe integers, never strings; the RNG state four 32-bit words, not all zero; sums, seconds and optimiser numbers
 * finite), optimiser specs well formed, metrics a list of records up to the checkpoint's epoch.
 */
export function checkState(json: unknown, file: string): CheckpointState {
  const bad = (what: string): never => {
    throw badFile(file, what);
  };
  if (!isObject(json) || !isObject(json['progress']) || !isObject(json['rng']) || !Array.isArray(json['optimizers'])) {
    return bad('not a genlab checkpoint (progress, rng or optimizers missing)');
  }
  const version = json['version'];
  if (!Number.isInteger(version) || (version as number) < 1) bad(`"version" must be a positive integer, got ${short(version)}`);
  if ((version as number) > CHECKPOINT_VERSION) bad(`checkpoint version ${version}, this genlab reads up to ${CHECKPOINT_VERSION}`);

  const p = json['progress'];
  for (const k of ['epoch', 'step', 'batchInEpoch', 'examples'] as const) if (!isCount(p[k])) bad(`"progress.${k}" must be a non-negative integer, got ${short(p[k])}`);
  const progress = p as unknown as TrainProgress;
  if (progress.epoch > progress.step) bad(`"progress.epoch" ${progress.epoch} is more than its ${progress.step} steps`);
  if (progress.batchInEpoch > progress.step) bad(`"progress.batchInEpoch" ${progress.batchInEpoch} is more than its ${progress.step} steps`);
  if (p['shuffleSeed'] !== null && !isUint32(p['shuffleSeed'])) bad(`"progress.shuffleSeed" must be null or a 32-bit unsigned integer, got ${short(p['shuffleSeed'])}`);
  if (!isObject(p['sums']) || !Object.values(p['sums']).every((v) => typeof v === 'number' && Number.isFinite(v))) bad('"progress.sums" must map term names to finite numbers');
  if (!isSeconds(p['epochSeconds']) || !isSeconds(p['seconds'])) bad('"progress.epochSeconds" and "progress.seconds" must be non-negative numbers');

  const r = json['rng'];
  const words = r['s'];
  if (!Array.isArray(words) || words.length !== 4 || !words.every(isWord)) bad(`"rng.s" must be four 32-bit integers, got ${short(words)}`);
  if ((words as number[]).every((w) => w === 0)) bad('"rng.s" is all zeros, which no seeded generator reaches: the state is corrupt');
  if (r['spareNormal'] !== null && !(typeof r['spareNormal'] === 'number' && Number.isFinite(r['spareNormal']))) bad('"rng.spareNormal" must be null or a finite number');

  (json['optimizers'] as unknown[]).forEach((o, i) => {
    const where = `"optimizers[${i}]"`;
    if (!isObject(o) || typeof o['group'] !== 'string' || !isObject(o['state'])) return bad(`${where} must be { group, state }`);
    const st = o['state'];
    if (!Array.isArray(st['specs']) || !Array.isArray(st['names']) || st['names'].length !== st['specs'].length || !st['names'].every((n) => typeof n === 'string')) {
      return bad(`${where}.state needs "specs" and as many "names"`);
    }
    for (const spec of st['specs'] as unknown[]) {
      if (!isObject(spec) || typeof spec['name'] !== 'string' || (spec['dtype'] !== 'float32' && spec['dtype'] !== 'int32')) bad(`${where}: a spec without a name or with a dtype other than float32/int32`);
      const shape = (spec as { shape?: unknown }).shape;
      if (!Array.isArray(shape) || shape.length > 8 || !shape.every(isCount) || shape.reduce((a: number, b: number) => a * b, 1) > 2 ** 28) bad(`${where}: a spec with shape ${short(shape)}`);
    }
    if (!isObject(st['extra']) || !Object.values(st['extra']).every((v) => typeof v === 'number' && Number.isFinite(v))) bad(`${where}.state.extra must map names to finite numbers`);
  });

  const metrics = json['metrics'];
  if (!Array.isArray(metrics)) bad(`"metrics" must be a list of records, got ${short(metrics)}`);
  (metrics as unknown[]).forEach((m, i) => {
    if (!isObject(m) || !isCount(m['epoch']) || (m['epoch'] as number) < 1 || !isCount(m['step']) || (m['split'] !== 'train' && m['split'] !== 'test')) {
      return bad(`"metrics[${i}]" must be a record with epoch ≥ 1, step and split (train or test)`);
    }
    if ((m['epoch'] as number) > progress.epoch) bad(`"metrics[${i}]" is of epoch ${m['epoch']}, after the checkpoint's epoch ${progress.epoch}`);
    if (!Object.values(m).every((v) => v === null || typeof v === 'string' || (typeof v === 'number' && !Number.isNaN(v)))) bad(`"metrics[${i}]" holds a value that is not a number, string or null`);
  });
  return json as unknown as CheckpointState;
}

/** A short one-line rendering of an untrusted value for messages. */
function short(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
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
    const specs = state.optimizers[i]!.state.specs;
    const need = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
    const bytes = await readBytes(file, need + 65536); // a larger file is refused by size below, a huge one unread
    if (bytes.byteLength !== need) throw badFile(file, `${bytes.byteLength} bytes, the ${specs.length} tensors its state.json lists need ${need} (truncated or from another checkpoint)`);
    const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    await restoreOptimizerState(group.optimizer, settings, state.optimizers[i]!.state, data, group.variables, `${file} (group ${group.name})`);
  }
}
