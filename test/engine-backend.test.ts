/**
 * Backend choice: native by default in Node when its addon was built, else wasm with the reason said once; cpu on
 * request (environment or option), a clear error for unknown names, and the wasm training kernels in place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { GenlabError } from '../src/engine/errors.js';
import { NODE_BACKENDS, describeEngine, engineInfo, initEngine, preferredBackends } from '../src/engine/backend.js';
import { loadNativeAddon } from '../src/engine/native.js';

/** Why the native addon cannot load here, or null when it can. */
const nativeMissing = ((): string | null => {
  try {
    loadNativeAddon();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
})();

/** Runs `fn` with GENLAB_BACKEND set to `value` (or unset), restoring it afterwards. */
async function withEnv<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env['GENLAB_BACKEND'];
  if (value === undefined) delete process.env['GENLAB_BACKEND'];
  else process.env['GENLAB_BACKEND'] = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env['GENLAB_BACKEND'];
    else process.env['GENLAB_BACKEND'] = saved;
  }
}

test('in Node, initEngine picks native by default (wasm, saying why, when the addon is missing), and registers the wasm training kernels', async () => {
  assert.deepEqual(preferredBackends(), NODE_BACKENDS);
  assert.equal(NODE_BACKENDS[0], 'native');
  assert.equal(engineInfo(), null);
  const info = await withEnv(undefined, () => initEngine());
  assert.equal(info.platform, 'node');
  // The fast paths (engine/fast-paths/, test/engine-fast-paths.test.ts), named in the result and counted in the line.
  assert.deepEqual(info.fastPaths.layers, ['Dense', 'Conv2D', 'Conv2DTranspose', 'DepthwiseConv2D', 'BatchNormalization']);
  assert.equal(info.fastPaths.opGradients.length, 10);
  if (nativeMissing === null) {
    assert.equal(info.backend, 'native');
    assert.deepEqual(info.fallbacks, []);
    assert.equal(info.fastPaths.nativeGradients.length, 7);
    assert.equal(describeEngine(info), 'backend native; fast paths: 5 layers, 10 op gradients, 7 native gradients, shared tape saves');
  } else {
    assert.equal(info.backend, 'wasm');
    assert.deepEqual(info.fallbacks, [{ backend: 'native', reason: nativeMissing }]);
    assert.deepEqual(info.fastPaths.nativeGradients, [], 'no native gradients without the native backend');
    assert.equal(describeEngine(info), `backend wasm (native unavailable: ${nativeMissing}); fast paths: 5 layers, 10 op gradients, shared tape saves`);
  }
  assert.equal(tf.getBackend(), info.backend);
  assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined, 'Conv2DBackpropFilter registered for wasm');
  // Idempotent: the same request returns the same engine.
  assert.equal(await withEnv(undefined, () => initEngine()), info);
  assert.equal(await withEnv('', () => initEngine()), info, 'an empty GENLAB_BACKEND means auto');
});

test('GENLAB_BACKEND=cpu and { backend: "cpu" } give cpu; the option wins over the environment', async () => {
  const fromEnv = await withEnv('cpu', () => initEngine());
  assert.equal(fromEnv.backend, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  const back = await withEnv('wasm', () => initEngine());
  assert.equal(back.backend, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  const fromOption = await withEnv('wasm', () => initEngine({ backend: 'cpu' }));
  assert.equal(fromOption.backend, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  const optionOverBadEnv = await withEnv('nonsense', () => initEngine({ backend: 'wasm' }));
  assert.equal(optionOverBadEnv.backend, 'wasm');
});

test('an unknown backend name is a GenlabError naming where it came from and listing the valid choices', async () => {
  const check = (where: string) => (e: unknown) => {
    assert.ok(e instanceof GenlabError, `a GenlabError, got ${String(e)}`);
    assert.equal(e.code, 'bad-input');
    assert.equal(e.exitCode, 2);
    assert.match(e.message, new RegExp(where.replace(/-/g, '\\-')));
    assert.match(e.message, /'tpu'/);
    for (const choice of ['auto', 'wasm', 'cpu']) assert.ok(e.message.includes(choice), `lists ${choice}: ${e.message}`);
    return true;
  };
  await withEnv('tpu', () => assert.rejects(initEngine(), check('GENLAB_BACKEND')));
  await withEnv(undefined, () => assert.rejects(initEngine({ backend: 'tpu' as 'cpu' }), check('--backend')));
  // Browser-only backends are unknown in Node too.
  await withEnv('webgl', () => assert.rejects(initEngine(), (e: unknown) => e instanceof GenlabError && /GENLAB_BACKEND/.test(e.message)));
  // A failed request leaves the engine as it was.
  assert.equal(tf.getBackend(), engineInfo()!.backend);
});
