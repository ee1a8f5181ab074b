/**
 * A run's logged terms as charts, TensorBoard-style: one chart per term with its train and test lines, against epochs
 * or steps, smoothed by a slider (the raw values stay faint underneath), on a linear or log axis, with hover
 * read-outs. Terms that never changed over the run (β, weightDecay 0, modesTotal …) are listed in one line instead
 * of a chart each. The compare view draws its overlays with the same controls and series.
 */
import { metricTerms, termSeries, type MetricsRecord } from '../../../src/browser.js';
import { LineChart, type Series } from '../lib/chart.js';
import { attachHover } from '../lib/chart-hover.js';
import { LECTURE } from '../lib/colors.js';
import { h } from '../lib/dom.js';
import { metric } from '../lib/format.js';
import { smooth } from '../lib/smooth.js';

export interface ChartView {
  /** Smoothing weight in [0, 1). */
  smoothing: number;
  logY: boolean;
  x: 'epoch' | 'step';
}

export const SPLIT_COLORS = { train: LECTURE.blue, test: '#f28e2b' } as const;

/** A series' colour made faint (for the raw values under a smoothed line). */
const faint = (color: string): string => (color.startsWith('#') && color.length === 7 ? `${color}55` : color);

/**
 * The series of one line: the values as they are, or with smoothing their smoothed line over the raw values drawn
 * faint. Short lines get dots (a two-epoch run is two points).
 */
export function lineSeries(label: string, color: string, xs: number[], ys: number[], view: ChartView): Series[] {
  const dots = xs.length <= 40;
  if (!(view.smoothing > 0) || xs.length < 3) return [{ label, color, xs, ys, dots, dotRadius: 3 }];
  return [
    { label: `${label} (raw)`, color: faint(color), xs, ys, width: 1, legend: false },
    { label, color, xs, ys: smooth(ys, view.smoothing), dots, dotRadius: 2.5 },
  ];
}

/** A toggle of two values: the pressed one shows the current choice. */
function pair<T extends string>(name: string, options: readonly [T, T], get: () => T, set: (v: T) => void): HTMLElement {
  const buttons = options.map((o) =>
    h('button', { type: 'button', class: 'seg', 'data-value': o, 'aria-pressed': String(get() === o), onclick: () => {
      set(o);
      for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset['value'] === o));
    } }, o),
  );
  return h('div', { class: 'segmented', role: 'group', 'aria-label': name, id: `view-${name}` }, ...buttons);
}

/** The smoothing slider, the linear/log switch and the epoch/step switch; `onChange` runs after every change. */
export function chartControls(view: ChartView, onChange: () => void): HTMLElement {
  const value = h('span', { class: 'value' }, view.smoothing.toFixed(2));
  const slider = h('input', { type: 'range', id: 'smoothing', min: 0, max: 0.99, step: 0.01, value: view.smoothing, 'aria-label': 'smoothing' });
  slider.addEventListener('input', () => {
    view.smoothing = Number(slider.value);
    value.textContent = view.smoothing.toFixed(2);
    onChange();
  });
  return h(
    'div',
    { class: 'chart-controls' },
    h('label', { class: 'inline' }, 'smoothing', slider, value),
    h('span', { class: 'inline' }, 'y', pair('scale', ['linear', 'log'] as const, () => (view.logY ? 'log' : 'linear'), (v) => ((view.logY = v === 'log'), onChange()))),
    h('span', { class: 'inline' }, 'x', pair('x', ['epoch', 'step'] as const, () => view.x, (v) => ((view.x = v), onChange()))),
  );
}

/** A card holding one chart, its title and its hover tip. */
export function chartCard(title: string, view: ChartView, height = 220): { card: HTMLElement; chart: LineChart } {
  const canvas = h('canvas', { class: 'chart', style: `height:${height}px`, 'aria-label': `${title} against ${view.x}` });
  const card = h('div', { class: 'term card', 'data-term': title }, h('h3', {}, title), h('div', { class: 'chart-box' }, canvas));
  const chart = new LineChart(canvas, { xLabel: view.x, integerX: true });
  attachHover(chart, () => view.x);
  return { card, chart };
}

/** True when the term kept one value over a run that logged at least two epochs. */
function constant(records: readonly MetricsRecord[], term: string): number | null {
  if (new Set(records.map((r) => r.epoch)).size < 2) return null;
  const values = records.filter((r) => term in r).map((r) => r[term]);
  return values.length > 0 && values.every((v) => v === values[0]) && typeof values[0] === 'number' ? values[0] : null;
}

export class TermCharts {
  private readonly charts = new Map<string, { card: HTMLElement; chart: LineChart }>();
  private records: readonly MetricsRecord[] = [];
  private best: { metric: string; epoch: number } | null = null;
  private readonly grid = h('div', { class: 'term-grid' });
  private readonly constants = h('p', { class: 'hint constants' });

  constructor(
    readonly root: HTMLElement,
    readonly view: ChartView,
  ) {
    root.append(this.grid, this.constants);
  }

  /** Marks the run's best epoch on the chart of the metric that chose it. */
  setBest(best: { metric: string; epoch: number } | null): void {
    this.best = best;
  }

  update(records: readonly MetricsRecord[]): void {
    this.records = records;
    const terms = metricTerms(records);
    const fixed = terms.map((t) => [t, constant(records, t)] as const).filter(([, v]) => v !== null);
    const charted = [...terms.filter((t) => !fixed.some(([f]) => f === t)), ...(records.length > 0 ? ['examplesPerSec'] : [])];
    for (const [term, entry] of this.charts) {
      if (!charted.includes(term)) {
        entry.card.remove();
        this.charts.delete(term);
      }
    }
    for (const term of charted) {
      if (!this.charts.has(term)) {
        const entry = chartCard(term, this.view);
        this.charts.set(term, entry);
      }
    }
    // Cards in the terms' order (a term that turns up later is slotted in place).
    this.grid.replaceChildren(...charted.map((t) => this.charts.get(t)!.card));
    this.constants.textContent =
      records.length === 0
        ? 'No metrics yet: genlab train writes a line per split to metrics.jsonl at the end of every epoch.'
        : fixed.length > 0
          ? `constant over the run: ${fixed.map(([t, v]) => `${t} = ${metric(v)}`).join(' · ')}`
          : '';
    this.redraw();
  }

  redraw(): void {
    for (const [term, { card, chart }] of this.charts) {
      const series: Series[] = [];
      let points = 0;
      for (const split of ['train', 'test'] as const) {
        const s = termSeries(this.records, term, split);
        if (s.values.length === 0) continue;
        points += s.values.length;
        series.push(...lineSeries(split, SPLIT_COLORS[split], this.view.x === 'epoch' ? s.epochs : s.steps, s.values, this.view));
      }
      chart.series = series;
      chart.options = { ...chart.options, xLabel: this.view.x, logY: this.view.logY };
      const best = this.best && this.best.metric === term && this.view.x === 'epoch' ? this.best.epoch : null;
      chart.markers = chart.markers.filter((m) => m.label !== 'best');
      if (best !== null) chart.markers.push({ x: best, label: 'best', color: LECTURE.green });
      chart.canvas.setAttribute('aria-label', `${term} against ${this.view.x}`);
      card.dataset['points'] = String(points);
      chart.draw();
    }
  }
}
