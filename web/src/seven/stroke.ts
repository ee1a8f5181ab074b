/**
 * The two one-pixel edits of a 28 × 28 digit, found from the image alone (no model):
 *
 * - the stroke's extension: the stroke (pixels ≥ ½) is thinned to a one-pixel skeleton (Zhang & Suen 1984); its
 *   ends are the skeleton pixels with one neighbour, and the stroke's direction at an end is the line from the
 *   skeleton pixel a few steps back. Walking from the end along that direction, the first pixel off the stroke is
 *   the one that continues it; it is set to 1.
 * - a stray pixel: of the dark pixels (value 0) inside the 20 × 20 box MNIST centres its digits in, the one farthest
 *   from the stroke (ties: nearest the digit's centre), raised by the same amount, so both copies are the same
 *   squared distance from the original.
 *
 * Pure functions on Float32Array images (row-major, values in [0, 1]): no DOM, no TF.js.
 */

export const SIDE = 28;
const SIZE = SIDE * SIDE;
/** A pixel at or above this value is part of the stroke. */
export const ON = 0.5;
/** Skeleton steps back from an end that set the stroke's direction there. */
const DIRECTION_STEPS = 4;
/** MNIST digits are centred in a 20 × 20 box: rows and columns 4…23. */
const BOX = { from: 4, to: 23 };

const NEIGHBOURS = [
  [-1, 0],
  [-1, 1],
  [0, 1],
  [1, 1],
  [1, 0],
  [1, -1],
  [0, -1],
  [-1, -1],
] as const; // clockwise from north: the P2…P9 of Zhang & Suen

const inside = (y: number, x: number): boolean => y >= 0 && y < SIDE && x >= 0 && x < SIDE;

/** The stroke: 1 where the pixel is ≥ ON. */
export function strokeMask(image: Float32Array): Uint8Array {
  return Uint8Array.from(image, (v) => (v >= ON ? 1 : 0));
}

/** Zhang–Suen thinning: the mask pared down to a one-pixel-wide skeleton that keeps its ends and connections. */
export function skeleton(mask: Uint8Array): Uint8Array {
  const s = Uint8Array.from(mask);
  const at = (y: number, x: number): number => (inside(y, x) ? s[y * SIDE + x]! : 0);
  for (let changed = true; changed; ) {
    changed = false;
    for (const pass of [0, 1]) {
      const remove: number[] = [];
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) {
          if (!s[y * SIDE + x]) continue;
          const p = NEIGHBOURS.map(([dy, dx]) => at(y + dy, x + dx)); // P2…P9
          const b = p.reduce((a, v) => a + v, 0);
          let a = 0; // 0 → 1 transitions around the ring
          for (let i = 0; i < 8; i++) if (!p[i] && p[(i + 1) % 8]) a++;
          const [p2, , p4, , p6, , p8] = p;
          const ok = pass === 0 ? !(p2! && p4! && p6!) && !(p4! && p6! && p8!) : !(p2! && p4! && p8!) && !(p2! && p6! && p8!);
          if (b >= 2 && b <= 6 && a === 1 && ok) remove.push(y * SIDE + x);
        }
      }
      for (const i of remove) s[i] = 0;
      if (remove.length) changed = true;
    }
  }
  return s;
}

/** An end of the skeleton and the stroke's direction there (a unit vector pointing out of the stroke). */
export interface StrokeEnd {
  y: number;
  x: number;
  dy: number;
  dx: number;
}

/** The skeleton's ends (pixels with exactly one skeleton neighbour), each with its outward direction. */
export function strokeEnds(skel: Uint8Array): StrokeEnd[] {
  const on = (y: number, x: number): boolean => inside(y, x) && skel[y * SIDE + x] === 1;
  const neighbours = (y: number, x: number): [number, number][] => NEIGHBOURS.filter(([dy, dx]) => on(y + dy, x + dx)).map(([dy, dx]) => [y + dy, x + dx]);
  const ends: StrokeEnd[] = [];
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      if (!on(y, x) || neighbours(y, x).length !== 1) continue;
      // Walk back along the skeleton, never revisiting, to set the direction over a few pixels.
      const seen = new Set([y * SIDE + x]);
      let [by, bx] = [y, x];
      for (let step = 0; step < DIRECTION_STEPS; step++) {
        const next = neighbours(by, bx).find(([ny, nx]) => !seen.has(ny * SIDE + nx));
        if (!next) break;
        [by, bx] = next;
        seen.add(by * SIDE + bx);
      }
      const len = Math.hypot(y - by, x - bx);
      if (len > 0) ends.push({ y, x, dy: (y - by) / len, dx: (x - bx) / len });
    }
  }
  return ends;
}

/** A one-pixel edit: the pixel's index and its new value. */
export interface PixelEdit {
  index: number;
  value: number;
}

/**
 * The pixel that continues the stroke at its lowest end (for a 7, the foot of the downstroke): the first pixel off
 * the stroke on the ray from the end along the stroke's direction, set to 1. Null when the stroke has no end (a
 * closed loop) or the ray leaves the image first.
 */
export function strokeExtension(image: Float32Array): PixelEdit | null {
  const mask = strokeMask(image);
  const ends = strokeEnds(skeleton(mask)).sort((a, b) => b.y - a.y || a.x - b.x);
  for (const end of ends) {
    for (let t = 0.5; t < SIDE; t += 0.25) {
      const y = Math.round(end.y + t * end.dy);
      const x = Math.round(end.x + t * end.dx);
      if (!inside(y, x)) break;
      if (!mask[y * SIDE + x]) return { index: y * SIDE + x, value: 1 };
    }
  }
  return null;
}

/** Euclidean distance of every pixel to the nearest stroke pixel (Infinity when there is no stroke). */
export function distanceToStroke(mask: Uint8Array): Float64Array {
  const on: number[] = [];
  for (let i = 0; i < SIZE; i++) if (mask[i]) on.push(i);
  return Float64Array.from({ length: SIZE }, (_, i) => {
    const y = Math.floor(i / SIDE), x = i % SIDE;
    let best = Infinity;
    for (const j of on) best = Math.min(best, Math.hypot(y - Math.floor(j / SIDE), x - (j % SIDE)));
    return best;
  });
}

/**
 * A stray pixel: of the pixels that are 0 inside the digit box, the one farthest from the stroke (ties: nearest the
 * digit's centre of mass), raised to `value`. Null when no pixel is 0 there.
 */
export function strayPixel(image: Float32Array, value: number): PixelEdit | null {
  const distance = distanceToStroke(strokeMask(image));
  let mass = 0, cy = 0, cx = 0;
  for (let i = 0; i < SIZE; i++) {
    mass += image[i]!;
    cy += image[i]! * Math.floor(i / SIDE);
    cx += image[i]! * (i % SIDE);
  }
  [cy, cx] = mass > 0 ? [cy / mass, cx / mass] : [SIDE / 2, SIDE / 2];
  let best: { index: number; distance: number; centre: number } | null = null;
  for (let y = BOX.from; y <= BOX.to; y++) {
    for (let x = BOX.from; x <= BOX.to; x++) {
      const i = y * SIDE + x;
      if (image[i] !== 0) continue;
      const centre = Math.hypot(y - cy, x - cx);
      if (!best || distance[i]! > best.distance + 1e-9 || (Math.abs(distance[i]! - best.distance) <= 1e-9 && centre < best.centre)) best = { index: i, distance: distance[i]!, centre };
    }
  }
  return best ? { index: best.index, value } : null;
}

/** A copy of `image` with one pixel edited. */
export function withPixel(image: Float32Array, edit: PixelEdit): Float32Array {
  const out = Float32Array.from(image);
  out[edit.index] = edit.value;
  return out;
}

/** The digit with pixels ≥ ON set to 1 and the rest to 0. */
export function binarised(image: Float32Array): Float32Array {
  return Float32Array.from(image, (v) => (v >= ON ? 1 : 0));
}

/**
 * The three images of the figure: the original, the stroke extended by one pixel, and a stray pixel raised by the
 * same amount (so their squared errors against the original are equal). Null when the digit has no stroke end.
 */
export function onePixelCopies(image: Float32Array): { extended: Float32Array; stray: Float32Array; extension: PixelEdit; strayEdit: PixelEdit } | null {
  const extension = strokeExtension(image);
  if (!extension) return null;
  const change = extension.value - image[extension.index]!;
  const strayEdit = strayPixel(image, change);
  if (!strayEdit) return null;
  return { extended: withPixel(image, extension), stray: withPixel(image, strayEdit), extension, strayEdit };
}

/** Σ (a − b)²: the pixel loss of `a` as a reconstruction of `b`. */
export function squaredError(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}
