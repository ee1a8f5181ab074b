/**
 * The runs board: every run under the runs folder in one table — model, data, status, epoch and step, best metric,
 * a small loss curve, wall time, last update — refreshed every two seconds (new runs appear, running ones move).
 * Ticking two or more runs and pressing Compare opens the compare view.
 */
import type { RunSummary } from '../../../src/browser.js';
import { h } from '../lib/dom.js';
import { ago, duration, metric, wallTime } from '../lib/format.js';
import { poll } from '../lib/poll.js';
import { setStatus, errorText } from '../lib/shell.js';
import { comparePage, listRuns, runPage } from './api.js';
import { drawSparkline, sparkline, statusBadge } from './status.js';

const COLUMNS = ['', 'run', 'model', 'data', 'status', 'epoch', 'step', 'best', 'loss', 'wall time', 'updated'];

export async function mountBoard(main: HTMLElement): Promise<void> {
  const picked = new Set<string>();
  const compare = h('button', { class: 'primary', id: 'compare', disabled: true }, 'Compare');
  compare.addEventListener('click', () => void (location.href = comparePage([...picked])));
  const subtitle = h('p', { class: 'subtitle', id: 'board-dir' });
  const body = h('tbody');
  const table = h('table', { class: 'board', id: 'board' }, h('thead', {}, h('tr', {}, ...COLUMNS.map((c) => h('th', {}, c)))), body);
  const empty = h('div', { class: 'empty', id: 'board-empty', hidden: true });
  main.append(
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Runs'), subtitle), h('div', { class: 'head-actions' }, compare)),
    h('div', { class: 'card table-card' }, table, empty),
    h('div', { id: 'status', role: 'status' }),
  );
  const rows = new Map<string, HTMLTableRowElement>();

  const onPick = (name: string, on: boolean): void => {
    if (on) picked.add(name);
    else picked.delete(name);
    compare.disabled = picked.size < 2;
    compare.textContent = picked.size >= 2 ? `Compare ${picked.size} runs` : 'Compare';
  };

  const refresh = async (): Promise<void> => {
    const { dir, runs } = await listRuns();
    if (dir === null) {
      subtitle.textContent = 'no runs folder';
      showEmpty(empty, table, h('p', {}, 'This lab was started without a runs folder. Start it with your runs to see them here, live:'), h('pre', {}, 'genlab lab --runs runs'));
    } else if (runs.length === 0) {
      subtitle.textContent = `${dir} · no runs yet · refreshing live`;
      showEmpty(empty, table, h('p', {}, `No runs in ${dir} yet. Train one and it appears here while it trains:`), h('pre', {}, `genlab train vae --data mnist --epochs 2 --out ${dir}/a`));
    } else {
      const running = runs.filter((r) => r.status === 'running').length;
      subtitle.textContent = `${dir} · ${runs.length} run${runs.length === 1 ? '' : 's'}${running ? ` · ${running} running` : ''} · refreshing live`;
      empty.hidden = true;
      table.hidden = false;
    }
    for (const [name, row] of rows) {
      if (!runs.some((r) => r.name === name)) {
        row.remove();
        rows.delete(name);
        onPick(name, false);
      }
    }
    runs.forEach((run, i) => {
      let row = rows.get(run.name);
      if (!row) {
        row = newRow(run, onPick);
        rows.set(run.name, row);
      }
      fillRow(row, run);
      if (body.children[i] !== row) body.insertBefore(row, body.children[i] ?? null);
    });
    table.dataset['runs'] = String(runs.length);
    setStatus('');
  };
  await refresh().catch((e: unknown) => setStatus(errorText(e), 'error'));
  poll(refresh, 2000, (e) => setStatus(errorText(e), 'error'));
}

function showEmpty(empty: HTMLElement, table: HTMLElement, ...content: HTMLElement[]): void {
  empty.replaceChildren(...content);
  empty.hidden = false;
  table.hidden = true;
}

function newRow(run: RunSummary, onPick: (name: string, on: boolean) => void): HTMLTableRowElement {
  const box = h('input', { type: 'checkbox', 'aria-label': `compare ${run.name}` });
  box.addEventListener('change', () => onPick(run.name, box.checked));
  const row = h('tr', { 'data-run': run.name });
  row.append(h('td', {}, box), ...COLUMNS.slice(1).map((c) => h('td', { 'data-col': c })));
  row.querySelector('[data-col="run"]')!.append(h('a', { href: runPage(run.name) }, run.name));
  row.querySelector('[data-col="loss"]')!.append(sparkline(run.loss));
  return row;
}

function fillRow(row: HTMLTableRowElement, run: RunSummary): void {
  const set = (col: string, content: string | HTMLElement, title?: string): void => {
    const td = row.querySelector<HTMLElement>(`[data-col="${col}"]`)!;
    td.replaceChildren(content);
    if (title) td.title = title;
  };
  row.dataset['status'] = run.status;
  row.dataset['epoch'] = String(run.epoch);
  row.dataset['step'] = String(run.step);
  set('model', run.kind);
  set('data', run.data);
  set('status', statusBadge(run.status), run.error ?? run.problems.join('; '));
  set('epoch', run.epochs !== null ? `${run.epoch} / ${run.epochs}` : String(run.epoch));
  set('step', String(run.step));
  set('best', run.best ? `${run.best.metric} ${metric(run.best.value)} @ ${run.best.epoch}` : '—', run.best ? `${run.best.split} ${run.best.metric}, epoch ${run.best.epoch}` : undefined);
  drawSparkline(row.querySelector<HTMLCanvasElement>('[data-col="loss"] canvas')!, run.loss);
  set('wall time', duration(wallTime(run.created, run.updated, run.status === 'running')), `training time ${duration(run.time)} (evaluation and pictures aside)`);
  set('updated', ago(run.updated), run.updated ?? undefined);
}
