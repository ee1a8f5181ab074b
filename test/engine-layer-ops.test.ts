/**
 * genlab's layer ops on the native backend (src/engine/kernels/dense.ts, conv.ts, bias-activation.ts): a dense layer,
 * a convolution and a transposed convolution with their bias and activation as one op each, and their gradients —
 * against TF.js's own ops (matMul/conv2d/conv2dTranspose, add, the activation) on cpu, and bit for bit against the same
 * TF.js ops on native where the float32 operations are the same (linear and relu). Also: the in-place Adam update
 * leaves no one else's tensor changed, and the work-sharing threads (native/src/pool.cc) give the same products as cpu
 * at sizes they split, and let the process exit.
 *
 * Skipped, with the reason, when the native addon was not built because no oneDNN was found (as engine-native).
 */
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { initEngine } from '../src/engine/backend.js';
import { nativeBuildStatus, nativeKernelCalls } from '../src/engine/native.js';
import type { NativeBackend } from '../src/engine/native/backend.js';
import { Rng } from '../src/engine/rng.js';
import { fusedDense } from '../src/engine/kernels/dense.js';
import { fusedConv2d, fusedConv2dTranspose } from '../src/engine/kernels/conv.js';
import { FusedAdam } from '../src/train/index.js';
import { conv2d, conv2dTranspose, dense } from '../src/nets/layers.js';
import { assertClose, size, uniform, valuesOn, type Values } from './helpers/backends.js';

const status = nativeBuildStatus();
const noLibrary = status !== null && status.library === null;
const skip = noLibrary ? `native backend not built: ${status.reason}` : false;

const rng = new Rng(20261204);
const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'elu'] as const;
type Act = (typeof ACTIVATIONS)[number];

/** TF.js's activation ops, as tfjs-layers applies them. */
function activate(y: tf.Tensor, activation: Act): tf.Tensor {
  return activation === 'linear' ? y : activation === 'relu' ? tf.relu(y) : activation === 'sigmoid' ? tf.sigmoid(y) : activation === 'tanh' ? tf.tanh(y) : tf.elu(y);
}

/** The value and gradients (of every input) of sum(f(inputs)²) — a loss that weighs every output differently. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): tf.Tensor[] {
  const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => tf.sum(tf.square(f(...xs))) as tf.Scalar)(inputs);
  return [f(...inputs), value, ...grads];
}

function assertBitwise(actual: Values[], expected: Values[], what: string): void {
  expected.forEach((e, i) => assert.deepEqual(Array.from(actual[i]!), Array.from(e), `${what} [output ${i}]: not bit for bit`));
}

async function checkOp(what: string, op: (...xs: tf.Tensor[]) => tf.Tensor | null, composite: (...xs: tf.Tensor[]) => tf.Tensor, inputs: () => tf.Tensor[],
  activation: Act, opKernel: string, tol = 1e-4): Promise<void> {
  const cpu = await valuesOn('cpu', () => valueAndGrads(composite, inputs()));
  nativeKernelCalls(true);
  const native = await valuesOn('native', () => valueAndGrads((...xs) => {
    const y = op(...xs);
    assert.ok(y !== null, `${what}: the op declined`);
    return y;
  }, inputs()));
  const calls = nativeKernelCalls(true).native;
  assert.ok((calls[opKernel] ?? 0) > 0, `${what}: ${opKernel} never ran natively (${JSON.stringify(calls)})`);
  const backward = activation === 'linear' && !what.includes('bias') ? null : 'GenlabBiasActivationGrad';
  if (backward) assert.ok((calls[backward] ?? 0) > 0, `${what}: ${backward} never ran (${JSON.stringify(calls)})`);
  cpu.forEach((c, i) => assertClose(native[i]!, c, `${what} [output ${i}]`, tol));
  if (activation === 'linear' || activation === 'relu') {
    assertBitwise(native, await valuesOn('native', () => valueAndGrads(composite, inputs())), `${what} against TF.js's ops on native`);
  }
}

test('the dense op: value and gradients of x, kernel and bias as TF.js\'s matMul + add + activation (cpu), bit for bit on native for linear and relu', { skip }, async () => {
  await initEngine({ backend: 'native' });
  for (const activation of ACTIVATIONS) {
    for (const withBias of [true, false]) {
      const n = 1 + rng.int(40), k = 1 + rng.int(50), u = 1 + rng.int(30);
      const xv = uniform(rng, n * k, -2, 2), wv = uniform(rng, k * u), bv = uniform(rng, u);
      const inputs = () => [tf.tensor2d(xv, [n, k]), tf.tensor2d(wv, [k, u]), ...(withBias ? [tf.tensor1d(bv)] : [])];
      await checkOp(`dense [${n}, ${k}]·[${k}, ${u}] ${activation}${withBias ? ' + bias' : ''}`,
        (x, w, b) => fusedDense(x!, w!, b ?? null, activation),
        (x, w, b) => activate(b ? tf.add(tf.matMul(x!, w!), b) : tf.matMul(x!, w!), activation),
        inputs, activation, activation === 'linear' ? 'GenlabDense' : 'GenlabDenseActivation');
    }
  }
});

test('the convolution ops: value and gradients of x, filter and bias as TF.js\'s conv2d / conv2dTranspose + add + activation (cpu), bit for bit on native for linear and relu', { skip }, async () => {
  await initEngine({ backend: 'native' });
  const cases: { x: [number, number, number, number]; k: number; c: number; f: number; s: number; pad: 'same' | 'valid' }[] = [
    { x: [3, 9, 7, 2], k: 3, c: 2, f: 4, s: 1, pad: 'same' },
    { x: [5, 14, 14, 8], k: 5, c: 8, f: 6, s: 2, pad: 'same' },
    { x: [2, 11, 10, 3], k: 4, c: 3, f: 5, s: 2, pad: 'valid' },
    { x: [35, 14, 14, 32], k: 5, c: 32, f: 16, s: 2, pad: 'same' }, // big enough for the work-sharing threads, odd batch
  ];
  for (const [i, cs] of cases.entries()) {
    const activation = ACTIVATIONS[i % ACTIVATIONS.length]!;
    const fs = [cs.k, cs.k, cs.c, cs.f];
    const xv = uniform(rng, size(cs.x), -2, 2), wv = uniform(rng, size(fs), -0.3, 0.3), bv = uniform(rng, cs.f);
    const what = `conv2d [${cs.x}] ⊛ [${fs}] s${cs.s} ${cs.pad} ${activation} + bias`;
    await checkOp(what, (x, w, b) => fusedConv2d(x!, w!, b!, [cs.s, cs.s], cs.pad, activation),
      (x, w, b) => activate(tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, cs.s, cs.pad), b!), activation),
      () => [tf.tensor4d(xv, cs.x), tf.tensor4d(wv, fs as [number, number, number, number]), tf.tensor1d(bv)], activation, activation === 'linear' ? 'GenlabConv2D' : 'GenlabConv2DActivation');
    // The transposed convolution that maps the convolution's output shape back to x's.
    const info = tf.backend_util.computeConv2DInfo(cs.x, fs as [number, number, number, number], cs.s, 1, cs.pad);
    const ys: [number, number, number, number] = [cs.x[0], info.outHeight, info.outWidth, cs.f];
    const out: [number, number, number, number] = cs.pad === 'same' ? [cs.x[0], ys[1] * cs.s, ys[2] * cs.s, cs.c] : [cs.x[0], ys[1] * cs.s + Math.max(cs.k - cs.s, 0), ys[2] * cs.s + Math.max(cs.k - cs.s, 0), cs.c];
    const yv = uniform(rng, size(ys), -2, 2), cb = uniform(rng, cs.c);
    const act2 = ACTIVATIONS[(i + 2) % ACTIVATIONS.length]!;
    await checkOp(`conv2dTranspose [${ys}] → [${out}] ${act2} + bias`, (y, w, b) => fusedConv2dTranspose(y!, w!, b!, out, [cs.s, cs.s], cs.pad, act2),
      (y, w, b) => activate(tf.add(tf.conv2dTranspose(y as tf.Tensor4D, w as tf.Tensor4D, out, cs.s, cs.pad), b!), act2),
      () => [tf.tensor4d(yv, ys), tf.tensor4d(wv, fs as [number, number, number, number]), tf.tensor1d(cb)], act2,
      act2 === 'linear' ? 'GenlabConv2DTranspose' : 'GenlabConv2DTransposeActivation', 2e-4);
  }
});

test('while a gradient of a gradient is recorded (WGAN-GP\'s penalty) the layer ops step aside: TF.js\'s own ops run, as on cpu', { skip }, async () => {
  await initEngine({ backend: 'native' });
  const xs: [number, number, number, number] = [4, 8, 8, 3], fs: [number, number, number, number] = [3, 3, 3, 5];
  const xv = uniform(rng, size(xs), -1, 1), fv = uniform(rng, size(fs), -0.5, 0.5), cb = uniform(rng, 5), wv = uniform(rng, 80 * 6), bv = uniform(rng, 6);
  const declined: (tf.Tensor | null)[] = [];
  const critic = (fused: boolean) => (x: tf.Tensor, f: tf.Tensor, c: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
    const conv = fused ? fusedConv2d(x, f, c, [2, 2], 'same', 'linear') : null;
    const h = conv ?? tf.add(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'), c);
    const flat = tf.reshape(tf.relu(h), [4, 80]); // (TF.js cannot differentiate leaky relu's gradient)
    const d = fused ? fusedDense(flat, w, b, 'relu') : null;
    if (fused) declined.push(conv, d);
    return tf.mean(d ?? tf.relu(tf.add(tf.matMul(flat, w), b)));
  };
  const penalty = (fused: boolean) => () => tf.grads((f: tf.Tensor, c: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
    const dx = tf.grad((x: tf.Tensor) => critic(fused)(x, f, c, w, b))(tf.tensor4d(xv, xs));
    return tf.sum(tf.square(dx));
  })([tf.tensor4d(fv, fs), tf.tensor1d(cb), tf.tensor2d(wv, [80, 6]), tf.tensor1d(bv)]);
  const cpu = await valuesOn('cpu', penalty(false));
  const native = await valuesOn('native', penalty(true));
  cpu.forEach((c, i) => assertClose(native[i]!, c, `penalty grads [${i}]`, 1e-4));
  assert.deepEqual(declined, [null, null], 'both ops declined inside the outer gradient');
});

test('the nets\' dense, conv2d and conv2dTranspose layers in training (inside a gradient): the values and weight gradients of tfjs-layers\' own on cpu, through the one-op forms', { skip }, async () => {
  const shape = [6, 12, 12, 3];
  const xv = uniform(rng, size(shape));
  type Builders = { conv: typeof tfl.layers.conv2d; convT: typeof tfl.layers.conv2dTranspose; dense: typeof tfl.layers.dense };
  let trainingCalls: Record<string, number> = {};
  const run = (b: Builders) => () => {
    const input = tfl.input({ shape: shape.slice(1) });
    let h = b.conv({ filters: 8, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu' }).apply(input) as tfl.SymbolicTensor;
    h = b.convT({ filters: 4, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' }).apply(h) as tfl.SymbolicTensor;
    const flat = tfl.layers.flatten().apply(h) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: b.dense({ units: 3, activation: 'sigmoid' }).apply(flat) as tfl.SymbolicTensor });
    model.setWeights(model.getWeights().map((w, i) => tf.tensor(uniform(new Rng(30 + i), w.size), w.shape)));
    const weights = model.trainableWeights.map((v) => v.read() as tf.Variable);
    nativeKernelCalls(true);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(tf.tensor(xv, shape), { training: true }) as tf.Tensor)) as tf.Scalar, weights);
    trainingCalls = nativeKernelCalls(true).native;
    const out = [value, ...weights.map((v) => grads[v.name]!), model.predict(tf.tensor(xv, shape)) as tf.Tensor];
    model.dispose();
    return out;
  };
  await initEngine({ backend: 'native' });
  const cpu = await valuesOn('cpu', run({ conv: tfl.layers.conv2d, convT: tfl.layers.conv2dTranspose, dense: tfl.layers.dense }));
  const native = await valuesOn('native', run({ conv: conv2d as typeof tfl.layers.conv2d, convT: conv2dTranspose as typeof tfl.layers.conv2dTranspose, dense: dense as typeof tfl.layers.dense }));
  const calls = trainingCalls;
  cpu.forEach((c, i) => assertClose(native[i]!, c, `layers [output ${i}]`, 1e-4));
  for (const k of ['GenlabConv2DActivation', 'GenlabConv2DTransposeActivation', 'GenlabDenseActivation', 'GenlabBiasActivationGrad']) {
    assert.ok((calls[k] ?? 0) > 0, `${k} ran: ${JSON.stringify(calls)}`);
  }
  assert.equal(calls['Conv2DBackpropInput'] ?? 0, 0, 'the first layer\'s input gradient is not computed');
});

test('fused Adam updates in place from its second step, and no other tensor sees it: a clone of a variable keeps its value', { skip }, async () => {
  await initEngine({ backend: 'native' });
  const backend = tf.backend() as NativeBackend;
  const arrayOf = (t: tf.Tensor) => backend.data.get(t.dataId)!.values;
  const v = tf.variable(tf.tensor(uniform(rng, 5000), [50, 100]));
  const opt = new FusedAdam(0.01, 0.9, 0.999, 1e-7);
  const step = () => tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: tf.mul(v, 0.5) }]));
  step();
  step();
  const before = arrayOf(v);
  step();
  assert.equal(arrayOf(v), before, 'the third step wrote into the same array');
  const clone = tf.clone(v);
  const kept = clone.dataSync().slice();
  step();
  assert.deepEqual(clone.dataSync(), kept, 'the clone still holds the value it had');
  assert.notDeepEqual(v.dataSync(), kept, 'the variable moved on');
  tf.dispose([v, clone]);
  opt.dispose();
});

test('products and convolutions that the work-sharing threads split match cpu (odd sizes, transposes)', { skip }, async () => {
  await initEngine({ backend: 'native' });
  for (const [m, k, n, tA, tB] of [[129, 785, 401, false, false], [785, 129, 401, true, false], [129, 401, 785, false, true], [3, 2000, 1500, false, false]] as const) {
    const av = uniform(rng, m * k), bv = uniform(rng, k * n);
    const f = () => tf.matMul(tf.tensor2d(av, tA ? [k, m] : [m, k]), tf.tensor2d(bv, tB ? [n, k] : [k, n]), tA, tB);
    const [cpu, native] = [await valuesOn('cpu', f), await valuesOn('native', f)];
    assertClose(native[0]!, cpu[0]!, `matMul ${m}×${k}×${n} tA ${tA} tB ${tB}`, 1e-5);
  }
});

test('a process that used the work-sharing threads exits (its sleeping helper does not hold it)', { skip }, () => {
  const script = [
    "import * as tf from '@tensorflow/tfjs-core';",
    "import { initEngine } from './src/engine/backend.ts';",
    "await initEngine({ backend: 'native' });",
    'for (let i = 0; i < 4; i++) tf.tidy(() => tf.matMul(tf.ones([128, 784]), tf.ones([784, 400])).dataSync());',
    "console.log('done');",
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)), env: { ...process.env, GENLAB_NATIVE_THREADS: '2' }, encoding: 'utf8', timeout: 60_000,
  });
  assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(-300)}`);
  assert.match(r.stdout, /done/);
});
