/**
 * Tape saves without copies (src/engine/fast-paths/tape.ts): gradients — first order, and second order through a
 * gradient penalty — are the very numbers TF.js's own cloning saves give, on every Node backend; a step runs no
 * Identity kernel for its saves; nothing is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { tapeSavesShared } from '../src/engine/fast-paths/tape.js';
import { loadNativeAddon } from '../src/engine/native.js';
import { Rng } from '../src/engine/rng.js';
import { createModel } from '../src/models/kinds.js';
import type { TrainableModel } from '../src/models/model.js';

const backends = ((): ('cpu' | 'wasm' | 'native')[] => {
  try {
    loadNativeAddon();
    return ['cpu', 'wasm', 'native'];
  } catch {
    return ['cpu', 'wasm'];
  }
})();

type Engine = { saveTensorsForBackwardMode: (ts: tf.Tensor[]) => tf.Tensor[]; keep<T extends tf.Tensor>(t: T): T; clone(t: tf.Tensor): tf.Tensor };

/** Runs f with TF.js's own saves (a clone per saved tensor, its code as in tfjs-core's engine.ts). */
function withClonedSaves<T>(f: () => T): T {
  const engine = tf.engine() as unknown as Engine;
  const shared = engine.saveTensorsForBackwardMode;
  engine.saveTensorsForBackwardMode = function (this: Engine, tensors) {
    return tensors.map((t) => this.keep(this.clone(t)));
  };
  try {
    return f();
  } finally {
    engine.saveTensorsForBackwardMode = shared;
  }
}

const images = { shape: [8, 8, 1], kind: 'images' as const };

/** Every loss group's gradients with respect to its own variables on one fixed batch, as numbers. */
function groupGradients(model: TrainableModel): Float32Array[] {
  const x = tf.randomUniform([6, 8, 8, 1], 0, 1, 'float32', 7);
  const out: Float32Array[] = [];
  for (const g of model.lossGroups()) {
    const { value, grads } = tf.variableGrads(() => g.loss({ x }, new Rng(3), 0).loss, g.variables);
    out.push(Float32Array.from(value.dataSync()), ...g.variables.map((v) => Float32Array.from(grads[v.name]!.dataSync())));
    tf.dispose([value, ...Object.values(grads)]);
  }
  x.dispose();
  return out;
}

test('gradients with shared saves are the numbers cloned saves give: a VAE, a DCGAN with batch norm, and WGAN-GP\'s second-order penalty', async () => {
  for (const backend of backends) {
    await initEngine({ backend });
    assert.ok(tapeSavesShared(), `${backend}: installed`);
    const models = [
      createModel('vae', { hidden: [16], latent: 3 }, images, new Rng(1)),
      createModel('dcgan', { latent: 4, filters: [4, 8] }, images, new Rng(1)),
      createModel('wgan-gp', { arch: 'conv', latent: 4, filters: [4, 8] }, images, new Rng(1)),
    ];
    for (const m of models) {
      const before = tf.memory().numTensors;
      const shared = groupGradients(m);
      assert.equal(tf.memory().numTensors, before, `${backend} ${m.kind}: no tensor left`);
      const cloned = withClonedSaves(() => groupGradients(m));
      assert.equal(shared.length, cloned.length);
      shared.forEach((a, i) => assert.deepEqual(a, cloned[i], `${backend} ${m.kind}: array ${i}`));
      assert.ok(shared.some((a) => a.some((v) => v !== 0)), `${backend} ${m.kind}: gradients are not all zero`);
      m.dispose();
    }
  }
});

test('a training step runs no Identity kernel per saved tensor, and its memory stays flat', async () => {
  await initEngine({ backend: backends.at(-1)! });
  const m = createModel('vae', { hidden: [16], latent: 3 }, images, new Rng(1));
  const [group] = m.lossGroups();
  const x = tf.randomUniform([6, 8, 8, 1], 0, 1, 'float32', 7);
  const step = (): void => tf.tidy(() => void tf.variableGrads(() => group!.loss({ x }, new Rng(3), 0).loss, group!.variables));
  const identities = async (f: () => void): Promise<number> => (await tf.profile(f)).kernels.filter((k) => k.name === 'Identity').length;
  const cloned = await identities(() => withClonedSaves(step));
  const shared = await identities(step);
  assert.ok(cloned >= 10 && shared <= cloned - 10, `Identity kernels: ${shared} shared, ${cloned} cloned`);
  step();
  const { numTensors, numBytes } = tf.memory();
  for (let i = 0; i < 20; i++) step();
  assert.deepEqual([tf.memory().numTensors, tf.memory().numBytes], [numTensors, numBytes]);
  x.dispose();
  m.dispose();
});
