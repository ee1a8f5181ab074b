import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { runCli } from './helpers/cli.js';

test('genlab --help lists the commands', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /data\s+inspect and preview datasets/);
});

test('data info --json reports counts, shape and labels', async () => {
  const r = await runCli(['data', 'info', 'mnist', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.deepEqual(info.shape, [28, 28, 1]);
  assert.equal(info.train.count, 60000);
  assert.equal(info.test.count, 10000);
  assert.deepEqual(info.labels.classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  const perClass = Object.values(info.test.labels as Record<string, number>);
  assert.equal(perClass.reduce((a, b) => a + b, 0), 10000);
});

test('data preview mnist writes an 8×8 grid of digits', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'genlab-cli-'));
  try {
    const out = join(dir, 'x.png');
    const r = await runCli(['data', 'preview', 'mnist', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const png = PNG.sync.read(await readFile(out));
    // 8 cells of 28 px × 3 (default scale: at least 80 px a cell) + 9 gaps of 2 px, under a caption line.
    const side = 84, grid = 8 * side + 9 * 2;
    assert.equal(png.width, grid);
    const top = png.height - grid - 2;
    assert.ok(top > 10 && top < 40, `a caption line above the grid (${top} px)`);
    // Each cell holds a digit: some bright stroke pixels on a dark background.
    for (let cell = 0; cell < 64; cell++) {
      const x0 = 2 + (cell % 8) * (side + 2), y0 = top + 2 + Math.floor(cell / 8) * (side + 2);
      let bright = 0;
      for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) if (png.data[(y * png.width + x) * 4]! > 128) bright++;
      assert.ok(bright > side * side * 0.04 && bright < side * side * 0.5, `cell ${cell} has ${bright} bright pixels`);
    }
    // The caption is dark text on white.
    const caption = png.data.subarray(0, top * png.width * 4);
    assert.ok(caption.some((v, i) => i % 4 === 0 && v < 100), 'caption text is drawn');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('data preview of a user CSV draws a scatter plot', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'genlab-cli-'));
  try {
    const csv = join(dir, 'pts.csv');
    await writeFile(csv, 'a,b\n' + Array.from({ length: 50 }, (_, i) => `${Math.cos(i)},${Math.sin(i)}`).join('\n'));
    const r = await runCli(['data', 'preview', csv, '--out', join(dir, 'pts.svg')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await readFile(join(dir, 'pts.svg'), 'utf8'), /^<svg/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad input: one line on stderr naming the flag or dataset, exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['data', 'info', 'nope'], /unknown dataset 'nope': expected one of mnist, pokemon, moons, .*ring8/],
    [['data', 'preview', 'mnist', '--bogus'], /unknown option '--bogus' .*valid options are .*--split/],
    [['data', 'preview', 'mnist', '-n', 'abc', '--out', 'x.png'], /-n: expected an integer >= 1, got 'abc'/],
    [['data', 'preview', 'mnist', '--split', 'val', '--out', 'x.png'], /--split: expected one of train, test, got 'val'/],
    [['data', 'preview', 'mnist'], /--out: required/],
    [['data', 'info', 'missing-file.csv'], /missing-file\.csv/],
    [['frobnicate'], /unknown command 'frobnicate' .*valid commands are .*data/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}, ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
  }
});
