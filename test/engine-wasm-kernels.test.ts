/**
 * genlab's wasm kernels against the cpu backend, on seeded random shapes: values, and the gradients of the ops that
 * use them. Inputs are drawn once as typed arrays and built on each backend, so both see identical numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers the gradient functions
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initEngine } from '../src/engine/backend.js';
import { registerWasmTrainingKernels, wasmKernelNames } from '../src/engine/kernels/index.js';
import { im2colLimits } from '../src/engine/kernels/wasm/im2col.js';
import { Rng } from '../src/engine/rng.js';
import { assertClose, size, uniform, valuesOn, type Values } from './helpers/backends.js';

// The stock wasm kernels, captured before genlab replaces them, to show what the replacements fix.
await tf.setBackend('wasm');
await tf.ready();
const stock = {
  maxPoolGrad: tf.getKernel('MaxPoolGrad', 'wasm')!,
  conv2d: tf.getKernel('Conv2D', 'wasm')!,
};
const engine = await initEngine({ backend: 'wasm' });
assert.equal(engine.backend, 'wasm');

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;


/** tf.grad / tf.grads for functions of rank-4 tensors (their typings want plain Tensor parameters). */
const grad4 = (fn: (x: tf.Tensor4D) => tf.Tensor) => tf.grad(fn as (x: tf.Tensor) => tf.Tensor);
const grads4 = (fn: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor[] =>
  tf.grads(fn as (...args: tf.Tensor[]) => tf.Tensor)([a, b]);

/** Runs `fn` on cpu and on wasm; returns every output's values. */
async function onBoth(fn: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Values[]; wasm: Values[] }> {
  return { cpu: await valuesOn('cpu', fn), wasm: await valuesOn('wasm', fn) };
}


async function assertSameOnBoth(what: string, fn: () => tf.Tensor | tf.Tensor[], tol?: number): Promise<void> {
  const { cpu, wasm } = await onBoth(fn);
  assert.equal(wasm.length, cpu.length);
  cpu.forEach((c, i) => assertClose(wasm[i]!, c, `${what} [output ${i}]`, tol));
}

interface ConvCase {
  batch: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  kh: number;
  kw: number;
  strides: [number, number];
  pad: Pad;
  info: tf.backend_util.Conv2DInfo;
}

/**
 * A random conv geometry with a non-empty output: batch 1–3, odd and even sizes, 1 to 16 input channels, 1 to 4
 * output channels, kernels 1–5 including even ones, strides 1–3, and 'same', 'valid', a number or
 * explicit paddings. Numeric pads only with square kernels and equal strides: tfjs-core computes the output width of
 * a numeric pad from the kernel height and stride height (conv_util computeOutputShape2D), a core bug outside genlab.
 */
function convCase(rng: Rng, depthwise = false): ConvCase {
  for (;;) {
    const batch = 1 + rng.int(3);
    const h = 3 + rng.int(9);
    const w = 3 + rng.int(9);
    const ci = [1, 2, 3, 5, 8, 16][rng.int(6)]!;
    const co = [1, 2, 4][rng.int(3)]!;
    const kh = 1 + rng.int(5);
    const kw = 1 + rng.int(5);
    const strides: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
    const kind = rng.int(4);
    let pad: Pad;
    if (kind === 0) pad = 'same';
    else if (kind === 1) pad = 'valid';
    else if (kind === 2 && kh === kw && strides[0] === strides[1]) pad = rng.int(3);
    else pad = [[0, 0], [rng.int(3), rng.int(3)], [rng.int(3), rng.int(3)], [0, 0]];
    const filterShape: [number, number, number, number] = [kh, kw, ci, co];
    const info = tf.backend_util.computeConv2DInfo([batch, h, w, ci], filterShape, strides, 1, pad, undefined, depthwise);
    if (info.outHeight >= 1 && info.outWidth >= 1) return { batch, h, w, ci, co, kh, kw, strides, pad, info };
  }
}

const describe = (c: ConvCase): string =>
  `x [${c.batch},${c.h},${c.w},${c.ci}] k ${c.kh}×${c.kw}→${c.co} s ${c.strides} pad ${JSON.stringify(c.pad)}`;

const rng = new Rng(20240611);

/** Runs `fn(i)` for i < count with Conv2DBackpropInput's col2im layout alternating between [N, K] and [K, N]. */
async function bothLayouts(count: number, fn: (i: number) => Promise<void>): Promise<void> {
  const saved = im2colLimits.rowMajorMinChannels;
  try {
    for (let i = 0; i < count; i++) {
      im2colLimits.rowMajorMinChannels = i % 2 === 0 ? 1 : 1000;
      await fn(i);
    }
  } finally {
    im2colLimits.rowMajorMinChannels = saved;
  }
}

test('registerWasmTrainingKernels registers every kernel, and a second call changes nothing', () => {
  const registered = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  for (const name of wasmKernelNames()) assert.ok(registered.has(name), `${name} registered for wasm`);
  for (const name of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'UnsortedSegmentSum']) {
    assert.ok(registered.has(name), `${name} registered for wasm`);
  }
  const before = wasmKernelNames().map((n) => tf.getKernel(n, 'wasm')!.kernelFunc);
  registerWasmTrainingKernels();
  const after = wasmKernelNames().map((n) => tf.getKernel(n, 'wasm')!.kernelFunc);
  after.forEach((f, i) => assert.equal(f, before[i], `${wasmKernelNames()[i]} unchanged`));
});

test('Conv2DBackpropFilter matches cpu (NHWC and NCHW, all paddings, rounding modes)', async () => {
  for (let i = 0; i < 40; i++) {
    const c = convCase(rng);
    const xv = uniform(rng, size(c.info.inShape));
    const dyv = uniform(rng, size(c.info.outShape));
    const nchw = i % 5 === 4 && typeof c.pad !== 'object';
    const dimRoundingMode = typeof c.pad === 'number' && i % 3 === 0 ? 'ceil' : undefined;
    const info = dimRoundingMode
      ? tf.backend_util.computeConv2DInfo(c.info.inShape, c.info.filterShape, c.strides, 1, c.pad, dimRoundingMode)
      : c.info;
    const dyValues = dimRoundingMode ? uniform(rng, size(info.outShape)) : dyv;
    await assertSameOnBoth(`Conv2DBackpropFilter ${describe(c)}${nchw ? ' NCHW' : ''}${dimRoundingMode ?? ''}`, () => {
      let x = tf.tensor4d(xv, info.inShape);
      let dy = tf.tensor4d(dyValues, info.outShape);
      if (nchw) {
        x = tf.transpose(x, [0, 3, 1, 2]);
        dy = tf.transpose(dy, [0, 3, 1, 2]);
      }
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: nchw ? 'NCHW' : 'NHWC', dimRoundingMode, filterShape: info.filterShape };
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    });
  }
});

test('conv2d gradients (input and filter) match cpu', async () => {
  await bothLayouts(30, async () => {
    const c = convCase(rng);
    const xv = uniform(rng, size(c.info.inShape));
    const fv = uniform(rng, size(c.info.filterShape));
    const wv = uniform(rng, size(c.info.outShape));
    await assertSameOnBoth(`conv2d grads ${describe(c)}`, () => {
      const weights = tf.tensor4d(wv, c.info.outShape);
      const f = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(x, w, c.strides, c.pad as 'same'), weights));
      return tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([tf.tensor4d(xv, c.info.inShape), tf.tensor4d(fv, c.info.filterShape)]);
    });
  });
});

test('conv2dTranspose (Conv2DBackpropInput) values and gradients match cpu, NHWC and NCHW', async () => {
  await bothLayouts(30, async (i) => {
    const c = convCase(rng);
    const dyv = uniform(rng, size(c.info.outShape));
    const fv = uniform(rng, size(c.info.filterShape));
    const wv = uniform(rng, size(c.info.inShape));
    const inShape = c.info.inShape as [number, number, number, number];
    await assertSameOnBoth(`conv2dTranspose ${describe(c)}`, () => {
      const weights = tf.tensor4d(wv, inShape);
      const f = (dy: tf.Tensor4D, w: tf.Tensor4D) =>
        tf.sum(tf.mul(tf.conv2dTranspose(dy, w, inShape, c.strides, c.pad as 'same'), weights));
      const dy = tf.tensor4d(dyv, c.info.outShape);
      const w = tf.tensor4d(fv, c.info.filterShape);
      return [tf.conv2dTranspose(dy, w, inShape, c.strides, c.pad as 'same'), ...tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([dy, w])];
    });
    if (i % 5 === 0 && typeof c.pad !== 'object') {
      await assertSameOnBoth(`Conv2DBackpropInput NCHW ${describe(c)}`, () => {
        const dy = tf.transpose(tf.tensor4d(dyv, c.info.outShape), [0, 3, 1, 2]);
        const [b, h, w, ch] = inShape;
        const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NCHW', inputShape: [b, ch, h, w] };
        const filter = tf.tensor4d(fv, c.info.filterShape);
        return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      });
    }
  });
});

test('second-order gradients through conv2d (a gradient penalty) match cpu', async () => {
  for (let i = 0; i < 6; i++) {
    const c = convCase(rng);
    const xv = uniform(rng, size(c.info.inShape));
    const fv = uniform(rng, size(c.info.filterShape));
    await assertSameOnBoth(`gradient penalty ${describe(c)}`, () => {
      const x = tf.tensor4d(xv, c.info.inShape);
      // ‖∂/∂x Σ tanh(conv(x, w))‖², differentiated w.r.t. w: needs conv2d, Conv2DBackpropInput and its gradient.
      const penalty = (w: tf.Tensor4D) => {
        const dx = grad4((xx) => tf.sum(tf.tanh(tf.conv2d(xx, w, c.strides, c.pad as 'same'))))(x);
        return tf.sum(tf.square(dx));
      };
      return grad4(penalty)(tf.tensor4d(fv, c.info.filterShape));
    }, 5e-4);
  }
});

test('batches larger than one im2col chunk give the same gradients', async () => {
  const saved = { ...im2colLimits };
  im2colLimits.maxColsFloats = 600; // a handful of images per chunk
  try {
    for (let i = 0; i < 8; i++) {
      im2colLimits.rowMajorMinChannels = i % 2 === 0 ? 1 : 1000;
      const c = convCase(rng);
      const batch = 5 + rng.int(4);
      const inShape: [number, number, number, number] = [batch, c.h, c.w, c.ci];
      const info = tf.backend_util.computeConv2DInfo(inShape, c.info.filterShape, c.strides, 1, c.pad);
      const xv = uniform(rng, size(inShape));
      const fv = uniform(rng, size(info.filterShape));
      const wv = uniform(rng, size(info.outShape));
      await assertSameOnBoth(`chunked conv2d grads ${describe(c)} batch ${batch}`, () => {
        const weights = tf.tensor4d(wv, info.outShape);
        const f = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(x, w, c.strides, c.pad as 'same'), weights));
        return tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([tf.tensor4d(xv, inShape), tf.tensor4d(fv, info.filterShape)]);
      });
    }
  } finally {
    Object.assign(im2colLimits, saved);
  }
});

test('depthwise conv gradients match cpu (channel multipliers 1–3)', async () => {
  for (let i = 0; i < 30; i++) {
    const c0 = convCase(rng, true);
    // tfjs-core's depthwise gradient needs equal strides.
    const s = c0.strides[0];
    const mult = 1 + rng.int(3);
    const filterShape: [number, number, number, number] = [c0.kh, c0.kw, c0.ci, mult];
    const pad = c0.pad;
    let info: tf.backend_util.Conv2DInfo;
    try {
      info = tf.backend_util.computeConv2DInfo(c0.info.inShape, filterShape, [s, s], 1, pad, undefined, true);
    } catch {
      continue;
    }
    if (info.outHeight < 1 || info.outWidth < 1) continue;
    const xv = uniform(rng, size(info.inShape));
    const fv = uniform(rng, size(filterShape));
    const wv = uniform(rng, size(info.outShape));
    await assertSameOnBoth(`depthwise grads ${describe(c0)} ×${mult}`, () => {
      const weights = tf.tensor4d(wv, info.outShape);
      const f = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.sum(tf.mul(tf.depthwiseConv2d(x, w, s, pad as 'same'), weights));
      const x = tf.tensor4d(xv, info.inShape);
      const w = tf.tensor4d(fv, filterShape);
      return [tf.depthwiseConv2d(x, w, s, pad as 'same'), ...tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([x, w])];
    });
  }
});

test('depthwise backprop kernels with dilations are the adjoints of the dilated depthwise conv', async () => {
  // ⟨conv(x, w), dy⟩ = ⟨x, BackpropInput(dy, w)⟩ = ⟨w, BackpropFilter(x, dy)⟩ for any x, w, dy: the defining
  // property of the two gradients. (The cpu backend ignores dilations in these two kernels, so it cannot be the
  // reference here; its dilated forward conv is.)
  for (let i = 0; i < 12; i++) {
    const batch = 1 + rng.int(2);
    const h = 6 + rng.int(6);
    const w = 6 + rng.int(6);
    const ci = 1 + rng.int(3);
    const mult = 1 + rng.int(2);
    const k = 2 + rng.int(2);
    const dilations: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
    const pad: Pad = (['same', 'valid', [[0, 0], [1, 2], [2, 0], [0, 0]]] as Pad[])[rng.int(3)]!;
    const filterShape: [number, number, number, number] = [k, k, ci, mult];
    const info = tf.backend_util.computeConv2DInfo([batch, h, w, ci], filterShape, 1, dilations, pad, undefined, true);
    if (info.outHeight < 1 || info.outWidth < 1) continue;
    const xv = uniform(rng, size(info.inShape));
    const fv = uniform(rng, size(filterShape));
    const dyv = uniform(rng, size(info.outShape));
    const what = `dilated depthwise x [${batch},${h},${w},${ci}] k ${k}×${mult} d ${dilations} pad ${JSON.stringify(pad)}`;
    // The forward conv itself (XNNPACK through genlab's guard) against cpu.
    await assertSameOnBoth(`${what} forward`, () =>
      tf.depthwiseConv2d(tf.tensor4d(xv, info.inShape), tf.tensor4d(fv, filterShape), 1, pad as 'same', 'NHWC', dilations),
    );
    await tf.setBackend('cpu');
    const lhs = tf.tidy(() =>
      tf.sum(tf.mul(tf.depthwiseConv2d(tf.tensor4d(xv, info.inShape), tf.tensor4d(fv, filterShape), 1, pad as 'same', 'NHWC', dilations), tf.tensor4d(dyv, info.outShape))).dataSync()[0]!,
    );
    await tf.setBackend('wasm');
    const attrs = { strides: 1, dilations, pad, dimRoundingMode: undefined };
    const [viaInput, viaFilter] = tf.tidy(() => {
      const x = tf.tensor4d(xv, info.inShape);
      const f = tf.tensor4d(fv, filterShape);
      const dy = tf.tensor4d(dyv, info.outShape);
      const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, { ...attrs, inputShape: info.inShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
      return [tf.sum(tf.mul(dx, x)).dataSync()[0]!, tf.sum(tf.mul(dw, f)).dataSync()[0]!];
    });
    const tol = 1e-4 * (1 + Math.abs(lhs)) * Math.sqrt(size(info.outShape));
    assert.ok(Math.abs(viaInput - lhs) <= tol, `${what}: ⟨x, dx⟩ = ${viaInput}, ⟨y, dy⟩ = ${lhs}`);
    assert.ok(Math.abs(viaFilter - lhs) <= tol, `${what}: ⟨w, dw⟩ = ${viaFilter}, ⟨y, dy⟩ = ${lhs}`);
  }
});

test('max and average pooling gradients match cpu, also for windows of non-positive values', async () => {
  for (let i = 0; i < 40; i++) {
    const batch = 1 + rng.int(3);
    const h = 2 + rng.int(10);
    const w = 2 + rng.int(10);
    const ch = 1 + rng.int(5);
    const pool: [number, number] = [1 + rng.int(Math.min(4, h)), 1 + rng.int(Math.min(4, w))];
    const strides: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
    const pad = rng.int(2) === 0 ? 'same' : 'valid';
    const info = tf.backend_util.computePool2DInfo([batch, h, w, ch], pool, strides, 1, pad);
    // Every third case is ReLU-like: many exact zeros (ties) and all-zero windows; others are mostly negative.
    const shift = i % 3 === 0 ? 0 : -0.6;
    const xv = uniform(rng, size(info.inShape)).map((v) => (i % 3 === 0 ? Math.max(0, v) : v + shift));
    const wv = uniform(rng, size(info.outShape));
    const what = `pool x [${batch},${h},${w},${ch}] ${pool} s ${strides} ${pad}`;
    for (const op of [tf.maxPool, tf.avgPool]) {
      await assertSameOnBoth(`${op === tf.maxPool ? 'maxPool' : 'avgPool'} ${what}`, () => {
        const weights = tf.tensor4d(wv, info.outShape);
        const x = tf.tensor4d(xv, info.inShape);
        return [op(x, pool, strides, pad), grad4((z) => tf.sum(tf.mul(op(z, pool, strides, pad), weights)))(x)];
      });
    }
  }
});

test("the stock wasm MaxPoolGrad is wrong on all-negative windows, genlab's is right", async () => {
  const xv = Float32Array.from([-3, -1, -2, -4, -0.5, -6, -7, -8, -9]); // one 3×3 image, one channel
  const dyv = Float32Array.from([1, 10, 100, 1000]);
  const attrs = { filterSize: [2, 2], strides: [1, 1], pad: 'valid' } as unknown as tf.NamedAttrMap;
  const expected = [0, 0, 0, 0, 1 + 10 + 100 + 1000, 0, 0, 0, 0]; // every window's maximum is the −0.5
  await tf.setBackend('wasm');
  const backend = tf.backend() as BackendWasm;
  const x = tf.tensor4d(xv, [1, 3, 3, 1]);
  const dy = tf.tensor4d(dyv, [1, 2, 2, 1]);
  const y = tf.maxPool(x, 2, 1, 'valid');
  const ours = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs) as tf.Tensor;
  assert.deepEqual(Array.from(ours.dataSync()), expected);
  const out = stock.maxPoolGrad.kernelFunc({ inputs: { dy, input: x, output: y }, attrs, backend }) as tf.TensorInfo;
  const stockValues = Array.from(backend.readSync(out.dataId) as Float32Array);
  backend.disposeData(out.dataId);
  assert.notDeepEqual(stockValues, expected, 'if this fails, TF.js fixed MaxPoolGrad and genlab could drop its own');
  tf.dispose([x, dy, y, ours]);
});

test("convolutions with 'same' padding match cpu, including kernels smaller than the stride and dilations", async () => {
  for (let i = 0; i < 40; i++) {
    const batch = 1 + rng.int(2);
    const h = 3 + rng.int(10);
    const w = 3 + rng.int(10);
    const ci = 1 + rng.int(4);
    const co = 1 + rng.int(3);
    const kh = 1 + rng.int(3);
    const kw = 1 + rng.int(3);
    const dilated = i % 4 === 3;
    const strides: [number, number] = dilated ? [1, 1] : [1 + rng.int(3), 1 + rng.int(3)];
    const dilations: [number, number] = dilated ? [1 + rng.int(3), 1 + rng.int(3)] : [1, 1];
    const xv = uniform(rng, batch * h * w * ci);
    const fv = uniform(rng, kh * kw * ci * co);
    const bv = uniform(rng, co);
    const mv = uniform(rng, kh * kw * ci * 2);
    const uniformBias = uniform(rng, ci * 2);
    const what = `'same' x [${batch},${h},${w},${ci}] k ${kh}×${kw}→${co} s ${strides} d ${dilations}`;
    await assertSameOnBoth(what, () => {
      const x = tf.tensor4d(xv, [batch, h, w, ci]);
      const f = tf.tensor4d(fv, [kh, kw, ci, co]);
      return [
        tf.conv2d(x, f, strides, 'same', 'NHWC', dilations),
        tf.fused.conv2d({ x, filter: f, strides, pad: 'same', dilations, bias: tf.tensor1d(bv), activation: 'relu' }),
        tf.depthwiseConv2d(x, tf.tensor4d(mv, [kh, kw, ci, 2]), dilated ? 1 : [strides[0], strides[0]], 'same', 'NHWC', dilations),
        tf.fused.depthwiseConv2d({
          x,
          filter: tf.tensor4d(mv, [kh, kw, ci, 2]),
          strides: dilated ? 1 : [strides[0], strides[0]],
          pad: 'same',
          dilations,
          bias: tf.tensor1d(uniformBias),
          activation: 'relu6',
        }),
      ];
    });
  }
  // The stock kernel where the kernel is shorter than the stride (1×5 kernel, stride 2, even height): wrong.
  const xv = uniform(rng, 1 * 10 * 4 * 1);
  const fv = uniform(rng, 1 * 5 * 1 * 2);
  const { cpu } = await onBoth(() => tf.conv2d(tf.tensor4d(xv, [1, 10, 4, 1]), tf.tensor4d(fv, [1, 5, 1, 2]), 2, 'same'));
  const backend = tf.backend() as BackendWasm;
  const x = tf.tensor4d(xv, [1, 10, 4, 1]);
  const filter = tf.tensor4d(fv, [1, 5, 1, 2]);
  const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] } as unknown as tf.NamedAttrMap;
  const out = stock.conv2d.kernelFunc({ inputs: { x, filter }, attrs, backend }) as tf.TensorInfo;
  const stockValues = backend.readSync(out.dataId) as Float32Array;
  backend.disposeData(out.dataId);
  assert.throws(() => assertClose(stockValues, cpu[0]!, 'stock'), 'if this fails, TF.js fixed Conv2D SAME padding');
  tf.dispose([x, filter]);
});

test('a convolution whose output is empty returns it without touching other tensors', async () => {
  await tf.setBackend('wasm');
  const sentinels = Array.from({ length: 8 }, (_, i) => tf.fill([257 * (i + 1)], i + 0.25));
  for (let i = 0; i < 20; i++) {
    // Kernel 4 wide on an input 3 wide with no padding: 0 output columns.
    const y = tf.tidy(() =>
      tf.conv2d(tf.ones([2, 9, 3, 2]) as tf.Tensor4D, tf.ones([4, 4, 2, 3]) as tf.Tensor4D, [3, 2], [[0, 0], [0, 0], [0, 0], [0, 0]]),
    );
    assert.deepEqual(y.shape, [2, 2, 0, 3]);
    y.dispose();
  }
  sentinels.forEach((s, i) => assert.ok(s.dataSync().every((v) => v === i + 0.25), `sentinel ${i} intact`));
  tf.dispose(sentinels);
});

test('Tile matches cpu for ranks 0–4 and float32, int32 and bool', async () => {
  for (let i = 0; i < 25; i++) {
    const rank = rng.int(5);
    const shape = Array.from({ length: rank }, () => 1 + rng.int(4));
    const reps = Array.from({ length: rank }, () => 1 + rng.int(4));
    const dtype = (['float32', 'int32', 'bool'] as const)[i % 3]!;
    const values = uniform(rng, size(shape), -5, 5).map((v) => (dtype === 'float32' ? v : Math.round(v)));
    await assertSameOnBoth(`tile [${shape}] × [${reps}] ${dtype}`, () => {
      const x = dtype === 'bool' ? tf.greater(tf.tensor(values, shape), 0) : tf.tensor(values, shape, dtype);
      return rank === 0 ? x.clone() : tf.tile(x, reps);
    });
  }
});

test('matmuls with transposed operands match cpu (BatchMatMul and fused, with batch broadcasting)', async () => {
  for (let i = 0; i < 20; i++) {
    const m = 1 + rng.int(9);
    const k = 1 + rng.int(9);
    const n = 1 + rng.int(9);
    const batchA = [1, 3][rng.int(2)]!;
    const batchB = batchA === 3 && rng.int(2) === 0 ? 1 : batchA;
    const ta = rng.int(2) === 1;
    const tb = rng.int(2) === 1;
    const av = uniform(rng, batchA * m * k);
    const bv = uniform(rng, batchB * k * n);
    const biasv = uniform(rng, n);
    const aShape = ta ? [batchA, k, m] : [batchA, m, k];
    const bShape = tb ? [batchB, n, k] : [batchB, k, n];
    await assertSameOnBoth(`matMul ${aShape}${ta ? 'ᵀ' : ''} · ${bShape}${tb ? 'ᵀ' : ''}`, () => {
      const a = tf.tensor3d(av, aShape as [number, number, number]);
      const b = tf.tensor3d(bv, bShape as [number, number, number]);
      return [
        tf.matMul(a, b, ta, tb),
        tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias: tf.tensor1d(biasv), activation: 'relu' }),
        // the dense-layer gradients, dA = dY·Bᵀ and dB = Aᵀ·dY (tfjs-core's cannot reduce broadcast batch dims)
        ...(batchA === batchB ? tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, ta, tb))))([a, b]) : []),
      ];
    });
  }
});

test('UnsortedSegmentSum and the gather gradient match cpu; out-of-range ids are dropped', async () => {
  for (let i = 0; i < 15; i++) {
    const rows = 1 + rng.int(12);
    const inner = [1 + rng.int(4), 1 + rng.int(3)];
    const numSegments = 1 + rng.int(6);
    const ids = Int32Array.from({ length: rows }, () => rng.int(numSegments + 2) - 1); // includes −1 and numSegments
    const xv = uniform(rng, rows * size(inner));
    const tableRows = 2 + rng.int(6);
    const tablev = uniform(rng, tableRows * inner[0]!);
    const picks = Int32Array.from({ length: 1 + rng.int(10) }, () => rng.int(tableRows));
    await assertSameOnBoth(`segment sum ${rows}×[${inner}] into ${numSegments}`, () => {
      const x = tf.tensor(xv, [rows, ...inner]);
      const table = tf.tensor2d(tablev, [tableRows, inner[0]!]);
      return [
        tf.unsortedSegmentSum(x, tf.tensor1d(ids, 'int32'), numSegments),
        tf.unsortedSegmentSum(tf.cast(tf.round(tf.mul(x, 10)), 'int32'), tf.tensor1d(ids, 'int32'), numSegments),
        tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d(picks, 'int32')))))(table),
      ];
    });
  }
});

test('the stock wasm kernels behind activation and batch-norm gradients match cpu', async () => {
  // Not genlab's kernels, but what the conv nets' backward passes run through on wasm: LeakyRelu and Prelu
  // (Greater, Select, Multiply), EluGrad, Relu6 (Step, LessEqual), Sigmoid, Tanh, Softplus, FusedBatchNorm.
  for (let i = 0; i < 4; i++) {
    const shape: [number, number, number, number] = [2, 3 + rng.int(4), 3 + rng.int(4), 1 + rng.int(4)];
    const xv = uniform(rng, size(shape), -3, 3);
    const wv = uniform(rng, size(shape));
    const alphav = uniform(rng, shape[3], 0, 0.5);
    const meanv = uniform(rng, shape[3]);
    const varv = uniform(rng, shape[3], 0.5, 2);
    const scalev = uniform(rng, shape[3], 0.5, 1.5);
    const offsetv = uniform(rng, shape[3]);
    await assertSameOnBoth(`activations and batch norm on [${shape}]`, () => {
      const x = tf.tensor4d(xv, shape);
      const weights = tf.tensor4d(wv, shape);
      const alpha = tf.tensor1d(alphav);
      const fns: ((z: tf.Tensor4D) => tf.Tensor)[] = [
        (z) => tf.leakyRelu(z, 0.2),
        (z) => tf.prelu(z, alpha as unknown as tf.Tensor4D),
        (z) => tf.elu(z),
        (z) => tf.relu6(z),
        (z) => tf.sigmoid(z),
        (z) => tf.tanh(z),
        (z) => tf.softplus(z),
        (z) => tf.batchNorm(z, tf.tensor1d(meanv), tf.tensor1d(varv), tf.tensor1d(offsetv), tf.tensor1d(scalev), 1e-3),
        (z) => tf.batchNorm(z, tf.mean(z, [0, 1, 2]), tf.moments(z, [0, 1, 2]).variance, tf.tensor1d(offsetv), tf.tensor1d(scalev), 1e-3),
      ];
      return fns.flatMap((fn) => [fn(x), grad4((z) => tf.sum(tf.mul(fn(z), weights)))(x)]);
    }, 2e-4);
  }
});

test('the kernels leave no tensors behind (engine and wasm heap)', async () => {
  await tf.setBackend('wasm');
  const backend = tf.backend() as BackendWasm;
  const t = (shape: [number, number, number, number]) => tf.tensor4d(uniform(rng, size(shape)), shape);
  // Both im2col layouts (5 and 1 input channels), transposed convs, depthwise, pooling, tile, matmul, gather.
  const cases = [
    { x: t([2, 7, 9, 5]), f: t([3, 3, 5, 4]), ft: t([3, 3, 2, 5]) },
    { x: t([2, 7, 9, 1]), f: t([3, 3, 1, 4]), ft: t([3, 3, 2, 1]) },
  ];
  const fd = t([3, 3, 5, 2]);
  const table = tf.tensor2d(uniform(rng, 6 * 3), [6, 3]);
  const work = () =>
    tf.tidy(() => {
      const outs: tf.Tensor[] = [];
      for (const { x, f, ft } of cases) {
        outs.push(...grads4((a, b) => tf.sum(tf.square(tf.conv2d(a, b, 2, 'same'))), x, f));
        outs.push(...grads4((a, b) => tf.sum(tf.square(tf.conv2dTranspose(a, b, [2, 14, 18, 2], 2, 'same'))), x, ft));
      }
      const x = cases[0]!.x;
      outs.push(...grads4((a, b) => tf.sum(tf.square(tf.depthwiseConv2d(a, b, 1, 'same'))), x, fd));
      outs.push(grad4((a) => tf.sum(tf.maxPool(a, 2, 2, 'same')))(x));
      outs.push(tf.tile(table, [2, 3]), tf.matMul(table, table, true, false));
      outs.push(tf.grad((a: tf.Tensor) => tf.sum(tf.gather(a, tf.tensor1d([0, 2, 2], 'int32'))))(table));
      return tf.addN(outs.map((o) => tf.sum(o))).dataSync()[0]!;
    });
  work(); // the first calls may fill XNNPACK operator caches
  const tensors = tf.memory().numTensors;
  const dataIds = backend.numDataIds();
  for (let i = 0; i < 5; i++) assert.ok(Number.isFinite(work()));
  assert.equal(tf.memory().numTensors, tensors, 'engine tensors');
  assert.equal(backend.numDataIds(), dataIds, 'tensors on the wasm heap');
  tf.dispose([...cases.flatMap((c) => [c.x, c.f, c.ft]), fd, table]);
});
