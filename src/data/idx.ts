/**
 * Reader for the IDX format of LeCun's MNIST files: a 4-byte magic (two zero bytes, a type code, the number of
 * dimensions), one big-endian uint32 per dimension, then the values, big-endian, row-major. Every malformed input is
 * reported as a one-line `GenlabError` naming the file; sizes are checked against the actual byte length before
 * anything is allocated, so a corrupt header cannot trigger a huge allocation.
 */
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { GenlabError, badFile, badInput } from '../engine/errors.js';
import { MAX_FILE_BYTES, formatCount } from './limits.js';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxFile {
  type: IdxType;
  dims: number[];
  /** All values, row-major, in a fresh array (never a view of the input bytes). */
  data: IdxData;
  /** The 32-bit magic number: 0x0000TTNN with TT the type code and NN the number of dimensions. */
  magic: number;
}

/** What a caller expects of an IDX file; every field is optional. */
export interface IdxExpectation {
  type?: IdxType;
  rank?: number;
  /** Full magic, e.g. 0x00000803 for MNIST images (uint8, 3 dims). */
  magic?: number;
  /** Expected dims; `null` entries are free (e.g. [null, 28, 28]). */
  dims?: (number | null)[];
}

const TYPE_CODES: Record<number, { type: IdxType; size: number }> = {
  0x08: { type: 'uint8', size: 1 },
  0x09: { type: 'int8', size: 1 },
  0x0b: { type: 'int16', size: 2 },
  0x0c: { type: 'int32', size: 4 },
  0x0d: { type: 'float32', size: 4 },
  0x0e: { type: 'float64', size: 8 },
};

/** The IDX type code of a type name (0x08 for uint8…). */
export function idxTypeCode(type: IdxType): number {
  for (const [code, t] of Object.entries(TYPE_CODES)) if (t.type === type) return Number(code);
  throw new GenlabError('internal', `idxTypeCode: unknown type ${String(type)}`);
}

/** `0x00000803`. */
export function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

/**
 * Parses an IDX file. `file` names it in errors. When `expect` is given, its magic/type/rank are checked on the
 * header before the body is parsed (so a wrong file is reported by its magic, not by a confusing size error), and
 * its dims after.
 */
export function parseIdx(bytes: Uint8Array, file: string, expect?: IdxExpectation): IdxFile {
  if (bytes.length === 0) throw badFile(file, 'empty file, expected an IDX file');
  if (bytes.length < 4) throw badFile(file, `truncated IDX header: ${bytes.length} bytes, expected at least 4`);
  const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  if (expect?.magic !== undefined && magic !== expect.magic) {
    throw badFile(file, `magic ${hex32(magic)}, expected ${hex32(expect.magic)}`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw badFile(file, `not an IDX file: magic ${hex32(magic)}, expected 0x0000TTNN (two zero bytes, type code, rank)`);
  }
  const code = bytes[2]!;
  const info = TYPE_CODES[code];
  if (!info) {
    throw badFile(file, `unknown IDX type code 0x${code.toString(16).padStart(2, '0')} (expected 08, 09, 0b, 0c, 0d or 0e)`);
  }
  const rank = bytes[3]!;
  if (rank === 0) throw badFile(file, 'IDX file declares 0 dimensions, expected at least 1');
  if (expect?.type !== undefined && info.type !== expect.type) throw badFile(file, `IDX values are ${info.type}, expected ${expect.type}`);
  if (expect?.rank !== undefined && rank !== expect.rank) throw badFile(file, `IDX file has ${rank} dimensions, expected ${expect.rank}`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw badFile(file, `truncated IDX header: ${bytes.length} bytes, expected at least ${headerBytes} for ${rank} dimensions`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  // Element count in floating point: exact up to 2^53, and anything larger cannot match the byte length anyway.
  let count = 1;
  for (const d of dims) count *= d;
  const expectedBytes = headerBytes + count * info.size;
  if (expectedBytes !== bytes.length) {
    const what = expectedBytes > bytes.length ? 'truncated' : 'extra bytes';
    throw badFile(
      file,
      `${what}: dims [${dims.join(', ')}] of ${info.type} need ${exactProduct([headerBytes], dims, info.size)} bytes, found ${bytes.length}`,
    );
  }
  const data = readValues(view, headerBytes, count, info.type);
  const parsed: IdxFile = { type: info.type, dims, data, magic };
  if (expect?.dims) expectIdx(parsed, file, { dims: expect.dims });
  return parsed;
}

function readValues(view: DataView, offset: number, n: number, type: IdxType): IdxData {
  const base = view.byteOffset + offset;
  switch (type) {
    case 'uint8':
      return new Uint8Array(view.buffer.slice(base, base + n));
    case 'int8':
      return new Int8Array(view.buffer.slice(base, base + n));
    case 'int16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/**
 * Checks a parsed IDX file against what the caller expects and throws a one-line error naming `file`, e.g.
 * `train-images-idx3-ubyte: magic 0x00000000, expected 0x00000803`.
 */
export function expectIdx(parsed: IdxFile, file: string, expect: IdxExpectation): void {
  if (expect.magic !== undefined && parsed.magic !== expect.magic) {
    throw badFile(file, `magic ${hex32(parsed.magic)}, expected ${hex32(expect.magic)}`);
  }
  if (expect.type !== undefined && parsed.type !== expect.type) throw badFile(file, `IDX values are ${parsed.type}, expected ${expect.type}`);
  if (expect.rank !== undefined && parsed.dims.length !== expect.rank) {
    throw badFile(file, `IDX file has ${parsed.dims.length} dimensions, expected ${expect.rank}`);
  }
  if (expect.dims) {
    const ok = expect.dims.length === parsed.dims.length && expect.dims.every((d, i) => d === null || d === parsed.dims[i]);
    if (!ok) {
      const want = expect.dims.map((d) => (d === null ? 'N' : String(d))).join(', ');
      throw badFile(file, `IDX dims [${parsed.dims.join(', ')}], expected [${want}]`);
    }
  }
}

/** `offset + product(dims) × size` as exact decimal text (BigInt), for messages about absurd headers. */
export function exactProduct(offset: number[], dims: number[], size: number): string {
  const n = dims.reduce((a, d) => a * BigInt(d), BigInt(size));
  return String(offset.reduce((a, o) => a + BigInt(o), n));
}

/** Reads and parses an IDX file; a missing file is a `not-found` GenlabError. */
export async function readIdxFile(path: string, expect?: IdxExpectation): Promise<IdxFile> {
  return parseIdx(await readBytes(path), path, expect);
}

/**
 * Reads a whole regular file of at most `maxBytes` bytes, turning file-system errors into one-line GenlabErrors naming
 * the path. Only regular files are read: a FIFO would block forever and a device (a link to /dev/zero) never ends.
 */
export async function readBytes(path: string, maxBytes = MAX_FILE_BYTES): Promise<Uint8Array> {
  await regularFileSize(path, maxBytes);
  try {
    return await readFile(path);
  } catch (e) {
    throw fsError(path, e);
  }
}

/** Opens `path` for reading; a failure is a one-line error naming the file (fsError). */
export async function openForReading(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (e) {
    throw fsError(path, e);
  }
}

/** The first `n` bytes of a regular file (fewer when it is shorter) and its size; at most `maxBytes` in all. */
export async function readHead(path: string, n: number, maxBytes = MAX_FILE_BYTES): Promise<{ bytes: Uint8Array; size: number }> {
  const size = await regularFileSize(path, maxBytes);
  try {
    const handle = await open(path, 'r');
    try {
      const bytes = new Uint8Array(Math.min(n, size));
      let got = 0;
      while (got < bytes.length) {
        const { bytesRead } = await handle.read(bytes, got, bytes.length - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return { bytes: bytes.subarray(0, got), size };
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw fsError(path, e);
  }
}

/**
 * The size of `path` after checking that it is a regular file (links followed) of at most `maxBytes` bytes; a
 * one-line error otherwise (a folder, a FIFO, a device, a socket, too large).
 */
export async function regularFileSize(path: string, maxBytes = MAX_FILE_BYTES): Promise<number> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (e) {
    throw fsError(path, e);
  }
  if (info.isDirectory()) throw badInput(path, 'is a folder, expected a file');
  if (!info.isFile()) throw badInput(path, `is ${fileKind(info)}, not a regular file: only regular files are read as data`);
  if (info.size > maxBytes) {
    throw badInput(path, `${formatCount(info.size)} bytes, more than the ${formatCount(maxBytes)} bytes genlab reads from such a file`);
  }
  return info.size;
}

function fileKind(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'a special file';
}

/** A GenlabError for a failed file-system call on `path` ('not-found' for ENOENT/ENOTDIR). */
export function fsError(path: string, e: unknown): GenlabError {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new GenlabError('not-found', `${path}: no such file or folder`);
  if (code === 'EISDIR') return new GenlabError('bad-input', `${path}: is a folder, expected a file`);
  const detail = typeof code === 'string' ? code : (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return new GenlabError('bad-input', `${path}: cannot read (${detail})`);
}
