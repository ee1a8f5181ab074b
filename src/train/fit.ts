/**
 * `fit`: the Node driver of the one training step (step.ts) — epochs, callbacks, and with a run folder its manifest,
 * metrics.jsonl, checkpoints and resume. It never asks what kind of model it trains.
 *
 *   for each step:  batch → TrainStep.run (every loss group, NaN/Inf check) → running means, callbacks
 *   each epoch:     test-set evaluation, metrics.jsonl lines, checkpoint, manifest, callbacks (grids, progress)
 *
 * It owns no signals: a caller that wants Ctrl-C to stop a run cleanly aborts `signal` (the CLI does).
 *
 * One seeded Rng drives shuffling, batch transforms (dynamic binarisation) and the model's noise, and is saved in
 * every checkpoint: a resumed run continues the same stream, and its metrics equal an uninterrupted run's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync } from 'node:fs';
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
import { resolveOptimizerOptions } from './optimizers.js';
import { NonFiniteTermError, TrainStep, toTensorBatch } from './step.js';
import {
  CHECKPOINT_DIR,
  METRICS_FILE,
  MODEL_DIR,
  MetricsWriter,
  RUN_VERSION,
  isEmptyDir,
  readManifest,
  writeManifest,
  type MetricsRecord,
  type RunManifest,
} from './run-folder.js';
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
  return {
    ...resolveOptimizerOptions(o),
    epochs: o.steps !== undefined ? null : (o.epochs ?? 10),
    steps: o.steps ?? null,
    batchSize,
    seed,
    dropLast: o.dropLast ?? false,
    evalBatchSize: o.evalBatchSize ?? Math.max(batchSize, 256),
    sampleSeed: o.sampleSeed ?? runSeeds(seed).sampleSeed,
    checkpointEverySteps: o.checkpointEverySteps ?? null,
  };
}

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
  if (runDir !== undefined && !isEmptyDir(runDir)) {
    throw badInput(runDir, 'the folder is not empty: resume the run in it, or choose a new folder (nothing was overwritten)');
  }
  const rng = runSeeds(resolved.seed).train;
  const session: Session = {
    model,
    data,
    options: resolved,
    runDir,
    trainer: new TrainStep(model, rng, { ...resolved, totalSteps: runPlan(data, resolved).totalSteps }),
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
  try {
    if (runDir !== undefined) {
      mkdirSync(runDir, { recursive: true });
      const now = new Date().toISOString();
      const { train, test } = data;
      session.manifest = {
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
          ...(options.dataInfo?.limit !== undefined ? { limit: options.dataInfo.limit } : {}),
          ...(options.dataInfo?.testLimit !== undefined ? { testLimit: options.dataInfo.testLimit } : {}),
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
      await writeManifest(runDir, session.manifest);
      await checkpoint(session); // epoch 0: a resume is possible from the very start
    }
    return await runLoop(session);
  } finally {
    session.trainer.dispose();
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
  const manifest = await readManifest(dir);
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
  const model = await options.loadModel(checkpointModelDir(ckptDir));
  let trainer: TrainStep | null = null;
  try {
    if (model.kind !== manifest.kind) throw badFile(ckptDir, `checkpoint holds a ${model.kind} model, the run is a ${manifest.kind}`);
    checkData(model, data);
    const p = state.progress;
    const rng = Rng.fromState(state.rng);
    trainer = new TrainStep(model, rng, { ...resolved, totalSteps: runPlan(data, resolved).totalSteps, startStep: p.step });
    await restoreOptimizers(ckptDir, state, resolved, trainer.groups.map((g) => ({ name: g.group.name, variables: g.group.variables, optimizer: g.optimizer })));
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
      bestBy: options.bestBy ?? DEFAULT_BEST,
    };
    delete session.manifest!.error;
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
    let where: string;
    if (s.runDir === undefined) where = 'no run folder, nothing was saved';
    else if (!s.checkpointAt) where = 'no checkpoint was written';
    else {
      const at = s.checkpointAt;
      const label = at.batchInEpoch === 0 ? `epoch ${at.epoch}` : `epoch ${at.epoch}, step ${at.step}`;
      where = `the last good checkpoint (${label}) is intact in ${join(s.runDir, CHECKPOINT_DIR)}`;
    }
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
    await checkpoint(s);
    const candidate = records[records.length - 1]!;
    const { metric, better } = s.bestBy;
    const value = candidate[metric];
    const best = s.manifest.best;
    const improves = (v: number): boolean => !best || best.metric !== metric || (better === 'lower' ? v < best.value : v > best.value);
    const patch: Partial<RunManifest> = {};
    if (typeof value === 'number' && Number.isFinite(value) && improves(value)) patch.best = { epoch, split: candidate.split, metric, value };
    await updateManifest(s, patch);
  }
  for (const cb of s.callbacks) await cb.onEpochEnd?.(epoch, records, ctx);
}

async function checkpoint(s: Session): Promise<void> {
  if (s.runDir === undefined) return;
  const p = s.progress;
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
