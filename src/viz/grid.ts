/**
 * Image grids and interpolation strips as PNG. Grids are drawn pixel by pixel into a canvas; captions are SVG text
 * rasterised by resvg and laid over it, so no font code lives here.
 */
import { badInput } from '../engine/errors.js';
import { createCanvas, drawImage, encodePng, writePngFile, type Canvas } from './png.js';
import { svgToPixels } from './render.js';

/** A batch of images: `data` holds `count` images of `shape` = [height, width, channels], row-major. */
export interface ImageBatch {
  data: ArrayLike<number>;
  count: number;
  shape: readonly [number, number, number];
}

export interface GridOptions {
  /** Images per row; default ⌈√count⌉ (8 for 64 images). */
  columns?: number;
  /** Pixel enlargement; default makes each cell at least 56 px tall. */
  scale?: number;
  /** Gap between cells, in output pixels. Default 2. */
  padding?: number;
  /** One caption per image, drawn under it. */
  labels?: readonly string[];
  /** One caption per row, drawn at its left (e.g. "AE", "VAE" for interpolation strips; "input", "reconstruction"). */
  rowLabels?: readonly string[];
  /** A line above the grid saying what it shows: run, model, epoch or seed. */
  title?: string;
  /** Cells (indices) framed in colour, e.g. the real images at the ends of an interpolation strip. */
  highlight?: readonly number[];
  /** Grey level of the gaps, 0–255. Default 128. */
  background?: number;
}

function checkBatch(batch: ImageBatch): void {
  const [h, w, c] = batch.shape;
  if (batch.count < 1) throw badInput('image grid', 'no images to draw');
  if (batch.data.length !== batch.count * h * w * c) {
    throw badInput('image grid', `${batch.data.length} values for ${batch.count} images of shape [${h}, ${w}, ${c}]`);
  }
}

/** Default enlargement (nearest neighbour) to at least 80 px a cell: MNIST's 28 px ×3, Pokémon's 40 px ×2. */
export function defaultScale(height: number): number {
  return Math.max(1, Math.ceil(80 / height));
}

/** Colour of the frame around highlighted cells (orange: readable on grey gaps, white and black images). */
const HIGHLIGHT: readonly [number, number, number] = [230, 120, 0];

/** Paints the `pad`-wide gap around a cell in `rgb`. */
function frameCell(canvas: Canvas, x: number, y: number, w: number, h: number, pad: number, rgb: readonly [number, number, number]): void {
  for (let r = Math.max(0, y - pad); r < Math.min(canvas.height, y + h + pad); r++) {
    for (let q = Math.max(0, x - pad); q < Math.min(canvas.width, x + w + pad); q++) {
      if (r >= y && r < y + h && q >= x && q < x + w) continue;
      const o = (r * canvas.width + q) * 4;
      [canvas.rgba[o], canvas.rgba[o + 1], canvas.rgba[o + 2]] = rgb;
    }
  }
}

/** Renders a batch as a PNG grid (bytes). */
export function imageGridPng(batch: ImageBatch, options: GridOptions = {}): Buffer {
  checkBatch(batch);
  const [h, w, c] = batch.shape;
  const columns = options.columns ?? Math.ceil(Math.sqrt(batch.count));
  const rows = Math.ceil(batch.count / columns);
  const scale = options.scale ?? defaultScale(h);
  const pad = options.padding ?? (options.highlight?.length ? 3 : 2);
  const cellW = w * scale;
  const cellH = h * scale;
  const canvas = createCanvas(columns * (cellW + pad) + pad, rows * (cellH + pad) + pad, options.background ?? 128);
  const size = h * w * c;
  for (let i = 0; i < batch.count; i++) {
    const x = pad + (i % columns) * (cellW + pad);
    const y = pad + Math.floor(i / columns) * (cellH + pad);
    drawImage(canvas, batch.data, i * size, [h, w, c], x, y, scale);
    if (options.highlight?.includes(i)) frameCell(canvas, x, y, cellW, cellH, pad, HIGHLIGHT);
  }
  if (!options.labels && !options.rowLabels && !options.title) return encodePng(canvas);
  return captionGrid(canvas, { columns, rows, cellW, cellH, pad }, options);
}

const escapeXml = (s: string): string =>
  s.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);

/**
 * Adds a title above, captions under cells and labels left of rows. The bitmap's rows of cells are copied into a
 * larger canvas with room for the text; only the text goes through SVG and resvg (rasterised on a transparent
 * layer and laid over the canvas), so the cells are never re-encoded, decoded or resampled.
 */
function captionGrid(
  grid: Canvas,
  layout: { columns: number; rows: number; cellW: number; cellH: number; pad: number },
  options: GridOptions,
): Buffer {
  const { columns, rows, cellW, cellH, pad } = layout;
  const font = 11;
  const captionH = options.labels ? font + 4 : 0;
  const top = options.title ? font + 12 : 0;
  const left = options.rowLabels ? 8 + 7 * Math.max(...options.rowLabels.map((l) => l.length)) : 0;
  // A title longer than the grid widens the picture rather than being cut off.
  const titleW = options.title ? 8 + 7 * options.title.length : 0;
  const out = createCanvas(Math.max(left + grid.width, titleW), top + grid.height + rows * captionH + pad, 255);
  const texts: string[] = [];
  if (options.title) texts.push(`<text x="4" y="${font + 5}" font-size="${font + 1}" font-weight="bold">${escapeXml(options.title)}</text>`);
  for (let r = 0; r < rows; r++) {
    // Each row of cells with the gaps around it, moved down by the captions of the rows above.
    const srcY = r * (cellH + pad);
    const dstY = top + srcY + r * captionH;
    copyRows(grid, srcY, Math.min(cellH + 2 * pad, grid.height - srcY), out, left, dstY);
    if (options.rowLabels?.[r] !== undefined) {
      texts.push(`<text x="4" y="${dstY + pad + cellH / 2 + font / 3}" font-size="${font + 1}">${escapeXml(options.rowLabels[r]!)}</text>`);
    }
    for (let col = 0; options.labels && col < columns; col++) {
      const label = options.labels[r * columns + col];
      if (label === undefined) continue;
      const cx = left + pad + col * (cellW + pad) + cellW / 2;
      texts.push(`<text x="${cx}" y="${dstY + cellH + 2 * pad + font}" font-size="${font}" text-anchor="middle">${escapeXml(label)}</text>`);
    }
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${out.width}" height="${out.height}" font-family="DejaVu Sans, sans-serif">` +
    `${texts.join('')}</svg>`;
  overlay(out, svgToPixels(svg, out.width, out.height));
  return encodePng(out);
}

/** Copies `count` rows of `src` from row `srcY` into `dst` at (x, y). */
function copyRows(src: Canvas, srcY: number, count: number, dst: Canvas, x: number, y: number): void {
  for (let r = 0; r < count; r++) {
    const from = (srcY + r) * src.width * 4;
    dst.rgba.set(src.rgba.subarray(from, from + src.width * 4), ((y + r) * dst.width + x) * 4);
  }
}

/** Lays premultiplied RGBA `layer` (the canvas's size) over the opaque canvas: c = layer + c·(1 − α). */
function overlay(canvas: Canvas, layer: Uint8Array): void {
  const c = canvas.rgba;
  for (let p = 0; p < c.length; p += 4) {
    const alpha = layer[p + 3]!;
    if (alpha === 0) continue;
    const keep = 1 - alpha / 255;
    for (let k = 0; k < 3; k++) c[p + k] = Math.round(layer[p + k]! + c[p + k]! * keep);
  }
}

/** Writes a batch as a PNG grid to `file`. */
export async function writeImageGrid(file: string, batch: ImageBatch, options: GridOptions = {}): Promise<void> {
  await writePngFile(file, imageGridPng(batch, options));
}

/** One row of `writeImageStrips`. */
export interface ImageStrip {
  label: string;
  images: ImageBatch;
  /** A caption per image (e.g. `test 3` under a real end); '' for none. */
  captions?: readonly string[];
  /** Images of the strip that are real data (framed in colour): an interpolation's two ends. */
  real?: readonly number[];
}

/**
 * Writes interpolation strips: each row is one sequence of images (e.g. decoded along a line in latent space),
 * labelled at its left ("AE", "VAE"), real images framed. All rows must have the same length.
 */
export async function writeImageStrips(file: string, strips: readonly ImageStrip[], options: Omit<GridOptions, 'columns' | 'rowLabels' | 'labels' | 'highlight'> = {}): Promise<void> {
  const first = strips[0];
  if (!first) throw badInput('image strips', 'no strips to draw');
  const steps = first.images.count;
  const size = first.images.shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(strips.length * steps * size);
  strips.forEach((strip, r) => {
    if (strip.images.count !== steps || strip.images.shape.join() !== first.images.shape.join()) {
      throw badInput('image strips', `strip '${strip.label}' has ${strip.images.count} images of [${strip.images.shape}], expected ${steps} of [${first.images.shape}]`);
    }
    data.set(Array.from(strip.images.data), r * steps * size);
  });
  const captioned = strips.some((s) => s.captions?.some((c) => c !== ''));
  const highlight = strips.flatMap((s, r) => (s.real ?? []).map((i) => r * steps + i));
  await writeImageGrid(file, { data, count: strips.length * steps, shape: first.images.shape }, {
    ...options,
    columns: steps,
    rowLabels: strips.map((s) => s.label),
    ...(captioned ? { labels: strips.flatMap((s) => Array.from({ length: steps }, (_, i) => s.captions?.[i] ?? '')) } : {}),
    ...(highlight.length > 0 ? { highlight } : {}),
  });
}

/**
 * The cells of a reconstruction grid: rows of up to `columns` originals, each row over the row of their
 * reconstructions; blank (grey) cells fill the last pair of rows. Returns the batch to draw with `columns` columns.
 */
export function reconstructionGrid(
  originals: Float32Array,
  reconstructions: Float32Array,
  n: number,
  shape: readonly [number, number, number],
  columns = 8,
): ImageBatch & { columns: number; rowLabels: string[] } {
  const size = shape[0] * shape[1] * shape[2];
  const cols = Math.min(n, columns);
  const pairs = Math.ceil(n / cols);
  const cells = new Float32Array(pairs * 2 * cols * size).fill(0.5);
  for (let i = 0; i < n; i++) {
    const row = Math.floor(i / cols), col = i % cols;
    cells.set(originals.subarray(i * size, (i + 1) * size), (row * 2 * cols + col) * size);
    cells.set(reconstructions.subarray(i * size, (i + 1) * size), ((row * 2 + 1) * cols + col) * size);
  }
  return { data: cells, count: pairs * 2 * cols, shape, columns: cols, rowLabels: Array.from({ length: 2 * pairs }, (_, r) => (r % 2 === 0 ? 'input' : 'reconstruction')) };
}
