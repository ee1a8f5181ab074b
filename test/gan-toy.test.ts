import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { sampleToy, toyModes } from '../src/data/toy.js';
import { createModel } from '../src/models/kinds.js';
import { discriminatorGrid, modeMetrics, type Discriminating } from '../src/eval/gan-toy.js';

await initEngine();

test('mode metrics: samples of the true ring8 and grid25 cover every mode, ~99% high quality (1 − e^−4.5 in 2-D)', () => {
  for (const set of ['ring8', 'grid25'] as const) {
    const { points } = sampleToy(set, 2500, new Rng(1));
    const m = modeMetrics(points, 2, toyModes(set)!);
    assert.equal(m.modesTotal, set === 'ring8' ? 8 : 25);
    assert.equal(m.modesCovered, m.modesTotal);
    assert.ok(Math.abs(m.highQuality - (1 - Math.exp(-4.5))) < 0.006, `${set}: ${m.highQuality}`);
    assert.equal(m.perMode.reduce((a, b) => a + b, 0), Math.round(m.highQuality * 2500));
  }
  assert.deepEqual(modeMetrics(sampleToy('grid25', 2500, new Rng(2)).points, 2, toyModes('grid25')!).threshold, new Array(25).fill(20), '20 of 2,500 per mode');
  // gauss1d: per-mode stds and weights; 99.7% within 3σ in 1-D.
  const g = modeMetrics(sampleToy('gauss1d', 5000, new Rng(3)).points, 1, toyModes('gauss1d')!);
  assert.equal(g.modesCovered, 3);
  assert.ok(g.highQuality > 0.99, String(g.highQuality));
  assert.deepEqual(g.threshold, [300, 500, 200]);
});

test('mode metrics: all samples at one mode cover 1 of 8; uniform noise is rarely high quality; near misses are not', () => {
  const modes = toyModes('ring8')!;
  const one = new Float32Array(2 * 1000);
  for (let i = 0; i < 1000; i++) one.set([2 + 0.01 * Math.sin(i), 0.01 * Math.cos(i)], 2 * i);
  const collapsed = modeMetrics(one, 2, modes);
  assert.deepEqual([collapsed.modesCovered, collapsed.highQuality], [1, 1]);
  const rng = new Rng(4);
  const noise = Float32Array.from({ length: 2 * 2500 }, () => -3 + 6 * rng.uniform());
  const u = modeMetrics(noise, 2, modes);
  assert.ok(u.highQuality < 0.01, String(u.highQuality));
  assert.equal(u.modesCovered, 0);
  // A few stray samples near a mode do not cover it; 4 std away is not high quality.
  const stray = Float32Array.from([...one.subarray(0, 1990), -2, 0, -2, 0, -2, 0, -2, 0, 0, 2.08]);
  const s = modeMetrics(stray, 2, modes);
  assert.equal(s.modesCovered, 1);
  assert.equal(s.perMode[4], 4);
  assert.equal(s.perMode[2], 0, '(0, 2.08) is 4σ from (0, 2)');
  assert.throws(() => modeMetrics([1, 2, 3], 2, modes), GenlabError);
});

test('discriminatorGrid: D over a 1-D line and a 2-D grid, row-major in y, as probabilities', async () => {
  const gan1 = createModel('gan', { hidden: [8], latent: 2 }, { shape: [1], kind: 'points' }, new Rng(1));
  const line = await discriminatorGrid(gan1, { x: [-4, 4] }, 9);
  assert.equal(line.ys, null);
  assert.deepEqual(Array.from(line.xs), [-4, -3, -2, -1, 0, 1, 2, 3, 4]);
  const direct = tf.tidy(() => gan1.discriminate(tf.tensor2d([[-3]])).dataSync()[0]!);
  assert.ok(Math.abs(line.values[1]! - direct) < 1e-6);
  assert.equal(line.output, 'probability');
  gan1.dispose();

  const gan2 = createModel('gan', { hidden: [8], latent: 2, loss: 'lsgan' }, { shape: [2], kind: 'points' }, new Rng(1));
  const grid = await discriminatorGrid(gan2, { x: [0, 1], y: [10, 12] }, 3, { batchSize: 4 });
  assert.deepEqual(Array.from(grid.ys!), [10, 11, 12]);
  assert.equal(grid.values.length, 9);
  const at = tf.tidy(() => gan2.discriminate(tf.tensor2d([[0.5, 12]])).dataSync()[0]!); // ix = 1, iy = 2
  assert.ok(Math.abs(grid.values[2 * 3 + 1]! - at) < 1e-6);
  assert.equal(grid.output, 'score');
  await assert.rejects(discriminatorGrid(gan2, { x: [0, 1] }, 3), /2-D data need a y range/);
  gan2.dispose();
  const image: Discriminating = { dataShape: [2, 2, 1], discriminatorOutput: 'probability', discriminate: () => tf.zeros([1]) };
  await assert.rejects(discriminatorGrid(image, { x: [0, 1] }, 3), /1-D or 2-D points/);
});
