/**
 * Learning rates per loss group (the two time-scale update rule, Heusel et al. 2017): `fit`'s groupLearningRates and
 * `genlab train --group-lr`. A group's own rate is the one its optimiser steps with, it is kept in manifest.json, a
 * resumed run keeps it, the board's reproduce line repeats it, and bad values or unknown groups are one-line errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { loadToy } from '../src/data/toy.js';
import { createModel, loadModel } from '../src/models/kinds.js';
import { fit, resumeRun, type MetricsRecord } from '../src/train/index.js';
import { reproduceCommand } from '../src/cli/lab-command.js';
import { runMain } from './helpers/cli.js';

await initEngine({ backend: 'cpu' });

const points2 = { shape: [2], kind: 'points' as const };
const data = { train: loadToy('ring8', { trainCount: 96, testCount: 32, seed: 1 }).train, test: loadToy('ring8', { trainCount: 32, testCount: 32, seed: 2 }).test };
const snapshot = (vs: readonly tf.Variable[]): Float32Array[] => vs.map((v) => Float32Array.from(v.dataSync()));
const largestChange = (before: Float32Array[], after: Float32Array[]): number =>
  Math.max(...before.map((b, i) => Math.max(...b.map((x, j) => Math.abs(x - after[i]![j]!)))));

test('each group steps with its own learning rate: a generator at 1e-9 barely moves while the discriminator at 1e-2 does', async () => {
  const gan = createModel('gan', { hidden: [16], latent: 2 }, points2, new Rng(1));
  const [d, g] = gan.lossGroups();
  assert.deepEqual([d!.name, g!.name], ['discriminator', 'generator']);
  const d0 = snapshot(d!.variables);
  const g0 = snapshot(g!.variables);
  await fit(gan, data, { steps: 6, batchSize: 32, learningRate: 1e-3, groupLearningRates: { discriminator: 1e-2, generator: 1e-9 } });
  const dMoved = largestChange(d0, snapshot(d!.variables));
  const gMoved = largestChange(g0, snapshot(g!.variables));
  assert.ok(dMoved > 1e-3, `D moved ${dMoved}`);
  assert.ok(gMoved < 1e-6, `G moved ${gMoved} at a learning rate of 1e-9`);
  gan.dispose();
});

test('bad group rates are refused in one line: an unknown group (naming the model’s groups) and a rate that is not > 0', async () => {
  const gan = createModel('gan', { hidden: [8], latent: 2 }, points2, new Rng(1));
  await assert.rejects(fit(gan, data, { steps: 1, batchSize: 32, groupLearningRates: { generatr: 1e-4 } }), /no loss group 'generatr' \(it has discriminator, generator\)/);
  await assert.rejects(fit(gan, data, { steps: 1, batchSize: 32, groupLearningRates: { generator: 0 } }), /groupLearningRates\.generator: expected a positive learning rate, got 0/);
  gan.dispose();
});

test('the group rates are kept in manifest.json and a resumed run ends as the uninterrupted one', async () => {
  const root = await mkdtemp(join(tmpdir(), 'genlab-group-lr-'));
  try {
    const options = { hidden: [16, 16], latent: 3 };
    const plan = { batchSize: 32, seed: 5, learningRate: 2e-3, beta1: 0.5, groupLearningRates: { discriminator: 4e-3, generator: 1e-3 } };
    const numbers = (records: readonly MetricsRecord[]) => records.map(({ time: _t, examplesPerSec: _e, ...rest }) => rest);
    const whole = createModel('gan', options, points2, new Rng(1));
    const full = await fit(whole, data, { ...plan, epochs: 3, runDir: join(root, 'full') });
    const half = createModel('gan', options, points2, new Rng(1));
    await fit(half, data, { ...plan, epochs: 1, runDir: join(root, 'half') });
    half.dispose();
    const manifest = JSON.parse(await readFile(join(root, 'half', 'manifest.json'), 'utf8')) as { options: { groupLearningRates: unknown } };
    assert.deepEqual(manifest.options.groupLearningRates, plan.groupLearningRates);
    const resumed = await resumeRun(join(root, 'half'), data, { loadModel, epochs: 3 });
    assert.deepEqual(numbers(resumed.metrics), numbers(full.metrics));
    const same = snapshot(resumed.model.variables()).every((w, i) => w.every((v, j) => v === snapshot(whole.variables())[i]![j]));
    assert.ok(same, 'every weight as in the uninterrupted run');
    assert.match(reproduceCommand(manifest, 'runs/again')!, / --group-lr discriminator=0\.004,generator=0\.001 /);
    resumed.model.dispose();
    whole.dispose();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('genlab train --group-lr: malformed lists are one-line errors naming the flag, exit 2', async () => {
  for (const [value, why] of [
    ['discriminator', /--group-lr: expected name=number pairs/],
    ['discriminator=fast', /--group-lr discriminator: expected a number > 0, got 'fast'/],
    ['generator=1e-4,generator=2e-4', /--group-lr: 'generator' is given twice/],
  ] as const) {
    const r = await runMain(['train', 'gan', '--data', 'ring8', '--out', join(tmpdir(), 'genlab-never-written'), '--group-lr', value]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, why);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
