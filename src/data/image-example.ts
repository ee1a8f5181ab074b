/** An image file as one example of a model's shape, prepared as the Pokémon loader prepares sprites. */
import { decodeImage } from './image-decode.js';
import { rgbaToExample } from './image-ops.js';

/** The image in `bytes` (PNG or JPEG; `file` names it in errors) as one example of shape [h, w, c] (see rgbaToExample). */
export function imageFileToExample(bytes: Uint8Array, file: string, shape: readonly number[]): Float32Array {
  const rgba = decodeImage(bytes, file);
  return rgbaToExample(rgba.data, rgba.width, rgba.height, shape);
}
