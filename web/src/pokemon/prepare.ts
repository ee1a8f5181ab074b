/**
 * An image the user gives the page, as the Pokémon VAE sees it: decoded in the browser (createImageBitmap, then a
 * canvas's getImageData), then prepared exactly as `genlab score` prepares an image file (src/data/image-example.ts,
 * `imageFileToExample`, which prepares sprites as the Pokémon loader does): a transparent image is trimmed to its
 * opaque content, composited over white and fitted with a thin white margin; an opaque one is fitted into the
 * square. The browser test checks that the page's log p(x) of a sprite matches the CLI's.
 */
import { rgbaToExample } from '../../../src/browser.js';

export interface RgbaPixels {
  rgba: Uint8Array;
  width: number;
  height: number;
}

/** Larger images are scaled down to this side first, so a photo does not hold the tab for seconds. */
const MAX_SIDE = 2048;

/** The pixels of a PNG/JPEG (or any image the browser decodes), straight alpha, no colour conversion. */
export async function decodeImageFile(file: Blob): Promise<RgbaPixels> {
  const probe = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(probe.width, probe.height));
  const width = Math.max(1, Math.round(probe.width * scale));
  const height = Math.max(1, Math.round(probe.height * scale));
  probe.close();
  const bitmap = await createImageBitmap(file, {
    premultiplyAlpha: 'none',
    colorSpaceConversion: 'none',
    ...(scale < 1 ? { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' as const } : {}),
  });
  try {
    return canvasPixels(bitmap, width, height);
  } finally {
    bitmap.close();
  }
}

/** What `source` shows, read back as RGBA bytes (a drawing canvas, a decoded bitmap). */
export function canvasPixels(source: CanvasImageSource, width: number, height: number): RgbaPixels {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2-D canvas context to read the image');
  ctx.drawImage(source, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  return { rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/** True when no pixel is visible (an empty drawing). */
export function isBlank(p: RgbaPixels): boolean {
  for (let i = 3; i < p.rgba.length; i += 4) if (p.rgba[i]! > 0) return false;
  return true;
}

/** The pixels as one example of `shape` [h, w, c], prepared as `genlab score` prepares an image file. */
export function pixelsToExample(p: RgbaPixels, shape: readonly number[]): Float32Array {
  return rgbaToExample(p.rgba, p.width, p.height, shape);
}
