/**
 * The runs board (`genlab lab --runs DIR`): runs.html shows every run under DIR, live; `?run=NAME` one run's page;
 * `?compare=A&compare=B` runs side by side. The views live in board/.
 */
import { byId, h } from './lib/dom.js';
import { errorText, markReady, mountHeader } from './lib/shell.js';
import { mountBoard } from './board/board-view.js';
import { mountCompare } from './board/compare-view.js';
import { mountRun } from './board/run-view.js';

mountHeader('runs.html');
const query = new URLSearchParams(location.search);
const main = byId('board-main');
const run = query.get('run');
const compared = query.getAll('compare');
try {
  if (run !== null) await mountRun(main, run);
  else if (compared.length > 0) await mountCompare(main, compared);
  else await mountBoard(main);
} catch (e) {
  main.append(h('div', { class: 'card empty', id: 'status', 'data-kind': 'error' }, errorText(e)));
}
markReady();
