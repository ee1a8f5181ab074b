/**
 * A 28 × 28 digit drawn large on a canvas (white ink on black, as MNIST is usually shown), with the pixels that differ
 * from the original outlined, and the pixel under a click.
 */
import { SIDE } from './stroke.js';

/** Canvas pixels per image pixel. */
const CELL = 12;
const ADDED = '#f28e2b';
const REMOVED = '#4e79a7';

/** Draws `image`; with `original`, outlines the pixels that differ from it (orange: more ink, blue: less). */
export function drawDigit(canvas: HTMLCanvasElement, image: Float32Array, original: Float32Array | null): void {
  canvas.width = SIDE * CELL;
  canvas.height = SIDE * CELL;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  for (let i = 0; i < SIDE * SIDE; i++) {
    const g = Math.round(255 * Math.min(1, Math.max(0, image[i]!)));
    ctx.fillStyle = `rgb(${g}, ${g}, ${g})`;
    ctx.fillRect((i % SIDE) * CELL, Math.floor(i / SIDE) * CELL, CELL, CELL);
  }
  if (!original) return;
  ctx.lineWidth = 3;
  for (let i = 0; i < SIDE * SIDE; i++) {
    if (image[i] === original[i]) continue;
    ctx.strokeStyle = image[i]! > original[i]! ? ADDED : REMOVED;
    ctx.strokeRect((i % SIDE) * CELL + 1.5, Math.floor(i / SIDE) * CELL + 1.5, CELL - 3, CELL - 3);
  }
}

/** Index of the image pixel under a mouse event on the canvas, or null outside it. */
export function pixelAt(canvas: HTMLCanvasElement, e: MouseEvent): number | null {
  const box = canvas.getBoundingClientRect();
  const x = Math.floor(((e.clientX - box.left) / box.width) * SIDE);
  const y = Math.floor(((e.clientY - box.top) / box.height) * SIDE);
  return x >= 0 && x < SIDE && y >= 0 && y < SIDE ? y * SIDE + x : null;
}
