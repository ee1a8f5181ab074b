/**
 * NumPy `.npy` files, versions 1.0, 2.0 and 3.0: the magic `\x93NUMPY`, a version, the header length, a Python dict
 * literal (`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`) parsed by a small literal parser (never
 * evaluated), then the raw values. Supported dtypes: `f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1`, little- or big-endian.
 * Fortran-order arrays are transposed to C order. 64-bit integers become Float64Array (exact up to 2^53), half floats
 * become Float32Array. The byte count must match the shape exactly; the shape is checked against the file size
 * before anything is allocated.
 */
import { GenlabError, badFile, badInput } from '../engine/errors.js';
import { quote } from './csv.js';
import { exactProduct, openForReading, readBytes, readHead } from './idx.js';
import { MAX_NPY_HEADER_BYTES, formatCount } from './limits.js';

export type NpyDtype = 'float16' | 'float32' | 'float64' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool';
export type NpyData = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

export interface NpyArray {
  shape: number[];
  /** The file's dtype (the in-memory array type may be wider: float16 → Float32Array, (u)int64 → Float64Array). */
  dtype: NpyDtype;
  /** The descr string as written in the file, e.g. '<f4'. */
  descr: string;
  /** All values in C (row-major) order. */
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const KINDS: Record<string, { dtype: NpyDtype; size: number }> = {
  f2: { dtype: 'float16', size: 2 },
  f4: { dtype: 'float32', size: 4 },
  f8: { dtype: 'float64', size: 8 },
  i1: { dtype: 'int8', size: 1 },
  i2: { dtype: 'int16', size: 2 },
  i4: { dtype: 'int32', size: 4 },
  i8: { dtype: 'int64', size: 8 },
  u1: { dtype: 'uint8', size: 1 },
  u2: { dtype: 'uint16', size: 2 },
  u4: { dtype: 'uint32', size: 4 },
  u8: { dtype: 'uint64', size: 8 },
  b1: { dtype: 'bool', size: 1 },
};

/** What a .npy header says: the dtype, the shape and where the values start. */
export interface NpyHeader {
  shape: number[];
  dtype: NpyDtype;
  descr: string;
  /** Bytes per value in the file. */
  itemSize: number;
  bigEndian: boolean;
  fortranOrder: boolean;
  /** Number of values (the product of the shape). */
  count: number;
  /** Offset of the first value. */
  dataStart: number;
}

/**
 * Parses the header of a .npy file from its first bytes (`bytes`: at least the whole header) and checks the shape
 * against the file's size `fileSize` before anything is allocated.
 */
export function parseNpyHeader(bytes: Uint8Array, file: string, fileSize = bytes.length): NpyHeader {
  if (fileSize === 0) throw badFile(file, 'empty file, expected a NumPy .npy array');
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw badFile(file, 'not a NumPy .npy file (missing the \\x93NUMPY magic)');
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3) throw badFile(file, `unsupported .npy version ${major}.${minor}, expected 1.0, 2.0 or 3.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else {
    if (bytes.length < 12) throw badFile(file, `truncated .npy header: ${bytes.length} bytes`);
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  }
  if (headerStart + headerLength > fileSize) {
    throw badFile(file, `truncated .npy header: declares ${headerLength} header bytes, only ${fileSize - headerStart} present`);
  }
  if (headerLength > MAX_NPY_HEADER_BYTES) throw badFile(file, `.npy header of ${formatCount(headerLength)} bytes, at most ${formatCount(MAX_NPY_HEADER_BYTES)} are read`);
  if (headerStart + headerLength > bytes.length) throw new GenlabError('internal', `${file}: parseNpyHeader was given too few bytes`);
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLength);
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  const { descr, fortranOrder, shape } = parseHeader(headerText, file);

  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const kind = m ? KINDS[m[2]! + m[3]!] : undefined;
  if (!m || !kind) {
    throw new GenlabError('unsupported', `${file}: unsupported dtype ${quote(descr)}, expected one of <f4 <f8 <f2 <i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1 (or big-endian >)`);
  }
  const dataStart = headerStart + headerLength;
  const available = fileSize - dataStart;
  // Element count, bounded by the bytes present before anything is allocated (floating point: anything above 2^53 is
  // far above the file size anyway).
  let count = 1;
  for (const d of shape) count *= d;
  const expected = count * kind.size;
  if (expected !== available) {
    const what = expected > available ? 'truncated' : 'extra bytes';
    throw badFile(file, `${what}: shape (${shape.join(', ')}) of ${descr} needs ${exactProduct([], shape, kind.size)} data bytes, found ${available}`);
  }
  return { shape, dtype: kind.dtype, descr, itemSize: kind.size, bigEndian: m[1] === '>', fortranOrder, count, dataStart };
}

/** Parses a .npy file; `file` names it in errors. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const h = parseNpyHeader(bytes, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let data = readValues(view, h.dataStart, h.count, h.dtype, h.itemSize, h.bigEndian);
  if (h.fortranOrder && h.shape.length > 1) data = fortranToC(data, h.shape);
  return { shape: h.shape, dtype: h.dtype, descr: h.descr, data };
}

/** Reads and parses a .npy file (a regular file of at most 1 GiB); a missing file is a `not-found` GenlabError. */
export async function readNpyFile(path: string): Promise<NpyArray> {
  return parseNpy(await readBytes(path), path);
}

/**
 * Streams the values of a .npy file in bounded memory: `onHeader` sees (and may refuse) the header before any value
 * is read, then `onChunk` gets the values in file order (C order, or Fortran order when the header says so), at most
 * `chunkValues` at a time, with the index of the first. Only regular files are read.
 */
export async function streamNpyFile(
  path: string,
  onHeader: (header: NpyHeader) => void,
  onChunk: (values: NpyData, start: number) => void,
  chunkValues = 1 << 20,
): Promise<NpyHeader> {
  const { bytes: head, size } = await readHead(path, 12, Number.MAX_SAFE_INTEGER);
  let headerBytes = head;
  if (head.length >= 10 && MAGIC.every((b, i) => head[i] === b)) {
    const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const declared = head[6] === 1 ? 10 + v.getUint16(8, true) : head.length >= 12 ? 12 + v.getUint32(8, true) : 12;
    if (declared <= size && declared <= 12 + MAX_NPY_HEADER_BYTES) headerBytes = (await readHead(path, declared, Number.MAX_SAFE_INTEGER)).bytes;
  }
  const header = parseNpyHeader(headerBytes, path, size);
  onHeader(header);
  const handle = await openForReading(path);
  try {
    const per = Math.max(1, chunkValues);
    const buf = new Uint8Array(per * header.itemSize);
    for (let start = 0; start < header.count; start += per) {
      const n = Math.min(per, header.count - start);
      const want = n * header.itemSize;
      let got = 0;
      while (got < want) {
        const { bytesRead } = await handle.read(buf, got, want - got, header.dataStart + start * header.itemSize + got);
        if (bytesRead === 0) throw badFile(path, 'truncated: the file shrank while it was read');
        got += bytesRead;
      }
      onChunk(readValues(new DataView(buf.buffer, 0, want), 0, n, header.dtype, header.itemSize, header.bigEndian), start);
    }
  } finally {
    await handle.close();
  }
  return header;
}

/**
 * Encodes a float32 array as a .npy v1.0 file ('<f4', C order), with the header padded with spaces and a newline so
 * that the data starts at a multiple of 64 bytes, as NumPy writes it.
 */
export function encodeNpy(shape: number[], data: Float32Array): Uint8Array {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw badInput('encodeNpy', `invalid shape [${shape.join(', ')}]`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw badInput('encodeNpy', `shape [${shape.join(', ')}] holds ${count} values, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1; // magic, version, length, dict, '\n'
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  if (dict.length > 0xffff) throw badInput('encodeNpy', 'header too long for .npy version 1.0');
  const out = new Uint8Array(10 + dict.length + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  const offset = 10 + dict.length;
  for (let i = 0; i < data.length; i++) view.setFloat32(offset + 4 * i, data[i]!, true);
  return out;
}

function readValues(view: DataView, offset: number, n: number, dtype: NpyDtype, size: number, bigEndian: boolean): NpyData {
  const le = !bigEndian;
  const base = view.byteOffset + offset;
  switch (dtype) {
    case 'uint8':
    case 'bool':
      return new Uint8Array(view.buffer.slice(base, base + n * size));
    case 'int8':
      return new Int8Array(view.buffer.slice(base, base + n * size));
    case 'int16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(offset + 2 * i, le);
      return out;
    }
    case 'uint16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint16(offset + 2 * i, le);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(offset + 4 * i, le);
      return out;
    }
    case 'uint32': {
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint32(offset + 4 * i, le);
      return out;
    }
    case 'int64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(offset + 8 * i, le));
      return out;
    }
    case 'uint64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigUint64(offset + 8 * i, le));
      return out;
    }
    case 'float16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(offset + 2 * i, le));
      return out;
    }
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(offset + 4 * i, le);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(offset + 8 * i, le);
      return out;
    }
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Reorders Fortran-order (first index fastest) values into C order (last index fastest). */
export function fortranToC<T extends NpyData>(src: T, shape: number[]): T {
  const out = new (src.constructor as new (n: number) => T)(src.length);
  const rank = shape.length;
  // Fortran strides: stride[k] = product of shape[0..k-1].
  const fStride = new Array<number>(rank);
  let s = 1;
  for (let k = 0; k < rank; k++) {
    fStride[k] = s;
    s *= shape[k]!;
  }
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let i = 0; i < src.length; i++) {
    out[i] = src[from]!;
    // Increment the C-order index (last axis fastest), keeping `from` in step.
    for (let k = rank - 1; k >= 0; k--) {
      index[k]!++;
      from += fStride[k]!;
      if (index[k]! < shape[k]!) break;
      from -= fStride[k]! * shape[k]!;
      index[k] = 0;
    }
  }
  return out;
}

// ---- header dict -----------------------------------------------------------------------------------------------

interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** Parses the header dict literal and checks its three keys. */
function parseHeader(text: string, file: string): Header {
  let value: PyValue;
  try {
    value = parsePyLiteral(text.replace(/[\s\0]+$/, ''));
  } catch (e) {
    if (e instanceof SyntaxError) throw badFile(file, `malformed .npy header (${e.message}): ${quote(text, 80)}`);
    throw e;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badFile(file, `malformed .npy header: expected a dict, got ${quote(text, 80)}`);
  }
  const descr = value['descr'];
  const fortran = value['fortran_order'];
  const shape = value['shape'];
  if (Array.isArray(descr)) throw new GenlabError('unsupported', `${file}: structured dtypes (record arrays) are not supported, expected a plain numeric array`);
  if (typeof descr !== 'string') throw badFile(file, `.npy header has no 'descr' string`);
  if (typeof fortran !== 'boolean') throw badFile(file, `.npy header has no 'fortran_order' True/False`);
  if (!Array.isArray(shape)) throw badFile(file, `.npy header has no 'shape' tuple`);
  const dims: number[] = [];
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw badFile(file, `.npy shape (${shape.map(String).join(', ')}) is not a tuple of non-negative integers`);
    dims.push(d);
  }
  if (dims.length > 32) throw badFile(file, `.npy shape has ${dims.length} dimensions, at most 32 are allowed`);
  return { descr, fortranOrder: fortran, shape: dims };
}

/**
 * A parser for the Python literals that appear in .npy headers: dicts, tuples, lists, strings, integers, True,
 * False, None. Throws SyntaxError on anything else. Nesting depth is bounded.
 */
function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at character ${i + 1}`);
  };
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (depth: number): PyValue => {
    if (depth > 8) fail('nested too deeply');
    skip();
    const ch = text[i];
    if (ch === undefined) return fail('unexpected end');
    if (ch === '{') {
      i++;
      const obj: { [key: string]: PyValue } = Object.create(null) as { [key: string]: PyValue };
      for (;;) {
        skip();
        if (text[i] === '}') {
          i++;
          return obj;
        }
        const key = value(depth + 1);
        if (typeof key !== 'string') fail('dict key is not a string');
        skip();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        obj[key as string] = value(depth + 1);
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("expected ',' or '}'");
      }
    }
    if (ch === '(' || ch === '[') {
      const close = ch === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      for (;;) {
        skip();
        if (text[i] === close) {
          i++;
          return items;
        }
        items.push(value(depth + 1));
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      if (s.includes('\\')) fail('escapes in strings are not supported');
      i = end + 1;
      return s;
    }
    const m = /^(?:[+-]?\d+L?|True|False|None)/.exec(text.slice(i, i + 40));
    if (!m) return fail(`unexpected ${quote(ch)}`);
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace('L', ''));
  };
  const v = value(0);
  skip();
  if (i < text.length) fail('trailing characters');
  return v;
}
