/** Decoding PNG and JPEG files into 8-bit RGBA, with one-line errors naming the file. */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { badFile } from '../engine/errors.js';

export interface RgbaImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, RGBA. */
  data: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Largest image we agree to decode: a corrupt header must not make us allocate gigabytes. */
const MAX_PIXELS = 64 * 1024 * 1024;

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Decodes a PNG or JPEG (recognised by its signature, not its name). `file` names it in errors. */
export function decodeImage(bytes: Uint8Array, file: string): RgbaImage {
  if (isPng(bytes)) {
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (e) {
      throw badFile(file, `unreadable PNG (${firstLine(e)})`);
    }
  }
  if (isJpeg(bytes)) {
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
