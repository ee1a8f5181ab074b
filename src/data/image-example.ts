/** An image file as one example of a model's shape, prepared as the Pokémon loader prepares sprites. */
import { decodeImage } from './image-decode.js';
import { alphaBoundingBox, compositeRgba, crop, fitToSquare, resizeArea, toGray, type FloatImage } from './image-ops.js';

/**
 * The image in `bytes` (PNG or JPEG; `file` names it in errors) as one example of shape [h, w, c]: transparent
 * sprites are trimmed to their content and fitted on white with a thin margin, as the Pokémon loader does; opaque
 * images are fitted into the square (or resized).
 */
export function imageFileToExample(bytes: Uint8Array, file: string, shape: readonly number[]): Float32Array {
  const [h, w, c] = shape as [number, number, number];
  const rgba = decodeImage(bytes, file);
  let transparent = false;
  for (let i = 3; i < rgba.data.length; i += 4) if (rgba.data[i]! < 255) { transparent = true; break; }
  let img: FloatImage = compositeRgba(rgba.data, rgba.width, rgba.height, 1);
  const box = transparent ? alphaBoundingBox(rgba.data, rgba.width, rgba.height) : null;
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
