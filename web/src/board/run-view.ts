/**
 * A run's page: its header (status, epoch and step, best, time), every logged term charted (train and test, against
 * epochs or steps, smoothing, linear/log, hover values) with the metrics as CSV, the per-epoch pictures on a
 * timeline, its saved model opened in the browser, the command line that trains it again and its manifest as
 * tables. Everything refreshes every two seconds while the run is written; the model re-opens when the run ends.
 */
import { metricsCsv, type MetricsRecord, type RunDetail } from '../../../src/browser.js';
import { h } from '../lib/dom.js';
import { ago, duration, metric, wallTime } from '../lib/format.js';
import { poll } from '../lib/poll.js';
import { errorText, setStatus } from '../lib/shell.js';
import { runDetail, runMetrics } from './api.js';
import { ModelPanel } from './model-panel.js';
import { statusBadge } from './status.js';
import { manifestTables } from './tables.js';
import { chartControls, TermCharts, type ChartView } from './term-charts.js';
import { Timeline } from './timeline.js';

export async function mountRun(main: HTMLElement, name: string): Promise<void> {
  let detail: RunDetail;
  try {
    detail = await runDetail(name);
  } catch (e) {
    main.append(h('div', { class: 'page-head' }, h('div', {}, h('p', { class: 'crumbs' }, h('a', { href: 'runs.html' }, 'Runs')), h('h1', {}, name))), h('div', { class: 'card empty' }, errorText(e)));
    return;
  }
  const head = h('div', { class: 'run-head' });
  const view: ChartView = { smoothing: 0, logY: false, x: 'epoch' };
  const chartsBox = h('div');
  const charts = new TermCharts(chartsBox, view);
  const csv = h('a', { id: 'metrics-csv', class: 'button-link', download: `${name.replace(/\W+/g, '-')}-metrics.csv` }, 'Download metrics (CSV)');
  const partial = h('span', { class: 'hint', id: 'metrics-note' });
  const timeline = new Timeline(name);
  const noPictures = h('p', { class: 'hint' }, 'No pictures yet: genlab train writes samples/ (and recon/ for autoencoders on images) at the end of every epoch.');
  const model = new ModelPanel(name, detail);
  const command = h('pre', { id: 'command', class: 'command' });
  const copy = h('button', { type: 'button', id: 'copy-command' }, 'Copy');
  copy.addEventListener('click', () => void navigator.clipboard?.writeText(command.textContent ?? '').then(() => (copy.textContent = 'Copied'), () => {}));
  const manifest = h('div');
  const root = h('div', { id: 'run', 'data-run': name });

  root.append(
    head,
    h('nav', { class: 'section-nav' }, h('a', { href: '#curves' }, 'Curves'), h('a', { href: '#pictures' }, 'Pictures'), h('a', { href: '#model-section' }, 'Model'), h('a', { href: '#config' }, 'Config')),
    h('section', { class: 'card', id: 'curves' }, h('div', { class: 'section-head' }, h('h2', {}, 'Curves'), h('div', { class: 'head-actions' }, partial, csv)), chartControls(view, () => charts.redraw()), chartsBox),
    h('section', { class: 'card', id: 'pictures' }, h('h2', {}, 'Samples and reconstructions, epoch by epoch'), timeline.root, noPictures),
    h('section', { class: 'card', id: 'model-section' }, h('h2', {}, 'The model in your browser'), model.root),
    h('section', { class: 'card', id: 'config' }, h('div', { class: 'section-head' }, h('h2', {}, 'Train it again'), copy), command, h('h2', {}, 'Manifest'), manifest),
  );
  main.append(root, h('div', { id: 'status', role: 'status' }));

  let records: MetricsRecord[] = [];
  let metricsBytes = -1;
  let csvUrl: string | null = null;
  let modelKey = '';
  let shownManifest = '';

  const show = async (d: RunDetail): Promise<void> => {
    detail = d;
    const s = d.summary;
    root.dataset['status'] = s.status;
    root.dataset['epoch'] = String(s.epoch);
    head.replaceChildren(
      h('p', { class: 'crumbs' }, h('a', { href: 'runs.html' }, 'Runs'), ' / ', name),
      h('div', { class: 'title-row' }, h('h1', {}, name), statusBadge(s.status), h('span', { class: 'tag' }, s.kind), h('span', { class: 'tag' }, s.data)),
      h(
        'div',
        { class: 'stats wide' },
        stat('epoch', s.epochs !== null ? `${s.epoch} / ${s.epochs}` : String(s.epoch)),
        stat('step', String(s.step)),
        stat('best', s.best ? `${metric(s.best.value)}` : '—', s.best ? `${s.best.split} ${s.best.metric}, epoch ${s.best.epoch}` : undefined),
        stat('wall time', duration(wallTime(s.created, s.updated, s.status === 'running')), `training time ${duration(s.time)}`),
        stat('updated', ago(s.updated), s.updated ?? undefined),
      ),
      ...(s.error ? [h('p', { class: 'run-error' }, `failed: ${s.error}`)] : []),
      ...s.problems.map((p) => h('p', { class: 'hint' }, p)),
    );
    if (d.metricsBytes !== metricsBytes) {
      metricsBytes = d.metricsBytes;
      const parsed = d.metricsBytes > 0 ? await runMetrics(name) : { records: [], badLines: [], partial: false };
      records = parsed.records;
      root.dataset['records'] = String(records.length);
      partial.textContent = parsed.partial ? 'a line is being written' : parsed.badLines.length > 0 ? `${parsed.badLines.length} malformed line(s) skipped` : '';
      charts.setBest(s.best);
      charts.update(records);
      if (csvUrl) URL.revokeObjectURL(csvUrl);
      csvUrl = URL.createObjectURL(new Blob([metricsCsv(records)], { type: 'text/csv' }));
      csv.href = csvUrl;
      csv.hidden = records.length === 0;
    }
    noPictures.hidden = timeline.update(d.images);
    timeline.root.hidden = !noPictures.hidden;
    command.textContent = d.command ?? 'The manifest does not say enough to rebuild the command line.';
    const json = JSON.stringify(d.manifest);
    if (json !== shownManifest) {
      shownManifest = json;
      manifest.replaceChildren(d.manifest ? manifestTables(d.manifest) : h('p', { class: 'hint' }, 'manifest.json cannot be read.'));
    }
    // Re-open the model when a newer one is there: the first checkpoint, then the final model when the run ends.
    const key = d.model ? `${d.model.path}:${d.model.final ? 'final' : s.epoch}` : '';
    if (key !== modelKey && (modelKey === '' || d.model?.final)) {
      modelKey = key;
      void model.open(d);
    }
  };

  await show(detail);
  poll(async () => show(await runDetail(name)), 2000, (e) => setStatus(errorText(e), 'error'));
}

function stat(k: string, v: string, title?: string): HTMLElement {
  return h('div', { class: 'stat', title }, h('div', { class: 'k' }, k), h('div', { class: 'v' }, v));
}
