/**
 * `genlab train <kind> --data <dataset> --out runs/NAME`: one sub-command per model kind, whose flags come from the
 * kinds table (`genlab train vae --help` lists the VAE's flags only). Flags → options → the library's `fit` (progress
 * bar, metrics.jsonl, sample and reconstruction grids, checkpoints) → where things were written. `--resume` continues
 * the run in --out from its checkpoint; Ctrl-C, SIGTERM and SIGHUP stop it cleanly.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  GenlabError,
  KINDS,
  LR_DECAYS,
  MODEL_KINDS,
  MODEL_OPTIONS,
  NODE_BACKENDS,
  OPTIMIZERS,
  Rng,
  badInput,
  classFrequencies,
  createModel,
  describeEngine,
  fit,
  initEngine,
  isEmptyDir,
  loadModel,
  loadRunData,
  progressBar,
  qualityBestBy,
  qualityPerEpoch,
  readManifest,
  reconGrids,
  recommendedOptimizerOptions,
  resolveFitOptions,
  resumeRun,
  runSeeds,
  sampleGrids,
  formatEpochLine,
  optionFlag,
  type Dataset,
  type FitOptions,
  type FitResult,
  type ModelKind,
  type ModelOptionSpec,
  type ModelOptions,
  type RunManifest,
  type TrainCallback,
} from '../index.js';
import { choiceOption, datasetOption, intOption, listOption, namedPositiveNumbersOption, numberOption, positiveNumberOption } from './options.js';
import { barsWanted } from './progress.js';
import { stopOnSignals } from './signals.js';

/** Flags of `genlab train <kind>` besides the model's own; undefined means not given (a resume tells conflicts so). */
interface RunFlags {
  data?: string;
  out: string;
  resume?: boolean;
  qualitySamples?: number;
  epochs?: number;
  steps?: number;
  batchSize?: number;
  lr?: number;
  groupLr?: Record<string, number>;
  optimizer?: FitOptions['optimizer'];
  beta1?: number;
  beta2?: number;
  momentum?: number;
  lrDecay?: FitOptions['lrDecay'];
  checkpointEvery?: number;
  timeLimit?: number;
  binarize?: 'none' | 'static' | 'dynamic';
  size?: number;
  limit?: number;
  testLimit?: number;
  mirror?: boolean;
  seed?: number;
  backend?: (typeof NODE_BACKENDS)[number];
}

/** Commander's key of a model option's flag (`--zero-gp` → `zeroGp`). */
const flagKey = (option: string): string => optionFlag(option).slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The model options the flags set, for `kind`; a flag of another kind's option is a one-line error. */
function modelOptions(kind: ModelKind, flags: Record<string, unknown>): ModelOptions {
  const options: Record<string, unknown> = {};
  for (const name of Object.keys(MODEL_OPTIONS)) {
    const value = flags[flagKey(name)];
    if (value === undefined) continue;
    if (!(KINDS[kind].options as readonly string[]).includes(name)) {
      throw badInput(optionFlag(name), `not an option of ${kind} (its options: ${KINDS[kind].options.map(optionFlag).join(', ')}; see genlab train ${kind} --help)`);
    }
    options[name] = value;
  }
  return options as ModelOptions;
}

/** The training options the flags set, keyed as in FitOptions. */
function trainOptions(flags: RunFlags): Pick<FitOptions, 'batchSize' | 'learningRate' | 'groupLearningRates' | 'optimizer' | 'beta1' | 'beta2' | 'momentum' | 'lrDecay'> {
  const o: ReturnType<typeof trainOptions> = {};
  if (flags.batchSize !== undefined) o.batchSize = flags.batchSize;
  if (flags.lr !== undefined) o.learningRate = flags.lr;
  if (flags.groupLr !== undefined) o.groupLearningRates = flags.groupLr;
  if (flags.optimizer !== undefined) o.optimizer = flags.optimizer;
  if (flags.beta1 !== undefined) o.beta1 = flags.beta1;
  if (flags.beta2 !== undefined) o.beta2 = flags.beta2;
  if (flags.momentum !== undefined) o.momentum = flags.momentum;
  if (flags.lrDecay !== undefined) o.lrDecay = flags.lrDecay;
  return o;
}

/** Flags of training options, for messages. */
const TRAIN_FLAG: Record<string, string> = { batchSize: '--batch-size', learningRate: '--lr', groupLearningRates: '--group-lr', lrDecay: '--lr-decay' };
const trainFlag = (key: string): string => TRAIN_FLAG[key] ?? `--${key}`;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Refuses flags that contradict the run being resumed (the epoch or step plan may change: it extends the run). */
function checkResumeFlags(kind: ModelKind, flags: RunFlags & Record<string, unknown>, manifest: RunManifest): void {
  const where = join(flags.out, 'manifest.json');
  const conflict = (flag: string, given: unknown, saved: unknown): GenlabError =>
    badInput(flag, `${JSON.stringify(given)} conflicts with the run's ${JSON.stringify(saved ?? null)} (${where}): drop the flag to resume, or start a new run with another --out`);
  if (kind !== manifest.kind) throw badInput('train', `${flags.out} holds a ${manifest.kind} run, not ${kind}: resume it with 'genlab train ${manifest.kind} --out ${flags.out} --resume'`);
  const config = manifest.config as Record<string, unknown>;
  for (const [key, value] of Object.entries(modelOptions(kind, flags))) {
    if (JSON.stringify(value) !== JSON.stringify(config[key])) throw conflict(optionFlag(key), value, config[key]);
  }
  const saved = manifest.options as Record<string, unknown>;
  for (const [key, value] of Object.entries(trainOptions(flags))) {
    if (JSON.stringify(value) !== JSON.stringify(saved[key])) throw conflict(trainFlag(key), value, saved[key]);
  }
  if (flags.data !== undefined && flags.data !== manifest.data.name) throw conflict('--data', flags.data, manifest.data.name);
  if (flags.seed !== undefined && flags.seed !== manifest.seed) throw conflict('--seed', flags.seed, manifest.seed);
  if (flags.binarize !== undefined && flags.binarize !== (manifest.data.binarize ?? 'none')) throw conflict('--binarize', flags.binarize, manifest.data.binarize ?? 'none');
  const savedSize = manifest.data.size ?? (manifest.data.kind === 'images' ? manifest.data.shape[0] : undefined); // a run without --size: its data's own side
  if (flags.size !== undefined && flags.size !== savedSize) throw conflict('--size', flags.size, savedSize);
  if (flags.limit !== undefined && flags.limit !== manifest.data.limit) throw conflict('--limit', flags.limit, manifest.data.limit);
  if (flags.testLimit !== undefined && flags.testLimit !== manifest.data.testLimit) throw conflict('--test-limit', flags.testLimit, manifest.data.testLimit);
  if (flags.mirror !== undefined && flags.mirror !== (manifest.data.mirror ?? false)) throw conflict('--mirror', flags.mirror, manifest.data.mirror ?? false);
}

/** The run's plan as the loop saw it (the epochs and steps it aims at, a resume's extension included). */
interface Plan {
  totalEpochs: number;
  totalSteps: number;
}

/** A callback that only remembers the plan, for the summary. */
function planRecorder(plan: Plan): TrainCallback {
  return {
    onStart(ctx) {
      plan.totalEpochs = ctx.totalEpochs;
      plan.totalSteps = ctx.totalSteps;
    },
  };
}

function report(out: string, result: FitResult, plan: Plan): void {
  const last = result.metrics.filter((r) => r.epoch === result.metrics.at(-1)?.epoch);
  const where =
    result.status === 'finished'
      ? `finished after ${plural(result.epochs, 'epoch')} (${plural(result.steps, 'step')})`
      : `stopped after ${plural(result.epochs, 'complete epoch')} of ${plan.totalEpochs} (step ${result.steps} of ${plan.totalSteps})`;
  const lines = [`${where}; this session ${result.seconds.toFixed(1)} s, ${Math.round(result.examplesPerSec)} examples/s`];
  if (last.length > 0) lines.push(`last: ${formatEpochLine(last[0]!.epoch, plan.totalEpochs, last, 6)}`);
  const written = ['manifest.json', 'metrics.jsonl', 'model/', 'checkpoint/'];
  for (const sub of ['samples', 'recon']) if (existsSync(join(out, sub))) written.push(`${sub}/epoch-NNNN.png`);
  lines.push(`wrote ${out}: ${written.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Per-epoch sample quality where the data declare a measure (and --quality-samples is not 0), and the best epoch by it. */
function quality(kind: ModelKind, train: Dataset, samples: number): Pick<FitOptions, 'epochMetrics' | 'bestBy'> {
  const dataName = train.name;
  const bestBy = qualityBestBy(dataName, KINDS[kind].capabilities);
  // An upscaler's PSNR comes with its test evaluation, not from samples: it marks the best epoch whatever --quality-samples says.
  if (samples === 0) return KINDS[kind].capabilities.includes('upscale') ? { bestBy } : {};
  // A conditional model's samples take their labels with the training set's class shares (sample-quality.ts).
  return { epochMetrics: qualityPerEpoch(dataName, samples, classFrequencies(train)), bestBy };
}

async function trainCommand(kind: ModelKind, flags: RunFlags & Record<string, unknown>): Promise<void> {
  // Everything the flags say is checked before anything starts, so that a mistake is the only line printed.
  if (flags.epochs !== undefined && flags.steps !== undefined) throw badInput('--epochs', 'give --epochs or --steps, not both');
  const resuming = flags.resume === true;
  let manifest: RunManifest | null = null;
  if (resuming) {
    if (!existsSync(join(flags.out, 'manifest.json'))) {
      throw new GenlabError('not-found', `${flags.out}: nothing to resume (no manifest.json); leave out --resume to start a new run there`);
    }
    manifest = await readManifest(flags.out);
    checkResumeFlags(kind, flags, manifest);
  } else {
    if (!isEmptyDir(flags.out)) throw badInput('--out', `${flags.out} is not empty: add --resume to continue the run in it, or choose another folder (nothing was overwritten)`);
    if (flags.data === undefined) throw badInput('--data', 'required: a dataset name or a data file/folder');
    modelOptions(kind, flags); // a flag of another kind fails before anything starts
  }
  const plan: Pick<FitOptions, 'epochs' | 'steps'> = {};
  if (flags.epochs !== undefined) plan.epochs = flags.epochs;
  if (flags.steps !== undefined) plan.steps = flags.steps;
  const checkpointEvery = flags.checkpointEvery !== undefined ? { checkpointEverySteps: flags.checkpointEvery } : {};
  resolveFitOptions({ ...trainOptions(flags), ...plan, ...checkpointEvery });
  // A quality measure needs a few samples (precision/recall's k-NN balls), found out otherwise after the first epoch.
  if (flags.qualitySamples !== undefined && flags.qualitySamples > 0 && flags.qualitySamples < 10) {
    throw badInput('--quality-samples', `expected 0 (off) or at least 10 samples, got ${flags.qualitySamples}`);
  }

  // A resumed run continues on its own backend unless told otherwise: backends differ in the last bits.
  const savedBackend = (NODE_BACKENDS as readonly string[]).includes(manifest?.backend ?? '') ? (manifest!.backend as (typeof NODE_BACKENDS)[number]) : undefined;
  const backend = flags.backend ?? savedBackend;
  const engine = await initEngine(backend !== undefined ? { backend } : {});
  const startUp = (): void => {
    process.stderr.write(`genlab: ${describeEngine(engine)}\n`);
    if (manifest && manifest.backend !== engine.backend) {
      process.stderr.write(`genlab: note: the run was trained on ${manifest.backend}; its continuation on ${engine.backend} will not match an uninterrupted run bit for bit\n`);
    }
  };

  const totals: Plan = { totalEpochs: 0, totalSteps: 0 };
  const callbacks = [progressBar({ live: barsWanted() }), sampleGrids(), reconGrids(), planRecorder(totals)];
  const qualitySamples = flags.qualitySamples ?? 2000;
  let result: FitResult;
  let stoppedBy: string | null = null;
  if (manifest) {
    const d = manifest.data;
    const data = await loadRunData(d.name, { seed: manifest.seed, binarize: d.binarize, size: d.size, limit: d.limit, testLimit: d.testLimit, mirror: d.mirror });
    startUp();
    process.stderr.write(`genlab: resuming ${manifest.kind} on ${d.name} from epoch ${manifest.epoch}, step ${manifest.step} (${flags.out}, status ${manifest.status})\n`);
    const stop = stopOnSignals(undefined, flags.timeLimit);
    try {
      const resumed = await resumeRun(flags.out, data, { loadModel, callbacks, ...quality(kind, data.train, qualitySamples), signal: stop.signal, ...plan, ...checkpointEvery });
      resumed.model.dispose();
      result = resumed;
    } finally {
      stoppedBy = stop.stoppedBy();
      stop.release();
    }
  } else {
    const seed = flags.seed ?? 0;
    const data = await loadRunData(flags.data!, { seed, binarize: flags.binarize, size: flags.size, limit: flags.limit, testLimit: flags.testLimit, mirror: flags.mirror });
    const { train, test } = data;
    const classes = train.labels?.kind === 'class' ? train.labels.classes : undefined;
    const options = modelOptions(kind, flags);
    // Initial weights draw from their own stream, apart from the trainer's (runSeeds derives both from --seed).
    const model = createModel(kind, options, { shape: train.shape, kind: train.kind, ...(classes ? { classes } : {}) }, new Rng(runSeeds(seed).initSeed));
    startUp();
    process.stderr.write(`genlab: training ${kind} on ${train.name}: ${train.count} training and ${test?.count ?? 0} test examples of [${train.shape.join(', ')}] → ${flags.out}\n`);
    const stop = stopOnSignals(undefined, flags.timeLimit);
    try {
      result = await fit(model, data, {
        // Each kind trains with its papers' optimiser settings unless the flags say otherwise.
        ...(recommendedOptimizerOptions(kind, options) ?? {}),
        ...trainOptions(flags),
        ...plan,
        seed,
        runDir: flags.out,
        dataInfo: {
          ...(flags.binarize !== undefined ? { binarize: flags.binarize } : {}),
          ...(flags.size !== undefined ? { size: flags.size } : {}),
          ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
          ...(flags.testLimit !== undefined ? { testLimit: flags.testLimit } : {}),
          ...(flags.mirror ? { mirror: true } : {}),
        },
        ...checkpointEvery,
        callbacks,
        signal: stop.signal,
        ...quality(kind, train, qualitySamples),
      });
    } finally {
      stoppedBy = stop.stoppedBy();
      stop.release();
      model.dispose();
    }
  }
  report(flags.out, result, totals);
  if (result.status === 'stopped' && stoppedBy === 'time-limit') {
    process.stderr.write(`genlab: the time limit (${flags.timeLimit} min) ended training at epoch ${result.epochs}, step ${result.steps}; model/ holds the last weights. More: genlab train ${kind} --out ${flags.out} --resume\n`);
    return;
  }
  if (result.status === 'stopped') {
    throw new GenlabError(
      'interrupted',
      `train: stopped at epoch ${result.epochs}, step ${result.steps}; the checkpoint is in ${join(flags.out, 'checkpoint')}. ` +
        `Continue with: genlab train ${kind} --out ${flags.out} --resume`,
    );
  }
}

/** The commander option of a model option, from its description in the table. */
function addModelOption(cmd: Command, name: string, spec: ModelOptionSpec, hidden: boolean): void {
  const flag = optionFlag(name);
  const v = spec.value;
  const add = (flags: string, parse?: (value: string) => unknown): void => {
    const option = cmd.createOption(flags, spec.help);
    if (parse) option.argParser(parse);
    if (hidden) option.hideHelp();
    cmd.addOption(option);
  };
  switch (v.type) {
    case 'int':
      return add(`${flag} <N>`, intOption(flag, v.min ?? 1, v.max, v.why));
    case 'number':
      return add(`${flag} <x>`, numberOption(flag, v.min, v.max));
    case 'int-list':
      return add(`${flag} <list>`, listOption(flag));
    case 'choice':
      return add(`${flag} <name>`, choiceOption(flag, v.choices));
    case 'boolean':
      add(flag);
      if (v.negatable) add(`--no-${flag.slice(2)}`);
  }
}

function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--data <dataset>', 'dataset name (mnist, pokemon, moons, toy sets) or a data file/folder', datasetOption('--data'))
    .requiredOption('--out <dir>', 'run folder, e.g. runs/vae-mnist (must be new or empty unless --resume)')
    .option('--resume', 'continue the run in --out from its checkpoint (--epochs/--steps may extend it)')
    .option('--epochs <N>', 'passes over the training data (default 10)', intOption('--epochs', 1, 100_000, 'metrics.jsonl and the checkpoints keep a record per epoch; use --steps for long runs of small data'))
    .option('--steps <N>', 'total training steps instead of --epochs', intOption('--steps', 1, 1_000_000_000, 'years of training on this machine'))
    .option('--batch-size <N>', 'examples per step (default 64)', intOption('--batch-size', 1, 65536, 'a batch is one tensor in memory'))
    .option('--lr <x>', 'learning rate (default 1e-3 for adam, 1e-2 for sgd; GANs their paper’s)', positiveNumberOption('--lr'))
    .option('--group-lr <list>', 'learning rates of named loss groups over --lr, e.g. discriminator=4e-4,generator=1e-4 (two time-scale update rule, Heusel et al. 2017)', namedPositiveNumbersOption('--group-lr'))
    .option('--lr-decay <schedule>', 'learning rate over the run: none (default), linear or cosine (to 0 at the last step)', choiceOption('--lr-decay', LR_DECAYS))
    .option('--optimizer <name>', 'adam or sgd', choiceOption('--optimizer', OPTIMIZERS))
    .option('--beta1 <x>', "Adam's β1 (default 0.9)", numberOption('--beta1', 0, 0.999999))
    .option('--beta2 <x>', "Adam's β2 (default 0.999)", numberOption('--beta2', 0, 0.999999))
    .option('--momentum <x>', 'SGD momentum (default 0)', numberOption('--momentum', 0, 0.999999))
    .option('--quality-samples <N>', 'samples (and test digits) behind each epoch’s sample quality where the data have a measure (FID… on mnist, modes on toy sets; default 2000; 0 = off)', intOption('--quality-samples', 0, 100_000, 'the samples are drawn and compared at once'))
    .option('--binarize <mode>', 'MNIST binarisation: none, static or dynamic', choiceOption('--binarize', ['none', 'static', 'dynamic'] as const))
    .option('--size <px>', 'image data (pokemon, moons, image folders): side of the square the images are resized to (Pokémon default 40; the lecture’s 20)', intOption('--size', 4, 1024, 'images are held in memory at this size'))
    .option('--limit <N>', 'use only the first N training examples (quick runs)', intOption('--limit', 1, 10_000_000, 'more than any dataset genlab loads'))
    .option('--test-limit <N>', 'evaluate on only the first N test examples', intOption('--test-limit', 1, 10_000_000, 'more than any dataset genlab loads'))
    .option('--mirror', 'image data: flip each training image left to right with probability ½ at every pass (x-flips, Karras et al. 2020): twice the images for a small set such as the Pokémon sprites')
    .option('--checkpoint-every <N>', 'also checkpoint every N steps within epochs', intOption('--checkpoint-every', 1, 1_000_000_000, 'years of training on this machine'))
    .option('--time-limit <minutes>', 'stop after this many minutes of training (per-epoch evaluation included), as Ctrl-C would: checkpoint, model/, and --resume continues it', positiveNumberOption('--time-limit'))
    .option('--seed <S>', 'seed of weights, shuffling, noise and data generation (default 0)', intOption('--seed', 0))
    .option('--backend <name>', 'TF.js backend: native, wasm or cpu (default: the fastest that starts: native when built)', choiceOption('--backend', NODE_BACKENDS));
}

export function registerTrainCommand(program: Command): void {
  const train = program
    .command('train')
    .description('train a model; writes a run folder (manifest, metrics.jsonl, samples/, recon/, checkpoint/, model/)')
    .usage('<kind> --data <dataset> --out <dir> [options]  (genlab train <kind> --help lists a kind’s options)');
  for (const kind of MODEL_KINDS) {
    const spec = KINDS[kind];
    const cmd = train.command(kind).description(spec.description);
    addRunOptions(cmd);
    // Every model flag is known to every kind, so that another kind's flag gets a clear answer; help shows the kind's own.
    for (const [name, option] of Object.entries(MODEL_OPTIONS)) addModelOption(cmd, name, option, !(spec.options as readonly string[]).includes(name));
    cmd.action((flags: RunFlags & Record<string, unknown>) => trainCommand(kind, flags));
  }
}
