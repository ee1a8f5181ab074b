/**
 * Decoding PNG and JPEG files into 8-bit RGBA, with one-line errors naming the file. Every stream is checked first
 * (image-check.ts: the declared size against the file's length, then its structure), so a broken file is refused
 * rather than decoded to black or noise.
 */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { badFile } from '../engine/errors.js';
import { checkJpeg, checkPng, isJpeg, isPng } from './image-check.js';

export { isJpeg, isPng };

export interface RgbaImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, RGBA. */
  data: Uint8Array;
}

/** Largest image we agree to decode: a corrupt header must not make us allocate gigabytes. */
export const MAX_PIXELS = 64 * 1024 * 1024;

/** Decodes a PNG or JPEG (recognised by its signature, not its name). `file` names it in errors. */
export function decodeImage(bytes: Uint8Array, file: string): RgbaImage {
  checkDeclaredSize(bytes, file);
  if (isPng(bytes)) {
    checkPng(bytes, file);
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (e) {
      throw badFile(file, `unreadable PNG (${firstLine(e)})`);
    }
  }
  if (isJpeg(bytes)) {
    checkJpeg(bytes, file);
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, data: img.data };
    } catch (e) {
      throw badFile(file, `unreadable JPEG (${firstLine(e)})`);
    }
  }
  throw badFile(file, 'not a PNG or JPEG image (unrecognised signature)');
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

/**
 * Rejects a PNG or JPEG whose header declares more pixels than its bytes can possibly encode (or more than
 * MAX_PIXELS), before the decoder allocates the full image: a corrupt or forged header must not cost gigabytes and
 * seconds. Bounds: deflate expands at most ~1032:1, so a PNG's raw scanlines cannot exceed 1100 × its IDAT bytes; a
 * Huffman-coded JPEG spends at least one bit per 8×8 block of its full-resolution component, so it holds at most
 * 512 pixels per byte (1024 allowed). Files whose header cannot be found are left to the decoder.
 */
export function checkDeclaredSize(bytes: Uint8Array, file: string): void {
  const dims = isPng(bytes) ? pngDims(bytes) : isJpeg(bytes) ? jpegDims(bytes) : null;
  if (!dims) return;
  const { width, height, fits } = dims;
  if (width * height > MAX_PIXELS) throw badFile(file, `image of ${width}×${height} pixels is too large (at most ${MAX_PIXELS} pixels)`);
  if (!fits) {
    throw badFile(file, `corrupt image: header declares ${width}×${height} pixels, more than its ${bytes.length} bytes can hold`);
  }
}

function pngDims(b: Uint8Array): { width: number; height: number; fits: boolean } | null {
  if (b.length < 33) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!) !== 'IHDR') return null;
  const width = v.getUint32(16);
  const height = v.getUint32(20);
  const bitDepth = b[24]!;
  const samples = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[b[25]!] ?? 1;
  let idat = 0;
  for (let off = 8; off + 8 <= b.length; ) {
    const len = v.getUint32(off);
    const type = String.fromCharCode(b[off + 4]!, b[off + 5]!, b[off + 6]!, b[off + 7]!);
    if (type === 'IDAT') idat += Math.min(len, b.length - off - 8);
    if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = height * (1 + Math.ceil((width * bitDepth * samples) / 8));
  return { width, height, fits: raw <= 1100 * idat + 4096 };
}

function jpegDims(b: Uint8Array): { width: number; height: number; fits: boolean } | null {
  let off = 2;
  while (off + 4 <= b.length) {
    if (b[off] !== 0xff) return null;
    const marker = b[off + 1]!;
    if (marker === 0xff) {
      off++;
      continue;
    }
    const len = (b[off + 2]! << 8) | b[off + 3]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (off + 9 > b.length) return null;
      const height = (b[off + 5]! << 8) | b[off + 6]!;
      const width = (b[off + 7]! << 8) | b[off + 8]!;
      return { width, height, fits: width * height <= 1024 * b.length + 65536 };
    }
    if (marker === 0xda || marker === 0xd9) return null;
    off += 2 + len;
  }
  return null;
}
