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
