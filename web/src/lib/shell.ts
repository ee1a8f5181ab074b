/**
 * What every page shares: the header (home link and the figures), the status line, and error reporting.
 * Errors the page catches (bad CSV, an ill-conditioned fit) are shown in the status line, not thrown: the console
 * stays clean, which the browser tests check.
 */
import { h } from './dom.js';
import { PAGES } from './pages.js';

/** Fills <header id="top"> with the lab's navigation (the figures, then the runs board); `current` is this page's file name. */
export function mountHeader(current: string): void {
  const header = document.getElementById('top');
  if (!header) return;
  const nav = h('nav', { 'aria-label': 'figures' });
  const link = (href: string, title: string, extra?: string): HTMLAnchorElement =>
    h('a', { href, class: [href === current ? 'current' : '', extra ?? ''].join(' ').trim() || undefined, 'aria-current': href === current ? 'page' : undefined }, title);
  for (const p of PAGES) nav.append(link(p.href, p.title));
  // The runs board is not a figure of the lecture: it sits apart, at the end.
  nav.append(link('runs.html', 'Runs', 'runs-link'));
  header.replaceChildren(h('a', { href: 'index.html', class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'genlab lab'), nav);
}

/** Shows a one-line message in the page's status line (#status); `kind` colours it. */
export function setStatus(text: string, kind: 'info' | 'error' | 'ok' = 'info'): void {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = text;
  el.dataset['kind'] = kind;
}

/**
 * Where a page's user sets what the library's messages name by the CLI's flag: in the browser, the engine's backend
 * is the URL's ?backend= (the engine names the flag, as its usual caller is the CLI).
 */
const IN_THE_BROWSER: readonly [RegExp, string][] = [[/^--backend:/, '?backend= in the URL:']];

/** The message of anything thrown, first line only (genlab's errors are one line already), in the page's terms. */
export function errorText(e: unknown): string {
  const m = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  return IN_THE_BROWSER.reduce((text, [flag, here]) => text.replace(flag, here), m);
}

/** Marks the page as ready (the browser tests wait for `body[data-ready]`). */
export function markReady(): void {
  document.body.dataset['ready'] = 'true';
}
