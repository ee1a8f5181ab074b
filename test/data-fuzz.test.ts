/**
 * Seeded fuzzing of every data parser: valid files, randomly corrupted (byte flips, truncation, inserted garbage,
 * zeroed headers, huge dims in headers, empty files). Each case must either parse to a self-consistent result or
 * throw a GenlabError whose message is one line naming the file — never another exception, never a slow case — and
 * a case whose corruption is detectable (any change to a PNG but trailing bytes, a cut or headless JPEG, …) must be
 * refused: accepting it is a silent acceptance. Each test prints its counts (tried / clean errors / accepted).
 * FUZZ_VERBOSE=1 prints every error message (to review their wording); FUZZ_SCALE and FUZZ_SEED run more cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import type { Dataset } from '../src/data/dataset.js';
import { decodeImage } from '../src/data/image-decode.js';
import { parseIdx } from '../src/data/idx.js';
import { parseDelimited } from '../src/data/csv.js';
import { encodeNpy, parseNpy } from '../src/data/npy.js';
import { loadImageFolder } from '../src/data/image-folder.js';
import { loadUserData } from '../src/data/user.js';

/** FUZZ_SCALE=n runs n times more cases, FUZZ_SEED=s shifts every seed (deeper runs by hand). */
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1) || 1);
const SEED = Number(process.env.FUZZ_SEED ?? 0) || 0;

/** Per-case budget: generous for a shared 2-core machine, far below what a hang or a giant allocation costs. */
const CASE_BUDGET_MS = 3000;

interface Tally {
  ok: number;
  errors: number;
  codes: Map<string, number>;
}

function newTally(): Tally {
  return { ok: 0, errors: 0, codes: new Map() };
}

function report(what: string, t: Tally): void {
  console.log(`data fuzz: ${what}: ${t.ok + t.errors} tried, ${t.errors} clean errors, ${t.ok} accepted as valid, 0 other`);
}

function checkThrown(e: unknown, file: string, what: string, tally: Tally): void {
  if (!(e instanceof GenlabError)) {
    assert.fail(`${what}: expected a GenlabError, got ${e instanceof Error ? e.stack : String(e)}`);
  }
  assert.ok(!/[\r\n\u2028\u2029]/.test(e.message), `${what}: message is not one line: ${JSON.stringify(e.message)}`);
  assert.ok(e.message.includes(file), `${what}: message does not name ${file}: ${e.message}`);
  assert.ok(e.message.length < 400, `${what}: message too long (${e.message.length} chars)`);
  tally.errors++;
  if (process.env.FUZZ_VERBOSE) console.log(what, "->", e.message);
  tally.codes.set(e.code, (tally.codes.get(e.code) ?? 0) + 1);
}

/** Runs one synchronous case: `fn` parses, `consistent` checks a successful result. */
function runCase<T>(what: string, file: string, fn: () => T, consistent: (r: T) => void, tally: Tally, mustFail = false): void {
  const t0 = performance.now();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    checkThrown(e, file, what, tally);
    assert.ok(performance.now() - t0 < CASE_BUDGET_MS, `${what}: took ${(performance.now() - t0).toFixed(0)} ms`);
    return;
  }
  assert.ok(performance.now() - t0 < CASE_BUDGET_MS, `${what}: took ${(performance.now() - t0).toFixed(0)} ms`);
  assert.ok(!mustFail, `${what}: silently accepted`);
  consistent(result);
  tally.ok++;
}

async function runAsyncCase<T>(what: string, file: string, fn: () => Promise<T>, consistent: (r: T) => void, tally: Tally, mustFail = false): Promise<void> {
  const t0 = performance.now();
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    checkThrown(e, file, what, tally);
    assert.ok(performance.now() - t0 < CASE_BUDGET_MS, `${what}: took ${(performance.now() - t0).toFixed(0)} ms`);
    return;
  }
  assert.ok(performance.now() - t0 < CASE_BUDGET_MS, `${what}: took ${(performance.now() - t0).toFixed(0)} ms`);
  assert.ok(!mustFail, `${what}: silently accepted`);
  consistent(result);
  tally.ok++;
}

/**
 * Whether corrupted image bytes must be refused: any change to a PNG (its CRCs and IEND see it) but bytes after its
 * end; for a JPEG a cut (no end-of-image marker), a damaged start, garbage or a forged size (entropy-coded data has no
 * checksum: a flip there decodes, as it does with PIL).
 */
function imageMustFail(base: Uint8Array, name: string, bytes: Uint8Array, isPngCase: boolean): boolean {
  if (name === 'none') return false;
  const extends_ = bytes.length >= base.length && base.every((b, i) => bytes[i] === b);
  if (isPngCase) return !extends_;
  return ['truncate', 'empty', 'zeroHeader', 'garbage', 'hugeDims'].includes(name);
}

// ---- corruptions -------------------------------------------------------------------------------------------------

type Corruption = (b: Uint8Array, rng: Rng) => Uint8Array;

const randomBytes = (n: number, rng: Rng): Uint8Array => Uint8Array.from({ length: n }, () => rng.int(256));

const CORRUPTIONS: Record<string, Corruption> = {
  none: (b) => b,
  flip: (b, rng) => {
    const out = b.slice();
    const n = 1 + rng.int(8);
    for (let k = 0; k < n && out.length > 0; k++) out[rng.int(out.length)]! ^= 1 + rng.int(255);
    return out;
  },
  flipHeader: (b, rng) => {
    const out = b.slice();
    if (out.length > 0) out[rng.int(Math.min(out.length, 32))]! ^= 1 + rng.int(255);
    return out;
  },
  truncate: (b, rng) => b.slice(0, rng.int(Math.max(1, b.length))),
  insert: (b, rng) => {
    const at = rng.int(b.length + 1);
    const junk = randomBytes(1 + rng.int(64), rng);
    const out = new Uint8Array(b.length + junk.length);
    out.set(b.subarray(0, at));
    out.set(junk, at);
    out.set(b.subarray(at), at + junk.length);
    return out;
  },
  append: (b, rng) => {
    const junk = randomBytes(1 + rng.int(32), rng);
    const out = new Uint8Array(b.length + junk.length);
    out.set(b);
    out.set(junk, b.length);
    return out;
  },
  zeroHeader: (b, rng) => {
    const out = b.slice();
    out.fill(0, 0, Math.min(out.length, 4 + rng.int(60)));
    return out;
  },
  empty: () => new Uint8Array(0),
  garbage: (b, rng) => randomBytes(rng.int(2 * b.length + 2), rng),
};
const CORRUPTION_NAMES = Object.keys(CORRUPTIONS);

function corrupt(b: Uint8Array, rng: Rng, huge?: (b: Uint8Array, rng: Rng) => Uint8Array): { name: string; bytes: Uint8Array } {
  const k = rng.int(CORRUPTION_NAMES.length + (huge ? 2 : 0));
  if (k >= CORRUPTION_NAMES.length) return { name: 'hugeDims', bytes: huge!(b, rng) };
  const name = CORRUPTION_NAMES[k]!;
  return { name, bytes: CORRUPTIONS[name]!(b, rng) };
}

/** A large number that fits in `bits` bits, biased towards the extremes. */
function hugeNumber(rng: Rng, bits: 16 | 32): number {
  const max = bits === 16 ? 0xffff : 0xffffffff;
  const r = rng.int(4);
  return r === 0 ? max : r === 1 ? max - rng.int(16) : r === 2 ? 2 ** (bits - 1) : 1 + rng.int(max);
}

// ---- valid inputs ------------------------------------------------------------------------------------------------

function idxBytes(code: number, size: number, dims: number[], rng: Rng): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + n * size);
  out[2] = code;
  out[3] = dims.length;
  const v = new DataView(out.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  out.set(randomBytes(n * size, rng), 4 + 4 * dims.length);
  return out;
}

function pngBytes(width: number, height: number, rng: Rng, opts: { colorType?: 0 | 2 | 6; grey?: boolean } = {}): Uint8Array {
  const img = new PNG({ width, height, ...(opts.colorType !== undefined ? { colorType: opts.colorType, inputColorType: 6 } : {}) });
  for (let p = 0; p < width * height; p++) {
    const g = rng.int(256);
    for (let c = 0; c < 3; c++) img.data[4 * p + c] = opts.grey ? g : rng.int(256);
    img.data[4 * p + 3] = opts.colorType === 6 || opts.colorType === undefined ? rng.int(256) : 255;
  }
  return new Uint8Array(PNG.sync.write(img));
}

function jpegBytes(width: number, height: number, rng: Rng, quality: number): Uint8Array {
  const data = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data[4 * p] = (p * 7) % 256;
    data[4 * p + 1] = rng.int(256);
    data[4 * p + 2] = (p * 3) % 256;
    data[4 * p + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ width, height, data }, quality).data);
}

function crc32(b: Uint8Array): number {
  let crc = 0xffffffff;
  for (const x of b) {
    crc ^= x;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** PNG with a huge declared size; `fixCrc` makes the IHDR chunk valid so only the size is wrong. */
function hugePng(b: Uint8Array, rng: Rng, fixCrc: boolean): Uint8Array {
  const out = b.slice();
  const v = new DataView(out.buffer);
  v.setUint32(16, hugeNumber(rng, 32));
  v.setUint32(20, rng.int(2) ? hugeNumber(rng, 32) : 1 + rng.int(5000));
  if (fixCrc) v.setUint32(29, crc32(out.subarray(12, 29)));
  return out;
}

/**
 * JPEG with a forged SOF size (up to 65535×65535); `beyondLimit` keeps both sides ≥ 32768, above decodeImage's
 * pixel limit.
 */
function hugeJpeg(b: Uint8Array, rng: Rng, beyondLimit = false): Uint8Array {
  const out = b.slice();
  for (let i = 2; i + 9 < out.length; i++) {
    if (out[i] === 0xff && out[i + 1] === 0xc0) {
      const v = new DataView(out.buffer);
      v.setUint16(i + 5, beyondLimit ? 0x8000 + rng.int(0x8000) : hugeNumber(rng, 16));
      v.setUint16(i + 7, beyondLimit ? 0x8000 + rng.int(0x8000) : rng.int(2) ? hugeNumber(rng, 16) : 1 + rng.int(8000));
      break;
    }
  }
  return out;
}

function npyHuge(rng: Rng): Uint8Array {
  const dims = Array.from({ length: 1 + rng.int(4) }, () => (rng.int(3) === 0 ? String(2 ** 53 + rng.int(1000)) : String(hugeNumber(rng, 32))));
  const header = `{'descr': '<f4', 'fortran_order': ${rng.int(2) ? 'True' : 'False'}, 'shape': (${dims.join(', ')}), }\n`;
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + h.length + 4 * rng.int(64));
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, h.length, true);
  out.set(h, 10);
  return out;
}

const CSV_TEXTS = [
  'x,y,z\n1,2,3\n4.5,-6,7e-3\n8,9,10\n',
  '# points\r\na\tb\r\n1\t2\r\n\r\n3\t4\r\n',
  '1 2\n3 4\n5 6\n7 8\n',
  '"u","v"\n"1.5",2\n3,"4"\n5,6\n',
  'p;q;r\n1;2;3\n4;5;6\n',
];

// ---- checks of successful results --------------------------------------------------------------------------------

function checkDataset(ds: Dataset): void {
  const size = ds.shape.reduce((a, b) => a * b, 1);
  assert.equal(ds.data.length, ds.count * size);
  for (let i = 0; i < ds.data.length; i++) {
    const v = ds.data[i]!;
    assert.ok(Number.isFinite(v), `non-finite value ${v}`);
    if (ds.kind === 'images') assert.ok(v >= 0 && v <= 1 + 1e-6, `image value ${v}`);
  }
  if (ds.labels) assert.equal(ds.labels.values.length, ds.count);
}

// ---- the fuzz tests ------------------------------------------------------------------------------------------------

test('fuzz IDX', () => {
  const rng = new Rng(101 + SEED);
  const valid = [idxBytes(0x08, 1, [5, 4, 3], rng), idxBytes(0x0d, 4, [7], rng), idxBytes(0x0b, 2, [3, 6], rng), idxBytes(0x0e, 8, [2, 2, 2, 2], rng), idxBytes(0x0c, 4, [0, 9], rng)];
  const tally = newTally();
  for (let k = 0; k < 100 * SCALE; k++) {
    const base = valid[rng.int(valid.length)]!;
    const { name, bytes } = corrupt(base, rng, (b, r) => {
      const out = b.slice();
      const rank = out[3]!;
      const v = new DataView(out.buffer);
      for (let i = 0; i < rank && 8 + 4 * i <= out.length; i++) if (r.int(2)) v.setUint32(4 + 4 * i, hugeNumber(r, 32));
      if (r.int(4) === 0) out[3] = 255; // rank far beyond the header present
      return out;
    });
    const file = `fuzz-${k}-${name}.idx`;
    runCase(`IDX case ${k} (${name})`, file, () => parseIdx(bytes, file), (r) => {
      assert.equal(r.data.length, r.dims.reduce((a, b) => a * b, 1));
      assert.equal(bytes.length, 4 + 4 * r.dims.length + r.data.length * r.data.BYTES_PER_ELEMENT);
    }, tally);
  }
  report('IDX', tally);
  assert.ok(tally.errors > 50, `only ${tally.errors} errors`);
});

test('fuzz CSV/TSV', () => {
  const rng = new Rng(202 + SEED);
  const tally = newTally();
  const decoder = new TextDecoder();
  for (let k = 0; k < 100 * SCALE; k++) {
    const i = rng.int(CSV_TEXTS.length);
    const base = new TextEncoder().encode(CSV_TEXTS[i]!);
    const { name, bytes } = corrupt(base, rng, (b, r) => {
      // "Huge" for text: a very wide row or a cell with an enormous exponent.
      const text = decoder.decode(b);
      return new TextEncoder().encode(r.int(2) ? text + Array.from({ length: 20000 }, () => '1').join(',') + '\n' : text.replace(/\d/, '9e99999'));
    });
    const file = `fuzz-${k}-${name}.${i === 1 ? 'tsv' : 'csv'}`;
    runCase(`CSV case ${k} (${name})`, file, () => parseDelimited(decoder.decode(bytes), file), (r) => {
      assert.ok(r.rows >= 1 && r.cols >= 1);
      assert.equal(r.data.length, r.rows * r.cols);
      assert.ok(r.columns === null || r.columns.length === r.cols);
      for (const v of r.data) assert.ok(Number.isFinite(v));
    }, tally);
  }
  report('CSV/TSV', tally);
  assert.ok(tally.errors > 30 && tally.ok > 5, `${tally.ok} ok, ${tally.errors} errors`);
});

test('fuzz NPY', () => {
  const rng = new Rng(303 + SEED);
  const valid = [
    encodeNpy([3, 4, 4, 1], rng.normals(new Float32Array(48))),
    encodeNpy([10, 2], rng.normals(new Float32Array(20))),
    encodeNpy([7], rng.normals(new Float32Array(7))),
    // np.asfortranarray(np.arange(6, dtype='<i4').reshape(2, 3)), written by NumPy.
    new Uint8Array(Buffer.from('k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAwAAAAEAAAAEAAAAAgAAAAUAAAA=', 'base64')),
  ];
  const tally = newTally();
  for (let k = 0; k < 100 * SCALE; k++) {
    const base = valid[rng.int(valid.length)]!;
    const { name, bytes } = corrupt(base, rng, (b, r) => {
      if (r.int(3) === 0) {
        const out = b.slice(); // huge header length
        new DataView(out.buffer).setUint16(8, hugeNumber(r, 16), true);
        return out;
      }
      return npyHuge(r);
    });
    const file = `fuzz-${k}-${name}.npy`;
    runCase(`NPY case ${k} (${name})`, file, () => parseNpy(bytes, file), (r) => {
      assert.equal(r.data.length, r.shape.reduce((a, b) => a * b, 1));
    }, tally);
  }
  report('NPY', tally);
  assert.ok(tally.errors > 50, `only ${tally.errors} errors`);
});

test('fuzz PNG and JPEG through decodeImage', () => {
  const rng = new Rng(404 + SEED);
  const pngs = [pngBytes(8, 8, rng), pngBytes(5, 3, rng, { colorType: 0, grey: true }), pngBytes(6, 6, rng, { colorType: 2 })];
  const jpgs = [jpegBytes(16, 16, rng, 90), jpegBytes(9, 7, rng, 50)];
  const tally = newTally();
  for (let k = 0; k < 120 * SCALE; k++) {
    const isPngCase = k % 2 === 0;
    const base = isPngCase ? pngs[rng.int(pngs.length)]! : jpgs[rng.int(jpgs.length)]!;
    // Huge sizes: a PNG with an unfixed or a fixed IHDR CRC, a JPEG above the pixel limit.
    const { name, bytes } = corrupt(base, rng, isPngCase ? (b, r) => hugePng(b, r, r.int(2) === 0) : (b, r) => hugeJpeg(b, r, true));
    const file = `fuzz-${k}-${name}.${isPngCase ? 'png' : 'jpg'}`;
    runCase(`image case ${k} (${name})`, file, () => decodeImage(bytes, file), (r) => {
      assert.ok(r.width >= 0 && r.height >= 0);
      assert.equal(r.data.length, r.width * r.height * 4);
    }, tally, imageMustFail(base, name, bytes, isPngCase));
  }
  report('PNG/JPEG', tally);
  assert.ok(tally.errors > 40, `only ${tally.errors} errors`);
});

test('decodeImage quickly rejects a forged huge size in a small file', () => {
  // pngjs allocates the declared size before reading the data: a valid-CRC 30000×30000 IHDR took ~40 s and ~11 GB
  // here; jpeg-js accepts up to 64 MP, and a forged 8000×8000 SOF took 3.5 s and 2 GB. loadImageFolder and
  // decodeImage checks the declared size against the file's length before decoding (checkDeclaredSize).
  const rng = new Rng(1);
  const t0 = performance.now();
  assert.throws(() => decodeImage(hugePng(pngBytes(4, 4, rng), rng, true), 'huge.png'), GenlabError);
  const jpg = jpegBytes(8, 8, rng, 90);
  const sof = jpg.findIndex((x, i) => x === 0xff && jpg[i + 1] === 0xc0);
  new DataView(jpg.buffer).setUint16(sof + 5, 8000);
  new DataView(jpg.buffer).setUint16(sof + 7, 8000);
  assert.throws(() => decodeImage(jpg, 'huge.jpg'), GenlabError);
  assert.ok(performance.now() - t0 < 500);
});

test('fuzz image folders and loadUserData', async () => {
  const rng = new Rng(505 + SEED);
  const root = await mkdtemp(join(tmpdir(), 'genlab-fuzz-'));
  const tally = newTally();
  try {
    const images = [
      { name: 'a.png', bytes: pngBytes(6, 6, rng, { grey: true }) },
      { name: 'b.png', bytes: pngBytes(6, 6, rng) },
      { name: 'c.jpg', bytes: jpegBytes(6, 6, rng, 80) },
    ];
    // Image folders, flat and with class sub-folders; one file corrupted per case.
    for (let k = 0; k < 45 * SCALE; k++) {
      const dir = join(root, `folder-${k}`);
      const classes = k % 3 === 0;
      const target = rng.int(images.length);
      let corruption = 'none';
      let mustFail = false;
      for (let i = 0; i < images.length; i++) {
        const img = images[i]!;
        let bytes = img.bytes;
        if (i === target && k > 0) {
          const c = corrupt(bytes, rng, img.name.endsWith('.png') ? (b, r) => hugePng(b, r, true) : hugeJpeg);
          bytes = c.bytes;
          corruption = c.name;
          mustFail = imageMustFail(img.bytes, c.name, c.bytes, img.name.endsWith('.png'));
        }
        const sub = classes ? join(dir, `class${i % 2}`) : dir;
        await mkdir(sub, { recursive: true });
        await writeFile(join(sub, img.name), bytes);
      }
      const size = rng.int(3) === 0 ? 4 : undefined;
      const what = `folder case ${k} (${corruption})`;
      if (k % 2 === 0) {
        await runAsyncCase(what, dir, () => loadImageFolder(dir, size === undefined ? {} : { size }), (ds) => {
          checkDataset(ds);
          assert.equal(ds.count, 3);
          assert.equal(ds.labels !== undefined, classes);
        }, tally, mustFail);
      } else {
        await runAsyncCase(what, dir, () => loadUserData(dir, { seed: k, testFraction: 0.34, ...(size === undefined ? {} : { size }) }), (s) => {
          checkDataset(s.train);
          checkDataset(s.test);
          assert.equal(s.train.count + s.test.count, 3);
        }, tally, mustFail);
      }
    }
    // Data files through loadUserData.
    const files = [
      { ext: 'csv', bytes: new TextEncoder().encode(CSV_TEXTS[0]!) },
      { ext: 'tsv', bytes: new TextEncoder().encode(CSV_TEXTS[1]!) },
      { ext: 'txt', bytes: new TextEncoder().encode(CSV_TEXTS[2]!) },
      { ext: 'npy', bytes: encodeNpy([6, 3], rng.normals(new Float32Array(18))) },
      { ext: 'npy', bytes: encodeNpy([4, 5, 5, 1], Float32Array.from({ length: 100 }, () => rng.uniform())) },
      { ext: 'npy', bytes: encodeNpy([3, 2, 2], Float32Array.from({ length: 12 }, () => rng.uniform())) },
    ];
    for (let k = 0; k < 90 * SCALE; k++) {
      const f = files[rng.int(files.length)]!;
      const { name, bytes } = k === 0 ? { name: 'none', bytes: f.bytes } : corrupt(f.bytes, rng, f.ext === 'npy' ? (_b, r) => npyHuge(r) : undefined);
      const file = join(root, `user-${k}-${name}.${f.ext}`);
      await writeFile(file, bytes);
      await runAsyncCase(`user case ${k} (${name})`, file, () => loadUserData(file, { seed: k, size: rng.int(2) ? 4 : undefined }), (s) => {
        checkDataset(s.train);
        checkDataset(s.test);
        assert.ok(s.train.count >= 1);
        assert.equal(s.train.name, file);
      }, tally);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  report('image folders and user data', tally);
  assert.ok(tally.errors > 50 && tally.ok > 10, `${tally.ok} ok, ${tally.errors} errors`);
});
