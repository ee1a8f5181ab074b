/**
 * `genlab gmm fit | sample | score`, run in-process through main() (stdout and stderr captured), plus one spawned
 * run for the real exit status.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/engine/rng.js';
import { GaussianMixture } from '../src/models/gmm.js';
import { runCli, runMain, type CliResult } from './helpers/cli.js';

type Run = CliResult;

/** Runs main(argv) in this process with its output captured (test/helpers/cli.ts). */
const run = (...argv: string[]): Promise<Run> => runMain(argv);

/** Three 2-D clusters, seeded. */
function clusters(n: number): number[][] {
  const rng = new Rng(5);
  const centres = [
    [0, 0],
    [5, 1],
    [1, 6],
  ];
  return Array.from({ length: n }, (_, i) => {
    const c = centres[i % 3]!;
    return [c[0]! + rng.normal() * 0.8, c[1]! + rng.normal() * 0.6];
  });
}

function assertOneLineError(r: Run, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit ${r.code}, stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^genlab: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

describe('genlab gmm', () => {
  let dir = '';
  let csv = '';
  const rows = clusters(900);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genlab-gmm-'));
    csv = join(dir, 'points.csv');
    await writeFile(csv, 'a,b\n' + rows.map((r) => r.join(',')).join('\n') + '\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('fit --json prints one object with the fit figures, equal to the library fit', async () => {
    const r = await run('gmm', 'fit', csv, '-k', '3', '--seed', '1', '--json');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const report = JSON.parse(lines[0]!);
    assert.deepEqual(Object.keys(report).sort(), ['aic', 'bic', 'converged', 'covariance', 'iterations', 'k', 'logLikelihood', 'seconds']);
    assert.equal(report.k, 3);
    assert.equal(report.covariance, 'full');
    assert.equal(report.converged, true);
    const g = new GaussianMixture({ components: 3, seed: 1 }).fit(rows);
    assert.equal(report.iterations, g.iterations);
    assert.ok(Math.abs(report.logLikelihood - g.score(rows)) < 1e-12);
    assert.ok(Math.abs(report.bic - g.bic(rows)) < 1e-6);
    assert.ok(Math.abs(report.aic - g.aic(rows)) < 1e-6);
    assert.ok(report.seconds >= 0);
  });

  test('fit --threads: one thread and two give the same fit; a count out of range is one line', async () => {
    const rng = new Rng(9);
    const big = join(dir, 'big.csv');
    // 20,001 rows of 4 dims: several chunks, so that two threads share the passes.
    await writeFile(big, 'a,b,c,d\n' + Array.from({ length: 20_001 }, (_, i) => [0, 1, 2, 3].map((j) => ((i % 4) * 3 * (j === i % 4 ? 1 : 0) + rng.normal()).toFixed(5)).join(',')).join('\n') + '\n');
    const fits: Record<string, number>[] = [];
    for (const threads of ['1', '2']) {
      const r = await run('gmm', 'fit', big, '-k', '4', '--threads', threads, '--json');
      assert.equal(r.code, 0, r.stderr);
      const { seconds: _s, ...rest } = JSON.parse(r.stdout) as Record<string, number>;
      fits.push(rest);
    }
    assert.deepEqual(fits[1], fits[0]);
    assertOneLineError(await run('gmm', 'fit', csv, '-k', '3', '--threads', '0'), /--threads/);
  });

  test('fit -k auto chooses K by BIC and reports the table', async () => {
    const r = await run('gmm', 'fit', csv, '-k', 'auto', '--range', '1:5', '--covariance', 'diag', '--json');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.k, 3);
    assert.equal(report.covariance, 'diag');
    assert.deepEqual(
      report.selection.map((row: { k: number }) => row.k),
      [1, 2, 3, 4, 5],
    );
    const human = await run('gmm', 'fit', csv, '-k', 'auto', '--range', '2:4');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /\*\s+3\s/); // the chosen row is starred
    assert.match(human.stdout, /3 components \(full\), converged after \d+ iterations/);
  });

  test('fit --out, then sample and score the saved model', async () => {
    const model = join(dir, 'model.json');
    const fit = await run('gmm', 'fit', csv, '-k', '3', '--out', model);
    assert.equal(fit.code, 0, fit.stderr);
    assert.match(fit.stdout, /mean log-likelihood -?\d+\.\d{4} nats\/point/);
    const saved = JSON.parse(await readFile(model, 'utf8'));
    assert.equal(saved.kind, 'gmm');

    const samples = join(dir, 'samples.csv');
    const s = await run('gmm', 'sample', model, '-n', '500', '--seed', '3', '--out', samples);
    assert.equal(s.code, 0, s.stderr);
    const lines = (await readFile(samples, 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'x0,x1');
    assert.equal(lines.length, 501);
    assert.ok(lines.slice(1).every((l) => l.split(',').length === 2 && l.split(',').every((v) => Number.isFinite(Number(v)))));

    const scores = join(dir, 'scores.csv');
    const sc = await run('gmm', 'score', model, csv, '--out', scores, '--json');
    assert.equal(sc.code, 0, sc.stderr);
    const report = JSON.parse(sc.stdout);
    assert.equal(report.n, 900);
    const g = GaussianMixture.fromJSON(saved);
    assert.ok(Math.abs(report.logLikelihood - g.score(rows)) < 1e-12);
    const scoreLines = (await readFile(scores, 'utf8')).trim().split('\n');
    assert.equal(scoreLines[0], 'log_density,component');
    assert.equal(scoreLines.length, 901);
    assert.equal(Number(scoreLines[1]!.split(',')[0]), g.scoreSamples([rows[0]!])[0]);
  });

  test('fit --plot draws the points and the ellipses (.svg and .png)', async () => {
    const svg = join(dir, 'fit.svg');
    const r = await run('gmm', 'fit', csv, '-k', '3', '--plot', svg);
    assert.equal(r.code, 0, r.stderr);
    const text = await readFile(svg, 'utf8');
    assert.match(text, /^<svg/);
    assert.match(text, /w = 0\.3\d\d/); // weights in the legend
    assert.ok((text.match(/<path/g) ?? []).length >= 6, 'ellipse paths'); // 3 components × (1σ, 2σ)
    const png = join(dir, 'fit.png');
    assert.equal((await run('gmm', 'fit', csv, '-k', '2', '--plot', png)).code, 0);
    assert.deepEqual([...(await readFile(png)).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  });

  test('bad files, flags and values exit 2 with one line', async () => {
    assertOneLineError(await run('gmm', 'fit', join(dir, 'missing.csv'), '-k', '2'), /missing\.csv/);
    assertOneLineError(await run('gmm', 'fit', csv, '-k', '2', '--covariance', 'banana'), /--covariance: expected one of full, tied, diag, spherical, got 'banana'/);
    assertOneLineError(await run('gmm', 'fit', csv, '-k', '0'), /-k: expected an integer >= 1, got '0'/);
    assertOneLineError(await run('gmm', 'fit', csv, '-k', '950'), /-k: expected at most the number of points in .*points\.csv \(900\), got 950/);
    assertOneLineError(await run('gmm', 'fit', csv, '-k', '5000'), /-k: expected an integer from 1 to 1000 \(each component keeps a mean and a covariance\), got '5000'/);
    assertOneLineError(await run('gmm', 'fit', csv, '-k', '2', '--tol', '-1'), /--tol: expected a number in \[0, Infinity\], got '-1'/);
    assertOneLineError(await run('gmm', 'fit', csv, '-k', '2', '--bogus'), /unknown option '--bogus'/);
    assertOneLineError(await run('gmm', 'fit', csv), /-k/);
    assertOneLineError(await run('gmm', 'fit', csv, '-k', '2', '--plot', join(dir, 'fit.gif')), /--plot: expected a \.png or \.svg file name/);
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, 'a,b\n1,2\n3,x\n');
    assertOneLineError(await run('gmm', 'fit', bad, '-k', '1'), /bad\.csv:3/);
    const notModel = join(dir, 'not-model.json');
    await writeFile(notModel, '{"kind":"vae"}');
    assertOneLineError(await run('gmm', 'sample', notModel, '-n', '3', '--out', join(dir, 'x.csv')), /not-model\.json: not a saved GMM: expected kind 'gmm', got 'vae'/);
    await writeFile(notModel, '{');
    assertOneLineError(await run('gmm', 'score', notModel, csv), /not-model\.json: not valid JSON/);
  });

  test('a spawned genlab exits with status 2 and one line for a bad flag', async () => {
    const r = await runCli(['gmm', 'fit', csv, '-k', '2', '--init', 'nope']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "genlab: --init: expected one of kmeans, kmeans++, random, random-from-data, got 'nope'\n");
  });
});
