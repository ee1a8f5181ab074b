/**
 * Seeded toy point sets for GMMs and GANs (1-D and 2-D), any sample count:
 *
 * - `gauss1d`: 1-D mixture of three Gaussians, weights [0.3, 0.5, 0.2], means [−2, 0.5, 3], stds [0.4, 0.6, 0.3]
 *   (mixture mean 0.25, variance Σ wₖ(σₖ² + μₖ²) − 0.25² = 3.3085).
 * - `ring8`: 8 equally likely Gaussians (std 0.02) evenly on the circle of radius 2, mode k at angle k·45°.
 * - `grid25`: 25 equally likely Gaussians (std 0.05) on the 5×5 grid {−4, −2, 0, 2, 4}², mode 5·row + col at
 *   (x, y) = (−4 + 2·col, −4 + 2·row).
 * - `spiral`: two turns of an Archimedean spiral, r = 3θ / (4π) for θ ∈ [0, 4π] (θ = 4π√u, uniform along the arc),
 *   plus isotropic Gaussian noise of std 0.08. No modes.
 * - `two-moons`: scikit-learn's make_moons shape, each point on the upper moon (cos t, sin t) or the lower moon
 *   (1 − cos t, 0.5 − sin t) with probability ½, t uniform in [0, π], plus Gaussian noise of std 0.05. The moon index
 *   is the point's component (a class label) but not a Gaussian mode.
 *
 * `modes` (per point) is the mixture component the point was drawn from, for all sets but `spiral`.
 */
import { badInput } from '../engine/errors.js';
import { Rng } from '../engine/rng.js';
import { makeDataset, type Dataset, type DatasetSplits } from './dataset.js';
import { DATASET_LIMIT_WHY, MAX_DATASET_VALUES } from './limits.js';

export const TOY_SETS = ['gauss1d', 'ring8', 'grid25', 'spiral', 'two-moons'] as const;
export type ToyName = (typeof TOY_SETS)[number];

export interface ToySample {
  /** n × dims values, row-major. */
  points: Float32Array;
  dims: number;
  /** Component each point was drawn from, or null for sets without components (`spiral`). */
  modes: Int32Array | null;
}

/** The Gaussian modes of a set, for mode-coverage metrics. */
export interface ToyModes {
  /** Centre of each mode. */
  centres: number[][];
  /** The modes' common standard deviation; for `gauss1d`, whose modes differ, the largest (see `stds`). */
  std: number;
  /** Standard deviation of each mode (per coordinate, isotropic). */
  stds: number[];
  /** Mixture weight of each mode. */
  weights: number[];
}

const GAUSS1D = { weights: [0.3, 0.5, 0.2], means: [-2, 0.5, 3], stds: [0.4, 0.6, 0.3] } as const;
const RING8 = { count: 8, radius: 2, std: 0.02 } as const;
const GRID25 = { side: 5, start: -4, step: 2, std: 0.05 } as const;
const SPIRAL = { turns: 2, maxRadius: 3, noise: 0.08 } as const;
const TWO_MOONS_NOISE = 0.05;

/** Checks a toy set name; throws a bad-input GenlabError listing the valid names. */
export function toyName(name: string): ToyName {
  if ((TOY_SETS as readonly string[]).includes(name)) return name as ToyName;
  throw badInput('toy dataset', `unknown name "${name}"; expected one of: ${TOY_SETS.join(', ')}`);
}

/** Number of coordinates of each point of a set. */
export function toyDims(name: string): number {
  return toyName(name) === 'gauss1d' ? 1 : 2;
}

/** The Gaussian modes of `ring8`, `grid25` and `gauss1d`; null for `spiral` and `two-moons`. */
export function toyModes(name: string): ToyModes | null {
  switch (toyName(name)) {
    case 'gauss1d':
      return {
        centres: GAUSS1D.means.map((m) => [m]),
        std: Math.max(...GAUSS1D.stds),
        stds: [...GAUSS1D.stds],
        weights: [...GAUSS1D.weights],
      };
    case 'ring8': {
      const centres = Array.from({ length: RING8.count }, (_, k) => {
        const a = (2 * Math.PI * k) / RING8.count;
        return [RING8.radius * Math.cos(a), RING8.radius * Math.sin(a)];
      });
      return { centres, std: RING8.std, stds: centres.map(() => RING8.std), weights: centres.map(() => 1 / RING8.count) };
    }
    case 'grid25': {
      const centres: number[][] = [];
      for (let row = 0; row < GRID25.side; row++) {
        for (let col = 0; col < GRID25.side; col++) centres.push([GRID25.start + GRID25.step * col, GRID25.start + GRID25.step * row]);
      }
      return { centres, std: GRID25.std, stds: centres.map(() => GRID25.std), weights: centres.map(() => 1 / centres.length) };
    }
    case 'spiral':
    case 'two-moons':
      return null;
  }
}

/** Human-readable names of the components (class names of `loadToy`'s labels); null for `spiral`. */
export function toyClassNames(name: string): string[] | null {
  switch (toyName(name)) {
    case 'gauss1d':
      return GAUSS1D.means.map((m) => `μ=${m}`);
    case 'ring8':
      return Array.from({ length: RING8.count }, (_, k) => `${(360 * k) / RING8.count}°`);
    case 'grid25':
      return toyModes('grid25')!.centres.map(([x, y]) => `(${x}, ${y})`);
    case 'two-moons':
      return ['upper moon', 'lower moon'];
    case 'spiral':
      return null;
  }
}

/** `n` points of the toy set `name`, drawn from `rng`. */
export function sampleToy(name: string, n: number, rng: Rng): ToySample {
  const set = toyName(name);
  if (!(Number.isInteger(n) && n >= 0)) throw badInput('count', `expected a non-negative integer, got ${n}`);
  const dims = set === 'gauss1d' ? 1 : 2;
  if (n * dims > MAX_DATASET_VALUES) throw badInput('count', `${n} points of ${dims} dimensions are too many: at most ${MAX_DATASET_VALUES / dims} (${DATASET_LIMIT_WHY})`);
  const points = new Float32Array(n * dims);
  const modes = set === 'spiral' ? null : new Int32Array(n);
  switch (set) {
    case 'gauss1d':
      for (let i = 0; i < n; i++) {
        const k = rng.weightedIndex(GAUSS1D.weights);
        modes![i] = k;
        points[i] = GAUSS1D.means[k]! + GAUSS1D.stds[k]! * rng.normal();
      }
      break;
    case 'ring8':
    case 'grid25': {
      const { centres, std } = toyModes(set)!;
      for (let i = 0; i < n; i++) {
        const k = rng.int(centres.length);
        const c = centres[k]!;
        modes![i] = k;
        points[2 * i] = c[0]! + std * rng.normal();
        points[2 * i + 1] = c[1]! + std * rng.normal();
      }
      break;
    }
    case 'spiral': {
      const maxTheta = 2 * Math.PI * SPIRAL.turns;
      for (let i = 0; i < n; i++) {
        const theta = maxTheta * Math.sqrt(rng.uniform());
        const r = (SPIRAL.maxRadius * theta) / maxTheta;
        points[2 * i] = r * Math.cos(theta) + SPIRAL.noise * rng.normal();
        points[2 * i + 1] = r * Math.sin(theta) + SPIRAL.noise * rng.normal();
      }
      break;
    }
    case 'two-moons':
      for (let i = 0; i < n; i++) {
        const k = rng.int(2);
        const t = Math.PI * rng.uniform();
        modes![i] = k;
        const x = k === 0 ? Math.cos(t) : 1 - Math.cos(t);
        const y = k === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
        points[2 * i] = x + TWO_MOONS_NOISE * rng.normal();
        points[2 * i + 1] = y + TWO_MOONS_NOISE * rng.normal();
      }
      break;
  }
  return { points, dims, modes };
}

export interface ToyOptions {
  /** Default 10000. */
  trainCount?: number;
  /** Default 2000. */
  testCount?: number;
  /** Default 0. */
  seed?: number;
}

/**
 * A toy set as points datasets (shape [dims]), class labels = component index where the set has components.
 * Train and test are drawn from two independent streams forked from `seed`.
 */
export function loadToy(name: string, options: ToyOptions = {}): DatasetSplits {
  const set = toyName(name);
  const { trainCount = 10000, testCount = 2000, seed = 0 } = options;
  for (const [where, n] of [['trainCount', trainCount], ['testCount', testCount]] as const) {
    if (!(Number.isInteger(n) && n >= 0)) throw badInput(where, `expected a non-negative integer, got ${n}`);
    const dims = toyDims(set);
    if (n * dims > MAX_DATASET_VALUES) throw badInput(where, `${n} points of ${dims} dimensions are too many: at most ${MAX_DATASET_VALUES / dims} (${DATASET_LIMIT_WHY})`);
  }
  if (!Number.isFinite(seed)) throw badInput('seed', `expected a finite number, got ${seed}`);
  const rng = new Rng(seed);
  const trainRng = rng.fork();
  const testRng = rng.fork();
  return { train: toyDataset(set, trainCount, trainRng), test: toyDataset(set, testCount, testRng) };
}

function toyDataset(set: ToyName, n: number, rng: Rng): Dataset {
  const { points, dims, modes } = sampleToy(set, n, rng);
  const classes = toyClassNames(set);
  return makeDataset({
    name: set,
    kind: 'points',
    shape: [dims],
    data: points,
    ...(modes && classes ? { labels: { kind: 'class' as const, values: modes, classes } } : {}),
  });
}

