/**
 * Moon images, the lecture's AE-vs-VAE interpolation example: procedurally drawn moons from FULL (phase 0°) through
 * HALF (90°) to a thin CRESCENT (~160°), grey on a dark sky.
 *
 * Geometry: the moon is a sphere of radius r seen from the front; the sun makes the angle `phase` with the viewing
 * direction. A visible point (u, v) of the disc, with depth w = √(r² − u² − v²), is lit when
 * u·sin(phase) + w·cos(phase) ≥ 0. Its boundary, the terminator, projects to a half-ellipse with semi-axes
 * r·|cos(phase)| (across) and r (along), so the lit area is π r² (1 + cos phase) / 2: the whole disc at 0°, half at
 * 90°, 3 % at 160°. With tilt 0 the lit side is on the right (a negative phase puts it on the left).
 */
import { badInput } from '../engine/errors.js';
import { Rng } from '../engine/rng.js';
import { makeDataset, type Dataset, type DatasetSplits } from './dataset.js';
import { DATASET_LIMIT_WHY, MAX_DATASET_VALUES } from './limits.js';

/** Largest moon image side: each pixel is supersampled 16 times, so a larger side takes minutes per image. */
const MAX_SIZE = 1024;

export interface MoonRenderOptions {
  /** Image side in pixels. */
  size: number;
  /** Moon radius in pixels (default 0.35 × size). */
  radius?: number;
  /** Centre in pixel coordinates, (0, 0) being the top-left corner of the image (default size / 2). */
  cx?: number;
  cy?: number;
  /** Rotation of the lit side in degrees, counter-clockwise (default 0: lit side on the right). */
  tilt?: number;
  /** Value of the lit surface (default 1); values are clipped to [0, 1]. */
  brightness?: number;
  /** Value of the unlit part of the disc, a faint "earthshine" (default 0: invisible against the sky). */
  darkSide?: number;
  /** Subsamples per pixel side for anti-aliasing (default 4, i.e. 16 per pixel). */
  supersample?: number;
}

/** A size×size grey image (row-major, values in [0, 1]) of the moon at `phaseDeg` (0 full, 90 half, 160 crescent). */
export function renderMoon(phaseDeg: number, options: MoonRenderOptions): Float32Array {
  const { size } = options;
  if (!(Number.isInteger(size) && size >= 1)) throw badInput('size', `expected a positive integer, got ${size}`);
  if (!Number.isFinite(phaseDeg)) throw badInput('phase', `expected a finite angle in degrees, got ${phaseDeg}`);
  const { radius = 0.35 * size, cx = size / 2, cy = size / 2, tilt = 0, brightness = 1, darkSide = 0, supersample = 4 } = options;
  if (!(radius > 0)) throw badInput('radius', `expected a positive number, got ${radius}`);
  if (!(Number.isInteger(supersample) && supersample >= 1)) throw badInput('supersample', `expected a positive integer, got ${supersample}`);
  const phase = (phaseDeg * Math.PI) / 180;
  const sinP = Math.sin(phase), cosP = Math.cos(phase);
  const t = (tilt * Math.PI) / 180;
  const cosT = Math.cos(t), sinT = Math.sin(t);
  const r2 = radius * radius;
  const s = supersample;
  const weight = 1 / (s * s);
  const out = new Float32Array(size * size);
  // Only pixels that can touch the disc need sampling.
  const y0 = Math.max(0, Math.floor(cy - radius)), y1 = Math.min(size - 1, Math.ceil(cy + radius));
  const x0 = Math.max(0, Math.floor(cx - radius)), x1 = Math.min(size - 1, Math.ceil(cx + radius));
  for (let py = y0; py <= y1; py++) {
    for (let px = x0; px <= x1; px++) {
      let acc = 0;
      for (let sy = 0; sy < s; sy++) {
        const dy = py + (sy + 0.5) / s - cy;
        for (let sx = 0; sx < s; sx++) {
          const dx = px + (sx + 0.5) / s - cx;
          const d2 = dx * dx + dy * dy;
          if (d2 > r2) continue;
          // u towards the lit side, v along the terminator (image y points down, so "up" is −dy).
          const u = dx * cosT - dy * sinT;
          const w = Math.sqrt(r2 - d2);
          acc += u * sinP + w * cosP >= 0 ? brightness : darkSide;
        }
      }
      out[py * size + px] = Math.min(1, Math.max(0, acc * weight));
    }
  }
  return out;
}

export interface MoonsOptions {
  /** Default 4000. */
  trainCount?: number;
  /** Default 1000. */
  testCount?: number;
  /** Image side in pixels (default 28). */
  size?: number;
  /** Phases are drawn uniformly in [0, maxPhase] degrees (default 160: thin crescent). */
  maxPhase?: number;
  /** Default 0. */
  seed?: number;
}

/** Nominal radius (fraction of the image side) and brightness of the moon in the dataset. */
const RADIUS_FRACTION = 0.35;
const BRIGHTNESS = 0.9;
/** Nuisance variation: centre jitter (fraction of the side, uniform ±), relative radius and brightness (uniform ±). */
const JITTER_FRACTION = 0.05;
const RADIUS_SPREAD = 0.1;
const BRIGHTNESS_SPREAD = 0.1;

/**
 * Moon images with phases drawn uniformly in [0, maxPhase], labelled by phase in degrees, shape [size, size, 1].
 * Each image also varies a little: centre jitter of ±5 % of the side (±1.4 px at 28), radius 0.35 × size ± 10 %,
 * brightness 0.9 ± 10 %. Train and test come from independent streams of `seed`.
 */
export function loadMoons(options: MoonsOptions = {}): DatasetSplits {
  const { trainCount = 4000, testCount = 1000, size = 28, maxPhase = 160, seed = 0 } = options;
  checkCount('trainCount', trainCount);
  checkCount('testCount', testCount);
  if (!(Number.isInteger(size) && size >= 4 && size <= MAX_SIZE)) throw badInput('size', `expected an integer from 4 to ${MAX_SIZE} (moons are drawn pixel by pixel), got ${size}`);
  checkValues('trainCount', trainCount, size);
  checkValues('testCount', testCount, size);
  if (!(maxPhase >= 0 && maxPhase <= 180)) throw badInput('maxPhase', `expected an angle in [0, 180] degrees, got ${maxPhase}`);
  if (!Number.isFinite(seed)) throw badInput('seed', `expected a finite number, got ${seed}`);
  const rng = new Rng(seed);
  const trainRng = rng.fork();
  const testRng = rng.fork();
  return { train: drawMoons(trainCount, size, maxPhase, trainRng), test: drawMoons(testCount, size, maxPhase, testRng) };
}

function drawMoons(count: number, size: number, maxPhase: number, rng: Rng): Dataset {
  const pixels = size * size;
  const data = new Float32Array(count * pixels);
  const phases = new Float32Array(count);
  const sym = () => 2 * rng.uniform() - 1; // uniform in [−1, 1)
  for (let i = 0; i < count; i++) {
    const phase = rng.uniform() * maxPhase;
    const img = renderMoon(phase, {
      size,
      cx: size / 2 + JITTER_FRACTION * size * sym(),
      cy: size / 2 + JITTER_FRACTION * size * sym(),
      radius: RADIUS_FRACTION * size * (1 + RADIUS_SPREAD * sym()),
      brightness: BRIGHTNESS * (1 + BRIGHTNESS_SPREAD * sym()),
    });
    data.set(img, i * pixels);
    phases[i] = phase;
  }
  return moonsDataset(size, data, phases);
}

/** Moon images with their phases as labels. */
function moonsDataset(size: number, data: Float32Array, phases: Float32Array): Dataset {
  return makeDataset({ name: 'moons', kind: 'images', shape: [size, size, 1], data, labels: { kind: 'value', values: phases, name: 'phase (deg)' } });
}

export interface MoonSequenceOptions extends Partial<Omit<MoonRenderOptions, 'size'>> {
  /** Image side in pixels (default 28). */
  size?: number;
  /** First and last phase in degrees (default 0 and 160). */
  from?: number;
  to?: number;
}

/**
 * `n` moons at evenly spaced phases from `from` to `to` (both included), in that order, centred with the dataset's
 * nominal radius and brightness unless given: previews and the AE-vs-VAE interpolation figure.
 */
export function moonPhaseSequence(n: number, options: MoonSequenceOptions = {}): Dataset {
  const { size = 28, from = 0, to = 160, ...render } = options;
  if (!(Number.isInteger(n) && n >= 1)) throw badInput('n', `expected a positive integer, got ${n}`);
  if (!(Number.isInteger(size) && size >= 1 && size <= MAX_SIZE)) throw badInput('size', `expected an integer from 1 to ${MAX_SIZE} (moons are drawn pixel by pixel), got ${size}`);
  checkValues('n', n, size);
  const pixels = size * size;
  const data = new Float32Array(n * pixels);
  const phases = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const phase = n === 1 ? from : from + ((to - from) * i) / (n - 1);
    phases[i] = phase;
    data.set(renderMoon(phase, { radius: RADIUS_FRACTION * size, brightness: BRIGHTNESS, ...render, size }), i * pixels);
  }
  return moonsDataset(size, data, phases);
}

function checkCount(where: string, n: number): void {
  if (!(Number.isInteger(n) && n >= 0)) throw badInput(where, `expected a non-negative integer, got ${n}`);
}

/** `n` images of size×size must fit the dataset limit. */
function checkValues(where: string, n: number, size: number): void {
  const most = Math.floor(MAX_DATASET_VALUES / (size * size));
  if (n > most) throw badInput(where, `${n} images of ${size}×${size} are too many: at most ${most} (${DATASET_LIMIT_WHY})`);
}
