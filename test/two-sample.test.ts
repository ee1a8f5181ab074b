/**
 * The classifier two-sample test (eval/two-sample.ts): real sprites against other real sprites are not told apart,
 * sprites against blurred sprites are; a seed gives one result; no tensors are left behind; bad input is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { loadPokemon } from '../src/data/pokemon.js';
import { classifierTwoSampleTest, type ImageSet } from '../src/eval/two-sample.js';

await initEngine();

const SHAPE = [20, 20, 3] as const;
const SIZE = 20 * 20 * 3;
const { train, test: heldOut } = await loadPokemon({ seed: 0, size: 20 });
const rows = (from: number, to: number): ImageSet => ({ data: train.data.subarray(from * SIZE, to * SIZE), count: to - from });
const heldOutSet: ImageSet = { data: heldOut.data, count: heldOut.count };

/** Each sprite averaged over its 3×3 neighbourhood (edges clamped): what a blurry generator paints. */
function blurred(set: ImageSet): ImageSet {
  const out = new Float32Array(set.data.length);
  for (let i = 0; i < set.count; i++) {
    for (let r = 0; r < 20; r++) {
      for (let q = 0; q < 20; q++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let dr = -1; dr <= 1; dr++) for (let dq = -1; dq <= 1; dq++) sum += set.data[i * SIZE + (Math.min(19, Math.max(0, r + dr)) * 20 + Math.min(19, Math.max(0, q + dq))) * 3 + c]!;
          out[i * SIZE + (r * 20 + q) * 3 + c] = sum / 9;
        }
      }
    }
  }
  return { data: out, count: set.count };
}

test('real sprites against other real sprites: near chance; against blurred sprites: told apart', () => {
  // Training sprites 0–399 are "real", 400–799 stand in for samples; unseen: the held-out sprites and 800–999.
  const same = classifierTwoSampleTest(rows(0, 400), rows(400, 800), heldOutSet, rows(800, 1000), SHAPE, { seed: 1 });
  assert.ok(Math.abs(same.accuracy - 0.5) < 0.12, `real against real: ${same.accuracy}`);
  const blur = classifierTwoSampleTest(rows(0, 400), blurred(rows(400, 800)), heldOutSet, blurred(rows(800, 1000)), SHAPE, { seed: 1 });
  assert.ok(blur.accuracy > 0.85, `real against blurred: ${blur.accuracy}`);
  assert.ok(blur.realAccuracy > 0.7 && blur.fakeAccuracy > 0.7, `both sides: ${blur.realAccuracy}, ${blur.fakeAccuracy}`);
  assert.deepEqual([blur.trainedPerSide, blur.testReal, blur.testFake], [400, heldOut.count, 200]);
});

test('the same seed gives the same result, and no tensors are left behind', () => {
  const run = () => classifierTwoSampleTest(rows(0, 100), blurred(rows(100, 200)), heldOutSet, blurred(rows(200, 300)), SHAPE, { seed: 3, epochs: 2 });
  const first = run();
  const before = tf.memory().numTensors;
  const second = run();
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(second, first);
});

test('images of the wrong size and empty sets are refused with the set named', () => {
  assert.throws(() => classifierTwoSampleTest(rows(0, 10), { data: new Float32Array(SIZE + 1), count: 1 }, heldOutSet, rows(10, 20), SHAPE), /two-sample test: trainFake: 1201 values are not 1 images of 20×20×3/);
  assert.throws(() => classifierTwoSampleTest(rows(0, 10), rows(10, 20), { data: new Float32Array(0), count: 0 }, rows(20, 30), SHAPE), /two-sample test: testReal: needs at least one image/);
});
