/**
 * A person's two-sample test (src/eval/blind-test.ts, HYPE∞): the layout holds every real image and sample once, in an
 * order the seed fixes; the score is the balanced accuracy of the marks and the human error rate its complement —
 * chance (50%) for no marks or every cell marked, 100% for exactly the samples, 0% for exactly the real images.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/engine/rng.js';
import { blindLayout, scoreBlindTest } from '../src/eval/blind-test.js';

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
