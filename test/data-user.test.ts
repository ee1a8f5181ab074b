import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { parseDelimited } from '../src/data/csv.js';
import { encodeNpy, parseNpy } from '../src/data/npy.js';
import { loadImageFolder } from '../src/data/image-folder.js';
import { loadUserData } from '../src/data/user.js';

// ---- helpers -----------------------------------------------------------------------------------------------------

function checkError(caught: unknown, patterns: (RegExp | string)[]): GenlabError {
  assert.ok(caught instanceof GenlabError, `expected a GenlabError, got ${caught instanceof Error ? caught.stack : String(caught)}`);
  assert.ok(!/[\r\n\u2028\u2029]/.test(caught.message), `message is not one line: ${caught.message}`);
  for (const p of patterns) {
    if (typeof p === 'string') assert.ok(caught.message.includes(p), `"${caught.message}" does not contain "${p}"`);
    else assert.match(caught.message, p);
  }
  return caught;
}

function throwsGenlab(fn: () => unknown, ...patterns: (RegExp | string)[]): GenlabError {
  try {
    fn();
  } catch (e) {
    return checkError(e, patterns);
  }
  assert.fail(`did not throw (expected ${patterns.join(', ')})`);
}

async function rejectsGenlab(promise: Promise<unknown>, ...patterns: (RegExp | string)[]): Promise<GenlabError> {
  try {
    await promise;
  } catch (e) {
    return checkError(e, patterns);
  }
  assert.fail(`did not throw (expected ${patterns.join(', ')})`);
}

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'genlab-user-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A PNG from RGBA bytes. */
function png(width: number, height: number, rgba: ArrayLike<number>): Buffer {
  const img = new PNG({ width, height });
  for (let i = 0; i < rgba.length; i++) img.data[i] = rgba[i]!;
  return PNG.sync.write(img);
}

/** RGBA bytes of a grey image from grey levels (opaque). */
function greyRgba(levels: number[]): number[] {
  return levels.flatMap((g) => [g, g, g, 255]);
}

/** A .npy file with any header text (for hand-made and broken headers). */
function npy(header: string, payload: Uint8Array, version = 1): Uint8Array {
  const h = new TextEncoder().encode(header);
  const pre = version === 1 ? 10 : 12;
  const out = new Uint8Array(pre + h.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, h.length, true);
  else v.setUint32(8, h.length, true);
  out.set(h, pre);
  out.set(payload, pre + h.length);
  return out;
}

// ---- CSV / TSV --------------------------------------------------------------------------------------------------

test('CSV with and without a header', () => {
  const a = parseDelimited('x,y\n1,2\n-3.5,4e2\n', 'a.csv');
  assert.deepEqual(a.columns, ['x', 'y']);
  assert.equal(a.rows, 2);
  assert.equal(a.cols, 2);
  assert.deepEqual(Array.from(a.data), [1, 2, -3.5, 400]);
  const b = parseDelimited('1,2,3\n4,5,6', 'b.csv');
  assert.equal(b.columns, null);
  assert.deepEqual([b.rows, b.cols], [2, 3]);
  assert.deepEqual(Array.from(b.data), [1, 2, 3, 4, 5, 6]);
  // header: true takes a numeric first row as names; header: false refuses a text row.
  assert.deepEqual(parseDelimited('1,2\n3,4', 'c.csv', { header: true }).columns, ['1', '2']);
  throwsGenlab(() => parseDelimited('x,y\n1,2', 'c.csv', { header: false }), 'c.csv:1: column 1: "x" is not a number');
});

test('TSV, semicolons, spaces, CRLF, BOM, comments, quotes', () => {
  const t = parseDelimited('a\tb\n1\t2\n3\t4\n', 'd.tsv');
  assert.deepEqual(t.columns, ['a', 'b']);
  assert.deepEqual(Array.from(t.data), [1, 2, 3, 4]);
  // Tab found by content in a .txt; .tsv always means tab even with commas around.
  assert.equal(parseDelimited('1\t2\n3\t4', 'd.txt').cols, 2);
  assert.equal(parseDelimited('x,5\ty\n3\t4', 'e.tsv', {}).cols, 2);
  assert.deepEqual(Array.from(parseDelimited('1;2\n3;4', 'f.csv').data), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(parseDelimited('  1   2 \n3 4\n', 'g.txt').data), [1, 2, 3, 4]);
  const crlf = parseDelimited('\ufeff# comment\r\nx,y\r\n\r\n1,2\r\n# another\r\n3,4\r\n', 'h.csv');
  assert.deepEqual(crlf.columns, ['x', 'y']);
  assert.deepEqual(Array.from(crlf.data), [1, 2, 3, 4]);
  const q = parseDelimited('"a,b", "c ""d"""\n"1", 2\n', 'q.csv');
  assert.deepEqual(q.columns, ['a,b', 'c "d"']);
  assert.deepEqual(Array.from(q.data), [1, 2]);
  // Single column.
  assert.deepEqual(Array.from(parseDelimited('v\n1\n2\n3', 'one.csv').data), [1, 2, 3]);
  // Many rows (grows past the first buffer).
  const many = Array.from({ length: 3000 }, (_, i) => `${i},${-i}`).join('\n');
  const m = parseDelimited(many, 'many.csv');
  assert.equal(m.rows, 3000);
  assert.equal(m.data[2 * 2999 + 1], -2999);
});

test('CSV errors give the file and line', () => {
  // Line 17 is ragged after 1 header line, 1 comment line and 14 good rows.
  const lines = ['a,b,c,d', '# comment', ...Array.from({ length: 14 }, (_, i) => `${i},1,2,3`), '1,2,3', '4,5,6,7'];
  const raggedLine = lines.indexOf('1,2,3') + 1;
  assert.equal(raggedLine, 17);
  throwsGenlab(() => parseDelimited(lines.join('\n'), 'data.csv'), /^data\.csv:17: 3 columns, expected 4 \("a", "b", "c", "d"\)$/);
  throwsGenlab(() => parseDelimited('x,y\n1,2\n3,abc\n', 'data.csv'), 'data.csv:3: column 2 ("y"): "abc" is not a number');
  throwsGenlab(() => parseDelimited('1,2\n\n3,0x10\n', 'data.csv'), 'data.csv:3: column 2: "0x10" is not a number');
  throwsGenlab(() => parseDelimited('1,2\r\n3,NaN\r\n', 'data.csv'), 'data.csv:2: column 2', '"NaN" is not a finite number');
  throwsGenlab(() => parseDelimited('1,2\n-inf,3\n', 'data.csv'), 'data.csv:2: column 1', '"-inf" is not a finite number');
  throwsGenlab(() => parseDelimited('1,2\n1e999,3\n', 'data.csv'), 'data.csv:2: column 1', '"1e999" overflows');
  throwsGenlab(() => parseDelimited('1,2\n3,\n', 'data.csv'), 'data.csv:2: column 2: empty cell');
  // A first row with NaN or an empty cell is a bad data row, not a header.
  throwsGenlab(() => parseDelimited('1,NaN\n2,3\n', 'data.csv'), 'data.csv:1: column 2: "NaN" is not a finite number');
  throwsGenlab(() => parseDelimited('1,,2\n2,3,4\n', 'data.csv'), 'data.csv:1: column 2: empty cell');
  throwsGenlab(() => parseDelimited('', 'empty.csv'), 'empty.csv: empty file');
  throwsGenlab(() => parseDelimited('# only\n\n  \n', 'empty.csv'), 'empty.csv: empty file');
  throwsGenlab(() => parseDelimited('x,y\n# nothing\n', 'head.csv'), 'head.csv: header only, no data rows');
  throwsGenlab(() => parseDelimited('1,2\n"3,4\n', 'q.csv'), 'q.csv:2: unterminated quoted cell');
  throwsGenlab(() => parseDelimited('x,\n1,2\n', 'h.csv'), 'h.csv:1: header column 2 is empty');
  // A control character in a cell is escaped, the message stays one line.
  throwsGenlab(() => parseDelimited('1,2\n3,a\u2028b\n', 'c.csv'), 'c.csv:2', '\\u2028');
});

// ---- NPY ---------------------------------------------------------------------------------------------------------

test('NPY encode/parse round-trip, byte-identical to NumPy', () => {
  const rng = new Rng(4);
  for (const shape of [[2, 3, 4, 1], [5], [], [3, 0, 2]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = rng.normals(new Float32Array(n));
    const bytes = encodeNpy(shape, data);
    const headerLen = bytes[8]! | (bytes[9]! << 8);
    assert.equal((10 + headerLen) % 64, 0);
    assert.equal(bytes[10 + headerLen - 1], 0x0a);
    const back = parseNpy(bytes, 'r.npy');
    assert.deepEqual(back.shape, shape);
    assert.equal(back.dtype, 'float32');
    assert.deepEqual(back.data, data);
  }
  // np.save(np.arange(24, dtype='<f4').reshape(2, 3, 4, 1) / 7) writes exactly this header.
  const enc = encodeNpy([2, 3, 4, 1], new Float32Array(24));
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4, 1), }";
  assert.equal(new TextDecoder().decode(enc.subarray(10, 10 + header.length)), header);
  assert.equal(enc.length, 128 + 24 * 4);
  throwsGenlab(() => encodeNpy([2, 2], new Float32Array(3)), 'encodeNpy', 'holds 4 values, data has 3');
});

test('NPY files written by NumPy: Fortran order, big-endian, v2/v3, half, bool, uint8', () => {
  const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
  const fixtures: Record<string, string> = {
    fort: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAwAAAAEAAAAEAAAAAgAAAAUAAAA=',
    be: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAD/wAAAAAAAAQAAAAAAAAABACAAAAAAAAA==',
    v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8aTgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAEAAAAAAAAAAgAAAAAAAAA=',
    v3: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICc8dTInLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAEAAgA=',
    f2: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPADAADj/ew==',
    bool: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAE=',
    u1: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAQIDBAU=',
  };
  const p = (k: string) => parseNpy(b64(fixtures[k]!), `${k}.npy`);
  const fort = p('fort'); // np.asfortranarray(np.arange(6).reshape(2, 3))
  assert.deepEqual([fort.dtype, fort.shape, Array.from(fort.data)], ['int32', [2, 3], [0, 1, 2, 3, 4, 5]]);
  assert.ok(fort.data instanceof Int32Array);
  assert.deepEqual([p('be').dtype, Array.from(p('be').data)], ['float64', [0, 1, 2, 3]]);
  assert.deepEqual([p('v2').dtype, Array.from(p('v2').data)], ['int64', [0, 1, 2]]);
  assert.deepEqual([p('v3').dtype, Array.from(p('v3').data)], ['uint16', [0, 1, 2]]);
  assert.deepEqual([p('f2').dtype, Array.from(p('f2').data)], ['float16', [1, -2, 0.5, 65504]]);
  assert.deepEqual([p('bool').dtype, Array.from(p('bool').data)], ['bool', [1, 0, 1]]);
  assert.deepEqual([p('u1').dtype, p('u1').shape, Array.from(p('u1').data)], ['uint8', [1, 2, 3], [0, 1, 2, 3, 4, 5]]);
});

test('NPY Fortran order is transposed to C order in 3-D', () => {
  const shape = [2, 3, 4];
  const payload = new Int16Array(24);
  let k = 0;
  // Fortran order: first index fastest. Value encodes its (i, j, l) position.
  for (let l = 0; l < 4; l++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) payload[k++] = 100 * i + 10 * j + l;
  const arr = parseNpy(npy("{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3, 4), }\n", new Uint8Array(payload.buffer)), 'f.npy');
  const expected: number[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let l = 0; l < 4; l++) expected.push(100 * i + 10 * j + l);
  assert.deepEqual(arr.shape, shape);
  assert.deepEqual(Array.from(arr.data), expected);
});

test('NPY errors name the file and the problem', () => {
  const payload = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
  const ok = (h: string) => npy(h, payload);
  const goodHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n";
  assert.deepEqual(Array.from(parseNpy(ok(goodHeader), 'g.npy').data), [1, 2, 3, 4, 5, 6]);
  throwsGenlab(() => parseNpy(new Uint8Array(0), 'e.npy'), 'e.npy: empty file');
  throwsGenlab(() => parseNpy(new TextEncoder().encode('PK\u0003\u0004 a zip file'), 'z.npy'), 'z.npy: not a NumPy .npy file');
  const v9 = ok(goodHeader);
  v9[6] = 9;
  throwsGenlab(() => parseNpy(v9, 'v.npy'), 'v.npy: unsupported .npy version 9.0');
  const longHeader = ok(goodHeader);
  new DataView(longHeader.buffer).setUint16(8, 60000, true);
  throwsGenlab(() => parseNpy(longHeader, 'h.npy'), 'h.npy: truncated .npy header: declares 60000 header bytes');
  throwsGenlab(() => parseNpy(ok("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3) "), 'm.npy'), 'm.npy: malformed .npy header');
  throwsGenlab(() => parseNpy(ok("{'descr': '<f4', 'fortran_order': False, 'shape': __import__('os')}"), 'm.npy'), 'm.npy: malformed .npy header');
  throwsGenlab(() => parseNpy(ok("{'descr': '<f4', 'fortran_order': False}"), 'm.npy'), "m.npy: .npy header has no 'shape' tuple");
  throwsGenlab(() => parseNpy(ok("{'descr': '<f4', 'shape': (6,)}"), 'm.npy'), "m.npy: .npy header has no 'fortran_order'");
  throwsGenlab(() => parseNpy(ok("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }"), 'm.npy'), 'm.npy: .npy shape (2, -3)');
  throwsGenlab(() => parseNpy(ok('[' .repeat(5000)), 'm.npy'), 'm.npy: malformed .npy header', 'nested too deeply');
  const c8 = throwsGenlab(() => parseNpy(ok("{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }"), 'c.npy'), 'c.npy: unsupported dtype "<c8"');
  assert.equal(c8.code, 'unsupported');
  throwsGenlab(() => parseNpy(ok("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }"), 's.npy'), 's.npy: structured dtypes');
  throwsGenlab(() => parseNpy(ok("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }"), 't.npy'), 't.npy: truncated: shape (2, 4) of <f4 needs 32 data bytes, found 24');
  throwsGenlab(() => parseNpy(ok("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }"), 'x.npy'), 'x.npy: extra bytes', 'needs 20 data bytes, found 24');
  throwsGenlab(
    () => parseNpy(ok("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }"), 'huge.npy'),
    'huge.npy: truncated: shape (4294967296, 4294967296, 4294967296)',
  );
  throwsGenlab(() => parseNpy(ok("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }"), 'huge.npy'), 'huge.npy: .npy shape');
});

// ---- image folders -----------------------------------------------------------------------------------------------

test('image folder: grey PNGs sorted by name, alpha on white, values /255', async () => {
  await withTmp(async (dir) => {
    const levels = { 'b.png': [0, 64, 128, 255], 'a.png': [10, 20, 30, 40], 'c.PNG': [255, 0, 255, 0] };
    for (const [name, l] of Object.entries(levels)) await writeFile(join(dir, name), png(2, 2, greyRgba(l)));
    await writeFile(join(dir, 'notes.txt'), 'not an image');
    // Half-transparent black over white is mid grey; fully transparent is white.
    await writeFile(join(dir, 'd.png'), png(2, 2, [0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 102, 255, 255, 255, 0]));
    const ds = await loadImageFolder(dir);
    assert.equal(ds.kind, 'images');
    assert.equal(ds.name, dir);
    assert.deepEqual(ds.shape, [2, 2, 1]);
    assert.equal(ds.count, 4);
    assert.equal(ds.labels, undefined);
    const expected = [...levels['a.png'], ...levels['b.png'], ...levels['c.PNG']].map((g) => g / 255);
    expected.push(1, 0, 1 - 102 / 255, 1);
    assert.equal(ds.data.length, expected.length);
    ds.data.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `value ${i}: ${v} vs ${expected[i]}`));
    // Forced RGB replicates the grey value.
    const rgb = await loadImageFolder(dir, { channels: 3 });
    assert.deepEqual(rgb.shape, [2, 2, 3]);
    assert.ok(Math.abs(rgb.data[3 * 1 + 2]! - 20 / 255) < 1e-6);
  });
});

test('image folder: colour → 3 channels, class sub-folders, sizes and resizing', async () => {
  await withTmp(async (dir) => {
    await mkdir(join(dir, 'cats'));
    await mkdir(join(dir, 'dogs'));
    await mkdir(join(dir, '.hidden'));
    await writeFile(join(dir, 'cats', '1.png'), png(4, 4, new Array(64).fill(0).map((_, i) => (i % 4 === 0 ? 255 : i % 4 === 3 ? 255 : 0))));
    await writeFile(join(dir, 'cats', '2.png'), png(4, 4, greyRgba(new Array(16).fill(100))));
    const jpg = jpeg.encode({ width: 4, height: 4, data: Buffer.from(greyRgba(new Array(16).fill(200))) }, 95).data;
    await writeFile(join(dir, 'dogs', '3.jpg'), jpg);
    await writeFile(join(dir, '.hidden', 'x.png'), png(1, 1, [0, 0, 0, 255]));
    const ds = await loadImageFolder(dir);
    assert.deepEqual(ds.shape, [4, 4, 3]);
    assert.equal(ds.count, 3);
    assert.ok(ds.labels?.kind === 'class');
    assert.deepEqual(ds.labels.classes, ['cats', 'dogs']);
    assert.deepEqual(Array.from(ds.labels.values), [0, 0, 1]);
    assert.deepEqual(Array.from(ds.data.subarray(0, 3)), [1, 0, 0]); // pure red
    assert.ok(Math.abs(ds.data[2 * 48]! - 200 / 255) < 0.03); // the JPEG, lossy
    // Resized to a common size.
    await writeFile(join(dir, 'dogs', '4.png'), png(8, 2, greyRgba(new Array(16).fill(0))));
    await rejectsGenlab(loadImageFolder(dir), join(dir, 'dogs', '4.png'), '8×2 pixels, expected 4×4', join(dir, 'cats', '1.png'));
    const fitted = await loadImageFolder(dir, { size: 3, channels: 1 });
    assert.deepEqual(fitted.shape, [3, 3, 1]);
    assert.equal(fitted.count, 4);
    // The 8×2 black image becomes a 3×1 black strip centred on white.
    const last = Array.from(fitted.data.subarray(27, 36)).map((v) => Math.round(v * 1000) / 1000);
    assert.deepEqual(last, [1, 1, 1, 0, 0, 0, 1, 1, 1]);
  });
});

test('image folder errors', async () => {
  await withTmp(async (dir) => {
    const missing = await rejectsGenlab(loadImageFolder(join(dir, 'nope')), join(dir, 'nope'), 'no such folder');
    assert.equal(missing.code, 'not-found');
    await rejectsGenlab(loadImageFolder(dir), dir, 'no images found');
    await writeFile(join(dir, 'readme.txt'), 'hi');
    await rejectsGenlab(loadImageFolder(join(dir, 'readme.txt')), 'readme.txt: not a folder');
    await writeFile(join(dir, 'a.png'), png(2, 2, greyRgba([1, 2, 3, 4])));
    await writeFile(join(dir, 'b.png'), 'this is no PNG');
    await rejectsGenlab(loadImageFolder(dir), join(dir, 'b.png'), 'not a PNG or JPEG');
    const good = png(2, 2, greyRgba([1, 2, 3, 4]));
    await writeFile(join(dir, 'b.png'), good.subarray(0, good.length - 20));
    await rejectsGenlab(loadImageFolder(dir), join(dir, 'b.png'));
    await rejectsGenlab(loadImageFolder(dir, { size: 0 }), 'size');
  });
});

/** Sets a PNG's IHDR size and fixes the chunk CRC, so that only the declared size is wrong. */
function forgePngSize(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const b = Buffer.from(bytes);
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  let crc = 0xffffffff;
  for (const x of b.subarray(12, 29)) {
    crc ^= x;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  b.writeUInt32BE((crc ^ 0xffffffff) >>> 0, 29);
  return b;
}

test('image folder rejects forged huge PNG/JPEG sizes without decoding them', async () => {
  await withTmp(async (dir) => {
    const good = png(4, 4, greyRgba(new Array(16).fill(7)));
    const sizes: [number, number][] = [[30000, 30000], [4000, 4000], [1, 2 ** 31]];
    for (const [w, h] of sizes) {
      await writeFile(join(dir, 'x.png'), forgePngSize(good, w, h));
      const t0 = performance.now();
      await rejectsGenlab(loadImageFolder(dir), join(dir, 'x.png'), `${w}×${h}`);
      assert.ok(performance.now() - t0 < 1000);
    }
    await rm(join(dir, 'x.png'));
    // A JPEG whose SOF claims 8000×8000 (under jpeg-js's own limit, but far more than 600 bytes can encode).
    const jpg = Buffer.from(jpeg.encode({ width: 8, height: 8, data: Buffer.from(greyRgba(new Array(64).fill(9))) }, 90).data);
    const sof = jpg.findIndex((x, i) => x === 0xff && jpg[i + 1] === 0xc0);
    jpg.writeUInt16BE(8000, sof + 5);
    jpg.writeUInt16BE(8000, sof + 7);
    await writeFile(join(dir, 'y.jpg'), jpg);
    const t0 = performance.now();
    await rejectsGenlab(loadImageFolder(dir), join(dir, 'y.jpg'), 'corrupt image: header declares 8000×8000 pixels');
    assert.ok(performance.now() - t0 < 1000);
  });
});

// ---- loadUserData ------------------------------------------------------------------------------------------------

test('loadUserData: CSV points with a seeded train/test split', async () => {
  await withTmp(async (dir) => {
    const rng = new Rng(5);
    const rows = Array.from({ length: 50 }, (_, i) => [i, Math.round(rng.normal() * 1000) / 1000, -i]);
    const file = join(dir, 'pts.csv');
    await writeFile(file, 'id,x,y\n' + rows.map((r) => r.join(',')).join('\n'));
    const s = await loadUserData(file, { testFraction: 0.2, seed: 1 });
    assert.equal(s.train.name, file);
    assert.equal(s.train.kind, 'points');
    assert.deepEqual(s.train.shape, [3]);
    assert.deepEqual([s.train.count, s.test.count], [40, 10]);
    // Train ∪ test is the file, each row once.
    const seen = new Set<number>();
    for (const ds of [s.train, s.test]) {
      for (let i = 0; i < ds.count; i++) {
        const id = ds.data[3 * i]!;
        assert.ok(!seen.has(id));
        seen.add(id);
        assert.ok(Math.abs(ds.data[3 * i + 1]! - rows[id]![1]!) < 1e-6);
        assert.equal(ds.data[3 * i + 2]! + id, 0);
      }
    }
    assert.equal(seen.size, 50);
    const again = await loadUserData(file, { testFraction: 0.2, seed: 1 });
    assert.deepEqual(again.test.data, s.test.data);
    const other = await loadUserData(file, { testFraction: 0.2, seed: 2 });
    assert.notDeepEqual(other.test.data, s.test.data);
    // Default test fraction 0.1; TSV and TXT.
    assert.equal((await loadUserData(file)).test.count, 5);
    await writeFile(join(dir, 'p.tsv'), '1\t2\n3\t4\n5\t6\n');
    assert.deepEqual((await loadUserData(join(dir, 'p.tsv'), { testFraction: 0 })).train.shape, [2]);
    await writeFile(join(dir, 'p.txt'), '1 2 3\n4 5 6\n');
    assert.equal((await loadUserData(join(dir, 'p.txt'), { testFraction: 0 })).train.count, 2);
  });
});

test('loadUserData: .npy points and images, uint8 scaled by 1/255', async () => {
  await withTmp(async (dir) => {
    const pts = join(dir, 'p.npy');
    await writeFile(pts, encodeNpy([4, 2], new Float32Array([1, 2, 3, 4, 5, 6, 7, 8])));
    const p = await loadUserData(pts, { testFraction: 0.25 });
    assert.deepEqual([p.train.kind, p.train.shape, p.train.count, p.test.count], ['points', [2], 3, 1]);

    const imgs = join(dir, 'i.npy');
    const bytes = Uint8Array.from({ length: 3 * 2 * 2 * 3 }, (_, i) => (i * 23) % 256);
    await writeFile(imgs, npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 2, 2, 3), }\n", bytes));
    const im = await loadUserData(imgs, { testFraction: 0 });
    assert.deepEqual([im.train.kind, im.train.shape, im.train.count], ['images', [2, 2, 3], 3]);
    const sorted = (x: Float32Array) => Array.from(x).sort((a, b) => a - b);
    assert.deepEqual(sorted(im.train.data), sorted(Float32Array.from(bytes, (b) => b / 255)));

    const grey = join(dir, 'g.npy');
    await writeFile(grey, encodeNpy([2, 3, 3], new Float32Array(18).fill(0.25)));
    const g = await loadUserData(grey, { testFraction: 0 });
    assert.deepEqual(g.train.shape, [3, 3, 1]);
    const resized = await loadUserData(grey, { testFraction: 0, size: 6 });
    assert.deepEqual(resized.train.shape, [6, 6, 1]);
    assert.ok(resized.train.data.every((v) => Math.abs(v - 0.25) < 1e-6));

    const bad = join(dir, 'b.npy');
    await writeFile(bad, encodeNpy([1, 2, 2, 1], new Float32Array([0, 0.5, 255, 1])));
    await rejectsGenlab(loadUserData(bad), 'b.npy: image value 255 at index 2 is outside [0, 1]', 'divide 0–255 data by 255');
    await writeFile(bad, encodeNpy([1, 2, 2, 2], new Float32Array(8)));
    await rejectsGenlab(loadUserData(bad), 'b.npy: shape (1, 2, 2, 2): images need 1 or 3 channels, found 2');
    await writeFile(bad, encodeNpy([2, 1, 1, 1, 1], new Float32Array(2)));
    await rejectsGenlab(loadUserData(bad), 'b.npy: shape (2, 1, 1, 1, 1): expected');
    await writeFile(bad, encodeNpy([2, 2], new Float32Array([1, NaN, 3, 4])));
    await rejectsGenlab(loadUserData(bad), 'b.npy: value NaN at row 0, column 1');
    await writeFile(bad, encodeNpy([0, 2], new Float32Array(0)));
    await rejectsGenlab(loadUserData(bad), 'b.npy: no examples');
  });
});

test('loadUserData: folders, and errors for unknown, missing and too small inputs', async () => {
  await withTmp(async (dir) => {
    const imgs = join(dir, 'imgs');
    await mkdir(join(imgs, 'x'), { recursive: true });
    await mkdir(join(imgs, 'y'));
    for (let i = 0; i < 4; i++) await writeFile(join(imgs, i < 2 ? 'x' : 'y', `${i}.png`), png(3, 3, greyRgba(new Array(9).fill(i * 50))));
    const s = await loadUserData(imgs, { testFraction: 0.25, size: 5 });
    assert.deepEqual([s.train.shape, s.train.count, s.test.count, s.train.name], [[5, 5, 1], 3, 1, imgs]);
    assert.equal(s.train.labels?.kind, 'class');

    await writeFile(join(dir, 'd.json'), '[]');
    await rejectsGenlab(loadUserData(join(dir, 'd.json')), 'd.json: unknown file type ".json", expected .csv, .tsv, .txt, .npy or a folder');
    const nf = await rejectsGenlab(loadUserData(join(dir, 'gone.csv')), 'gone.csv: no such file');
    assert.equal(nf.code, 'not-found');
    await writeFile(join(dir, 'one.csv'), '1,2\n');
    await rejectsGenlab(loadUserData(join(dir, 'one.csv'), { testFraction: 0.6 }), 'one.csv: only 1 example');
    await rejectsGenlab(loadUserData(join(dir, 'one.csv'), { testFraction: 1 }), 'testFraction');
    await writeFile(join(dir, 'bin.csv'), new Uint8Array([0x31, 0x2c, 0x00, 0xff]));
    await rejectsGenlab(loadUserData(join(dir, 'bin.csv')), 'bin.csv: binary data');
    await writeFile(join(dir, 'big.csv'), '1,2\n1e39,3\n');
    await rejectsGenlab(loadUserData(join(dir, 'big.csv')), 'big.csv: data row 2, column 1: 1e+39 does not fit in float32');
    await writeFile(join(dir, 'r.csv'), 'a,b\n1,2\n3\n');
    await rejectsGenlab(loadUserData(join(dir, 'r.csv')), `${join(dir, 'r.csv')}:3: 1 column, expected 2`);
  });
});
