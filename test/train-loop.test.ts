import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../src/engine/backend.js';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { TrainStep } from '../src/train/step.js';
import { batches } from '../src/data/dataset.js';
import { createOptimizer, fit, learningRateAt, progressBar, readManifest, reconGrids, resolveOptimizerOptions, sampleGrids, setLearningRate, type CheckpointState } from '../src/train/index.js';
import { TinyAutoencoder, TwoGroupModel, WrappingModel, tinyImages, tinyPoints } from './helpers/train-models.js';
import { derivedOnce } from '../src/models/inputs.js';
import type { TensorBatch } from '../src/models/model.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'genlab-train-'));

before(async () => {
  await initEngine({ backend: 'cpu' });
});

test('the loss falls on a tiny autoencoder, and test metrics are logged each epoch', async () => {
  const model = TinyAutoencoder.create({ shape: [4, 4, 1], latent: 3 });
  const result = await fit(model, { train: tinyImages(256, 1), test: tinyImages(64, 2) }, { epochs: 6, batchSize: 32, learningRate: 1e-2, seed: 3 });
  const train = result.metrics.filter((r) => r.split === 'train');
  const testLines = result.metrics.filter((r) => r.split === 'test');
  assert.equal(result.status, 'finished');
  assert.equal(result.epochs, 6);
  assert.equal(result.steps, 6 * 8);
  assert.equal(train.length, 6);
  assert.equal(testLines.length, 6);
  assert.deepEqual(Object.keys(train[0]!).sort(), ['epoch', 'examplesPerSec', 'loss', 'recon', 'reg', 'split', 'step', 'time']);
  const first = train[0]!['loss'] as number;
  const last = train[5]!['loss'] as number;
  assert.ok(last < 0.5 * first, `loss ${first} → ${last}`);
  assert.ok((testLines[5]!['loss'] as number) < (testLines[0]!['loss'] as number));
  assert.ok(result.examplesPerSec > 0);
  model.dispose();
});

test('TrainStep reads every term of a step: those the loss made are freed after it, a term the model holds (a kept constant, a variable) stays alive', async () => {
  const model = TinyAutoencoder.create({ shape: [4, 4, 1], latent: 3 });
  const held = tf.keep(tf.scalar(7));
  const marker = tf.variable(tf.scalar(-2), false, 'held_marker');
  const [group] = model.lossGroups();
  model.lossGroups = () => [{ ...group!, loss: (...args) => ({ ...group!.loss(...args), held, marker: marker as unknown as tf.Scalar }) }];
  const step = new TrainStep(model, new Rng(1), { learningRate: 1e-2 });
  const data = [...batches(tinyImages(64, 1), { batchSize: 32 })];
  const seen: number[] = [];
  for (let i = 0; i < 4; i++) {
    const terms = await step.run(data[i % 2]!);
    assert.equal(terms.values[terms.names.indexOf('held')], 7);
    assert.equal(terms.values[terms.names.indexOf('marker')], -2);
    assert.ok(Number.isFinite(terms.values[terms.names.indexOf('loss')]!));
    seen.push(tf.memory().numTensors);
  }
  assert.equal(seen[3], seen[1], `tensors after steps 1–4: ${seen.join(', ')}`);
  assert.equal(held.isDisposed, false, 'the model\'s constant is alive');
  assert.equal(marker.isDisposed, false, 'the model\'s variable is alive');
  step.dispose();
  tf.dispose([held, marker]);
  model.dispose();
});

test('values derived from a batch (derivedOnce) are made once per step, shared by every update of it, and freed when the step ends', async () => {
  const model = new TwoGroupModel(3);
  let made = 0;
  const seenIds: number[][] = [];
  const groups = model.lossGroups().map((g) => ({
    ...g,
    loss: (batch: TensorBatch, rng: Rng, step: number) => {
      const [m] = derivedOnce(batch, 'batch-mean', () => {
        made += 1;
        return [tf.mean(batch.x, 0)];
      });
      (seenIds[step] ??= []).push(m!.id);
      const terms = g.loss(batch, rng, step);
      return { ...terms, loss: tf.add(terms.loss, tf.sum(tf.mul(m!, 0))) as tf.Scalar };
    },
  }));
  model.lossGroups = () => groups;
  const step = new TrainStep(model, new Rng(1), { learningRate: 1e-2 });
  const data = [...batches(tinyPoints(64, 1), { batchSize: 32 })];
  const counts: number[] = [];
  for (let i = 0; i < 4; i++) {
    await step.run(data[i % 2]!);
    counts.push(tf.memory().numTensors);
  }
  assert.equal(made, 4, 'one derivation a step, not one an update (1 + 3 updates a step)');
  for (const ids of seenIds) assert.equal(new Set(ids).size, 1, `every update of a step reads the same tensor: ids ${ids.join(', ')}`);
  assert.equal(new Set(seenIds.map((ids) => ids[0])).size, 4, 'each step derives its own');
  assert.equal(counts[3], counts[1], `tensors after steps 1–4: ${counts.join(', ')}`);
  // Outside a step (evaluation, the lab) there is no map: make() runs each time and the caller's tidy owns it.
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const x = tf.ones([2, 2]);
    const first = derivedOnce({ x }, 'batch-mean', () => [tf.mean(x, 0)]);
    const second = derivedOnce({ x }, 'batch-mean', () => [tf.mean(x, 0)]);
    assert.notEqual(first[0]!.id, second[0]!.id);
  });
  assert.equal(tf.memory().numTensors, before, 'the caller\'s tidy freed what it made');
  step.dispose();
  model.dispose();
});

test('each loss group has its own optimiser and updates only its own variables, `steps` times per step', async () => {
  const model = new TwoGroupModel(2);
  const train = tinyPoints(8, 1); // class labels, 2 steps per epoch at batch 4
  await fit(model, { train }, { epochs: 2, batchSize: 4, learningRate: 0.1 });
  const calls = model.calls;
  assert.equal(calls.length, 4 * 3); // 4 steps × (1 first + 2 second)
  for (let step = 0; step < 4; step++) {
    const [f, s1, s2] = calls.slice(3 * step, 3 * step + 3) as [typeof calls[0], typeof calls[0], typeof calls[0]];
    assert.deepEqual([f.group, s1.group, s2.group, f.step, s2.step], ['first', 'second', 'second', step, step]);
    assert.deepEqual(s1.b, f.b, 'the first group\'s update left b alone'); // "G trained with D fixed"
    assert.notDeepEqual(s1.a, f.a, 'the first group updated a');
    assert.deepEqual(s2.a, s1.a, 'the second group\'s update left a alone');
    assert.notDeepEqual(s2.b, s1.b, 'the second group updated b');
    const next = calls[3 * step + 3];
    if (next) assert.deepEqual(next.a, s2.a);
  }
  assert.ok(calls.every((c) => c.labels === 'int32[4]'), 'labels arrive as int32 [n]');
  model.dispose();
});

test('terms of several groups are logged under group/term; a run in steps ends with a partial epoch', async () => {
  const model = new TwoGroupModel(1);
  const result = await fit(model, { train: tinyPoints(8, 1) }, { steps: 5, batchSize: 4, optimizer: 'sgd', momentum: 0.9, learningRate: 0.05 });
  assert.equal(result.steps, 5);
  assert.equal(result.epochs, 3); // 2 + 2 + 1 steps
  const last = result.metrics.at(-1)!;
  assert.equal(last.step, 5);
  assert.deepEqual(Object.keys(last).filter((k) => k.includes('/')).sort(), ['first/loss', 'second/gap', 'second/loss']);
  model.dispose();
});

/** A stream that collects what is written to it, posing as a terminal or not. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => chunks.push(d.toString()));
  return Object.assign(stream, { isTTY, columns: 120, text: () => chunks.join('') }) as unknown as NodeJS.WriteStream & { text: () => string };
}

test('no tensors leak over 130 steps with test evaluation, checkpoints, grids and progress bars', async () => {
  const model = TinyAutoencoder.create({ shape: [4, 4, 1], latent: 2 });
  const counts: number[] = [];
  const dir = join(tmp(), 'run');
  const log = fakeStream(false);
  const terminal = fakeStream(true);
  const before = tf.memory().numTensors;
  await fit(model, { train: tinyImages(160, 1), test: tinyImages(40, 2) }, {
    epochs: 13,
    batchSize: 16,
    runDir: dir,
    callbacks: [
      sampleGrids({ count: 4 }),
      reconGrids({ count: 4 }),
      progressBar({ stream: log }),
      progressBar({ stream: terminal }),
      { onBatchEnd: (step) => void (step % 10 === 0 && counts.push(tf.memory().numTensors)) },
    ],
  });
  assert.equal(counts.length, 13);
  assert.ok(counts.every((c) => c === counts[0]), `tensor counts ${counts.join(' ')}`);
  assert.equal(tf.memory().numTensors, before, 'the optimisers are disposed at the end');
  const lines = log.text().trim().split('\n');
  assert.equal(lines.length, 13);
  assert.match(lines[12]!, /^epoch 13\/13 \| train loss [\d.e-]+ {2}recon [\d.e-]+ {2}reg [\d.e-]+ \| test loss .* \| \d+ ex\/s \| [\d.]+ s$/);
  // One bar for the whole run (130 steps), not one per epoch.
  assert.match(terminal.text(), /step 130\/130 \| epoch 13\/13 \| ETA 0 s \| \d+ ex\/s \| loss [\d.e-]+ {2}recon/);
  assert.doesNotMatch(terminal.text(), /step \d+\/10 /);
  assert.equal(readdirSync(join(dir, 'samples')).length, 13);
  model.dispose();
});

test('a NaN loss stops the run at once, names term, epoch and step, and keeps the last good checkpoint', async () => {
  const dir = join(tmp(), 'run');
  const model = TinyAutoencoder.create({ shape: [4, 4, 1], latent: 2, nanAtStep: 9 }); // 4 steps per epoch: step 10 is in epoch 3
  let checkpointAfterEpoch2 = '';
  const error = await fit(model, { train: tinyImages(64, 1) }, {
    epochs: 5,
    batchSize: 16,
    runDir: dir,
    callbacks: [{ onEpochEnd: (epoch) => void (epoch === 2 && (checkpointAfterEpoch2 = readFileSync(join(dir, 'checkpoint/state.json'), 'utf8'))) }],
  }).catch((e: unknown) => e);
  assert.ok(error instanceof GenlabError, String(error));
  assert.equal(error.code, 'numeric');
  assert.equal(error.message, `tiny-ae: loss is NaN at epoch 3, step 10 (term reg); the last good checkpoint (epoch 2) is intact in ${join(dir, 'checkpoint')}`);
  const manifest = await readManifest(dir);
  assert.equal(manifest.status, 'failed');
  assert.equal(manifest.error, error.message);
  assert.equal(manifest.epoch, 2);
  assert.equal(readFileSync(join(dir, 'checkpoint/state.json'), 'utf8'), checkpointAfterEpoch2);
  const state = JSON.parse(checkpointAfterEpoch2) as CheckpointState;
  assert.deepEqual([state.progress.epoch, state.progress.step], [2, 8]);
  assert.ok(!existsSync(join(dir, 'model')), 'no final model from a failed run');
  model.dispose();
});

test('fit refuses a non-empty run folder and bad options, naming them', async () => {
  const dir = tmp();
  mkdirSync(join(dir, 'old'));
  writeFileSync(join(dir, 'old', 'x.txt'), 'keep me');
  const model = TinyAutoencoder.create({ shape: [4, 4, 1], latent: 2 });
  await assert.rejects(fit(model, { train: tinyImages(16, 1) }, { runDir: join(dir, 'old') }), /old: the folder is not empty/);
  assert.equal(readFileSync(join(dir, 'old', 'x.txt'), 'utf8'), 'keep me');
  await assert.rejects(fit(model, { train: tinyImages(16, 1) }, { epochs: 2, steps: 3 }), /epochs or steps, not both/);
  await assert.rejects(fit(model, { train: tinyImages(16, 1) }, { batchSize: 0 }), /batch size: expected a positive integer, got 0/);
  await assert.rejects(fit(model, { train: tinyPoints(16, 1) }, {}), /examples of shape \[2\], but the tiny-ae model expects \[4, 4, 1\]/);
  model.dispose();
});

test('learning-rate decay: linear and cosine fall from the base rate to 0; the optimiser really steps with the scheduled rate', async () => {
  const o = resolveOptimizerOptions({ learningRate: 0.1, lrDecay: 'linear' });
  assert.equal(learningRateAt(o, 0, 10), 0.1);
  assert.ok(Math.abs(learningRateAt(o, 5, 10) - 0.05) < 1e-12);
  assert.equal(learningRateAt(o, 10, 10), 0);
  const c = { ...o, lrDecay: 'cosine' as const };
  assert.ok(Math.abs(learningRateAt(c, 5, 10) - 0.05) < 1e-12 && learningRateAt(c, 2, 10) > 0.08 && learningRateAt(c, 8, 10) < 0.02);
  assert.equal(learningRateAt({ ...o, lrDecay: 'none' }, 9, 10), 0.1);
  assert.throws(() => resolveOptimizerOptions({ lrDecay: 'step' as 'none' }), /lrDecay.*none, linear, cosine/);
  // x ← x − lr·∇(x²/2) = x − lr·x, for each optimiser kind, after setLearningRate.
  for (const kind of [{ optimizer: 'sgd' as const }, { optimizer: 'sgd' as const, momentum: 0.5 }, { optimizer: 'adam' as const }]) {
    const opt = createOptimizer(resolveOptimizerOptions({ ...kind, learningRate: 1 }));
    const x = tf.variable(tf.scalar(2));
    setLearningRate(opt, 0);
    opt.minimize(() => tf.mul(tf.square(x), 0.5) as tf.Scalar, false, [x]);
    assert.equal(x.dataSync()[0], 2, `${JSON.stringify(kind)}: lr 0 leaves x`);
    setLearningRate(opt, 0.25);
    opt.minimize(() => tf.mul(tf.square(x), 0.5) as tf.Scalar, false, [x]);
    assert.ok(x.dataSync()[0]! < 2, `${JSON.stringify(kind)}: lr 0.25 moves x`);
    if (kind.optimizer === 'sgd' && !kind.momentum) assert.ok(Math.abs(x.dataSync()[0]! - 1.5) < 1e-6);
    x.dispose();
    opt.dispose();
  }
  // Through fit: the same seed's first step agrees with and without decay; a run whose rate ends at 0 moves less.
  const run = async (lrDecay: 'none' | 'linear') => {
    const model = TinyAutoencoder.create({ shape: [4, 4, 1], latent: 2 });
    const r = await fit(model, { train: tinyImages(64, 1) }, { steps: 8, batchSize: 8, learningRate: 0.05, lrDecay, seed: 3 });
    model.dispose();
    return r.metrics;
  };
  const [flat, decayed] = [await run('none'), await run('linear')];
  assert.notDeepEqual(flat.at(-1)!['loss'], decayed.at(-1)!['loss']);
});

test('TrainStep: a group may have optimiser settings of its own (two time-scale learning rates); an unknown group is an error', async () => {
  const change = async (groupOptions?: Record<string, { learningRate: number }>): Promise<number[]> => {
    const model = new TwoGroupModel(1);
    const trainer = new TrainStep(model, new Rng(0), { optimizer: 'sgd', learningRate: 0.1, ...(groupOptions ? { groupOptions } : {}) });
    const before = Array.from(model.a.dataSync());
    await trainer.run(batches(tinyPoints(4, 1), { batchSize: 4 }).next().value!);
    const after = Array.from(model.a.dataSync());
    trainer.dispose();
    model.dispose();
    return after.map((v, i) => v - before[i]!);
  };
  const shared = await change();
  const own = await change({ first: { learningRate: 0.3 } });
  own.forEach((d, i) => assert.ok(Math.abs(d - 3 * shared[i]!) < 1e-6, `a moved ${d}, three times ${shared[i]}`));
  const model = new TwoGroupModel(1);
  assert.throws(() => new TrainStep(model, new Rng(0), { groupOptions: { third: { learningRate: 1 } } }), /no loss group 'third' \(it has first, second\)/);
  model.dispose();
});

test('TrainStep: a step spread over two calls (partOfStep) makes the same updates, at the same step, as one call', async () => {
  const batch = () => batches(tinyPoints(4, 1), { batchSize: 4 }).next().value!;
  const train = async (split: boolean) => {
    const model = new TwoGroupModel(1);
    const trainer = new TrainStep(model, new Rng(0), { optimizer: 'sgd', learningRate: 0.1 });
    for (let k = 0; k < 3; k++) {
      if (!split) await trainer.run(batch());
      else {
        await trainer.run(batch(), [{ group: 'first', times: 1 }], true);
        await trainer.run(batch(), [{ group: 'second', times: 1 }]);
      }
    }
    const out = { step: trainer.step, calls: model.calls.map((c) => [c.group, c.step]), a: Array.from(model.a.dataSync()), b: Array.from(model.b.dataSync()) };
    trainer.dispose();
    model.dispose();
    return out;
  };
  const whole = await train(false);
  assert.equal(whole.step, 3);
  assert.deepEqual(await train(true), whole);
});

test('TrainStep: a group that wraps another runs that update inside its own loss, on what it computed once, and its gradient flows through it; a plan of single updates computes it in each', async () => {
  const batch = () => batches(tinyPoints(4, 1), { batchSize: 4 }).next().value!;
  const run = async (plan?: { group: string; times: number }[]) => {
    const model = new WrappingModel();
    const trainer = new TrainStep(model, new Rng(0), { optimizer: 'sgd', learningRate: 0.1 });
    const terms = await trainer.run(batch(), plan);
    const numTensors = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) await trainer.run(batch(), plan);
    const out = { terms, a: model.a.dataSync()[0]!, b: model.b.dataSync()[0]!, hPasses: model.hPasses, leaked: tf.memory().numTensors - numTensors, innerDepths: model.innerDepths };
    trainer.dispose();
    model.dispose();
    return out;
  };
  const near = (x: number, y: number, what: string) => assert.ok(Math.abs(x - y) < 1e-5, `${what}: ${x}, expected ${y}`);
  const whole = await run();
  // Inner: (a − h)² at a = 0.5, h = 2b = 2 → 2.25, a' = 0.5 − 0.1 · 2(0.5 − 2) = 0.8. Outer, with a': (a'h − 1)² = 0.36,
  // ∂/∂b = 2(a'·2b − 1) · 2a' = 1.92 through h, which was computed before the inner update → b' = 1 − 0.192.
  assert.deepEqual(whole.terms.names, ['inner/loss', 'outer/loss']);
  near(whole.terms.values[0]!, 2.25, 'inner loss');
  near(whole.terms.values[1]!, 0.36, 'outer loss');
  assert.equal(whole.hPasses, 4, 'h once per step');
  assert.equal(whole.leaked, 0);
  assert.deepEqual(whole.innerDepths, [1, 1, 1, 1], 'the inner update runs off the outer tape (its own gradient at depth 1)');
  const first = await run([{ group: 'inner', times: 1 }, { group: 'outer', times: 1 }]);
  assert.equal(first.hPasses, 8, 'h twice per step: each group computes it');
  assert.deepEqual({ ...first.terms }, { ...whole.terms });
  const single = new WrappingModel();
  const trainer = new TrainStep(single, new Rng(0), { optimizer: 'sgd', learningRate: 0.1 });
  await trainer.run(batch());
  near(single.a.dataSync()[0]!, 0.8, 'a after one step');
  near(single.b.dataSync()[0]!, 0.808, 'b after one step');
  trainer.dispose();
  single.dispose();
  // A group may only wrap one declared before it.
  const reversed = new WrappingModel();
  reversed.lossGroups = () => [...WrappingModel.prototype.lossGroups.call(reversed)].reverse();
  assert.throws(() => new TrainStep(reversed, new Rng(0)), /loss group 'outer' wraps 'inner': it must be a group declared before it/);
  reversed.dispose();
});
