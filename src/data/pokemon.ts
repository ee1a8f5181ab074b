/**
 * Pokémon sprites: the ~1300 box sprites of the npm package `pokesprite-images` (folder `pokemon-gen8/regular`), the
 * lecture's P(x) example. Each 68×56 RGBA sprite is trimmed to its content (alpha bounding box), composited on white,
 * fitted (aspect ratio kept) into a size×size square with a thin white margin and centred: shape [size, size, 3],
 * values in [0, 1], white background.
 *
 * The package's metadata (data/pokemon.json) lists species (dex number, names, forms) but no types, so the dataset
 * has no class labels. All forms of one species (`venusaur`, `venusaur-mega`, `venusaur-gmax`) go to the same split,
 * so the test set holds species the model has never seen.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { GenlabError, badInput } from '../engine/errors.js';
import { Rng } from '../engine/rng.js';
import { makeDataset, subset, type Dataset, type DatasetSplits } from './dataset.js';
import { decodeImage } from './image-decode.js';
import { alphaBoundingBox, compositeRgba, crop, fitToSquare } from './image-ops.js';

export interface PokemonOptions {
  /** Side of the square images in pixels (default 40). */
  size?: number;
  /** Fraction of the sprites held out for the test split (default 0.1), split by species. */
  testFraction?: number;
  /** Seed of the species split (default 0). */
  seed?: number;
}

export interface PokemonSplits extends DatasetSplits {
  /** Sprite names (file names without `.png`, e.g. `venusaur-mega`) of each split, in dataset order: captions. */
  names: { train: string[]; test: string[] };
  /** Species slug of each example (e.g. `venusaur` for `venusaur-mega`), in dataset order. */
  species: { train: string[]; test: string[] };
  /** Sprite files that were skipped (unreadable or fully transparent), with the reason. */
  skipped: { file: string; reason: string }[];
}

/** All sprites of one size, processed once per process and shared (the splits copy what they use). */
interface PokemonAll {
  data: Dataset;
  names: string[];
  species: string[];
  skipped: { file: string; reason: string }[];
}

const cache = new Map<number, Promise<PokemonAll>>();

/** Loads the Pokémon sprites as [size, size, 3] images on white, split by species. */
export async function loadPokemon(options: PokemonOptions = {}): Promise<PokemonSplits> {
  const { size = 40, testFraction = 0.1, seed = 0 } = options;
  if (!(Number.isInteger(size) && size >= 4 && size <= 512)) throw badInput('size', `expected an integer in [4, 512], got ${size}`);
  if (!(testFraction >= 0 && testFraction < 1)) throw badInput('testFraction', `expected a number in [0, 1), got ${testFraction}`);
  if (!Number.isFinite(seed)) throw badInput('seed', `expected a finite number, got ${seed}`);

  let pending = cache.get(size);
  if (!pending) {
    pending = loadAll(size);
    cache.set(size, pending);
    pending.catch(() => cache.delete(size)); // a failure (missing package) must not stick
  }
  const all = await pending;

  const { trainIdx, testIdx } = splitBySpecies(all.species, testFraction, new Rng(seed));
  const pick = <T>(xs: T[], idx: Int32Array): T[] => Array.from(idx, (i) => xs[i]!);
  return {
    train: subset(all.data, trainIdx),
    test: subset(all.data, testIdx),
    names: { train: pick(all.names, trainIdx), test: pick(all.names, testIdx) },
    species: { train: pick(all.species, trainIdx), test: pick(all.species, testIdx) },
    skipped: all.skipped.map((s) => ({ ...s })),
  };
}

/** The folder holding the sprites: `<pokesprite-images>/pokemon-gen8/regular`. */
export function pokemonSpriteDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('pokesprite-images/package.json');
  } catch {
    throw new GenlabError('not-found', 'pokesprite-images: package not found (the Pokémon dataset needs it: npm install pokesprite-images)');
  }
  return path.join(path.dirname(pkg), 'pokemon-gen8', 'regular');
}

async function loadAll(size: number): Promise<PokemonAll> {
  const dir = pokemonSpriteDir();
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    throw new GenlabError('not-found', `${dir}: Pokémon sprite folder missing (is pokesprite-images installed completely?)`);
  }
  const files = entries.filter((f) => f.toLowerCase().endsWith('.png')).sort();
  if (files.length === 0) throw new GenlabError('not-found', `${dir}: no PNG sprites in the Pokémon sprite folder`);
  const slugs = await speciesSlugs(path.dirname(path.dirname(dir)));

  const bytes = await Promise.all(files.map((f) => readFile(path.join(dir, f)).catch(() => null)));
  const margin = Math.max(1, Math.round(size / 20));
  const pixels = size * size * 3;
  const kept: Float32Array[] = [];
  const names: string[] = [];
  const species: string[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    const buf = bytes[i];
    if (!buf) {
      skipped.push({ file, reason: 'unreadable file' });
      continue;
    }
    let img: Float32Array | null;
    try {
      img = spriteToSquare(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), file, size, margin);
    } catch (e) {
      skipped.push({ file, reason: e instanceof Error ? e.message : String(e) });
      continue;
    }
    if (!img) {
      skipped.push({ file, reason: 'empty sprite (fully transparent)' });
      continue;
    }
    const name = file.slice(0, -4);
    kept.push(img);
    names.push(name);
    species.push(speciesOf(name, slugs));
  }
  if (kept.length === 0) throw new GenlabError('not-found', `${dir}: none of the ${files.length} sprites could be read`);
  const data = new Float32Array(kept.length * pixels);
  kept.forEach((img, i) => data.set(img, i * pixels));
  return { data: makeDataset({ name: 'pokemon', kind: 'images', shape: [size, size, 3], data }), names, species, skipped };
}

/**
 * One sprite (PNG bytes) as a size×size RGB image on white: trimmed to its opaque content, fitted into the square
 * minus `margin` pixels on each side, centred. Null when the sprite is fully transparent.
 */
export function spriteToSquare(png: Uint8Array, file: string, size: number, margin = 0): Float32Array | null {
  const rgba = decodeImage(png, file);
  const box = alphaBoundingBox(rgba.data, rgba.width, rgba.height);
  if (!box) return null;
  const rgb = compositeRgba(rgba.data, rgba.width, rgba.height, 1);
  const inner = Math.max(1, size - 2 * margin);
  const fitted = fitToSquare(crop(rgb, box.x, box.y, box.width, box.height), inner, 1);
  if (inner === size) return fitted.data;
  const out = new Float32Array(size * size * 3).fill(1);
  for (let y = 0; y < inner; y++) out.set(fitted.data.subarray(y * inner * 3, (y + 1) * inner * 3), ((margin + y) * size + margin) * 3);
  return out;
}

/** English species slugs from the package's data/pokemon.json (empty when it is missing or unreadable). */
async function speciesSlugs(packageDir: string): Promise<Set<string>> {
  try {
    const json = JSON.parse(await readFile(path.join(packageDir, 'data', 'pokemon.json'), 'utf8')) as Record<string, { slug?: { eng?: unknown } }>;
    const slugs = new Set<string>();
    for (const entry of Object.values(json)) if (typeof entry?.slug?.eng === 'string') slugs.add(entry.slug.eng);
    return slugs;
  } catch {
    return new Set();
  }
}

/**
 * The species a sprite belongs to: the longest known slug that is the name or a `-`-separated prefix of it
 * (`mr-mime-galar` → `mr-mime`, `porygon-z` → `porygon-z`); without metadata, the part before the first `-`.
 */
export function speciesOf(name: string, slugs: ReadonlySet<string>): string {
  if (slugs.has(name)) return name;
  for (let cut = name.lastIndexOf('-'); cut > 0; cut = name.lastIndexOf('-', cut - 1)) {
    const prefix = name.slice(0, cut);
    if (slugs.has(prefix)) return prefix;
  }
  const dash = name.indexOf('-');
  return dash > 0 ? name.slice(0, dash) : name;
}

/**
 * Seeded split that keeps each species whole: species are visited in random order and go to the test split while
 * they fit in round(count × testFraction); the rest go to train. Both index lists are in dataset order.
 */
function splitBySpecies(species: readonly string[], testFraction: number, rng: Rng): { trainIdx: Int32Array; testIdx: Int32Array } {
  const groups = new Map<string, number[]>();
  species.forEach((s, i) => {
    const g = groups.get(s);
    if (g) g.push(i);
    else groups.set(s, [i]);
  });
  const list = [...groups.values()];
  const target = Math.round(species.length * testFraction);
  const isTest = new Uint8Array(species.length);
  let nTest = 0;
  for (const k of rng.permutation(list.length)) {
    const g = list[k]!;
    if (nTest + g.length <= target) {
      for (const i of g) isTest[i] = 1;
      nTest += g.length;
    }
    if (nTest === target) break;
  }
  const trainIdx = new Int32Array(species.length - nTest);
  const testIdx = new Int32Array(nTest);
  let a = 0, b = 0;
  for (let i = 0; i < species.length; i++) {
    if (isTest[i]) testIdx[b++] = i;
    else trainIdx[a++] = i;
  }
  return { trainIdx, testIdx };
}
