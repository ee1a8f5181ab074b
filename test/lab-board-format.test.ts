/**
 * The runs board's readers, without a browser or a server: metrics.jsonl parsed leniently (a half-written last line
 * skipped, a malformed line reported but not fatal), the terms as train/test series and as CSV, a run's summary from
 * whatever its manifest holds, the command line that trains a run again, and a saved model read from a URL through
 * engine/model-io.ts exactly as from its folder.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createReadStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { reproduceCommand, shellWord } from '../src/cli/lab-command.js';
import { registerTrainCommand } from '../src/cli/train.js';
import { joinPath } from '../src/engine/model-io.js';
import { GenlabError, Rng, VAE, initEngine, loadModel, requireCapability, metricTerms, metricsCsv, parseMetricsText, summarizeRun, termSeries, tf } from '../src/index.js';

const line = (o: object): string => `${JSON.stringify(o)}\n`;
const r1 = { epoch: 1, step: 4, split: 'train', loss: 3, kl: 0.5, examplesPerSec: 100, time: 1 };
const t1 = { epoch: 1, step: 4, split: 'test', loss: 2.5, kl: 0.4, modes: null, examplesPerSec: 900, time: 1 };
const r2 = { ...r1, epoch: 2, step: 8, loss: 2, time: 2 };

describe('metrics.jsonl, read while it is written', () => {
  it('skips a half-written last line, even one that parses, and reports malformed lines without failing', () => {
    const whole = line(r1) + line(t1);
    assert.deepEqual(parseMetricsText(whole).records.length, 2);
    const cut = parseMetricsText(whole + '{"epoch":2,"st');
    assert.equal(cut.records.length, 2);
    assert.equal(cut.partial, true);
    assert.deepEqual(cut.badLines, []);
    // `{"epoch":2}` cut after a digit parses, but it is not whole until its newline is there.
    assert.equal(parseMetricsText(whole + '{"epoch":2}').records.length, 2);
    const bad = parseMetricsText(line(r1) + 'garbage\n' + '[1,2]\n' + line(r2));
    assert.deepEqual(bad.badLines, [2, 3]);
    assert.deepEqual(bad.records.map((r) => r.epoch), [1, 2]);
    assert.deepEqual(parseMetricsText(''), { records: [], badLines: [], partial: false });
  });

  it('gives every logged term as train and test series, null as NaN, and a CSV', () => {
    const { records } = parseMetricsText(line(r1) + line(t1) + line(r2));
    assert.deepEqual(metricTerms(records), ['loss', 'kl', 'modes']);
    assert.deepEqual(termSeries(records, 'loss', 'train'), { term: 'loss', split: 'train', epochs: [1, 2], steps: [4, 8], values: [3, 2] });
    assert.ok(Number.isNaN(termSeries(records, 'modes', 'test').values[0]));
    assert.deepEqual(termSeries(records, 'modes', 'train').values, []);
    const csv = metricsCsv(records).trim().split('\n');
    assert.equal(csv[0], 'epoch,step,split,time,examplesPerSec,loss,kl,modes');
    assert.equal(csv[2], '1,4,test,1,900,2.5,0.4,');
    assert.equal(csv.length, 4);
  });

  it('summarises a run from a full manifest, and from a partial or broken one without failing', () => {
    const metrics = parseMetricsText(line(r1) + line(t1) + line(r2) + 'oops\n');
    const s = summarizeRun('a', { kind: 'vae', data: { name: 'mnist' }, status: 'running', epoch: 2, step: 8, options: { epochs: 5 }, best: { epoch: 1, split: 'test', metric: 'loss', value: 2.5 }, created: 'c', updated: 'u' }, metrics);
    assert.equal(s.status, 'running');
    assert.equal(s.epochs, 5);
    assert.deepEqual(s.best, { metric: 'loss', value: 2.5, epoch: 1, split: 'test' });
    assert.equal(s.time, 2);
    assert.deepEqual(s.loss, [2.5], 'the test loss when the run logs one');
    assert.match(s.problems[0]!, /1 malformed line/);
    const odd = summarizeRun('b', 'not an object', parseMetricsText(''));
    assert.equal(odd.status, 'unknown');
    assert.equal(odd.kind, '?');
    assert.match(odd.problems[0]!, /not a JSON object/);
    assert.equal(summarizeRun('c', { status: 'exploded' }, parseMetricsText('')).status, 'unknown');
  });
});

describe('the command line that trains a run again', () => {
  const manifest = {
    kind: 'gan',
    config: { arch: 'mlp', hidden: [64, 64], latent: 8, batchNorm: false, featureMatching: true, minibatchDiscrimination: false, labelSmoothing: 0.9, conditional: false, filters: [] },
    data: { name: 'ring8', shape: [2], limit: 200, testLimit: 100 },
    seed: 3,
    backend: 'cpu',
    options: { optimizer: 'adam', learningRate: 0.0002, beta1: 0.5, beta2: 0.999, momentum: 0, lrDecay: 'cosine', epochs: 2, steps: null, batchSize: 32, checkpointEverySteps: null },
  };

  it('names the kind, the data and its limits, the plan, the optimiser, the seed, the backend and every model option', () => {
    const cmd = reproduceCommand(manifest, 'runs/g-rerun')!;
    assert.equal(
      cmd,
      'genlab train gan --data ring8 --out runs/g-rerun --limit 200 --test-limit 100 --epochs 2 --batch-size 32 --optimizer adam --lr 0.0002 ' +
        '--beta1 0.5 --beta2 0.999 --lr-decay cosine --seed 3 --backend cpu --arch mlp --hidden 64,64 --latent 8 --no-batch-norm --label-smoothing 0.9 --feature-matching',
    );
    assert.equal(reproduceCommand({ kind: 'vae' }, 'x'), null, 'no data: no command');
    assert.equal(shellWord("it's here"), `'it'\\''s here'`);
  });

  it('is a command line genlab train accepts, giving back the same model options', async () => {
    const argv = reproduceCommand(manifest, 'runs/g-rerun')!.split(' ').slice(1);
    let seen: Record<string, unknown> | undefined;
    const program = new Command().exitOverride();
    registerTrainCommand(program);
    const gan = program.commands.find((c) => c.name() === 'train')!.commands.find((c) => c.name() === 'gan')!;
    gan.action((flags: Record<string, unknown>) => void (seen = flags));
    await program.parseAsync(argv, { from: 'user' });
    assert.deepEqual(
      { hidden: seen!['hidden'], latent: seen!['latent'], batchNorm: seen!['batchNorm'], featureMatching: seen!['featureMatching'], labelSmoothing: seen!['labelSmoothing'], lr: seen!['lr'], lrDecay: seen!['lrDecay'], seed: seen!['seed'] },
      { hidden: [64, 64], latent: 8, batchNorm: false, featureMatching: true, labelSmoothing: 0.9, lr: 0.0002, lrDecay: 'cosine', seed: 3 },
    );
  });
  it('keeps --size and --mirror of an image run, and genlab train takes them back', async () => {
    const images = { ...manifest, kind: 'dcgan', config: { filters: [8, 16], latent: 8 }, data: { name: 'pokemon', shape: [20, 20, 3], size: 20, mirror: true } };
    const argv = reproduceCommand(images, 'runs/pk')!.split(' ').slice(1);
    assert.deepEqual(argv.slice(0, 9), ['train', 'dcgan', '--data', 'pokemon', '--out', 'runs/pk', '--size', '20', '--mirror']);
    assert.ok(!reproduceCommand({ ...images, data: { ...images.data, mirror: false } }, 'runs/pk')!.includes('--mirror'));
    let seen: Record<string, unknown> | undefined;
    const program = new Command().exitOverride();
    registerTrainCommand(program);
    program.commands.find((c) => c.name() === 'train')!.commands.find((c) => c.name() === 'dcgan')!.action((flags: Record<string, unknown>) => void (seen = flags));
    await program.parseAsync(argv, { from: 'user' });
    assert.deepEqual({ size: seen!['size'], mirror: seen!['mirror'], filters: seen!['filters'] }, { size: 20, mirror: true, filters: [8, 16] });
  });
});

describe('a saved model read from a URL', () => {
  it('loads through model-io with fetch and samples exactly as the same model loaded from its folder', async () => {
    await initEngine({ backend: 'cpu' });
    const dir = join(mkdtempSync(join(tmpdir(), 'genlab-model-url-')), 'model');
    const model = VAE.create({ hidden: [8], latent: 2 }, { shape: [2], kind: 'points' }, new Rng(1));
    await model.save(dir);
    model.dispose();
    const server = createServer((req, res) => {
      const path = join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
      createReadStream(path).on('error', () => ((res.statusCode = 404), res.end())).pipe(res);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      assert.equal(joinPath(url.slice(0, -1), 'encoder', 'model.json'), `${url}encoder/model.json`);
      const [fromUrl, fromDir] = await Promise.all([loadModel(url), loadModel(dir)]);
      const a = tf.tidy(() => requireCapability(fromUrl, 'sample', 'test').sample(5, new Rng(7)).arraySync());
      const b = tf.tidy(() => requireCapability(fromDir, 'sample', 'test').sample(5, new Rng(7)).arraySync());
      assert.deepEqual(a, b);
      fromUrl.dispose();
      fromDir.dispose();
      await assert.rejects(loadModel(`${url}nothing/`), (e: unknown) => e instanceof GenlabError && e.code === 'not-found' && /genlab-model\.json: missing/.test(e.message));
    } finally {
      server.close();
    }
  });
});
