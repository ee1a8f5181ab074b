/**
 * Hover read-outs on a LineChart: under the mouse, a dashed line at the nearest logged x and a tip listing every
 * series' value there (series left out of the legend, such as raw curves under smoothed ones, are left out too).
 */
import type { LineChart, Marker } from './chart.js';
import { h } from './dom.js';
import { metric } from './format.js';

/** Shows the tip of `chart` (whose canvas sits in a position: relative container) as the mouse moves. */
export function attachHover(chart: LineChart, xName: () => string): void {
  const canvas = chart.canvas;
  const tip = h('div', { class: 'chart-tip', hidden: true, role: 'tooltip' });
  canvas.parentElement?.append(tip);
  const marker: Marker = { x: 0, color: '#8a93a6', dash: [3, 3] };
  const hide = (): void => {
    tip.hidden = true;
    const i = chart.markers.indexOf(marker);
    if (i >= 0) {
      chart.markers.splice(i, 1);
      chart.draw();
    }
  };
  canvas.addEventListener('mouseleave', hide);
  canvas.addEventListener('mousemove', (e) => {
    const x = chart.xAt(e.offsetX);
    const listed = chart.series.filter((s) => s.legend !== false);
    if (x === null || listed.length === 0) return hide();
    let best = NaN;
    for (const s of listed) for (let i = 0; i < s.xs.length; i++) if (!(Math.abs(s.xs[i]! - x) >= Math.abs(best - x))) best = s.xs[i]!;
    if (!Number.isFinite(best)) return hide();
    const rows = listed.flatMap((s) => {
      for (let i = 0; i < s.xs.length; i++) {
        if (s.xs[i] === best) return [h('div', {}, h('span', { class: 'swatch', style: `background:${s.color}` }), `${s.label}: `, h('b', {}, metric(s.ys[i]!)))];
      }
      return [];
    });
    tip.replaceChildren(h('div', { class: 'tip-x' }, `${xName()} ${best}`), ...rows);
    tip.hidden = false;
    const left = Math.min(e.offsetX + 14, canvas.clientWidth - tip.offsetWidth - 4);
    tip.style.left = `${Math.max(0, left)}px`;
    tip.style.top = `${Math.max(0, e.offsetY - tip.offsetHeight - 8)}px`;
    marker.x = best;
    if (!chart.markers.includes(marker)) chart.markers.push(marker);
    chart.draw();
  });
}
