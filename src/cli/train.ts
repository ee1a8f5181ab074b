/**
 * `genlab train <kind> --data <dataset> --out runs/NAME`: config → data → model → the training loop (progress
 * bar, metrics.jsonl, sample and reconstruction grids, checkpoints, Ctrl-C) → where things were written.
 * `--resume` continues the run in --out from its checkpoint.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describeEngine, initEngine, NODE_BACKENDS } from '../engine/backend.js';
import { GenlabError, badInput } from '../engine/errors.js';
import { Rng } from '../engine/rng.js';
import { subset, type Dataset } from '../data/dataset.js';
import { loadDataset, type LoadOptions } from '../data/registry.js';
import { DECODER_LIKELIHOODS, NOISE_TYPES } from '../models/autoencoder.js';
import { ARCHS } from '../models/model.js';
import { MODEL_DESCRIPTIONS, MODEL_KINDS, createModel, isAdversarialKind, loadModel, recommendedOptimizerOptions, type ModelOptions } from '../models/registry.js';
import { AdversarialBase, GAN_LOSSES } from '../models/gan.js';
import { toyModes } from '../data/toy.js';
import { ganQuality, qualityMeasure } from '../eval/gan-quality.js';
import { fit, resumeRun, runSeeds } from '../train/fit.js';
import { stopOnSignals } from './signals.js';
import { LR_DECAYS, OPTIMIZERS, type LrDecay, type OptimizerName } from '../train/optimizers.js';
import { isEmptyDir, readManifest, type RunManifest } from '../train/run-folder.js';
import { formatEpochLine, progressBar } from '../train/callbacks/progress.js';
import { reconGrids, sampleGrids } from '../train/callbacks/grids.js';
import type { FitData, FitOptions, FitResult } from '../train/types.js';
import { choiceOption, intOption, numberOption } from './options.js';

/** Flags of `genlab train`; undefined means not given (so a resume can tell a conflicting flag from a default). */
interface TrainFlags {
  data?: string;
  out: string;
  resume?: boolean;
  // model
  arch?: (typeof ARCHS)[number];
  hidden?: number[];
  latent?: number;
  decoder?: (typeof DECODER_LIKELIHOODS)[number];
  noise?: (typeof NOISE_TYPES)[number];
  noiseAmount?: number;
  beta?: number;
  klWarmup?: number;
  k?: number;
  weightDecay?: number;
  // GANs
  loss?: (typeof GAN_LOSSES)[number];
  dSteps?: number;
  featureMatching?: boolean;
  minibatchDiscrimination?: boolean;
  labelSmoothing?: number;
  historicalAveraging?: number;
  pack?: number;
  instanceNoise?: number;
  instanceNoiseSteps?: number;
  /** --zero-gp: the model's zeroCenteredPenalty. */
  zeroGp?: number;
  qualitySamples?: number;
  gpWeight?: number;
  gamma?: number;
  filters?: number[];
  batchNorm?: boolean;
  // training
  epochs?: number;
  steps?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: OptimizerName;
  beta1?: number;
  beta2?: number;
  momentum?: number;
  lrDecay?: LrDecay;
  checkpointEvery?: number;
  // data and engine
  binarize?: 'none' | 'static' | 'dynamic';
  limit?: number;
  testLimit?: number;
  seed?: number;
  backend?: 'wasm' | 'cpu';
}

/** The model options the flags set (flags not given are left out). */
function modelOptions(flags: TrainFlags): ModelOptions {
  const o: ModelOptions = {};
  if (flags.arch !== undefined) o.arch = flags.arch;
  if (flags.hidden !== undefined) o.hidden = flags.hidden;
  if (flags.latent !== undefined) o.latent = flags.latent;
  if (flags.decoder !== undefined) o.decoder = flags.decoder;
  if (flags.noise !== undefined) o.noise = flags.noise;
  if (flags.noiseAmount !== undefined) o.noiseAmount = flags.noiseAmount;
  if (flags.beta !== undefined) o.beta = flags.beta;
  if (flags.klWarmup !== undefined) o.klWarmup = flags.klWarmup;
  if (flags.k !== undefined) o.k = flags.k;
  for (const key of ['loss', 'dSteps', 'featureMatching', 'minibatchDiscrimination', 'labelSmoothing', 'historicalAveraging', 'pack', 'instanceNoise', 'instanceNoiseSteps', 'gpWeight', 'gamma', 'filters', 'batchNorm'] as const) {
    if (flags[key] !== undefined) (o as Record<string, unknown>)[key] = flags[key];
  }
  if (flags.zeroGp !== undefined) o.zeroCenteredPenalty = flags.zeroGp;
  if (flags.weightDecay !== undefined) o.weightDecay = flags.weightDecay;
  return o;
}

/** The training options the flags set, keyed as in FitOptions. */
function trainOptions(flags: TrainFlags): Pick<FitOptions, 'batchSize' | 'learningRate' | 'optimizer' | 'beta1' | 'beta2' | 'momentum' | 'lrDecay'> {
  const o: ReturnType<typeof trainOptions> = {};
  if (flags.batchSize !== undefined) o.batchSize = flags.batchSize;
  if (flags.lr !== undefined) o.learningRate = flags.lr;
  if (flags.optimizer !== undefined) o.optimizer = flags.optimizer;
  if (flags.beta1 !== undefined) o.beta1 = flags.beta1;
  if (flags.beta2 !== undefined) o.beta2 = flags.beta2;
  if (flags.momentum !== undefined) o.momentum = flags.momentum;
  if (flags.lrDecay !== undefined) o.lrDecay = flags.lrDecay;
  return o;
}

/** Flag names of option keys, for error messages. */
const FLAG_OF: Record<string, string> = {
  arch: '--arch', hidden: '--hidden', latent: '--latent', decoder: '--decoder', noise: '--noise', noiseAmount: '--noise-amount',
  beta: '--beta', klWarmup: '--kl-warmup', k: '--k', weightDecay: '--weight-decay', batchSize: '--batch-size',
  learningRate: '--lr', lrDecay: '--lr-decay', optimizer: '--optimizer', beta1: '--beta1', beta2: '--beta2', momentum: '--momentum',
  loss: '--loss', dSteps: '--d-steps', featureMatching: '--feature-matching', minibatchDiscrimination: '--minibatch-discrimination',
  labelSmoothing: '--label-smoothing', historicalAveraging: '--historical-averaging', pack: '--pack',
  instanceNoise: '--instance-noise', instanceNoiseSteps: '--instance-noise-steps', zeroCenteredPenalty: '--zero-gp', gpWeight: '--gp-weight', gamma: '--gamma',
  filters: '--filters', batchNorm: '--batch-norm',
};

/** Loads the run's data: the named dataset, the first `limit` training (and `testLimit` test) examples. */
async function loadRunData(spec: string, seed: number, binarize: TrainFlags['binarize'], limit?: number, testLimit?: number): Promise<FitData> {
  const options: LoadOptions = { seed };
  if (binarize !== undefined) options.binarize = binarize;
  const { train, test } = await loadDataset(spec, options);
  const first = (ds: Dataset, n: number | undefined): Dataset => (n === undefined || n >= ds.count ? ds : subset(ds, Int32Array.from({ length: n }, (_, i) => i)));
  return { train: first(train, limit), test: first(test, testLimit) };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Refuses flags that contradict the run being resumed (the epoch or step plan may change: it extends the run). */
function checkResumeFlags(kind: string, flags: TrainFlags, manifest: RunManifest): void {
  const where = join(flags.out, 'manifest.json');
  const conflict = (flag: string, given: unknown, saved: unknown): GenlabError =>
    badInput(flag, `${JSON.stringify(given)} conflicts with the run's ${JSON.stringify(saved ?? null)} (${where}): drop the flag to resume, or start a new run with another --out`);
  if (kind !== manifest.kind) throw badInput('train', `${flags.out} holds a ${manifest.kind} run, not ${kind}: resume it with 'genlab train ${manifest.kind} --out ${flags.out} --resume'`);
  const config = manifest.config as Record<string, unknown>;
  for (const [key, value] of Object.entries(modelOptions(flags))) {
    if (JSON.stringify(value) !== JSON.stringify(config[key])) throw conflict(FLAG_OF[key] ?? key, value, config[key]);
  }
  const saved = manifest.options as Record<string, unknown>;
  for (const [key, value] of Object.entries(trainOptions(flags))) {
    if (value !== saved[key]) throw conflict(FLAG_OF[key] ?? key, value, saved[key]);
  }
  if (flags.data !== undefined && flags.data !== manifest.data.name) throw conflict('--data', flags.data, manifest.data.name);
  if (flags.seed !== undefined && flags.seed !== manifest.seed) throw conflict('--seed', flags.seed, manifest.seed);
  if (flags.binarize !== undefined && flags.binarize !== (manifest.data.binarize ?? 'none')) throw conflict('--binarize', flags.binarize, manifest.data.binarize ?? 'none');
  if (flags.limit !== undefined && flags.limit !== manifest.data.limit) throw conflict('--limit', flags.limit, manifest.data.limit);
  if (flags.testLimit !== undefined && flags.testLimit !== manifest.data.testLimit) throw conflict('--test-limit', flags.testLimit, manifest.data.testLimit);
}

function report(out: string, result: FitResult): void {
  const last = result.metrics.filter((r) => r.epoch === result.metrics.at(-1)?.epoch);
  const lines = [
    `${result.status} after ${plural(result.epochs, 'epoch')} (${plural(result.steps, 'step')}); this session ${result.seconds.toFixed(1)} s, ${Math.round(result.examplesPerSec)} examples/s`,
  ];
  if (last.length > 0) lines.push(`last: ${formatEpochLine(last[0]!.epoch, result.epochs, last, 6)}`);
  const written = ['manifest.json', 'metrics.jsonl', 'model/', 'checkpoint/'];
  for (const sub of ['samples', 'recon']) if (existsSync(join(out, sub))) written.push(`${sub}/epoch-NNNN.png`);
  lines.push(`wrote ${out}: ${written.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * GANs have no held-out loss that says how good they are; where the data have a quality measure (eval/gan-quality.ts:
 * modes on toy sets, FID and friends on MNIST) each epoch's test record gets it, and the best epoch is judged by it.
 * MNIST uses `samples` samples against as many test digits per epoch (FID is biased at small counts: compare
 * epochs with each other, and with `genlab eval` only at the same count).
 */
function qualityPerEpoch(dataName: string, samples: number): Pick<FitOptions, 'epochMetrics' | 'bestBy'> {
  if (samples === 0) return {};
  return {
    async epochMetrics(model) {
      if (!(model instanceof AdversarialBase)) return {};
      const measure = qualityMeasure(model, dataName);
      const count = measure === 'images' ? samples : 2500;
      const q = measure && (await ganQuality(model, dataName, { samples: count, referenceCount: count, memorisationCount: 0 }));
      return q ? { ...q.report, qualitySamples: count } : {};
    },
    bestBy: dataName === 'mnist' ? { metric: 'fid', better: 'lower' } : toyModes(dataName) ? { metric: 'modesCovered', better: 'higher' } : { metric: 'loss', better: 'lower' },
  };
}

async function trainCommand(kind: string, flags: TrainFlags): Promise<void> {
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
  }

  // A resumed run continues on its own backend unless told otherwise: backends differ in the last bits.
  const savedBackend = (NODE_BACKENDS as readonly string[]).includes(manifest?.backend ?? '') ? (manifest!.backend as (typeof NODE_BACKENDS)[number]) : undefined;
  const backend = flags.backend ?? savedBackend;
  const engine = await initEngine(backend !== undefined ? { backend } : {});
  process.stderr.write(`genlab: ${describeEngine(engine)}\n`);
  if (manifest && manifest.backend !== engine.backend) {
    process.stderr.write(`genlab: note: the run was trained on ${manifest.backend}; its continuation on ${engine.backend} will not match an uninterrupted run bit for bit\n`);
  }

  const callbacks = [progressBar(), sampleGrids(), reconGrids()];
  const plan: Pick<FitOptions, 'epochs' | 'steps'> = {};
  if (flags.epochs !== undefined) plan.epochs = flags.epochs;
  if (flags.steps !== undefined) plan.steps = flags.steps;
  let result: FitResult;
  const stop = stopOnSignals();
  try {
  if (manifest) {
    const d = manifest.data;
    const binarize = d.binarize as TrainFlags['binarize'];
    const data = await loadRunData(d.name, manifest.seed, binarize, d.limit, d.testLimit);
    process.stderr.write(`genlab: resuming ${manifest.kind} on ${d.name} from epoch ${manifest.epoch}, step ${manifest.step} (${flags.out}, status ${manifest.status})\n`);
    const resumed = await resumeRun(flags.out, data, {
      loadModel,
      callbacks,
      ...(isAdversarialKind(manifest.kind) ? qualityPerEpoch(d.name, flags.qualitySamples ?? 2000) : {}),
      signal: stop.signal,
      ...plan,
      ...(flags.checkpointEvery !== undefined ? { checkpointEverySteps: flags.checkpointEvery } : {}),
    });
    resumed.model.dispose();
    result = resumed;
  } else {
    const seed = flags.seed ?? 0;
    const data = await loadRunData(flags.data!, seed, flags.binarize, flags.limit, flags.testLimit);
    const { train, test } = data;
    const classes = train.labels?.kind === 'class' ? train.labels.classes : undefined;
    // Initial weights draw from their own stream, apart from the trainer's (runSeeds derives both from --seed).
    const model = createModel(kind, modelOptions(flags), { shape: train.shape, kind: train.kind, ...(classes ? { classes } : {}) }, new Rng(runSeeds(seed).initSeed));
    process.stderr.write(
      `genlab: training ${kind} on ${train.name}: ${train.count} training and ${test?.count ?? 0} test examples of [${train.shape.join(', ')}] → ${flags.out}\n`,
    );
    try {
      result = await fit(model, data, {
        // GANs train with their papers' Adam settings unless the flags say otherwise.
        ...(recommendedOptimizerOptions(kind, modelOptions(flags)) ?? {}),
        ...trainOptions(flags),
        ...plan,
        seed,
        runDir: flags.out,
        dataInfo: {
          ...(flags.binarize !== undefined ? { binarize: flags.binarize } : {}),
          ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
          ...(flags.testLimit !== undefined ? { testLimit: flags.testLimit } : {}),
        },
        ...(flags.checkpointEvery !== undefined ? { checkpointEverySteps: flags.checkpointEvery } : {}),
        callbacks,
        signal: stop.signal,
        ...(isAdversarialKind(kind) ? qualityPerEpoch(train.name, flags.qualitySamples ?? 2000) : {}),
      });
    } finally {
      model.dispose();
    }
  }
  } finally {
    stop.release();
  }
  report(flags.out, result);
  if (result.status === 'stopped') {
    throw new GenlabError(
      'interrupted',
      `train: stopped at epoch ${result.epochs}, step ${result.steps}; the checkpoint is in ${join(flags.out, 'checkpoint')}. ` +
        `Continue with: genlab train ${kind} --out ${flags.out} --resume`,
    );
  }
}

const listOption = (flag: string) => (value: string): number[] =>
  value.split(',').map((v) => intOption(flag)(v.trim()));

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a model; writes a run folder (manifest, metrics.jsonl, samples/, recon/, checkpoint/, model/)')
    .argument('<kind>', `model kind: ${MODEL_KINDS.map((k) => `${k} (${MODEL_DESCRIPTIONS[k]})`).join('; ')}`, choiceOption('kind', MODEL_KINDS))
    .option('--data <dataset>', 'dataset name (mnist, pokemon, moons, toy sets) or a data file/folder')
    .requiredOption('--out <dir>', 'run folder, e.g. runs/vae-mnist (must be new or empty unless --resume)')
    .option('--resume', 'continue the run in --out from its checkpoint (--epochs/--steps may extend it)')
    .option('--arch <arch>', 'network architecture: mlp or conv', choiceOption('--arch', ARCHS))
    .option('--hidden <widths>', 'hidden dense widths, comma-separated (default 400 for mlp)', listOption('--hidden'))
    .option('--latent <N>', 'size of the code z (default 20)', intOption('--latent'))
    .option('--decoder <p>', 'p(x|z): bernoulli or gaussian (default bernoulli for images)', choiceOption('--decoder', DECODER_LIKELIHOODS))
    .option('--noise <type>', 'dae input corruption: none, gaussian, masking, salt-and-pepper', choiceOption('--noise', NOISE_TYPES))
    .option('--noise-amount <x>', 'σ of gaussian noise or the fraction corrupted', numberOption('--noise-amount', 0))
    .option('--beta <x>', 'weight of the KL term (β-VAE; default 1)', numberOption('--beta', 0))
    .option('--kl-warmup <N>', 'steps over which the KL weight rises from 0 to β', intOption('--kl-warmup', 0))
    .option('--k <N>', 'importance samples per example (iwae; default 5)', intOption('--k'))
    .option('--weight-decay <x>', 'L2 penalty λ on the kernels', numberOption('--weight-decay', 0))
    .option('--loss <name>', 'GAN objective: minimax, nonsaturating, lsgan, wgan-gp', choiceOption('--loss', GAN_LOSSES))
    .option('--d-steps <N>', 'discriminator updates per generator update (default 1; 5 for wgan-gp)', intOption('--d-steps'))
    .option('--feature-matching', 'GAN: the generator matches D’s mean features (Salimans et al. 2016)')
    .option('--minibatch-discrimination', 'GAN: D sees how alike the examples of its batch are (Salimans et al. 2016)')
    .option('--label-smoothing <x>', 'GAN: one-sided target of real examples, e.g. 0.9', numberOption('--label-smoothing', 0.5, 1))
    .option('--historical-averaging <x>', 'GAN: λ of ‖θ − mean of past θ‖² (Salimans et al. 2016)', numberOption('--historical-averaging', 0))
    .option('--pack <N>', 'GAN: the discriminator judges N examples at once (PacGAN, Lin et al. 2018); default 1', intOption('--pack', 1))
    .option('--instance-noise <σ>', 'GAN: N(0, σ²) added to D’s inputs, falling linearly to 0 (Sønderby et al. 2017); default 0', numberOption('--instance-noise', 0))
    .option('--instance-noise-steps <N>', 'GAN: steps over which the instance noise falls to 0 (default 5000)', intOption('--instance-noise-steps', 1))
    .option('--zero-gp <λ>', 'GAN: zero-centred gradient penalty λ E‖∇D(x̂)‖² at real–fake interpolates (Thanh-Tung et al. 2019); default 0', numberOption('--zero-gp', 0))
    .option('--quality-samples <N>', 'GAN on mnist: samples (and test digits) behind each epoch’s FID/KID/IS/precision/recall (default 2000; 0 = off)', intOption('--quality-samples', 0))
    .option('--gp-weight <x>', 'WGAN-GP: λ of the gradient penalty (default 10)', numberOption('--gp-weight', 0))
    .option('--gamma <x>', 'VAE-GAN: weight of the feature-space reconstruction in the decoder loss', numberOption('--gamma', 0))
    .option('--filters <list>', 'conv nets: filters of the stride-2 layers, e.g. 32,64', listOption('--filters'))
    .option('--batch-norm', 'GAN: batch normalisation')
    .option('--no-batch-norm', 'GAN: no batch normalisation')
    .option('--epochs <N>', 'passes over the training data (default 10)', intOption('--epochs'))
    .option('--steps <N>', 'total training steps instead of --epochs', intOption('--steps'))
    .option('--batch-size <N>', 'examples per step (default 64)', intOption('--batch-size'))
    .option('--lr <x>', 'learning rate (default 1e-3 for adam, 1e-2 for sgd)', numberOption('--lr', 0))
    .option('--lr-decay <schedule>', 'learning rate over the run: none (default), linear or cosine (to 0 at the last step)', choiceOption('--lr-decay', LR_DECAYS))
    .option('--optimizer <name>', 'adam or sgd', choiceOption('--optimizer', OPTIMIZERS))
    .option('--beta1 <x>', "Adam's β1 (default 0.9)", numberOption('--beta1', 0, 0.999999))
    .option('--beta2 <x>', "Adam's β2 (default 0.999)", numberOption('--beta2', 0, 0.999999))
    .option('--momentum <x>', 'SGD momentum (default 0)', numberOption('--momentum', 0, 0.999999))
    .option('--binarize <mode>', 'MNIST binarisation: none, static or dynamic', choiceOption('--binarize', ['none', 'static', 'dynamic'] as const))
    .option('--limit <N>', 'use only the first N training examples (quick runs)', intOption('--limit'))
    .option('--test-limit <N>', 'evaluate on only the first N test examples', intOption('--test-limit'))
    .option('--checkpoint-every <N>', 'also checkpoint every N steps within epochs', intOption('--checkpoint-every'))
    .option('--seed <S>', 'seed of weights, shuffling, noise and data generation (default 0)', intOption('--seed', 0))
    .option('--backend <name>', 'TF.js backend: native, wasm or cpu (default: the fastest that starts: native when built)', choiceOption('--backend', NODE_BACKENDS))
    .action((kind: string, flags: TrainFlags) => trainCommand(kind, flags));
}
