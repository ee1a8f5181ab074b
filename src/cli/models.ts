/**
 * `genlab sample | reconstruct | interpolate | eval | score`: what a trained model does, from its run folder
 * `runs/NAME` (manifest.json says which data it was trained on; the model is `model/`, or the last checkpoint's
 * `checkpoint/model/` while the run is still going). Autoencoders, VAEs and the GAN family (gan, dcgan, cgan,
 * wgan-gp, vaegan) all sample; `interpolate` walks between two encoded test images (models with an encoder) or between
 * two random codes (GANs); `eval` reports the likelihood of a VAE, the mode metrics of a GAN on a toy set, and the
 * image metrics (FID, KID, IS, precision/recall) of a GAN on MNIST.
 */
import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { initEngine } from '../engine/backend.js';
import { GenlabError, badFile, badInput } from '../engine/errors.js';
import { Rng } from '../engine/rng.js';
import { exampleSize, subset, type Dataset } from '../data/dataset.js';
import { decodeImage } from '../data/image-decode.js';
import { alphaBoundingBox, compositeRgba, crop, fitToSquare, resizeArea, toGray, type FloatImage } from '../data/image-ops.js';
import { encodeNpy } from '../data/npy.js';
import { loadDataset, type LoadOptions } from '../data/registry.js';
import { MODEL_FILE } from '../models/model.js';
import { loadModel, type GenerativeModel } from '../models/registry.js';
import { VAE } from '../models/vae.js';
import { AdversarialBase, GAN } from '../models/gan.js';
import { conformImages, evaluateLikelihood, scoreImages } from '../eval/likelihood.js';
import { ganQuality } from '../eval/gan-quality.js';
import { formatImageMetrics } from '../eval/image-metrics.js';
import { TOY_SETS, toyModes } from '../data/toy.js';
import { writeImageGrid, writeImageStrips } from '../viz/grid.js';
import { writePointsPlot } from '../viz/scatter.js';
import { choiceOption, intOption } from './options.js';

/** What the commands need from a run folder's manifest.json. */
export interface RunInfo {
  dir: string;
  /** Folder of the saved model (model/ or checkpoint/model/). */
  modelDir: string;
  /** The training data: name (as loadDataset knows it), example shape, MNIST binarisation; null for a bare model folder. */
  data: { name: string; shape: number[]; binarize?: string } | null;
  seed: number;
}

/** Finds the model of run folder `dir` (or accepts a saved model folder itself) and reads its manifest. */
export async function openRun(dir: string): Promise<RunInfo> {
  if (!existsSync(dir)) throw new GenlabError('not-found', `${dir}: no such run folder`);
  if (existsSync(join(dir, MODEL_FILE))) return { dir, modelDir: dir, data: null, seed: 0 };
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new GenlabError('not-found', `${dir}: not a run folder (no manifest.json) nor a saved model (no ${MODEL_FILE})`);
  let manifest: { data?: { name?: unknown; shape?: unknown; binarize?: unknown }; seed?: unknown };
  try {
    manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
  } catch (e) {
    throw badFile(manifestFile, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const d = manifest?.data;
  if (!d || typeof d.name !== 'string' || !Array.isArray(d.shape) || !d.shape.every((v) => Number.isInteger(v) && v >= 1)) {
    throw badFile(manifestFile, 'expected "data": { "name": …, "shape": [...] }');
  }
  const candidates = [join(dir, 'model'), join(dir, 'checkpoint', 'model')];
  const modelDir = candidates.find((c) => existsSync(join(c, MODEL_FILE)));
  if (!modelDir) throw new GenlabError('not-found', `${dir}: no saved model yet (neither model/ nor checkpoint/model/ holds ${MODEL_FILE})`);
  return {
    dir,
    modelDir,
    data: { name: d.name, shape: d.shape as number[], ...(typeof d.binarize === 'string' ? { binarize: d.binarize } : {}) },
    seed: typeof manifest.seed === 'number' && Number.isInteger(manifest.seed) ? manifest.seed : 0,
  };
}

/** What the commands read of any model: its example shape and kind, its classes. */
type AnyModel = GenerativeModel;

/** The test split of the run's data, in the model's example shape. */
export async function runTestData(run: RunInfo, model: AnyModel, split: 'train' | 'test' = 'test'): Promise<Dataset> {
  if (!run.data) throw badInput(run.dir, 'a bare model folder has no data: pass a run folder (with manifest.json)');
  return loadAs(run.data.name, model, split, run.seed, run.data.binarize);
}

/** Loads a dataset by name or path, converted to the model's example shape when it differs. */
async function loadAs(spec: string, model: AnyModel, split: 'train' | 'test', seed: number, binarize?: string): Promise<Dataset> {
  const shape = model.dataShape;
  const options: LoadOptions = { seed };
  if (binarize === 'none' || binarize === 'static' || binarize === 'dynamic') options.binarize = binarize;
  if (shape.length === 3 && shape[0] === shape[1]) options.size = shape[0]!;
  const ds = (await loadDataset(spec, options))[split];
  if (ds.shape.join() === shape.join()) return ds;
  if (ds.kind !== 'images' || model.dataKind !== 'images') {
    throw badInput(spec, `examples of shape [${ds.shape.join(', ')}], the model expects [${shape.join(', ')}]`);
  }
  return { ...ds, shape: [...shape], data: conformImages(ds.data, ds.count, ds.shape, shape) };
}

function needImages(model: AnyModel, what: string): [number, number, number] {
  if (model.dataKind !== 'images' || model.dataShape.length !== 3) throw badInput(what, `needs an image model, this one models points [${model.dataShape.join(', ')}]`);
  return model.dataShape as unknown as [number, number, number];
}

function needVae(model: AnyModel, what: string): VAE {
  if (!(model instanceof VAE)) throw new GenlabError('unsupported', `${what}: this ${model.kind} model defines no likelihood p(x); use a vae, cvae or iwae run`);
  return model;
}

/** Class index of `--label` (a class name or an index). */
export function parseLabel(model: AnyModel, label: string): number {
  const classes = model.classes;
  if (!model.config.conditional || !classes) throw badInput('--label', `this ${model.kind} model is not conditional (labels need a cvae or cgan)`);
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

/** Where a command prints its lines (stdout; tests pass their own). */
export type Print = (line: string) => void;
const stdoutLine: Print = (line) => void process.stdout.write(`${line}\n`);

export interface SampleFlags {
  n: number;
  seed: number;
  label?: string;
  out: string;
}

/** `genlab sample`: n samples as an image grid (.png), a scatter plot (points: .png/.svg) or a float32 .npy. */
export async function sampleCommand(runDir: string, flags: SampleFlags, say: Print = stdoutLine): Promise<void> {
  const ext = extname(flags.out).toLowerCase();
  if (!['.png', '.npy', '.svg'].includes(ext)) throw badInput('--out', `expected a .png or .npy file, got '${flags.out}'`);
  await withModel(runDir, async (model) => {
    const labels = flags.label !== undefined ? tf.fill([flags.n], parseLabel(model, flags.label), 'int32') as tf.Tensor1D : undefined;
    const samples = model.sample(flags.n, new Rng(flags.seed), labels);
    labels?.dispose();
    const data = (await samples.data()) as Float32Array;
    samples.dispose();
    if (ext === '.npy') {
      await writeBytes(flags.out, encodeNpy([flags.n, ...model.dataShape], data));
    } else if (model.dataKind === 'images') {
      if (ext !== '.png') throw badInput('--out', 'image samples are written as .png or .npy');
      await writeImageGrid(flags.out, { data, count: flags.n, shape: needImages(model, 'sample') });
    } else {
      await writePointsPlot(flags.out, data, exampleSize(model.dataShape), { title: `${model.kind} samples (${flags.n})` });
    }
    say(`sample: ${flags.n} ${model.kind} samples → ${flags.out}`);
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
    const test = await runTestData(run, model);
    const n = Math.min(flags.n, test.count);
    if (n === 0) throw badInput(run.dir, 'the test split is empty');
    const picked = subset(test, new Rng(flags.seed).permutation(test.count).subarray(0, n));
    const x = tf.tensor(picked.data, [n, ...shape]);
    const labels = classLabels(picked, model);
    if (model instanceof GAN) {
      tf.dispose([x, ...(labels ? [labels] : [])]);
      throw new GenlabError('unsupported', `reconstruct: a ${model.kind} has no encoder, so it cannot reconstruct; use a vaegan, vae or ae run`);
    }
    const recon = model.reconstruct(x, new Rng(flags.seed), labels);
    const r = (await recon.data()) as Float32Array;
    tf.dispose([x, recon, ...(labels ? [labels] : [])]);
    // Rows of up to 8: originals, then their reconstructions; blank (grey) cells fill the last pair of rows.
    const size = exampleSize(shape);
    const columns = Math.min(n, 8);
    const pairs = Math.ceil(n / columns);
    const cells = new Float32Array(pairs * 2 * columns * size).fill(0.5);
    for (let i = 0; i < n; i++) {
      const row = Math.floor(i / columns), col = i % columns;
      cells.set(picked.data.subarray(i * size, (i + 1) * size), (row * 2 * columns + col) * size);
      cells.set(r.subarray(i * size, (i + 1) * size), ((row * 2 + 1) * columns + col) * size);
    }
    await writeImageGrid(flags.out, { data: cells, count: pairs * 2 * columns, shape }, { columns });
    say(`reconstruct: ${n} test images over their ${model.kind} reconstructions → ${flags.out}`);
  });
}

/** Class labels of a subset as a tensor, for conditional models (undefined otherwise). */
function classLabels(ds: Dataset, model: AnyModel): tf.Tensor1D | undefined {
  if (!model.config.conditional) return undefined;
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
 * Spherical interpolation between two codes (Shoemake 1985; recommended for Gaussian latents by White 2016,
 * "Sampling Generative Networks"): z(t) = sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b, cos Ω = a·b / (‖a‖‖b‖). Unlike
 * the straight line, its points keep the norm typical of N(0, I) codes (√latent), where the generator was trained.
 * Returns [steps, latent], ends included (straight line when a and b are (anti)parallel).
 */
export function slerpCodes(a: Float32Array, b: Float32Array, steps: number): Float32Array {
  const n = a.length;
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < n; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb || 1))));
  const out = new Float32Array(steps * n);
  for (let s = 0; s < steps; s++) {
    const t = steps === 1 ? 0 : s / (steps - 1);
    const [wa, wb] = Math.sin(omega) < 1e-6 ? [1 - t, t] : [Math.sin((1 - t) * omega) / Math.sin(omega), Math.sin(t * omega) / Math.sin(omega)];
    for (let i = 0; i < n; i++) out[s * n + i] = wa * a[i]! + wb * b[i]!;
  }
  return out;
}

/**
 * `genlab interpolate`. Models with an encoder (ae, vae, vaegan…): test images I and J encoded (a VAE's posterior
 * mean, an AE's code), decoded at `steps` evenly spaced points of the segment between the codes; the strip shows I,
 * the decoded path, J. A GAN has no encoder: I and J seed two random codes z_I, z_J ~ N(0, I) (`new Rng(I)`, the same
 * codes `genlab sample --seed I -n 1` draws) and the strip shows G along the great-circle path between them
 * (`slerpCodes`). A .npy output holds the decoded path only, [steps, ...shape] in the data's range.
 */
export async function interpolateCommand(runDir: string, flags: InterpolateFlags, say: Print = stdoutLine): Promise<void> {
  const ext = extname(flags.out).toLowerCase();
  if (ext !== '.png' && ext !== '.npy') throw badInput('--out', `expected a .png or .npy file, got '${flags.out}'`);
  await withModel(runDir, async (model, run) => {
    if (model instanceof GAN) {
      const steps = flags.steps;
      const code = (seed: number): Float32Array => tf.tidy(() => model.noise(1, new Rng(seed)).dataSync() as Float32Array);
      const za = code(flags.from);
      const zb = code(flags.to);
      const label = model.config.conditional ? parseLabel(model, flags.label ?? '0') : null;
      const decoded = tf.tidy(() => {
        const path = tf.tensor2d(slerpCodes(za, zb, steps), [steps, model.latent]);
        return model.generate(path, label === null ? undefined : (tf.fill([steps], label, 'int32') as tf.Tensor1D));
      });
      const d = (await decoded.data()) as Float32Array;
      decoded.dispose();
      if (ext === '.npy') await writeBytes(flags.out, encodeNpy([steps, ...model.dataShape], d));
      else await writeImageStrips(flags.out, [{ label: model.kind.toUpperCase(), images: { data: d, count: steps, shape: needImages(model, 'interpolate (.png)') } }]);
      say(`interpolate: codes seeded ${flags.from} → ${flags.to} in ${steps} steps along the great circle (${model.kind}) → ${flags.out}`);
      return;
    }
    const shape = needImages(model, 'interpolate');
    const test = await runTestData(run, model);
    for (const [flag, i] of [['--from', flags.from], ['--to', flags.to]] as const) {
      if (i >= test.count) throw badInput(flag, `index ${i} is past the end of the test split (${test.count} images)`);
    }
    const ends = subset(test, [flags.from, flags.to]);
    const steps = flags.steps;
    const decoded = tf.tidy(() => model.interpolate(tf.tensor(ends.data, [2, ...shape]), steps, classLabels(ends, model)));
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
    await writeImageStrips(flags.out, [{ label: model.kind.toUpperCase(), images: { data: strip, count: steps + 2, shape } }]);
    say(`interpolate: test ${flags.from} → ${flags.to} in ${steps} steps (${model.kind}) → ${flags.out}`);
  });
}

export interface EvalFlags {
  iwK: number;
  batchSize: number;
  seed: number;
  limit?: number;
  /** GANs: samples drawn (default 2500 on toy sets, 10 000 on MNIST). */
  samples?: number;
  json?: boolean;
}

/**
 * `genlab eval` for the GAN family: on a toy set with known modes (gauss1d, ring8, grid25) the modes covered and the
 * fraction of high-quality samples (eval/gan-toy.ts); on MNIST FID, KID, Inception Score and precision/recall in the
 * MNIST classifier's feature space (eval/image-metrics.ts).
 */
async function evalAdversarial(model: AdversarialBase, run: RunInfo, flags: EvalFlags, say: Print): Promise<Record<string, number>> {
  if (!run.data) throw badInput(run.dir, 'a bare model folder has no data: pass a run folder (with manifest.json)');
  const name = run.data.name;
  const quality = await ganQuality(model, name, { seed: flags.seed, ...(flags.samples !== undefined ? { samples: flags.samples } : {}) });
  if (quality && flags.json) say(JSON.stringify(quality.report));
  else if (quality?.measure === 'modes') {
    const m = quality.metrics;
    say(`${name}, ${model.kind}: ${m.modesCovered}/${m.modesTotal} modes covered, ${(100 * m.highQuality).toFixed(1)}% high-quality samples (${quality.samples} samples)`);
    say(`  high quality = within 3 std of the nearest mode; a mode is covered with ≥ ${m.threshold[0]} of them${new Set(m.threshold).size > 1 ? ` (per mode: ${m.threshold.join(', ')})` : ''}`);
    say(`  per mode: ${m.perMode.join(' ')}`);
  } else if (quality?.measure === 'images') {
    say(`${name}, ${model.kind}:`);
    for (const line of formatImageMetrics(quality.metrics)) say(`  ${line}`);
  }
  if (quality) return quality.report;
  throw new GenlabError('unsupported', `eval: no metric for a ${model.kind} on '${name}': mode metrics need a toy set with modes (${TOY_SETS.filter((t) => toyModes(t)).join(', ')}), image metrics need mnist`);
}

/**
 * `genlab eval`: for a VAE, −ELBO, its terms, the importance-sampled NLL and bits/dim over the test split; for the GAN
 * family, see `evalAdversarial`.
 */
export async function evalCommand(runDir: string, flags: EvalFlags, say: Print = stdoutLine): Promise<Record<string, number>> {
  return withModel(runDir, async (model, run) => {
    if (model instanceof AdversarialBase) return evalAdversarial(model, run, flags, say);
    const vae = needVae(model, 'eval');
    let test = await runTestData(run, model);
    if (flags.limit !== undefined && flags.limit < test.count) test = subset(test, Int32Array.from({ length: flags.limit }, (_, i) => i));
    const r = await evaluateLikelihood(vae, test, { k: flags.iwK, batchSize: flags.batchSize, seed: flags.seed });
    const report = { negElbo: r.negElbo, recon: r.recon, kl: r.kl, nll: r.nll, bitsPerDim: r.bitsPerDim, k: r.k, gap: r.gap, count: r.count };
    if (flags.json) say(JSON.stringify(report));
    else {
      const f = (v: number): string => v.toFixed(2);
      say(`${run.data!.name} test (${r.count} examples), ${model.kind}:`);
      say(`  −ELBO ${f(r.negElbo)} nats = recon ${f(r.recon)} + KL ${f(r.kl)}`);
      say(`  NLL   ${f(r.nll)} nats (importance sampling, k = ${r.k}), ${r.bitsPerDim.toFixed(4)} bits/dim; gap −ELBO − NLL ${f(r.gap)}`);
    }
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
}

/**
 * An image file as one example of shape [h, w, c]: transparent sprites are trimmed to their content and fitted on
 * white with a thin margin, as the Pokémon loader does; opaque images are fitted into the square (or resized).
 */
export function imageFileToExample(bytes: Uint8Array, file: string, shape: readonly number[]): Float32Array {
  const [h, w, c] = shape as [number, number, number];
  const rgba = decodeImage(bytes, file);
  let transparent = false;
  for (let i = 3; i < rgba.data.length; i += 4) if (rgba.data[i]! < 255) { transparent = true; break; }
  let img: FloatImage = compositeRgba(rgba.data, rgba.width, rgba.height, 1);
  const box = transparent ? alphaBoundingBox(rgba.data, rgba.width, rgba.height) : null;
  if (box) img = crop(img, box.x, box.y, box.width, box.height);
  if (h === w) {
    const margin = box ? Math.max(1, Math.round(h / 20)) : 0;
    const inner = Math.max(1, h - 2 * margin);
    const fitted = fitToSquare(img, inner, 1);
    const data = new Float32Array(h * w * 3).fill(1);
    for (let y = 0; y < inner; y++) data.set(fitted.data.subarray(y * inner * 3, (y + 1) * inner * 3), ((margin + y) * w + margin) * 3);
    img = { width: w, height: h, channels: 3, data };
  } else {
    img = resizeArea(img, w, h);
  }
  return c === 1 ? toGray(img).data : img.data;
}

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** `genlab score`: log p(x) of image files, or summaries over datasets (by name or path). */
export async function scoreCommand(runDir: string, inputs: string[], flags: ScoreFlags, say: Print = stdoutLine): Promise<ScoreRow[]> {
  return withModel(runDir, async (model, run) => {
    const vae = needVae(model, 'score');
    const shape = needImages(model, 'score');
    const d = exampleSize(shape);
    const bits = (logPx: number): number => -logPx / (d * Math.LN2);
    const rows: ScoreRow[] = [];
    const files = inputs.filter((p) => IMAGE_EXTENSIONS.includes(extname(p).toLowerCase()) && existsSync(p) && statSync(p).isFile());
    if (files.length > 0) {
      const data = new Float32Array(files.length * d);
      for (let i = 0; i < files.length; i++) data.set(imageFileToExample(new Uint8Array(await readFile(files[i]!)), files[i]!, shape), i * d);
      const scores = await scoreImages(vae, data, { k: flags.iwK, seed: flags.seed });
      files.forEach((f, i) => rows.push({ input: f, count: 1, logPx: scores[i]!, bitsPerDim: bits(scores[i]!) }));
    }
    for (const spec of inputs.filter((p) => !files.includes(p))) {
      let ds = await loadAs(spec, model, flags.split, run.seed);
      if (flags.limit !== undefined && flags.limit < ds.count) ds = subset(ds, Int32Array.from({ length: flags.limit }, (_, i) => i));
      if (ds.count === 0) throw badInput(spec, `the ${flags.split} split is empty`);
      const scores = Array.from(await scoreImages(vae, ds.data, { k: flags.iwK, seed: flags.seed })).sort((a, b) => a - b);
      const mean = scores.reduce((s, v) => s + v, 0) / scores.length;
      rows.push({ input: spec, count: scores.length, logPx: mean, bitsPerDim: bits(mean), median: scores[Math.floor(scores.length / 2)]!, min: scores[0]!, max: scores[scores.length - 1]! });
    }
    if (flags.json) say(JSON.stringify(rows));
    else {
      for (const r of rows) {
        const extra = r.count > 1 ? ` (mean of ${r.count}; median ${r.median!.toFixed(1)}, range ${r.min!.toFixed(1)} … ${r.max!.toFixed(1)})` : '';
        say(`${r.input}: log p(x) ${r.logPx.toFixed(1)} nats, ${r.bitsPerDim.toFixed(4)} bits/dim${extra}`);
      }
    }
    return rows;
  });
}

/** Registers sample, reconstruct, interpolate, eval and score on `program` (`print` receives their output lines). */
export function registerModelCommands(program: Command, print: Print = stdoutLine): void {
  const runHelp = 'run folder (runs/NAME, with manifest.json and model/), or a saved model folder';
  program
    .command('sample')
    .description('draw samples from a trained model: an image grid (.png) or a float32 array (.npy)')
    .argument('<run>', runHelp)
    .option('-n <count>', 'number of samples', intOption('-n'), 64)
    .option('--seed <S>', 'seed of the codes z', intOption('--seed', 0), 0)
    .option('--label <L>', 'class name or index, for a conditional model (default: cycle through the classes)')
    .requiredOption('--out <file>', 'output: grid.png, or samples.npy (N×H×W×C in [0, 1])')
    .action((run: string, flags: SampleFlags) => sampleCommand(run, flags, print));
  program
    .command('reconstruct')
    .description('test images over their reconstructions, as a PNG grid')
    .argument('<run>', runHelp)
    .option('-n <count>', 'number of test images', intOption('-n'), 16)
    .option('--seed <S>', 'seed of the choice of images', intOption('--seed', 0), 0)
    .requiredOption('--out <file>', 'output .png')
    .action((run: string, flags: ReconstructFlags) => reconstructCommand(run, flags, print));
  program
    .command('interpolate')
    .description('decode along the line between the codes of two test images (GANs: between two seeded random codes)')
    .argument('<run>', runHelp)
    .requiredOption('--from <I>', 'index of the first test image (GANs: seed of the first code)', intOption('--from', 0))
    .requiredOption('--to <J>', 'index of the second test image (GANs: seed of the second code)', intOption('--to', 0))
    .option('--steps <N>', 'points along the line, ends included', intOption('--steps', 2), 10)
    .option('--label <L>', 'class name or index along the path, for a conditional GAN (default: the first class)')
    .requiredOption('--out <file>', 'output: a .png strip, or path.npy (steps×H×W×C in [0, 1])')
    .action((run: string, flags: InterpolateFlags) => interpolateCommand(run, flags, print));
  program
    .command('eval')
    .description('VAE: test −ELBO, KL, importance-sampled NLL, bits/dim; GAN: modes covered and high-quality samples (toy sets), FID, KID, IS, precision/recall (MNIST)')
    .argument('<run>', runHelp)
    .option('--iw-k <K>', 'importance samples per example', intOption('--iw-k'), 100)
    .option('--batch-size <n>', 'examples per batch', intOption('--batch-size'), 100)
    .option('--seed <S>', 'seed of the samples', intOption('--seed', 0), 0)
    .option('--limit <N>', 'only the first N test examples', intOption('--limit'))
    .option('--samples <N>', 'GANs: samples drawn (default 2500 on toy sets, 10000 on MNIST)', intOption('--samples', 2))
    .option('--json', 'print one JSON object')
    .action(async (run: string, flags: EvalFlags) => void (await evalCommand(run, flags, print)));
  program
    .command('score')
    .description('log p(x) of images under a VAE: image files, or datasets (mean over their test split)')
    .argument('<run>', runHelp)
    .argument('<inputs...>', 'PNG/JPEG files, dataset names (mnist, pokemon, …) or data paths')
    .option('--iw-k <K>', 'importance samples per image', intOption('--iw-k'), 100)
    .option('--seed <S>', 'seed of the samples', intOption('--seed', 0), 0)
    .option('--split <split>', 'split of dataset inputs: train or test', choiceOption('--split', ['train', 'test'] as const), 'test')
    .option('--limit <N>', 'only the first N images of each dataset', intOption('--limit'))
    .option('--json', 'print a JSON array')
    .action(async (run: string, inputs: string[], flags: ScoreFlags) => void (await scoreCommand(run, inputs, flags, print)));
}
