/**
 * Runs side by side: any logged term of two or more runs overlaid on one chart (same controls as a run's page), and
 * their settings in one table — data, seed, backend, the model's config, the training options — with the rows
 * where they differ highlighted (the "hparams" view of TensorBoard and W&B). Refreshes live like the other views.
 */
import { metricTerms, termSeries, type MetricsRecord, type RunDetail } from '../../../src/browser.js';
import { componentRgb, rgb } from '../lib/colors.js';
import { h } from '../lib/dom.js';
import { cell } from '../lib/format.js';
import { poll } from '../lib/poll.js';
import { errorText, setStatus } from '../lib/shell.js';
import { runDetail, runMetrics, runPage } from './api.js';
import { statusBadge } from './status.js';
import { flatten } from './tables.js';
import { chartCard, chartControls, lineSeries, type ChartView } from './term-charts.js';

interface Compared {
  name: string;
  color: string;
  detail: RunDetail;
  records: MetricsRecord[];
  bytes: number;
}

/** The settings compared: what makes two runs different, not their progress. */
function settings(d: RunDetail): Map<string, string> {
  const m = d.manifest ?? {};
  const rows = flatten({ kind: m['kind'], data: m['data'], seed: m['seed'], backend: m['backend'], config: m['config'], options: m['options'] });
  return new Map(rows.filter(([, v]) => v !== undefined).map(([k, v]) => [k, cell(v)]));
}

export async function mountCompare(main: HTMLElement, names: readonly string[]): Promise<void> {
  const runs: Compared[] = await Promise.all(
    names.map(async (name, i) => {
      const detail = await runDetail(name);
      return { name, color: rgb(componentRgb(i)), detail, records: detail.metricsBytes > 0 ? (await runMetrics(name)).records : [], bytes: detail.metricsBytes };
    }),
  );
  const view: ChartView = { smoothing: 0, logY: false, x: 'epoch' };
  const term = h('select', { id: 'compare-term', 'aria-label': 'term' });
  const split = h('select', { id: 'compare-split', 'aria-label': 'split' }, h('option', { value: 'test' }, 'test'), h('option', { value: 'train' }, 'train'));
  const { card, chart } = chartCard('compare', view, 340);
  card.id = 'compare-chart';
  const onlyDiff = h('input', { type: 'checkbox', id: 'only-differences' });
  const table = h('table', { class: 'diff', id: 'compare-config' });
  const chips = h('div', { class: 'chips' });

  const fillTerms = (): void => {
    const all = [...new Set(runs.flatMap((r) => metricTerms(r.records)))];
    const current = term.value || (all.includes('loss') ? 'loss' : all[0] ?? '');
    term.replaceChildren(...all.map((t) => h('option', { value: t, selected: t === current }, t)));
    if (!runs.some((r) => r.records.some((x) => x.split === 'test'))) split.value = 'train';
  };

  const draw = (): void => {
    chart.series = runs.flatMap((r) => {
      const s = termSeries(r.records, term.value, split.value as 'train' | 'test');
      return s.values.length === 0 ? [] : lineSeries(r.name, r.color, view.x === 'epoch' ? s.epochs : s.steps, s.values, view);
    });
    chart.options = { ...chart.options, xLabel: view.x, logY: view.logY };
    card.querySelector('h3')!.textContent = `${split.value} ${term.value}`;
    card.dataset['term'] = term.value;
    card.dataset['series'] = String(chart.series.filter((s) => s.legend !== false).length);
    chart.draw();
  };

  const fillTable = (): void => {
    const all = runs.map((r) => settings(r.detail));
    const keys = [...new Set(all.flatMap((m) => [...m.keys()]))];
    const rows = keys.map((k) => {
      const values = all.map((m) => m.get(k) ?? '—');
      const differs = new Set(values).size > 1;
      return h('tr', { class: differs ? 'differs' : undefined, 'data-key': k, hidden: onlyDiff.checked && !differs }, h('th', {}, k), ...values.map((v) => h('td', {}, v)));
    });
    const head = h('tr', {}, h('th', {}, 'setting'), ...runs.map((r) => h('th', {}, h('span', { class: 'swatch', style: `background:${r.color}` }), r.name)));
    table.replaceChildren(h('thead', {}, head), h('tbody', {}, ...rows));
    table.dataset['differences'] = String(rows.filter((r) => r.classList.contains('differs')).length);
  };

  const fillChips = (): void => {
    chips.replaceChildren(...runs.map((r) => h('a', { class: 'chip', href: runPage(r.name) }, h('span', { class: 'swatch', style: `background:${r.color}` }), r.name, ' ', statusBadge(r.detail.summary.status))));
  };

  term.addEventListener('change', draw);
  split.addEventListener('change', draw);
  onlyDiff.addEventListener('change', fillTable);
  main.append(
    h('div', { id: 'compare' },
      h('div', { class: 'page-head' }, h('div', {}, h('p', { class: 'crumbs' }, h('a', { href: 'runs.html' }, 'Runs'), ' / compare'), h('h1', {}, `Compare ${runs.length} runs`)), chips),
      h('section', { class: 'card' }, h('div', { class: 'chart-controls' }, h('label', { class: 'inline' }, 'term', term), h('label', { class: 'inline' }, 'split', split)), chartControls(view, draw), card),
      h('section', { class: 'card' }, h('div', { class: 'section-head' }, h('h2', {}, 'Settings'), h('label', { class: 'inline' }, onlyDiff, 'only the differences')), h('div', { class: 'table-scroll' }, table)),
    ),
    h('div', { id: 'status', role: 'status' }),
  );
  fillTerms();
  fillChips();
  fillTable();
  draw();

  poll(
    async () => {
      for (const r of runs) {
        r.detail = await runDetail(r.name);
        if (r.detail.metricsBytes !== r.bytes) {
          r.bytes = r.detail.metricsBytes;
          r.records = r.bytes > 0 ? (await runMetrics(r.name)).records : [];
        }
      }
      fillTerms();
      fillChips();
      draw();
    },
    2000,
    (e) => setStatus(errorText(e), 'error'),
  );
}
