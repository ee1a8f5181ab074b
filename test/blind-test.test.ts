/**
 * A person's two-sample test (src/eval/blind-test.ts, HYPE∞): the layout holds every real image and sample once, in an
 * order the seed fixes; the score is the balanced accuracy of the marks and the human error rate its complement —
 * chance (50%) for no marks or every cell marked, 100% for exactly the samples, 0% for exactly the real images.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/engine/rng.js';
import { blindGrid, blindLayout, scoreBlindTest } from '../src/eval/blind-test.js';

test('the layout holds each real image and each sample once, shuffled by the seed', () => {
  const layout = blindLayout(16, 12, new Rng(3));
  assert.equal(layout.length, 28);
  const key = (generated: boolean): number[] => layout.filter((c) => c.generated === generated).map((c) => c.index).sort((a, b) => a - b);
  assert.deepEqual(key(false), Array.from({ length: 16 }, (_, i) => i));
  assert.deepEqual(key(true), Array.from({ length: 12 }, (_, i) => i));
  assert.deepEqual(blindLayout(16, 12, new Rng(3)), layout, 'the same seed, the same order');
  assert.notDeepEqual(blindLayout(16, 12, new Rng(4)), layout);
  const firstHalf = layout.slice(0, 14).filter((c) => c.generated).length;
  assert.ok(firstHalf > 0 && firstHalf < 12, `shuffled: ${firstHalf} of 12 samples in the first half`);
});

test('the score: balanced accuracy of the marks, and the human error rate 1 − accuracy', () => {
  const layout = blindLayout(10, 6, new Rng(1));
  const samples = layout.flatMap((c, i) => (c.generated ? [i] : []));
  const reals = layout.flatMap((c, i) => (c.generated ? [] : [i]));
  const all = layout.map((_, i) => i);
  assert.equal(scoreBlindTest(layout, []).accuracy, 0.5);
  assert.equal(scoreBlindTest(layout, all).accuracy, 0.5);
  assert.deepEqual(scoreBlindTest(layout, samples), { generatedCaught: 6, generated: 6, realKept: 10, real: 10, accuracy: 1, humanError: 0 });
  assert.equal(scoreBlindTest(layout, reals).humanError, 1);
  const some = scoreBlindTest(layout, [samples[0]!, samples[1]!, samples[1]!, reals[0]!]); // a repeated mark counts once
  assert.equal(some.generatedCaught, 2);
  assert.equal(some.realKept, 9);
  assert.ok(Math.abs(some.accuracy - (2 / 6 + 9 / 10) / 2) < 1e-15);
});

test('bad input: empty sides and marks outside the grid are refused, naming what was expected', () => {
  assert.throws(() => blindLayout(0, 4, new Rng(0)), /blind test: real images: expected a whole number ≥ 1, got 0/);
  assert.throws(() => blindLayout(4, 1.5, new Rng(0)), /blind test: generated images/);
  assert.throws(() => scoreBlindTest(blindLayout(2, 2, new Rng(0)), [4]), /blind test: marked cell: expected a position in \[0, 3\], got 4/);
  assert.throws(() => scoreBlindTest([{ generated: true, index: 0 }], []), /blind test: layout: expected real and generated cells/);
});

test('blindGrid: every cell holds its key\'s image — a held-out image picked by the seed, or the sample of its index', () => {
  const size = 3;
  const real = { data: Float32Array.from({ length: 20 * size }, (_, i) => Math.floor(i / size)), count: 20 }; // image k is all k
  const samples = Float32Array.from({ length: 6 * size }, (_, i) => -1 - Math.floor(i / size)); // sample j is all −1 − j
  const { images, layout } = blindGrid(real, samples, 6, size, 4);
  assert.equal(images.length, 12 * size);
  const cellValue = (i: number): number => images[i * size]!;
  layout.forEach((cell, i) => {
    assert.deepEqual([...images.subarray(i * size, (i + 1) * size)], Array(size).fill(cellValue(i)), `cell ${i} is one whole image`);
    if (cell.generated) assert.equal(cellValue(i), -1 - cell.index);
    else assert.ok(cellValue(i) >= 0 && cellValue(i) < 20);
  });
  const reals = layout.flatMap((c, i) => (c.generated ? [] : [cellValue(i)]));
  assert.equal(new Set(reals).size, 6, 'six different held-out images');
  assert.deepEqual(blindGrid(real, samples, 6, size, 4), { images, layout }, 'the same seed, the same grid');
  assert.notDeepEqual(blindGrid(real, samples, 6, size, 5).layout, layout);
  assert.throws(() => blindGrid(real, samples, 21, size, 0), /blind test: held-out images: expected at least 21, got 20/);
  assert.throws(() => blindGrid(real, samples, 7, size, 0), /blind test: samples: expected at least 7/);
});
