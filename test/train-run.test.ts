import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/backend.js';
import { GenlabError } from '../src/engine/errors.js';
import {
  fit,
  parseMetrics,
  readCheckpointState,
  readManifest,
  readMetrics,
  reconGrids,
  resumeRun,
  sampleGrids,
  writeSampleGrid,
  type FitOptions,
  type MetricsRecord,
} from '../src/train/index.js';
import { RESUME_CONFIG, RESUME_OPTIONS, TinyAutoencoder, resumeData, tinyImages, tinyPoints } from './helpers/train-models.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = (): string => mkdtempSync(join(tmpdir(), 'genlab-run-'));

before(async () => {
  await initEngine({ backend: 'cpu' });
});

/** The numbers of metrics.jsonl, without the wall-clock fields. */
const numbers = (records: readonly MetricsRecord[]): Record<string, unknown>[] =>
  records.map(({ time: _t, examplesPerSec: _e, ...rest }) => rest);

/** Trains the resume-test run into a new folder and returns the folder. */
async function trainRun(options: FitOptions): Promise<string> {
  const dir = join(tmp(), 'run');
  const model = TinyAutoencoder.create(RESUME_CONFIG);
  await fit(model, resumeData(), { ...RESUME_OPTIONS, ...options, runDir: dir });
  model.dispose();
  return dir;
}

async function resume(dir: string, epochs?: number): Promise<void> {
  const { model } = await resumeRun(dir, resumeData(), { loadModel: (d) => TinyAutoencoder.load(d), ...(epochs ? { epochs } : {}) });
  model.dispose();
}

test('a run folder holds manifest, metrics.jsonl, checkpoint, final model and per-epoch grids', async () => {
  const dir = join(tmp(), 'run');
  const model = TinyAutoencoder.create({ shape: [4, 4, 1], latent: 2 });
  await fit(model, { train: tinyImages(64, 1), test: tinyImages(16, 2) }, {
    epochs: 2,
    batchSize: 16,
    runDir: dir,
    dataInfo: { binarize: 'static', limit: 64 },
    callbacks: [sampleGrids({ count: 9 }), reconGrids({ count: 4 })],
  });
  const manifest = await readManifest(dir);
  assert.equal(manifest.kind, 'tiny-ae');
  assert.equal(manifest.status, 'finished');
  assert.deepEqual([manifest.epoch, manifest.step], [2, 8]);
  assert.deepEqual(manifest.data, { name: 'tiny-images', kind: 'images', shape: [4, 4, 1], trainCount: 64, testCount: 16, binarize: 'static', limit: 64 });
  assert.equal(manifest.backend, 'cpu');
  assert.equal((manifest.options as { optimizer: string }).optimizer, 'adam');
  assert.equal(manifest.best?.split, 'test');
  const metrics = await readMetrics(join(dir, 'metrics.jsonl'));
  assert.deepEqual(metrics.map((r) => `${r.epoch}:${r.split}:${r.step}`), ['1:train:4', '1:test:4', '2:train:8', '2:test:8']);
  assert.ok(metrics.every((r) => typeof r['loss'] === 'number' && r.time > 0 && r.examplesPerSec > 0));
  const best = metrics.filter((r) => r.split === 'test').reduce((a, b) => ((a['loss'] as number) <= (b['loss'] as number) ? a : b));
  assert.deepEqual(manifest.best, { epoch: best.epoch, split: 'test', metric: 'loss', value: best['loss'] });
  for (const f of ['model/encoder/model.json', 'model/config.json', 'checkpoint/state.json', 'checkpoint/optimizer-0.bin', 'checkpoint/model/decoder/weights.bin']) {
    assert.ok(existsSync(join(dir, f)), f);
  }
  assert.deepEqual(readdirSync(join(dir, 'samples')), ['epoch-0001.png', 'epoch-0002.png']);
  assert.deepEqual(readdirSync(join(dir, 'recon')), ['epoch-0001.png', 'epoch-0002.png']);
  assert.deepEqual(readdirSync(dir).sort(), ['best', 'checkpoint', 'manifest.json', 'metrics.jsonl', 'model', 'recon', 'samples']);
  // best/ holds the model of the best epoch: the final one here only if the last epoch was the best.
  assert.ok(existsSync(join(dir, 'best/decoder/weights.bin')));
  const sameAsFinal = readFileSync(join(dir, 'best/decoder/weights.bin')).equals(readFileSync(join(dir, 'model/decoder/weights.bin')));
  assert.equal(sameAsFinal, manifest.best?.epoch === 2);
  model.dispose();
});

test('epochMetrics join each epoch\'s test record (one is added without a test split) and bestBy picks the best epoch', async () => {
  for (const withTest of [true, false]) {
    const dir = join(tmp(), 'run');
    const model = TinyAutoencoder.create({ shape: [4, 4, 1], latent: 2 });
    const quality = [0.2, 0.9, 0.5];
    const seen: number[] = [];
    await fit(model, { train: tinyImages(32, 1), ...(withTest ? { test: tinyImages(16, 2) } : {}) }, {
      epochs: 3,
      batchSize: 16,
      runDir: dir,
      epochMetrics: async (m, epoch) => {
        assert.equal(m, model);
        seen.push(epoch);
        return { quality: quality[epoch - 1]! };
      },
      bestBy: { metric: 'quality', better: 'higher' },
    });
    model.dispose();
    assert.deepEqual(seen, [1, 2, 3]);
    const tests = (await readMetrics(join(dir, 'metrics.jsonl'))).filter((r) => r.split === 'test');
    assert.deepEqual(tests.map((r) => r['quality']), quality);
    if (withTest) assert.ok(tests.every((r) => typeof r['loss'] === 'number'), 'the model\'s own test terms stay');
    assert.deepEqual((await readManifest(dir)).best, { epoch: 2, split: 'test', metric: 'quality', value: 0.9 });
  }
});

test('readMetrics skips a half-written last line and rejects a broken line in the middle', async () => {
  const dir = tmp();
  const file = join(dir, 'metrics.jsonl');
  const line = (epoch: number): string => JSON.stringify({ epoch, step: epoch * 10, split: 'train', loss: 1 / epoch, examplesPerSec: 100, time: epoch });
  writeFileSync(file, `${line(1)}\n${line(2)}\n{"epoch":3,"step":30,"spl`);
  assert.deepEqual((await readMetrics(file)).map((r) => r.epoch), [1, 2]);
  assert.deepEqual(await readMetrics(join(dir, 'none.jsonl')), []);
  assert.throws(() => parseMetrics(`${line(1)}\n{"epo\n${line(3)}\n`, file), /metrics.jsonl: line 2 is not a metrics record/);
});

test('sample grids from a fixed noise seed are identical given the same weights', async () => {
  const model = TinyAutoencoder.create({ shape: [4, 4, 1], latent: 2 });
  const data = tinyImages(32, 1);
  const dir = tmp();
  await writeSampleGrid(model, data, join(dir, 'a.png'), { count: 12, seed: 5 });
  await writeSampleGrid(model, data, join(dir, 'b.png'), { count: 12, seed: 5 });
  await writeSampleGrid(model, data, join(dir, 'c.png'), { count: 12, seed: 6 });
  assert.deepEqual(readFileSync(join(dir, 'a.png')), readFileSync(join(dir, 'b.png')));
  assert.notDeepEqual(readFileSync(join(dir, 'a.png')), readFileSync(join(dir, 'c.png')));
  model.dispose();
});

test('point data get a scatter of samples over data', async () => {
  const model = TinyAutoencoder.create({ shape: [2], latent: 1 });
  const dir = tmp();
  await fit(model, { train: tinyPoints(32, 1) }, { epochs: 1, batchSize: 16, callbacks: [sampleGrids({ dir, count: 50 })] });
  const png = readFileSync(join(dir, 'epoch-0001.png'));
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  model.dispose();
});

test('a failing checkpoint write leaves the previous checkpoint intact', async () => {
  const dir = join(tmp(), 'run');
  // Saves: 1 the epoch-0 checkpoint, 2 epoch 1's, 3 epoch 2's (fails); no best/ (its metric is never logged).
  const model = TinyAutoencoder.create({ shape: [4, 4, 1], latent: 2, failSaveAt: 3 });
  let after1 = '';
  const run = fit(model, { train: tinyImages(32, 1) }, {
    epochs: 3,
    batchSize: 16,
    runDir: dir,
    bestBy: { metric: 'never-logged', better: 'lower' },
    callbacks: [{ onEpochEnd: (e) => void (e === 1 && (after1 = readFileSync(join(dir, 'checkpoint/state.json'), 'utf8'))) }],
  });
  await assert.rejects(run, /disk full \(test\)/);
  assert.equal(readFileSync(join(dir, 'checkpoint/state.json'), 'utf8'), after1);
  assert.equal((await readCheckpointState(join(dir, 'checkpoint'))).progress.epoch, 1);
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint', 'manifest.json', 'metrics.jsonl'], 'no half-written folder left behind');
  assert.equal((await readManifest(dir)).status, 'failed');
  model.dispose();
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: 1 epoch + resume gives the same metrics as 2 epochs uninterrupted`, async () => {
    await initEngine({ backend });
    try {
      const whole = await trainRun({ epochs: 2 });
      assert.equal((await readManifest(whole)).backend, backend);
      const split = await trainRun({ epochs: 1 });
      assert.equal((await readManifest(split)).status, 'finished');
      await resume(split, 2);
      const expected = await readMetrics(join(whole, 'metrics.jsonl'));
      assert.equal(expected.length, 4);
      assert.deepEqual(numbers(await readMetrics(join(split, 'metrics.jsonl'))), numbers(expected));
      assert.equal((await readManifest(split)).status, 'finished');
      assert.deepEqual(readFileSync(join(split, 'model/decoder/weights.bin')), readFileSync(join(whole, 'model/decoder/weights.bin')));
    } finally {
      await initEngine({ backend: 'cpu' });
    }
  });
}

test('a run stopped mid-epoch (signal) resumes to the same metrics, lines logged after its checkpoint dropped', async () => {
  const whole = await trainRun({ epochs: 2 });
  const controller = new AbortController();
  const dir = join(tmp(), 'run');
  const model = TinyAutoencoder.create(RESUME_CONFIG);
  const result = await fit(model, resumeData(), {
    ...RESUME_OPTIONS,
    epochs: 2,
    runDir: dir,
    callbacks: [{ onBatchEnd: (step) => void (step === 9 && controller.abort()) }],
    signal: controller.signal,
  });
  model.dispose();
  assert.deepEqual([result.status, result.steps, result.epochs], ['stopped', 9, 1]);
  const manifest = await readManifest(dir);
  assert.deepEqual([manifest.status, manifest.step], ['stopped', 9]);
  assert.ok(existsSync(join(dir, 'model/config.json')), 'a stopped run saves its model');
  assert.equal((await readCheckpointState(join(dir, 'checkpoint'))).progress.batchInEpoch, 3);
  // A line the run wrote after its checkpoint (as if it died before the next one) is dropped on resume.
  writeFileSync(join(dir, 'metrics.jsonl'), `${readFileSync(join(dir, 'metrics.jsonl'), 'utf8')}{"epoch":2,"step":12,"split":"train","loss":9}\n`);
  await resume(dir);
  assert.deepEqual(numbers(await readMetrics(join(dir, 'metrics.jsonl'))), numbers(await readMetrics(join(whole, 'metrics.jsonl'))));
});

test('resume refuses other data', async () => {
  const dir = await trainRun({ epochs: 1 });
  const other = { train: tinyImages(80, 1) };
  await assert.rejects(resumeRun(dir, other, { loadModel: (d) => TinyAutoencoder.load(d) }), /trained on 96 examples of shape \[4, 4, 1\].*got 80/);
});

test('Ctrl-C in another process stops cleanly (exit 130, checkpoint), and the run resumes here exactly', async () => {
  const whole = await trainRun({ epochs: 3 });
  const dir = join(tmp(), 'run');
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/train-child.ts', dir, 'sigint'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.status, 130, child.stderr);
  assert.match(child.stderr, /stopping after this step/);
  assert.deepEqual(JSON.parse(child.stdout), { status: 'stopped', steps: 5 });
  assert.equal((await readManifest(dir)).status, 'stopped');
  await resume(dir);
  assert.deepEqual(numbers(await readMetrics(join(dir, 'metrics.jsonl'))), numbers(await readMetrics(join(whole, 'metrics.jsonl'))));
});

test('a second Ctrl-C exits at once with 130', () => {
  const dir = join(tmp(), 'run');
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/train-child.ts', dir, 'double'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.status, 130, child.stderr);
  assert.equal(child.stdout, '', 'fit did not return');
});

test('a NaN test term stops the run like a train term: checkpoint/ stays the last good epoch, best/ its best', async () => {
  const dir = join(tmp(), 'run');
  const model = TinyAutoencoder.create(RESUME_CONFIG);
  // The test split is one batch: the second evaluation is epoch 2's, and it turns NaN.
  const evaluate = model.evaluate.bind(model);
  let calls = 0;
  model.evaluate = (batch, rng) => {
    const terms = evaluate(batch, rng);
    calls += 1;
    return calls >= 2 ? { ...terms, recon: tf.mul(terms['recon']!, NaN) as tf.Scalar } : terms;
  };
  await assert.rejects(
    fit(model, resumeData(), { ...RESUME_OPTIONS, epochs: 3, runDir: dir }),
    (e: unknown) => e instanceof GenlabError && e.code === 'numeric' && /test recon is NaN at epoch 2.*last good checkpoint \(epoch 1\) is intact/.test(e.message),
  );
  model.dispose();
  assert.equal((await readCheckpointState(join(dir, 'checkpoint'))).progress.epoch, 1);
  assert.deepEqual((await readMetrics(join(dir, 'metrics.jsonl'))).map((r) => `${r.epoch}:${r.split}`), ['1:train', '1:test'], 'the bad epoch is not logged');
  const manifest = await readManifest(dir);
  assert.deepEqual([manifest.status, manifest.epoch, manifest.best?.epoch], ['failed', 1, 1]);
  assert.ok(existsSync(join(dir, 'best/decoder/weights.bin')));
});

test('diverging weights (SGD at lr 1e30) never reach a checkpoint: every saved weight is finite', async () => {
  const dir = join(tmp(), 'run');
  const model = TinyAutoencoder.create(RESUME_CONFIG);
  await assert.rejects(fit(model, resumeData(), { ...RESUME_OPTIONS, optimizer: 'sgd', learningRate: 1e30, epochs: 3, runDir: dir }), (e: unknown) => e instanceof GenlabError && e.code === 'numeric');
  model.dispose();
  const saved = await TinyAutoencoder.load(join(dir, 'checkpoint/model'));
  for (const v of saved.variables()) assert.ok(Array.from(v.dataSync()).every((x) => Number.isFinite(x) && Math.abs(x) < 1e6), `${v.name} holds diverged values`);
  saved.dispose();
  assert.equal((await readManifest(dir)).status, 'failed');
});
