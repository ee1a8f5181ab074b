/**
 * "Is it a Pokémon?" needs a yardstick: log p(x) alone (−1734 nats) means nothing until it is compared with the
 * scores of images the model never saw but should like — the held-out (test split) examples of its own data — and
 * with images it should not like (MNIST digits, uniform noise). A reference holds those scores, all estimated the
 * same way (importance sampling, fixed k and seed), and `percentileAmong` places a new score among the held-out ones.
 *
 * Every image is scored alone, with a fresh `Rng(seed)`, so an image's estimate does not depend on the images scored
 * beside it: `genlab score`, the lab's page and the reference give the same number for the same image (up to the
 * backends' rounding).
 *
 * Browser-safe: the reference file (reference.json, in the model's folder) is read through engine/model-io.ts, from
 * a path in Node or a URL in the browser.
 */
import { GenlabError, badFile, badInput } from '../engine/errors.js';
import { readModelManifest } from '../engine/model-io.js';
import { Rng } from '../engine/rng.js';
import { exampleSize } from '../data/dataset.js';
import type { VAE } from '../models/vae.js';
import { conformImages, perExampleLikelihood, type PerExample } from './likelihood.js';

/** The reference's file name in a saved model's folder. */
export const REFERENCE_FILE = 'reference.json';
const FORMAT = 'genlab-reference-scores';

/** One set of reference images: how they were made and their log p(x), in nats. */
export interface ReferenceSet {
  /** Short id, e.g. `pokemon-test`, `mnist`, `noise`. */
  name: string;
  /** What a reader calls them, e.g. `held-out Pokémon`. */
  label: string;
  /** How the images were made (data, split, count, seed, conversion). */
  how: string;
  logPx: number[];
}

/** reference.json: scores of held-out examples and of contrast sets, all with the same k and seed. */
export interface ReferenceScores {
  format: typeof FORMAT;
  version: 1;
  /** Importance samples per image. */
  k: number;
  /** Seed of each image's own Rng. */
  seed: number;
  /** What the model's data are, for verdicts ("not a Pokémon"). */
  subject: string;
  /** The test split of the model's data: percentiles are taken among these. */
  heldOut: ReferenceSet;
  /** Images of other kinds, for comparison (drawn beside the held-out ones). */
  contrasts: ReferenceSet[];
}

export interface EachOptions {
  /** Importance samples per image (default 100, as `genlab score`). */
  k?: number;
  /** Seed of every image's own Rng (default 0, as `genlab score`). */
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * log p(x) and the ELBO terms of every image of `images` (row-major [n, ...model.dataShape]), each scored alone with
 * a fresh Rng(seed), so its estimate depends on the image, k and seed only.
 */
export async function likelihoodOfEach(model: VAE, images: Float32Array, options: EachOptions = {}): Promise<PerExample> {
  const { k = 100, seed = 0 } = options;
  const size = exampleSize(model.dataShape);
  if (images.length % size !== 0) throw badInput('images', `${images.length} values is not a whole number of images of [${model.dataShape.join(', ')}]`);
  const n = images.length / size;
  const out: PerExample = { logPx: new Float64Array(n), elbo: new Float64Array(n), recon: new Float64Array(n), kl: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const one = await perExampleLikelihood(model, images.subarray(i * size, (i + 1) * size), 1, { k, seed, batchSize: 1 });
    out.logPx[i] = one.logPx[0]!;
    out.elbo[i] = one.elbo[0]!;
    out.recon[i] = one.recon[0]!;
    out.kl[i] = one.kl[0]!;
    options.onProgress?.(i + 1, n);
  }
  return out;
}

/** A set of images to score into a reference: already in the model's shape. */
export interface ReferenceInput {
  name: string;
  label: string;
  how: string;
  images: Float32Array;
}

export interface ReferenceOptions extends EachOptions {
  /** What the model's data are (default: the held-out set's label). */
  subject?: string;
}

/** Scores the held-out set and the contrast sets image by image into a reference (values rounded to 0.001 nats). */
export async function computeReferenceScores(model: VAE, heldOut: ReferenceInput, contrasts: ReferenceInput[], options: ReferenceOptions = {}): Promise<ReferenceScores> {
  const { k = 100, seed = 0 } = options;
  const size = exampleSize(model.dataShape);
  const inputs = [heldOut, ...contrasts];
  const total = inputs.reduce((s, set) => s + set.images.length / size, 0);
  let before = 0;
  const sets: ReferenceSet[] = [];
  for (const set of inputs) {
    if (set.images.length === 0) throw badInput(set.name, 'no images to score');
    const est = await likelihoodOfEach(model, set.images, { k, seed, onProgress: (done) => options.onProgress?.(before + done, total) });
    before += est.logPx.length;
    sets.push({ name: set.name, label: set.label, how: set.how, logPx: Array.from(est.logPx, (v) => Math.round(v * 1000) / 1000) });
  }
  return { format: FORMAT, version: 1, k, seed, subject: options.subject ?? heldOut.label, heldOut: sets[0]!, contrasts: sets.slice(1) };
}

/**
 * Grey digits (e.g. MNIST [count, 28, 28, 1], white on black) in a colour model's shape: area-resized, grey copied to
 * the three channels; with `invert`, dark on white (1 − v) like a drawing on paper.
 */
export function digitsInModelShape(data: Float32Array, count: number, from: readonly number[], to: readonly number[], invert: boolean): Float32Array {
  return conformImages(invert ? data.map((v) => 1 - v) : data, count, from, to);
}

/** `count` images of `shape` with every value uniform in [0, 1), from Rng(seed). */
export function uniformNoiseImages(count: number, shape: readonly number[], seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count * exampleSize(shape) }, () => rng.uniform());
}

function checkSet(value: unknown, where: string, path: string): ReferenceSet {
  const s = value as Partial<ReferenceSet> | null;
  if (typeof s !== 'object' || s === null) throw badFile(path, `${where}: expected a set { name, label, how, logPx }`);
  for (const key of ['name', 'label', 'how'] as const) {
    if (typeof s[key] !== 'string' || s[key] === '') throw badFile(path, `${where}.${key}: expected a non-empty string`);
  }
  if (!Array.isArray(s.logPx) || s.logPx.length === 0 || !s.logPx.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw badFile(path, `${where}.logPx: expected a non-empty array of finite numbers`);
  }
  return { name: s.name!, label: s.label!, how: s.how!, logPx: s.logPx };
}

/** `json` (the parsed reference file at `path`) checked and typed; a one-line bad-file error otherwise. */
export function checkReferenceScores(json: unknown, path: string): ReferenceScores {
  const r = json as Partial<ReferenceScores> | null;
  if (typeof r !== 'object' || r === null || r.format !== FORMAT) throw badFile(path, `expected a JSON object with "format": "${FORMAT}"`);
  if (r.version !== 1) throw badFile(path, `unsupported version ${JSON.stringify(r.version)}, expected 1`);
  if (!(Number.isInteger(r.k) && r.k! >= 1)) throw badFile(path, `k: expected an integer >= 1, got ${JSON.stringify(r.k)}`);
  if (!Number.isInteger(r.seed)) throw badFile(path, `seed: expected an integer, got ${JSON.stringify(r.seed)}`);
  if (typeof r.subject !== 'string' || r.subject === '') throw badFile(path, 'subject: expected a non-empty string');
  if (!Array.isArray(r.contrasts)) throw badFile(path, 'contrasts: expected an array of sets');
  const heldOut = checkSet(r.heldOut, 'heldOut', path);
  const contrasts = r.contrasts.map((c, i) => checkSet(c, `contrasts[${i}]`, path));
  return { format: FORMAT, version: 1, k: r.k!, seed: r.seed!, subject: r.subject, heldOut, contrasts };
}

/**
 * The reference of the saved model in `dir` (a folder, or its URL in the browser), or null when it has none. A file
 * that is there but malformed is a bad-file error.
 */
export async function readReferenceScores(dir: string): Promise<ReferenceScores | null> {
  try {
    return await readModelManifest(dir, REFERENCE_FILE, checkReferenceScores);
  } catch (e) {
    if (e instanceof GenlabError && e.code === 'not-found') return null;
    throw e;
  }
}

/**
 * Scores this close count as ties: the file keeps 0.001 nats and backends differ by a few thousandths, so a held-out
 * image scored again (by the CLI on another backend, or the page) meets its own entry as a tie, not a coin toss.
 */
const TIE_NATS = 0.01;

/** The share (0…1) of the held-out examples scoring below `logPx` (a tie counts half). */
export function percentileAmong(reference: ReferenceScores, logPx: number): number {
  const scores = reference.heldOut.logPx;
  let below = 0;
  for (const v of scores) below += Math.abs(v - logPx) <= TIE_NATS ? 0.5 : v < logPx ? 1 : 0;
  return below / scores.length;
}

/** A share as a percentage a reader trusts: 0% and 100% only when exact, <1% and >99% near them. */
export function formatShare(share: number): string {
  if (share <= 0) return '0%';
  if (share >= 1) return '100%';
  if (share < 0.01) return '<1%';
  if (share > 0.99) return '>99%';
  return `${Math.round(share * 100)}%`;
}

/**
 * A plain verdict on `logPx` from its percentile among the held-out examples: "more Pokémon-like than 73% of
 * held-out Pokémon", "less likely than all held-out Pokémon: not a Pokémon". Above every held-out example it says
 * that simple images (a blank page) outscore real ones: likelihood measures how easy an image is to explain too.
 */
export function referenceVerdict(reference: ReferenceScores, logPx: number): string {
  const { subject, heldOut } = reference;
  const share = percentileAmong(reference, logPx);
  if (share === 0) return `less likely than all ${heldOut.label}: not a ${subject}`;
  if (share === 1) {
    return `likelier than all ${heldOut.label}: a ${subject}, or an image simpler than any of them (plain, mostly blank images score highest)`;
  }
  const tail = share < 0.05 ? `: probably not a ${subject}` : '';
  return `more ${subject}-like than ${share < 0.05 ? 'only ' : ''}${formatShare(share)} of ${heldOut.label}${tail}`;
}
