/** Images held as floats drawn on canvases: a grid of n images [n, h, w, c] with values in [0, 1]. */

/**
 * Draws `count` images of shape [h, w, c] (c = 1 grey, 3 RGB) from `data` into `canvas` as a grid of `columns`,
 * one canvas pixel per image pixel with a 1-pixel gap; CSS scales it up (image-rendering: pixelated).
 */
export function drawImageGrid(canvas: HTMLCanvasElement, data: ArrayLike<number>, count: number, shape: readonly number[], columns: number): void {
  const [h, w, c] = [shape[0] ?? 1, shape[1] ?? 1, shape[2] ?? 1];
  const rows = Math.max(1, Math.ceil(count / columns));
  canvas.width = columns * (w + 1) - 1;
  canvas.height = rows * (h + 1) - 1;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(canvas.width, canvas.height);
  img.data.fill(255);
  const size = h * w * c;
  for (let k = 0; k < count; k++) {
    const ox = (k % columns) * (w + 1), oy = Math.floor(k / columns) * (h + 1);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const at = 4 * ((oy + y) * canvas.width + ox + x);
        for (let ch = 0; ch < 3; ch++) {
          const v = data[k * size + (y * w + x) * c + (c === 1 ? 0 : ch)]!;
          img.data[at + ch] = Math.round(255 * Math.min(1, Math.max(0, v)));
        }
      }
    }
  }
  ctx.putImageData(img, 0, 0);
}
