import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { initEngine } from '../src/engine/backend.js';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { loadDataset } from '../src/data/registry.js';
import { parseNpy } from '../src/data/npy.js';
import { buildProgram } from '../src/cli/main.js';
import { createModel, type ModelOptions } from '../src/models/kinds.js';
import { imageGridPng } from '../src/viz/grid.js';
import { firstN, trainSteps } from './helpers/models.js';
import { runCli, runModelCommands } from './helpers/cli.js';

await initEngine();
const root = await mkdtemp(join(tmpdir(), 'genlab-models-cli-'));
const mnist = await loadDataset('mnist', { binarize: 'static' });
const classes = mnist.train.labels?.kind === 'class' ? mnist.train.labels.classes : [];

/** A tiny finished run folder: model/ and manifest.json, as the trainer writes them. */
async function makeRun(name: string, kind: string, options: ModelOptions, where: 'model' | 'checkpoint/model' = 'model'): Promise<string> {
  const dir = join(root, name);
  const model = createModel(kind, { hidden: [32], latent: 4, ...options }, { shape: [28, 28, 1], kind: 'images', classes }, new Rng(1));
  await trainSteps(model, firstN(mnist.train, 300), { steps: 12, batchSize: 25, learningRate: 3e-3 });
  await model.save(join(dir, where));
  model.dispose();
  const manifest = {
    version: 1,
    kind,
    config: model.config,
    data: { name: 'mnist', kind: 'images', shape: [28, 28, 1], trainCount: 60000, testCount: 10000, binarize: 'static' },
    seed: 0,
    status: 'finished',
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

const runs = {
  vae: await makeRun('vae', 'vae', {}),
  cvae: await makeRun('cvae', 'cvae', {}, 'checkpoint/model'),
  ae: await makeRun('ae', 'ae', {}),
};

const cli = runModelCommands;

test.after(() => rm(root, { recursive: true, force: true }));

test('sample: a PNG grid, a float32 .npy in [0, 1], class labels for a cvae', async () => {
  const png = join(root, 'out', 'grid.png');
  assert.match(await cli(['sample', runs.vae, '-n', '16', '--seed', '3', '--out', png]), /16 vae samples/);
  const img = PNG.sync.read(await readFile(png));
  // 4 columns of 28 px × 3 (at least 80 px a cell) and 5 gaps, under a caption line.
  assert.equal(img.width, 4 * 84 + 5 * 2);
  assert.ok(img.height > 4 * 84 + 5 * 2 + 10, 'a caption above the grid');
  const npy = join(root, 'out', 'samples.npy');
  await cli(['sample', runs.vae, '-n', '5', '--out', npy]);
  const arr = parseNpy(new Uint8Array(await readFile(npy)), npy);
  assert.deepEqual(arr.shape, [5, 28, 28, 1]);
  assert.equal(arr.descr, '<f4');
  assert.ok(Array.from(arr.data).every((v) => v >= 0 && v <= 1));
  // The same seed gives the same samples; a label changes them (cvae from checkpoint/model).
  const again = join(root, 'out', 'again.npy');
  await cli(['sample', runs.vae, '-n', '5', '--out', again]);
  assert.deepEqual(await readFile(again), await readFile(npy));
  const seven = join(root, 'out', 'seven.npy'), one = join(root, 'out', 'one.npy');
  await cli(['sample', runs.cvae, '-n', '4', '--label', '7', '--out', seven]);
  await cli(['sample', runs.cvae, '-n', '4', '--label', '1', '--out', one]);
  assert.notDeepEqual(await readFile(seven), await readFile(one));
  await assert.rejects(cli(['sample', runs.cvae, '--label', 'x', '--out', seven]), /--label: unknown class 'x', expected one of 0, 1/);
  await assert.rejects(cli(['sample', runs.vae, '--label', '1', '--out', seven]), /not conditional/);
  await assert.rejects(cli(['sample', runs.vae, '--out', join(root, 'x.jpg')]), /expected a .png or .npy file/);
});

test('reconstruct and interpolate write PNGs of the right size, for a VAE and an AE', async () => {
  const recon = join(root, 'out', 'recon.png');
  assert.match(await cli(['reconstruct', runs.vae, '-n', '10', '--out', recon]), /10 test images/);
  const r = PNG.sync.read(await readFile(recon));
  // 8 columns; two pairs of rows (inputs over reconstructions), labelled at their left, under a caption line.
  assert.ok(r.width > 8 * 84 + 9 * 2 + 50, `row labels at the left: ${r.width}`);
  assert.ok(r.height > 4 * 84 + 5 * 2 + 10, `a caption above: ${r.height}`);
  for (const run of [runs.ae, runs.cvae]) {
    const strip = join(root, 'out', 'strip.png');
    assert.match(await cli(['interpolate', run, '--from', '0', '--to', '1', '--steps', '6', '--out', strip]), /test 0 → 1 in 6 steps/);
    const s = PNG.sync.read(await readFile(strip));
    assert.ok(s.width > 8 * 84 && s.height >= 84, `${s.width}×${s.height}`);
  }
  await assert.rejects(cli(['interpolate', runs.ae, '--from', '0', '--to', '99999', '--out', join(root, 'x.png')]), /--to: index 99999 is past the end/);
});

test('eval --json: −ELBO, recon, kl, NLL, bits/dim over the test split; an AE has no likelihood', async () => {
  const out = await cli(['eval', runs.vae, '--iw-k', '10', '--limit', '50', '--json']);
  const r = JSON.parse(out);
  for (const key of ['negElbo', 'recon', 'kl', 'nll', 'bitsPerDim', 'k']) assert.equal(typeof r[key], 'number', key);
  assert.equal(r.k, 10);
  assert.equal(r.count, 50);
  // A VAE samples, so MNIST's sample quality comes with its likelihood, as for a GAN (50 samples: --limit).
  for (const key of ['fid', 'kid', 'inceptionScore', 'precision', 'recall']) assert.ok(Number.isFinite(r[key]), key);
  assert.ok(r.nll <= r.negElbo + 0.5 && r.nll > 0);
  assert.match(await cli(['eval', runs.cvae, '--iw-k', '2', '--limit', '20']), /NLL .* bits\/dim/);
  // Capabilities decide, not kinds: an AE has no likelihood, but it samples, so it gets MNIST's sample quality.
  const ae = JSON.parse(await cli(['eval', runs.ae, '--samples', '200', '--json']));
  assert.equal(ae.nll, undefined);
  for (const key of ['fid', 'kid', 'inceptionScore', 'precision', 'recall']) assert.ok(Number.isFinite(ae[key]), key);
  await assert.rejects(cli(['score', runs.ae, 'mnist']), (e: unknown) => e instanceof GenlabError && e.code === 'unsupported' && /score: a ae model cannot score; use a vae, cvae, iwae model/.test(e.message));
});

test('score: image files and datasets, converted to the model shape', async () => {
  // A test digit as a PNG file, and a Pokémon-like colour image of another size.
  const digit = join(root, 'digit.png');
  await writeFile(digit, imageGridPng({ data: mnist.test.data.subarray(0, 784), count: 1, shape: [28, 28, 1] }, { scale: 1, padding: 0 }));
  const colour = join(root, 'colour.png');
  const rng = new Rng(1);
  await writeFile(colour, imageGridPng({ data: Float32Array.from({ length: 40 * 40 * 3 }, () => rng.uniform()), count: 1, shape: [40, 40, 3] }, { scale: 1, padding: 0 }));
  const rows = JSON.parse(await cli(['score', runs.vae, digit, colour, 'mnist', '--limit', '20', '--iw-k', '5', '--json']));
  assert.deepEqual(rows.map((r: { input: string }) => r.input), [digit, colour, 'mnist']);
  assert.equal(rows[2].count, 20);
  assert.ok(rows[0].logPx > rows[1].logPx, `a digit ${rows[0].logPx} is likelier than noise ${rows[1].logPx}`);
  assert.ok(rows.every((r: { bitsPerDim: number }) => Number.isFinite(r.bitsPerDim)));
  assert.match(await cli(['score', runs.vae, digit, '--iw-k', '3']), /log p\(x\) -?\d+\.\d nats/);
  await assert.rejects(cli(['score', runs.vae, join(root, 'missing.png')]), GenlabError);
});

test('run folders: missing, not a run, no model yet', async () => {
  await assert.rejects(cli(['eval', join(root, 'nope')]), /no such run folder/);
  const empty = join(root, 'empty');
  await mkdir(empty, { recursive: true });
  await assert.rejects(cli(['eval', empty]), /not a run folder/);
  await writeFile(join(empty, 'manifest.json'), JSON.stringify({ version: 1, kind: 'vae', data: { name: 'mnist', shape: [28, 28, 1] } }));
  await assert.rejects(cli(['eval', empty]), /no saved model yet/);
  // A saved model folder works directly where no data is needed.
  assert.match(await cli(['sample', join(runs.vae, 'model'), '-n', '2', '--out', join(root, 'out', 'direct.png')]), /2 vae samples/);
});

test('genlab sample and eval through the real CLI entry point', async () => {
  assert.ok(buildProgram().commands.some((c) => c.name() === 'sample'), 'sample is registered in main.ts');
  const out = join(root, 'out', 'main.png');
  const r = await runCli(['sample', runs.vae, '-n', '4', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const bad = await runCli(['score', runs.ae, 'mnist']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^genlab: score: a ae model cannot score/);
});
