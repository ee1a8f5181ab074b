/**
 * The checkerboard share (src/eval/checkerboard.ts): 1 for a pure ±1 checkerboard, 0 for any image made of constant
 * 2×2 blocks, in between for a blend, flat images left out; real sprites hold almost none of their variance in it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../src/engine/backend.js';
import { loadPokemon } from '../src/data/pokemon.js';
import { checkerboardShare } from '../src/eval/checkerboard.js';
import { Rng } from '../src/engine/rng.js';

await initEngine({ backend: 'cpu' }); // the sprites are prepared with tensor ops

/** An h × w × 1 image from f(row, column). */
const image = (h: number, w: number, f: (r: number, q: number) => number): Float32Array => Float32Array.from({ length: h * w }, (_, i) => f(Math.floor(i / w), i % w));

test('a ±1 checkerboard is all checkerboard, constant 2×2 blocks none, a blend in between; flat images are left out', () => {
  const board = image(8, 6, (r, q) => ((r + q) % 2 ? 1 : -1));
  assert.ok(Math.abs(checkerboardShare(board, 1, 8, 6, 1) - 1) < 1e-9);
  const rng = new Rng(3);
  const cells = Array.from({ length: 12 }, () => rng.normal());
  const blocks = image(8, 6, (r, q) => cells[Math.floor(r / 2) * 3 + Math.floor(q / 2)]!);
  assert.ok(checkerboardShare(blocks, 1, 8, 6, 1) < 1e-12);
  const blend = blocks.map((v, i) => v + 0.3 * board[i]!);
  const share = checkerboardShare(blend, 1, 8, 6, 1);
  assert.ok(share > 0.02 && share < 0.5, `blend ${share}`);
  const flat = new Float32Array(48).fill(0.4);
  const two = new Float32Array(96);
  two.set(flat);
  two.set(board, 48);
  assert.ok(Math.abs(checkerboardShare(two, 2, 8, 6, 1) - 1) < 1e-9, 'the flat image is not in the mean');
  assert.ok(Number.isNaN(checkerboardShare(flat, 1, 8, 6, 1)));
  // Channels are measured apart: a checkerboard in red only, a flat green and blue, is all checkerboard.
  const rgb = new Float32Array(48 * 3).map((_, i) => (i % 3 === 0 ? board[Math.floor(i / 3)]! : 0.5));
  assert.ok(Math.abs(checkerboardShare(rgb, 1, 8, 6, 3) - 1) < 1e-9);
  // Odd sides: the phases hold unequal counts and the share stays in [0, 1].
  const odd = image(5, 7, (r, q) => ((r + q) % 2 ? 1 : -1) + 0.1 * r);
  const oddShare = checkerboardShare(odd, 1, 5, 7, 1);
  assert.ok(oddShare > 0.9 && oddShare <= 1, `odd sides ${oddShare}`);
  assert.throws(() => checkerboardShare(board, 2, 8, 6, 1), /checkerboardShare: 48 values are not 2 images of 8×6×1/);
});

test('held-out Pokémon sprites hold under 5% of their variance in a 2×2 checkerboard', async () => {
  const { test: heldOut } = await loadPokemon({ seed: 0, size: 20 });
  const share = checkerboardShare(heldOut.data, heldOut.count, 20, 20, 3);
  assert.ok(share > 0 && share < 0.05, `held-out sprites ${share}`);
});
