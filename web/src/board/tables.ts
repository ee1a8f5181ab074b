/** A run's manifest.json as tables (never as raw JSON): the run, its data, the model's config, the training options. */
import { h } from '../lib/dom.js';
import { cell } from '../lib/format.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields of `obj` as [key, value] rows, nested objects as dotted keys (`best.metric`). */
export function flatten(obj: unknown, prefix = ''): [string, unknown][] {
  if (!isObject(obj)) return prefix ? [[prefix, obj]] : [];
  return Object.entries(obj).flatMap(([k, v]) => (isObject(v) ? flatten(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v] as [string, unknown]]));
}

export function keyValueTable(rows: readonly [string, unknown][], id?: string): HTMLTableElement {
  return h('table', { class: 'kv', id }, h('tbody', {}, ...rows.map(([k, v]) => h('tr', { 'data-key': k }, h('th', {}, k), h('td', {}, cell(v))))));
}

/** What the manifest says, in four tables; fields the board does not know go to the first. */
export function manifestTables(manifest: Json): HTMLElement {
  const { config, data, options, ...run } = manifest;
  const runRows = flatten(run).map(([k, v]): [string, unknown] => (k === 'version' ? ['run format version', v] : [k, v]));
  const section = (title: string, rows: [string, unknown][], id: string): HTMLElement =>
    h('div', { class: 'kv-section' }, h('h3', {}, title), rows.length > 0 ? keyValueTable(rows, id) : h('p', { class: 'hint' }, 'not recorded'));
  return h(
    'div',
    { class: 'manifest', id: 'manifest' },
    section('Run', runRows, 'manifest-run'),
    section('Data', flatten(data), 'manifest-data'),
    section('Model', flatten(config), 'manifest-config'),
    section('Training', flatten(options), 'manifest-options'),
  );
}
