/**
 * What the 2-D GAN page draws on a Plane: D's output as a heat map behind everything, points, the image of a grid
 * of codes under G (a warped mesh), and arrows on generated points.
 */
import type { DiscriminatorOutput } from '../../../src/browser.js';
import type { Plane } from './plane.js';

/** Cell centres (data coordinates, rows of 2) of a cols × rows grid over the whole visible plane, top row first. */
export function visibleGrid(plane: Plane, cols: number): { points: Float32Array; cols: number; rows: number } {
  const rows = Math.max(2, Math.round((cols * plane.height) / Math.max(plane.width, 1)));
  const [x0, y1] = plane.toData(0, 0);
  const [x1, y0] = plane.toData(plane.width, plane.height);
  const points = new Float32Array(cols * rows * 2);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      points[2 * i] = x0 + ((c + 0.5) * (x1 - x0)) / cols;
      points[2 * i + 1] = y1 - ((r + 0.5) * (y1 - y0)) / rows;
    }
  }
  return { points, cols, rows };
}

const REAL_RGB = [47, 111, 223] as const; // D says real: the lecture's blue
const FAKE_RGB = [242, 142, 43] as const; // D says generated: orange

/**
 * Paints D's values on a cols × rows grid (from `visibleGrid`) over the plane, smoothly interpolated: white at ½,
 * blue towards "real", orange towards "generated". Scores (LSGAN) are clipped to [0, 1]; critic values are spread
 * over their own range, since a critic has no fixed scale.
 */
export function paintHeatMap(plane: Plane, values: Float32Array, cols: number, rows: number, output: DiscriminatorOutput): void {
  let lo = 0, hi = 1;
  if (output === 'critic') {
    lo = Infinity; hi = -Infinity;
    for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (!(hi - lo > 1e-6)) { lo -= 0.5; hi += 0.5; }
  }
  const image = new ImageData(cols, rows);
  for (let i = 0; i < cols * rows; i++) {
    const p = Math.min(1, Math.max(0, (values[i]! - lo) / (hi - lo)));
    const t = 2 * p - 1; // −1 generated … 1 real
    const c = t >= 0 ? REAL_RGB : FAKE_RGB;
    const a = 0.5 * Math.abs(t);
    image.data[4 * i] = Math.round(255 + a * (c[0] - 255));
    image.data[4 * i + 1] = Math.round(255 + a * (c[1] - 255));
    image.data[4 * i + 2] = Math.round(255 + a * (c[2] - 255));
    image.data[4 * i + 3] = 255;
  }
  const small = document.createElement('canvas');
  small.width = cols;
  small.height = rows;
  small.getContext('2d')!.putImageData(image, 0, 0);
  const { ctx } = plane;
  ctx.save();
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(small, 0, 0, plane.width, plane.height);
  ctx.restore();
}

/** Filled dots at points (rows of 2), one path. */
export function drawDots(plane: Plane, xy: ArrayLike<number>, color: string, radius: number, outline?: string): void {
  const { ctx } = plane;
  ctx.beginPath();
  for (let i = 0; i + 1 < xy.length; i += 2) {
    const x = plane.px(xy[i]!), y = plane.py(xy[i + 1]!);
    ctx.moveTo(x + radius, y);
    ctx.arc(x, y, radius, 0, 2 * Math.PI);
  }
  ctx.fillStyle = color;
  ctx.fill();
  if (outline) {
    ctx.strokeStyle = outline;
    ctx.lineWidth = 0.8;
    ctx.stroke();
  }
}

/** Polylines through `lines` (each rows of 2 points): G's image of the lines of a code grid. */
export function drawMesh(plane: Plane, lines: readonly Float32Array[], color: string): void {
  const { ctx } = plane;
  ctx.beginPath();
  for (const line of lines) {
    for (let i = 0; i + 1 < line.length; i += 2) {
      const x = plane.px(line[i]!), y = plane.py(line[i + 1]!);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
  }
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  ctx.stroke();
}

/**
 * Arrows from points `at` along `push` (both rows of 2, data units), the longest `maxPx` pixels long: where G's
 * loss pushes each generated point, relative to each other.
 */
export function drawArrows(plane: Plane, at: Float32Array, push: Float32Array, color: string, maxPx = 26): void {
  let longest = 0;
  for (let i = 0; i < push.length; i += 2) longest = Math.max(longest, Math.hypot(push[i]!, push[i + 1]!));
  if (!(longest > 0) || !Number.isFinite(longest)) return;
  const scale = maxPx / longest; // pixels per unit of push (screen y points down)
  const { ctx } = plane;
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 1.2;
  ctx.beginPath();
  const heads: [number, number, number][] = [];
  for (let i = 0; i + 1 < at.length; i += 2) {
    const dx = push[i]! * scale, dy = -push[i + 1]! * scale;
    const len = Math.hypot(dx, dy);
    if (len < 2) continue;
    const x = plane.px(at[i]!), y = plane.py(at[i + 1]!);
    ctx.moveTo(x, y);
    ctx.lineTo(x + dx, y + dy);
    heads.push([x + dx, y + dy, Math.atan2(dy, dx)]);
  }
  ctx.stroke();
  ctx.beginPath();
  for (const [x, y, a] of heads) {
    ctx.moveTo(x, y);
    ctx.lineTo(x - 5 * Math.cos(a - 0.45), y - 5 * Math.sin(a - 0.45));
    ctx.lineTo(x - 5 * Math.cos(a + 0.45), y - 5 * Math.sin(a + 0.45));
    ctx.closePath();
  }
  ctx.fill();
}

/** A short fingerprint of float values (FNV-1a over their bits): lets a reader see which part of the state changed. */
export function fingerprint(values: Float32Array): string {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let h = 0x811c9dc5;
  for (const b of bits) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
