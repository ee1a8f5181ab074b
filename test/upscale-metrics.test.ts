/**
 * The measures super-resolution is judged by, on cases computed by hand: PSNR, SSIM (Wang et al. 2004), average
 * pooling, bicubic (Keys a = −0.5) and the fixed bilinear filter of the SRGAN generator's skip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import {
  SSIM_K1,
  bicubicMatrix,
  bicubicUpscale,
  downscaleImages,
  keysKernel,
  psnrPerImage,
  ssimPerImage,
} from '../src/eval/upscale-metrics.js';
import { bilinearTaps } from '../src/nets/srgan.js';

await initEngine();

const values = (t: tf.Tensor): number[] => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};
const image = (h: number, w: number, c: number, f: (y: number, x: number, ch: number) => number, n = 1): tf.Tensor4D => {
  const data = new Float32Array(n * h * w * c);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) data[((i * h + y) * w + x) * c + ch] = f(y, x, ch);
  return tf.tensor4d(data, [n, h, w, c]);
};
const noisy = (x: tf.Tensor4D, sigma: number, seed: number): tf.Tensor4D => {
  const rng = new Rng(seed);
  const d = Float32Array.from(x.dataSync(), (v) => Math.min(1, Math.max(0, v + sigma * rng.normal())));
  return tf.tensor4d(d, x.shape);
};

test('PSNR: an exact copy is +∞ dB; an error of 0.1 everywhere (MSE 0.01) is 20 dB, per image', () => {
  const a = image(8, 8, 3, (y, x, c) => (y + x + c) / 20, 2);
  assert.deepEqual(values(psnrPerImage(a, a)), [Infinity, Infinity]);
  const b = tf.tidy(() => tf.concat([tf.add(tf.slice(a, [0], [1]), 0.1), tf.sub(tf.slice(a, [1], [1]), 0.01)]));
  const [first, second] = values(psnrPerImage(a, b));
  assert.ok(Math.abs(first! - 20) < 1e-3, `${first}`);
  assert.ok(Math.abs(second! - 40) < 1e-2, `MSE 1e-4 → 40 dB, got ${second}`);
  tf.dispose([a, b]);
});

test('SSIM: 1 for identical images, symmetric, below 1 under noise and falling as the noise grows', () => {
  const a = image(28, 28, 1, (y, x) => 0.5 + 0.4 * Math.sin(y / 3) * Math.cos(x / 4));
  const [same] = values(ssimPerImage(a, a));
  assert.ok(Math.abs(same! - 1) < 1e-5, `${same}`);
  const slight = noisy(a, 0.05, 1), heavy = noisy(a, 0.2, 2);
  const [ab] = values(ssimPerImage(a, slight));
  const [ba] = values(ssimPerImage(slight, a));
  const [worse] = values(ssimPerImage(a, heavy));
  assert.ok(Math.abs(ab! - ba!) < 1e-5, `symmetric: ${ab} vs ${ba}`);
  assert.ok(ab! < 0.99 && ab! > 0, `${ab}`);
  assert.ok(worse! < ab!, `more noise, lower SSIM: ${worse} vs ${ab}`);
  tf.dispose([a, slight, heavy]);
});

test('SSIM of two flat images is the luminance term (2μaμb + C1)/(μa² + μb² + C1), per channel then averaged', () => {
  const a = image(12, 12, 2, (_y, _x, c) => (c === 0 ? 0.2 : 0.6));
  const b = image(12, 12, 2, () => 0.4);
  const c1 = SSIM_K1 ** 2;
  const lum = (m: number, n: number): number => (2 * m * n + c1) / (m * m + n * n + c1);
  const [got] = values(ssimPerImage(a, b));
  assert.ok(Math.abs(got! - (lum(0.2, 0.4) + lum(0.6, 0.4)) / 2) < 1e-4, `${got}`);
  tf.dispose([a, b]);
});

test('downscale averages s×s blocks and refuses a factor that does not divide the sides', () => {
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 4, 4, 1]);
  assert.deepEqual(values(downscaleImages(x, 2)), [(1 + 2 + 5 + 6) / 4, (3 + 4 + 7 + 8) / 4, (9 + 10 + 13 + 14) / 4, (11 + 12 + 15 + 16) / 4]);
  assert.throws(() => downscaleImages(x, 3), /scale: expected a factor that divides the images' 4×4 pixels, got 3/);
  x.dispose();
});

test("Keys's kernel interpolates (1 at 0, 0 at the other integers); bicubic rows sum to 1", () => {
  assert.equal(keysKernel(0), 1);
  for (const t of [1, -1, 2, -2, 2.5]) assert.equal(keysKernel(t), 0);
  assert.ok(Math.abs(keysKernel(0.5) - 0.5625) < 1e-12, 'a = −0.5: W(½) = 9/16');
  const m = bicubicMatrix(7, 21);
  for (let i = 0; i < 21; i++) assert.ok(Math.abs(m.subarray(i * 7, i * 7 + 7).reduce((s, v) => s + v, 0) - 1) < 1e-6);
});

test('bicubic upscaling of a downscaled linear ramp gives the ramp back away from the edges', () => {
  for (const scale of [2, 3]) {
    const side = 12 * scale;
    const ramp = image(side, side, 1, (y, x) => 0.1 + (0.6 * x + 0.2 * y) / side);
    const up = tf.tidy(() => bicubicUpscale(downscaleImages(ramp, scale), [side, side]));
    const a = ramp.dataSync(), b = up.dataSync();
    let worst = 0;
    for (let y = 2 * scale; y < side - 2 * scale; y++) for (let x = 2 * scale; x < side - 2 * scale; x++) worst = Math.max(worst, Math.abs(a[y * side + x]! - b[y * side + x]!));
    assert.ok(worst < 1e-5, `×${scale}: off by ${worst}`);
    tf.dispose([ramp, up]);
  }
});

test("the generator's fixed skip filter turns a nearest-neighbour enlargement into the pixel-centred bilinear one", () => {
  for (const scale of [2, 3, 4]) {
    const taps = bilinearTaps(scale);
    assert.ok(Math.abs(taps.reduce((s, v) => s + v, 0) - 1) < 1e-12);
    // 1-D: low-res values v_k at centres k; high-res pixel j sits at (j + ½)/s − ½ and must get the linear interpolate.
    const low = [0.1, 0.7, 0.3, 0.9, 0.5];
    const nearest = Array.from({ length: low.length * scale }, (_, j) => low[Math.floor(j / scale)]!);
    const half = (taps.length - 1) / 2;
    for (let j = scale; j < (low.length - 1) * scale; j++) {
      const filtered = taps.reduce((s, t, i) => s + t * nearest[j + i - half]!, 0);
      const at = (j + 0.5) / scale - 0.5, k = Math.floor(at);
      const linear = low[k]! + (at - k) * (low[k + 1]! - low[k]!);
      assert.ok(Math.abs(filtered - linear) < 1e-12, `×${scale} pixel ${j}: ${filtered} vs ${linear}`);
    }
  }
});
