import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GenlabError } from '../src/engine/errors.js';
import { loadMoons, moonPhaseSequence, renderMoon } from '../src/data/moons.js';

const sum = (a: ArrayLike<number>, from = 0, to = a.length): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i]!;
  return s;
};

/** Sum of the right half minus the left half of a size×size image. */
function rightMinusLeft(img: Float32Array, size: number): number {
  let d = 0;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) d += (x < size / 2 ? -1 : 1) * img[y * size + x]!;
  return d;
}

test('renderMoon: lit area shrinks with phase like π r² (1 + cos φ) / 2', () => {
  const size = 48, radius = 16;
  const disc = (Math.PI * radius * radius) / (size * size);
  let previous = Infinity;
  for (let phase = 0; phase <= 170; phase += 10) {
    const img = renderMoon(phase, { size, radius });
    assert.equal(img.length, size * size);
    for (const v of img) assert.ok(v >= 0 && v <= 1);
    const frac = sum(img) / (size * size);
    assert.ok(frac < previous, `area at ${phase}° (${frac}) below the one before (${previous})`);
    previous = frac;
    const expected = (disc * (1 + Math.cos((phase * Math.PI) / 180))) / 2;
    assert.ok(Math.abs(frac - expected) < 0.01 * disc, `phase ${phase}: ${frac} vs ${expected}`);
  }
  const full = sum(renderMoon(0, { size, radius })) / (size * size);
  const half = sum(renderMoon(90, { size, radius })) / (size * size);
  const crescent = sum(renderMoon(160, { size, radius })) / (size * size);
  assert.ok(Math.abs(full / disc - 1) < 0.01, 'full moon fills the disc');
  assert.ok(Math.abs(half / full - 0.5) < 0.02, 'half moon is half the disc');
  assert.ok(crescent / full < 0.05 && crescent > 0, 'crescent is thin but visible');
});

test('renderMoon: lit side, tilt, brightness, dark side, anti-aliasing', () => {
  const size = 32;
  const half = renderMoon(90, { size });
  assert.ok(rightMinusLeft(half, size) > 0.4 * sum(half), 'lit half on the right');
  assert.ok(rightMinusLeft(renderMoon(-90, { size }), size) < -0.4 * sum(half), 'negative phase: lit on the left');
  // Tilt 180° mirrors the half moon to the left side.
  assert.ok(rightMinusLeft(renderMoon(90, { size, tilt: 180 }), size) < -0.4 * sum(half));
  // Brightness scales the lit surface; the dark side adds a faint disc.
  const dim = renderMoon(0, { size, brightness: 0.5 });
  assert.ok(Math.abs(sum(dim) / sum(renderMoon(0, { size })) - 0.5) < 1e-5);
  const crescent = renderMoon(150, { size });
  const shine = renderMoon(150, { size, darkSide: 0.1 });
  assert.ok(sum(shine) > sum(crescent));
  assert.equal(shine[Math.floor(size / 2) * size + Math.floor(size / 2) - 4], Math.fround(0.1), 'the unlit centre shows the dark side');
  // Supersampling leaves fractional values on the rim; without it, only 0 and 1.
  assert.ok(Array.from(renderMoon(0, { size })).some((v) => v > 0.05 && v < 0.95));
  assert.ok(Array.from(renderMoon(0, { size, supersample: 1 })).every((v) => v === 0 || v === 1));
  // Corners are sky.
  assert.equal(half[0], 0);
  assert.equal(half[size * size - 1], 0);
  assert.throws(() => renderMoon(Number.NaN, { size }), GenlabError);
});

test('loadMoons: seeded, shape, labels in [0, maxPhase], lit area falls with phase', () => {
  const a = loadMoons({ trainCount: 300, testCount: 60, seed: 3 });
  const b = loadMoons({ trainCount: 300, testCount: 60, seed: 3 });
  const c = loadMoons({ trainCount: 300, testCount: 60, seed: 4 });
  assert.deepEqual(a.train.data, b.train.data);
  assert.deepEqual(a.test.data, b.test.data);
  assert.deepEqual(a.train.labels, b.train.labels);
  assert.notDeepEqual(a.train.data, c.train.data);
  assert.notDeepEqual(a.train.data.subarray(0, a.test.data.length), a.test.data, 'train and test differ');
  assert.equal(a.train.kind, 'images');
  assert.deepEqual(a.train.shape, [28, 28, 1]);
  assert.equal(a.train.count, 300);
  assert.equal(a.test.count, 60);
  for (const v of a.train.data) assert.ok(v >= 0 && v <= 1);
  const labels = a.train.labels;
  assert.ok(labels?.kind === 'value');
  assert.equal(labels.name, 'phase (deg)');
  for (const p of labels.values) assert.ok(p >= 0 && p <= 160);
  assert.ok(Math.max(...labels.values) > 140 && Math.min(...labels.values) < 20, 'phases cover the range');

  // Lit mass vs phase: strongly negatively correlated despite the nuisance variation.
  const px = 28 * 28;
  const mass = Array.from({ length: 300 }, (_, i) => sum(a.train.data, i * px, (i + 1) * px));
  const phases = Array.from(labels.values);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const mm = mean(mass), mp = mean(phases);
  let cov = 0, vm = 0, vp = 0;
  for (let i = 0; i < 300; i++) {
    cov += (mass[i]! - mm) * (phases[i]! - mp);
    vm += (mass[i]! - mm) ** 2;
    vp += (phases[i]! - mp) ** 2;
  }
  assert.ok(cov / Math.sqrt(vm * vp) < -0.9, `correlation ${cov / Math.sqrt(vm * vp)}`);
  // The nuisance variation is real: two moons of nearly the same phase still differ.
  const full = Array.from({ length: 300 }, (_, i) => i).filter((i) => phases[i]! < 15);
  assert.ok(full.length >= 2);
  const [i, j] = full as [number, number];
  assert.notDeepEqual(a.train.data.subarray(i * px, (i + 1) * px), a.train.data.subarray(j * px, (j + 1) * px));

  const narrow = loadMoons({ trainCount: 50, testCount: 10, maxPhase: 90, size: 20 });
  assert.deepEqual(narrow.train.shape, [20, 20, 1]);
  for (const p of narrow.train.labels!.values) assert.ok(p >= 0 && p <= 90);
  assert.throws(() => loadMoons({ maxPhase: 200 }), GenlabError);
});

test('moonPhaseSequence: evenly spaced phases in order, full to crescent', () => {
  const n = 9;
  const seq = moonPhaseSequence(n, { size: 28 });
  assert.equal(seq.count, n);
  assert.deepEqual(seq.shape, [28, 28, 1]);
  const phases = Array.from(seq.labels!.values);
  assert.equal(phases[0], 0);
  assert.equal(phases[n - 1], 160);
  for (let i = 1; i < n; i++) assert.ok(Math.abs(phases[i]! - phases[i - 1]! - 20) < 1e-4, 'evenly spaced');
  let previous = Infinity;
  for (let i = 0; i < n; i++) {
    const m = sum(seq.data, i * 784, (i + 1) * 784);
    assert.ok(m < previous, 'lit area decreases along the sequence');
    previous = m;
  }
  const custom = moonPhaseSequence(3, { from: 90, to: 30, size: 16 });
  assert.deepEqual(Array.from(custom.labels!.values), [90, 60, 30]);
});
