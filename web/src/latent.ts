/**
 * The latent space (§2, the VAE as an infinite GMM): the shipped VAE with a 2-D code on MNIST (assets/models/
 * mnist-vae2d), its decoded manifold, the test digits' codes over the prior's contours, any code decoded live under
 * the mouse, a digit drawn with the mouse encoded, reconstructed and scored (log p(x) by importance sampling, ELBO and
 * its two terms), a GMM fitted by EM to the same codes, and a fresh VAE trained live through TrainStep.
 *
 * The page shows its state as #figure's data attributes (model, crosshair, drawn code and log p(x), GMM iterations and
 * log-likelihoods, training step, live tensors), which the browser test reads.
 */
import { can, perExampleLikelihood, tf, type Dataset, type PerExample, type VAE } from '../../src/browser.js';
import { LineChart } from './lib/chart.js';
import { componentRgb, LECTURE, rgb } from './lib/colors.js';
import { byId, fmt, h } from './lib/dom.js';
import { drawImageGrid } from './lib/image-grid.js';
import { fetchDataset, openShippedModel, startEngine, type AssetInfo } from './lib/lecture.js';
import { Loop } from './lib/loop.js';
import { Plane } from './lib/plane.js';
import { errorText, markReady, mountHeader, setStatus } from './lib/shell.js';
import { drawCodePlane, planeHalfWidth } from './latent/code-plane.js';
import { CodeMixture, priorLogLikelihood } from './latent/code-mixture.js';
import { LiveModel, trainFrame, wireTrainButton } from './lib/live-model.js';
import { decodeCodes, gridAxis, gridCodes, type GridSpacing } from './latent/manifold.js';
import { SketchPad } from './latent/sketch-pad.js';

mountHeader('latent.html');

const ui = {
  figure: byId('figure'),
  plane: byId('plane', HTMLCanvasElement),
  legend: byId('legend'),
  decoded: byId('decoded', HTMLCanvasElement),
  zValue: byId('z-value'),
  zPrior: byId('z-prior'),
  modelInfo: byId('model-info'),
  train: byId('train', HTMLButtonElement),
  shipped: byId('shipped', HTMLButtonElement),
  tStep: byId('t-step'),
  tLoss: byId('t-loss'),
  tRecon: byId('t-recon'),
  tKl: byId('t-kl'),
  backend: byId('backend'),
  manifold: byId('manifold', HTMLCanvasElement),
  gridSize: byId('grid-size', HTMLSelectElement),
  gridSpacing: byId('grid-spacing', HTMLSelectElement),
  pad: byId('pad', HTMLCanvasElement),
  padClear: byId('pad-clear', HTMLButtonElement),
  padTest: byId('pad-test', HTMLButtonElement),
  padInput: byId('pad-input', HTMLCanvasElement),
  padRecon: byId('pad-recon', HTMLCanvasElement),
  typical: byId('typical', HTMLCanvasElement),
  typicalRecon: byId('typical-recon', HTMLCanvasElement),
  meanHead: byId('mean-head'),
  kSamples: byId('k-samples'),
  gmmChart: byId('gmm-chart', HTMLCanvasElement),
  gmmK: byId('gmm-k', HTMLInputElement),
  gmmKValue: byId('gmm-k-value'),
  gmmShow: byId('gmm-show', HTMLInputElement),
  gmmFit: byId('gmm-fit', HTMLButtonElement),
  gmmSeed: byId('gmm-seed', HTMLButtonElement),
  gmmIter: byId('gmm-iter'),
  gmmLl: byId('gmm-ll'),
  priorLl: byId('prior-ll'),
  gmmSeedValue: byId('gmm-seed-value'),
};

/** Test digits encoded on the plane (a seeded subset of the 10,000). */
const TEST_COUNT = 3000;
const TEST_SEED = 1;
/** Training digits for the live VAE. */
const TRAIN_COUNT = 10000;
/** Digits per live training step. */
const LIVE_BATCH = 100;
/** Importance samples per digit, and their seed: the same for every digit scored, so numbers compare. */
const K_SAMPLES = 128;
const SCORE_SEED = 0;
/** Test digits scored for the comparison column (the typical one is their median by log p(x)). */
const TYPICAL_COUNT = 32;
/** How often the live VAE's codes or manifold are redrawn while it trains (each every other time), how many codes. */
const LIVE_REFRESH_MS = 500;
const LIVE_CODES = 1000;
/** EM iterations per second (watchable, and the page stays responsive). */
const EM_RATE = 40;
const IMAGE_SHAPE = [28, 28, 1] as const;
const PIXELS = 28 * 28;

// ---- state ----

let shipped: VAE | null = null;
let asset: AssetInfo | null = null;
let live: LiveModel<VAE> | null = null;
let test: Dataset | null = null;
/** The current model's codes of the test digits, [TEST_COUNT·2]; the shipped model's kept to switch back at once. */
let codes: Float32Array = new Float32Array(0);
let shippedCodes: Float32Array | null = null;
let crosshair: [number, number] = [0, 0];
let drawnImage: Float32Array | null = null;
let drawnCode: [number, number] | null = null;
let mixture: CodeMixture | null = null;
let mixtureSeed = 0;
/** Bumped whenever the current model changes (switch or training step): async results of an older model are dropped. */
let version = 0;
let lastLiveRefresh = 0;
let liveRefreshes = 0;
let testDigitShown = 0;
/** The typical test digit of the comparison column, once scored. */
let typicalImage: Float32Array | null = null;

const current = (): VAE | null => live?.model ?? shipped;
const plane = new Plane(ui.plane);
const gmmChart = new LineChart(ui.gmmChart, { xLabel: 'EM iteration', yLabel: 'log-likelihood per code', integerX: true });

function setFigure(key: string, value: string | number | null): void {
  if (value === null) delete ui.figure.dataset[key];
  else ui.figure.dataset[key] = String(value);
}

// ---- encoding and decoding ----

/** Posterior means of `count` images (row-major [count·784]), [count·2]; in batches to bound memory. */
function encode(model: VAE, images: Float32Array, count: number): Float32Array {
  const out = new Float32Array(count * model.latent);
  const batch = 1000;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const z = tf.tidy(() => model.code(tf.tensor(images.subarray(start * PIXELS, (start + n) * PIXELS), [n, ...IMAGE_SHAPE])));
    out.set(z.dataSync(), start * model.latent);
    z.dispose();
  }
  return out;
}

/** Encodes the test digits (while training, only the first `LIVE_CODES`: a refresh must fit between steps). */
function encodeTest(count = test?.count ?? 0): void {
  const model = current();
  if (!model || !test) return;
  codes = encode(model, test.data, Math.min(count, test.count));
  if (!live) shippedCodes = codes;
}

function paintImage(canvas: HTMLCanvasElement, image: ArrayLike<number> | null): void {
  if (image) drawImageGrid(canvas, image, 1, IMAGE_SHAPE, 1);
  else canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
}

// ---- the plane and the decoded crosshair ----

function gridExtent(): number {
  const axis = gridAxis(Number(ui.gridSize.value), ui.gridSpacing.value as GridSpacing);
  return Math.abs(axis[0]!);
}

function drawPlane(): void {
  const count = codes.length / 2;
  setFigure('codes', count);
  const r = planeHalfWidth(codes, count);
  plane.bounds = { x0: -r, x1: r, y0: -r, y1: r };
  const showMixture = mixture !== null && ui.gmmShow.checked;
  drawCodePlane(plane, {
    codes,
    labels: test?.labels?.kind === 'class' ? test.labels.values : null,
    count,
    gridExtent: gridExtent(),
    mixture: showMixture ? mixture!.view() : null,
    crosshair,
    drawn: drawnCode,
  });
}

function decodeCrosshair(): void {
  const model = current();
  if (!model) return;
  paintImage(ui.decoded, decodeCodes(model, Float32Array.from(crosshair), 1));
  const [x, y] = crosshair;
  ui.zValue.textContent = `${fmt(x, 2)}, ${fmt(y, 2)}`;
  ui.zPrior.textContent = fmt(-Math.log(2 * Math.PI) - 0.5 * (x * x + y * y), 2);
  setFigure('crosshair', `${x.toFixed(3)},${y.toFixed(3)}`);
}

function moveCrosshair(x: number, y: number): void {
  crosshair = [x, y];
  decodeCrosshair();
  drawPlane();
}

/** Click or drag on the plane: decode the code under the pointer, once per animation frame at most. */
function followPointer(): void {
  let dragging = false;
  let frame = 0;
  let at: [number, number] = crosshair;
  const dataAt = (e: PointerEvent): [number, number] => {
    const r = ui.plane.getBoundingClientRect();
    return plane.toData(e.clientX - r.left, e.clientY - r.top);
  };
  const schedule = (): void => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      moveCrosshair(...at);
    });
  };
  ui.plane.addEventListener('pointerdown', (e) => {
    dragging = true;
    ui.plane.setPointerCapture(e.pointerId);
    at = dataAt(e);
    schedule();
  });
  ui.plane.addEventListener('pointermove', (e) => {
    if (!dragging) return;
    at = dataAt(e);
    schedule();
  });
  const end = (): void => void (dragging = false);
  ui.plane.addEventListener('pointerup', end);
  ui.plane.addEventListener('pointercancel', end);
}

// ---- the manifold ----

function drawManifold(): void {
  const model = current();
  if (!model) return;
  const n = Number(ui.gridSize.value);
  const axis = gridAxis(n, ui.gridSpacing.value as GridSpacing);
  const images = decodeCodes(model, gridCodes(axis), n * n);
  drawImageGrid(ui.manifold, images, n * n, IMAGE_SHAPE, n);
  setFigure('manifold', fingerprint(images));
}

/** A short fingerprint of an image mosaic's values: tells which model drew it. */
function fingerprint(values: Float32Array): string {
  let a = 0, b = 0;
  for (let i = 0; i < values.length; i++) {
    a += values[i]!;
    b += values[i]! * ((i % 97) + 1);
  }
  return `${a.toFixed(2)}:${b.toFixed(1)}`;
}

/** A click on a mosaic cell decodes that cell's code on the plane. */
ui.manifold.addEventListener('click', (e) => {
  const n = Number(ui.gridSize.value);
  const r = ui.manifold.getBoundingClientRect();
  const cell = (v: number, size: number): number => Math.min(n - 1, Math.max(0, Math.floor((v / size) * n)));
  const col = cell(e.clientX - r.left, r.width), row = cell(e.clientY - r.top, r.height);
  const axis = gridAxis(n, ui.gridSpacing.value as GridSpacing);
  moveCrosshair(axis[col]!, axis[n - 1 - row]!);
});

// ---- the drawn digit and its scores ----

const scoreCells = (column: 'drawn' | 'typical' | 'mean'): HTMLElement[] => ['logpx', 'elbo', 'recon', 'kl'].map((row) => byId(`s-${row}-${column}`));

/** Fills a column of the score table: log p(x), ELBO, E_q log p(x|z) and −KL, nats (or dashes). */
function showScores(column: 'drawn' | 'typical' | 'mean', s: { logPx: number; elbo: number; recon: number; kl: number } | null): void {
  const values = s ? [s.logPx, s.elbo, -s.recon, -s.kl] : [NaN, NaN, NaN, NaN];
  scoreCells(column).forEach((cell, i) => (cell.textContent = fmt(values[i]!, 1)));
}

const at = (e: PerExample, i: number): { logPx: number; elbo: number; recon: number; kl: number } => ({ logPx: e.logPx[i]!, elbo: e.elbo[i]!, recon: e.recon[i]!, kl: e.kl[i]! });

/** Encodes and reconstructs the drawn digit (cheap: while drawing); with `score`, also its log p(x) and ELBO. */
function updateDrawn(score: boolean): void {
  const model = current();
  drawnImage = pad.toMnist();
  paintImage(ui.padInput, drawnImage);
  if (!model || !drawnImage) {
    drawnCode = null;
    paintImage(ui.padRecon, null);
    showScores('drawn', null);
    setFigure('drawnCode', null);
    setFigure('drawnLogpx', null);
    drawPlane();
    return;
  }
  const z = encode(model, drawnImage, 1);
  drawnCode = [z[0]!, z[1]!];
  paintImage(ui.padRecon, decodeCodes(model, z, 1));
  setFigure('drawnCode', `${drawnCode[0].toFixed(3)},${drawnCode[1].toFixed(3)}`);
  drawPlane();
  if (score) void scoreDrawn();
  else {
    showScores('drawn', null);
    setFigure('drawnLogpx', null);
  }
}

/**
 * Scores the drawn digit with the current model, between training steps (loop.exclusive): a result that arrives after
 * the model changed, or after the drawing did, is dropped.
 */
async function scoreDrawn(): Promise<void> {
  const image = drawnImage;
  const model = current();
  if (!image || !model) return;
  if (trainLoop.playing) {
    setStatus('Training: the drawn digit is scored when training pauses.');
    return;
  }
  const v = version;
  try {
    const scores = await trainLoop.exclusive(() => perExampleLikelihood(model, image, 1, { k: K_SAMPLES, seed: SCORE_SEED, batchSize: 1 }));
    if (v !== version || image !== drawnImage) return;
    showScores('drawn', at(scores, 0));
    setFigure('drawnLogpx', scores.logPx[0]!);
    const typical = ui.figure.dataset['typicalLogpx'];
    setStatus(
      `Your digit: log p(x) ≈ ${fmt(scores.logPx[0]!, 1)} nats` +
        (typical ? ` against ${fmt(Number(typical), 1)} for a typical test digit.` : '.'),
      'ok',
    );
  } catch (e) {
    setStatus(errorText(e), 'error');
  }
}

function reconstructTypical(): void {
  const model = current();
  if (model && typicalImage) paintImage(ui.typicalRecon, decodeCodes(model, encode(model, typicalImage, 1), 1));
}

/** Scores the first TYPICAL_COUNT test digits; shows the median one (by log p(x)) and the means. */
async function scoreTypical(): Promise<void> {
  const model = current();
  if (!model || !test) return;
  const v = version;
  const data = test.data.subarray(0, TYPICAL_COUNT * PIXELS);
  try {
    const scores = await trainLoop.exclusive(() => perExampleLikelihood(model, data, TYPICAL_COUNT, { k: K_SAMPLES, seed: SCORE_SEED, batchSize: 8 }));
    if (v !== version) return;
    const order = Array.from(scores.logPx.keys()).sort((a, b) => scores.logPx[a]! - scores.logPx[b]!);
    const median = order[Math.floor(TYPICAL_COUNT / 2)]!;
    typicalImage = data.subarray(median * PIXELS, (median + 1) * PIXELS);
    paintImage(ui.typical, typicalImage);
    reconstructTypical();
    showScores('typical', at(scores, median));
    const mean = (a: Float64Array): number => a.reduce((s, x) => s + x, 0) / a.length;
    showScores('mean', { logPx: mean(scores.logPx), elbo: mean(scores.elbo), recon: mean(scores.recon), kl: mean(scores.kl) });
    setFigure('typicalLogpx', scores.logPx[median]!);
    setFigure('tensors', tf.memory().numTensors); // a quiet moment: nothing in flight
  } catch (e) {
    setStatus(errorText(e), 'error');
  }
}

const pad = new SketchPad(ui.pad, { changed: (done) => updateDrawn(done) });
ui.padClear.addEventListener('click', () => {
  pad.clear();
  updateDrawn(false);
});
/** Puts the next test digit on the pad: a real digit scores like the test digits, a scrawl does not. */
ui.padTest.addEventListener('click', () => {
  if (!test) return;
  const i = (TYPICAL_COUNT + testDigitShown++) % test.count;
  pad.clear();
  pad.paint(test.data.subarray(i * PIXELS, (i + 1) * PIXELS));
  updateDrawn(true);
});

// ---- the GMM on the codes ----

function startMixture(): void {
  gmmLoop.pause();
  mixture = null;
  const count = codes.length / 2;
  const k = Number(ui.gmmK.value);
  ui.gmmSeedValue.textContent = String(mixtureSeed);
  if (count < k) return drawMixture();
  try {
    mixture = new CodeMixture({ rows: count, cols: 2, data: codes }, k, mixtureSeed);
  } catch (e) {
    setStatus(errorText(e), 'error');
  }
  drawMixture();
  gmmLoop.play();
}

function stepMixture(): boolean {
  if (!mixture) return false;
  try {
    return mixture.step();
  } catch (e) {
    setStatus(`GMM: ${errorText(e)}`, 'error');
    return false;
  }
}

/** The prior's mean log-likelihood of the codes (the GMM's yardstick), shown and returned. */
function showPriorFit(): number {
  const prior = priorLogLikelihood(codes, codes.length / 2);
  ui.priorLl.textContent = codes.length ? fmt(prior, 3) : '—';
  return prior;
}

/** The GMM's readouts, curve and ellipses. */
function drawMixture(): void {
  const m = mixture;
  ui.gmmIter.textContent = m ? `${m.iteration}${m.converged ? ' ✓' : ''}` : '—';
  ui.gmmLl.textContent = m ? fmt(m.logLikelihood, 3) : '—';
  setFigure('gmmK', m ? m.k : null);
  setFigure('gmmIteration', m ? m.iteration : null);
  setFigure('gmmFirst', m ? m.history[0]! : null);
  setFigure('gmmLl', m ? m.logLikelihood : null);
  setFigure('gmmDone', m ? String(m.done) : null);
  const xs = m ? m.history.map((_, i) => i) : [];
  const prior = showPriorFit();
  gmmChart.series = m
    ? [
        { label: `GMM, K = ${m.k}`, color: LECTURE.blue, xs, ys: m.history, width: 2 },
        { label: 'prior N(0, I)', color: LECTURE.green, xs: [0, Math.max(1, m.iteration)], ys: [prior, prior], dash: [5, 4], width: 1.5 },
      ]
    : [];
  gmmChart.options.xDomain = [0, Math.max(10, m?.iteration ?? 0)];
  gmmChart.draw();
  drawPlane();
}

const gmmLoop = new Loop(stepMixture, drawMixture, { rate: () => EM_RATE, onError: (e) => setStatus(errorText(e), 'error') });

ui.gmmK.addEventListener('input', () => {
  ui.gmmKValue.textContent = ui.gmmK.value;
  if (!trainLoop.playing) startMixture();
});
ui.gmmFit.addEventListener('click', () => startMixture());
ui.gmmSeed.addEventListener('click', () => {
  mixtureSeed++;
  startMixture();
});
ui.gmmShow.addEventListener('change', drawPlane);
ui.gmmKValue.textContent = ui.gmmK.value;

// ---- the model: shipped, or a fresh one trained live ----

/** After the current model changed or stopped changing: everything that depends on it, redrawn and refitted. */
function modelChanged(): void {
  version++;
  if (live || !shippedCodes) encodeTest();
  else codes = shippedCodes; // the shipped model's codes do not change
  drawManifold();
  decodeCrosshair();
  updateDrawn(false);
  startMixture();
  showScores('typical', null);
  showScores('mean', null);
  setFigure('typicalLogpx', null);
  void scoreTypical().then(() => scoreDrawn());
  showModel();
}

function showModel(): void {
  setFigure('model', live ? 'live' : 'shipped');
  ui.shipped.disabled = live === null;
  if (live) {
    ui.modelInfo.textContent = `A fresh VAE of the same configuration, trained here on ${TRAIN_COUNT.toLocaleString('en')} MNIST digits: ${live.step} steps (${(live.examples / TRAIN_COUNT).toFixed(1)} epochs).`;
  } else if (asset) {
    const t = asset.lastTest;
    const negElbo = t && typeof t['negElbo'] === 'number' ? ` Test −ELBO ${fmt(t['negElbo'], 1)} nats.` : '';
    ui.modelInfo.textContent = `Shipped: MLP 784–${shipped?.config.hidden.join('–') ?? '?'}–2, trained by \`${asset.command}\` in ${asset.trainSeconds} s.${negElbo}`;
  }
}

function trainWork(): Promise<boolean> {
  return trainFrame(live);
}

function drawTraining(): void {
  const terms = live?.last;
  ui.tStep.textContent = live ? String(live.step) : '—';
  ui.tLoss.textContent = fmt(terms?.['loss'] ?? NaN, 1);
  ui.tRecon.textContent = fmt(terms?.['recon'] ?? NaN, 1);
  ui.tKl.textContent = fmt(terms?.['kl'] ?? NaN, 2);
  setFigure('trainStep', live?.step ?? 0);
  setFigure('trainLoss', terms?.['loss'] ?? null);
  if (live && performance.now() - lastLiveRefresh > LIVE_REFRESH_MS) {
    // The model as it is now, in two halves on alternate refreshes (each fits between steps); the GMM and the
    // scores wait until training pauses.
    lastLiveRefresh = performance.now();
    version++;
    if (liveRefreshes++ % 2 === 0) {
      encodeTest(LIVE_CODES);
      if (!pad.empty) updateDrawn(false);
      showPriorFit();
      drawPlane();
    } else {
      drawManifold();
      decodeCrosshair();
      reconstructTypical();
    }
    showModel();
  }
}

const trainLoop = new Loop(trainWork, drawTraining, {
  budgetMs: 12,
  onChange: (playing) => {
    ui.train.textContent = playing ? 'Pause' : live ? 'Resume training' : 'Train a fresh VAE';
    ui.gmmFit.disabled = ui.gmmSeed.disabled = playing; // the codes move while training: EM waits for a pause
    if (playing) {
      // The GMM and the scores belong to the model as it was: they come back when training pauses.
      version++;
      gmmLoop.pause();
      mixture = null;
      drawMixture();
      for (const column of ['drawn', 'typical', 'mean'] as const) showScores(column, null);
      setFigure('typicalLogpx', null);
      setFigure('drawnLogpx', null);
      setStatus('Training a fresh VAE: watch the codes spread over the prior and the digits appear in the manifold.');
    } else if (live) {
      modelChanged();
      if (!live.error) setStatus(`Paused at step ${live.step}: the GMM refits and the scores are recomputed for this model.`);
    }
  },
  onError: (e) => setStatus(errorText(e), 'error'),
});

wireTrainButton(ui.train, trainLoop, {
  count: TRAIN_COUNT,
  ready: () => shipped !== null,
  live: () => live !== null,
  start: (digits) => {
    live = new LiveModel(shipped!, digits, 0, LIVE_BATCH);
    lastLiveRefresh = 0;
    drawTraining();
  },
});

ui.shipped.addEventListener('click', async () => {
  const leaving = live;
  live = null; // first, so that pausing does not refresh the page for the model being dropped
  trainLoop.pause();
  // Disposed after the step in flight (if any) has finished with it.
  await trainLoop.exclusive(() => leaving?.dispose());
  ui.train.textContent = 'Train a fresh VAE';
  drawTraining();
  modelChanged();
  setStatus('Back to the shipped model.');
});

// ---- the legend, redraws on resize, start ----

ui.legend.replaceChildren(
  ...Array.from({ length: 10 }, (_, d) => h('span', { class: 'latent-key' }, h('span', { class: 'swatch', style: `background: ${rgb(componentRgb(d))}` }), String(d))),
);
ui.kSamples.textContent = String(K_SAMPLES);
ui.meanHead.textContent = `mean of ${TYPICAL_COUNT} test digits`;
ui.gridSize.addEventListener('change', () => {
  drawManifold();
  drawPlane();
});
ui.gridSpacing.addEventListener('change', () => {
  drawManifold();
  drawPlane();
});
followPointer();
new ResizeObserver(() => {
  drawPlane();
  gmmChart.draw();
}).observe(document.body);

try {
  // wasm by default: for an MLP this size it trains faster than a GPU backend's per-op overhead allows, and each
  // decode under the mouse reads back at once (?backend=webgl or webgpu in the URL to compare).
  const engine = await startEngine('wasm');
  ui.backend.textContent = `TensorFlow.js backend: ${engine.backend} (?backend= in the URL picks another)`;
  setStatus('Opening the shipped VAE and the test digits…');
  const [opened, digits] = await Promise.all([openShippedModel('mnist-vae2d'), fetchDataset('mnist', { split: 'test', n: TEST_COUNT, seed: TEST_SEED })]);
  if (!can(opened.model, 'score') || opened.model.latent !== 2) {
    opened.model.dispose();
    throw new Error(`mnist-vae2d: expected a VAE with a 2-D code, got a ${opened.model.kind} model`);
  }
  shipped = opened.model;
  asset = opened.asset;
  test = digits;
  modelChanged();
  drawTraining();
  setStatus('Click or drag on the plane to decode a code; draw a digit below.');
  markReady();
} catch (e) {
  setStatus(errorText(e), 'error');
  for (const b of [ui.train, ui.shipped, ui.gmmFit, ui.gmmSeed, ui.padTest]) b.disabled = true;
  markReady();
}
