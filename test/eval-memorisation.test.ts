/**
 * The memorisation measure of small image sets (Pokémon, 40×40×3): copies of training sprites are flagged and sit at
 * distance 0, held-out sprites are not, and `genlab eval` of a Pokémon run reports it against the run's own split.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../src/engine/backend.js';
import { loadPokemon } from '../src/data/pokemon.js';
import { memorisationCheck } from '../src/eval/image-metrics.js';
import { runCli } from './helpers/cli.js';

await initEngine({ backend: 'cpu' }); // the sprites are prepared with tensor ops

const SIZE = 40 * 40 * 3;

test('on Pokémon sprites, copies of training sprites are flagged and held-out sprites are not', async () => {
  const { train, test: heldOut } = await loadPokemon({ seed: 0 });
  assert.equal(train.shape.join(), '40,40,3');
  const copies = memorisationCheck(train.data.subarray(0, 200 * SIZE), train.data, heldOut.data, heldOut.data, SIZE);
  assert.ok(copies.sampleToTrain.median < 0.05, `copies at ${copies.sampleToTrain.median} (0 up to float32 rounding of ‖a‖² + ‖b‖² − 2a·b)`);
  assert.equal(copies.nearCopies, 1);
  assert.ok(copies.flagged, `copies flagged (z ${copies.nearTrain.z}: with 133 held-out sprites the test needs a few hundred samples)`);
  // Other real sprites, never trained on: about as near the training set as the held-out baseline, not flagged.
  const { train: otherTrain } = await loadPokemon({ seed: 1 });
  const trainSet = new Set(Array.from({ length: train.count }, (_, i) => train.data.subarray(i * SIZE, (i + 1) * SIZE).join()));
  const fresh: number[] = [];
  for (let i = 0; i < otherTrain.count && fresh.length < 60; i++) if (!trainSet.has(otherTrain.data.subarray(i * SIZE, (i + 1) * SIZE).join())) fresh.push(i);
  assert.ok(fresh.length >= 30, `${fresh.length} sprites outside seed 0's training split`);
  const novel = new Float32Array(fresh.length * SIZE);
  fresh.forEach((row, k) => novel.set(otherTrain.data.subarray(row * SIZE, (row + 1) * SIZE), k * SIZE));
  const real = memorisationCheck(novel, train.data, heldOut.data, heldOut.data, SIZE);
  assert.ok(!real.flagged, 'unseen real sprites are not flagged');
  assert.ok(real.medianRatio > 0.7 && real.medianRatio < 1.4, `median ratio ${real.medianRatio}`);
  assert.throws(() => memorisationCheck(novel.subarray(0, SIZE + 7), train.data, heldOut.data, heldOut.data, SIZE), /memorisation: needs .* of 4800 values each/);
});

test('genlab eval of a Pokémon GAN run reports the memorisation check against its own split', async () => {
  const root = await mkdtemp(join(tmpdir(), 'genlab-pokemon-mem-'));
  try {
    const out = join(root, 'run');
    const train = await runCli(['train', 'dcgan', '--data', 'pokemon', '--steps', '2', '--filters', '8,16', '--latent', '8', '--diff-augment', '--seed', '3', '--out', out]);
    assert.equal(train.code, 0, train.stderr);
    const ev = await runCli(['eval', out, '--samples', '64', '--json']);
    assert.equal(ev.code, 0, ev.stderr);
    const report = JSON.parse(ev.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    for (const key of ['nearestTrainMedian', 'heldOutNearestTrainMedian', 'memorisationRatio', 'nearCopies']) assert.ok(Number.isFinite(report[key]), key);
    assert.ok(report['nearestTrainMedian']! > 0, 'an untrained generator copies nothing');
    // Colours per sprite: held-out sprites a few flat colours, an untrained G's grey-ish noise spread over other cells.
    assert.ok(report['heldOutColourEntropy']! > 1.5 && report['heldOutColourEntropy']! < 5, `held-out sprites ${report['heldOutColourEntropy']} bits`);
    assert.ok(Number.isFinite(report['colourEntropy']) && report['colourEntropy'] !== report['heldOutColourEntropy'], `samples ${report['colourEntropy']} bits`);
    // An untrained DCGAN's transposed convolutions paint a 2×2 checkerboard; the held-out sprites hold little of it.
    assert.ok(report['heldOutCheckerboard']! < 0.05 && report['checkerboard']! > 2 * report['heldOutCheckerboard']!, `checkerboard: samples ${report['checkerboard']}, held-out ${report['heldOutCheckerboard']}`);
    // An untrained G's grey noise is told from sprites by the two-sample classifier almost every time.
    assert.ok(report['twoSampleAccuracy']! > 0.9, `two-sample accuracy ${report['twoSampleAccuracy']}`);
    assert.equal(report['twoSampleTrained'], 1000);
    const text = await runCli(['eval', out, '--samples', '64']);
    assert.match(text.stdout, /2×2 checkerboard: samples [\d.]+% of each image's variance, held-out images [\d.]+% \(the variance of the four pixel phases' means\)/);
    assert.match(text.stdout, /pokemon samples \(64\), dcgan: nearest training image \(pixel L2, \d+ searched\)/);
    assert.match(text.stdout, /colours per image: samples [\d.]+ bits, held-out images [\d.]+ \(entropy of the non-white pixels over 4×4×4 RGB cells\)/);
    assert.match(text.stdout, /two-sample classifier: [\d.]+% balanced accuracy telling unseen samples from held-out images \(50% = indistinguishable; held-out called real [\d.]+%, samples called generated [\d.]+%; a small convnet trained on 1000 training images against 1000 samples\)/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('genlab train --size 20: a Pokémon run at the lecture\'s 20×20, recorded, resumed and evaluated at that size; MNIST refuses a size; --mirror recorded, kept on resume; --no-diff-augment after --diff-augment, its memorisation check searching the mirrors too, refused for points', async () => {
  const root = await mkdtemp(join(tmpdir(), 'genlab-pokemon-size-'));
  try {
    const out = join(root, 'run');
    const args = ['train', 'dcgan', '--data', 'pokemon', '--size', '20', '--filters', '8,16', '--latent', '8', '--seed', '3', '--out', out];
    const first = await runCli([...args, '--steps', '2']);
    assert.equal(first.code, 0, first.stderr);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { data: { shape: number[]; size: number } };
    assert.deepEqual(manifest.data.shape, [20, 20, 3]);
    assert.equal(manifest.data.size, 20);
    const resumed = await runCli(['train', 'dcgan', '--out', out, '--resume', '--size', '20', '--steps', '4']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming dcgan on pokemon from epoch \d+, step 2/);
    const clash = await runCli(['train', 'dcgan', '--out', out, '--resume', '--size', '40', '--steps', '6']);
    assert.equal(clash.code, 2);
    assert.match(clash.stderr, /--size/);
    const ev = await runCli(['eval', out, '--samples', '32', '--json']);
    assert.equal(ev.code, 0, ev.stderr);
    const report = JSON.parse(ev.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    assert.ok(Number.isFinite(report['memorisationRatio']) && report['heldOutNearestTrainMedian']! > 0);
    const mirrored = join(root, 'mirrored');
    // As examples/pokemon-gan.sh passes --diff-augment before the user's flags: a later --no-diff-augment wins.
    const flipped = await runCli([...args.slice(0, -1), mirrored, '--diff-augment', '--mirror', '--no-diff-augment', '--steps', '2']);
    assert.equal(flipped.code, 0, flipped.stderr);
    const saved = JSON.parse(await readFile(join(mirrored, 'manifest.json'), 'utf8')) as { data: { mirror?: boolean; trainCount: number }; config: { diffAugment: boolean } };
    const recorded = saved.data;
    assert.equal(recorded.mirror, true, '--mirror is recorded');
    assert.equal(saved.config.diffAugment, false, '--no-diff-augment after --diff-augment');
    const mirroredEval = await runCli(['eval', mirrored, '--samples', '32']);
    assert.equal(mirroredEval.code, 0, mirroredEval.stderr);
    assert.match(mirroredEval.stdout, new RegExp(`pixel L2, ${2 * recorded.trainCount} searched`), 'the memorisation check searches the training images and their mirrors');
    const mirrorClash = await runCli(['train', 'dcgan', '--out', out, '--resume', '--mirror', '--steps', '6']);
    assert.equal(mirrorClash.code, 2);
    assert.match(mirrorClash.stderr.trim().split('\n').at(-1)!, /^genlab: --mirror: true conflicts with the run's false/);
    const points = await runCli(['train', 'gan', '--data', 'ring8', '--mirror', '--steps', '1', '--out', join(root, 'ring8')]);
    assert.equal(points.code, 2);
    assert.match(points.stderr.trim().split('\n').at(-1)!, /^genlab: --mirror: ring8's examples are points \[2\]: only images flip left to right$/);
    const mnist = await runCli(['train', 'vae', '--data', 'mnist', '--size', '20', '--steps', '1', '--out', join(root, 'mnist')]);
    assert.equal(mnist.code, 2);
    assert.match(mnist.stderr.trim().split('\n').at(-1)!, /^genlab: --size: mnist's examples are \[28, 28, 1\] and take no size \(it resizes pokemon, moons and image folders\)$/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
