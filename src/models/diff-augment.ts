/**
 * Differentiable augmentation (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"): the
 * same kind of random transform T on every image the discriminator sees — real and generated, in D's updates and in
 * G's — so that D cannot memorise a small training set, while G's gradient flows back through T. The paper's policy
 * for small data, 'color,translation,cutout', on images in [−1, 1] (NHWC), with its ranges:
 *   color        brightness + U(−0.5, 0.5); saturation: (x − channel mean)·U(0, 2) + mean; contrast: (x − image
 *                mean)·U(0.5, 1.5) + mean
 *   translation  a shift of up to ⌊size/8 + 0.5⌋ pixels in each direction, zero fill
 *   cutout       a zeroed square of ⌊size/2 + 0.5⌋ pixels at a random place (clipped at the border)
 * Each image draws its own parameters from `rng`, so a seeded run is reproducible. Every transform is linear in the
 * image given its parameters (shifts are products with 0/1 shift matrices, cutout a mask), hence differentiable on
 * every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../engine/rng.js';

/** Largest shift, as the paper's `int(size · 1/8 + 0.5)`. */
export const maxShift = (size: number): number => Math.floor(size / 8 + 0.5);
/** Side of the cutout square, as the paper's `int(size · 1/2 + 0.5)`. */
export const cutoutSize = (size: number): number => Math.floor(size / 2 + 0.5);

/**
 * T(x) for a batch of images [n, h, w, c] in [−1, 1]: colour, translation, cutout, each image with its own draw. With
 * `p` < 1 (adaptive augmentation, ada.ts) each of the three is applied to each image with probability p, the others
 * left as they are; at p = 1 no further draw is made, so a seed augments as it always did.
 */
export function diffAugment(x: tf.Tensor4D, rng: Rng, p = 1): tf.Tensor4D {
  const [n, h, w] = x.shape;
  return tf.tidy(() => {
    // Drawn in a fixed order (all brightness values, then saturation, …) so that a seed gives one augmentation.
    const draws = (f: () => number): Float32Array => Float32Array.from({ length: n }, f);
    const brightness = draws(() => rng.uniform() - 0.5);
    const saturation = draws(() => 2 * rng.uniform());
    const contrast = draws(() => rng.uniform() + 0.5);
    const shift = (size: number) => Int32Array.from({ length: n }, () => rng.int(2 * maxShift(size) + 1) - maxShift(size));
    const dy = shift(h);
    const dx = shift(w);
    const mask = cutoutMask(n, h, w, rng);
    if (p < 1) {
      for (let i = 0; i < n; i++) {
        if (rng.uniform() >= p) [brightness[i], saturation[i], contrast[i]] = [0, 1, 1];
        if (rng.uniform() >= p) dy[i] = dx[i] = 0;
        if (rng.uniform() >= p) mask.fill(1, i * h * w, (i + 1) * h * w);
      }
    }
    const perImage = (v: Float32Array) => tf.tensor4d(v, [n, 1, 1, 1]);
    let y: tf.Tensor4D = tf.add(x, perImage(brightness));
    const channelMean = tf.mean(y, 3, true);
    y = tf.add(tf.mul(tf.sub(y, channelMean), perImage(saturation)), channelMean);
    const imageMean = tf.mean(y, [1, 2, 3], true);
    y = tf.add(tf.mul(tf.sub(y, imageMean), perImage(contrast)), imageMean);
    return tf.mul(translate(y, dy, dx), tf.tensor4d(mask, [n, h, w, 1]));
  });
}

/**
 * Widest row of values (w·channels) whose column shift is one product with K_i: K_i is [w·c, w·c] per image and
 * costs c times the multiply-adds of shifting columns after a transpose, so wide images take the transposing path.
 */
export const MAX_SHIFT_ROW = 256;

/**
 * Each image i moved by dy[i] rows and dx[i] columns (content leaving the frame is lost, zeros come in):
 * out[i, r, c] = x[i, r − dy[i], c − dx[i]], as S_i · X_i · K_i with X_i the image as an [h, w·channels] matrix, S_i
 * the row shift [h, h] and K_i the column shift acting on whole pixels [w·channels, w·channels]: two batched products
 * and no transpose (the cpu kernel's transpose of 64 RGB images of 40×40 costs 18 ms, both products about 1 ms).
 * Rows wider than MAX_SHIFT_ROW shift their columns by S after moving them to rows with a transpose.
 */
export function translate(x: tf.Tensor4D, dy: Int32Array, dx: Int32Array): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => {
    const rows = tf.matMul(shiftMatrices(dy, h), tf.reshape(x, [n, h, w * c]));
    if (w * c <= MAX_SHIFT_ROW) return tf.reshape(tf.matMul(rows, columnShiftMatrices(dx, w, c)), [n, h, w, c]);
    const byColumn = tf.reshape(tf.transpose(tf.reshape(rows, [n, h, w, c]), [0, 2, 1, 3]), [n, w, h * c]);
    const moved = tf.matMul(shiftMatrices(dx, w), byColumn);
    return tf.transpose(tf.reshape(moved, [n, w, h, c]), [0, 2, 1, 3]);
  });
}

/** [n, size, size] with S[i, r, r − shift[i]] = 1 where that index exists: S·v moves v down by shift[i]. */
function shiftMatrices(shift: Int32Array, size: number): tf.Tensor3D {
  const s = new Float32Array(shift.length * size * size);
  shift.forEach((d, i) => {
    for (let r = 0; r < size; r++) {
      const from = r - d;
      if (from >= 0 && from < size) s[(i * size + r) * size + from] = 1;
    }
  });
  return tf.tensor3d(s, [shift.length, size, size]);
}

/**
 * [n, w·c, w·c] with K[i, (col − shift[i])·c + ch, col·c + ch] = 1 where that column exists: a row vector of
 * pixels (c channels each) times K moves it right by shift[i] pixels.
 */
function columnShiftMatrices(shift: Int32Array, w: number, c: number): tf.Tensor3D {
  const side = w * c;
  const k = new Float32Array(shift.length * side * side);
  shift.forEach((d, i) => {
    for (let col = 0; col < w; col++) {
      const from = col - d;
      if (from < 0 || from >= w) continue;
      for (let ch = 0; ch < c; ch++) k[(i * side + from * c + ch) * side + col * c + ch] = 1;
    }
  });
  return tf.tensor3d(k, [shift.length, side, side]);
}

/** [n, h, w] (one value per pixel): 0 inside each image's cutout square, 1 elsewhere. */
function cutoutMask(n: number, h: number, w: number, rng: Rng): Float32Array {
  const m = new Float32Array(n * h * w).fill(1);
  const sh = cutoutSize(h);
  const sw = cutoutSize(w);
  for (let i = 0; i < n; i++) {
    // The square's centre anywhere in the image (the paper's offset range), so it may hang over the border.
    const top = rng.int(h + (1 - (sh % 2))) - Math.floor(sh / 2);
    const left = rng.int(w + (1 - (sw % 2))) - Math.floor(sw / 2);
    for (let r = Math.max(0, top); r < Math.min(h, top + sh); r++) m.fill(0, (i * h + r) * w + Math.max(0, left), (i * h + r) * w + Math.min(w, left + sw));
  }
  return m;
}
