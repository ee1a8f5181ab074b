import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { batches } from '../src/data/dataset.js';
import { expectIdx, parseIdx, readIdxFile, type IdxType } from '../src/data/idx.js';
import { loadMnist, mnistDataDir } from '../src/data/mnist.js';

// ---- a small, independent IDX writer ---------------------------------------------------------------------------

const CODES: Record<IdxType, [number, number]> = {
  uint8: [0x08, 1],
  int8: [0x09, 1],
  int16: [0x0b, 2],
  int32: [0x0c, 4],
  float32: [0x0d, 4],
  float64: [0x0e, 8],
};

function writeIdx(type: IdxType, dims: number[], values: ArrayLike<number>): Uint8Array {
  const [code, size] = CODES[type];
  const out = new Uint8Array(4 + 4 * dims.length + values.length * size);
  const v = new DataView(out.buffer);
  out[2] = code;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  const off = 4 + 4 * dims.length;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    const p = off + i * size;
    if (type === 'uint8') v.setUint8(p, x);
    else if (type === 'int8') v.setInt8(p, x);
    else if (type === 'int16') v.setInt16(p, x);
    else if (type === 'int32') v.setInt32(p, x);
    else if (type === 'float32') v.setFloat32(p, x);
    else v.setFloat64(p, x);
  }
  return out;
}

/** Asserts that `fn` throws a one-line GenlabError whose message matches every pattern. */
function throwsGenlab(fn: () => unknown, ...patterns: (RegExp | string)[]): GenlabError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof GenlabError, `expected a GenlabError, got ${String(caught)}`);
  assert.ok(!/[\r\n]/.test(caught.message), `message is not one line: ${caught.message}`);
  for (const p of patterns) {
    if (typeof p === 'string') assert.ok(caught.message.includes(p), `"${caught.message}" does not contain "${p}"`);
    else assert.match(caught.message, p);
  }
  return caught;
}

async function rejectsGenlab(promise: Promise<unknown>, ...patterns: (RegExp | string)[]): Promise<GenlabError> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  return throwsGenlab(() => {
    throw caught ?? new Error('did not throw');
  }, ...patterns);
}

// ---- IDX -------------------------------------------------------------------------------------------------------

test('IDX round-trips every value type', () => {
  const rng = new Rng(1);
  const ranges: Record<IdxType, () => number> = {
    uint8: () => rng.int(256),
    int8: () => rng.int(256) - 128,
    int16: () => rng.int(65536) - 32768,
    int32: () => rng.int(2 ** 32) - 2 ** 31,
    float32: () => Math.fround(rng.normal() * 1e3),
    float64: () => rng.normal() * 1e-7,
  };
  for (const type of Object.keys(CODES) as IdxType[]) {
    const dims = [1 + rng.int(4), 1 + rng.int(5), 1 + rng.int(3)];
    const n = dims[0]! * dims[1]! * dims[2]!;
    const values = Array.from({ length: n }, ranges[type]);
    const parsed = parseIdx(writeIdx(type, dims, values), `x.${type}`);
    assert.equal(parsed.type, type);
    assert.deepEqual(parsed.dims, dims);
    assert.deepEqual(Array.from(parsed.data), values, type);
    assert.equal(parsed.magic, (CODES[type][0] << 8) | 3);
  }
  // One dimension, and an empty array (a zero dim) are fine too.
  assert.deepEqual(Array.from(parseIdx(writeIdx('uint8', [3], [7, 8, 9]), 'v').data), [7, 8, 9]);
  assert.equal(parseIdx(writeIdx('int32', [0, 5], []), 'e').data.length, 0);
});

test('IDX parse does not alias the input bytes', () => {
  const bytes = writeIdx('uint8', [2], [1, 2]);
  const parsed = parseIdx(bytes, 'a');
  bytes[bytes.length - 1] = 99;
  assert.equal(parsed.data[1], 2);
});

test('IDX rejects bad magic, unknown types and bad ranks', () => {
  const good = writeIdx('uint8', [2, 2], [1, 2, 3, 4]);
  const badMagic = good.slice();
  badMagic[0] = 0x1f;
  throwsGenlab(() => parseIdx(badMagic, 'f.idx'), /^f\.idx: not an IDX file: magic 0x1f000802/);
  const badType = good.slice();
  badType[2] = 0x0a;
  throwsGenlab(() => parseIdx(badType, 'f.idx'), 'f.idx', 'type code 0x0a');
  const rank0 = good.slice(0, 4);
  rank0[3] = 0;
  throwsGenlab(() => parseIdx(rank0, 'f.idx'), 'f.idx', '0 dimensions');
  // Wrong number of dimensions for what the caller expects.
  throwsGenlab(() => parseIdx(good, 'f.idx', { rank: 3 }), 'f.idx: IDX file has 2 dimensions, expected 3');
  throwsGenlab(() => expectIdx(parseIdx(good, 'f.idx'), 'f.idx', { rank: 1 }), 'f.idx', '2 dimensions, expected 1');
  throwsGenlab(() => expectIdx(parseIdx(good, 'f.idx'), 'f.idx', { dims: [null, 3] }), 'f.idx', 'dims [2, 2], expected [N, 3]');
  throwsGenlab(() => parseIdx(good, 'f.idx', { type: 'float32' }), 'f.idx', 'uint8, expected float32');
  // A magic mismatch is reported as the magic, MNIST-style.
  const zero = good.slice();
  zero.fill(0, 0, 4);
  throwsGenlab(() => parseIdx(zero, 'train-images-idx3-ubyte', { magic: 0x803 }), 'train-images-idx3-ubyte: magic 0x00000000, expected 0x00000803');
  throwsGenlab(() => parseIdx(new Uint8Array(0), 'e.idx'), 'e.idx: empty file');
  throwsGenlab(() => parseIdx(good.slice(0, 3), 'e.idx'), 'e.idx', 'truncated IDX header');
  throwsGenlab(() => parseIdx(good.slice(0, 9), 'e.idx'), 'e.idx', 'truncated IDX header: 9 bytes, expected at least 12');
});

test('IDX reports truncation and extra bytes with the expected and found sizes', () => {
  const dims = [3, 4];
  const good = writeIdx('int16', dims, new Array(12).fill(-5));
  const expected = good.length;
  for (const cut of [1, 2, 23]) {
    throwsGenlab(() => parseIdx(good.subarray(0, expected - cut), 'g.idx'), 'g.idx: truncated', `need ${expected} bytes, found ${expected - cut}`);
  }
  const extra = new Uint8Array(expected + 3);
  extra.set(good);
  throwsGenlab(() => parseIdx(extra, 'g.idx'), 'g.idx: extra bytes', `need ${expected} bytes, found ${expected + 3}`);
  // Huge dims in a tiny file: an error, not an allocation.
  const huge = good.slice();
  new DataView(huge.buffer).setUint32(4, 0xffffffff);
  new DataView(huge.buffer).setUint32(8, 0xffffffff);
  throwsGenlab(() => parseIdx(huge, 'g.idx'), 'g.idx: truncated', 'dims [4294967295, 4294967295]');
});

test('readIdxFile reads a file and reports a missing one as not-found', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'genlab-idx-'));
  try {
    const file = join(dir, 'a.idx');
    await writeFile(file, writeIdx('float32', [2], [0.5, -2]));
    assert.deepEqual(Array.from((await readIdxFile(file)).data), [0.5, -2]);
    const err = await rejectsGenlab(readIdxFile(join(dir, 'missing.idx')), 'missing.idx');
    assert.equal(err.code, 'not-found');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ---- MNIST from small fake files -------------------------------------------------------------------------------

async function fakeMnist(dir: string, nTrain: number, nTest: number, seed: number): Promise<{ train: number[]; test: number[] }> {
  const rng = new Rng(seed);
  const pixels: { train: number[]; test: number[] } = { train: [], test: [] };
  for (const [prefix, n, key] of [['train', nTrain, 'train'], ['t10k', nTest, 'test']] as const) {
    const px = Array.from({ length: n * 784 }, () => rng.int(256));
    pixels[key] = px;
    await writeFile(join(dir, `${prefix}-images-idx3-ubyte`), writeIdx('uint8', [n, 28, 28], px));
    await writeFile(join(dir, `${prefix}-labels-idx1-ubyte`), writeIdx('uint8', [n], Array.from({ length: n }, () => rng.int(10))));
  }
  return pixels;
}

test('loadMnist reads IDX files from a folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'genlab-mnist-'));
  try {
    const pixels = await fakeMnist(dir, 5, 3, 2);
    const { train, test: t } = await loadMnist({ dir });
    assert.equal(train.count, 5);
    assert.equal(t.count, 3);
    assert.deepEqual(train.shape, [28, 28, 1]);
    for (let i = 0; i < train.data.length; i += 97) assert.ok(Math.abs(train.data[i]! - pixels.train[i]! / 255) < 1e-7);
    for (let i = 0; i < t.data.length; i += 97) assert.ok(Math.abs(t.data[i]! - pixels.test[i]! / 255) < 1e-7);
    const labels = await readFile(join(dir, 'train-labels-idx1-ubyte'));
    assert.deepEqual(Array.from(train.labels!.values), Array.from(labels.subarray(8)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loadMnist errors name the file and what was wrong', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'genlab-mnist-bad-'));
  try {
    await fakeMnist(dir, 4, 2, 3);
    const images = join(dir, 'train-images-idx3-ubyte');
    const labels = join(dir, 'train-labels-idx1-ubyte');
    const good = await readFile(images);

    const zeroMagic = Buffer.from(good);
    zeroMagic.fill(0, 0, 4);
    await writeFile(images, zeroMagic);
    await rejectsGenlab(loadMnist({ dir }), 'train-images-idx3-ubyte: magic 0x00000000, expected 0x00000803');

    await writeFile(images, good.subarray(0, good.length - 10));
    await rejectsGenlab(loadMnist({ dir }), 'train-images-idx3-ubyte: truncated', `found ${good.length - 10}`);

    await writeFile(images, writeIdx('uint8', [4, 27, 28], new Array(4 * 27 * 28).fill(0)));
    await rejectsGenlab(loadMnist({ dir }), 'train-images-idx3-ubyte', 'dims [4, 27, 28], expected [N, 28, 28]');

    await writeFile(images, good);
    await writeFile(labels, writeIdx('uint8', [3], [1, 2, 3]));
    await rejectsGenlab(loadMnist({ dir }), 'train-labels-idx1-ubyte: 3 labels for 4 images');

    await writeFile(labels, writeIdx('uint8', [4], [1, 2, 10, 3]));
    await rejectsGenlab(loadMnist({ dir }), 'train-labels-idx1-ubyte: label 10 at index 2');

    await rm(labels);
    const err = await rejectsGenlab(loadMnist({ dir }), 'train-labels-idx1-ubyte');
    assert.equal(err.code, 'not-found');

    await rejectsGenlab(loadMnist({ dir, binarize: 'maybe' as 'none' }), 'binarize:');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ---- the real MNIST ---------------------------------------------------------------------------------------------

test('MNIST: 60000/10000 digits in [0, 1] with all ten labels, loaded fast', async (ctx) => {
  const t0 = performance.now();
  const { train, test: t } = await loadMnist();
  const ms = performance.now() - t0;
  ctx.diagnostic(`MNIST load (grey, cold): ${ms.toFixed(0)} ms`);
  assert.ok(ms < 5000, `MNIST load took ${ms.toFixed(0)} ms`);
  assert.equal(train.count, 60000);
  assert.equal(t.count, 10000);
  for (const ds of [train, t]) {
    assert.equal(ds.kind, 'images');
    assert.deepEqual(ds.shape, [28, 28, 1]);
    assert.equal(ds.data.length, ds.count * 784);
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < ds.data.length; i++) {
      const v = ds.data[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    assert.equal(min, 0);
    assert.equal(max, 1);
    const labels = ds.labels!;
    assert.equal(labels.kind, 'class');
    assert.deepEqual(labels.kind === 'class' && labels.classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const counts = new Array<number>(10).fill(0);
    for (const l of labels.values) counts[l]!++;
    for (const c of counts) assert.ok(c > ds.count * 0.07 && c < ds.count * 0.14, `class frequencies ${counts}`);
  }
  // The grey values are the file's bytes / 255.
  const raw = await readFile(join(mnistDataDir(), 't10k-images-idx3-ubyte'));
  for (let i = 0; i < t.data.length; i += 1013) assert.ok(Math.abs(t.data[i]! - raw[16 + i]! / 255) < 1e-7);
});

/** Bytewise equality of two float arrays (fast for 47M values, unlike deepEqual). */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function mean(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

function isBinary(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== 0 && x[i] !== 1) return false;
  return true;
}

test('MNIST static binarisation is binary, unbiased and the same on every load', async () => {
  const grey = await loadMnist();
  const a = await loadMnist({ binarize: 'static' });
  const b = await loadMnist({ binarize: 'static' });
  const c = await loadMnist({ binarize: 'static', seed: 7 });
  assert.ok(isBinary(a.test.data) && isBinary(a.train.data));
  assert.ok(sameValues(a.test.data, b.test.data));
  assert.ok(sameValues(a.train.data, b.train.data));
  assert.ok(!sameValues(a.test.data, c.test.data));
  assert.ok(!sameValues(a.train.data, c.train.data));
  assert.ok(Math.abs(mean(a.train.data) - mean(grey.train.data)) < 1e-3);
  assert.ok(Math.abs(mean(a.test.data) - mean(grey.test.data)) < 2e-3);
  // Pixels that are pure black or white stay so.
  let kept = true;
  for (let i = 0; i < grey.test.data.length; i++) {
    const g = grey.test.data[i]!;
    if ((g === 0 || g === 1) && a.test.data[i] !== g) kept = false;
  }
  assert.ok(kept);
  assert.equal(a.train.batchTransform, undefined);
});

test('MNIST dynamic binarisation draws new binary pixels every pass, deterministic without an rng', async () => {
  const grey = await loadMnist();
  const { test: ds } = await loadMnist({ binarize: 'dynamic' });
  assert.ok(sameValues(ds.data, grey.test.data)); // the stored data stays grey
  assert.ok(ds.batchTransform);
  const pass = (rng: Rng | undefined): Float32Array => {
    const out = new Float32Array(ds.data.length);
    for (const batch of batches(ds, { batchSize: 1000, ...(rng ? { rng } : {}) })) {
      for (let i = 0; i < batch.size; i++) out.set(batch.x.subarray(i * 784, (i + 1) * 784), batch.indices[i]! * 784);
    }
    return out;
  };
  const rng = new Rng(3);
  const p1 = pass(rng);
  const p2 = pass(rng);
  assert.ok(isBinary(p1) && isBinary(p2));
  assert.ok(!sameValues(p1, p2));
  const g = mean(grey.test.data);
  assert.ok(Math.abs(mean(p1) - g) < 2e-3, `${mean(p1)} vs ${g}`);
  assert.ok(Math.abs(mean(p2) - g) < 2e-3);
  const d1 = pass(undefined);
  const d2 = pass(undefined);
  assert.ok(sameValues(d1, d2));
  assert.ok(isBinary(d1));
  assert.ok(Math.abs(mean(d1) - g) < 2e-3);
});
