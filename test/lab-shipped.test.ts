/**
 * What the lecture's pages fetch from the lab's server, without a browser: the shipped models under /shipped/ (each
 * loads over HTTP with `loadModel` and does what its page needs; its asset.json records the `genlab train` line of
 * scripts/train-assets.ts that made it), and the built-in datasets under /api/dataset (exact bytes when the values are k/255,
 * seeded subsets equal to the split's examples, bad names refused in one line).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { can, requireCapability, datasetFromWire, exampleSize, initEngine, loadDataset, loadModel, Rng, tf, type DatasetMeta } from '../src/index.js';
import { labApiHandler } from '../src/cli/lab-api.js';
import { shippedFilesHandler } from '../src/cli/lab-files.js';
import { ASSETS_DIR } from '../src/cli/lab.js';
import { ASSETS } from '../scripts/train-assets.js';
import { ROOT } from './helpers/lab.js';

let server: Server;
let base: string;

before(async () => {
  await initEngine({ backend: 'cpu' });
  const handlers = [shippedFilesHandler(ASSETS_DIR), labApiHandler(undefined)];
  server = createServer((req, res) => {
    const next = (i: number): void => {
      if (i === handlers.length) return void ((res.statusCode = 404), res.end());
      handlers[i]!(req, res, () => next(i + 1));
    };
    next(0);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

after(() => server?.close());

async function fetchDataset(query: string): Promise<{ meta: DatasetMeta; bytes: ArrayBuffer }> {
  const [m, b] = await Promise.all([fetch(`${base}api/dataset?${query}`), fetch(`${base}api/dataset.bin?${query}`)]);
  assert.equal(m.status, 200, await m.clone().text());
  assert.equal(b.status, 200);
  return { meta: (await m.json()) as DatasetMeta, bytes: await b.arrayBuffer() };
}

describe('the shipped models', () => {
  it('are all there, small, and each records the command that re-creates it', async () => {
    let total = 0;
    const sizeOf = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((s, e) => s + (e.isDirectory() ? sizeOf(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
    for (const spec of ASSETS) {
      const dir = join(ROOT, 'assets', 'models', spec.name);
      assert.ok(existsSync(join(dir, 'genlab-model.json')), `${spec.name}: missing (npm run assets -- ${spec.name})`);
      const asset = JSON.parse(readFileSync(join(dir, 'asset.json'), 'utf8')) as { command: string; seed: number };
      assert.equal(asset.command, ['genlab', 'train', ...spec.train, '--out', `runs/${spec.name}`].join(' '), `${spec.name}: asset.json is from another command than scripts/train-assets.ts gives: re-create it`);
      total += sizeOf(dir);
    }
    assert.ok(total < 8 * 2 ** 20, `the shipped models take ${(total / 2 ** 20).toFixed(1)} MB; keep them to a few MB`);
  });

  it('load over HTTP from /shipped/ and can do what their pages need', async () => {
    const needs: Record<string, string[]> = {
      'moons-ae': ['encode', 'decode'],
      'moons-vae': ['encode', 'decode', 'score'],
      'mnist-vae2d': ['encode', 'decode', 'score'],
      'pokemon-vae': ['score', 'reconstruct'],
      'mnist-dcgan': ['generate', 'discriminate'],
    };
    for (const spec of ASSETS) {
      const before = tf.memory().numTensors;
      const model = await loadModel(`${base}shipped/models/${spec.name}/`);
      for (const cap of needs[spec.name] ?? []) assert.ok(can(model, cap as never), `${spec.name} cannot ${cap}`);
      // Every model samples; images come out in [0, 1].
      const x = tf.tidy(() => requireCapability(model, 'sample', 'test').sample(4, new Rng(0)));
      const values = x.dataSync();
      assert.ok(values.every((v) => Number.isFinite(v) && v >= -1e-6 && v <= 1 + 1e-6), `${spec.name}: samples outside [0, 1]`);
      x.dispose();
      model.dispose();
      assert.equal(tf.memory().numTensors, before, `${spec.name}: tensors leaked`);
    }
  });

  it('nothing outside assets/ is served, and nothing is written', async () => {
    for (const path of ['shipped/%2e%2e/package.json', 'shipped/models/..%2f..%2fpackage.json', 'shipped/models/moons-vae/.hidden']) {
      assert.equal((await fetch(base + path)).status, 404, path);
    }
    assert.equal((await fetch(`${base}shipped/models/moons-vae/asset.json`, { method: 'POST' })).status, 405);
  });
});

describe('/api/dataset', () => {
  it('sends MNIST as exact bytes: a seeded subset equals those examples of the split', async () => {
    const { meta, bytes } = await fetchDataset('name=mnist&split=test&n=20&seed=3');
    assert.equal(meta.dtype, 'uint8');
    assert.equal(bytes.byteLength, 20 * 784);
    const ds = datasetFromWire(meta, bytes);
    const test = (await loadDataset('mnist')).test;
    assert.deepEqual(meta.indices, [...new Rng(3).permutation(test.count).subarray(0, 20)]);
    meta.indices!.forEach((j, i) => {
      assert.deepEqual(ds.data.subarray(i * 784, (i + 1) * 784), test.data.subarray(j * 784, (j + 1) * 784));
      assert.equal(ds.labels!.values[i], test.labels!.values[j]);
    });
    assert.deepEqual(ds.labels!.kind === 'class' && ds.labels!.classes, test.labels!.kind === 'class' && test.labels!.classes);
  });

  it('sends other values as float32, with value labels kept', async () => {
    const { meta, bytes } = await fetchDataset('name=moons&split=train&n=5&seed=0');
    assert.equal(meta.dtype, 'float32');
    const ds = datasetFromWire(meta, bytes);
    const train = (await loadDataset('moons', { seed: 0 })).train;
    const size = exampleSize(train.shape);
    meta.indices!.forEach((j, i) => assert.deepEqual(ds.data.subarray(i * size, (i + 1) * size), train.data.subarray(j * size, (j + 1) * size)));
    assert.equal(ds.labels?.kind, 'value');
  });

  it('refuses what is not a built-in dataset, in one line', async () => {
    for (const [query, pattern] of [
      ['name=../../etc/passwd', /name: expected a built-in dataset/],
      ['name=mnist&split=validation', /split: expected train or test/],
      ['name=mnist&n=-3', /n: expected a positive whole number/],
    ] as const) {
      const r = await fetch(`${base}api/dataset?${query}`);
      assert.equal(r.status, 400, query);
      const { error } = (await r.json()) as { error: string };
      assert.match(error, pattern);
      assert.ok(!error.includes('\n'));
    }
  });
});
