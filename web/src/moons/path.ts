/**
 * The moon figure's numbers: a model's codes of a canonical full moon (phase 0°) and half moon (90°), the straight
 * line between them, what the model decodes along it, and how far each decoding is from the true moon of the
 * matching phase 90°·t.
 */
import { moonPhaseSequence, renderMoon, tf, type Dataset, type GenerativeModel } from '../../../src/browser.js';

/** Image side of the moons the shipped models were trained on. */
export const SIZE = 28;
export const PIXELS = SIZE * SIZE;
/** The path ends at the half moon. */
export const END_PHASE = 90;
/** Points at which the path is decoded and its error charted: t = 0, 1/40, …, 1. */
export const PATH_POINTS = 41;
/** The dataset's nominal brightness (src/data/moons.ts), so that a perfect decoding has error 0. */
const BRIGHTNESS = 0.9;

/** A model that encodes images to codes (an AE's code, a VAE's posterior mean) and decodes codes to mean images. */
export type Coder = GenerativeModel & {
  code(x: tf.Tensor): tf.Tensor2D;
  decode(z: tf.Tensor): tf.Tensor;
};

/** The true moons along the path, at t = i / (PATH_POINTS − 1): centred, nominal radius and brightness. */
export const truthPath = (): Dataset => moonPhaseSequence(PATH_POINTS, { size: SIZE, from: 0, to: END_PHASE });

/** The true moon at phase 90°·t. */
export const trueMoonAt = (t: number): Float32Array => renderMoon(END_PHASE * t, { size: SIZE, brightness: BRIGHTNESS });

export interface ModelPath {
  /** Codes of the full and the half moon: [x0, y0, x1, y1]. */
  ends: Float32Array;
  /** Decodings at the path's points: [PATH_POINTS × PIXELS]. */
  decodes: Float32Array;
  /** Mean squared error per pixel of each decoding against the true moon at phase 90°·t. */
  errors: number[];
}

/** t of path point i. */
export const pathT = (i: number): number => i / (PATH_POINTS - 1);

/** Mean squared error per pixel between image `i` of `a` and image `j` of `b`. */
export function meanSquaredError(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): number {
  let sum = 0;
  for (let k = 0; k < PIXELS; k++) {
    const d = a[i * PIXELS + k]! - b[j * PIXELS + k]!;
    sum += d * d;
  }
  return sum / PIXELS;
}

/** Encodes the path's two ends with `model` and decodes the straight line between their codes. */
export function decodePath(model: Coder, truth: Dataset): ModelPath {
  const ts = Array.from({ length: PATH_POINTS }, (_, i) => pathT(i));
  const ends = new Float32Array(2 * PIXELS);
  ends.set(truth.data.subarray(0, PIXELS));
  ends.set(truth.data.subarray((PATH_POINTS - 1) * PIXELS, PATH_POINTS * PIXELS), PIXELS);
  const [codes, decoded] = tf.tidy(() => {
    const z = model.code(tf.tensor4d(ends, [2, SIZE, SIZE, 1]));
    const [za, zb] = tf.split(z, 2, 0);
    const t = tf.tensor2d(ts, [PATH_POINTS, 1]);
    return [z, model.decode(tf.add(tf.mul(tf.sub(1, t), za!), tf.mul(t, zb!)))];
  });
  const path: ModelPath = { ends: codes.dataSync() as Float32Array, decodes: decoded.dataSync() as Float32Array, errors: [] };
  tf.dispose([codes, decoded]);
  path.errors = ts.map((_, i) => meanSquaredError(path.decodes, i, truth.data, i));
  return path;
}

/** The code at t on the straight line between the path's ends. */
export function codeAt(path: ModelPath, t: number): [number, number] {
  const e = path.ends;
  return [(1 - t) * e[0]! + t * e[2]!, (1 - t) * e[1]! + t * e[3]!];
}

/** What `model` decodes the code at t to. */
export function decodeAt(model: Coder, path: ModelPath, t: number): Float32Array {
  const image = tf.tidy(() => model.decode(tf.tensor2d([codeAt(path, t)], [1, 2])));
  const pixels = image.dataSync() as Float32Array;
  image.dispose();
  return pixels;
}

/** The codes of the first `n` images of `images`: [n × 2]. */
export function codesOf(model: Coder, images: Dataset, n: number): Float32Array {
  const codes = tf.tidy(() => model.code(tf.tensor4d(images.data.subarray(0, n * PIXELS), [n, SIZE, SIZE, 1])));
  const values = codes.dataSync() as Float32Array;
  codes.dispose();
  return values;
}
