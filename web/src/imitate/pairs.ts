/**
 * A grid of image pairs: each shown image above its nearest training digit, with the L2 distance between them.
 * Every pair exposes what it shows as data attributes — the image's exact pixels (float32, base64), the training
 * index and the distance — so a test can recompute the distance from the training set itself.
 */
import { h } from '../lib/dom.js';
import { drawImageGrid } from '../lib/image-grid.js';
import type { NearestResult } from './nearest.js';
import { rowsAsFloats, type TrainingDigits } from './training-digits.js';

/** Float32 values as base64 (little-endian bytes), exact. */
export function encodeFloats(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

interface Cell {
  figure: HTMLElement;
  image: HTMLCanvasElement;
  nearest: HTMLCanvasElement;
  caption: HTMLElement;
}

export class PairGrid {
  private readonly cells: Cell[] = [];

  constructor(
    container: HTMLElement,
    readonly count: number,
    private readonly shape: number[],
  ) {
    for (let i = 0; i < count; i++) {
      const image = h('canvas', { class: 'image', width: shape[1] ?? 28, height: shape[0] ?? 28 });
      const nearest = h('canvas', { class: 'nearest', width: shape[1] ?? 28, height: shape[0] ?? 28 });
      const caption = h('figcaption', {}, '…');
      const figure = h('figure', { class: 'pair' }, image, nearest, caption);
      this.cells.push({ figure, image, nearest, caption });
    }
    container.replaceChildren(...this.cells.map((c) => c.figure));
  }

  /** Draws the first `count` images of `images` (row-major); their nearest digits are unknown until `showNearest`. */
  showImages(images: Float32Array): void {
    const size = this.shape.reduce((a, b) => a * b, 1);
    this.cells.forEach((cell, i) => {
      const pixels = images.slice(i * size, (i + 1) * size);
      drawImageGrid(cell.image, pixels, 1, this.shape, 1);
      cell.figure.dataset['pixels'] = encodeFloats(pixels);
      delete cell.figure.dataset['trainIndex'];
      delete cell.figure.dataset['distance'];
      cell.nearest.getContext('2d')?.clearRect(0, 0, cell.nearest.width, cell.nearest.height);
      cell.nearest.classList.add('pending');
      cell.caption.textContent = '…';
      cell.caption.title = '';
    });
  }

  /** Draws each image's nearest training digit (the first `count` of `found`) and the distance. */
  showNearest(found: NearestResult, digits: TrainingDigits): void {
    this.cells.forEach((cell, i) => {
      const index = found.index[i]!;
      const distance = found.distance[i]!;
      if (index >= 0) drawImageGrid(cell.nearest, rowsAsFloats(digits, index, index + 1), 1, this.shape, 1);
      cell.nearest.classList.remove('pending');
      cell.figure.dataset['trainIndex'] = String(index);
      cell.figure.dataset['distance'] = String(distance);
      cell.caption.textContent = Number.isFinite(distance) ? distance.toFixed(2) : '—';
      cell.caption.title = `L2 distance to training digit #${index}`;
    });
  }
}
