/**
 * The `native` backend (src/engine/native.ts, the addon in native/) against the cpu backend: every native kernel's
 * values and the gradients of the ops that use it, on seeded random shapes (odd sizes, transposes, batch
 * broadcasting, strides, paddings, dilations, size-1 and empty dims), and a VAE trained on both.
 *
 * When the addon is missing: the tests SKIP only when native/build/status.json says no oneDNN was found (nothing to
 * build; the reason is printed). When oneDNN was found but the addon did not build or load, or the build never ran,
 * they FAIL.
 */
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers'; // also registers the gradient functions
import { initEngine } from '../src/engine/backend.js';
import { loadNativeAddon, nativeBuildStatus, nativeKernelCalls, nativeKernels } from '../src/engine/native.js';
import { Rng } from '../src/engine/rng.js';
import { makeDataset } from '../src/data/dataset.js';
import { loadMnist } from '../src/data/mnist.js';
import { createModel } from '../src/models/kinds.js';
import { FusedAdam, fit } from '../src/train/index.js';
import { batchNormTraining } from '../src/engine/kernels/batch-norm-training.js';
import { batchNormalization, conv2d, dense } from '../src/nets/layers.js';
import { assertClose, size, uniform, valuesOn } from './helpers/backends.js';
import { assertRanNatively, assertSame } from './helpers/native.js';

const status = nativeBuildStatus();
const noLibrary = status !== null && status.library === null;
if (noLibrary) console.log(`# engine-native: skipped, no native library at build time: ${status.reason}`);
const skip = noLibrary ? `native backend not built: ${status.reason}` : false;

test('the addon built and loads (fails when oneDNN was found but the build failed, or the build never ran)', { skip }, async () => {
  assert.ok(status !== null, 'native/build/status.json is missing: run `node native/build.mjs` (npm install does)');
  assert.ok(status.built, `the native build failed although ${status.library} was found: ${status.reason}`);
  const addon = loadNativeAddon();
  assert.match(addon.library, /oneDNN/);
  assert.ok(addon.threads() >= 1);
  const info = await initEngine({ backend: 'native' });
  assert.equal(info.backend, 'native');
  assert.equal(tf.getBackend(), 'native');
});


test('native matrix products survive signals arriving mid-call (node --cpu-prof samples with SIGPROF)', { skip }, () => {
  // Before the addon held signals around oneDNN's sgemm, this aborted with glibc's "corrupted size vs. prev_size"
  // in about two runs of three.
  const script = [
    "import * as tf from '@tensorflow/tfjs-core';",
    "import { initEngine } from './src/engine/backend.ts';",
    "await initEngine({ backend: 'native' });",
    'for (let i = 0; i < 6; i++) for (const [m, k, n] of [[16, 16, 16], [64, 64, 64], [128, 784, 400]]) tf.tidy(() => tf.matMul(tf.ones([m, k]), tf.ones([k, n])).dataSync());',
    "console.log('done');",
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'genlab-prof-'));
  for (let run = 0; run < 3; run++) {
    const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, OMP_NUM_THREADS: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `run ${run}: exit ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(-300)}`);
    assert.match(r.stdout, /done/);
  }
  rmSync(dir, { recursive: true, force: true });
});

test('fused Adam on native: the same values, moments and β products as TF.js\'s Adam, bit for bit, over several steps (a missing gradient included; a variable big enough for threads)', { skip }, async () => {
  await initEngine({ backend: 'native' });
  const rng = new Rng(11);
  const shapes = [[300, 7], [5], [1], [1031, 1019]]; // the last: 1,050,589 values, over the threading threshold, odd tail
  const start = shapes.map((s) => Float32Array.from({ length: size(s) }, () => rng.normal()));
  const run = (opt: tf.Optimizer) => {
    const vars = start.map((v, i) => tf.variable(tf.tensor(v, shapes[i]), true));
    for (let step = 0; step < 5; step++) {
      const grads = vars.map((v, i) => ({ name: v.name, tensor: i === 1 && step === 2 ? (undefined as unknown as tf.Tensor) : tf.mul(tf.sin(v), step + 1) }));
      opt.applyGradients(grads);
      tf.dispose(grads.map((g) => g.tensor).filter(Boolean));
    }
    const out = vars.map((v) => Array.from(v.dataSync()));
    tf.dispose(vars);
    return out;
  };
  nativeKernelCalls(true);
  const fusedOpt = new FusedAdam(0.01, 0.9, 0.999, 1e-7);
  const fused = run(fusedOpt);
  assert.equal(nativeKernelCalls().native['GenlabAdamUpdate'], 5, 'one fused kernel per step for every variable with a gradient');
  const stockOpt = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
  const stock = run(stockOpt);
  assert.deepEqual(fused, stock);
  const state = async (o: tf.Optimizer) => (await o.getWeights()).map((w) => Array.from(w.tensor.dataSync()));
  assert.deepEqual(await state(fusedOpt), await state(stockOpt));
  fusedOpt.dispose();
  stockOpt.dispose();
});

const rng = new Rng(20261125);
const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;

test('every cpu kernel is registered for native; the native kernels replace theirs', { skip }, async () => {
  await initEngine({ backend: 'native' });
  const cpu = tf.getKernelsForBackend('cpu').map((k) => k.kernelName);
  const native = new Set(tf.getKernelsForBackend('native').map((k) => k.kernelName));
  for (const name of cpu) assert.ok(native.has(name), `${name} registered for native`);
  for (const name of ['BatchMatMul', '_FusedMatMul', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'Add', 'Multiply', 'Sum', 'Relu', 'Sigmoid']) {
    assert.ok(nativeKernels().includes(name), `${name} is native`);
    assert.notEqual(tf.getKernel(name, 'native')!.kernelFunc, tf.getKernel(name, 'cpu')!.kernelFunc);
  }
});

test('matMul: values and gradients, transposes, batch broadcasting, odd, size-1 and empty dims', { skip }, async () => {
  for (let i = 0; i < 40; i++) {
    const m = pick([1, 2, 7, 33, 128]), k = pick([0, 1, 3, 17, 64]), n = pick([1, 5, 16, 31]);
    const tA = rng.int(2) === 1, tB = rng.int(2) === 1;
    const batchCase = rng.int(4); // 0: rank 2; 1: same batch; 2: a broadcast; 3: b broadcast
    const batch = pick([2, 3]);
    const outer = batchCase === 0 ? [] : [batch];
    const aShape = [...(batchCase === 2 ? [1] : outer), ...(tA ? [k, m] : [m, k])];
    const bShape = [...(batchCase === 3 ? [1] : outer), ...(tB ? [n, k] : [k, n])];
    const av = uniform(rng, size(aShape)), bv = uniform(rng, size(bShape));
    const what = `matMul a [${aShape}] b [${bShape}] tA ${tA} tB ${tB}`;
    await assertSame(what, () => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), tA, tB));
    // Gradients of batch-broadcast products are not reduced by tfjs-core (on every backend): same batches only.
    if (batchCase < 2) {
      await assertSame(`${what} grads`, () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a, b, tA, tB), tf.matMul(a, b, tA, tB))))([tf.tensor(av, aShape), tf.tensor(bv, bShape)]),
      );
    }
  }
  await tf.setBackend('native');
  nativeKernelCalls(true);
  tf.tidy(() => tf.matMul(tf.ones([3, 4]), tf.ones([4, 5])));
  assertRanNatively('BatchMatMul', 'matMul');
});

test('products whose left operand is mostly zeros (MNIST digits) skip its zeros: the same values as cpu, forward and weight gradient, tails, empty rows, NaN; any thread count alike', { skip }, async () => {
  await initEngine({ backend: 'native' });
  const addon = loadNativeAddon();
  const { train } = await loadMnist();
  const digits = (rows: number, cols = 784): Float32Array => {
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) out.set(train.data.subarray(r * 784, r * 784 + cols), r * cols);
    return out;
  };
  const cases = [
    { m: 128, k: 784, n: 400 }, // the VAE's first layer
    { m: 64, k: 784, n: 130 }, // a block of 128 columns and a tail of 2
    { m: 200, k: 784, n: 37 }, // one narrow block
  ];
  for (const { m, k, n } of cases) {
    const x = digits(m, k);
    x.fill(0, 3 * k, 5 * k); // rows with no nonzero at all
    const w = uniform(rng, k * n);
    const what = `[${m}, ${k}] digits · [${k}, ${n}]`;
    assert.equal(addon.gemmImpl(0, 0, m, n, k, x), 'genlab:sparse-left', `${what}: forward skips zeros`);
    assert.equal(addon.gemmImpl(1, 0, k, n, m, x), 'genlab:sparse-left', `${what}: xᵀ·dy skips zeros`);
    await assertSame(what, () => tf.matMul(tf.tensor(x, [m, k]), tf.tensor(w, [k, n])));
    await assertSame(`${what} grads`, () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b))))([tf.tensor(x, [m, k]), tf.tensor(w, [k, n])]));
    const bias = uniform(rng, n);
    await assertSame(`${what} fused bias + relu`, () => tf.fused.matMul({ a: tf.tensor2d(x, [m, k]), b: tf.tensor2d(w, [k, n]), bias: tf.tensor1d(bias), activation: 'relu' }));
    const nan = x.slice();
    nan[7 * k + 300] = NaN;
    await assertSame(`${what} with a NaN pixel`, () => tf.matMul(tf.tensor(nan, [m, k]), tf.tensor(w, [k, n])));
    // Each output's sum is made by one thread in one order: one thread or two give the same bits.
    await tf.setBackend('native');
    const product = (): Float32Array => tf.tidy(() => tf.matMul(tf.tensor(x, [m, k]), tf.tensor(w, [k, n])).dataSync() as Float32Array);
    const threads = addon.threads();
    addon.threads(1);
    const one = product();
    addon.threads(threads);
    assert.deepEqual(product(), one, `${what}: 1 and ${threads} threads`);
  }
  // Dense operands, small products and a transposed B stay on sgemm.
  assert.equal(addon.gemmImpl(0, 0, 128, 400, 784, uniform(rng, 128 * 784)), 'sgemm');
  assert.equal(addon.gemmImpl(0, 0, 16, 16, 784, digits(16)), 'sgemm');
  assert.equal(addon.gemmImpl(0, 1, 128, 400, 784, digits(128)), 'sgemm');
});

test('fused matMul: bias (per column, scalar, full) and activations, values and gradients', { skip }, async () => {
  const activations = ['linear', 'relu', 'sigmoid', 'elu', 'relu6', 'leakyrelu'] as const;
  for (let i = 0; i < 30; i++) {
    const m = pick([1, 4, 13, 64]), k = pick([1, 7, 30]), n = pick([1, 3, 19]);
    const tA = rng.int(2) === 1, tB = rng.int(2) === 1;
    const activation = activations[i % activations.length]!;
    const biasShape = pick([[n], [1], [m, n], null]);
    const aShape = tA ? [k, m] : [m, k], bShape = tB ? [n, k] : [k, n];
    const av = uniform(rng, size(aShape), -2, 2), bv = uniform(rng, size(bShape)), cv = biasShape ? uniform(rng, size(biasShape)) : null;
    const what = `fused matMul [${aShape}]·[${bShape}] tA ${tA} tB ${tB} bias ${JSON.stringify(biasShape)} ${activation}`;
    const f = (a: tf.Tensor, b: tf.Tensor, c?: tf.Tensor) =>
      tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: tA, transposeB: tB, activation, leakyreluAlpha: 0.3, ...(c ? { bias: c } : {}) });
    await assertSame(what, () => f(tf.tensor(av, aShape), tf.tensor(bv, bShape), cv && biasShape ? tf.tensor(cv, biasShape) : undefined));
    if (activation === 'linear' || activation === 'relu' || activation === 'sigmoid' || activation === 'elu') {
      await assertSame(`${what} grads`, () => {
        const ins = [tf.tensor(av, aShape), tf.tensor(bv, bShape), ...(cv && biasShape ? [tf.tensor(cv, biasShape)] : [])];
        return tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.square(f(xs[0]!, xs[1]!, xs[2]))))(ins);
      });
    }
  }
  await tf.setBackend('native');
  nativeKernelCalls(true);
  tf.tidy(() => tf.fused.matMul({ a: tf.ones([3, 4]), b: tf.ones([4, 5]), bias: tf.ones([5]), activation: 'relu' }));
  assertRanNatively('_FusedMatMul', 'fused matMul');
});

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

test('conv2d, fused conv2d, conv2dTranspose: values and gradients over strides, paddings, dilations', { skip }, async () => {
  let done = 0;
  while (done < 36) {
    const batch = 1 + rng.int(3), h = 3 + rng.int(9), w = 3 + rng.int(9);
    const ci = pick([1, 2, 3, 5, 8]), co = pick([1, 2, 4, 7]);
    const kh = 1 + rng.int(5), kw = 1 + rng.int(5);
    const dil = rng.int(4) === 0 ? 2 : 1;
    const strides: [number, number] = dil === 2 ? [1, 1] : [1 + rng.int(3), 1 + rng.int(3)];
    const kind = rng.int(4);
    let pad: Pad;
    if (kind === 0) pad = 'same';
    else if (kind === 1) pad = 'valid';
    else if (kind === 2 && kh === kw && strides[0] === strides[1]) pad = rng.int(3);
    else pad = [[0, 0], [rng.int(3), rng.int(3)], [rng.int(3), rng.int(3)], [0, 0]];
    if (dil === 2 && typeof pad !== 'string') pad = 'valid';
    let info: tf.backend_util.Conv2DInfo;
    try {
      info = tf.backend_util.computeConv2DInfo([batch, h, w, ci], [kh, kw, ci, co], strides, dil, pad);
    } catch {
      continue;
    }
    if (info.outHeight < 1 || info.outWidth < 1) continue;
    done++;
    const xs = [batch, h, w, ci] as [number, number, number, number], fs = [kh, kw, ci, co] as [number, number, number, number];
    const xv = uniform(rng, size(xs)), fv = uniform(rng, size(fs)), bv = uniform(rng, co);
    const what = `conv x [${xs}] k ${kh}×${kw}→${co} s ${strides} d ${dil} pad ${JSON.stringify(pad)}`;
    const conv = (x: tf.Tensor, f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, strides, pad as 'same', 'NHWC', dil);
    await assertSame(what, () => conv(tf.tensor(xv, xs), tf.tensor(fv, fs)));
    if (dil === 1) { // tfjs-core has no gradient for dilated conv2d
      await assertSame(`${what} grads`, () =>
        tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.square(conv(x, f))))([tf.tensor(xv, xs), tf.tensor(fv, fs)]),
      );
    }
    const activation = pick(['linear', 'relu', 'sigmoid', 'leakyrelu'] as const);
    await assertSame(`${what} fused ${activation}`, () =>
      tf.fused.conv2d({ x: tf.tensor4d(xv, xs), filter: tf.tensor4d(fv, fs), strides, pad: pad as 'same', dilations: dil, bias: tf.tensor1d(bv), activation, leakyreluAlpha: 0.2 }),
    );
    if (dil === 1) {
      // conv2dTranspose: the output shape of the forward conv is its input, the forward input shape its output.
      const ys = [batch, info.outHeight, info.outWidth, co] as [number, number, number, number];
      const yv = uniform(rng, size(ys));
      const tpad = typeof pad === 'number' || Array.isArray(pad) ? 'valid' : pad;
      const ti = tf.backend_util.computeConv2DInfo(xs, fs, strides, 1, tpad);
      if (ti.outHeight === info.outHeight && ti.outWidth === info.outWidth) {
        const convT = (y: tf.Tensor, f: tf.Tensor) => tf.conv2dTranspose(y as tf.Tensor4D, f as tf.Tensor4D, xs, strides, tpad);
        await assertSame(`${what} transpose`, () => convT(tf.tensor(yv, ys), tf.tensor(fv, fs)));
        await assertSame(`${what} transpose grads`, () =>
          tf.grads((y: tf.Tensor, f: tf.Tensor) => tf.sum(tf.square(convT(y, f))))([tf.tensor(yv, ys), tf.tensor(fv, fs)]),
        );
      }
    }
  }
  await tf.setBackend('native');
  nativeKernelCalls(true);
  tf.tidy(() => tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same')))([tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 2, 3])]));
  for (const k of ['Conv2D', 'Conv2DBackpropInput']) assert.ok((nativeKernelCalls().native[k] ?? 0) > 0, `${k} ran natively`);
  assertRanNatively('Conv2DBackpropFilter', 'conv2d grads');
});

test('conv2d on empty batches and 1×1 kernels', { skip }, async () => {
  const xv = uniform(rng, 2 * 3 * 4 * 5), fv = uniform(rng, 5 * 6);
  await assertSame('conv 1×1', () => tf.conv2d(tf.tensor4d(xv, [2, 3, 4, 5]), tf.tensor4d(fv, [1, 1, 5, 6]), 1, 'valid'));
  await assertSame('conv 1×1 grads', () =>
    tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'))))([
      tf.tensor4d(xv, [2, 3, 4, 5]), tf.tensor4d(fv, [1, 1, 5, 6]),
    ]),
  );
  await assertSame('conv empty batch', () => tf.conv2d(tf.zeros([0, 4, 4, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 3]) as tf.Tensor4D, 1, 'same'));
});

test('convolutions at DCGAN sizes run on oneDNN and match cpu: conv, its gradients, transposed conv (odd batch, 5×5, stride 2)', { skip }, async () => {
  const addon = loadNativeAddon();
  for (const [h, ci, co] of [[14, 32, 64], [7, 16, 9], [28, 1, 32]] as const) {
    const xs = [3, h, h, ci] as [number, number, number, number], fs = [5, 5, ci, co] as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(xs, fs, 2, 1, 'same');
    const args = [3, h, h, ci, 5, 5, co, info.outHeight, info.outWidth, 2, 2, info.padInfo.top, info.padInfo.left, 1, 1];
    // Forward and filter gradient always; the input gradient from 8 input channels on (below, sgemm is faster).
    for (const pass of ci >= 8 ? [0, 1, 2] : [0, 2]) assert.match(addon.convImpl(pass, ...args) ?? 'none', /avx|sse|jit|brg/, `pass ${pass} [${xs}]→${co} on oneDNN`);
    if (ci < 8) assert.equal(addon.convImpl(1, ...args), null);
    assert.throws(() => addon.conv2d(new Float32Array(size(xs)), new Float32Array(size(fs)), new Float32Array(1), ...args), /too short/);
    const xv = uniform(rng, size(xs)), fv = uniform(rng, size(fs));
    const ys = [3, info.outHeight, info.outWidth, co] as [number, number, number, number], yv = uniform(rng, size(ys));
    const what = `conv [${xs}] 5×5→${co} stride 2 same`;
    await assertSame(what, () => tf.conv2d(tf.tensor4d(xv, xs), tf.tensor4d(fv, fs), 2, 'same'));
    await assertSame(`${what} grads`, () =>
      tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'))))([tf.tensor(xv, xs), tf.tensor(fv, fs)]));
    await assertSame(`${what} transpose and its grads`, () =>
      tf.grads((y: tf.Tensor, f: tf.Tensor) => tf.sum(tf.square(tf.conv2dTranspose(y as tf.Tensor4D, f as tf.Tensor4D, xs, 2, 'same'))))([tf.tensor(yv, ys), tf.tensor(fv, fs)]));
  }
});

test('convolutions with one output channel (a band generator\'s last layer): the forward pass on its own loop; all match cpu: conv, fused conv, gradients, transposed conv', { skip }, async () => {
  const addon = loadNativeAddon();
  const cases = [
    { xs: [3, 28, 28, 32], k: 3, stride: 1, pad: 'same', dil: 1 },
    { xs: [2, 14, 14, 9], k: 5, stride: 2, pad: 'same', dil: 1 },
    { xs: [5, 9, 11, 16], k: 3, stride: 1, pad: 'valid', dil: 2 },
    { xs: [1, 6, 7, 8], k: 4, stride: 3, pad: 'same', dil: 1 },
  ] as const;
  for (const { xs, k, stride, pad, dil } of cases) {
    const fs = [k, k, xs[3], 1] as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(xs as unknown as [number, number, number, number], fs, stride, dil, pad);
    const args = [xs[0], xs[1], xs[2], xs[3], k, k, 1, info.outHeight, info.outWidth, stride, stride, info.padInfo.top, info.padInfo.left, dil, dil];
    assert.equal(addon.convImpl(0, ...args), 'genlab:single-output', `[${xs}] ${k}×${k}/${stride} → 1`);
    for (const pass of [1, 2]) assert.match(addon.convImpl(pass, ...args) ?? 'none', /avx|sse|jit|brg|none/, `pass ${pass} stays where it was`);
    const xv = uniform(rng, size(xs)), fv = uniform(rng, size(fs)), bv = uniform(rng, 1);
    const what = `conv [${xs}] ${k}×${k}/${stride} ${pad} dilation ${dil} → 1`;
    const conv = (x: tf.Tensor, f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad, 'NHWC', dil);
    await assertSame(what, () => conv(tf.tensor(xv, [...xs]), tf.tensor(fv, fs)));
    // (TF.js has no gradient of dilated convolutions.)
    if (dil === 1) await assertSame(`${what} grads`, () => tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.square(conv(x, f))))([tf.tensor(xv, [...xs]), tf.tensor(fv, fs)]));
    await assertSame(`${what} fused relu`, () =>
      tf.fused.conv2d({ x: tf.tensor4d(xv, [...xs]), filter: tf.tensor4d(fv, fs), strides: stride, pad, dilations: dil, bias: tf.tensor1d(bv), activation: 'relu' }),
    );
    if (dil === 1) {
      const ys = [xs[0], info.outHeight, info.outWidth, 1] as [number, number, number, number];
      const yv = uniform(rng, size(ys));
      await assertSame(`${what} transpose and its grads`, () =>
        tf.grads((y: tf.Tensor, f: tf.Tensor) => tf.sum(tf.square(tf.conv2dTranspose(y as tf.Tensor4D, f as tf.Tensor4D, [...xs] as [number, number, number, number], stride, pad))))([tf.tensor(yv, ys), tf.tensor(fv, fs)]));
    }
  }
  // Fewer than 8 input channels stay on the paths they had.
  assert.notEqual(addon.convImpl(0, 2, 8, 8, 4, 3, 3, 1, 8, 8, 1, 1, 1, 1, 1, 1), 'genlab:single-output');
});

test('vectorised exp, log, log1p, tanh, sigmoid: within 4 ulp of the correctly rounded value over wide ranges', { skip }, async () => {
  await tf.setBackend('native');
  const f = new Float32Array(1), bits = new Uint32Array(f.buffer);
  const ulp = (e: number): number => {
    f[0] = Math.abs(e);
    bits[0]! += 1;
    return f[0]! - Math.abs(e);
  };
  const cases: [string, (x: tf.Tensor) => tf.Tensor, (x: number) => number, number, number][] = [
    ['exp', tf.exp, Math.exp, -87, 88], ['log', tf.log, Math.log, 1e-30, 1e30], ['log1p', tf.log1p, Math.log1p, -0.999, 1e6],
    ['log1p near 0', tf.log1p, Math.log1p, -1e-3, 1e-3], ['tanh', tf.tanh, Math.tanh, -12, 12], ['tanh near 0', tf.tanh, Math.tanh, -0.01, 0.01],
    ['sigmoid', tf.sigmoid, (x) => 1 / (1 + Math.exp(-x)), -80, 80],
  ];
  for (const [name, op, ref, lo, hi] of cases) {
    const n = 1_048_583; // over the threading threshold (2²⁰), odd tail
    const x = Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
    const y = tf.tidy(() => op(tf.tensor1d(x)).dataSync());
    for (let i = 0; i < n; i++) {
      const e = Math.fround(ref(x[i]!));
      if (e === 0 || !Number.isFinite(e) || y[i] === e) continue;
      if (!(Math.abs(y[i]! - e) <= 4 * ulp(e))) assert.fail(`${name}(${x[i]}) = ${y[i]}, correctly rounded ${e}`);
    }
  }
});

test('element-wise binary ops with broadcasting, and their gradients', { skip }, async () => {
  const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div], ['maximum', tf.maximum], ['minimum', tf.minimum],
    ['squaredDifference', tf.squaredDifference],
  ];
  const shapes: [number[], number[]][] = [
    [[5, 7], [5, 7]], [[128, 40], [40]], [[3, 1, 4], [1, 5, 1]], [[1, 6, 9], [6, 9]], [[2, 3, 4, 5], [1]], [[], [3, 2]],
    [[4, 1], [4, 3]], [[1], [1]], [[0, 3], [3]], [[2, 1, 3, 1], [2, 4, 1, 5]], [[7, 1, 1], [7, 2, 3]], [[300, 500], [300, 500]],
    [[1025, 1024], [1025, 1024]], [[1025, 1024], [1024]], // over the threading threshold (2²⁰): flat and broadcast
  ];
  for (const [name, op] of ops) {
    for (const [sa, sb] of shapes) {
      const av = uniform(rng, size(sa)), bv = uniform(rng, size(sb), name === 'div' ? 0.5 : -1, name === 'div' ? 2 : 1);
      const what = `${name} [${sa}] [${sb}]`;
      await assertSame(what, () => op(tf.tensor(av, sa), tf.tensor(bv, sb)));
      await assertSame(`${what} reversed`, () => op(tf.tensor(bv, sb), tf.add(tf.tensor(av, sa), 3)));
      // tfjs-core does not reduce the gradients of maximum, minimum and squaredDifference over broadcast dims (on any
      // backend): equal shapes only for those.
      const sameShape = sa.length === sb.length && sa.every((d, i) => d === sb[i]);
      if (size(sa) > 0 && size(sb) > 0 && size(sa) < 1000 && (sameShape || ['add', 'sub', 'mul', 'div'].includes(name))) {
        await assertSame(`${what} grads`, () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a, b), op(a, b))))([tf.tensor(av, sa), tf.tensor(bv, sb)]));
      }
    }
  }
  await tf.setBackend('native');
  nativeKernelCalls(true);
  tf.tidy(() => tf.mul(tf.ones([3, 1, 4]), tf.ones([5, 1])));
  assertRanNatively('Multiply', 'broadcast multiply');
});

test('unary ops and activations, with NaN, ±0 and large values, and their gradients', { skip }, async () => {
  const ops: [string, (x: tf.Tensor) => tf.Tensor, number, number][] = [
    ['relu', tf.relu, -3, 3], ['sigmoid', tf.sigmoid, -20, 20], ['exp', tf.exp, -5, 5], ['log', tf.log, 0.01, 5],
    ['sqrt', tf.sqrt, 0, 5], ['square', tf.square, -3, 3], ['neg', tf.neg, -3, 3], ['abs', tf.abs, -3, 3],
    ['tanh', tf.tanh, -5, 5], ['rsqrt', tf.rsqrt, 0.1, 5], ['reciprocal', tf.reciprocal, 0.2, 5], ['log1p', tf.log1p, -0.9, 5],
    ['step', (x) => tf.step(x, 0.25), -3, 3], ['leakyRelu', (x) => tf.leakyRelu(x, 0.2), -3, 3],
  ];
  for (const [name, op, lo, hi] of ops) {
    for (const shape of [[1], [13], [128, 400], [0, 5], [2, 3, 5]]) {
      const xv = uniform(rng, size(shape), lo, hi);
      if (xv.length > 3) {
        xv[0] = NaN;
        xv[1] = 0;
      }
      await assertSame(`${name} [${shape}]`, () => op(tf.tensor(xv, shape)), 2e-6);
      const clean = uniform(rng, size(shape), lo, hi);
      if (name !== 'step') await assertSame(`${name} [${shape}] grad`, () => tf.grad(op)(tf.tensor(clean, shape)), 2e-6);
    }
  }
});

test('sum over every combination of axes, with keepDims', { skip }, async () => {
  for (const shape of [[7], [128, 400], [3, 1, 5], [2, 3, 4, 5], [0, 4], [1, 1]]) {
    const xv = uniform(rng, size(shape));
    const rank = shape.length;
    for (let mask = 0; mask < 1 << rank; mask++) {
      const axes = [...Array(rank).keys()].filter((a) => (mask >> a) & 1);
      for (const keepDims of [false, true]) {
        await assertSame(`sum [${shape}] axes [${axes}] keep ${keepDims}`, () => tf.sum(tf.tensor(xv, shape), axes.length ? axes : undefined, keepDims), 1e-5);
      }
    }
  }
  const xv = uniform(rng, 24);
  await assertSame('sum negative axis', () => tf.sum(tf.tensor(xv, [2, 3, 4]), -1));
  await assertSame('sum int32 (cpu fallback)', () => tf.sum(tf.tensor([1, 2, 3], [3], 'int32')));
});

test('gradients of sum and mean (native broadcasts dy instead of multiplying by ones): the same values as cpu, NaN and ±Infinity included', { skip }, async () => {
  for (const shape of [[7], [16, 5, 5, 3], [3, 1, 5], [0, 4], [1, 1]]) {
    const rank = shape.length;
    const xv = uniform(rng, size(shape));
    for (let mask = 0; mask < 1 << rank; mask++) {
      const axes = [...Array(rank).keys()].filter((a) => (mask >> a) & 1);
      for (const [name, op] of [['sum', tf.sum], ['mean', tf.mean]] as const) {
        for (const keepDims of [false, true]) {
          const what = `${name} [${shape}] axes [${axes}] keep ${keepDims} grad`;
          // The weights make dy differ per output element; one of them is NaN, one Infinity, where there is room.
          await assertSame(what, () => tf.grad((x: tf.Tensor) => {
            const r = op(x, axes.length ? axes : undefined, keepDims);
            const w = Float32Array.from({ length: r.size }, (_, i) => (i === 1 ? NaN : i === 2 ? Infinity : i + 0.5));
            return tf.sum(tf.mul(r, tf.tensor(w, r.shape)));
          })(tf.tensor(xv, shape)), 0);
        }
      }
    }
  }
  await tf.setBackend('native');
  nativeKernelCalls(true);
  tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(x, 0))(tf.ones([64, 8])));
  const calls = nativeKernelCalls(true);
  assert.ok((calls.native['Tile'] ?? 0) > 0 && calls.native['Multiply'] === undefined, `a broadcast, no multiplication: ${JSON.stringify(calls)}`);
});

test('cast to float32, zerosLike and comparisons on native: values, and bool outputs from the pool stay intact while held', { skip }, async () => {
  const iv = Int32Array.from({ length: 50 }, (_, i) => i * 7 - 100);
  await assertSame('cast int32 → float32', () => tf.cast(tf.tensor(iv, [5, 10], 'int32'), 'float32'), 0);
  await assertSame('cast bool → float32', () => tf.cast(tf.greater(tf.tensor(iv, [50], 'int32'), 0), 'float32'), 0);
  await assertSame('zerosLike', () => tf.zerosLike(tf.tensor(uniform(rng, 40), [4, 10])), 0);
  await assertSame('zerosLike int32 (cpu fallback)', () => tf.zerosLike(tf.tensor([1, 2], [2], 'int32')), 0);
  await tf.setBackend('native');
  const a = tf.tensor(uniform(rng, 8192), [64, 128]);
  const held = tf.greater(a, 0);
  const copy = held.dataSync().slice();
  for (let i = 0; i < 20; i++) tf.tidy(() => tf.less(tf.neg(a), 0.5));
  assert.deepEqual(held.dataSync(), copy);
  tf.dispose([a, held]);
});

test('activation gradients in one native pass (relu, leaky relu, sigmoid, tanh): relu′ and leaky relu′ bit for bit the cpu values, with NaN, ±0 and ±Infinity', { skip }, async () => {
  const specials = [NaN, 0, -0, Infinity, -Infinity, 1e-30, -1e-30];
  for (const n of [7, 1000, 1_050_001]) { // 1,050,001: over the threading threshold (2²⁰), odd tail
    const xv = uniform(rng, n, -4, 4), dv = uniform(rng, n, -2, 2);
    specials.forEach((v, i) => { xv[i] = v; dv[(i + 3) % n] = v; });
    // Sigmoid's and tanh's gradients are computed from their outputs, which differ from cpu's by float rounding.
    for (const [name, op, tol] of [['relu', tf.relu, 0], ['leakyRelu', (x: tf.Tensor) => tf.leakyRelu(x, 0.3), 0], ['sigmoid', tf.sigmoid, 1e-6], ['tanh', tf.tanh, 1e-6]] as const) {
      await assertSame(`${name}′ [${n}]`, () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(op(x), tf.tensor(dv))))(tf.tensor(xv)), tol);
    }
  }
  await tf.setBackend('native');
  nativeKernelCalls(true);
  tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.relu(x)))(tf.ones([5])));
  assertRanNatively('GenlabActivationGrad', 'relu gradient');
});

test('gradients of gradients (WGAN-GP\'s penalty) through batch norm, relu and mean: as on cpu (TF.js\'s own gradients run there)', { skip }, async () => {
  // (TF.js itself cannot take second-order gradients through leaky relu, sigmoid or tanh: scratch/gp-cpu-check.ts.)
  const xs = [4, 3, 3, 5], ws = [5, 5];
  const xv = uniform(rng, size(xs), -2, 2), wv = uniform(rng, size(ws)), g = uniform(rng, 5, 0.5, 2), b = uniform(rng, 5);
  const critic = (x: tf.Tensor, w: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const h = tf.relu(tf.batchNorm(x, mean, variance, offset, scale, 1e-3));
    return tf.mean(tf.matMul(tf.reshape(h, [-1, 5]), w));
  };
  // The penalty: the squared norm of the critic's gradient with respect to its input, differentiated again.
  await assertSame('gradient penalty grads', () => tf.grads((w: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
    const dx = tf.grad((x: tf.Tensor) => critic(x, w, scale, offset))(tf.tensor(xv, xs));
    return tf.sum(tf.square(dx));
  })([tf.tensor(wv, ws), tf.tensor(g), tf.tensor(b)]), 1e-4);
});

test('a VAE trains on native: its loss falls and follows the cpu backend closely', { skip }, async () => {
  const data = makeDataset({ name: 'blobs', kind: 'images', shape: [8, 8, 1], data: (() => {
    const r = new Rng(5);
    const out = new Float32Array(256 * 64);
    for (let i = 0; i < 256; i++) {
      const cy = 2 + r.int(4), cx = 2 + r.int(4);
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) out[i * 64 + y * 8 + x] = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 3);
    }
    return out;
  })() });
  const losses: Record<string, number[]> = {};
  for (const backend of ['cpu', 'native'] as const) {
    await initEngine({ backend });
    const model = createModel('vae', { arch: 'mlp', hidden: [32], latent: 4 }, { shape: [8, 8, 1], kind: 'images' }, new Rng(0));
    try {
      const result = await fit(model, { train: data }, { epochs: 6, batchSize: 32, seed: 3 });
      losses[backend] = result.metrics.filter((m) => m.split === 'train').map((m) => Number(m['loss']));
    } finally {
      model.dispose();
    }
  }
  const cpu = losses['cpu']!, native = losses['native']!;
  assert.equal(native.length, 6, `one train loss per epoch: ${JSON.stringify(native)}`);
  assert.ok(native.every(Number.isFinite), `finite losses ${native}`);
  assert.ok(native[5]! < native[0]! * 0.9, `the loss falls: ${native}`);
  for (let i = 0; i < cpu.length; i++) {
    assert.ok(Math.abs(native[i]! - cpu[i]!) <= 1e-3 * Math.abs(cpu[i]!) + 1e-3, `epoch ${i}: native ${native[i]} vs cpu ${cpu[i]}`);
  }
});

test('mean, tile, comparisons, select and batch normalisation, with their gradients', { skip }, async () => {
  for (const shape of [[7], [64, 7, 7, 6], [3, 1, 5], [0, 4]]) {
    const xv = uniform(rng, size(shape));
    const rank = shape.length;
    for (let mask = 0; mask < 1 << rank; mask++) {
      const axes = [...Array(rank).keys()].filter((a) => (mask >> a) & 1);
      await assertSame(`mean [${shape}] axes [${axes}]`, () => tf.mean(tf.tensor(xv, shape), axes.length ? axes : undefined, mask % 2 === 1), 1e-5);
    }
  }
  for (const [shape, reps] of [[[1, 1, 1, 5], [4, 3, 2, 1]], [[2, 3], [2, 2]], [[3, 1], [1, 4]], [[1], [0]]] as [number[], number[]][]) {
    const xv = uniform(rng, size(shape));
    await assertSame(`tile [${shape}] × [${reps}]`, () => tf.tile(tf.tensor(xv, shape), reps));
  }
  const cmp: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['greater', tf.greater], ['greaterEqual', tf.greaterEqual], ['less', tf.less], ['lessEqual', tf.lessEqual], ['equal', tf.equal], ['notEqual', tf.notEqual],
  ];
  for (const [name, op] of cmp) {
    for (const [sa, sb] of [[[40, 3], [40, 3]], [[5, 1, 3], [4, 1]], [[6], []], [[0], [1]]] as [number[], number[]][]) {
      const av = uniform(rng, size(sa)).map((v) => Math.round(v * 3) / 3), bv = uniform(rng, size(sb)).map((v) => Math.round(v * 3) / 3);
      if (av.length > 2) av[0] = NaN;
      await assertSame(`${name} [${sa}] [${sb}]`, () => op(tf.tensor(av, sa), tf.tensor(bv, sb)));
    }
  }
  const cv = uniform(rng, 60), tv = uniform(rng, 60), ev = uniform(rng, 60);
  await assertSame('where', () => tf.where(tf.greater(tf.tensor(cv, [6, 10]), 0), tf.tensor(tv, [6, 10]), tf.tensor(ev, [6, 10])));
  for (const shape of [[16, 5, 5, 3], [10, 4]]) {
    const c = shape[shape.length - 1]!;
    const xv = uniform(rng, size(shape)), g = uniform(rng, c, 0.5, 2), b = uniform(rng, c);
    const bn = (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
      const axes = shape.slice(0, -1).map((_, i) => i);
      const { mean, variance } = tf.moments(x, axes);
      return tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
    };
    await assertSame(`batchNorm [${shape}]`, () => bn(tf.tensor(xv, shape), tf.tensor(g), tf.tensor(b)), 1e-4);
    await assertSame(`batchNorm [${shape}] grads`, () =>
      tf.grads((x: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.square(tf.sin(bn(x, s, o)))))([tf.tensor(xv, shape), tf.tensor(g), tf.tensor(b)]), 1e-3);
    await assertSame(`batchNorm [${shape}] without scale and offset`, () => tf.batchNorm(tf.tensor(xv, shape), tf.zeros([c]), tf.ones([c]), undefined, undefined, 0.01));
  }
  await tf.setBackend('native');
  nativeKernelCalls(true);
  tf.tidy(() => tf.batchNorm(tf.ones([2, 3]), tf.zeros([3]), tf.ones([3]), tf.zeros([3]), tf.ones([3])));
  assertRanNatively('FusedBatchNorm', 'batchNorm');
});

test('batch-norm gradient in one native pass: x, mean, variance, scale and offset gradients as on cpu (TF.js differentiates batchNorm only with scale, offset and per-channel statistics)', { skip }, async () => {
  for (const shape of [[3, 5, 7, 6], [64, 7, 7, 64], [1, 1, 1, 1], [2, 1, 9, 5]]) {
    const c = shape[3]!;
    const xv = uniform(rng, size(shape), -2, 3), g = uniform(rng, c, 0.5, 2), b = uniform(rng, c), w = uniform(rng, size(shape));
    const axes = [0, 1, 2];
    // The moments come from x, so dx includes the paths through mean and variance, as in a batch-norm layer.
    const loss = (x: tf.Tensor, scale?: tf.Tensor, offset?: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, axes);
      return tf.sum(tf.mul(tf.batchNorm(x, mean, variance, offset, scale, 1e-3), tf.tensor(w, shape)));
    };
    await assertSame(`batchNorm grads [${shape}]`, () => tf.grads(loss)([tf.tensor(xv, shape), tf.tensor(g), tf.tensor(b)]), 1e-4);
    // Fixed statistics: the gradients of mean and variance as inputs.
    const mv = uniform(rng, c), vv = uniform(rng, c, 0.1, 2);
    await assertSame(`batchNorm grads [${shape}] wrt mean and variance`, () =>
      tf.grads((x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(x, m, v, tf.tensor(b), s, 1e-3), tf.tensor(w, shape))))(
        [tf.tensor(xv, shape), tf.tensor(mv), tf.tensor(vv), tf.tensor(g)]), 1e-4);
  }
  await tf.setBackend('native');
  nativeKernelCalls(true);
  tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.batchNorm(x, tf.zeros([3]), tf.ones([3]), tf.zeros([3]), tf.ones([3]))))(tf.ones([2, 2, 2, 3])));
  assertRanNatively('GenlabFusedBatchNormGrad', 'batchNorm gradient');
});

test('outputs recycled through the pool never change tensors or arrays that callers still hold', { skip }, async () => {
  await tf.setBackend('native');
  const a = tf.tensor(uniform(rng, 4096), [64, 64]);
  const held = tf.relu(a);
  const view = held.dataSync();
  const copy = view.slice();
  for (let i = 0; i < 20; i++) tf.tidy(() => tf.mul(tf.relu(a), 3));
  const kept = tf.tidy(() => tf.keep(tf.add(a, 1)));
  const snapshot = kept.dataSync().slice();
  for (let i = 0; i < 20; i++) tf.tidy(() => tf.neg(tf.add(a, 2)));
  assert.deepEqual(held.dataSync(), copy);
  assert.deepEqual(view, copy, 'a dataSync() array stays as it was');
  assert.deepEqual(kept.dataSync(), snapshot);
  const reshaped = tf.reshape(held, [4096]);
  held.dispose();
  for (let i = 0; i < 5; i++) tf.tidy(() => tf.relu(tf.neg(a)));
  assert.deepEqual(reshaped.dataSync(), copy, 'a reshape shares the data; disposing the original keeps it');
  tf.dispose([a, kept, reshaped]);
});

test('slice and split: values and gradients; views of pooled outputs stay valid', { skip }, async () => {
  for (const [shape, begin, sz] of [
    [[128, 40], [0, 20], [128, 20]], [[5, 6, 7], [1, 2, 3], [3, -1, 2]], [[9], [4], [5]], [[4, 6], [1, 0], [2, 6]], [[3, 4], [0, 0], [0, 4]],
  ] as [number[], number[], number[]][]) {
    const xv = uniform(rng, size(shape));
    await assertSame(`slice [${shape}] at [${begin}] size [${sz}]`, () => tf.slice(tf.tensor(xv, shape), begin, sz));
    await assertSame(`slice [${shape}] grad`, () => tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.slice(x, begin, sz))))(tf.tensor(xv, shape)));
  }
  for (const [shape, splits, axis] of [[[128, 40], 2, 1], [[6, 5, 4], [1, 3, 2], 0], [[3, 8], [2, -1, 1], -1]] as [number[], number | number[], number][]) {
    const xv = uniform(rng, size(shape));
    await assertSame(`split [${shape}] ${JSON.stringify(splits)} axis ${axis}`, () => tf.split(tf.tensor(xv, shape), splits, axis));
  }
  await tf.setBackend('native');
  const a = tf.tensor(uniform(rng, 4096), [64, 64]);
  const r = tf.relu(a); // pooled
  const rows = tf.slice(r, [8, 0], [8, 64]); // contiguous: the cpu kernel may answer with a view of r's array
  const expected = rows.dataSync().slice();
  r.dispose();
  for (let i = 0; i < 10; i++) tf.tidy(() => tf.neg(tf.relu(a)));
  assert.deepEqual(rows.dataSync(), expected, 'a slice outlives the tensor it was cut from');
  tf.dispose([a, rows]);
});

test('training-mode batch norm in one native op (y, batch mean and variance) and its one-pass gradient: as TF.js\'s moments + batchNorm on cpu, gradients through the moments included', { skip }, async () => {
  for (const shape of [[3, 5, 7, 6], [64, 7, 7, 64], [64, 14, 14, 32], [1, 1, 1, 1], [2, 9, 5], [7, 3]]) {
    const c = shape[shape.length - 1]!;
    const xv = uniform(rng, size(shape), -2, 3), g = uniform(rng, c, 0.5, 2), b = uniform(rng, c), w = uniform(rng, size(shape));
    const wm = uniform(rng, c), wv = uniform(rng, c);
    await assertSame(`batchNormTraining [${shape}]`, () => {
      const { y, mean, variance } = batchNormTraining(tf.tensor(xv, shape), tf.tensor(g), tf.tensor(b), 1e-5);
      return [y, mean, variance];
    }, 1e-5);
    // The loss reads y and, weighted, the batch moments: dx includes the gradients that reach the mean and variance outputs.
    const loss = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
      const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-3);
      return tf.addN([tf.sum(tf.mul(y, tf.tensor(w, shape))), tf.sum(tf.mul(mean, tf.tensor(wm))), tf.sum(tf.mul(variance, tf.tensor(wv)))]);
    };
    await assertSame(`batchNormTraining grads [${shape}]`, () => tf.grads(loss)([tf.tensor(xv, shape), tf.tensor(g), tf.tensor(b)]), 1e-4);
  }
  await tf.setBackend('native');
  nativeKernelCalls(true);
  tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(batchNormTraining(x, tf.ones([3]), tf.zeros([3]), 1e-3).y))(tf.ones([2, 2, 2, 3])));
  assertRanNatively('GenlabBatchNormTrainingGrad', 'batchNormTraining gradient');
});

test('gradients of gradients through the training-mode batch-norm op (0-GP through a batch-normalised critic): as on cpu', { skip }, async () => {
  const xs = [4, 3, 3, 5], ws = [5, 5];
  const xv = uniform(rng, size(xs), -2, 2), wv = uniform(rng, size(ws)), g = uniform(rng, 5, 0.5, 2), b = uniform(rng, 5);
  const critic = (x: tf.Tensor, w: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) =>
    tf.mean(tf.matMul(tf.reshape(tf.relu(batchNormTraining(x, scale, offset, 1e-3).y), [-1, 5]), w));
  await assertSame('gradient penalty grads through batchNormTraining', () => tf.grads((w: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
    const dx = tf.grad((x: tf.Tensor) => critic(x, w, scale, offset))(tf.tensor(xv, xs));
    return tf.sum(tf.square(dx));
  })([tf.tensor(wv, ws), tf.tensor(g), tf.tensor(b)]), 1e-4);
});

test('the batch-norm layer of genlab\'s nets on native (one op) against tfjs-layers\' own on cpu: training output, moving averages, weight and input gradients; inference output', { skip }, async () => {
  const shape = [16, 7, 7, 8];
  const xv = uniform(rng, size(shape), -1, 2), w = uniform(rng, size(shape));
  const build = (layer: tfl.layers.Layer) => {
    const input = tfl.input({ shape: shape.slice(1) });
    const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
    model.setWeights([tf.tensor(uniform(new Rng(1), 8, 0.5, 2)), tf.tensor(uniform(new Rng(2), 8)), tf.tensor(uniform(new Rng(3), 8)), tf.tensor(uniform(new Rng(4), 8, 0.5, 1.5))]);
    return model;
  };
  const run = (makeLayer: () => tfl.layers.Layer) => () => {
    const model = build(makeLayer());
    const x = tf.tensor(xv, shape);
    const weights = model.trainableWeights.map((v) => v.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, tf.tensor(w, shape))) as tf.Scalar, weights);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(model.apply(input, { training: true }) as tf.Tensor, tf.tensor(w, shape))))(x);
    const inference = model.apply(x, { training: false }) as tf.Tensor;
    const out = [value, ...weights.map((v) => grads[v.name]!), dx, inference, ...model.nonTrainableWeights.map((v) => tf.clone(v.read()))];
    model.dispose();
    return out;
  };
  const args = { momentum: 0.9, epsilon: 1e-5 };
  const cpu = await valuesOn('cpu', run(() => tfl.layers.batchNormalization(args)));
  nativeKernelCalls(true);
  const native = await valuesOn('native', run(() => batchNormalization(args)));
  assertRanNatively('GenlabBatchNormTraining', 'the layer\'s training pass');
  assert.equal(native.length, cpu.length);
  cpu.forEach((c, i) => assertClose(native[i]!, c, `batch-norm layer [output ${i}]`, 1e-4));
});

test('dense and conv2d layers of genlab\'s nets: inside a gradient, the same values and weight gradients as tfjs-layers\' own (on cpu), without the input gradient that nothing asks for', { skip }, async () => {
  const shape = [6, 12, 12, 3];
  const xv = uniform(rng, size(shape));
  const build = (conv: typeof tfl.layers.conv2d, denseLayer: typeof tfl.layers.dense) => {
    const input = tfl.input({ shape: shape.slice(1) });
    const h = conv({ filters: 8, kernelSize: 5, strides: 2, padding: 'same', useBias: true }).apply(input) as tfl.SymbolicTensor;
    const flat = tfl.layers.flatten().apply(h) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: denseLayer({ units: 4 }).apply(flat) as tfl.SymbolicTensor });
    model.setWeights(model.getWeights().map((w, i) => tf.tensor(uniform(new Rng(10 + i), w.size), w.shape)));
    return model;
  };
  const run = (conv: typeof tfl.layers.conv2d, denseLayer: typeof tfl.layers.dense) => () => {
    const model = build(conv, denseLayer);
    const weights = model.trainableWeights.map((v) => v.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(tf.tensor(xv, shape), { training: true }) as tf.Tensor)) as tf.Scalar, weights);
    const out = [value, ...weights.map((v) => grads[v.name]!), model.predict(tf.tensor(xv, shape)) as tf.Tensor];
    model.dispose();
    return out;
  };
  const cpu = await valuesOn('cpu', run(tfl.layers.conv2d, tfl.layers.dense));
  nativeKernelCalls(true);
  const native = await valuesOn('native', run(conv2d as typeof tfl.layers.conv2d, dense as typeof tfl.layers.dense));
  const calls = nativeKernelCalls(true);
  cpu.forEach((c, i) => assertClose(native[i]!, c, `conv2d + dense [output ${i}]`, 1e-4));
  assert.equal(calls.native['Conv2DBackpropInput'] ?? 0, 0, `the first layer's input gradient ran: ${JSON.stringify(calls.native)}`);
  assert.ok((calls.native['Conv2DBackpropFilter'] ?? 0) > 0, 'the filter gradient ran natively');
  await valuesOn('native', run(tfl.layers.conv2d, tfl.layers.dense));
  assert.ok((nativeKernelCalls(true).native['Conv2DBackpropInput'] ?? 0) > 0, 'tfjs-layers\' own conv2d computes the input gradient (what these layers avoid)');
});

test('the input gradient on im2col (few channels) over a batch big enough for both threads: as on cpu', { skip }, async () => {
  // 64 images of 32×32×3, 5×5 kernels, stride 2: the product holds 64·16·16·75 ≈ 1.2M values, past the size from which
  // col2im splits the images over threads.
  const xs = [64, 32, 32, 3] as [number, number, number, number], fs = [5, 5, 3, 16] as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(xs, fs, 2, 1, 'same');
  assert.equal(loadNativeAddon().convImpl(1, 64, 32, 32, 3, 5, 5, 16, info.outHeight, info.outWidth, 2, 2, info.padInfo.top, info.padInfo.left, 1, 1), null);
  const ys = [64, info.outHeight, info.outWidth, 16] as [number, number, number, number];
  const yv = uniform(rng, size(ys)), fv = uniform(rng, size(fs));
  await assertSame('conv2dTranspose [64,16,16,16] → [64,32,32,3]', () => tf.conv2dTranspose(tf.tensor4d(yv, ys), tf.tensor4d(fv, fs), xs, 2, 'same'));
});
