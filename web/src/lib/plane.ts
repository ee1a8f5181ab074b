/**
 * A 2-D data plane on a canvas: equal-aspect mapping between data and pixels, a light grid, points and Gaussian
 * ellipses. Shared by the figures that show 2-D points (GMM, 2-D GANs).
 */
import { niceTicks } from './chart.js';
import { LECTURE } from './colors.js';
import { covarianceEllipse, Rng } from '../../../src/browser.js';

export interface Bounds {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Bounds around n points (rows of 2), padded by `pad` of their extent; a default square when there are none. */
export function boundsOf(points: ArrayLike<number>, n: number, pad = 0.12): Bounds {
  if (n === 0) return { x0: -4, x1: 4, y0: -3, y1: 3 };
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i]!, y = points[2 * i + 1]!;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  const span = Math.max(x1 - x0, y1 - y0, 1e-3);
  return { x0: x0 - pad * span, x1: x1 + pad * span, y0: y0 - pad * span, y1: y1 + pad * span };
}

export class Plane {
  readonly ctx: CanvasRenderingContext2D;
  bounds: Bounds = { x0: -4, x1: 4, y0: -3, y1: 3 };
  width = 0;
  height = 0;
  private scale = 1;
  private ox = 0;
  private oy = 0;

  constructor(readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('plane: no 2-D canvas context');
    this.ctx = ctx;
  }

  /** Sizes the backing store to the CSS size and recomputes the mapping; clears to white. */
  begin(): void {
    const { canvas, ctx } = this;
    const dpr = window.devicePixelRatio || 1;
    this.width = canvas.clientWidth || 640;
    this.height = canvas.clientHeight || 480;
    if (canvas.width !== Math.round(this.width * dpr) || canvas.height !== Math.round(this.height * dpr)) {
      canvas.width = Math.round(this.width * dpr);
      canvas.height = Math.round(this.height * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, this.width, this.height);
    const { x0, x1, y0, y1 } = this.bounds;
    this.scale = Math.min(this.width / (x1 - x0), this.height / (y1 - y0));
    this.ox = (this.width - this.scale * (x1 - x0)) / 2 - this.scale * x0;
    this.oy = (this.height - this.scale * (y1 - y0)) / 2 + this.scale * y1;
  }

  px(x: number): number {
    return this.ox + this.scale * x;
  }

  py(y: number): number {
    return this.oy - this.scale * y;
  }

  /** Data coordinates of a pixel position (CSS pixels, relative to the canvas). */
  toData(px: number, py: number): [number, number] {
    return [(px - this.ox) / this.scale, (this.oy - py) / this.scale];
  }

  /** Pixels per data unit. */
  get pixelsPerUnit(): number {
    return this.scale;
  }

  /** Light grid lines at round coordinates, labelled along the bottom and left edges. */
  grid(): void {
    const { ctx } = this;
    const [xa, yb] = this.toData(0, this.height);
    const [xb, ya] = this.toData(this.width, 0);
    ctx.lineWidth = 1;
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#9aa1b1';
    const xs = niceTicks(xa, xb, Math.max(3, Math.round(this.width / 90)));
    const ys = niceTicks(yb, ya, Math.max(3, Math.round(this.height / 90)));
    for (const x of xs) {
      const p = Math.round(this.px(x)) + 0.5;
      ctx.strokeStyle = x === 0 ? '#d5dae4' : LECTURE.grid;
      ctx.beginPath(); ctx.moveTo(p, 0); ctx.lineTo(p, this.height); ctx.stroke();
      ctx.textAlign = 'center'; ctx.textBaseline = 'bottom';
      ctx.fillText(String(Number(x.toPrecision(6))).replace('-', '−'), p, this.height - 3);
    }
    for (const y of ys) {
      const p = Math.round(this.py(y)) + 0.5;
      ctx.strokeStyle = y === 0 ? '#d5dae4' : LECTURE.grid;
      ctx.beginPath(); ctx.moveTo(0, p); ctx.lineTo(this.width, p); ctx.stroke();
      ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
      if (p > 14 && p < this.height - 14) ctx.fillText(String(Number(y.toPrecision(6))).replace('-', '−'), 4, p);
    }
  }

  /** The s-σ ellipse of N(mean, cov) in data units. */
  ellipsePath(mean: readonly number[], cov: readonly (readonly number[])[], s: number): void {
    const { semiMajor, semiMinor, angle } = covarianceEllipse(cov, s);
    this.ctx.beginPath();
    // −angle: the canvas's y axis points down.
    this.ctx.ellipse(this.px(mean[0]!), this.py(mean[1]!), Math.max(semiMajor * this.scale, 0.5), Math.max(semiMinor * this.scale, 0.5), -angle, 0, 2 * Math.PI);
  }
}

/**
 * Lets the mouse add points on `plane`: a click adds one at the pointer, dragging sprays two per frame around it
 * (radius ≈ 8 px, seeded so strokes are repeatable). `add` takes each point, `moved` runs after each batch of
 * points (redraw), `done` once at the end of a stroke.
 */
export function drawPointsWithMouse(plane: Plane, canvas: HTMLCanvasElement, on: { add(x: number, y: number): void; moved(): void; done(): void }): void {
  const spray = new Rng(12345);
  let drawing = false;
  let lastAdd = 0;
  const at = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return plane.toData(e.clientX - r.left, e.clientY - r.top);
  };
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    on.add(...at(e));
    lastAdd = performance.now();
    on.moved();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing || performance.now() - lastAdd < 16) return; // at most one spray per frame
    lastAdd = performance.now();
    const [x, y] = at(e);
    const s = 8 / plane.pixelsPerUnit;
    for (let i = 0; i < 2; i++) on.add(x + s * spray.normal(), y + s * spray.normal());
    on.moved();
  });
  const end = (): void => {
    if (!drawing) return;
    drawing = false;
    on.done();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
}
