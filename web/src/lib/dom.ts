/** Tiny DOM helpers: an element builder and typed look-ups. */

type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;
type Child = Node | string | number | null | undefined | false;

/** `h('button', { class: 'primary', onclick: go }, 'Step')`: attributes, `on…` listeners, children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value as EventListener);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'object' ? c : String(c));
  return el;
}

/** A whole-number input with its bounds and an accessible label. */
export const numberInput = (id: string, value: number, min: number, max: number, label: string): HTMLInputElement =>
  h('input', { type: 'number', id, value, min, max, step: 1, 'aria-label': label });

/** An input's value as a whole number, or `fallback` when it is not one. */
export function intOf(input: HTMLInputElement, fallback: number): number {
  const v = Number(input.value);
  return Number.isInteger(v) ? v : fallback;
}

/** The element with this id, of the expected type; throws (a page bug) when it is missing. */
export function byId<T extends HTMLElement = HTMLElement>(id: string, type?: new () => T): T {
  const el = document.getElementById(id);
  if (!el || (type && !(el instanceof type))) throw new Error(`page: no element #${id}${type ? ` of type ${type.name}` : ''}`);
  return el as T;
}

/** Formats a number for a readout: fixed decimals, a true minus sign, and "—" for non-finite values. */
export function fmt(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return '—';
  return v.toFixed(digits).replace('-', '−');
}
