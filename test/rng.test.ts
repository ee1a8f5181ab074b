import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/engine/rng.js';

test('the same seed gives the same stream; a different seed a different one', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xs = Array.from({ length: 100 }, () => a.uniform());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b.uniform()));
  assert.notDeepEqual(xs, Array.from({ length: 100 }, () => c.uniform()));
});

test('uniform draws cover [0, 1) evenly and normal draws have mean 0, variance 1', () => {
  const rng = new Rng(7);
  const n = 200_000;
  const bins = new Array<number>(10).fill(0);
  let sum = 0, sumSq = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    bins[Math.floor(u * 10)]!++;
    const z = rng.normal();
    sum += z;
    sumSq += z * z;
  }
  for (const count of bins) assert.ok(Math.abs(count / n - 0.1) < 0.005, `bin share ${count / n}`);
  assert.ok(Math.abs(sum / n) < 0.01);
  assert.ok(Math.abs(sumSq / n - 1) < 0.02);
});

test('a saved state resumes the stream exactly, including a pending normal draw', () => {
  const rng = new Rng(1);
  rng.normal(); // leaves the second Box–Muller value pending
  const saved = structuredClone(rng.getState());
  const expected = [rng.normal(), rng.uniform(), rng.int(1000)];
  const resumed = Rng.fromState(saved);
  assert.deepEqual([resumed.normal(), resumed.uniform(), resumed.int(1000)], expected);
});

test('permutation is a permutation and shuffles differently per seed', () => {
  const p = new Rng(3).permutation(1000);
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
  assert.notDeepEqual([...p], [...new Rng(4).permutation(1000)]);
});

test('forked generators are reproducible and independent of later parent draws', () => {
  const parent = new Rng(9);
  const child = parent.fork();
  const first = child.uniform();
  const parent2 = new Rng(9);
  const child2 = parent2.fork();
  parent2.uniform();
  assert.equal(child2.uniform(), first);
});

test('bad arguments are rejected', () => {
  assert.throws(() => new Rng(Number.NaN), /seed must be a finite number/);
  assert.throws(() => new Rng(1).int(0), /n must be >= 1/);
});

test('the stream is sfc32 seeded by splitmix32, as written from the algorithms (runs keep their draws across refactors)', () => {
  // Reference versions in plain closures (bryc's JavaScript sfc32, splitmix32 with the golden-ratio increment).
  const splitmix32 = (seed: number): (() => number) => {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = Math.imul(state ^ (state >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
  };
  const sfc32 = (a: number, b: number, c: number, d: number): (() => number) => () => {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (const seed of [0, 1, 20261206, 2 ** 32 - 1]) {
    const next = splitmix32(seed);
    const reference = sfc32(next(), next(), next(), next());
    for (let i = 0; i < 12; i++) reference();
    const rng = new Rng(seed);
    for (let i = 0; i < 1000; i++) assert.equal(rng.nextUint32(), reference(), `seed ${seed}, draw ${i}`);
    // A state read back and restored continues the same stream.
    const resumed = Rng.fromState(rng.getState());
    for (let i = 0; i < 10; i++) assert.equal(resumed.nextUint32(), reference(), `seed ${seed}, resumed draw ${i}`);
  }
});
