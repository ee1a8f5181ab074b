/**
 * The one-pixel 7 (§3): a real test "7" and two copies with one pixel changed — one continuing the stroke, one a
 * stray pixel far from it (seven/stroke.ts finds both from the image alone) — and a table of what each measure
 * says about them (seven/measures.ts, seven/measure-table.ts): the pixel loss (equal by construction), the shipped
 * VAE's log p(x) and ELBO (mnist-vae2d), the shipped DCGAN's discriminator and the distance in its features
 * (mnist-dcgan), and the MNIST classifier's confidence and features (assets/mnist-classifier). Clicking a pixel of a
 * copy toggles it and every number is measured again; the same comparison over the first test 7s says how typical
 * the one shown is. A fresh VAE of mnist-vae2d's configuration can train live (seven/live-model.ts, TrainStep a few
 * steps per frame): its rows of the table follow it about once a second, and its tally is counted when it stops.
 *
 * State for the browser test: #figure's data attributes (index of the test digit, `version` of the last
 * measurement, live `tensors` after it, `tally` when the shipped tally is done; `model` shipped or live,
 * `trainStep`, `trainLoss`, `liveTally` when a stopped live model's tally is done) and the table's rows (see
 * seven/measure-table.ts).
 */
import { openMnistClassifier, tf, type Dataset } from '../../src/browser.js';
import { byId, fmt } from './lib/dom.js';
import { classifierUrl, fetchDataset, openShippedModel, startEngine, type AssetInfo } from './lib/lecture.js';
import { Loop } from './lib/loop.js';
import { errorText, markReady, mountHeader, setStatus } from './lib/shell.js';
import { featureSpread, hasDiscriminatorFeatures, measureAll, type SevenModels } from './seven/measures.js';
import { countSeven, IMAGES, MeasureTable, rowsOf, ROWS, type ImageName, type Row, type Tally } from './seven/measure-table.js';
import { drawDigit, pixelAt } from './seven/digit-canvas.js';
import { LiveModel, trainFrame, wireTrainButton } from './lib/live-model.js';
import { onePixelCopies, SIDE, ON } from './seven/stroke.js';

mountHeader('seven.html');

const ui = {
  figure: byId('figure'),
  canvases: { original: byId('img-original', HTMLCanvasElement), extended: byId('img-extended', HTMLCanvasElement), stray: byId('img-stray', HTMLCanvasElement) },
  captions: { original: byId('cap-original'), extended: byId('cap-extended'), stray: byId('cap-stray') },
  another: byId('another', HTMLButtonElement),
  reset: byId('reset', HTMLButtonElement),
  which: byId('which'),
  tallyNote: byId('tally-note'),
  backend: byId('backend'),
  train: byId('train', HTMLButtonElement),
  shipped: byId('shipped', HTMLButtonElement),
  liveInfo: byId('live-info'),
  step: byId('t-step'),
  lossName: byId('t-loss-name'),
  loss: byId('t-loss'),
  terms: byId('t-terms'),
};

/** Reference digits for the spread of D's features: test examples 5000–6999 (none of the 7s the tally uses). */
const REFERENCE = { from: 5000, count: 2000 };
/** How many test 7s the tally compares the two copies on. */
const TALLY_SEVENS = 40;
/** Training digits of the live VAE (a seeded subset of MNIST's training split), its minibatch. */
const TRAIN_COUNT = 10000;
const TRAIN_BATCH = 100;
/** How often the live model's rows are measured again while it trains. */
const LIVE_MEASURE_MS = 1000;
/** The rows whose model trains live. */
const LIVE_ROWS = rowsOf('vae');

const table = new MeasureTable(byId('measures', HTMLTableElement), TALLY_SEVENS);

let shipped: SevenModels | null = null;
let vaeAsset: AssetInfo | null = null;
let live: LiveModel | null = null;
let test: Dataset | null = null;
let sevens: number[] = [];
let sevenAt = 0;
const images: Record<ImageName, Float32Array> = { original: new Float32Array(SIDE * SIDE), extended: new Float32Array(SIDE * SIDE), stray: new Float32Array(SIDE * SIDE) };
let version = 0;
let shippedTally: Tally | null = null;
/** Bumped whenever the live model starts, stops or goes: a tally of an older state stops counting. */
let liveGeneration = 0;
let lastLiveMeasure = 0;

/** The models behind the table now: the shipped ones, with the live VAE in place of the shipped one while there is one. */
const current = (): SevenModels | null => (shipped && live ? { ...shipped, vae: live.model } : shipped);

const setFigure = (key: string, value: string | number | null): void => {
  if (value === null) delete ui.figure.dataset[key];
  else ui.figure.dataset[key] = String(value);
};

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

/**
 * Every measure of the three images with the models of the moment. Through the training loop's `exclusive`: never
 * in the middle of a training step, and never with a live model that has been let go.
 */
async function measure(): Promise<void> {
  if (!shipped) return;
  if (measuring) {
    stale = true;
    return;
  }
  measuring = true;
  try {
    do {
      stale = false;
      const shown = IMAGES.map((n) => Float32Array.from(images[n]));
      const original = images.original;
      const values = await trainLoop.exclusive(() => measureAll(current()!, original, shown));
      if (!stale) {
        table.show(values);
        version += 1;
        setFigure('version', version);
        setFigure('tensors', tf.memory().numTensors);
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
    setFigure('index', index);
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

/**
 * The two copies compared by `models` on the first test 7s, for `rows`; null when `generation` is overtaken (the
 * live model started, stopped or went) before the count is done. `progress` hears the 7s counted so far.
 */
async function tally(models: SevenModels, rows: readonly Row[], generation: number | null, progress: (counted: number) => void): Promise<Tally | null> {
  const result: Tally = new Map();
  let counted = 0;
  for (const index of sevens.slice(0, TALLY_SEVENS)) {
    const original = testDigit(index);
    const copies = onePixelCopies(original);
    if (!copies) continue;
    const overtaken = (): boolean => generation !== null && generation !== liveGeneration;
    // A live model's tally waits its turn with the training steps (and stops before the model is let go).
    const measured = generation === null ? await measureAll(models, original, [copies.extended, copies.stray]) : await trainLoop.exclusive(() => (overtaken() ? null : measureAll(models, original, [copies.extended, copies.stray])));
    if (!measured || overtaken()) return null;
    countSeven(result, rows, measured[0]!, measured[1]!);
    counted += 1;
    progress(counted);
  }
  return result;
}

async function tallyShipped(): Promise<void> {
  const result = await tally(shipped!, ROWS, null, (n) => (ui.tallyNote.textContent = `Comparing the two copies on the first ${TALLY_SEVENS} test 7s… ${n}`));
  shippedTally = result!;
  // While a live VAE is in the table its rows keep their own tally; the shipped one waits for "back to shipped".
  table.showTally(shippedTally, live ? ROWS.filter((r) => !LIVE_ROWS.includes(r)) : ROWS, 'shipped');
  const counted = shippedTally.get('pixelLoss')?.count ?? 0;
  ui.tallyNote.textContent = `Last column: on how many of the first ${counted} test 7s each measure prefers the stroke-extended copy (same construction for each).`;
  setFigure('tally', counted);
}

async function tallyLive(): Promise<void> {
  if (!live || !shipped) return;
  const generation = liveGeneration;
  const step = live.step;
  const result = await tally({ ...shipped, vae: live.model }, LIVE_ROWS, generation, (n) => table.clearTally(LIVE_ROWS, `counting… ${n}`));
  if (!result) return;
  table.showTally(result, LIVE_ROWS, 'live', ` · step ${step}`);
  setFigure('liveTally', step);
  setStatus(`Stopped at step ${step}: its tally over the first ${TALLY_SEVENS} 7s is in the last column. Resume, or go back to the shipped VAE.`);
}

// ---- a fresh VAE trained live ----

function showLive(): void {
  setFigure('model', live ? 'live' : 'shipped');
  ui.shipped.disabled = live === null;
  if (live) {
    const epochs = (live.examples / TRAIN_COUNT).toFixed(1);
    table.markLive('vae', `VAE — live: a fresh one of mnist-vae2d’s configuration, step ${live.step} (${epochs} epochs)`);
    ui.liveInfo.textContent = `A fresh VAE of the shipped one’s configuration, trained here on ${TRAIN_COUNT.toLocaleString('en')} MNIST training digits: ${live.step} steps of ${TRAIN_BATCH} (${epochs} epochs). Its rows are measured again every second while it trains; its tally when it stops.`;
  } else {
    table.markLive('vae', null);
    ui.liveInfo.textContent = vaeAsset
      ? `The VAE rows come from the shipped mnist-vae2d, trained by \`${vaeAsset.command}\` in ${vaeAsset.trainSeconds} s. Train a fresh one of the same configuration here and watch when it starts to prefer the stroke.`
      : '';
  }
}

/** The terms worth a glance: the loss, the reconstruction and the KL term (each group's loss for several groups). */
const shownTerm = (name: string): boolean => ['loss', 'recon', 'kl'].includes(name) || name.endsWith('/loss');

function drawTraining(): void {
  const terms = live?.last ?? null;
  const names = terms ? Object.keys(terms).filter(shownTerm) : [];
  const main = names[0] ?? null;
  ui.step.textContent = live ? String(live.step) : '—';
  ui.lossName.textContent = main === 'loss' ? '−ELBO (nats)' : (main ?? 'loss');
  ui.loss.textContent = main && terms ? fmt(terms[main]!, 1) : '—';
  ui.terms.textContent = terms ? names.slice(1).map((n) => `${n} ${fmt(terms[n]!, 2)}`).join(' · ') : '';
  setFigure('trainStep', live?.step ?? 0);
  setFigure('trainLoss', main && terms ? terms[main]! : null);
  if (live && trainLoop.playing && performance.now() - lastLiveMeasure > LIVE_MEASURE_MS) {
    lastLiveMeasure = performance.now();
    showLive();
    void measure();
  }
}

function trainWork(): Promise<boolean> {
  return trainFrame(live);
}

const trainLoop = new Loop(trainWork, drawTraining, {
  budgetMs: 12,
  onChange: (playing) => {
    liveGeneration += 1;
    ui.train.textContent = playing ? 'Stop' : live ? 'Resume training' : 'Train a fresh VAE';
    if (playing) {
      table.clearTally(LIVE_ROWS, 'live: counted when stopped');
      setStatus('Training a fresh VAE: its rows of the table follow it every second.');
    } else if (live) {
      showLive();
      void measure();
      if (!live.error) setStatus(`Stopped at step ${live.step}: counting its verdicts on the first ${TALLY_SEVENS} 7s…`);
      void tallyLive().catch((e: unknown) => setStatus(errorText(e), 'error'));
    }
  },
  onError: (e) => setStatus(errorText(e), 'error'),
});

wireTrainButton(ui.train, trainLoop, {
  count: TRAIN_COUNT,
  ready: () => shipped !== null,
  live: () => live !== null,
  start: (digits) => {
    live = new LiveModel(shipped!.vae, digits, 0, TRAIN_BATCH);
    lastLiveMeasure = 0;
    showLive();
    drawTraining();
  },
});

ui.shipped.addEventListener('click', async () => {
  const leaving = live;
  live = null; // first: pausing then has no live model to refresh the page for
  trainLoop.pause();
  liveGeneration += 1;
  // Let go after the step or measurement in flight (if any) has finished with it.
  await trainLoop.exclusive(() => leaving?.dispose());
  ui.train.textContent = 'Train a fresh VAE';
  showLive();
  drawTraining();
  if (shippedTally) table.showTally(shippedTally, LIVE_ROWS, 'shipped');
  else table.clearTally(LIVE_ROWS, '…');
  setFigure('liveTally', null);
  await measure();
  setStatus('Back to the shipped VAE.');
});

// ---- start ----

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
  vaeAsset = vae.asset;
  const labels = digits.labels?.kind === 'class' ? digits.labels.values : null;
  if (!labels) throw new Error('MNIST test digits without labels');
  sevens = [...labels.keys()].filter((i) => labels[i] === 7);
  const reference = digits.data.slice(REFERENCE.from * SIDE * SIDE, (REFERENCE.from + REFERENCE.count) * SIDE * SIDE);
  shipped = { vae: vae.model, gan: gan.model, classifier, inverseSpread: await featureSpread(gan.model, reference, REFERENCE.count) };
  showLive();
  drawTraining();
  pickSeven(0);
  ui.train.disabled = false;
  setStatus('Click any pixel of a copy to toggle it; every number is measured again.');
  markReady();
  void tallyShipped().catch((e: unknown) => setStatus(errorText(e), 'error'));
} catch (e) {
  setStatus(errorText(e), 'error');
  for (const b of [ui.another, ui.reset, ui.train]) b.disabled = true;
  markReady();
}
