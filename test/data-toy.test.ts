import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { TOY_SETS, loadToy, sampleToy, toyModes } from '../src/data/toy.js';

/** Mean and standard deviation of the distances of points to their own mode centre, per coordinate. */
function withinModeStd(points: Float32Array, modes: Int32Array, centres: number[][], dims: number): number {
  let ss = 0;
  for (let i = 0; i < modes.length; i++) {
    const c = centres[modes[i]!]!;
    for (let d = 0; d < dims; d++) ss += (points[i * dims + d]! - c[d]!) ** 2;
  }
  return Math.sqrt(ss / (modes.length * dims));
}

/** Index of the nearest centre, computed from the point alone (not from the returned mode). */
function nearest(p: number[], centres: number[][]): number {
  let best = 0, bestD = Infinity;
  centres.forEach((c, k) => {
    const d = c.reduce((acc, ck, j) => acc + (ck - p[j]!) ** 2, 0);
    if (d < bestD) { bestD = d; best = k; }
  });
  return best;
}

test('ring8: radii ≈ 2, 8 modes of ≈ 1/8 each, within-mode std ≈ 0.02', () => {
  const n = 16000;
  const { points, dims, modes } = sampleToy('ring8', n, new Rng(1));
  assert.equal(dims, 2);
  assert.ok(modes);
  const m = toyModes('ring8')!;
  assert.equal(m.centres.length, 8);
  const counts = new Array<number>(8).fill(0);
  let radiusSum = 0;
  for (let i = 0; i < n; i++) {
    const p = [points[2 * i]!, points[2 * i + 1]!];
    radiusSum += Math.hypot(p[0]!, p[1]!);
    const k = nearest(p, m.centres);
    assert.equal(k, modes[i], 'each point lies nearest to its own mode');
    counts[k]!++;
  }
  assert.ok(Math.abs(radiusSum / n - 2) < 0.005, `mean radius ${radiusSum / n}`);
  for (const c of counts) assert.ok(Math.abs(c / n - 1 / 8) < 0.015, `mode share ${c / n}`);
  // The centres are on the circle, 45° apart.
  for (const [x, y] of m.centres) assert.ok(Math.abs(Math.hypot(x!, y!) - 2) < 1e-12);
  const std = withinModeStd(points, modes, m.centres, 2);
  assert.ok(Math.abs(std - 0.02) < 0.001, `within-mode std ${std}`);
});

test('grid25: 25 modes on the 5×5 grid, all used, within-mode std ≈ 0.05', () => {
  const n = 25000;
  const { points, modes } = sampleToy('grid25', n, new Rng(2));
  const m = toyModes('grid25')!;
  assert.equal(m.centres.length, 25);
  const xs = new Set(m.centres.map((c) => c[0]));
  assert.deepEqual([...xs].sort((a, b) => a! - b!), [-4, -2, 0, 2, 4]);
  const counts = new Array<number>(25).fill(0);
  for (let i = 0; i < n; i++) counts[nearest([points[2 * i]!, points[2 * i + 1]!], m.centres)]!++;
  for (const c of counts) assert.ok(Math.abs(c / n - 1 / 25) < 0.01, `mode share ${c / n}`);
  const std = withinModeStd(points, modes!, m.centres, 2);
  assert.ok(Math.abs(std - 0.05) < 0.002, `within-mode std ${std}`);
});

test('gauss1d: mixture mean and variance match Σw·μ and Σw(σ²+μ²) − mean²', () => {
  const n = 40000;
  const { points, dims, modes } = sampleToy('gauss1d', n, new Rng(3));
  assert.equal(dims, 1);
  const m = toyModes('gauss1d')!;
  // The documented parameters.
  assert.deepEqual(m.centres, [[-2], [0.5], [3]]);
  assert.deepEqual(m.weights, [0.3, 0.5, 0.2]);
  assert.deepEqual(m.stds, [0.4, 0.6, 0.3]);
  const mean = m.weights.reduce((a, w, k) => a + w * m.centres[k]![0]!, 0);
  const variance = m.weights.reduce((a, w, k) => a + w * (m.stds[k]! ** 2 + m.centres[k]![0]! ** 2), 0) - mean ** 2;
  let s = 0, s2 = 0;
  for (const x of points) { s += x; s2 += x * x; }
  const sampleMean = s / n;
  const sampleVar = s2 / n - sampleMean ** 2;
  assert.ok(Math.abs(sampleMean - mean) < 0.03, `mean ${sampleMean} vs ${mean}`);
  assert.ok(Math.abs(sampleVar / variance - 1) < 0.03, `variance ${sampleVar} vs ${variance}`);
  // Component shares follow the weights.
  const counts = [0, 0, 0];
  for (const k of modes!) counts[k]!++;
  m.weights.forEach((w, k) => assert.ok(Math.abs(counts[k]! / n - w) < 0.01, `share of mode ${k}`));
  assert.equal(m.std, Math.max(...m.stds));
});

test('spiral and two-moons: shapes, ranges and components', () => {
  const spiral = sampleToy('spiral', 2000, new Rng(4));
  assert.equal(spiral.modes, null);
  assert.equal(toyModes('spiral'), null);
  let maxR = 0;
  for (let i = 0; i < 2000; i++) maxR = Math.max(maxR, Math.hypot(spiral.points[2 * i]!, spiral.points[2 * i + 1]!));
  assert.ok(maxR > 2.5 && maxR < 3.6, `spiral radius ${maxR}`);

  const moons = sampleToy('two-moons', 4000, new Rng(5));
  assert.equal(toyModes('two-moons'), null);
  for (let i = 0; i < 4000; i++) {
    const x = moons.points[2 * i]!, y = moons.points[2 * i + 1]!;
    // Distance to the moon's own arc: unit circle around (0, 0) for the upper, around (1, 0.5) for the lower.
    const [cx, cy] = moons.modes![i] === 0 ? [0, 0] : [1, 0.5];
    assert.ok(Math.abs(Math.hypot(x - cx, y - cy) - 1) < 0.3, `point ${i} off its moon`);
    assert.ok(x > -1.3 && x < 2.3 && y > -0.8 && y < 1.3);
  }
});

test('loadToy: seeded, train ≠ test, shape and class labels', () => {
  for (const name of TOY_SETS) {
    const a = loadToy(name, { trainCount: 500, testCount: 200, seed: 7 });
    const b = loadToy(name, { trainCount: 500, testCount: 200, seed: 7 });
    const c = loadToy(name, { trainCount: 500, testCount: 200, seed: 8 });
    assert.equal(a.train.kind, 'points');
    assert.deepEqual(a.train.shape, [name === 'gauss1d' ? 1 : 2]);
    assert.equal(a.train.count, 500);
    assert.equal(a.test.count, 200);
    assert.deepEqual(a.train.data, b.train.data, `${name}: same seed, same train`);
    assert.deepEqual(a.test.data, b.test.data, `${name}: same seed, same test`);
    assert.notDeepEqual(a.train.data, c.train.data, `${name}: other seed, other data`);
    assert.notDeepEqual(a.train.data.subarray(0, a.test.data.length), a.test.data, `${name}: train and test differ`);
    if (name === 'spiral') assert.equal(a.train.labels, undefined);
    else {
      assert.equal(a.train.labels?.kind, 'class');
      if (a.train.labels?.kind === 'class') {
        const modes = toyModes(name);
        if (modes) assert.equal(a.train.labels.classes.length, modes.centres.length);
        for (const v of a.train.labels.values) assert.ok(v >= 0 && v < a.train.labels.classes.length);
      }
    }
  }
  // Larger counts extend the stream (the test split does not depend on the train count).
  const small = loadToy('ring8', { trainCount: 10, testCount: 50, seed: 1 });
  const large = loadToy('ring8', { trainCount: 1000, testCount: 50, seed: 1 });
  assert.deepEqual(small.test.data, large.test.data);
  const dflt = loadToy('ring8');
  assert.equal(dflt.train.count, 10000);
  assert.equal(dflt.test.count, 2000);
});

test('unknown toy name: GenlabError listing the valid names', () => {
  for (const call of [() => loadToy('ring9'), () => sampleToy('nope', 10, new Rng(0)), () => toyModes('x')]) {
    assert.throws(call, (e: unknown) => {
      assert.ok(e instanceof GenlabError);
      assert.equal(e.code, 'bad-input');
      for (const name of TOY_SETS) assert.ok(e.message.includes(name), `message names ${name}: ${e.message}`);
      return true;
    });
  }
  assert.throws(() => sampleToy('ring8', -1, new Rng(0)), GenlabError);
});
