/**
 * The one training loop every gradient-trained model shares. It steps through the model's declared loss groups
 * — each with its own optimiser, updating only its own variables — and never asks what kind of model it is.
 *
 *   for each step:  batch → for each group (in order), `steps` times:
 *                     terms = group.loss(batch, rng, step); optimiser.update(group.variables, ∇ terms.loss)
 *                   one read of all terms (NaN check, running means, callbacks)
 *   each epoch:     test-set evaluation, metrics.jsonl lines, checkpoint, manifest, callbacks (grids, progress)
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
import type { LossGroup, LossTerms, TensorBatch, TrainableModel } from '../models/model.js';
import {
  checkpointModelDir,
  readCheckpointState,
  restoreOptimizers,
  writeCheckpoint,
  type TrainProgress,
} from './checkpoint.js';
import { createOptimizer, learningRateAt, resolveOptimizerOptions, setLearningRate } from './optimizers.js';
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

/** A loss group with its optimiser and the names of its logged terms (known after its first call). */
interface GroupState {
  group: LossGroup;
  optimizer: tf.Optimizer;
  steps: number;
  /** The group's term names, `loss` first, as the loss returned them on its first call. */
  terms: string[] | null;
}

/** Everything one training session works on. */
interface Session {
  model: TrainableModel;
  data: FitData;
  options: ResolvedFitOptions;
  runDir: string | undefined;
  groups: GroupState[];
  rng: Rng;
  evalSeed: number;
  progress: TrainProgress;
  metrics: MetricsRecord[];
  manifest: RunManifest | null;
  /** Progress of the last checkpoint written (null: none). */
  checkpointAt: { epoch: number; step: number; batchInEpoch: number } | null;
  callbacks: TrainCallback[];
  signal: AbortSignal | undefined;
  handleSigint: boolean;
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

function makeGroups(model: TrainableModel, options: ResolvedFitOptions): GroupState[] {
  const groups = model.lossGroups();
  if (groups.length === 0) throw new GenlabError('internal', `${model.kind}: the model declares no loss groups`);
  const names = new Set<string>();
  return groups.map((group) => {
    if (names.has(group.name)) throw new GenlabError('internal', `${model.kind}: two loss groups are named '${group.name}'`);
    names.add(group.name);
    if (group.variables.length === 0) throw new GenlabError('internal', `${model.kind}: loss group '${group.name}' has no variables`);
    const steps = group.steps ?? 1;
    if (!(Number.isSafeInteger(steps) && steps >= 1)) throw new GenlabError('internal', `${model.kind}: loss group '${group.name}' has steps ${steps}`);
    return { group, optimizer: createOptimizer(options), steps, terms: null };
  });
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
  const session: Session = {
    model,
    data,
    options: resolved,
    runDir,
    groups: makeGroups(model, resolved),
    rng: runSeeds(resolved.seed).train,
    evalSeed: runSeeds(resolved.seed).evalSeed,
    progress: freshProgress(),
    metrics: [],
    manifest: null,
    checkpointAt: null,
    callbacks: options.callbacks ?? [],
    signal: options.signal,
    handleSigint: options.handleSigint ?? false,
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
    for (const g of session.groups) g.optimizer.dispose();
  }
}

/** Options of `resumeRun`: how to load the checkpointed model, and what may change when a run is continued. */
export interface ResumeOptions extends Pick<FitOptions, 'callbacks' | 'signal' | 'handleSigint' | 'checkpointEverySteps' | 'epochMetrics' | 'bestBy'> {
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
  const groups: GroupState[] = [];
  try {
    if (model.kind !== manifest.kind) throw badFile(ckptDir, `checkpoint holds a ${model.kind} model, the run is a ${manifest.kind}`);
    checkData(model, data);
    groups.push(...makeGroups(model, resolved));
    await restoreOptimizers(ckptDir, state, resolved, groups.map((g) => ({ name: g.group.name, variables: g.group.variables, optimizer: g.optimizer })));
    const p = state.progress;
    const session: Session = {
      model,
      data,
      options: resolved,
      runDir: dir,
      groups,
      rng: Rng.fromState(state.rng),
      evalSeed: runSeeds(resolved.seed).evalSeed,
      progress: p,
      metrics: state.metrics,
      manifest: { ...manifest, status: 'running', epoch: p.epoch, step: p.step, backend: tf.getBackend(), options: resolved },
      checkpointAt: { epoch: p.epoch, step: p.step, batchInEpoch: p.batchInEpoch },
      callbacks: options.callbacks ?? [],
      signal: options.signal,
      handleSigint: options.handleSigint ?? false,
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
    for (const g of groups) g.optimizer.dispose();
  }
}

/** Steps per epoch for `count` examples. */
export function stepsPerEpoch(count: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/** Lets timers (progress bar) and signal handlers run; the loop otherwise only awaits resolved promises. */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

async function runLoop(s: Session): Promise<FitResult> {
  const { options, data, progress } = s;
  const perEpoch = stepsPerEpoch(data.train.count, options.batchSize, options.dropLast);
  if (perEpoch < 1) throw badInput('batch size', `${options.batchSize} is larger than the ${data.train.count} training examples (with dropLast)`);
  const totalSteps = options.steps ?? options.epochs! * perEpoch;
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
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\ngenlab: stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)\n');
  };
  const stopRequested = (): boolean => interrupts > 0 || s.signal?.aborted === true;
  if (s.handleSigint) process.on('SIGINT', onSigint);

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
        const { logged, values } = await trainStep(s, batch, progress.step);
        const dt = (performance.now() - t0) / 1000;
        progress.step += 1;
        progress.batchInEpoch += 1;
        progress.examples += batch.size;
        progress.epochSeconds += dt;
        examples += batch.size;
        trainSeconds += dt;
        checkFinite(s, logged, values, epoch);
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
  } finally {
    if (s.handleSigint) process.off('SIGINT', onSigint);
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

/** A Batch of typed arrays as tensors: `x` [n, ...shape]; `labels` int32 [n] when the data have class labels. */
export function toTensorBatch(batch: Batch): TensorBatch {
  const tb: TensorBatch = { x: tf.tensor(batch.x, batch.shape, 'float32') };
  if (batch.labels instanceof Int32Array) tb.labels = tf.tensor1d(batch.labels, 'int32');
  return tb;
}

function disposeBatch(tb: TensorBatch): void {
  tb.x.dispose();
  tb.labels?.dispose();
}

/** Term names in logging order: `loss` first, then the others as the loss returned them. */
function termOrder(terms: LossTerms): string[] {
  return ['loss', ...Object.keys(terms).filter((k) => k !== 'loss')];
}

/**
 * One update of one group: the loss and its gradient with respect to the group's variables only, applied by the
 * group's optimiser. Returns the group's terms stacked into one tensor [terms] (the caller disposes it), so the
 * step reads every term with a single download.
 */
function updateGroup(model: TrainableModel, g: GroupState, tb: TensorBatch, rng: Rng, step: number): tf.Tensor1D {
  return tf.tidy(() => {
    let packed: tf.Tensor1D | null = null;
    const { grads } = tf.variableGrads(() => {
      const terms = g.group.loss(tb, rng, step);
      g.terms ??= termOrder(terms);
      packed = tf.keep(
        tf.stack(
          g.terms.map((name) => {
            const t = terms[name];
            if (!t) throw new GenlabError('internal', `${model.kind}: loss group '${g.group.name}' returned no term '${name}' at step ${step + 1}`);
            return t;
          }),
        ) as tf.Tensor1D,
      );
      return terms.loss;
    }, g.group.variables);
    // In declared order, with a missing gradient left out: TF.js optimisers index accumulators by position.
    g.optimizer.applyGradients(g.group.variables.map((v) => ({ name: v.name, tensor: grads[v.name] as tf.Tensor })));
    return packed!;
  });
}

/** One training step on `batch`; returns the logged names and this step's values (group sub-steps averaged). */
async function trainStep(s: Session, batch: Batch, step: number): Promise<{ logged: string[]; values: Float32Array | number[] }> {
  const tb = toTensorBatch(batch);
  const packs: tf.Tensor1D[] = [];
  try {
    if (s.options.lrDecay !== 'none') {
      const lr = learningRateAt(s.options, step, s.options.steps ?? s.options.epochs! * stepsPerEpoch(s.data.train.count, s.options.batchSize, s.options.dropLast));
      for (const g of s.groups) setLearningRate(g.optimizer, lr);
    }
    for (const g of s.groups) {
      for (let k = 0; k < g.steps; k++) packs.push(updateGroup(s.model, g, tb, s.rng, step));
    }
    const all = packs.length === 1 ? packs[0]! : tf.concat(packs);
    const raw = (await all.data()) as Float32Array;
    if (all !== packs[0]) all.dispose();
    const prefix = s.groups.length > 1;
    const logged: string[] = [];
    const values: number[] = [];
    let offset = 0;
    for (const g of s.groups) {
      const names = g.terms!;
      for (let j = 0; j < names.length; j++) {
        let sum = 0;
        for (let k = 0; k < g.steps; k++) sum += raw[offset + k * names.length + j]!;
        logged.push(prefix ? `${g.group.name}/${names[j]}` : names[j]!);
        values.push(sum / g.steps);
      }
      offset += names.length * g.steps;
    }
    return { logged, values };
  } finally {
    tf.dispose(packs);
    disposeBatch(tb);
  }
}

/** Stops the run at the first NaN or infinite term, naming the term, the epoch, the step and the checkpoint. */
function checkFinite(s: Session, names: readonly string[], values: ArrayLike<number>, epoch: number): void {
  let bad = -1;
  for (let i = 0; i < names.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      // Name the culprit rather than the total when the total is bad because a term is.
      if (bad < 0 || names[bad]!.endsWith('loss')) bad = i;
    }
  }
  if (bad < 0) return;
  const culprit = names[bad]!;
  const value = values[bad]!;
  const lossName = culprit.includes('/') ? `${culprit.split('/')[0]}/loss` : 'loss';
  const lossIndex = names.indexOf(lossName);
  const lossValue = lossIndex >= 0 ? values[lossIndex]! : value;
  const what = `${Number.isFinite(lossValue) ? culprit : lossName.replace('/', ' ')} is ${Number.isFinite(lossValue) ? value : lossValue}`;
  let where: string;
  if (s.runDir === undefined) where = 'no run folder, nothing was saved';
  else if (!s.checkpointAt) where = 'no checkpoint was written';
  else {
    const at = s.checkpointAt;
    const label = at.batchInEpoch === 0 ? `epoch ${at.epoch}` : `epoch ${at.epoch}, step ${at.step}`;
    where = `the last good checkpoint (${label}) is intact in ${join(s.runDir, CHECKPOINT_DIR)}`;
  }
  throw new GenlabError('numeric', `${s.model.kind}: ${what} at epoch ${epoch}, step ${s.progress.step} (term ${culprit}); ${where}`);
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
    optimizers: s.groups.map((g) => ({ group: g.group.name, optimizer: g.optimizer })),
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
