import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { imageGridPng, writeImageStrips } from '../src/viz/grid.js';
import { pointsChartSpec, writePointsPlot } from '../src/viz/scatter.js';

const decode = (bytes: Buffer) => PNG.sync.read(bytes);

test('a grid places each image in its cell, grayscale and RGB', () => {
  // 5 grey images 4×4 with values i/4, in 3 columns, scale 2, padding 1.
  const count = 5, h = 4, w = 4;
  const data = new Float32Array(count * h * w).map((_, k) => Math.floor(k / (h * w)) / 4);
  const png = decode(imageGridPng({ data, count, shape: [h, w, 1] }, { columns: 3, scale: 2, padding: 1 }));
  assert.equal(png.width, 3 * (8 + 1) + 1);
  assert.equal(png.height, 2 * (8 + 1) + 1);
  for (let i = 0; i < count; i++) {
    const x = 1 + (i % 3) * 9 + 3, y = 1 + Math.floor(i / 3) * 9 + 3;
    assert.equal(png.data[(y * png.width + x) * 4], Math.round((i / 4) * 255), `cell ${i}`);
  }
  const rgb = new Float32Array(2 * 2 * 2 * 3);
  rgb.set([1, 0, 0], 0); // first pixel of the first image is red
  const out = decode(imageGridPng({ data: rgb, count: 2, shape: [2, 2, 3] }, { scale: 1, padding: 0, columns: 2 }));
  assert.deepEqual([...out.data.subarray(0, 4)], [255, 0, 0, 255]);
});

test('values outside [0, 1] and NaN are clipped, not wrapped', () => {
  const png = decode(imageGridPng({ data: [-3, 2, Number.NaN, 0.5], count: 1, shape: [1, 4, 1] }, { scale: 1, padding: 0 }));
  assert.deepEqual([0, 1, 2, 3].map((i) => png.data[i * 4]), [0, 255, 0, 128]);
});

test('captions make the image taller and draw dark text pixels', () => {
  const data = new Float32Array(4 * 8 * 8).fill(1);
  const plain = decode(imageGridPng({ data, count: 4, shape: [8, 8, 1] }, { columns: 4 }));
  const captioned = decode(imageGridPng({ data, count: 4, shape: [8, 8, 1] }, { columns: 4, labels: ['0', '1', '2', '3'] }));
  assert.ok(captioned.height > plain.height);
  const below = captioned.data.subarray(plain.height * captioned.width * 4);
  assert.ok(below.some((v, i) => i % 4 === 0 && v < 100), 'caption text is drawn');
});

test('a titled, labelled grid keeps every cell pixel for pixel, its rows moved apart for the text; text only in the margins', () => {
  // 6 images of distinct noise, 3 columns × 2 rows, scale 1, padding 2: cells and gaps must survive unresampled.
  const count = 6, h = 10, w = 10, pad = 2;
  const data = new Float32Array(count * h * w).map((_, k) => ((k * 7919) % 251) / 250);
  const plain = decode(imageGridPng({ data, count, shape: [h, w, 1] }, { columns: 3, scale: 1, padding: pad }));
  const rowLabels = ['first', 'second'];
  const captioned = decode(imageGridPng({ data, count, shape: [h, w, 1] }, { columns: 3, scale: 1, padding: pad, title: 'run · epoch 3 of 9', rowLabels, labels: ['a', 'b', 'c', 'd', 'e', 'f'] }));
  const pixel = (png: PNG, x: number, y: number): number[] => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4)];
  // Where the text's layout puts the rows (grid.ts captionGrid: title 23 px, a caption line of 15 px under each row).
  const top = 23, captionH = 15, left = 8 + 7 * 'second'.length;
  for (let r = 0; r < 2; r++) {
    for (let y = 0; y < h + 2 * pad; y++) {
      for (let x = 0; x < plain.width; x++) {
        const srcY = r * (h + pad) + y;
        assert.deepEqual(pixel(captioned, left + x, top + srcY + r * captionH), pixel(plain, x, srcY), `row ${r}, pixel (${x}, ${y})`);
      }
    }
  }
  const dark = (x0: number, y0: number, x1: number, y1: number): boolean => {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (pixel(captioned, x, y)[0]! < 100) return true;
    return false;
  };
  assert.ok(dark(0, 0, captioned.width, top), 'the title is drawn above');
  assert.ok(dark(0, top, left, top + h + 2 * pad), 'the first row\'s label is drawn at its left');
  assert.ok(dark(left, top + h + 2 * pad, captioned.width, top + h + 2 * pad + captionH), 'captions under the first row');
  assert.deepEqual(pixel(captioned, captioned.width - 1, top + h + 2 * pad + captionH - 1), [255, 255, 255, 255], 'white margin');
});

test('a wrong value count is a clear error', () => {
  assert.throws(() => imageGridPng({ data: new Float32Array(10), count: 2, shape: [2, 2, 1] }), /10 values for 2 images/);
});

test('strips and scatter plots are written as PNG and SVG', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'genlab-viz-'));
  try {
    const images = { data: new Float32Array(5 * 4 * 4), count: 5, shape: [4, 4, 1] as const };
    await writeImageStrips(join(dir, 's.png'), [{ label: 'AE', images }, { label: 'VAE', images }]);
    assert.ok(decode(await readFile(join(dir, 's.png'))).width > 5 * 4);
    const pts = Float32Array.from({ length: 200 }, (_, i) => Math.sin(i));
    await writePointsPlot(join(dir, 'p.svg'), pts, 2, { labels: Array.from({ length: 100 }, (_, i) => i % 2) });
    const svg = await readFile(join(dir, 'p.svg'), 'utf8');
    assert.ok(svg.startsWith('<svg') && (svg.match(/<path/g) ?? []).length > 50);
    await writePointsPlot(join(dir, 'h.png'), pts, 1);
    assert.ok(decode(await readFile(join(dir, 'h.png'))).width > 100);
    await assert.rejects(writePointsPlot(join(dir, 'p.jpg'), pts, 2), /expected a \.png or \.svg/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('large point sets are subsampled evenly for the chart', () => {
  const spec = pointsChartSpec(new Float32Array(2 * 100_000), 2, { maxPoints: 1000 }) as { data: { values: unknown[] } };
  assert.equal(spec.data.values.length, 1000);
});
