/**
 * The engine's fast paths (src/engine/fast-paths/): importing genlab's modules installs nothing; initEngine installs
 * the faster layer classes, the gradients of genlab's ops and (with the native backend) the native gradients, whatever
 * order tfjs-layers and genlab were imported in, says what it installed, and puts back what a copy of tfjs-layers
 * evaluated later replaced. Each order runs in a child process of its own, as a process installs them only once.
 */
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { describeEngine, initEngine } from '../src/engine/backend.js';
import { activeFastPaths, installFastPaths, type FastPaths } from '../src/engine/fast-paths/index.js';
import { loadNativeAddon } from '../src/engine/native.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const nativeAvailable = ((): boolean => {
  try {
    loadNativeAddon();
    return true;
  } catch {
    return false;
  }
})();

const LAYERS = ['Dense', 'Conv2D', 'Conv2DTranspose', 'DepthwiseConv2D', 'BatchNormalization'];
const OP_GRADIENTS = ['GenlabBatchNormTraining', 'GenlabBernoulliLogLikelihood', 'GenlabKlStandardNormal', 'GenlabReparameterize', 'GenlabDense',
  'GenlabDenseActivation', 'GenlabConv2D', 'GenlabConv2DActivation', 'GenlabConv2DTranspose', 'GenlabConv2DTransposeActivation'];
const NATIVE_GRADIENTS = ['Sum', 'Mean', 'FusedBatchNorm', 'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh'];
const ALL: FastPaths = { layers: LAYERS, opGradients: OP_GRADIENTS, nativeGradients: nativeAvailable ? NATIVE_GRADIENTS : [], sharedTapeSaves: true };
const NONE: FastPaths = { layers: [], opGradients: [], nativeGradients: [], sharedTapeSaves: false };

/** Lines of a child's module script: a fresh evaluation of tfjs-layers' Node bundle (what a second copy of it does). */
const FRESH_LAYERS = [
  "import { createRequire } from 'node:module';",
  "const requireHere = createRequire(process.cwd() + '/package.json');",
  'const freshLayers = () => {',
  "  const file = requireHere.resolve('@tensorflow/tfjs-layers');",
  '  delete requireHere.cache[file];',
  '  requireHere(file);',
  '};',
];

/**
 * Lines that check, after initEngine, that the fast paths work and not only are listed: deserialisation finds genlab's
 * classes under the stock names, and relu's gradient on native runs the one-pass native kernel.
 */
const CHECK_WORKING = [
  "const fastLayers = await import('./src/nets/layers.ts');",
  "const { nativeKernelCalls } = await import('./src/engine/native.ts');",
  'const classNameMap = tf.serialization.SerializationMap.getMap().classNameMap;',
  "const loadsFast = ['Dense', 'Conv2D', 'Conv2DTranspose', 'DepthwiseConv2D', 'BatchNormalization'].every((name) => classNameMap[name][0] === fastLayers[name]);",
  'nativeKernelCalls(true);',
  'tf.tidy(() => tf.grad((x) => tf.sum(tf.relu(x)))(tf.tensor([-1, 2, 3])).dataSync());',
  "const reluGradNative = (nativeKernelCalls(true).native['GenlabActivationGrad'] ?? 0) > 0;",
];

/**
 * Lines that deserialise a model built of stock layers and set `loadedFast` to whether its layers are genlab's
 * (with one copy of tfjs-layers: with two, deserialisation mixes the copies' classes, which cannot work together).
 */
const CHECK_LOADING = [
  "const { Dense, BatchNormalization } = await import('./src/nets/layers.ts');",
  "const layersApi = await import('@tensorflow/tfjs-layers');",
  'const stock = layersApi.sequential({ layers: [layersApi.layers.dense({ units: 3, inputShape: [2] }), layersApi.layers.batchNormalization()] });',
  'const loaded = await layersApi.models.modelFromJSON({ modelTopology: stock.toJSON(undefined, false) });',
  'const loadedFast = loaded.layers[0] instanceof Dense && loaded.layers[1] instanceof BatchNormalization;',
  'stock.dispose(); loaded.dispose();',
];

/** Runs a module script in a child process at the repository root; returns the JSON object it prints last. */
function child(lines: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', lines.join('\n')], {
    cwd: root,
    env: { ...process.env, GENLAB_BACKEND: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `child exited ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(-800)}`);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

test('importing genlab installs no fast path; initEngine installs them all and says so', () => {
  const out = child([
    "import * as tf from '@tensorflow/tfjs-core';",
    "import { Dense } from './src/nets/layers.ts';",
    "import './src/engine/kernels/fused-losses.ts';",
    "import './src/engine/kernels/batch-norm-training.ts';",
    "import { registerNativeBackend } from './src/engine/native.ts';",
    "import { activeFastPaths } from './src/engine/fast-paths/index.ts';",
    "import { describeEngine, initEngine } from './src/engine/backend.ts';",
    'const before = activeFastPaths();',
    "const denseBefore = tf.serialization.SerializationMap.getMap().classNameMap['Dense'][0] === Dense;",
    'const info = await initEngine();',
    "const denseAfter = tf.serialization.SerializationMap.getMap().classNameMap['Dense'][0] === Dense;",
    'console.log(JSON.stringify({ before, denseBefore, after: info.fastPaths, denseAfter, line: describeEngine(info), backend: info.backend }));',
  ]);
  assert.deepEqual(out['before'], NONE, 'nothing installed at import');
  assert.equal(out['denseBefore'], false, 'the stock Dense deserialises before initEngine');
  assert.deepEqual(out['after'], ALL);
  assert.equal(out['denseAfter'], true);
  assert.equal(out['backend'], nativeAvailable ? 'native' : 'wasm');
  assert.match(String(out['line']), nativeAvailable ? /; fast paths: 5 layers, 10 op gradients, 7 native gradients, shared tape saves$/ : /; fast paths: 5 layers, 10 op gradients, shared tape saves$/);
});

test('tfjs-layers imported after genlab\'s engine, and a copy of it evaluated after that, cannot undo what initEngine installs', () => {
  const out = child([
    "import * as tf from '@tensorflow/tfjs-core';",
    "import { initEngine } from './src/engine/backend.ts';",
    "import { activeFastPaths } from './src/engine/fast-paths/index.ts';",
    ...FRESH_LAYERS,
    "await import('@tensorflow/tfjs-layers');",
    'freshLayers();',
    'const info = await initEngine();',
    ...CHECK_WORKING,
    'console.log(JSON.stringify({ installed: info.fastPaths, active: activeFastPaths(), loadsFast, reluGradNative }));',
  ]);
  assert.deepEqual(out['installed'], ALL);
  assert.deepEqual(out['active'], ALL);
  assert.equal(out['loadsFast'], true, 'genlab\'s classes under the stock names');
  assert.equal(out['reluGradNative'], nativeAvailable, 'relu\'s gradient runs GenlabActivationGrad on native');
});

test('tfjs-layers imported before genlab gets the same fast paths', () => {
  const out = child([
    "import '@tensorflow/tfjs-layers';",
    "import * as tf from '@tensorflow/tfjs-core';",
    "const { initEngine } = await import('./src/engine/backend.ts');",
    'const info = await initEngine();',
    ...CHECK_WORKING,
    ...CHECK_LOADING,
    'console.log(JSON.stringify({ installed: info.fastPaths, loadsFast, loadedFast, reluGradNative }));',
  ]);
  assert.deepEqual(out['installed'], ALL);
  assert.equal(out['loadsFast'], true);
  assert.equal(out['loadedFast'], true, 'a model of stock layers deserialises as genlab\'s layers');
  assert.equal(out['reluGradNative'], nativeAvailable);
});

test('a copy of tfjs-layers evaluated after initEngine puts the stock classes and gradients back; the next initEngine reinstalls them', () => {
  const out = child([
    "import * as tf from '@tensorflow/tfjs-core';",
    "import { initEngine } from './src/engine/backend.ts';",
    "import { activeFastPaths } from './src/engine/fast-paths/index.ts';",
    ...FRESH_LAYERS,
    'const info = await initEngine();',
    'freshLayers();',
    'const undone = activeFastPaths();',
    'const again = await initEngine();',
    ...CHECK_WORKING,
    'console.log(JSON.stringify({ undone, reinstalled: again.fastPaths, same: again === info, loadsFast, reluGradNative }));',
  ]);
  // The op gradients are genlab's own kernels, which tfjs-layers knows nothing of, and the tape is tfjs-core's: they stay.
  assert.deepEqual(out['undone'], { layers: [], opGradients: OP_GRADIENTS, nativeGradients: [], sharedTapeSaves: true });
  assert.deepEqual(out['reinstalled'], ALL);
  assert.equal(out['same'], true, 'the same engine, its fastPaths brought up to date');
  assert.equal(out['loadsFast'], true);
  assert.equal(out['reluGradNative'], nativeAvailable);
});

test('installing again changes nothing: no gradient wrapped twice, no class registered again', async () => {
  const info = await initEngine();
  assert.deepEqual(info.fastPaths, ALL);
  const gradients = [...OP_GRADIENTS, ...NATIVE_GRADIENTS].map((name) => tf.getGradient(name));
  const classes = LAYERS.map((name) => tf.serialization.SerializationMap.getMap().classNameMap[name]![0]);
  assert.deepEqual(installFastPaths(), ALL);
  assert.deepEqual(activeFastPaths(), ALL);
  [...OP_GRADIENTS, ...NATIVE_GRADIENTS].forEach((name, i) => assert.equal(tf.getGradient(name), gradients[i], `${name}'s gradient unchanged`));
  LAYERS.forEach((name, i) => assert.equal(tf.serialization.SerializationMap.getMap().classNameMap[name]![0], classes[i], `${name} unchanged`));
  assert.match(describeEngine(info), /fast paths: 5 layers, 10 op gradients/);
});
