import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/engine/rng.js';
import { batches, makeDataset, splitTrainTest, subset, withMirrorImages, withMirroring, type Dataset } from '../src/data/dataset.js';
import { GenlabError } from '../src/engine/errors.js';

function numbered(count: number): Dataset {
  const data = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) data.set([i, -i], i * 2);
  return makeDataset({ name: 'numbered', kind: 'points', shape: [2], data, labels: { kind: 'class', values: Int32Array.from({ length: count }, (_, i) => i % 3), classes: ['a', 'b', 'c'] } });
}

test('batches visit every example exactly once per pass, labels aligned with rows', () => {
  const ds = numbered(103);
  const seen: number[] = [];
  for (const batch of batches(ds, { batchSize: 10, rng: new Rng(5) })) {
    assert.equal(batch.x.length, batch.size * 2);
    for (let i = 0; i < batch.size; i++) {
      const id = batch.x[i * 2]!;
      assert.equal(batch.indices[i], id);
      assert.equal(batch.labels![i], id % 3);
      seen.push(id);
    }
  }
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 103 }, (_, i) => i));
});

test('shuffling is seeded: same seed same order, next pass a new order', () => {
  const ds = numbered(50);
  const order = (rng: Rng) => [...batches(ds, { batchSize: 50, rng })][0]!.indices.join();
  const a = new Rng(1), b = new Rng(1);
  const first = order(a);
  assert.equal(first, order(b));
  assert.notEqual(order(a), first);
});

test('dropLast drops the short batch; a dataset batchTransform is applied', () => {
  const ds = { ...numbered(25), batchTransform: (x: Float32Array) => x.fill(7) };
  const all = [...batches(ds, { batchSize: 10, dropLast: true })];
  assert.equal(all.length, 2);
  assert.ok(all.every((b) => b.x.every((v) => v === 7)));
  assert.ok(ds.data.some((v) => v !== 7), 'the dataset itself is untouched');
});

test('withMirroring: each image of a batch is itself or its left-right mirror, about half flipped, seeded; after the dataset\'s own transform; none without a generator; withMirrorImages: the images, then their mirrors', () => {
  const [h, w, c] = [3, 4, 2];
  const size = h * w * c;
  const count = 400;
  const data = Float32Array.from({ length: count * size }, (_, i) => i);
  const images = makeDataset({ name: 'images', kind: 'images', shape: [h, w, c], data, batchTransform: (x) => x.forEach((v, i) => (x[i] = v + 0.5)) });
  const mirrored = withMirroring(images);
  const mirrorOf = (img: Float32Array): number[] =>
    Array.from({ length: size }, (_, i) => {
      const [y, x, ch] = [Math.floor(i / (w * c)), Math.floor(i / c) % w, i % c];
      return img[y * w * c + (w - 1 - x) * c + ch]!;
    });
  const flips = (seed: number): boolean[] => {
    const out: boolean[] = [];
    for (const batch of batches(mirrored, { batchSize: 64, rng: new Rng(seed) })) {
      for (let i = 0; i < batch.size; i++) {
        const got = Array.from(batch.x.subarray(i * size, (i + 1) * size));
        const own = Float32Array.from(data.subarray(batch.indices[i]! * size, (batch.indices[i]! + 1) * size), (v) => v + 0.5);
        const flipped = got.join() !== Array.from(own).join();
        if (flipped) assert.deepEqual(got, mirrorOf(own), 'a flipped image is the exact mirror of the transformed one');
        out.push(flipped);
      }
    }
    return out;
  };
  const a = flips(1);
  const share = a.filter(Boolean).length / count;
  assert.ok(share > 0.4 && share < 0.6, `${share} of the images flipped`);
  assert.deepEqual(flips(1), a, 'the same seed flips the same images');
  assert.notDeepEqual(flips(2), a);
  const plain = [...batches(mirrored, { batchSize: count })][0]!;
  assert.deepEqual(Array.from(plain.x), Array.from(data, (v) => v + 0.5), 'no generator (evaluation): no flips');
  const both = withMirrorImages(makeDataset({ ...images, labels: { kind: 'class', values: Int32Array.from({ length: count }, (_, i) => i % 3), classes: ['a', 'b', 'c'] } }));
  assert.equal(both.count, 2 * count);
  assert.deepEqual(Array.from(both.data.subarray(0, count * size)), Array.from(data), 'the images first');
  assert.deepEqual(Array.from(both.data.subarray((count + 7) * size, (count + 8) * size)), mirrorOf(data.subarray(7 * size, 8 * size)), 'then their mirrors');
  assert.equal((both.labels!.values as Int32Array)[count + 7], 7 % 3);
  assert.throws(() => withMirroring(numbered(4)), (e: unknown) => e instanceof GenlabError && /^numbered: mirroring flips images \[height, width, channels\], got points \[2\]$/.test(e.message));
});

test('splitTrainTest partitions the examples and keeps labels', () => {
  const { train, test: held } = splitTrainTest(numbered(100), 0.2, new Rng(2));
  assert.equal(train.count, 80);
  assert.equal(held.count, 20);
  const ids = [...train.data.filter((_, i) => i % 2 === 0), ...held.data.filter((_, i) => i % 2 === 0)];
  assert.deepEqual(ids.sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  assert.ok([...held.labels!.values].every((l, i) => l === held.data[i * 2]! % 3));
});

test('inconsistent parts are rejected with a message naming the dataset', () => {
  assert.throws(() => makeDataset({ name: 'x.csv', kind: 'points', shape: [3], data: new Float32Array(10) }), (e: unknown) => e instanceof GenlabError && /^x\.csv: /.test(e.message));
  assert.throws(() => batches(numbered(3), { batchSize: 0 }).next(), /^GenlabError: batchSize: /);
  assert.equal(subset(numbered(10), [9, 0]).data[0], 9);
});
