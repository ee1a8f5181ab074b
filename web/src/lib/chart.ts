/**
 * A small line chart on a canvas: several series, axes with round ticks, an optional log y axis, a legend,
 * vertical markers, shaded x bands and highlighted points. Redrawing a few hundred points takes well under a
 * millisecond, so live figures can redraw every frame.
 */
import { LECTURE } from './colors.js';

export interface Series {
  label: string;
  color: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  width?: number;
  dash?: number[];
  /** Draw a dot at every point (for short series such as BIC against K). */
  dots?: boolean;
  /** Dot radius in CSS pixels (default 3). */
  dotRadius?: number;
  /** Draw the line through the points (default true; false with `dots` gives a scatter, e.g. samples on an axis). */
  line?: boolean;
  /** Listed in the legend (default true; false for a faint raw curve under its smoothed one). */
  legend?: boolean;
}

export interface ChartOptions {
  xLabel?: string;
  yLabel?: string;
  logY?: boolean;
  /** Fixed x range; by default the data's. */
  xDomain?: [number, number];
  /** Fixed y range; by default the data's (padded). */
  yDomain?: [number, number];
  /** Integer x ticks only (iterations, K). */
  integerX?: boolean;
  legend?: boolean;
}

export interface Marker {
  x: number;
  color?: string;
  label?: string;
  dash?: number[];
  /** Where the label goes along the line (default 'top'). */
  labelAt?: 'top' | 'bottom';
}

export interface Band {
  from: number;
  to: number;
  color: string;
}

export interface Highlight {
  x: number;
  y: number;
  color: string;
  label?: string;
}

/** Where the last draw put the plot, in CSS pixels of the canvas, and the ranges it showed (for hover read-outs). */
export interface ChartFrame {
  left: number;
  top: number;
  width: number;
  height: number;
  x0: number;
  x1: number;
}

const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((s) => s * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function tickLabel(v: number, logY: boolean): string {
  if (logY) {
    const e = Math.round(Math.log10(v));
    return Math.abs(e) <= 2 ? String(10 ** e) : `1e${e}`;
  }
  const a = Math.abs(v);
  const s = a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(1) : String(Number(v.toPrecision(6)));
  return s.replace('-', '−');
}

export class LineChart {
  series: Series[] = [];
  markers: Marker[] = [];
  bands: Band[] = [];
  highlights: Highlight[] = [];
  /** Set by each draw. */
  frame: ChartFrame | null = null;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    readonly canvas: HTMLCanvasElement,
    public options: ChartOptions = {},
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('chart: no 2-D canvas context');
    this.ctx = ctx;
  }

  /** Draws everything at the canvas's current CSS size (sharp on high-DPI screens). */
  draw(): void {
    const { canvas, ctx, options } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 400;
    const hgt = canvas.clientHeight || 220;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(hgt * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(hgt * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    ctx.font = FONT;
    const logY = options.logY === true;
    const ty = (v: number): number => (logY ? Math.log10(v) : v);

    // Domains.
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const s of this.series) {
      for (let i = 0; i < s.xs.length; i++) {
        const x = s.xs[i]!, y = s.ys[i]!;
        if (!Number.isFinite(x) || !Number.isFinite(y) || (logY && !(y > 0))) continue;
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, ty(y)); y1 = Math.max(y1, ty(y));
      }
    }
    for (const hl of this.highlights) {
      if (Number.isFinite(hl.y) && (!logY || hl.y > 0)) { y0 = Math.min(y0, ty(hl.y)); y1 = Math.max(y1, ty(hl.y)); }
    }
    if (options.xDomain) [x0, x1] = options.xDomain;
    if (options.yDomain) [y0, y1] = options.yDomain.map(ty) as [number, number];
    const empty = !Number.isFinite(x0) || !Number.isFinite(y0);
    if (empty) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
    if (x1 <= x0) { x0 -= 0.5; x1 += 0.5; }
    if (y1 <= y0) { const pad = Math.abs(y0) * 0.05 || 0.5; y0 -= pad; y1 += pad; }
    if (!options.yDomain) { const pad = (y1 - y0) * 0.06; y0 -= pad; y1 += pad; }

    // Ticks and layout.
    let yTicks: number[];
    if (logY) {
      const lo = Math.floor(y0), hi = Math.ceil(y1);
      const stride = Math.max(1, Math.ceil((hi - lo) / 6));
      yTicks = [];
      for (let e = lo; e <= hi; e += stride) if (e >= y0 - 1e-9 && e <= y1 + 1e-9) yTicks.push(10 ** e);
    } else {
      yTicks = niceTicks(y0, y1, Math.max(2, Math.round(hgt / 50)));
    }
    let xTicks = niceTicks(x0, x1, Math.max(2, Math.round(w / 80)));
    if (options.integerX) xTicks = [...new Set(xTicks.map((v) => Math.round(v)))].filter((v) => v >= x0 - 1e-9 && v <= x1 + 1e-9);
    const yLabels = yTicks.map((v) => tickLabel(v, logY));
    const left = Math.ceil(Math.max(24, ...yLabels.map((s) => ctx.measureText(s).width))) + (options.yLabel ? 26 : 12);
    const listed = this.series.filter((s) => s.legend !== false);
    const legendH = options.legend !== false && listed.length > 1 ? 20 : 0;
    const top = 10 + legendH, right = 12, bottom = options.xLabel ? 40 : 26;
    const pw = Math.max(10, w - left - right), ph = Math.max(10, hgt - top - bottom);
    const px = (x: number): number => left + ((x - x0) / (x1 - x0)) * pw;
    this.frame = { left, top, width: pw, height: ph, x0, x1 };
    const py = (y: number): number => top + (1 - (ty(y) - y0) / (y1 - y0)) * ph;

    // Bands, grid, axes.
    for (const b of this.bands) {
      const a = Math.max(px(b.from), left), c = Math.min(px(b.to), left + pw);
      if (c > a) { ctx.fillStyle = b.color; ctx.fillRect(a, top, c - a, ph); }
    }
    ctx.strokeStyle = LECTURE.grid;
    ctx.lineWidth = 1;
    ctx.fillStyle = LECTURE.muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    yTicks.forEach((v, i) => {
      const y = Math.round(py(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + pw, y); ctx.stroke();
      ctx.fillText(yLabels[i]!, left - 6, y);
    });
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const v of xTicks) {
      const x = Math.round(px(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + ph); ctx.stroke();
      ctx.fillText(tickLabel(v, false), x, top + ph + 6);
    }
    ctx.strokeStyle = '#b9bfcc';
    ctx.strokeRect(left + 0.5, top + 0.5, pw, ph);
    if (options.xLabel) { ctx.fillStyle = LECTURE.ink; ctx.fillText(options.xLabel, left + pw / 2, top + ph + 22); }
    if (options.yLabel) {
      ctx.save();
      ctx.translate(12, top + ph / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = 'middle';
      ctx.fillStyle = LECTURE.ink;
      ctx.fillText(options.yLabel, 0, 0);
      ctx.restore();
    }

    // Data, clipped to the plot.
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, pw, ph);
    ctx.clip();
    for (const m of this.markers) {
      ctx.strokeStyle = m.color ?? LECTURE.muted;
      ctx.setLineDash(m.dash ?? [4, 4]);
      const x = Math.round(px(m.x)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + ph); ctx.stroke();
      ctx.setLineDash([]);
      if (m.label) {
        ctx.fillStyle = m.color ?? LECTURE.muted;
        const flip = x + ctx.measureText(m.label).width + 8 > left + pw;
        ctx.textAlign = flip ? 'right' : 'left';
        ctx.textBaseline = m.labelAt === 'bottom' ? 'bottom' : 'top';
        ctx.fillText(m.label, x + (flip ? -4 : 4), m.labelAt === 'bottom' ? top + ph - 4 : top + 4);
      }
    }
    for (const s of this.series) {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = s.width ?? 2;
      ctx.setLineDash(s.dash ?? []);
      ctx.lineJoin = 'round';
      if (s.line !== false) {
        ctx.beginPath();
        let pen = false;
        for (let i = 0; i < s.xs.length; i++) {
          const x = s.xs[i]!, y = s.ys[i]!;
          if (!Number.isFinite(x) || !Number.isFinite(y) || (logY && !(y > 0))) { pen = false; continue; }
          if (pen) ctx.lineTo(px(x), py(y)); else ctx.moveTo(px(x), py(y));
          pen = true;
        }
        ctx.stroke();
      }
      ctx.setLineDash([]);
      if (s.dots) {
        ctx.fillStyle = s.color;
        const r = s.dotRadius ?? 3;
        for (let i = 0; i < s.xs.length; i++) {
          const x = s.xs[i]!, y = s.ys[i]!;
          if (!Number.isFinite(y) || (logY && !(y > 0))) continue;
          ctx.beginPath(); ctx.arc(px(x), py(y), r, 0, 2 * Math.PI); ctx.fill();
        }
      }
    }
    for (const hl of this.highlights) {
      if (!Number.isFinite(hl.y) || (logY && !(hl.y > 0))) continue;
      ctx.fillStyle = '#fff';
      ctx.strokeStyle = hl.color;
      ctx.lineWidth = 2.5;
      ctx.beginPath(); ctx.arc(px(hl.x), py(hl.y), 5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
      if (hl.label) {
        ctx.fillStyle = hl.color;
        ctx.textAlign = px(hl.x) > left + pw - 80 ? 'right' : 'left';
        ctx.textBaseline = 'bottom';
        ctx.fillText(hl.label, px(hl.x) + (ctx.textAlign === 'right' ? -8 : 8), py(hl.y) - 4);
      }
    }
    ctx.restore();

    // Legend.
    if (legendH) {
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      let x = left;
      for (const s of listed) {
        if (s.line === false) {
          ctx.fillStyle = s.color;
          ctx.beginPath(); ctx.arc(x + 9, 10, s.dotRadius ?? 3, 0, 2 * Math.PI); ctx.fill();
        } else {
          ctx.strokeStyle = s.color;
          ctx.lineWidth = s.width ?? 2;
          ctx.setLineDash(s.dash ?? []);
          ctx.beginPath(); ctx.moveTo(x, 10); ctx.lineTo(x + 18, 10); ctx.stroke();
          ctx.setLineDash([]);
        }
        ctx.fillStyle = LECTURE.ink;
        ctx.fillText(s.label, x + 23, 10);
        x += 23 + ctx.measureText(s.label).width + 16;
      }
    }
    if (empty) {
      this.frame = null;
      ctx.fillStyle = LECTURE.muted;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText('no data yet', left + pw / 2, top + ph / 2);
    }
  }

  /** The data x under CSS pixel `px` of the canvas, or null when it is outside the plot (or nothing is drawn). */
  xAt(px: number): number | null {
    const f = this.frame;
    if (!f || px < f.left || px > f.left + f.width) return null;
    return f.x0 + ((px - f.left) / f.width) * (f.x1 - f.x0);
  }
}
