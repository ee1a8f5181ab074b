/**
 * Small image operations on float images (row-major HWC, values in [0, 1]) used by the loaders: alpha compositing,
 * trimming to content, area resampling and fitting into a square canvas.
 */

/** A float image: `data.length === height × width × channels`, values in [0, 1]. */
export interface FloatImage {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

/** Composites 8-bit RGBA over a uniform background (white by default); returns RGB. */
export function compositeRgba(rgba: Uint8Array, width: number, height: number, background = 1): FloatImage {
  const data = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const a = rgba[p * 4 + 3]! / 255;
    for (let c = 0; c < 3; c++) data[p * 3 + c] = (rgba[p * 4 + c]! / 255) * a + background * (1 - a);
  }
  return { width, height, channels: 3, data };
}

/** Bounding box of pixels whose alpha exceeds `alphaThreshold` (0–255); null when the image is empty. */
export function alphaBoundingBox(
  rgba: Uint8Array,
  width: number,
  height: number,
  alphaThreshold = 0,
): { x: number; y: number; width: number; height: number } | null {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (rgba[(y * width + x) * 4 + 3]! > alphaThreshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Cuts out a rectangle of an image. */
export function crop(img: FloatImage, x: number, y: number, width: number, height: number): FloatImage {
  const { channels: c } = img;
  const data = new Float32Array(width * height * c);
  for (let r = 0; r < height; r++) {
    const from = ((y + r) * img.width + x) * c;
    data.set(img.data.subarray(from, from + width * c), r * width * c);
  }
  return { width, height, channels: c, data };
}

/**
 * Resamples to `outWidth × outHeight` by exact area averaging: each output pixel is the mean of the source area it
 * covers (fractional coverage weighted). Anti-aliased when shrinking, piecewise constant when enlarging.
 */
export function resizeArea(img: FloatImage, outWidth: number, outHeight: number): FloatImage {
  const { width, height, channels: c } = img;
  const xWeights = coverage(width, outWidth);
  const yWeights = coverage(height, outHeight);
  // Separable: rows first, then columns.
  const tmp = new Float32Array(height * outWidth * c);
  for (let y = 0; y < height; y++) {
    for (let ox = 0; ox < outWidth; ox++) {
      for (const [sx, w] of xWeights[ox]!) {
        for (let k = 0; k < c; k++) tmp[(y * outWidth + ox) * c + k]! += w * img.data[(y * width + sx) * c + k]!;
      }
    }
  }
  const data = new Float32Array(outHeight * outWidth * c);
  for (let oy = 0; oy < outHeight; oy++) {
    for (const [sy, w] of yWeights[oy]!) {
      for (let i = 0; i < outWidth * c; i++) data[oy * outWidth * c + i]! += w * tmp[sy * outWidth * c + i]!;
    }
  }
  return { width: outWidth, height: outHeight, channels: c, data };
}

/** For each output index, the source indices it covers and their normalised weights. */
function coverage(size: number, outSize: number): [number, number][][] {
  const scale = size / outSize;
  const result: [number, number][][] = [];
  for (let o = 0; o < outSize; o++) {
    const start = o * scale;
    const end = start + scale;
    const weights: [number, number][] = [];
    for (let s = Math.floor(start); s < Math.min(size, Math.ceil(end)); s++) {
      const w = Math.min(end, s + 1) - Math.max(start, s);
      if (w > 1e-9) weights.push([s, w / scale]);
    }
    result.push(weights);
  }
  return result;
}

/**
 * Scales an image so its longer side is `size` (keeping the aspect ratio) and centres it on a square canvas filled
 * with `background`.
 */
export function fitToSquare(img: FloatImage, size: number, background = 1): FloatImage {
  const scale = size / Math.max(img.width, img.height);
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const scaled = resizeArea(img, w, h);
  const c = img.channels;
  const data = new Float32Array(size * size * c).fill(background);
  const x0 = Math.floor((size - w) / 2);
  const y0 = Math.floor((size - h) / 2);
  for (let y = 0; y < h; y++) data.set(scaled.data.subarray(y * w * c, (y + 1) * w * c), ((y0 + y) * size + x0) * c);
  return { width: size, height: size, channels: c, data };
}

/** Converts RGB to one grey channel (ITU-R BT.601 luma), or returns the image unchanged when already grey. */
export function toGray(img: FloatImage): FloatImage {
  if (img.channels === 1) return img;
  const n = img.width * img.height;
  const data = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const o = p * img.channels;
    data[p] = 0.299 * img.data[o]! + 0.587 * img.data[o + 1]! + 0.114 * img.data[o + 2]!;
  }
  return { width: img.width, height: img.height, channels: 1, data };
}

/**
 * RGBA pixels (row-major, 0–255) as one example of shape [h, w, c], prepared as the Pokémon loader prepares sprites:
 * transparent images are trimmed to their content and fitted on white with a thin margin; opaque ones are fitted into
 * the square (or resized). `genlab score` (image files) and the lab's Pokémon page (uploads, drawings) both use it.
 */
export function rgbaToExample(rgba: Uint8Array, width: number, height: number, shape: readonly number[]): Float32Array {
  const [h, w, c] = shape as [number, number, number];
  let transparent = false;
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i]! < 255) { transparent = true; break; }
  let img: FloatImage = compositeRgba(rgba, width, height, 1);
  const box = transparent ? alphaBoundingBox(rgba, width, height) : null;
  if (box) img = crop(img, box.x, box.y, box.width, box.height);
  if (h === w) {
    const margin = box ? Math.max(1, Math.round(h / 20)) : 0;
    const inner = Math.max(1, h - 2 * margin);
    const fitted = fitToSquare(img, inner, 1);
    const data = new Float32Array(h * w * 3).fill(1);
    for (let y = 0; y < inner; y++) data.set(fitted.data.subarray(y * inner * 3, (y + 1) * inner * 3), ((margin + y) * w + margin) * 3);
    img = { width: w, height: h, channels: 3, data };
  } else {
    img = resizeArea(img, w, h);
  }
  return c === 1 ? toGray(img).data : img.data;
}
