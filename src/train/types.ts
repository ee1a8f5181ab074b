/** Types shared by the training loop, its callbacks and its callers (the CLI, the lab). */
import type { Dataset } from '../data/dataset.js';
import type { TrainableModel } from '../models/model.js';
import type { TrainProgress } from './checkpoint.js';
import type { OptimizerOptions, ResolvedOptimizerOptions } from './optimizers.js';
import type { MetricsRecord, RunDataInfo } from './run-folder.js';

/** The data of a run: the training split, and optionally a test split evaluated after every epoch. */
export interface FitData {
  train: Dataset;
  test?: Dataset;
}

/** Options of `fit`; every field has a default. One optimiser (of these settings) is made per loss group. */
export interface FitOptions extends OptimizerOptions {
  /** Passes over the training data. Default 10 (unless `steps` is given; not both). */
  epochs?: number;
  /** Total training steps instead of epochs; the last epoch may then be partial. */
  steps?: number;
  /** Examples per training step. Default 64. */
  batchSize?: number;
  /**
   * Learning rates of named loss groups over `learningRate`, e.g. the two time-scale update rule (Heusel et al.
   * 2017) `{ discriminator: 4e-4, generator: 1e-4 }`. A name the model has no group of is an error. Default none.
   */
  groupLearningRates?: Readonly<Record<string, number>>;
  /** Seeds the one training stream (shuffles, batch transforms, model noise) and the fixed sample noise. Default 0. */
  seed?: number;
  /** Drop each epoch's last, smaller batch. Default false. */
  dropLast?: boolean;
  /** Examples per evaluation batch on the test split. Default max(batchSize, 256). */
  evalBatchSize?: number;
  /** Seed of the fixed noise behind sample grids (the same every epoch). Default derived from `seed`. */
  sampleSeed?: number;
  /**
   * The run folder: manifest.json, metrics.jsonl, checkpoint/ (every epoch, and on stop), model/ at the end.
   * Must be empty or absent (use `resumeRun` to continue a run). Without it nothing is written.
   */
  runDir?: string;
  /** Facts about the data for manifest.json beyond what the Dataset says (MNIST binarisation, --size, --limit). */
  dataInfo?: Pick<RunDataInfo, 'binarize' | 'size' | 'limit' | 'testLimit' | 'mirror'>;
  /** Also checkpoint every this many steps within epochs (default: only at epoch ends and on stop). */
  checkpointEverySteps?: number;
  /** Observers: progress bar, grids, the lab. Called in order; a promise returned is awaited. */
  callbacks?: TrainCallback[];
  /**
   * Aborting it stops the run after the step under way: checkpoint, model/, status 'stopped'. The library owns no
   * signals: the CLI aborts it on Ctrl-C, SIGTERM and SIGHUP.
   */
  signal?: AbortSignal;
  /**
   * Held-out quality measures computed after each epoch's test evaluation — FID of a GAN's samples, modes covered on
   * a toy set — merged into that epoch's test record of metrics.jsonl (a test record is added when the data have no
   * test split). The library's eval module supplies them; the loop only calls this.
   */
  epochMetrics?: (model: TrainableModel, epoch: number) => Promise<Record<string, number>>;
  /** The test value that marks the run's best epoch in manifest.json. Default `{ metric: 'loss', better: 'lower' }`. */
  bestBy?: BestBy;
}

/** Which epoch counts as best: the one with the lowest (or highest) value of `metric`. */
export interface BestBy {
  metric: string;
  better: 'lower' | 'higher';
}

/** The options with every default filled in (what manifest.json keeps under `options`). */
export interface ResolvedFitOptions extends ResolvedOptimizerOptions {
  epochs: number | null;
  steps: number | null;
  batchSize: number;
  groupLearningRates: Record<string, number>;
  seed: number;
  dropLast: boolean;
  evalBatchSize: number;
  sampleSeed: number;
  checkpointEverySteps: number | null;
}

/** What `fit` and `resumeRun` return. */
export interface FitResult {
  /** 'finished' when all epochs/steps ran; 'stopped' after a stop request (signal or Ctrl-C). */
  status: 'finished' | 'stopped';
  /** Every metrics record of the run (train and test, per epoch), those before a resume included. */
  metrics: MetricsRecord[];
  /** Completed epochs and steps of the run. */
  epochs: number;
  steps: number;
  /** Wall-clock seconds of this call, and training examples per second in it. */
  seconds: number;
  examplesPerSec: number;
}

/** What callbacks see: the model, the data, the plan and (live) progress. */
export interface TrainContext {
  readonly model: TrainableModel;
  readonly data: FitData;
  readonly runDir: string | undefined;
  readonly options: ResolvedFitOptions;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly totalEpochs: number;
  /** Where this session began (non-zero after a resume). */
  readonly startStep: number;
  /** Live progress (read-only for callbacks). */
  readonly progress: Readonly<TrainProgress>;
}

/**
 * Observers of training. The loop calls them; they hold no training logic. All methods optional; a returned
 * promise is awaited (the lab can yield a frame in `onBatchEnd`).
 */
export interface TrainCallback {
  onStart?(ctx: TrainContext): void | Promise<void>;
  /** After each training step: `step` counts completed steps (1-based, global); `terms` are this step's values. */
  onBatchEnd?(step: number, terms: Readonly<Record<string, number>>, ctx: TrainContext): void | Promise<void>;
  /** After each epoch (1-based), with its records: train, and test when there is a test split. */
  onEpochEnd?(epoch: number, records: readonly MetricsRecord[], ctx: TrainContext): void | Promise<void>;
  /** After the run finished or stopped. */
  onEnd?(result: FitResult, ctx: TrainContext): void | Promise<void>;
  /** When the run fails (NaN loss, a failing write…), before the error propagates. */
  onError?(error: unknown, ctx: TrainContext): void | Promise<void>;
}
