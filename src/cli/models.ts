/**
 * `genlab sample | reconstruct | interpolate | eval | score`: what a trained model does, from its run folder
 * `runs/NAME` or a saved model folder. Every command asks what the model can do (the kinds table's capabilities),
 * never what kind it is: models that encode reconstruct and interpolate between test images, generators interpolate
 * between seeded codes, every model samples and gets the sample quality its data declare (FID… on MNIST, modes on toy
 * sets), likelihood models are scored and report −ELBO and log p(x).
 */
import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import {
  GenlabError,
  Rng,
  TOY_SETS,
  badInput,
  can,
  encodeNpy,
  evaluateLikelihood,
  evaluateUpscaling,
  upscaleFidOptions,
  formatUpscaleReport,
  exampleSize,
  formatImageMetrics,
  formatMemorisation,
  generatedPath,
  imageFileToExample,
  initEngine,
  isConditional,
  loadDataFor,
  loadModel,
  openRun,
  reconstructionGrid,
  requireCapability,
  sampleQuality,
  sampleAtTemperature,
  checkTemperature,
  MAX_TEMPERATURE,
  COLOUR_LEVELS,
  scoreImages,
  computeReferenceScores,
  formatShare,
  likelihoodOfEach,
  percentileAmong,
  qualityMeasure,
  readReferenceScores,
  referenceVerdict,
  REFERENCE_FILE,
  subset,
  withMirrorImages,
  classFrequencies,
  toyModes,
  writeImageGrid,
  writeImageStrips,
  writePointsPlot,
  type Dataset,
  type GenerativeModel,
  type ReferenceScores,
  type RunInfo,
  type Scores,
} from '../index.js';
import { checkDataset, choiceOption, intOption, numberOption } from './options.js';
import { progressFor } from './progress.js';

type AnyModel = GenerativeModel;

/** The run's `split` (its seeded split of its dataset), in the model's example shape. */
async function runSplit(run: RunInfo, model: AnyModel, split: 'train' | 'test' = 'test'): Promise<Dataset> {
  if (!run.data) throw badInput(run.dir, 'a bare model folder has no data: pass a run folder (with manifest.json)');
  return loadDataFor(model, run.data.name, split, { seed: run.seed, ...(run.data.binarize !== undefined ? { binarize: run.data.binarize } : {}) });
}

function needImages(model: AnyModel, what: string): [number, number, number] {
  if (model.dataKind !== 'images' || model.dataShape.length !== 3) throw badInput(what, `needs an image model, this one models points [${model.dataShape.join(', ')}]`);
  return model.dataShape as unknown as [number, number, number];
}

/** Class index of `--label` (a class name or an index). */
export function parseLabel(model: AnyModel, label: string): number {
  const classes = model.classes;
  if (!isConditional(model) || !classes) throw badInput('--label', `this ${model.kind} model is not conditional (labels need a cvae or cgan)`);
  const byName = classes.indexOf(label);
  if (byName >= 0) return byName;
  const i = Number(label);
  if (Number.isInteger(i) && i >= 0 && i < classes.length) return i;
  throw badInput('--label', `unknown class '${label}', expected one of ${classes.join(', ')}`);
}

async function withModel<T>(runDir: string, f: (model: AnyModel, run: RunInfo) => Promise<T>): Promise<T> {
  await initEngine();
  const run = await openRun(runDir);
  const model = await loadModel(run.modelDir);
  try {
    return await f(model, run);
  } finally {
    model.dispose();
  }
}

async function writeBytes(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, bytes);
}

/** What a picture shows, as its caption: `vae-mnist · vae on mnist · 64 samples · seed 0`. */
function caption(model: AnyModel, run: RunInfo, what: string): string {
  return `${basename(run.dir)} · ${model.kind}${run.data ? ` on ${run.data.name}` : ''} · ${what}`;
}

/** The centres of the modes of a toy set the run was trained on, for plots; undefined for other data. */
function modesOf(run: RunInfo): number[][] | undefined {
  const name = run.data?.name;
  return name !== undefined && (TOY_SETS as readonly string[]).includes(name) ? (toyModes(name)?.centres ?? undefined) : undefined;
}

/** Where a command prints its lines (stdout; tests pass their own). */
export type Print = (line: string) => void;
const stdoutLine: Print = (line) => void process.stdout.write(`${line}\n`);

export interface SampleFlags {
  n: number;
  seed: number;
  /** σ of the codes z ~ N(0, σ²I) (models that generate from their own noise); default 1. */
  temperature?: number;
  label?: string;
  out: string;
}

/** `genlab sample`: n samples as an image grid (.png), a scatter plot (points: .png/.svg) or a float32 .npy. */
export async function sampleCommand(runDir: string, flags: SampleFlags, say: Print = stdoutLine): Promise<void> {
  const ext = extname(flags.out).toLowerCase();
  if (!['.png', '.npy', '.svg'].includes(ext)) throw badInput('--out', `expected a .png or .npy file, got '${flags.out}'`);
  await withModel(runDir, async (model, run) => {
    const labels = flags.label !== undefined ? tf.fill([flags.n], parseLabel(model, flags.label), 'int32') as tf.Tensor1D : undefined;
    if (!can(model, 'sample')) {
      labels?.dispose();
      const instead = can(model, 'upscale') ? ': it upscales given images (genlab upscale RUN)' : '';
      throw new GenlabError('unsupported', `sample: a ${model.kind} model cannot invent examples${instead}`);
    }
    const temperature = flags.temperature ?? 1;
    let samples: tf.Tensor;
    try {
      samples = sampleAtTemperature(model, flags.n, new Rng(flags.seed), temperature, labels);
    } finally {
      labels?.dispose();
    }
    const data = (await samples.data()) as Float32Array;
    samples.dispose();
    if (ext === '.npy') {
      await writeBytes(flags.out, encodeNpy([flags.n, ...model.dataShape], data));
    } else if (model.dataKind === 'images') {
      if (ext !== '.png') throw badInput('--out', 'image samples are written as .png or .npy');
      const what = `${flags.n} samples${flags.label !== undefined ? ` of class ${flags.label}` : ''} · seed ${flags.seed}${temperature !== 1 ? ` · σ ${temperature}` : ''}`;
      await writeImageGrid(flags.out, { data, count: flags.n, shape: needImages(model, 'sample') }, { title: caption(model, run, what) });
    } else {
      await writeSamplesOverData(flags.out, model, run, data, flags);
    }
    say(`sample: ${flags.n} ${model.kind} samples → ${flags.out}`);
  });
}

/** Point samples drawn over (up to 2000 of) the run's test points, with the modes of a toy set marked. */
async function writeSamplesOverData(file: string, model: AnyModel, run: RunInfo, samples: Float32Array, flags: SampleFlags): Promise<void> {
  const dims = exampleSize(model.dataShape);
  const test = run.data ? await runSplit(run, model) : null;
  const nData = Math.min(test?.count ?? 0, 2000);
  const points = new Float32Array((nData + flags.n) * dims);
  if (test) points.set(test.data.subarray(0, nData * dims));
  points.set(samples, nData * dims);
  const labels = Array.from({ length: nData + flags.n }, (_, i) => (i < nData ? 'data' : 'samples'));
  const modes = modesOf(run);
  await writePointsPlot(file, points, dims, {
    title: caption(model, run, `${flags.n} samples over ${nData} test points · seed ${flags.seed}`),
    labels,
    labelName: 'source',
    ...(modes ? { modes } : {}),
  });
}

export interface ReconstructFlags {
  n: number;
  seed: number;
  out: string;
}

/** `genlab reconstruct`: n random test images (seeded), each row of originals above a row of their reconstructions. */
export async function reconstructCommand(runDir: string, flags: ReconstructFlags, say: Print = stdoutLine): Promise<void> {
  await withModel(runDir, async (model, run) => {
    const shape = needImages(model, 'reconstruct');
    const test = await runSplit(run, model);
    const n = Math.min(flags.n, test.count);
    if (n === 0) throw badInput(run.dir, 'the test split is empty');
    const picked = subset(test, new Rng(flags.seed).permutation(test.count).subarray(0, n));
    const encoding = requireCapability(model, 'reconstruct', 'reconstruct');
    const x = tf.tensor(picked.data, [n, ...shape]);
    const labels = classLabels(picked, model);
    const recon = encoding.reconstruct(x, new Rng(flags.seed), labels);
    const r = (await recon.data()) as Float32Array;
    tf.dispose([x, recon, ...(labels ? [labels] : [])]);
    const grid = reconstructionGrid(picked.data, r, n, shape);
    await writeImageGrid(flags.out, grid, { columns: grid.columns, rowLabels: grid.rowLabels, title: caption(model, run, `${n} random test images · seed ${flags.seed}`) });
    say(`reconstruct: ${n} test images over their ${model.kind} reconstructions → ${flags.out}`);
  });
}

/** Class labels of a subset as a tensor, for conditional models (undefined otherwise). */
function classLabels(ds: Dataset, model: AnyModel): tf.Tensor1D | undefined {
  if (!isConditional(model)) return undefined;
  if (ds.labels?.kind !== 'class') throw badInput(ds.name, 'a conditional model needs class labels');
  return tf.tensor1d(ds.labels.values, 'int32');
}

export interface InterpolateFlags {
  from: number;
  to: number;
  steps: number;
  /** Class of a conditional GAN's path (default: the first class). */
  label?: string;
  out: string;
}

/**
 * `genlab interpolate`. Models that encode (ae, vae, vaegan…): test images I and J encoded (a VAE's posterior
 * mean, an AE's code), decoded at `steps` evenly spaced points of the segment between the codes; the strip shows I,
 * the decoded path, J. Generators without an encoder: I and J seed two random codes z_I, z_J ~ N(0, I) (`new Rng(I)`,
 * the same codes `genlab sample --seed I -n 1` draws) and the strip shows G along the great-circle path between them
 * (`generatedPath`). A .npy output holds the decoded path only, [steps, ...shape] in the data's range.
 */
export async function interpolateCommand(runDir: string, flags: InterpolateFlags, say: Print = stdoutLine): Promise<void> {
  const ext = extname(flags.out).toLowerCase();
  if (ext !== '.png' && ext !== '.npy') throw badInput('--out', `expected a .png or .npy file, got '${flags.out}'`);
  await withModel(runDir, async (model, run) => {
    if (!can(model, 'interpolate') && can(model, 'generate')) {
      const steps = flags.steps;
      const label = isConditional(model) ? parseLabel(model, flags.label ?? '0') : undefined;
      const decoded = generatedPath(model, flags.from, flags.to, steps, label);
      const d = (await decoded.data()) as Float32Array;
      decoded.dispose();
      if (ext === '.npy') await writeBytes(flags.out, encodeNpy([steps, ...model.dataShape], d));
      else {
        const captions = Array.from({ length: steps }, (_, i) => (i === 0 ? `seed ${flags.from}` : i === steps - 1 ? `seed ${flags.to}` : ''));
        await writeImageStrips(flags.out, [{ label: model.kind.toUpperCase(), images: { data: d, count: steps, shape: needImages(model, 'interpolate (.png)') }, captions }], {
          title: caption(model, run, `generated from the codes of seeds ${flags.from} and ${flags.to}, along the great circle`),
        });
      }
      say(`interpolate: codes seeded ${flags.from} → ${flags.to} in ${steps} steps along the great circle (${model.kind}) → ${flags.out}`);
      return;
    }
    const encoding = requireCapability(model, 'interpolate', 'interpolate');
    const shape = needImages(model, 'interpolate');
    const test = await runSplit(run, model);
    for (const [flag, i] of [['--from', flags.from], ['--to', flags.to]] as const) {
      if (i >= test.count) throw badInput(flag, `index ${i} is past the end of the test split (${test.count} images)`);
    }
    const ends = subset(test, [flags.from, flags.to]);
    const steps = flags.steps;
    const decoded = tf.tidy(() => encoding.interpolate(tf.tensor(ends.data, [2, ...shape]), steps, classLabels(ends, model)));
    const d = (await decoded.data()) as Float32Array;
    decoded.dispose();
    if (ext === '.npy') {
      await writeBytes(flags.out, encodeNpy([steps, ...shape], d));
      say(`interpolate: test ${flags.from} → ${flags.to} in ${steps} steps (${model.kind}) → ${flags.out}`);
      return;
    }
    const size = exampleSize(shape);
    const strip = new Float32Array((steps + 2) * size);
    strip.set(ends.data.subarray(0, size), 0);
    strip.set(d, size);
    strip.set(ends.data.subarray(size), (steps + 1) * size);
    const captions = Array.from({ length: steps + 2 }, (_, i) => (i === 0 ? `test ${flags.from}` : i === steps + 1 ? `test ${flags.to}` : ''));
    await writeImageStrips(flags.out, [{ label: model.kind.toUpperCase(), images: { data: strip, count: steps + 2, shape }, captions, real: [0, steps + 1] }], {
      title: caption(model, run, `test images ${flags.from} and ${flags.to} (framed) and ${steps} decodings between their codes`),
    });
    say(`interpolate: test ${flags.from} → ${flags.to} in ${steps} steps (${model.kind}) → ${flags.out}`);
  });
}

export interface EvalFlags {
  iwK: number;
  batchSize: number;
  seed: number;
  limit?: number;
  /** Samples behind the sample quality (default 2500 on toy sets, 10 000 on MNIST, or --limit). */
  samples?: number;
  /** σ of the samples' codes z ~ N(0, σ²I) (models that generate from their own noise); default 1. */
  temperature?: number;
  json?: boolean;
}

/**
 * `genlab eval`: what the model's capabilities and its data allow. Likelihood models: −ELBO, its terms, the
 * importance-sampled NLL and bits/dim over the test split. Every model that samples, where its data declare a quality
 * measure: modes covered and high-quality samples (toy sets), FID, KID, IS, precision/recall (MNIST) — a VAE as a GAN.
 */
export async function evalCommand(runDir: string, flags: EvalFlags, say: Print = stdoutLine): Promise<Record<string, number>> {
  return withModel(runDir, async (model, run) => {
    const temperature = flags.temperature ?? 1;
    checkTemperature(model, temperature); // before any long measure
    const report: Record<string, number> = {};
    const lines: string[] = [];
    const f = (v: number): string => v.toFixed(2);
    if (can(model, 'score')) {
      let test = await runSplit(run, model);
      if (flags.limit !== undefined && flags.limit < test.count) test = subset(test, Int32Array.from({ length: flags.limit }, (_, i) => i));
      const bar = progressFor(`eval: log p(x), k = ${flags.iwK}`);
      const r = await evaluateLikelihood(model, test, { k: flags.iwK, batchSize: flags.batchSize, seed: flags.seed, ...bar.options }).finally(bar.stop);
      Object.assign(report, { negElbo: r.negElbo, recon: r.recon, kl: r.kl, nll: r.nll, nllStdErr: r.nllStdErr, bitsPerDim: r.bitsPerDim, k: r.k, gap: r.gap, count: r.count });
      lines.push(`${run.data!.name} test (${r.count} examples), ${model.kind}:`);
      lines.push(`  −ELBO ${f(r.negElbo)} nats = recon ${f(r.recon)} + KL ${f(r.kl)}`);
      lines.push(`  NLL   ${f(r.nll)} ± ${f(r.nllStdErr)} nats (importance sampling, k = ${r.k}; ± its standard error), ${r.bitsPerDim.toFixed(4)} bits/dim; gap −ELBO − NLL ${f(r.gap)}`);
    }
    if (can(model, 'upscale')) {
      // Super-resolution: the test images averaged down and upscaled back, by the model and by bicubic.
      let test = await runSplit(run, model);
      if (flags.limit !== undefined && flags.limit < test.count) test = subset(test, Int32Array.from({ length: flags.limit }, (_, i) => i));
      const bar = progressFor('eval: upscaling');
      const fidOptions = await upscaleFidOptions(model, run.data?.name, test.count);
      const r = await evaluateUpscaling(model, test.data, test.count, { batchSize: flags.batchSize, ...fidOptions, ...bar.options }).finally(bar.stop);
      Object.assign(report, r);
      lines.push(`${run.data!.name} test (${r.count} images, ×${r.scale}), ${model.kind}:`, `  ${formatUpscaleReport(r)}`);
    }
    const name = run.data?.name;
    // --limit bounds the test images the samples are compared with, and so (unless --samples says) the samples.
    const samples = flags.samples ?? flags.limit;
    // The memorisation check compares samples with the run's own training and held-out images (its seeded split).
    const measure = name === undefined ? null : qualityMeasure(model, name);
    // A run trained on mirrored images (--mirror) saw each training image and its mirror: both count as training
    // images, and held-out images come with theirs, so that a mirrored copy is caught as a copy.
    const paired = async (split: 'train' | 'test'): Promise<Dataset> => (run.data?.mirror ? withMirrorImages(await runSplit(run, model, split)) : runSplit(run, model, split));
    const splits = measure === 'memorisation' ? { splits: { train: await paired('train'), test: await paired('test') } } : {};
    // A conditional model's samples take their labels with its training set's class shares, as real data have them.
    const prior = measure !== null && isConditional(model) ? classFrequencies(splits.splits?.train ?? (await runSplit(run, model, 'train'))) : undefined;
    const bar = progressFor('eval: sample quality');
    const quality =
      name === undefined
        ? null
        : await sampleQuality(model, name, { seed: flags.seed, ...(samples !== undefined ? { samples, referenceCount: samples } : {}), ...splits, ...(prior ? { classPrior: prior } : {}), temperature, ...bar.options }).finally(bar.stop);
    if (quality) {
      Object.assign(report, quality.report, temperature !== 1 ? { temperature } : {});
      if (quality.measure === 'modes') {
        const m = quality.metrics;
        lines.push(`${name}, ${model.kind}: ${m.modesCovered}/${m.modesTotal} modes covered, ${(100 * m.highQuality).toFixed(1)}% high-quality samples (${quality.samples} samples)`);
        lines.push(`  high quality = within 3 std of the nearest mode; a mode is covered with ≥ ${m.threshold[0]} of them${new Set(m.threshold).size > 1 ? ` (per mode: ${m.threshold.join(', ')})` : ''}`);
        lines.push(`  per mode: ${m.perMode.join(' ')}`);
      } else if (quality.measure === 'memorisation') {
        lines.push(`${name} samples (${quality.samples}), ${model.kind}: ${formatMemorisation(quality.metrics, 'image')}`);
        const { checkerboard, heldOutCheckerboard, colourEntropy, heldOutColourEntropy } = quality.report;
        lines.push(`  2×2 checkerboard: samples ${(100 * checkerboard).toFixed(1)}% of each image's variance, held-out images ${(100 * heldOutCheckerboard).toFixed(1)}% (the variance of the four pixel phases' means)`);
        if (colourEntropy !== undefined && heldOutColourEntropy !== undefined) {
          lines.push(`  colours per image: samples ${colourEntropy.toFixed(2)} bits, held-out images ${heldOutColourEntropy.toFixed(2)} (entropy of the non-white pixels over ${COLOUR_LEVELS}×${COLOUR_LEVELS}×${COLOUR_LEVELS} RGB cells)`);
        }
        const { twoSampleAccuracy: accuracy, twoSampleRealAccuracy: real, twoSampleFakeAccuracy: fake, twoSampleTrained: trained } = quality.report;
        if (accuracy !== undefined && real !== undefined && fake !== undefined && trained !== undefined) {
          const pc = (v: number): string => `${(100 * v).toFixed(1)}%`;
          lines.push(`  two-sample classifier: ${pc(accuracy)} balanced accuracy telling unseen samples from held-out images (50% = indistinguishable; held-out called real ${pc(real)}, samples called generated ${pc(fake)}; a small convnet trained on ${trained} training images against ${trained} samples)`);
        }
      } else {
        lines.push(`${name} samples (${quality.samples}${temperature !== 1 ? `, codes z ~ N(0, ${temperature}²I)` : ''}), ${model.kind}:`);
        for (const line of formatImageMetrics(quality.metrics)) lines.push(`  ${line}`);
      }
    }
    if (lines.length === 0) {
      if (!run.data) throw badInput(run.dir, 'a bare model folder has no data: pass a run folder (with manifest.json)');
      throw new GenlabError(
        'unsupported',
        `eval: no measure for a ${model.kind} on '${name}': likelihood needs a model that scores (vae, cvae, iwae); sample quality needs a toy set with modes (${TOY_SETS.filter((t) => toyModes(t)).join(', ')}), mnist or pokemon`,
      );
    }
    if (flags.json) say(JSON.stringify(report));
    else lines.forEach((line) => say(line));
    return report;
  });
}

export interface ScoreFlags {
  iwK: number;
  seed: number;
  split: 'train' | 'test';
  limit?: number;
  json?: boolean;
}

/** One row of `genlab score`: an image file, or a summary of a dataset's images. */
export interface ScoreRow {
  input: string;
  count: number;
  /** log p(x) (nats), the mean over a dataset. */
  logPx: number;
  /** −log p(x) / (D ln 2), the mean over a dataset. */
  bitsPerDim: number;
  median?: number;
  min?: number;
  max?: number;
  /** An image file's share (0…1) of held-out examples scoring below it, and the verdict (when there is a reference). */
  percentile?: number;
  verdict?: string;
}

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
/** Most test examples scored on the spot for percentiles when a run's model has no reference.json. */
const HELD_OUT_ON_THE_SPOT = 200;

/**
 * The yardstick of an image's percentile: reference.json in the model's folder; else, for a run folder, up to
 * HELD_OUT_ON_THE_SPOT examples of its data's test split scored now with the same k and seed; else none (a bare
 * model folder without reference.json). Returns the reference and a note for the reader.
 */
async function referenceFor(run: RunInfo, model: AnyModel, vae: Scores, flags: ScoreFlags): Promise<{ reference: ReferenceScores | null; note: string }> {
  const stored = await readReferenceScores(run.modelDir);
  if (stored) {
    const same = stored.k === flags.iwK && stored.seed === flags.seed;
    return { reference: stored, note: same ? '' : `note: ${join(run.modelDir, REFERENCE_FILE)} was scored with --iw-k ${stored.k} --seed ${stored.seed}, these images with --iw-k ${flags.iwK} --seed ${flags.seed}: percentiles compare unlike estimates` };
  }
  if (!run.data) return { reference: null, note: `no percentile: ${run.modelDir} has no ${REFERENCE_FILE} (pass the run folder to score against its test split; the shipped pokemon-vae's is written by \`npm run assets -- pokemon-vae\`)` };
  let test = await runSplit(run, model);
  if (test.count > HELD_OUT_ON_THE_SPOT) test = subset(test, new Rng(flags.seed).permutation(test.count).subarray(0, HELD_OUT_ON_THE_SPOT));
  const bar = progressFor(`score: ${plural(test.count, `${run.data.name} test image`)} for percentiles`);
  const reference = await computeReferenceScores(vae, { name: `${run.data.name}-test`, label: `${run.data.name} test images`, how: `test split of ${run.data.name}`, images: test.data }, [], {
    k: flags.iwK,
    seed: flags.seed,
    subject: run.data.name,
    ...bar.options,
  }).finally(bar.stop);
  return { reference, note: `percentiles among ${plural(test.count, `${run.data.name} test image`)} scored now (no ${REFERENCE_FILE} in ${run.modelDir})` };
}

/**
 * `genlab score`: log p(x) of image files, or summaries over datasets (by name or path). Each image file is scored
 * alone with the seed, so its number does not depend on the other files; with a reference (see `referenceFor`) each
 * gets its percentile among held-out examples and a verdict.
 */
export async function scoreCommand(runDir: string, inputs: string[], flags: ScoreFlags, say: Print = stdoutLine): Promise<ScoreRow[]> {
  const isImageFile = (p: string): boolean => IMAGE_EXTENSIONS.includes(extname(p).toLowerCase()) && existsSync(p) && statSync(p).isFile();
  for (const input of inputs) if (!isImageFile(input)) checkDataset(input, 'score');
  return withModel(runDir, async (model, run) => {
    const vae = requireCapability(model, 'score', 'score');
    const shape = needImages(model, 'score');
    const d = exampleSize(shape);
    const bits = (logPx: number): number => -logPx / (d * Math.LN2);
    const rows: ScoreRow[] = [];
    const files = inputs.filter(isImageFile);
    const notes: string[] = [];
    let reference: ReferenceScores | null = null;
    if (files.length > 0) {
      const data = new Float32Array(files.length * d);
      for (let i = 0; i < files.length; i++) data.set(imageFileToExample(new Uint8Array(await readFile(files[i]!)), files[i]!, shape), i * d);
      const found = await referenceFor(run, model, vae, flags);
      reference = found.reference;
      if (reference) notes.push(`reference: ${reference.heldOut.label}, ${reference.heldOut.how} (--iw-k ${reference.k} --seed ${reference.seed})`);
      if (found.note) notes.push(found.note);
      const bar = progressFor(`score: ${plural(files.length, 'image')}`);
      const scores = (await likelihoodOfEach(vae, data, { k: flags.iwK, seed: flags.seed, ...bar.options }).finally(bar.stop)).logPx;
      files.forEach((f, i) => {
        const logPx = scores[i]!;
        const judged = reference ? { percentile: percentileAmong(reference, logPx), verdict: referenceVerdict(reference, logPx) } : {};
        rows.push({ input: f, count: 1, logPx, bitsPerDim: bits(logPx), ...judged });
      });
    }
    for (const spec of inputs.filter((p) => !files.includes(p))) {
      let ds = await loadDataFor(model, spec, flags.split, { seed: run.seed });
      if (flags.limit !== undefined && flags.limit < ds.count) ds = subset(ds, Int32Array.from({ length: flags.limit }, (_, i) => i));
      if (ds.count === 0) throw badInput(spec, `the ${flags.split} split is empty`);
      const bar = progressFor(`score: ${spec}`);
      const scores = Array.from(await scoreImages(vae, ds.data, { k: flags.iwK, seed: flags.seed, ...bar.options }).finally(bar.stop)).sort((a, b) => a - b);
      const mean = scores.reduce((s, v) => s + v, 0) / scores.length;
      rows.push({ input: spec, count: scores.length, logPx: mean, bitsPerDim: bits(mean), median: scores[Math.floor(scores.length / 2)]!, min: scores[0]!, max: scores[scores.length - 1]! });
    }
    if (flags.json) say(JSON.stringify(rows));
    else {
      for (const r of rows) {
        const extra = r.count > 1 ? ` (mean of ${r.count}; median ${r.median!.toFixed(1)}, range ${r.min!.toFixed(1)} … ${r.max!.toFixed(1)})` : '';
        say(`${r.input}: log p(x) ${r.logPx.toFixed(1)} nats, ${r.bitsPerDim.toFixed(4)} bits/dim${extra}`);
        if (reference && r.percentile !== undefined) say(`  percentile among ${reference.heldOut.label}: ${formatShare(r.percentile)} — ${r.verdict}`);
      }
      for (const line of notes) say(line);
    }
    return rows;
  });
}

const TEMPERATURE_HELP =
  'GANs and LAPGAN: σ of the codes z ~ N(0, σ²I) (default 1, as trained): below 1 fewer, surer samples (truncation), above 1 more varied ones, trading precision for recall';

/** Registers sample, reconstruct, interpolate, eval and score on `program` (`print` receives their output lines). */
export function registerModelCommands(program: Command, print: Print = stdoutLine): void {
  const runHelp = 'run folder (runs/NAME, with manifest.json and model/), or a saved model folder';
  program
    .command('sample')
    .description('draw samples from a trained model: an image grid (.png) or a float32 array (.npy)')
    .argument('<run>', runHelp)
    .option('-n <count>', 'number of samples', intOption('-n', 1, 10000, 'they are drawn and written at once'), 64)
    .option('--seed <S>', 'seed of the codes z', intOption('--seed', 0), 0)
    .option('--label <L>', 'class name or index, for a conditional model (default: cycle through the classes)')
    .option('--temperature <σ>', TEMPERATURE_HELP, numberOption('--temperature', 0, MAX_TEMPERATURE), 1)
    .requiredOption('--out <file>', 'output: grid.png, or samples.npy (N×H×W×C in [0, 1])')
    .action((run: string, flags: SampleFlags) => sampleCommand(run, flags, print));
  program
    .command('reconstruct')
    .description('test images over their reconstructions, as a PNG grid')
    .argument('<run>', runHelp)
    .option('-n <count>', 'number of test images', intOption('-n', 1, 10000, 'they are reconstructed and written at once'), 16)
    .option('--seed <S>', 'seed of the choice of images', intOption('--seed', 0), 0)
    .requiredOption('--out <file>', 'output .png')
    .action((run: string, flags: ReconstructFlags) => reconstructCommand(run, flags, print));
  program
    .command('interpolate')
    .description('decode along the line between the codes of two test images (GANs: between two seeded random codes)')
    .argument('<run>', runHelp)
    .requiredOption('--from <I>', 'index of the first test image (GANs: seed of the first code)', intOption('--from', 0))
    .requiredOption('--to <J>', 'index of the second test image (GANs: seed of the second code)', intOption('--to', 0))
    .option('--steps <N>', 'points along the line, ends included', intOption('--steps', 2, 1000, 'the path is decoded into one strip'), 10)
    .option('--label <L>', 'class name or index along the path, for a conditional GAN (default: the first class)')
    .requiredOption('--out <file>', 'output: a .png strip, or path.npy (steps×H×W×C in [0, 1])')
    .action((run: string, flags: InterpolateFlags) => interpolateCommand(run, flags, print));
  program
    .command('eval')
    .description('likelihood models: test −ELBO, KL, importance-sampled NLL, bits/dim; any model that samples: modes covered and high-quality samples (toy sets), FID, KID, IS, precision/recall (MNIST); super-resolution models: PSNR and SSIM against bicubic')
    .argument('<run>', runHelp)
    .option('--iw-k <K>', 'importance samples per example', intOption('--iw-k', 1, 5000, 'each example is decoded K times'), 100)
    .option('--batch-size <n>', 'examples per batch', intOption('--batch-size', 1, 65536, 'a batch is one tensor in memory'), 100)
    .option('--seed <S>', 'seed of the samples', intOption('--seed', 0), 0)
    .option('--limit <N>', 'only the first N test examples', intOption('--limit', 1, 100000, 'it also sets the samples drawn at once'))
    .option('--samples <N>', 'samples behind the sample quality (default 2500 on toy sets, 10000 on MNIST, or --limit; a conditional model\'s labels drawn with its training set\'s class shares)', intOption('--samples', 2, 100000, 'they are drawn and compared at once'))
    .option('--temperature <σ>', TEMPERATURE_HELP, numberOption('--temperature', 0, MAX_TEMPERATURE), 1)
    .option('--json', 'print one JSON object')
    .action(async (run: string, flags: EvalFlags) => void (await evalCommand(run, flags, print)));
  program
    .command('score')
    .description('log p(x) of images under a VAE: image files (with their percentile among held-out examples: the model folder\'s reference.json, else a run\'s test split scored on the spot), or datasets (mean over their test split)')
    .argument('<run>', runHelp)
    .argument('<inputs...>', 'PNG/JPEG files, dataset names (mnist, pokemon, …) or data paths')
    .option('--iw-k <K>', 'importance samples per image', intOption('--iw-k', 1, 5000, 'each image is decoded K times'), 100)
    .option('--seed <S>', 'seed of the samples', intOption('--seed', 0), 0)
    .option('--split <split>', 'split of dataset inputs: train or test', choiceOption('--split', ['train', 'test'] as const), 'test')
    .option('--limit <N>', 'only the first N images of each dataset', intOption('--limit', 1, 1000000, 'more than any dataset genlab scores at once'))
    .option('--json', 'print a JSON array')
    .action(async (run: string, inputs: string[], flags: ScoreFlags) => void (await scoreCommand(run, inputs, flags, print)));
}
