/**
 * Histograms of several sets of log p(x) on one axis, with a marker for the image being judged. The sets span
 * −600 to −20 000 nats (blank-ish digits to noise and white-on-black digits), so the axis is logarithmic in −log p(x):
 * equal widths are equal ratios, and the Pokémon are not squeezed into a sliver. Each set is drawn as its share of
 * images per bin, so sets of different sizes compare.
 */
import { LECTURE } from '../lib/colors.js';

export interface HistogramSet {
  label: string;
  color: string;
  values: readonly number[];
  /** Outline only (a set drawn for comparison, not filled). */
  outline?: boolean;
}

export interface HistogramMarker {
  logPx: number;
  label: string;
  color: string;
}

const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';
const BINS = 70;

/** Position on the axis: −log10(−log p(x)), so higher log p(x) is further right. */
const toAxis = (logPx: number): number => -Math.log10(Math.max(1, -logPx));

export class ScoreHistogram {
  sets: HistogramSet[] = [];
  marker: HistogramMarker | null = null;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('histogram: no 2-D canvas context');
    this.ctx = ctx;
  }

  /** The axis range covering every set and the marker, padded. */
  private domain(): [number, number] {
    let lo = Infinity, hi = -Infinity;
    for (const s of this.sets) for (const v of s.values) { const a = toAxis(v); lo = Math.min(lo, a); hi = Math.max(hi, a); }
    if (this.marker && Number.isFinite(this.marker.logPx)) { const a = toAxis(this.marker.logPx); lo = Math.min(lo, a); hi = Math.max(hi, a); }
    if (!Number.isFinite(lo)) return [-4, -2];
    const pad = Math.max(0.02, (hi - lo) * 0.04);
    return [lo - pad, hi + pad];
  }

  draw(): void {
    const { canvas, ctx } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 600, hgt = canvas.clientHeight || 260;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(hgt * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(hgt * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    ctx.font = FONT;
    const [a0, a1] = this.domain();
    const legendRows = this.legendRows(w);
    const left = 14, right = 14, top = 12 + legendRows.length * 18, bottom = 40;
    const pw = Math.max(10, w - left - right), ph = Math.max(10, hgt - top - bottom);
    const px = (a: number): number => left + ((a - a0) / (a1 - a0)) * pw;

    // Shares per bin; the tallest bin of any set sets the height.
    const width = (a1 - a0) / BINS;
    const shares = this.sets.map((s) => {
      const counts = new Float64Array(BINS);
      for (const v of s.values) counts[Math.min(BINS - 1, Math.max(0, Math.floor((toAxis(v) - a0) / width)))]! += 1;
      return counts.map((c) => c / Math.max(1, s.values.length));
    });
    const peak = Math.max(1e-9, ...shares.flatMap((c) => [...c]));
    const py = (share: number): number => top + ph - (share / peak) * ph * 0.95;

    // Grid and ticks at 1-2-5 values of log p(x).
    ctx.strokeStyle = LECTURE.grid;
    ctx.fillStyle = LECTURE.muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.lineWidth = 1;
    for (const v of axisTicks(a0, a1)) {
      const x = Math.round(px(toAxis(v))) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + ph); ctx.stroke();
      ctx.fillText(v.toLocaleString('en-US').replace('-', '−'), x, top + ph + 6);
    }
    ctx.fillStyle = LECTURE.ink;
    ctx.fillText('log p(x), nats (spaced by ratios of −log p(x); likelier to the right)', left + pw / 2, top + ph + 22);
    ctx.strokeStyle = '#b9bfcc';
    ctx.strokeRect(left + 0.5, top + 0.5, pw, ph);

    // The sets: filled steps (outlined for comparison sets).
    this.sets.forEach((s, k) => {
      const c = shares[k]!;
      ctx.beginPath();
      ctx.moveTo(px(a0), py(0));
      for (let b = 0; b < BINS; b++) {
        ctx.lineTo(px(a0 + b * width), py(c[b]!));
        ctx.lineTo(px(a0 + (b + 1) * width), py(c[b]!));
      }
      ctx.lineTo(px(a1), py(0));
      if (!s.outline) {
        ctx.globalAlpha = 0.28;
        ctx.fillStyle = s.color;
        ctx.fill();
        ctx.globalAlpha = 1;
      }
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.5;
      ctx.setLineDash(s.outline ? [4, 3] : []);
      ctx.stroke();
      ctx.setLineDash([]);
    });

    // The image being judged.
    const m = this.marker;
    if (m && Number.isFinite(m.logPx)) {
      const x = Math.round(px(toAxis(m.logPx))) + 0.5;
      ctx.strokeStyle = m.color;
      ctx.lineWidth = 2.5;
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + ph); ctx.stroke();
      ctx.fillStyle = m.color;
      ctx.font = `600 ${FONT}`;
      const flip = x + ctx.measureText(m.label).width + 10 > left + pw;
      ctx.textAlign = flip ? 'right' : 'left';
      ctx.textBaseline = 'top';
      ctx.fillText(m.label, x + (flip ? -6 : 6), top + 6);
      ctx.font = FONT;
    }

    // Legend rows above the plot.
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    legendRows.forEach((row, r) => {
      let x = left;
      for (const s of row) {
        const y = 10 + r * 18;
        ctx.globalAlpha = s.outline ? 1 : 0.5;
        ctx.fillStyle = s.color;
        if (s.outline) { ctx.strokeStyle = s.color; ctx.setLineDash([4, 3]); ctx.strokeRect(x + 0.5, y - 5.5, 14, 11); ctx.setLineDash([]); }
        else ctx.fillRect(x, y - 6, 14, 12);
        ctx.globalAlpha = 1;
        ctx.fillStyle = LECTURE.ink;
        const text = `${s.label} (${s.values.length})`;
        ctx.fillText(text, x + 19, y);
        x += 19 + ctx.measureText(text).width + 16;
      }
    });
    canvas.dataset['sets'] = String(this.sets.length);
    canvas.dataset['marker'] = m ? String(m.logPx) : '';
  }

  /** The sets' legend entries, wrapped into rows that fit `w`. */
  private legendRows(w: number): HistogramSet[][] {
    this.ctx.font = FONT;
    const rows: HistogramSet[][] = [[]];
    let x = 14;
    for (const s of this.sets) {
      const need = 19 + this.ctx.measureText(`${s.label} (${s.values.length})`).width + 16;
      if (x + need > w - 14 && rows[rows.length - 1]!.length > 0) { rows.push([]); x = 14; }
      rows[rows.length - 1]!.push(s);
      x += need;
    }
    return rows;
  }
}

/** Round log p(x) values (−1·10ⁿ, −2·10ⁿ, −5·10ⁿ) inside the axis range [a0, a1], thinned to about 8. */
function axisTicks(a0: number, a1: number): number[] {
  const out: number[] = [];
  for (let e = 0; e <= 7; e++) for (const m of [1, 2, 5]) {
    const v = -m * 10 ** e;
    const a = toAxis(v);
    if (a >= a0 && a <= a1) out.push(v);
  }
  if (out.length <= 9) return out.sort((x, y) => x - y);
  return out.filter((v) => /^-1/.test(String(v)) || /^-5/.test(String(v))).sort((x, y) => x - y);
}
