/**
 * Colours per image (src/eval/colour-entropy.ts): 0 bits for a flat colour, 1 for two colours half and half, white
 * background left out, images with no colour left out of the mean; held-out Pokémon sprites use fewer colours than
 * the same pixels shuffled across sprites.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colourEntropy } from '../src/eval/colour-entropy.js';
import { loadDataset } from '../src/data/registry.js';
import { Rng } from '../src/engine/rng.js';

/** n images of `pixels` RGB pixels, each pixel's colour from `colour(image, pixel)`. */
function images(n: number, pixels: number, colour: (i: number, p: number) => [number, number, number]): Float32Array {
  const out = new Float32Array(n * pixels * 3);
  for (let i = 0; i < n; i++) for (let p = 0; p < pixels; p++) out.set(colour(i, p), (i * pixels + p) * 3);
  return out;
}

test('colourEntropy: a flat colour 0 bits, two colours half and half 1 bit, four 2 bits; white left out', () => {
  assert.equal(colourEntropy(images(3, 16, () => [0.2, 0.5, 0.9]), 3), 0);
  assert.equal(colourEntropy(images(2, 16, (_, p) => (p % 2 ? [0.1, 0.1, 0.1] : [0.8, 0.3, 0.1])), 2), 1);
  assert.equal(colourEntropy(images(1, 16, (_, p) => [[0, 0, 0], [0.9, 0, 0], [0, 0.9, 0], [0, 0, 0.9]][p % 4] as [number, number, number]), 1), 2);
  // Half of each image white background: still one colour.
  assert.equal(colourEntropy(images(2, 16, (_, p) => (p < 8 ? [1, 1, 1] : [0.3, 0.6, 0.3])), 2), 0);
  // A blank image is left out of the mean; all blank: NaN.
  assert.equal(colourEntropy(images(2, 4, (i) => (i === 0 ? [1, 1, 1] : [0.1, 0.2, 0.3])), 2), 0);
  assert.ok(Number.isNaN(colourEntropy(images(2, 4, () => [1, 1, 1]), 2)));
  assert.throws(() => colourEntropy(new Float32Array(10), 3), /colourEntropy: 10 values are not 3 RGB images/);
});

test('colourEntropy: held-out sprites use fewer colours than their pixels shuffled across sprites', async () => {
  const { test: heldOut } = await loadDataset('pokemon', { size: 20 });
  const perImage = 20 * 20 * 3;
  const shuffled = new Float32Array(heldOut.data.length);
  const rng = new Rng(2);
  for (let i = 0; i < heldOut.count; i++) {
    for (let p = 0; p < 400; p++) {
      const from = rng.int(heldOut.count) * perImage + rng.int(400) * 3;
      shuffled.set(heldOut.data.subarray(from, from + 3), i * perImage + p * 3);
    }
  }
  const real = colourEntropy(heldOut.data, heldOut.count);
  const mixed = colourEntropy(shuffled, heldOut.count);
  assert.ok(real > 1.5 && real < 4.5, `held-out sprites ${real} bits`);
  assert.ok(mixed > real + 0.5, `pixels drawn from every sprite ${mixed} bits against ${real}`);
});
