/**
 * `fit`: the Node driver of the one training step (step.ts) — epochs, callbacks, and with a run folder its manifest,
 * metrics.jsonl, checkpoints and resume. It never asks what kind of model it trains.
 *
 *   for each step:  batch → TrainStep.run (every loss group, NaN/Inf check) → running means, callbacks
 *   each epoch:     test-set evaluation, metrics.jsonl lines, checkpoint, manifest, callbacks (grids, progress)
 *
 * It owns no signals: a caller that wants Ctrl-C to stop a run cleanly aborts `signal` (the CLI does).
 *
 * A run folder is written so that a kill at any instant leaves it usable (run-folder.ts's states): one writer holds
 * its lock (run-lock.ts); the first checkpoint is written before the manifest; every replacement is atomic. A NaN or
 * infinite train or test term, or weight, stops the run before anything of that epoch is checkpointed, so
 * checkpoint/ is always the last good state; best/ holds the model of the best epoch so far.
 *
 * One seeded Rng drives shuffling, batch transforms (dynamic binarisation) and the model's noise, and is saved in
 * every checkpoint: a resumed run continues the same stream, and its metrics equal an uninterrupted run's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { batches, type Batch, type Dataset } from '../data/dataset.js';
import { GenlabError, badFile, badInput } from '../engine/errors.js';
import { writeDirAtomically } from '../engine/model-io.js';
import { Rng } from '../engine/rng.js';
import type { TrainableModel } from '../models/model.js';
import {
  checkpointModelDir,
  readCheckpointState,
  restoreOptimizers,
  writeCheckpoint,
  type TrainProgress,
} from './checkpoint.js';
import { resolveOptimizerOptions, type OptimizerOptions } from './optimizers.js';
import { NonFiniteTermError, TrainStep, toTensorBatch } from './step.js';
import {
  BEST_DIR,
  CHECKPOINT_DIR,
  METRICS_FILE,
  MODEL_DIR,
  MetricsWriter,
  RUN_VERSION,
  checkRunDirPath,
  clearLeftovers,
  makeRunDir,
  readManifest,
  runFolderState,
  writeManifest,
  type MetricsRecord,
  type RunManifest,
} from './run-folder.js';
import { acquireRunLock, type RunLock } from './run-lock.js';
import type { BestBy, FitData, FitOptions, FitResult, ResolvedFitOptions, TrainCallback, TrainContext } from './types.js';

const DEFAULT_BEST: BestBy = { metric: 'loss', better: 'lower' };

/** Everything one training session works on. */
interface Session {
  model: TrainableModel;
  data: FitData;
  options: ResolvedFitOptions;
  runDir: string | undefined;
  trainer: TrainStep;
  rng: Rng;
  evalSeed: number;
  progress: TrainProgress;
  metrics: MetricsRecord[];
  manifest: RunManifest | null;
  /** Progress of the last checkpoint written (null: none). */
  checkpointAt: { epoch: number; step: number; batchInEpoch: number } | null;
  callbacks: TrainCallback[];
  signal: AbortSignal | undefined;
  epochMetrics: FitOptions['epochMetrics'];
  bestBy: BestBy;
}

/**
 * The streams a run derives from its one `seed`: the training stream (shuffles, batch transforms, model noise), the
 * evaluation noise, the fixed sample noise, and a seed for the model's initial weights (for whoever creates it).
 */
export function runSeeds(seed: number): { train: Rng; evalSeed: number; sampleSeed: number; initSeed: number } {
  const root = new Rng(seed);
  const train = root.fork();
  const evalSeed = root.nextUint32();
  const sampleSeed = root.nextUint32();
  return { train, evalSeed, sampleSeed, initSeed: root.nextUint32() };
}

const positiveInt = (where: string, v: number | undefined): void => {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw badInput(where, `expected a positive integer, got ${v}`);
};

/** Checks the options and fills in every default. */
export function resolveFitOptions(o: FitOptions): ResolvedFitOptions {
  if (o.epochs !== undefined && o.steps !== undefined) throw badInput('fit', 'give epochs or steps, not both');
  positiveInt('epochs', o.epochs);
  positiveInt('steps', o.steps);
  positiveInt('batch size', o.batchSize);
  positiveInt('eval batch size', o.evalBatchSize);
  positiveInt('checkpoint every', o.checkpointEverySteps);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw badInput('seed', `expected an integer, got ${seed}`);
  const batchSize = o.batchSize ?? 64;
  const groupLearningRates = { ...o.groupLearningRates };
  for (const [group, lr] of Object.entries(groupLearningRates)) {
    if (!(Number.isFinite(lr) && lr > 0)) throw badInput(`groupLearningRates.${group}`, `expected a positive learning rate, got ${lr}`);
  }
  return {
    ...resolveOptimizerOptions(o),
    epochs: o.steps !== undefined ? null : (o.epochs ?? 10),
    steps: o.steps ?? null,
    batchSize,
    groupLearningRates,
    seed,
    dropLast: o.dropLast ?? false,
    evalBatchSize: o.evalBatchSize ?? Math.max(batchSize, 256),
    sampleSeed: o.sampleSeed ?? runSeeds(seed).sampleSeed,
    checkpointEverySteps: o.checkpointEverySteps ?? null,
  };
}

/** The trainer's per-group optimiser settings from the run's per-group learning rates. */
const groupOptionsOf = (o: ResolvedFitOptions): Record<string, OptimizerOptions> =>
  Object.fromEntries(Object.entries(o.groupLearningRates).map(([group, learningRate]) => [group, { learningRate }]));

const freshProgress = (): TrainProgress => ({ epoch: 0, step: 0, batchInEpoch: 0, shuffleSeed: null, sums: {}, examples: 0, epochSeconds: 0, seconds: 0 });

function checkData(model: TrainableModel, data: FitData): void {
  const { train, test } = data;
  if (train.count < 1) throw badInput(train.name, 'no training examples');
  if (model.dataShape.join() !== train.shape.join()) {
    throw badInput(train.name, `examples of shape [${train.shape.join(', ')}], but the ${model.kind} model expects [${model.dataShape.join(', ')}]`);
  }
  if (test && test.shape.join() !== train.shape.join()) {
    throw badInput(test.name, `test examples of shape [${test.shape.join(', ')}], training examples [${train.shape.join(', ')}]`);
  }
}

/**
 * Trains `model` on `data.train` (evaluating on `data.test` after every epoch) and returns the metrics.
 * With `options.runDir` it writes a run folder (manifest, metrics.jsonl, checkpoints, model/) that `resumeRun`
 * can continue. Throws a GenlabError 'numeric' when a loss term becomes NaN or infinite (the run folder's last
 * checkpoint is left as it was).
 */
export async function fit(model: TrainableModel, data: FitData, options: FitOptions = {}): Promise<FitResult> {
  const resolved = resolveFitOptions(options);
  checkData(model, data);
  const runDir = options.runDir;
  const lock = runDir === undefined ? null : openFreshRunDir(runDir);
  const rng = runSeeds(resolved.seed).train;
  let trainer: TrainStep | null = null;
  try {
    trainer = new TrainStep(model, rng, { ...resolved, groupOptions: groupOptionsOf(resolved), totalSteps: runPlan(data, resolved).totalSteps });
    const session: Session = {
      model,
      data,
      options: resolved,
      runDir,
      trainer,
      rng,
      evalSeed: runSeeds(resolved.seed).evalSeed,
      progress: freshProgress(),
      metrics: [],
      manifest: null,
      checkpointAt: null,
      callbacks: options.callbacks ?? [],
      signal: options.signal,
      epochMetrics: options.epochMetrics,
      bestBy: options.bestBy ?? DEFAULT_BEST,
    };
    if (runDir !== undefined) {
      const now = new Date().toISOString();
      const { train, test } = data;
      const manifest: RunManifest = {
        version: RUN_VERSION,
        kind: model.kind,
        config: model.config,
        data: {
          name: train.name,
          kind: train.kind,
          shape: [...train.shape],
          trainCount: train.count,
          testCount: test?.count ?? 0,
          ...(options.dataInfo?.binarize !== undefined ? { binarize: options.dataInfo.binarize } : {}),
          ...(options.dataInfo?.size !== undefined ? { size: options.dataInfo.size } : {}),
          ...(options.dataInfo?.limit !== undefined ? { limit: options.dataInfo.limit } : {}),
          ...(options.dataInfo?.testLimit !== undefined ? { testLimit: options.dataInfo.testLimit } : {}),
          ...(options.dataInfo?.mirror ? { mirror: true } : {}),
        },
        seed: resolved.seed,
        backend: tf.getBackend(),
        status: 'running',
        epoch: 0,
        step: 0,
        options: resolved,
        created: now,
        updated: now,
      };
      // The epoch-0 checkpoint first, then the manifest: a folder with a manifest always has a checkpoint to resume.
      await checkpoint(session);
      session.manifest = manifest;
      await writeManifest(runDir, manifest);
    }
    return await runLoop(session);
  } finally {
    trainer?.dispose();
    lock?.release();
  }
}

/**
 * Checks and creates the run folder of a new run and takes its lock: the folder must be new, or hold only what a
 * start killed before its manifest left (cleared here); a resumable run or foreign files are refused, untouched.
 */
function openFreshRunDir(runDir: string): RunLock {
  const notEmpty = (): GenlabError =>
    badInput(runDir, 'the folder is not empty: resume the run in it, or choose a new folder (nothing was overwritten)');
  if (runFolderState(runDir) === 'resumable' || runFolderState(runDir) === 'foreign') throw notEmpty();
  makeRunDir(runDir);
  const lock = acquireRunLock(runDir);
  try {
    const state = runFolderState(runDir); // again, under the lock: another start may have won the race
    if (state === 'resumable' || state === 'foreign') throw notEmpty();
    clearLeftovers(runDir, true);
    return lock;
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** Options of `resumeRun`: how to load the checkpointed model, and what may change when a run is continued. */
export interface ResumeOptions extends Pick<FitOptions, 'callbacks' | 'signal' | 'checkpointEverySteps' | 'epochMetrics' | 'bestBy'> {
  /** Loads a saved model folder (src/models/registry.ts's `loadModel` in the CLI). */
  loadModel(dir: string): Promise<TrainableModel>;
  /** Train to this many epochs (or steps) in all, instead of the run's own plan. */
  epochs?: number;
  steps?: number;
}

/**
 * Continues the run in folder `dir` from its checkpoint: same weights, optimiser state, random stream and
 * position, so its later metrics are those the uninterrupted run would have logged. `data` must be the run's data
 * (same shape and training count). Returns the result and the model (the caller disposes it).
 */
export async function resumeRun(dir: string, data: FitData, options: ResumeOptions): Promise<FitResult & { model: TrainableModel }> {
  checkRunDirPath(dir);
  await readManifest(dir); // a folder that is not a run is named as such, before any lock is taken in it
  const lock = acquireRunLock(dir);
  try {
    clearLeftovers(dir, false);
    const state = runFolderState(dir);
    if (state === 'unstarted') throw new GenlabError('not-found', `${dir}: no checkpoint to resume (the run was stopped before its first one); start it afresh in the same folder`);
    if (state !== 'resumable') throw new GenlabError('not-found', `${dir}: no checkpoint/ to resume from; start a new run in another folder`);
    return await resumeLocked(dir, await readManifest(dir), data, options);
  } finally {
    lock.release();
  }
}

async function resumeLocked(dir: string, manifest: RunManifest, data: FitData, options: ResumeOptions): Promise<FitResult & { model: TrainableModel }> {
  const where = join(dir, 'manifest.json');
  if (typeof manifest.options !== 'object' || typeof manifest.config !== 'object' || typeof manifest.data.trainCount !== 'number') {
    throw badFile(where, 'a run needs "options", "config" and "data.trainCount" to be resumed');
  }
  const saved = manifest.options as ResolvedFitOptions;
  if (options.epochs !== undefined && options.steps !== undefined) throw badInput('resume', 'give epochs or steps, not both');
  const resolved = resolveFitOptions({
    ...saved,
    epochs: options.steps !== undefined ? undefined : (options.epochs ?? saved.epochs ?? undefined),
    steps: options.epochs !== undefined ? undefined : (options.steps ?? saved.steps ?? undefined),
    checkpointEverySteps: options.checkpointEverySteps ?? saved.checkpointEverySteps ?? undefined,
  } as FitOptions);
  const ckptDir = join(dir, CHECKPOINT_DIR);
  const state = await readCheckpointState(ckptDir);
  const want = manifest.data;
  if (data.train.shape.join() !== want.shape.join() || data.train.count !== want.trainCount) {
    throw badInput(dir, `the run was trained on ${want.trainCount} examples of shape [${want.shape.join(', ')}] (${want.name}); got ${data.train.count} of [${data.train.shape.join(', ')}]`);
  }
  const p = state.progress;
  const { perEpoch, totalSteps } = runPlan(data, resolved);
  if (p.batchInEpoch >= perEpoch || p.step > p.epoch * perEpoch + p.batchInEpoch) {
    throw badFile(join(ckptDir, 'state.json'), `progress (epoch ${p.epoch}, step ${p.step}, batch ${p.batchInEpoch}) does not fit the run's ${perEpoch} steps per epoch`);
  }
  const model = await options.loadModel(checkpointModelDir(ckptDir));
  let trainer: TrainStep | null = null;
  try {
    if (model.kind !== manifest.kind) throw badFile(ckptDir, `checkpoint holds a ${model.kind} model, the run is a ${manifest.kind}`);
    checkData(model, data);
    const rng = Rng.fromState(state.rng);
    trainer = new TrainStep(model, rng, { ...resolved, groupOptions: groupOptionsOf(resolved), totalSteps, startStep: p.step });
    await restoreOptimizers(ckptDir, state, resolved, trainer.groups.map((g) => ({ name: g.group.name, variables: g.group.variables, optimizer: g.optimizer })));
    const bestBy = options.bestBy ?? DEFAULT_BEST;
    const session: Session = {
      model,
      data,
      options: resolved,
      runDir: dir,
      trainer,
      rng,
      evalSeed: runSeeds(resolved.seed).evalSeed,
      progress: p,
      metrics: state.metrics,
      manifest: { ...manifest, status: 'running', epoch: p.epoch, step: p.step, backend: tf.getBackend(), options: resolved },
      checkpointAt: { epoch: p.epoch, step: p.step, batchInEpoch: p.batchInEpoch },
      callbacks: options.callbacks ?? [],
      signal: options.signal,
      epochMetrics: options.epochMetrics,
      bestBy,
    };
    delete session.manifest!.error;
    // The best epoch as the checkpoint's metrics say (the manifest may be older than the checkpoint after a kill).
    const best = bestOf(state.metrics, bestBy);
    if (best) session.manifest!.best = best;
    else delete session.manifest!.best;
    // Lines logged after the checkpoint (the run died before its next one) are dropped: they will be logged again.
    await new MetricsWriter(join(dir, METRICS_FILE)).rewrite(state.metrics);
    await writeManifest(dir, session.manifest!);
    const result = await runLoop(session);
    return { ...result, model };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    trainer?.dispose();
  }
}

/** The best epoch of `records` by `bestBy` (test records when an epoch has one, else train), or undefined. */
function bestOf(records: readonly MetricsRecord[], bestBy: BestBy): RunManifest['best'] {
  let best: RunManifest['best'];
  const byEpoch = new Map<number, MetricsRecord>();
  for (const r of records) if (!byEpoch.has(r.epoch) || r.split === 'test') byEpoch.set(r.epoch, r);
  for (const [epoch, r] of byEpoch) {
    const v = r[bestBy.metric];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (!best || (bestBy.better === 'lower' ? v < best.value : v > best.value)) best = { epoch, split: r.split, metric: bestBy.metric, value: v };
  }
  return best;
}

/** Steps per epoch for `count` examples. */
export function stepsPerEpoch(count: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/** Lets timers (progress bar) and signal handlers run; the loop otherwise only awaits resolved promises. */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/** Steps per epoch and in all of a run of these options on these data. */
function runPlan(data: FitData, options: ResolvedFitOptions): { perEpoch: number; totalSteps: number } {
  const perEpoch = stepsPerEpoch(data.train.count, options.batchSize, options.dropLast);
  if (perEpoch < 1) throw badInput('batchSize', `${options.batchSize} is larger than the ${data.train.count} training examples (with dropLast)`);
  return { perEpoch, totalSteps: options.steps ?? options.epochs! * perEpoch };
}

async function runLoop(s: Session): Promise<FitResult> {
  const { options, data, progress } = s;
  const { perEpoch, totalSteps } = runPlan(data, options);
  const ctx: TrainContext = {
    model: s.model,
    data,
    runDir: s.runDir,
    options,
    stepsPerEpoch: perEpoch,
    totalSteps,
    totalEpochs: Math.ceil(totalSteps / perEpoch),
    startStep: progress.step,
    progress,
  };
  const stopRequested = (): boolean => s.signal?.aborted === true;

  const started = performance.now();
  const secondsBefore = progress.seconds;
  let examples = 0;
  let trainSeconds = 0;
  const clock = (): void => {
    progress.seconds = secondsBefore + (performance.now() - started) / 1000;
  };
  try {
    for (const cb of s.callbacks) await cb.onStart?.(ctx);
    let lastYield = performance.now();
    while (progress.step < totalSteps && !stopRequested()) {
      if (progress.shuffleSeed === null) progress.shuffleSeed = s.rng.nextUint32();
      const epoch = progress.epoch + 1;
      for (const batch of epochBatches(data.train, options, progress.shuffleSeed, progress.batchInEpoch, s.rng)) {
        const t0 = performance.now();
        const { names: logged, values } = await trainStepChecked(s, batch, epoch);
        const dt = (performance.now() - t0) / 1000;
        progress.step += 1;
        progress.batchInEpoch += 1;
        progress.examples += batch.size;
        progress.epochSeconds += dt;
        examples += batch.size;
        trainSeconds += dt;
        logged.forEach((name, i) => (progress.sums[name] = (progress.sums[name] ?? 0) + values[i]! * batch.size));
        if (s.callbacks.some((cb) => cb.onBatchEnd)) {
          const terms = Object.fromEntries(logged.map((name, i) => [name, values[i]!]));
          for (const cb of s.callbacks) await cb.onBatchEnd?.(progress.step, terms, ctx);
        }
        if (performance.now() - lastYield > 25) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        if (progress.step >= totalSteps || stopRequested()) break;
        if (options.checkpointEverySteps !== null && progress.step % options.checkpointEverySteps === 0 && progress.batchInEpoch < perEpoch) {
          clock();
          await checkpoint(s);
        }
      }
      const epochDone = progress.batchInEpoch >= perEpoch || progress.step >= totalSteps;
      if (!epochDone) break; // stopped mid-epoch
      await endEpoch(s, epoch, ctx, clock);
    }
    clock();
    const status = progress.step >= totalSteps ? 'finished' : 'stopped';
    if (s.runDir !== undefined && s.manifest) {
      const at = s.checkpointAt;
      if (!at || at.step !== progress.step) await checkpoint(s);
      await writeDirAtomically(join(s.runDir, MODEL_DIR), (tmp) => s.model.save(tmp));
      await updateManifest(s, { status });
    }
    const result: FitResult = {
      status,
      metrics: [...s.metrics],
      epochs: progress.epoch,
      steps: progress.step,
      seconds: (performance.now() - started) / 1000,
      examplesPerSec: trainSeconds > 0 ? examples / trainSeconds : 0,
    };
    for (const cb of s.callbacks) await cb.onEnd?.(result, ctx);
    return result;
  } catch (e) {
    if (s.runDir !== undefined && s.manifest) {
      const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      await updateManifest(s, { status: 'failed', error: message }).catch(() => {});
    }
    for (const cb of s.callbacks) await Promise.resolve(cb.onError?.(e, ctx)).catch(() => {});
    throw e;
  }
}

/** One epoch's batches in the order of `shuffleSeed`, from batch `skip` on; transforms draw from `rng`. */
function* epochBatches(ds: Dataset, options: ResolvedFitOptions, shuffleSeed: number, skip: number, rng: Rng): Generator<Batch> {
  let skipping = skip;
  const own = ds.batchTransform;
  // Skipped batches (a resume mid-epoch) are not transformed, so they draw nothing from the training stream.
  const transform = (x: Float32Array): void => {
    if (skipping === 0) own?.(x, rng);
  };
  for (const batch of batches(ds, { batchSize: options.batchSize, rng: new Rng(shuffleSeed), dropLast: options.dropLast, transform })) {
    if (skipping > 0) {
      skipping -= 1;
      continue;
    }
    yield batch;
  }
}

/**
 * One step of the shared TrainStep; a NaN or infinite term stops the run with a message that also names the epoch
 * and what was saved.
 */
async function trainStepChecked(s: Session, batch: Batch, epoch: number): Promise<{ names: string[]; values: number[] }> {
  try {
    return await s.trainer.run(batch);
  } catch (e) {
    if (!(e instanceof NonFiniteTermError)) throw e;
    const where = savedWhere(s);
    throw new GenlabError('numeric', `${e.kind}: ${e.what} at epoch ${epoch}, step ${e.step} (term ${e.term}); ${where}`);
  }
}

/** Mean of each named value over the test split (example-weighted); the noise is the same every epoch. */
async function evaluateTest(s: Session): Promise<{ means: Record<string, number>; examples: number; seconds: number } | null> {
  const test = s.data.test;
  if (!test || test.count === 0) return null;
  const t0 = performance.now();
  const rng = new Rng(s.evalSeed);
  const own = test.batchTransform;
  const transform = (x: Float32Array): void => own?.(x, rng);
  let names: string[] | null = null;
  const sums: number[] = [];
  let count = 0;
  for (const batch of batches(test, { batchSize: s.options.evalBatchSize, transform })) {
    const packed = tf.tidy(() => {
      const tb = toTensorBatch(batch);
      const r = s.model.evaluate(tb, rng);
      names ??= Object.keys(r).sort((a, b) => (a === 'loss' ? -1 : b === 'loss' ? 1 : 0));
      return tf.stack(names.map((n) => r[n] ?? tf.scalar(NaN)));
    });
    const values = await packed.data();
    packed.dispose();
    values.forEach((v, i) => (sums[i] = (sums[i] ?? 0) + v * batch.size));
    count += batch.size;
  }
  const means = Object.fromEntries((names ?? []).map((n: string, i) => [n, sums[i]! / count]));
  return { means, examples: count, seconds: (performance.now() - t0) / 1000 };
}

async function endEpoch(s: Session, epoch: number, ctx: TrainContext, clock: () => void): Promise<void> {
  const p = s.progress;
  const train: MetricsRecord = {
    epoch,
    step: p.step,
    split: 'train',
    ...Object.fromEntries(Object.entries(p.sums).map(([k, v]) => [k, v / p.examples])),
    examplesPerSec: p.epochSeconds > 0 ? p.examples / p.epochSeconds : 0,
    time: 0,
  };
  const evaluated = await evaluateTest(s);
  // Divergence is caught where it starts: a non-finite epoch mean or test term stops the run before this epoch is
  // logged or checkpointed, so checkpoint/ stays the last good state.
  checkFiniteTerms(s, epoch, 'train', Object.fromEntries(Object.keys(p.sums).map((k) => [k, train[k] as number])));
  if (evaluated) checkFiniteTerms(s, epoch, 'test', evaluated.means);
  const extra = s.epochMetrics ? await s.epochMetrics(s.model, epoch) : null;
  clock();
  train.time = p.seconds;
  const records: MetricsRecord[] = [train];
  if (evaluated || extra) {
    records.push({
      epoch,
      step: p.step,
      split: 'test',
      ...evaluated?.means,
      ...extra,
      examplesPerSec: evaluated && evaluated.seconds > 0 ? evaluated.examples / evaluated.seconds : 0,
      time: p.seconds,
    });
  }
  Object.assign(p, { epoch, batchInEpoch: 0, shuffleSeed: null, sums: {}, examples: 0, epochSeconds: 0 });
  s.metrics.push(...records);
  if (s.runDir !== undefined && s.manifest) {
    new MetricsWriter(join(s.runDir, METRICS_FILE)).append(records);
    const candidate = records[records.length - 1]!;
    const { metric, better } = s.bestBy;
    const value = candidate[metric];
    const best = s.manifest.best;
    const improves = (v: number): boolean => !best || best.metric !== metric || (better === 'lower' ? v < best.value : v > best.value);
    const patch: Partial<RunManifest> = {};
    if (typeof value === 'number' && Number.isFinite(value) && improves(value)) {
      checkFiniteWeights(s, epoch);
      // Before the checkpoint: a kill in between leaves best/ ahead of the checkpoint, and the resumed run redoes
      // this epoch exactly, writing the same model again.
      await writeDirAtomically(join(s.runDir, BEST_DIR), (tmp) => s.model.save(tmp));
      patch.best = { epoch, split: candidate.split, metric, value };
    }
    await checkpoint(s);
    await updateManifest(s, patch);
  }
  for (const cb of s.callbacks) await cb.onEpochEnd?.(epoch, records, ctx);
}

/** Throws a 'numeric' GenlabError naming the term, epoch and the last good checkpoint when a term is not finite. */
function checkFiniteTerms(s: Session, epoch: number, split: 'train' | 'test', terms: Record<string, number>): void {
  const bad = Object.entries(terms).find(([, v]) => !Number.isFinite(v));
  if (!bad) return;
  throw new GenlabError('numeric', `${s.model.kind}: ${split} ${bad[0]} is ${bad[1]} at epoch ${epoch}, step ${s.progress.step}; ${savedWhere(s)}`);
}

/** Throws a 'numeric' GenlabError when a weight of the model is NaN or infinite (a step that diverged). */
function checkFiniteWeights(s: Session, epoch: number): void {
  for (const v of s.model.variables()) {
    if (v.dtype !== 'float32') continue;
    const ok = tf.tidy(() => tf.all(tf.isFinite(v)).dataSync()[0] === 1);
    if (!ok) throw new GenlabError('numeric', `${s.model.kind}: weight ${v.name} is NaN or infinite at epoch ${epoch}, step ${s.progress.step}; ${savedWhere(s)}`);
  }
}

/** What a run that stops on a numeric error has saved. */
function savedWhere(s: Session): string {
  if (s.runDir === undefined) return 'no run folder, nothing was saved';
  const at = s.checkpointAt;
  if (!at) return 'no checkpoint was written';
  const label = at.batchInEpoch === 0 ? `epoch ${at.epoch}` : `epoch ${at.epoch}, step ${at.step}`;
  return `the last good checkpoint (${label}) is intact in ${join(s.runDir, CHECKPOINT_DIR)}`;
}

async function checkpoint(s: Session): Promise<void> {
  if (s.runDir === undefined) return;
  const p = s.progress;
  checkFiniteWeights(s, p.epoch);
  await writeCheckpoint(join(s.runDir, CHECKPOINT_DIR), {
    model: s.model,
    optimizers: s.trainer.groups.map((g) => ({ group: g.group.name, optimizer: g.optimizer })),
    progress: p,
    rng: s.rng.getState(),
    metrics: s.metrics,
  });
  s.checkpointAt = { epoch: p.epoch, step: p.step, batchInEpoch: p.batchInEpoch };
}

async function updateManifest(s: Session, patch: Partial<RunManifest>): Promise<void> {
  if (s.runDir === undefined || !s.manifest) return;
  const at = s.checkpointAt;
  Object.assign(s.manifest, { epoch: at?.epoch ?? 0, step: at?.step ?? 0 }, patch);
  if (patch.status && patch.status !== 'failed') delete s.manifest.error;
  await writeManifest(s.runDir, s.manifest);
}
