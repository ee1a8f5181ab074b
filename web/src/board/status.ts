/** A run's status as a coloured badge (running pulses), shared by the board, the run page and the compare view. */
import type { RunSummary } from '../../../src/browser.js';
import { h } from '../lib/dom.js';

export function statusBadge(status: RunSummary['status']): HTMLElement {
  return h('span', { class: `badge status-${status}`, 'data-status': status }, status);
}

/** A small curve of the run's loss per epoch (no axes: the board's at-a-glance view). */
export function sparkline(values: readonly number[], width = 120, height = 28): HTMLCanvasElement {
  const canvas = h('canvas', { class: 'spark', width: width * 2, height: height * 2, style: `width:${width}px;height:${height}px`, 'aria-hidden': 'true' });
  drawSparkline(canvas, values);
  return canvas;
}

export function drawSparkline(canvas: HTMLCanvasElement, values: readonly number[]): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width: w, height: hgt } = canvas;
  ctx.clearRect(0, 0, w, hgt);
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return;
  const lo = Math.min(...finite), hi = Math.max(...finite);
  const span = hi - lo || Math.abs(hi) || 1;
  const px = (i: number): number => (values.length === 1 ? w / 2 : 4 + (i / (values.length - 1)) * (w - 8));
  const py = (v: number): number => 4 + (1 - (v - lo) / span) * (hgt - 8);
  ctx.strokeStyle = '#2f6fdf';
  ctx.fillStyle = '#2f6fdf';
  ctx.lineWidth = 3;
  ctx.beginPath();
  values.forEach((v, i) => (i === 0 ? ctx.moveTo(px(i), py(v)) : ctx.lineTo(px(i), py(v))));
  ctx.stroke();
  const last = values.length - 1;
  ctx.beginPath();
  ctx.arc(px(last), py(values[last]!), 4, 0, 2 * Math.PI);
  ctx.fill();
}
