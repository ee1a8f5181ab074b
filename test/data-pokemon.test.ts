import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { PNG } from 'pngjs';
import { GenlabError } from '../src/engine/errors.js';
import type { Dataset } from '../src/data/dataset.js';
import { loadPokemon, pokemonSpriteDir, speciesOf, spriteToSquare } from '../src/data/pokemon.js';

/** Centre of mass of the non-white ink (1 − mean RGB) of example i, and its ink bounding box. */
function ink(ds: Dataset, i: number): { cx: number; cy: number; extent: number } {
  const [h, w] = ds.shape as [number, number, number];
  const base = i * h * w * 3;
  let m = 0, sx = 0, sy = 0, x0 = w, x1 = -1, y0 = h, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = base + (y * w + x) * 3;
      const v = 1 - (ds.data[o]! + ds.data[o + 1]! + ds.data[o + 2]!) / 3;
      m += v; sx += v * x; sy += v * y;
      if (v > 0.02) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
  }
  return { cx: sx / m, cy: sy / m, extent: Math.max(x1 - x0 + 1, y1 - y0 + 1) };
}

test('loadPokemon: ~1300 sprites, [40, 40, 3] in [0, 1], white corners, centred content', async () => {
  const t0 = performance.now();
  const s = await loadPokemon();
  const ms = performance.now() - t0;
  assert.ok(ms < 10000, `loaded in ${ms} ms`);
  const total = s.train.count + s.test.count;
  const files = readdirSync(pokemonSpriteDir()).filter((f) => f.endsWith('.png'));
  assert.equal(total + s.skipped.length, files.length, 'every sprite is either loaded or counted as skipped');
  assert.ok(total > 1200 && total < 1450, `${total} sprites`);
  assert.ok(Math.abs(s.test.count - 0.1 * total) <= 5, `test split of ${s.test.count}`);
  for (const ds of [s.train, s.test]) {
    assert.equal(ds.kind, 'images');
    assert.deepEqual(ds.shape, [40, 40, 3]);
    assert.equal(ds.data.length, ds.count * 40 * 40 * 3);
    assert.equal(ds.labels, undefined, 'the package has no types, so no labels');
    for (const v of ds.data) assert.ok(v >= 0 && v <= 1 + 1e-6);
  }
  let sumDx = 0, sumDy = 0, filled = 0;
  const ds = s.train;
  for (let i = 0; i < ds.count; i++) {
    const base = i * 4800;
    for (const p of [0, 39, 40 * 39, 40 * 40 - 1]) {
      for (let c = 0; c < 3; c++) assert.ok(ds.data[base + p * 3 + c]! > 0.999, `${s.names.train[i]}: corner pixel ${p} is white`);
    }
    const { cx, cy, extent } = ink(ds, i);
    assert.ok(Math.abs(cx - 19.5) < 10 && Math.abs(cy - 19.5) < 10, `${s.names.train[i]}: ink centred (${cx}, ${cy})`);
    sumDx += cx - 19.5;
    sumDy += cy - 19.5;
    if (extent >= 34) filled++;
  }
  assert.ok(Math.abs(sumDx / ds.count) < 1.5 && Math.abs(sumDy / ds.count) < 1.5, 'centred on average');
  assert.ok(filled / ds.count > 0.9, `sprites are fitted to the square (${filled}/${ds.count})`);
});

test('loadPokemon: split by species, seeded, names per split', async () => {
  const a = await loadPokemon({ seed: 0 });
  const b = await loadPokemon({ seed: 0 });
  const c = await loadPokemon({ seed: 1 });
  assert.equal(a.names.train.length, a.train.count);
  assert.equal(a.names.test.length, a.test.count);
  assert.equal(a.species.test.length, a.test.count);
  const trainSpecies = new Set(a.species.train);
  for (const sp of a.species.test) assert.ok(!trainSpecies.has(sp), `${sp} in both splits`);
  // Species are whole sprite names or their dash-prefixes, and forms of one species share it.
  a.names.train.forEach((n, i) => assert.ok(n === a.species.train[i] || n.startsWith(`${a.species.train[i]}-`)));
  const all = [...a.names.train, ...a.names.test];
  assert.equal(new Set(all).size, all.length, 'sprite names are unique');
  const speciesOfName = new Map(all.map((n, i) => [n, [...a.species.train, ...a.species.test][i]!]));
  assert.equal(speciesOfName.get('venusaur-mega'), speciesOfName.get('venusaur'));
  assert.equal(speciesOfName.get('mr-mime-galar'), 'mr-mime');
  assert.equal(speciesOfName.get('mr-rime'), 'mr-rime');
  assert.ok(new Set(a.species.train).size + new Set(a.species.test).size > 850, 'about 900 species');

  assert.deepEqual(a.names, b.names);
  assert.deepEqual(a.test.data, b.test.data);
  assert.notDeepEqual(a.names.test, c.names.test);
  // The splits are copies: changing one does not change the cache.
  a.train.data.fill(0);
  const d = await loadPokemon({ seed: 0 });
  assert.deepEqual(d.test.data, b.test.data);
  assert.notEqual(d.train.data[0], 0);

  const none = await loadPokemon({ testFraction: 0 });
  assert.equal(none.test.count, 0);
  await assert.rejects(loadPokemon({ testFraction: 1 }), GenlabError);
  await assert.rejects(loadPokemon({ size: 2.5 }), GenlabError);
});

test('loadPokemon: custom size', async () => {
  const s = await loadPokemon({ size: 20, seed: 5 });
  const big = await loadPokemon({ seed: 5 });
  assert.deepEqual(s.train.shape, [20, 20, 3]);
  assert.equal(s.train.data.length, s.train.count * 1200);
  assert.deepEqual(s.names, big.names, 'the split does not depend on the size');
  for (const v of s.train.data) assert.ok(v >= 0 && v <= 1 + 1e-6);
});

test('spriteToSquare and speciesOf', () => {
  const png = new PNG({ width: 6, height: 4 });
  png.data.fill(0); // fully transparent
  const bytes = new Uint8Array(PNG.sync.write(png));
  assert.equal(spriteToSquare(bytes, 'empty.png', 8), null);
  // One opaque red 2×1 block: trimmed, fitted to the width, centred vertically, on white.
  png.data[(1 * 6 + 2) * 4] = 255; png.data[(1 * 6 + 2) * 4 + 3] = 255;
  png.data[(1 * 6 + 3) * 4] = 255; png.data[(1 * 6 + 3) * 4 + 3] = 255;
  const img = spriteToSquare(new Uint8Array(PNG.sync.write(png)), 'red.png', 8, 1)!;
  const at = (x: number, y: number) => Array.from(img.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3));
  assert.deepEqual(at(0, 0), [1, 1, 1]);
  assert.deepEqual(at(1, 3), [1, 0, 0]);
  assert.deepEqual(at(6, 4), [1, 0, 0]);
  assert.deepEqual(at(3, 1), [1, 1, 1]);
  assert.deepEqual(at(7, 3), [1, 1, 1], 'margin stays white');
  assert.throws(() => spriteToSquare(new Uint8Array([1, 2, 3, 4]), 'junk.png', 8), GenlabError);

  const slugs = new Set(['mr-mime', 'mr-rime', 'porygon', 'porygon-z', 'venusaur']);
  assert.equal(speciesOf('mr-mime-galar', slugs), 'mr-mime');
  assert.equal(speciesOf('porygon-z', slugs), 'porygon-z');
  assert.equal(speciesOf('venusaur-gmax', slugs), 'venusaur');
  assert.equal(speciesOf('unknown-thing', slugs), 'unknown');
});
