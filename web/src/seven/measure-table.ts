/**
 * The table of the one-pixel 7: one row per measure (grouped by the model behind it), a column per image, which of
 * the two copies the measure prefers, and its tally over the first test 7s. A group's rows can be marked live (their
 * model is training in the page): its header says so and its tally is kept apart from the shipped one.
 *
 * State for the browser test: tr[data-measure][data-prefers][data-live], td[data-image][data-value],
 * td.tally[data-wins][data-ties][data-count][data-model].
 */
import { fmt, h } from '../lib/dom.js';
import { preferred, type MeasureName, type Measures } from './measures.js';

export type ImageName = 'original' | 'extended' | 'stray';
export const IMAGES: ImageName[] = ['original', 'extended', 'stray'];

export interface Row {
  name: MeasureName;
  label: string;
  hint: string;
  digits: number;
}

export type GroupId = 'pixels' | 'vae' | 'discriminator' | 'classifier';

export interface Group {
  id: GroupId;
  title: string;
  rows: Row[];
}

export const GROUPS: Group[] = [
  { id: 'pixels', title: 'Pixels', rows: [{ name: 'pixelLoss', label: 'pixel loss Σ (x − x₇)²', hint: 'the squared error against the real 7: what a reconstruction loss measured pixel by pixel sees', digits: 4 }] },
  {
    id: 'vae',
    title: 'VAE (mnist-vae2d, 2-D code)',
    rows: [
      { name: 'logPx', label: 'log p(x)', hint: 'importance-sampled with 1000 samples of q(z|x), nats; higher = more likely', digits: 2 },
      { name: 'elbo', label: 'ELBO', hint: 'the lower bound the VAE was trained on, nats', digits: 2 },
    ],
  },
  {
    id: 'discriminator',
    title: 'Discriminator (mnist-dcgan)',
    rows: [
      { name: 'discriminator', label: 'D(x) = P(real)', hint: 'the DCGAN discriminator’s verdict', digits: 4 },
      { name: 'featureDistance', label: 'feature distance', hint: '‖f(x) − f(x₇)‖ in D’s last hidden layer (7 × 7 × 64 features), the VAE-GAN’s reconstruction measure', digits: 3 },
      { name: 'standardisedDistance', label: 'feature distance, standardised', hint: 'the same with each feature in units of its spread over 2000 real test digits', digits: 2 },
    ],
  },
  {
    id: 'classifier',
    title: 'Classifier (assets/mnist-classifier)',
    rows: [
      { name: 'pSeven', label: 'p(7 | x)', hint: 'the classifier’s confidence that x is a 7', digits: 6 },
      { name: 'logOddsSeven', label: 'log-odds of 7', hint: 'log p(7|x) − log p(not 7|x), from the logits: it still differs where p(7) rounds to 1', digits: 3 },
      { name: 'classifierDistance', label: 'feature distance', hint: '‖φ(x) − φ(x₇)‖ in the classifier’s 128 penultimate features (the FID space)', digits: 3 },
    ],
  },
];
export const ROWS = GROUPS.flatMap((g) => g.rows);
export const rowsOf = (id: GroupId): Row[] => GROUPS.find((g) => g.id === id)!.rows;

/** Per measure: on how many 7s it preferred the stroke, how many ties, out of how many 7s. */
export type Tally = Map<MeasureName, { wins: number; ties: number; count: number }>;

/** Adds one 7's comparison of the two copies to `tally`, for `rows`. */
export function countSeven(tally: Tally, rows: readonly Row[], extended: Measures, stray: Measures): void {
  for (const row of rows) {
    const t = tally.get(row.name) ?? { wins: 0, ties: 0, count: 0 };
    const w = preferred(row.name, extended[row.name], stray[row.name]);
    tally.set(row.name, { wins: t.wins + (w === 0 ? 1 : 0), ties: t.ties + (w === null ? 1 : 0), count: t.count + 1 });
  }
}

export class MeasureTable {
  private readonly cells = new Map<string, HTMLTableCellElement>();
  private readonly prefersCells = new Map<MeasureName, HTMLTableCellElement>();
  private readonly tallyCells = new Map<MeasureName, HTMLTableCellElement>();
  private readonly rowElements = new Map<MeasureName, HTMLTableRowElement>();
  private readonly groupHeads = new Map<GroupId, HTMLTableCellElement>();

  constructor(table: HTMLTableElement, tallySevens: number) {
    const head = h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'measure'), h('th', {}, 'real 7'), h('th', {}, 'stroke extended'), h('th', {}, 'stray pixel'), h('th', {}, 'prefers'), h('th', { title: `over the first ${tallySevens} 7s of the test set` }, `first ${tallySevens} 7s`)),
    );
    const body = h('tbody');
    for (const group of GROUPS) {
      const title = h('th', { colspan: 6 }, group.title);
      this.groupHeads.set(group.id, title);
      body.append(h('tr', { class: 'group', 'data-group': group.id }, title));
      for (const row of group.rows) {
        const tr = h('tr', { 'data-measure': row.name }, h('td', { title: row.hint }, row.label));
        for (const image of IMAGES) {
          const td = h('td', { 'data-image': image, class: 'num' }, '…');
          this.cells.set(`${row.name}/${image}`, td);
          tr.append(td);
        }
        const prefers = h('td', { class: 'prefers' }, '…');
        const tally = h('td', { class: 'num tally' }, '…');
        this.prefersCells.set(row.name, prefers);
        this.tallyCells.set(row.name, tally);
        this.rowElements.set(row.name, tr);
        tr.append(prefers, tally);
        body.append(tr);
      }
    }
    table.replaceChildren(head, body);
  }

  /** The values of the three images (original, extended, stray) and which copy each measure prefers. */
  show(values: Measures[]): void {
    for (const row of ROWS) {
      IMAGES.forEach((image, i) => {
        const td = this.cells.get(`${row.name}/${image}`)!;
        const v = values[i]![row.name];
        td.textContent = fmt(v, row.digits);
        td.dataset['value'] = String(v);
      });
      const winner = preferred(row.name, values[1]![row.name], values[2]![row.name]);
      const prefers = winner === null ? 'tie' : winner === 0 ? 'extended' : 'stray';
      const td = this.prefersCells.get(row.name)!;
      td.textContent = winner === null ? 'cannot tell' : winner === 0 ? 'stroke' : 'stray pixel';
      td.dataset['prefers'] = prefers;
      this.rowElements.get(row.name)!.dataset['prefers'] = prefers;
    }
  }

  /** The tally of `rows`; `model` says whose ('shipped' or 'live'), `note` follows the count. */
  showTally(tally: Tally, rows: readonly Row[], model: 'shipped' | 'live', note = ''): void {
    for (const row of rows) {
      const t = tally.get(row.name);
      if (!t) continue;
      const td = this.tallyCells.get(row.name)!;
      td.textContent = `${t.ties === t.count ? 'always equal' : `stroke ${t.wins}/${t.count}`}${note}`;
      Object.assign(td.dataset, { wins: String(t.wins), ties: String(t.ties), count: String(t.count), model });
    }
  }

  /** Tally cells of `rows` waiting for a new count (their model changed). */
  clearTally(rows: readonly Row[], text: string): void {
    for (const row of rows) {
      const td = this.tallyCells.get(row.name)!;
      td.textContent = text;
      for (const key of ['wins', 'ties', 'count', 'model']) delete td.dataset[key];
    }
  }

  /** Marks group `id` as live under `title`, or (title null) back to its shipped model. */
  markLive(id: GroupId, title: string | null): void {
    const group = GROUPS.find((g) => g.id === id)!;
    const head = this.groupHeads.get(id)!;
    head.textContent = title ?? group.title;
    head.parentElement!.toggleAttribute('data-live', title !== null);
    for (const row of group.rows) this.rowElements.get(row.name)!.toggleAttribute('data-live', title !== null);
  }
}
