/**
 * The one-pixel 7 (§3): a real test "7" and two copies with one pixel changed — one continuing the stroke, one a
 * stray pixel far from it (seven/stroke.ts finds both from the image alone) — and a table of what each measure
 * says about them (seven/measures.ts): the pixel loss (equal by construction), the shipped VAE's log p(x) and ELBO
 * (mnist-vae2d), the shipped DCGAN's discriminator and the distance in its features (mnist-dcgan), and the MNIST
 * classifier's confidence and features (assets/mnist-classifier). Clicking a pixel of a copy toggles it and every
 * number is measured again; the same comparison over the first test 7s says how typical the one shown is.
 *
 * State for the browser test: #figure's data attributes (index of the test digit, `version` of the last
 * measurement, live `tensors` after it, `tally` when the tally is done) and the table's rows
 * (tr[data-measure][data-prefers], td[data-image][data-value]).
 */
import { openMnistClassifier, tf, type Dataset } from '../../src/browser.js';
import { byId, fmt, h } from './lib/dom.js';
import { classifierUrl, fetchDataset, openShippedModel, startEngine } from './lib/lecture.js';
import { errorText, markReady, mountHeader, setStatus } from './lib/shell.js';
import { featureSpread, hasDiscriminatorFeatures, measureAll, preferred, type MeasureName, type Measures, type SevenModels } from './seven/measures.js';
import { drawDigit, pixelAt } from './seven/digit-canvas.js';
import { onePixelCopies, SIDE, ON } from './seven/stroke.js';

mountHeader('seven.html');

const ui = {
  figure: byId('figure'),
  canvases: { original: byId('img-original', HTMLCanvasElement), extended: byId('img-extended', HTMLCanvasElement), stray: byId('img-stray', HTMLCanvasElement) },
  captions: { original: byId('cap-original'), extended: byId('cap-extended'), stray: byId('cap-stray') },
  table: byId('measures', HTMLTableElement),
  another: byId('another', HTMLButtonElement),
  reset: byId('reset', HTMLButtonElement),
  which: byId('which'),
  tallyNote: byId('tally-note'),
  backend: byId('backend'),
};

type ImageName = 'original' | 'extended' | 'stray';
const IMAGES: ImageName[] = ['original', 'extended', 'stray'];
/** Reference digits for the spread of D's features: test examples 5000–6999 (none of the 7s the tally uses). */
const REFERENCE = { from: 5000, count: 2000 };
/** How many test 7s the tally compares the two copies on. */
const TALLY_SEVENS = 40;

interface Row {
  name: MeasureName;
  label: string;
  hint: string;
  digits: number;
}

const GROUPS: { title: string; rows: Row[] }[] = [
  { title: 'Pixels', rows: [{ name: 'pixelLoss', label: 'pixel loss Σ (x − x₇)²', hint: 'the squared error against the real 7: what a reconstruction loss measured pixel by pixel sees', digits: 4 }] },
  {
    title: 'VAE (mnist-vae2d, 2-D code)',
    rows: [
      { name: 'logPx', label: 'log p(x)', hint: 'importance-sampled with 1000 samples of q(z|x), nats; higher = more likely', digits: 2 },
      { name: 'elbo', label: 'ELBO', hint: 'the lower bound the VAE was trained on, nats', digits: 2 },
    ],
  },
  {
    title: 'Discriminator (mnist-dcgan)',
    rows: [
      { name: 'discriminator', label: 'D(x) = P(real)', hint: 'the DCGAN discriminator’s verdict', digits: 4 },
      { name: 'featureDistance', label: 'feature distance', hint: '‖f(x) − f(x₇)‖ in D’s last hidden layer (7 × 7 × 64 features), the VAE-GAN’s reconstruction measure', digits: 3 },
      { name: 'standardisedDistance', label: 'feature distance, standardised', hint: 'the same with each feature in units of its spread over 2000 real test digits', digits: 2 },
    ],
  },
  {
    title: 'Classifier (assets/mnist-classifier)',
    rows: [
      { name: 'pSeven', label: 'p(7 | x)', hint: 'the classifier’s confidence that x is a 7', digits: 6 },
      { name: 'logOddsSeven', label: 'log-odds of 7', hint: 'log p(7|x) − log p(not 7|x), from the logits: it still differs where p(7) rounds to 1', digits: 3 },
      { name: 'classifierDistance', label: 'feature distance', hint: '‖φ(x) − φ(x₇)‖ in the classifier’s 128 penultimate features (the FID space)', digits: 3 },
    ],
  },
];
const ROWS = GROUPS.flatMap((g) => g.rows);

let models: SevenModels | null = null;
let test: Dataset | null = null;
let sevens: number[] = [];
let sevenAt = 0;
const images: Record<ImageName, Float32Array> = { original: new Float32Array(SIDE * SIDE), extended: new Float32Array(SIDE * SIDE), stray: new Float32Array(SIDE * SIDE) };
let version = 0;

// ---- the table ----

const cells = new Map<string, HTMLTableCellElement>();
const prefersCells = new Map<MeasureName, HTMLTableCellElement>();
const tallyCells = new Map<MeasureName, HTMLTableCellElement>();

function buildTable(): void {
  const head = h('thead', {}, h('tr', {}, h('th', {}, 'measure'), h('th', {}, 'real 7'), h('th', {}, 'stroke extended'), h('th', {}, 'stray pixel'), h('th', {}, 'prefers'), h('th', { title: `over the first ${TALLY_SEVENS} 7s of the test set` }, `first ${TALLY_SEVENS} 7s`)));
  const body = h('tbody');
  for (const group of GROUPS) {
    body.append(h('tr', { class: 'group' }, h('th', { colspan: 6 }, group.title)));
    for (const row of group.rows) {
      const tr = h('tr', { 'data-measure': row.name }, h('td', { title: row.hint }, row.label));
      for (const image of IMAGES) {
        const td = h('td', { 'data-image': image, class: 'num' }, '…');
        cells.set(`${row.name}/${image}`, td);
        tr.append(td);
      }
      const prefers = h('td', { class: 'prefers' }, '…');
      const tally = h('td', { class: 'num tally' }, '…');
      prefersCells.set(row.name, prefers);
      tallyCells.set(row.name, tally);
      tr.append(prefers, tally);
      body.append(tr);
    }
  }
  ui.table.replaceChildren(head, body);
}

function showMeasures(values: Measures[]): void {
  for (const row of ROWS) {
    IMAGES.forEach((image, i) => {
      const td = cells.get(`${row.name}/${image}`)!;
      const v = values[i]![row.name];
      td.textContent = fmt(v, row.digits);
      td.dataset['value'] = String(v);
    });
    const winner = preferred(row.name, values[1]![row.name], values[2]![row.name]);
    const prefers = winner === null ? 'tie' : winner === 0 ? 'extended' : 'stray';
    const td = prefersCells.get(row.name)!;
    td.textContent = winner === null ? 'cannot tell' : winner === 0 ? 'stroke' : 'stray pixel';
    td.dataset['prefers'] = prefers;
    td.parentElement!.dataset['prefers'] = prefers;
  }
}

// ---- the images ----

function describeEdit(name: ImageName): string {
  const changed: string[] = [];
  for (let i = 0; i < SIDE * SIDE; i++) {
    if (images[name][i] !== images.original[i]) changed.push(`(${Math.floor(i / SIDE)}, ${i % SIDE})`);
  }
  if (changed.length === 0) return 'no pixel changed';
  return `${changed.length} pixel${changed.length > 1 ? 's' : ''} changed: ${changed.slice(0, 3).join(' ')}${changed.length > 3 ? ' …' : ''}`;
}

function drawImages(): void {
  for (const name of IMAGES) drawDigit(ui.canvases[name], images[name], name === 'original' ? null : images.original);
  ui.captions.original.textContent = `test digit #${sevens[sevenAt] ?? '?'}`;
  ui.captions.extended.textContent = describeEdit('extended');
  ui.captions.stray.textContent = describeEdit('stray');
}

// ---- measuring, latest wins ----

let measuring = false;
let stale = false;

async function measure(): Promise<void> {
  if (!models) return;
  if (measuring) {
    stale = true;
    return;
  }
  measuring = true;
  try {
    do {
      stale = false;
      const values = await measureAll(models, images.original, IMAGES.map((n) => Float32Array.from(images[n])));
      if (!stale) {
        showMeasures(values);
        version += 1;
        ui.figure.dataset['version'] = String(version);
        ui.figure.dataset['tensors'] = String(tf.memory().numTensors);
      }
    } while (stale);
  } catch (e) {
    setStatus(errorText(e), 'error');
  } finally {
    measuring = false;
  }
}

/** The test digit at `index` as a 784-vector. */
function testDigit(index: number): Float32Array {
  return test!.data.slice(index * SIDE * SIDE, (index + 1) * SIDE * SIDE);
}

function pickSeven(at: number): void {
  // Skip 7s whose stroke has no end to extend (a closed loop), which are rare.
  for (let tries = 0; tries < sevens.length; tries++) {
    const index = sevens[(at + tries) % sevens.length]!;
    const copies = onePixelCopies(testDigit(index));
    if (!copies) continue;
    sevenAt = (at + tries) % sevens.length;
    images.original = testDigit(index);
    images.extended = copies.extended;
    images.stray = copies.stray;
    ui.figure.dataset['index'] = String(index);
    ui.which.textContent = `Test digit #${index}: the ${ordinal(sevenAt + 1)} of the ${sevens.length} sevens in MNIST’s test set.`;
    drawImages();
    void measure();
    return;
  }
  throw new Error('no 7 in the test set has a stroke end to extend');
}

const ordinal = (n: number): string => `${n}${[11, 12, 13].includes(n % 100) ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;

function togglePixel(name: ImageName, e: MouseEvent): void {
  const index = pixelAt(ui.canvases[name], e);
  if (index === null) return;
  const copy = images[name];
  copy[index] = copy[index]! >= ON ? 0 : 1;
  drawImages();
  void measure();
}

// ---- how typical is this 7? ----

async function tally(): Promise<void> {
  if (!models) return;
  const wins = new Map<MeasureName, number>(ROWS.map((r) => [r.name, 0]));
  const ties = new Map<MeasureName, number>(ROWS.map((r) => [r.name, 0]));
  let counted = 0;
  for (const index of sevens.slice(0, TALLY_SEVENS)) {
    const original = testDigit(index);
    const copies = onePixelCopies(original);
    if (!copies) continue;
    const [ext, stray] = await measureAll(models, original, [copies.extended, copies.stray]);
    counted += 1;
    for (const row of ROWS) {
      const w = preferred(row.name, ext![row.name], stray![row.name]);
      if (w === 0) wins.set(row.name, wins.get(row.name)! + 1);
      if (w === null) ties.set(row.name, ties.get(row.name)! + 1);
    }
    ui.tallyNote.textContent = `Comparing the two copies on the first ${TALLY_SEVENS} test 7s… ${counted}`;
  }
  for (const row of ROWS) {
    const td = tallyCells.get(row.name)!;
    const t = ties.get(row.name)!;
    td.textContent = t === counted ? 'always equal' : `stroke ${wins.get(row.name)}/${counted}`;
    td.dataset['wins'] = String(wins.get(row.name));
    td.dataset['ties'] = String(t);
    td.dataset['count'] = String(counted);
  }
  ui.tallyNote.textContent = `Last column: on how many of the first ${counted} test 7s each measure prefers the stroke-extended copy (same construction for each).`;
  ui.figure.dataset['tally'] = String(counted);
}

// ---- start ----

buildTable();
for (const name of ['extended', 'stray'] as const) ui.canvases[name].addEventListener('click', (e) => togglePixel(name, e));
ui.another.addEventListener('click', () => pickSeven(sevenAt + 1));
ui.reset.addEventListener('click', () => pickSeven(sevenAt));

try {
  // wasm by default: small conv nets and one 2-D VAE, measured a few images at a time (?backend= picks another).
  const engine = await startEngine('wasm');
  ui.backend.textContent = `TensorFlow.js backend: ${engine.backend} (?backend= in the URL picks another)`;
  setStatus('Opening the shipped VAE, DCGAN and classifier, and the test digits…');
  const [vae, gan, classifier, digits] = await Promise.all([openShippedModel('mnist-vae2d'), openShippedModel('mnist-dcgan'), openMnistClassifier(classifierUrl()), fetchDataset('mnist', { split: 'test' })]);
  if (!hasDiscriminatorFeatures(gan.model)) throw new Error(`mnist-dcgan: expected a GAN with a discriminator, got a ${gan.model.kind} model`);
  test = digits;
  const labels = digits.labels?.kind === 'class' ? digits.labels.values : null;
  if (!labels) throw new Error('MNIST test digits without labels');
  sevens = [...labels.keys()].filter((i) => labels[i] === 7);
  const reference = digits.data.slice(REFERENCE.from * SIDE * SIDE, (REFERENCE.from + REFERENCE.count) * SIDE * SIDE);
  models = { vae: vae.model, gan: gan.model, classifier, inverseSpread: await featureSpread(gan.model, reference, REFERENCE.count) };
  pickSeven(0);
  setStatus('Click any pixel of a copy to toggle it; every number is measured again.');
  markReady();
  void tally().catch((e: unknown) => setStatus(errorText(e), 'error'));
} catch (e) {
  setStatus(errorText(e), 'error');
  ui.another.disabled = true;
  ui.reset.disabled = true;
  markReady();
}
