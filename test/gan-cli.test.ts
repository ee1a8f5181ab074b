import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { initEngine } from '../src/engine/backend.js';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { subset } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/registry.js';
import { loadToy } from '../src/data/toy.js';
import { parseNpy } from '../src/data/npy.js';
import { slerpCodes } from '../src/index.js';
import { createModel } from '../src/models/kinds.js';
import { defaultClassifierDir } from '../src/eval/mnist-classifier.js';
import { fit } from '../src/train/index.js';
import { runCli, runModelCommands } from './helpers/cli.js';

await initEngine();
const root = await mkdtemp(join(tmpdir(), 'genlab-gan-cli-'));
test.after(() => rm(root, { recursive: true, force: true }));

const cli = runModelCommands;

// Run folders written by the training loop: a GAN on ring8 and a conditional DCGAN on a few MNIST digits.
const ring = loadToy('ring8', { trainCount: 512, testCount: 64, seed: 0 });
const ringRun = join(root, 'ring8');
const gan = createModel('gan', { hidden: [32, 32], latent: 4 }, { shape: [2], kind: 'points' }, new Rng(1));
await fit(gan, ring, { steps: 20, batchSize: 64, runDir: ringRun, learningRate: 2e-3, beta1: 0.5 });
gan.dispose();
const mnist = await loadDataset('mnist');
const digits = { train: subset(mnist.train, Array.from({ length: 64 }, (_, i) => i)), test: subset(mnist.test, Array.from({ length: 16 }, (_, i) => i)) };
const mnistRun = join(root, 'dcgan');
const dcgan = createModel('cgan', { arch: 'conv', latent: 8, filters: [4, 8] }, { shape: [28, 28, 1], kind: 'images', classes: mnist.train.labels?.kind === 'class' ? mnist.train.labels.classes : [] }, new Rng(1));
await fit(dcgan, digits, { steps: 2, batchSize: 32, runDir: mnistRun });
dcgan.dispose();

test('sample: GAN runs give .npy arrays and PNGs (scatter for points, a grid for images), labels for a cgan', async () => {
  const npy = join(root, 'out', 'ring.npy');
  assert.match(await cli(['sample', ringRun, '-n', '50', '--seed', '2', '--out', npy]), /50 gan samples/);
  const arr = parseNpy(new Uint8Array(await readFile(npy)), npy);
  assert.deepEqual(arr.shape, [50, 2]);
  const again = join(root, 'out', 'ring2.npy');
  await cli(['sample', ringRun, '-n', '50', '--seed', '2', '--out', again]);
  assert.deepEqual(await readFile(again), await readFile(npy), 'same seed, same samples');
  await cli(['sample', ringRun, '-n', '50', '--out', join(root, 'out', 'ring.png')]);
  assert.ok(PNG.sync.read(await readFile(join(root, 'out', 'ring.png'))).width > 100);
  const seven = join(root, 'out', 'seven.npy'), one = join(root, 'out', 'one.npy');
  await cli(['sample', mnistRun, '-n', '3', '--label', '7', '--out', seven]);
  await cli(['sample', mnistRun, '-n', '3', '--label', '1', '--out', one]);
  const s7 = parseNpy(new Uint8Array(await readFile(seven)), seven);
  assert.deepEqual(s7.shape, [3, 28, 28, 1]);
  assert.ok(Array.from(s7.data).every((v) => v >= 0 && v <= 1));
  assert.notDeepEqual(await readFile(seven), await readFile(one));
  await cli(['sample', mnistRun, '-n', '20', '--out', join(root, 'out', 'grid.png')]);
  await assert.rejects(cli(['sample', ringRun, '--label', '1', '--out', seven]), /not conditional \(labels need a cvae or cgan\)/);
});

test('interpolate: a GAN walks the great circle between the codes seeded by --from and --to; .npy or a PNG strip', async () => {
  const path = join(root, 'out', 'path.npy');
  assert.match(await cli(['interpolate', mnistRun, '--from', '3', '--to', '4', '--steps', '5', '--label', '2', '--out', path]), /codes seeded 3 → 4 in 5 steps/);
  const p = parseNpy(new Uint8Array(await readFile(path)), path);
  assert.deepEqual(p.shape, [5, 28, 28, 1]);
  // The first frame is the sample `genlab sample --seed 3 -n 1 --label 2` draws.
  const first = join(root, 'out', 'first.npy');
  await cli(['sample', mnistRun, '-n', '1', '--seed', '3', '--label', '2', '--out', first]);
  const f = parseNpy(new Uint8Array(await readFile(first)), first);
  Array.from(f.data).forEach((v, i) => assert.ok(Math.abs(v - p.data[i]!) < 1e-5));
  const strip = join(root, 'out', 'strip.png');
  await cli(['interpolate', mnistRun, '--from', '3', '--to', '4', '--steps', '6', '--out', strip]);
  assert.ok(PNG.sync.read(await readFile(strip)).width > 6 * 28);
  const points = join(root, 'out', 'points.npy');
  await cli(['interpolate', ringRun, '--from', '0', '--to', '1', '--steps', '4', '--out', points]);
  assert.deepEqual(parseNpy(new Uint8Array(await readFile(points)), points).shape, [4, 2]);
  await assert.rejects(cli(['interpolate', ringRun, '--from', '0', '--to', '1', '--out', join(root, 'x.png')]), /needs an image model/);
  await assert.rejects(cli(['reconstruct', mnistRun, '--out', join(root, 'x.png')]), (e: unknown) => e instanceof GenlabError && e.code === 'unsupported' && /a cgan model cannot reconstruct; use a .*vae/.test(e.message));
  // Great-circle interpolation keeps the codes' norm between equal-norm ends; a straight line would shrink it.
  const a = Float32Array.from([3, 0]), b = Float32Array.from([0, 3]);
  const mid = slerpCodes(a, b, 3).subarray(2, 4);
  assert.ok(Math.abs(Math.hypot(mid[0]!, mid[1]!) - 3) < 1e-5);
});

test('eval --json on a toy set: { modesCovered, modesTotal, highQuality }', async () => {
  const r = JSON.parse(await cli(['eval', ringRun, '--json', '--samples', '500']));
  assert.deepEqual(Object.keys(r), ['modesCovered', 'modesTotal', 'highQuality']);
  assert.equal(r.modesTotal, 8);
  assert.ok(r.highQuality >= 0 && r.highQuality <= 1 && Number.isInteger(r.modesCovered));
  assert.match(await cli(['eval', ringRun, '--samples', '500']), /\d\/8 modes covered, \d+\.\d% high-quality samples/);
});

test('sample and eval --temperature σ: codes z ~ N(0, σ²I); σ = 0 puts every sample on G(0), one mode at most', async () => {
  const cold = join(root, 'out', 'cold.npy'), warm = join(root, 'out', 'warm.npy'), plain = join(root, 'out', 'plain.npy');
  await cli(['sample', ringRun, '-n', '40', '--temperature', '0', '--out', cold]);
  const c = parseNpy(new Uint8Array(await readFile(cold)), cold).data;
  for (let i = 1; i < 40; i++) assert.deepEqual([c[2 * i], c[2 * i + 1]], [c[0], c[1]]);
  await cli(['sample', ringRun, '-n', '40', '--temperature', '1', '--out', warm]);
  await cli(['sample', ringRun, '-n', '40', '--out', plain]);
  assert.deepEqual(await readFile(warm), await readFile(plain), 'σ = 1 is the default');
  const r = JSON.parse(await cli(['eval', ringRun, '--json', '--samples', '500', '--temperature', '0']));
  assert.equal(r.temperature, 0);
  assert.ok(r.modesCovered <= 1, `${r.modesCovered} modes from one point`);
  await assert.rejects(cli(['eval', ringRun, '--temperature', '9']), /--temperature: expected a number in \[0, 4\], got '9'/);
});

test('eval on MNIST: FID, KID, IS, precision and recall from the MNIST classifier', { skip: !existsSync(join(defaultClassifierDir(), 'model.json')) && 'no classifier weights in assets/mnist-classifier yet' }, async () => {
  const r = JSON.parse(await cli(['eval', mnistRun, '--json', '--samples', '200']));
  assert.deepEqual(Object.keys(r), ['fid', 'kid', 'inceptionScore', 'precision', 'recall']);
  assert.ok(Object.values(r).every((v) => Number.isFinite(v as number)));
});

test('genlab train gan → genlab eval, through the real CLI entry point', async () => {
  const out = join(root, 'cli-run');
  const train = await runCli(['train', 'gan', '--data', 'ring8', '--steps', '30', '--batch-size', '32', '--hidden', '16', '--latent', '2', '--limit', '256', '--instance-noise', '0.5', '--instance-noise-steps', '20', '--zero-gp', '0.1', '--out', out]);
  assert.equal(train.code, 0, train.stderr);
  const { config } = JSON.parse(await readFile(join(out, 'model', 'genlab-model.json'), 'utf8'));
  assert.deepEqual([config.instanceNoise, config.instanceNoiseSteps, config.zeroCenteredPenalty], [0.5, 20, 0.1], 'the fixes\' flags reach the model');
  assert.ok(existsSync(join(out, 'model', 'generator', 'model.json')) && existsSync(join(out, 'checkpoint', 'model', 'discriminator', 'model.json')));
  assert.ok(existsSync(join(out, 'samples', 'epoch-0001.png')));
  const metrics = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(metrics.some((m) => typeof m['discriminator/loss'] === 'number' && typeof m['generator/loss'] === 'number' && m['discriminator/gradientPenalty'] > 0));
  // Each epoch's test line carries the toy set's quality measure, and the best epoch is judged by modes covered.
  const tests = metrics.filter((m) => m.split === 'test');
  assert.ok(tests.length > 0 && tests.every((m) => m.modesTotal === 8 && m.qualitySamples === 2500 && m.highQuality >= 0 && m.highQuality <= 1), JSON.stringify(tests[0]));
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
  assert.equal(manifest.best.metric, 'modesCovered');
  assert.equal(manifest.best.value, Math.max(...tests.map((m) => m.modesCovered)));
  const ev = await runCli(['eval', out, '--json', '--samples', '300']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.deepEqual(Object.keys(JSON.parse(ev.stdout)), ['modesCovered', 'modesTotal', 'highQuality']);
});
