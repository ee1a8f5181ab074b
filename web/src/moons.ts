/**
 * AE vs VAE on the moon (§1): the shipped moons-ae and moons-vae (2-D codes, same networks) encode a canonical full
 * and half moon; a slider walks the straight line between the two codes and both decodings are drawn side by side
 * over the true moon of the matching phase, with each model's decode error along the whole path, a strip of
 * decodings, and the codes of the training moons coloured by phase. A fresh pair can train live (TrainStep, a step
 * per unit of lib/loop.ts), redrawing everything as it learns.
 */
import { can, loadMoons, tf, type Dataset, type GenerativeModel } from '../../src/browser.js';
import { LineChart } from './lib/chart.js';
import { LECTURE } from './lib/colors.js';
import { byId, fmt, h } from './lib/dom.js';
import { drawImageGrid } from './lib/image-grid.js';
import { openShippedModel, startEngine, type AssetInfo } from './lib/lecture.js';
import { Loop } from './lib/loop.js';
import { Plane } from './lib/plane.js';
import { errorText, markReady, mountHeader, setStatus } from './lib/shell.js';
import { drawCodeScatter, phaseGradient } from './moons/code-scatter.js';
import { LivePair } from './moons/live-pair.js';
import { codeAt, codesOf, decodeAt, decodePath, meanSquaredError, PATH_POINTS, pathT, SIZE, trueMoonAt, truthPath, type Coder, type ModelPath } from './moons/path.js';

mountHeader('moons.html');

const ui = {
  figure: byId('figure'),
  t: byId('t', HTMLInputElement),
  tValue: byId('t-value'),
  decodeAe: byId('decode-ae', HTMLCanvasElement),
  decodeVae: byId('decode-vae', HTMLCanvasElement),
  truth: byId('truth', HTMLCanvasElement),
  truthPhase: byId('truth-phase'),
  errAeT: byId('err-ae-t'),
  errVaeT: byId('err-vae-t'),
  stripAe: byId('strip-ae', HTMLCanvasElement),
  stripVae: byId('strip-vae', HTMLCanvasElement),
  stripTruth: byId('strip-truth', HTMLCanvasElement),
  halfwayAe: byId('halfway-ae'),
  halfwayVae: byId('halfway-vae'),
  train: byId('train', HTMLButtonElement),
  stop: byId('stop', HTMLButtonElement),
  shipped: byId('shipped', HTMLButtonElement),
  source: byId('source'),
  step: byId('step'),
  lossAe: byId('loss-ae'),
  lossVae: byId('loss-vae'),
  assetHint: byId('asset-hint'),
  backend: byId('backend'),
};

/** Training moons whose codes are plotted (the first of the training stream). */
const SCATTER_COUNT = 1000;
/** Moons drawn in the page for live training. */
const LIVE_TRAIN_COUNT = 2000;
/** Strip of decodings at t = 0, 1/8, …, 1: every fifth point of the path. */
const STRIP_EVERY = 5;
const STRIP_COUNT = (PATH_POINTS - 1) / STRIP_EVERY + 1;
/**
 * While training, the path is decoded again at most this often (ms), and the code planes (a thousand encodings per
 * model, the costly part) less often, so that frames stay short.
 */
const REFRESH_MS = { path: 300, codes: 1000 };
const HALFWAY = (PATH_POINTS - 1) / 2;

interface Pair {
  ae: Coder;
  vae: Coder;
}

const truth = truthPath();
const errorChart = new LineChart(byId('error-chart', HTMLCanvasElement), { xLabel: 't along the path (true moon at phase 90°·t)', yLabel: 'error per pixel (MSE)', xDomain: [0, 1] });
const planes = { ae: new Plane(byId('scatter-ae', HTMLCanvasElement)), vae: new Plane(byId('scatter-vae', HTMLCanvasElement)) };
document.querySelectorAll<HTMLElement>('.moons-scale').forEach((el) => (el.style.background = phaseGradient()));

let shipped: Pair | null = null;
let moons: Dataset | null = null;
let live: LivePair | null = null;
let liveSeed = 0;
/** What the current models draw, recomputed when they change. */
let view: { paths: { ae: ModelPath; vae: ModelPath }; codes: { ae: Float32Array; vae: Float32Array } } | null = null;
const lastRefresh = { path: 0, codes: 0 };

const models = (): Pair | null => (live ? { ae: live.ae.model, vae: live.vae.model } : shipped);
const sliderT = (): number => Number(ui.t.value);

/**
 * Encodes the ends and decodes the path with the current models, and (unless `codes` is false and there are codes
 * already) encodes the plotted training moons.
 */
function refresh(codes = true): void {
  const pair = models();
  if (!pair || !moons) return;
  const now = performance.now();
  view = {
    paths: { ae: decodePath(pair.ae, truth), vae: decodePath(pair.vae, truth) },
    codes: codes || !view ? { ae: codesOf(pair.ae, moons, SCATTER_COUNT), vae: codesOf(pair.vae, moons, SCATTER_COUNT) } : view.codes,
  };
  lastRefresh.path = now;
  if (codes) lastRefresh.codes = now;
  drawPath();
}

/** What depends on the whole path: the strips, the halfway errors, the error chart's curves. */
function drawPath(): void {
  if (!view) return;
  const { ae, vae } = view.paths;
  const strip = (images: Float32Array): Float32Array => {
    const out = new Float32Array(STRIP_COUNT * SIZE * SIZE);
    for (let k = 0; k < STRIP_COUNT; k++) out.set(images.subarray(k * STRIP_EVERY * SIZE * SIZE, (k * STRIP_EVERY + 1) * SIZE * SIZE), k * SIZE * SIZE);
    return out;
  };
  drawImageGrid(ui.stripAe, strip(ae.decodes), STRIP_COUNT, [SIZE, SIZE, 1], STRIP_COUNT);
  drawImageGrid(ui.stripVae, strip(vae.decodes), STRIP_COUNT, [SIZE, SIZE, 1], STRIP_COUNT);
  drawImageGrid(ui.stripTruth, strip(truth.data), STRIP_COUNT, [SIZE, SIZE, 1], STRIP_COUNT);
  const halfway = { ae: ae.errors[HALFWAY]!, vae: vae.errors[HALFWAY]! };
  ui.halfwayAe.textContent = fmt(halfway.ae, 4);
  ui.halfwayVae.textContent = fmt(halfway.vae, 4);
  Object.assign(ui.figure.dataset, { aeHalfway: String(halfway.ae), vaeHalfway: String(halfway.vae), pathPoints: String(ae.errors.length) });
  const ts = ae.errors.map((_, i) => pathT(i));
  errorChart.series = [
    { label: 'AE', color: LECTURE.blue, xs: ts, ys: ae.errors, width: 2.5 },
    { label: 'VAE', color: LECTURE.green, xs: ts, ys: vae.errors, width: 2.5 },
  ];
  drawAtT();
}

/** What depends on the slider: the two decodings and the true moon at t, the chart's marker, the code planes. */
function drawAtT(): void {
  const pair = models();
  if (!view || !pair) return;
  const t = sliderT();
  const { paths, codes } = view;
  const trueMoon = trueMoonAt(t);
  const decoded = { ae: decodeAt(pair.ae, paths.ae, t), vae: decodeAt(pair.vae, paths.vae, t) };
  const err = { ae: meanSquaredError(decoded.ae, 0, trueMoon, 0), vae: meanSquaredError(decoded.vae, 0, trueMoon, 0) };
  drawImageGrid(ui.decodeAe, decoded.ae, 1, [SIZE, SIZE, 1], 1);
  drawImageGrid(ui.decodeVae, decoded.vae, 1, [SIZE, SIZE, 1], 1);
  drawImageGrid(ui.truth, trueMoon, 1, [SIZE, SIZE, 1], 1);
  ui.tValue.textContent = `t = ${fmt(t, 2)}`;
  ui.truthPhase.textContent = `${fmt(90 * t, 1)}°`;
  ui.errAeT.textContent = `error ${fmt(err.ae, 4)}`;
  ui.errVaeT.textContent = `error ${fmt(err.vae, 4)}`;
  Object.assign(ui.figure.dataset, { t: String(t), aeError: String(err.ae), vaeError: String(err.vae), tensors: String(tf.memory().numTensors) });
  errorChart.markers = [
    { x: 0.5, color: LECTURE.muted, dash: [2, 4] },
    { x: t, color: LECTURE.red, dash: [4, 3] },
  ];
  errorChart.highlights = [
    { x: t, y: err.ae, color: LECTURE.blue },
    { x: t, y: err.vae, color: LECTURE.green },
  ];
  errorChart.draw();
  for (const key of ['ae', 'vae'] as const) {
    drawCodeScatter(planes[key], { codes: codes[key], phases: moons!.labels!.values, ends: paths[key].ends, at: codeAt(paths[key], t) });
  }
}

// ---- live training ----

function drawTraining(): void {
  const step = live?.step ?? 0;
  ui.source.textContent = live ? 'training' : 'shipped';
  ui.step.textContent = live ? String(step) : '—';
  ui.lossAe.textContent = fmt(live?.ae.last?.['loss'] ?? NaN, 1);
  ui.lossVae.textContent = fmt(live?.vae.last?.['loss'] ?? NaN, 1);
  Object.assign(ui.figure.dataset, { source: live ? 'live' : 'shipped', step: String(step) });
  const now = performance.now();
  if (live && now - lastRefresh.path > REFRESH_MS.path) refresh(now - lastRefresh.codes > REFRESH_MS.codes);
}

function setButtons(playing: boolean): void {
  ui.train.disabled = playing || !shipped;
  ui.train.textContent = live ? 'Resume' : 'Train';
  ui.stop.disabled = !playing;
  ui.shipped.disabled = !live;
}

const loop = new Loop(
  async () => {
    if (!live) return false;
    const ok = await live.run();
    if (!ok && live.error) setStatus(`training stopped: ${live.error}. Press Shipped, then Train.`, 'error');
    return ok;
  },
  drawTraining,
  {
    budgetMs: 12,
    onChange: setButtons,
    onError: (e) => setStatus(errorText(e), 'error'),
  },
);

function startTraining(): void {
  if (!shipped) return;
  if (!live) {
    live = new LivePair(shipped.ae, shipped.vae, moons!, ++liveSeed);
    setStatus('A fresh AE and VAE train here, a step at a time; the figure redraws as they learn.');
    ui.figure.dataset['trainSeed'] = String(liveSeed);
    refresh();
  }
  loop.play();
  drawTraining();
}

async function backToShipped(): Promise<void> {
  loop.pause();
  const done = live;
  live = null;
  // Dispose only after the step in flight, if any, has finished with the models.
  await loop.exclusive(() => done?.dispose());
  refresh();
  drawTraining();
  setButtons(false);
  setStatus('The shipped models again.', 'ok');
}

ui.train.addEventListener('click', startTraining);
ui.stop.addEventListener('click', () => {
  loop.pause();
  refresh();
  drawTraining();
});
ui.shipped.addEventListener('click', () => void backToShipped());
ui.t.addEventListener('input', drawAtT);
new ResizeObserver(() => drawAtT()).observe(document.body);

/** A shipped model as one that encodes, or an error naming it. */
function asCoder(model: GenerativeModel, asset: AssetInfo): Coder {
  if (can(model, 'encode')) return model;
  model.dispose();
  throw new Error(`${asset.name}: a ${model.kind} model cannot encode`);
}

setButtons(false);
try {
  // Small networks: wasm by default (a GPU backend's per-op overhead, or a software GL, is slower); ?backend= overrides.
  const engine = await startEngine('wasm');
  ui.backend.textContent = `TensorFlow.js backend: ${engine.backend}`;
  const [ae, vae] = await Promise.all([openShippedModel('moons-ae'), openShippedModel('moons-vae')]);
  shipped = { ae: asCoder(ae.model, ae.asset), vae: asCoder(vae.model, vae.asset) };
  // The first moons of the shipped models' training set (their seed), drawn here: plotted, and trained on live.
  moons = loadMoons({ trainCount: LIVE_TRAIN_COUNT, testCount: 0, seed: vae.asset.seed }).train;
  ui.assetHint.replaceChildren('Shipped models (', h('code', {}, 'npm run assets -- moons-ae moons-vae'), '): ', h('code', {}, ae.asset.command), ' · ', h('code', {}, vae.asset.command));
  refresh();
  drawTraining();
  setButtons(false);
  setStatus('Drag the slider from the full to the half moon.');
} catch (e) {
  setStatus(errorText(e), 'error');
  for (const b of [ui.train, ui.stop, ui.shipped]) b.disabled = true;
}
markReady();
