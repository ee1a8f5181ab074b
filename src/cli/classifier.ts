/**
 * `genlab classifier train | eval | score`: the MNIST digit classifier whose feature space genlab's image metrics use
 * (src/eval/mnist-classifier.ts, src/eval/image-metrics.ts).
 *
 *   genlab classifier train --out assets/mnist-classifier [--epochs N] [--seed S]   re-creates the shipped weights
 *   genlab classifier eval [--dir D] [--json]                                      test accuracy of a classifier
 *   genlab classifier score samples.npy [--json]                                   FID, KID, IS, precision/recall,
 *                                                                                  memorisation of MNIST-like samples
 */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  badInput,
  CLASSIFIER_FEATURES,
  defaultClassifierDir,
  describeEngine,
  evaluateImageSamples,
  formatImageMetrics,
  initEngine,
  loadMnist,
  loadMnistClassifier,
  measureFeatureScales,
  NODE_BACKENDS,
  readNpyFile,
  saveMnistClassifier,
  subset,
  TRAINING_FILE,
  trainMnistClassifier,
} from '../index.js';
import { choiceOption, intOption, positiveNumberOption } from './options.js';
import { progressFor } from './progress.js';

type Print = (line: string) => void;

/** Training digits the feature scales are measured on. */
const SCALE_DIGITS = 10_000;
const stdoutLine: Print = (line) => void process.stdout.write(`${line}\n`);
const stderrLine: Print = (line) => void process.stderr.write(`${line}\n`);

export interface ClassifierTrainFlags {
  out: string;
  epochs?: number;
  seed?: number;
  batchSize?: number;
  lr?: number;
  maxShift?: number;
  limit?: number;
  backend?: (typeof NODE_BACKENDS)[number];
}

/** `genlab classifier train`: trains the classifier on MNIST's 60 000 training digits, saves it, prints test accuracy. */
export async function classifierTrainCommand(flags: ClassifierTrainFlags, say: Print = stdoutLine, log: Print = stderrLine): Promise<void> {
  const engine = await initEngine(flags.backend !== undefined ? { backend: flags.backend } : {});
  log(`genlab: ${describeEngine(engine)}`);
  const { train: fullTrain, test } = await loadMnist();
  const train = flags.limit !== undefined ? subset(fullTrain, Int32Array.from({ length: Math.min(flags.limit, fullTrain.count) }, (_, i) => i)) : fullTrain;
  const seed = flags.seed ?? 0;
  const epochs = flags.epochs ?? 6;
  const started = Date.now();
  let lastAccuracy = NaN;
  log(`genlab: training the MNIST classifier on ${train.count} digits, ${epochs} epochs, seed ${seed} → ${flags.out}`);
  const classifier = trainMnistClassifier(train, {
    epochs,
    seed,
    ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
    ...(flags.lr !== undefined ? { learningRate: flags.lr } : {}),
    ...(flags.maxShift !== undefined ? { maxShift: flags.maxShift } : {}),
    validation: test,
    onProgress: ({ epoch, step, stepsPerEpoch, loss }) => {
      const inEpoch = step - (epoch - 1) * stepsPerEpoch;
      log(`epoch ${epoch}/${epochs} step ${inEpoch}/${stepsPerEpoch} loss ${loss.toFixed(4)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    },
    onEpoch: ({ epoch, loss, accuracy, seconds }) => {
      lastAccuracy = accuracy ?? NaN;
      log(`epoch ${epoch}/${epochs}: loss ${loss.toFixed(4)}, test accuracy ${((accuracy ?? 0) * 100).toFixed(2)}% (${seconds.toFixed(0)} s)`);
    },
  });
  // The last epoch's validation ran on the full test split with the final weights.
  const accuracy = Number.isNaN(lastAccuracy) ? classifier.accuracy(test) : lastAccuracy;
  const seconds = (Date.now() - started) / 1000;
  // The spreads of the two feature blocks on real digits fix the precision/recall space (image-metrics.ts).
  const featureScales = measureFeatureScales(classifier.outputs(train.data.subarray(0, Math.min(train.count, SCALE_DIGITS) * 784)));
  await saveMnistClassifier(classifier, flags.out);
  const provenance = {
    command: ['genlab classifier train --out', flags.out, '--epochs', epochs, '--seed', seed, ...(flags.limit !== undefined ? ['--limit', flags.limit] : [])].join(' '),
    epochs,
    seed,
    ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
    ...(flags.lr !== undefined ? { learningRate: flags.lr } : {}),
    ...(flags.maxShift !== undefined ? { maxShift: flags.maxShift } : {}),
    trainCount: train.count,
    backend: engine.backend,
    testAccuracy: accuracy,
    trainingSeconds: Math.round(seconds),
    features: CLASSIFIER_FEATURES,
    featureScales: { ...featureScales, measuredOn: `the first ${Math.min(train.count, SCALE_DIGITS)} training digits` },
  };
  await writeFile(join(flags.out, TRAINING_FILE), `${JSON.stringify(provenance, null, 2)}\n`);
  classifier.dispose();
  say(`test accuracy ${(accuracy * 100).toFixed(2)}% (${Math.round(accuracy * test.count)}/${test.count}), trained in ${seconds.toFixed(0)} s on ${engine.backend}, saved to ${flags.out}`);
}

/** `genlab classifier eval`: accuracy of the shipped (or a given) classifier on MNIST's 10 000 test digits. */
export async function classifierEvalCommand(flags: { dir?: string; json?: boolean }, say: Print = stdoutLine): Promise<void> {
  await initEngine();
  const dir = flags.dir ?? defaultClassifierDir();
  const classifier = await loadMnistClassifier(dir, { fresh: true });
  const { test } = await loadMnist();
  const accuracy = classifier.accuracy(test);
  classifier.dispose();
  if (flags.json) say(JSON.stringify({ dir, testAccuracy: accuracy, testCount: test.count }));
  else say(`test accuracy ${(accuracy * 100).toFixed(2)}% (${Math.round(accuracy * test.count)}/${test.count}) — ${dir}`);
}

/** `genlab classifier score`: image metrics of samples in a .npy file ([n, 28, 28, 1], [n, 28, 28] or [n, 784], values in [0, 1]). */
export interface ClassifierScoreFlags {
  count?: number;
  referenceCount?: number;
  memorisationCount?: number;
  seed?: number;
  json?: boolean;
}

export async function classifierScoreCommand(file: string, flags: ClassifierScoreFlags, say: Print = stdoutLine): Promise<void> {
  await initEngine();
  const npy = await readNpyFile(file);
  const n = npy.shape[0] ?? 0;
  const per = npy.shape.slice(1).reduce((a, b) => a * b, 1);
  if (npy.shape.length < 2 || per !== 784 || n < 2) throw badInput(file, `expected at least 2 images of 28×28×1 ([n, 28, 28, 1]), got shape [${npy.shape.join(', ')}]`);
  const data = npy.data instanceof Float32Array ? npy.data : Float32Array.from(npy.data as ArrayLike<number>);
  if (npy.data instanceof Uint8Array) for (let i = 0; i < data.length; i++) data[i] = data[i]! / 255;
  const bar = progressFor('classifier score');
  const metrics = await evaluateImageSamples(data, {
    ...bar.options,
    reference: 'mnist',
    ...(flags.count !== undefined ? { count: flags.count } : {}),
    ...(flags.referenceCount !== undefined ? { referenceCount: flags.referenceCount } : {}),
    ...(flags.memorisationCount !== undefined ? { memorisationCount: flags.memorisationCount } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
  }).finally(bar.stop);
  if (flags.json) say(JSON.stringify(metrics));
  else for (const line of formatImageMetrics(metrics)) say(line);
}

export function registerClassifierCommand(program: Command): void {
  const cmd = program.command('classifier').description('the MNIST digit classifier behind FID, KID, Inception Score and precision/recall');
  cmd
    .command('train')
    .description('train the classifier on MNIST (re-creates the shipped weights with --out assets/mnist-classifier) and print its test accuracy')
    .requiredOption('--out <dir>', 'folder to write model.json + weights.bin (+ training.json) into')
    .option('--epochs <N>', 'passes over the 60 000 training digits (default 6)', intOption('--epochs', 1, 1000, 'each epoch is a pass over 60 000 digits'))
    .option('--seed <S>', 'seed of weights, batch order, shifts and dropout (default 0)', intOption('--seed', 0))
    .option('--batch-size <N>', 'examples per step (default 128)', intOption('--batch-size', 1, 65536, 'a batch is one tensor in memory'))
    .option('--lr <x>', 'peak Adam learning rate, cosine-decayed (default 2e-3)', positiveNumberOption('--lr'))
    .option('--max-shift <N>', 'random shift augmentation in pixels, 0 for none (default 2)', intOption('--max-shift', 0))
    .option('--limit <N>', 'train on the first N digits only (quick runs)', intOption('--limit', 1, 60_000, 'MNIST has 60 000 training digits'))
    .option('--backend <name>', 'TF.js backend: native, wasm or cpu (default: the fastest that starts: native when built)', choiceOption('--backend', NODE_BACKENDS))
    .action((flags: ClassifierTrainFlags) => classifierTrainCommand(flags));
  cmd
    .command('eval')
    .description("accuracy on MNIST's 10 000 test digits")
    .option('--dir <dir>', 'classifier folder (default: the shipped assets/mnist-classifier)')
    .option('--json', 'print JSON')
    .action((flags: { dir?: string; json?: boolean }) => classifierEvalCommand(flags));
  cmd
    .command('score')
    .description('FID, KID, Inception Score, precision/recall and a memorisation check of MNIST-like samples (.npy, values in [0, 1])')
    .argument('<samples.npy>', 'samples [n, 28, 28, 1]')
    .option('--count <N>', 'use at most N samples (default all, up to 10 000)', intOption('--count', 4, 100_000, 'the samples are compared at once'))
    .option('--reference-count <N>', 'compare with N of the 10 000 test digits (default all)', intOption('--reference-count', 4, 10_000, 'MNIST has 10 000 test digits'))
    .option('--memorisation-count <N>', 'samples checked against the 60 000 training digits, 0 to skip (default 1000)', intOption('--memorisation-count', 0, 100_000, 'each is compared with all 60 000 training digits'))
    .option('--seed <S>', 'seed of the subsets drawn (default 0)', intOption('--seed', 0))
    .option('--json', 'print JSON')
    .action((file: string, flags: ClassifierScoreFlags) => classifierScoreCommand(file, flags));
}
