/**
 * A GAN in one dimension: the lecture's figure, live. Real examples of a 1-D toy set (src/data/toy.ts) as black dots,
 * the generator's density (the library's kernel density estimate of many samples of fixed noise) in green, the
 * discriminator's output D(x) in blue — trained here by the library's GAN (src/models/gan.ts), step by step or
 * playing, until D is flat at ½. Beside the learned D, dashed, the optimal D* = p_data / (p_data + p_g) for the
 * current G: a flat learned D says only that this D cannot tell the two apart, so G is also judged by its density
 * against the data's (total variation, and each mode's share of G's samples).
 */
import {
  gaussianKde,
  initEngine,
  kdeBandwidth,
  makeDataset,
  modeMetrics,
  Rng,
  sampleToy,
  tf,
  toyDims,
  toyModes,
  TOY_SETS,
  type BackendName,
  type Dataset,
  type GanLoss,
  type ModeMetrics,
} from '../../src/browser.js';
import { LineChart } from './lib/chart.js';
import { LECTURE } from './lib/colors.js';
import { byId, fmt, h } from './lib/dom.js';
import { divergedMessage, fixedCodes, History, LiveGan, lossSeries, type LiveGanSettings } from './lib/gan-live.js';
import { learningRate, showRate } from './lib/gan-controls.js';
import { Loop } from './lib/loop.js';
import { errorText, markReady, mountHeader, setStatus } from './lib/shell.js';

mountHeader('gan1d.html');

const ui = {
  figure: byId('figure'),
  dataset: byId('dataset', HTMLSelectElement),
  loss: byId('loss', HTMLSelectElement),
  lrD: byId('lr-d', HTMLInputElement),
  lrDValue: byId('lr-d-value'),
  lrG: byId('lr-g', HTMLInputElement),
  lrGValue: byId('lr-g-value'),
  dSteps: byId('d-steps', HTMLInputElement),
  dStepsValue: byId('d-steps-value'),
  step: byId('step', HTMLButtonElement),
  play: byId('play', HTMLButtonElement),
  reset: byId('reset', HTMLButtonElement),
  statStep: byId('stat-step'),
  gapLabel: byId('gap-label'),
  statGap: byId('stat-gap'),
  statReal: byId('stat-real'),
  statFake: byId('stat-fake'),
  statModes: byId('stat-modes'),
  statHq: byId('stat-hq'),
  statTv: byId('stat-tv'),
  statDStar: byId('stat-dstar'),
  backend: byId('backend'),
};

/** Small networks: a step takes a few milliseconds, so D's curve visibly flattens within seconds. */
const HIDDEN = [32, 32];
const LATENT = 2;
const BATCH = 64;
const SEED = 1;
/** Real examples in the training set, of which REAL_SHOWN are drawn as dots. */
const REAL_COUNT = 4000;
const REAL_SHOWN = 250;
/** Generated samples (fixed noise) behind the green curve and the mode metrics. */
const SAMPLES = 2000;
const GRID_POINTS = 241;
/** D is "flat" below this max |D − ½|. */
const FLAT = 0.05;
/**
 * G matches the data below this total variation between its density and the data's (both smoothed by the same
 * kernel): 2,000 samples of the data itself land at about 0.03.
 */
const MATCH_TV = 0.1;
/** A mode is missed when G puts less than this fraction of its weight on it. */
const MISSED_SHARE = 0.6;

for (const name of TOY_SETS.filter((n) => toyDims(n) === 1)) ui.dataset.append(h('option', { value: name }, name === 'gauss1d' ? 'gauss1d — three Gaussians at −2, 0.5, 3' : name));

let data: Dataset | null = null;
let shown = new Float32Array(0);
/** The plotted x range, and the data's 0.5%–99.5% quantiles where flatness is measured. */
let view: [number, number] = [-4, 5];
let dataRange: [number, number] = [-3, 4];
let grid = new Float32Array(0);
/**
 * The green curve's kernel width (set by loadData): the library's rule (src/math/kde.ts) on as many real examples as
 * there are generated samples. Fixed per data set, so the curve changes only when the generator does, and a
 * generator collapsed onto one point still has a curve.
 */
let bandwidth = NaN;
let live: LiveGan | null = null;
/** What the status line last said about D and G (it speaks when that changes). */
let verdict: Verdict = 'training';
const codes = fixedCodes(SAMPLES, LATENT, 7);
const gapHistory = new History(['gap', 'dStar']);
const lossHistory = new History(['d', 'g']);

const plot = new LineChart(byId('plot', HTMLCanvasElement), { xLabel: 'x', yDomain: [-0.04, 1.04] });
const gapChart = new LineChart(byId('gap-chart', HTMLCanvasElement), { xLabel: 'training step', integerX: true });
const lossChart = new LineChart(byId('loss-chart', HTMLCanvasElement), { xLabel: 'training step', integerX: true });

function settings(): LiveGanSettings {
  const dSteps = Number(ui.dSteps.value);
  return {
    config: { loss: ui.loss.value as GanLoss, hidden: HIDDEN, latent: LATENT, dSteps },
    optimizer: 'adam',
    lrD: learningRate(ui.lrD),
    lrG: learningRate(ui.lrG),
    dSteps,
    batchSize: BATCH,
    seed: SEED,
  };
}

function loadData(): void {
  const name = ui.dataset.value;
  const points = sampleToy(name, REAL_COUNT, new Rng(0)).points;
  data = makeDataset({ name, kind: 'points', shape: [1], data: points });
  shown = points.slice(0, REAL_SHOWN);
  const sorted = Float32Array.from(points).sort();
  const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  dataRange = [q(0.005), q(0.995)];
  view = [Math.floor(sorted[0]! - 1), Math.ceil(sorted[sorted.length - 1]! + 1)];
  grid = Float32Array.from({ length: GRID_POINTS }, (_, i) => view[0] + ((view[1] - view[0]) * i) / (GRID_POINTS - 1));
  plot.options.xDomain = view;
  bandwidth = kdeBandwidth(points.subarray(0, SAMPLES));
  reset();
}

/** A new, untrained GAN from the controls. */
function reset(): void {
  loop.pause();
  live?.dispose();
  live = null;
  gapHistory.clear();
  lossHistory.clear();
  verdict = 'training';
  if (!data) return;
  try {
    live = new LiveGan(data, settings());
    setStatus('A new GAN: press Step or Play.');
  } catch (e) {
    setStatus(errorText(e), 'error');
  }
  draw();
}

/** One training step; false stops the loop (a NaN or infinite term: the status line says so). */
async function work(): Promise<boolean> {
  const g = live;
  if (!g) return false;
  await g.step();
  if (g !== live) return false; // reset while the step ran
  if (g.diverged !== null) {
    setStatus(divergedMessage(g.diverged), 'error');
    return false;
  }
  return true;
}

/**
 * True density of the toy set (its Gaussian modes) as the green curve's kernel sees it: each mode's variance grows
 * by the kernel's (a Gaussian convolved with a Gaussian), so the dotted and the green curve, and D* from them,
 * compare like with like. NaN for a set without known modes.
 */
function dataDensity(x: number): number {
  const modes = toyModes(ui.dataset.value);
  if (!modes) return NaN;
  return modes.weights.reduce((p, w, k) => {
    const sd = Math.hypot(modes.stds[k]!, bandwidth);
    return p + (w * Math.exp(-0.5 * ((x - modes.centres[k]![0]!) / sd) ** 2)) / (sd * Math.sqrt(2 * Math.PI));
  }, 0);
}

type Verdict = 'training' | 'flat, G won' | 'flat, G not there' | 'apart again';

/** G against the data: densities on the grid, D*, their total variation, and the mode G covers least. */
function judgeG(pData: Float64Array, pG: Float64Array, metrics: ModeMetrics | null): { dStar: Float64Array; dStarGap: number; tv: number; worst: string } {
  const dx = (view[1] - view[0]) / (GRID_POINTS - 1);
  let tv = 0, top = 0, peak = 0;
  for (let i = 0; i < GRID_POINTS; i++) {
    tv += 0.5 * Math.abs(pG[i]! - pData[i]!) * dx;
    top = Math.max(top, pData[i]! + pG[i]!);
    peak = Math.max(peak, pData[i]!);
  }
  // D* is drawn where either density is visible (elsewhere it is a ratio of two vanishing tails); its distance from ½
  // is read where the data are.
  let dStarGap = 0;
  const dStar = pData.map((p, i) => {
    const total = p + pG[i]!;
    if (!(total > 1e-3 * top)) return NaN;
    const d = p / total;
    if (p >= 0.1 * peak) dStarGap = Math.max(dStarGap, Math.abs(d - 0.5));
    return d;
  });
  let worst = '';
  const modes = toyModes(ui.dataset.value);
  if (metrics && modes) {
    const total = modes.weights.reduce((a, b) => a + b, 0);
    let lowest = Infinity;
    metrics.perMode.forEach((count, m) => {
      const want = modes.weights[m]! / total, got = count / SAMPLES;
      if (got / want < Math.min(lowest, MISSED_SHARE)) {
        lowest = got / want;
        worst = `the mode at x = ${fmt(modes.centres[m]![0]!, 1).replace(/\.0$/, '')} holds ${fmt(100 * got, 0)}% of G's samples against ${fmt(100 * want, 0)}% of the data`;
      }
    });
  }
  return { dStar, dStarGap, tv, worst };
}

/** What the status line says when the verdict changes. */
function verdictText(v: Verdict, step: number, gap: number, tv: number, worst: string): string {
  const distance = `G's density is ${fmt(tv, 2)} from the data's (total variation)${worst ? `; ${worst}` : ''}`;
  switch (v) {
    case 'flat, G won':
      return `step ${step}: D is flat within ${FLAT} of ½ and ${distance} — G matches the data, and D* (dashed) is flat too.`;
    case 'flat, G not there':
      return `step ${step}: the learned D is flat, but G has not won: ${distance}. The optimal D* (dashed) is far from flat — this D, small and trained step by step, cannot tell them apart; a better one could.`;
    case 'apart again':
      return `step ${step}: D tells them apart again (max |D − ½| = ${fmt(gap, 3)})`;
    default:
      return '';
  }
}

function draw(): void {
  if (!live) {
    plot.series = [];
    plot.draw();
    return;
  }
  const d = live.discriminatorAt(grid);
  const samples = live.generate(codes);
  const critic = live.gan.discriminatorOutput === 'critic';
  let lo = Infinity, hi = -Infinity, gap = 0;
  grid.forEach((x, i) => {
    if (x < dataRange[0] || x > dataRange[1]) return;
    lo = Math.min(lo, d[i]!);
    hi = Math.max(hi, d[i]!);
    gap = Math.max(gap, Math.abs(d[i]! - 0.5));
  });
  // A critic has no ½ to be flat at: its spread over the data is what goes to 0 (shown rescaled to [0, 1]).
  if (critic) gap = hi - lo;
  const shownD = critic ? d.map((v) => (v - lo) / Math.max(hi - lo, 1e-6)) : d;
  const modes = toyModes(ui.dataset.value);
  const metrics = modes ? modeMetrics(samples, 1, modes) : null;
  const step = live.steps;
  const pData = Float64Array.from(grid, dataDensity);
  const pG = gaussianKde(samples, grid, { bandwidth });
  const { dStar, dStarGap, tv, worst } = judgeG(pData, pG, metrics);
  gapHistory.push(step, { gap, dStar: dStarGap });
  lossHistory.push(step, { d: live.latest.dLoss, g: live.latest.gLoss });

  plot.series = [
    { label: 'data density', color: 'rgba(29, 35, 48, 0.45)', xs: grid, ys: pData, width: 1.5, dash: [2, 3] },
    { label: 'real examples', color: 'rgba(0, 0, 0, 0.55)', xs: shown, ys: new Float32Array(shown.length), dots: true, line: false, dotRadius: 2.5 },
    { label: 'generator density', color: LECTURE.green, xs: grid, ys: pG, width: 2.5 },
    { label: critic ? 'critic C(x), rescaled' : 'discriminator D(x)', color: LECTURE.blue, xs: grid, ys: shownD, width: 2.5 },
    { label: 'optimal D* = p_data / (p_data + p_g)', color: LECTURE.blue, xs: grid, ys: dStar, width: 1.6, dash: [7, 5] },
    { label: '½', color: LECTURE.muted, xs: view, ys: [0.5, 0.5], width: 1, dash: [5, 4] },
  ];
  plot.draw();
  drawCharts();

  ui.gapLabel.textContent = critic ? 'critic range on the data' : 'max |D(x) − ½|';
  ui.statStep.textContent = String(step);
  ui.statGap.textContent = fmt(gap, 3);
  ui.statReal.textContent = fmt(live.latest.real, 3);
  ui.statFake.textContent = fmt(live.latest.fake, 3);
  ui.statModes.textContent = metrics ? `${metrics.modesCovered} / ${metrics.modesTotal}` : '—';
  ui.statHq.textContent = metrics ? `${fmt(100 * metrics.highQuality, 1)}%` : '—';
  ui.statTv.textContent = fmt(tv, 3);
  ui.statDStar.textContent = fmt(dStarGap, 3);
  // Flat below FLAT, and stays flat up to 1.5 FLAT: the status line does not flicker as D wobbles around the line.
  const flat = !critic && step > 0 && (gap < FLAT || (verdict.startsWith('flat') && gap < 1.5 * FLAT));
  const matches = tv < MATCH_TV;
  const now: Verdict = flat ? (matches ? 'flat, G won' : 'flat, G not there') : verdict === 'training' ? 'training' : 'apart again';
  if (now !== verdict) setStatus(verdictText(now, step, gap, tv, worst), now === 'flat, G won' ? 'ok' : 'info');
  verdict = now;
  // The state drawn, as data attributes (for the browser tests and curious readers).
  Object.assign(ui.figure.dataset, {
    step: String(step),
    dUpdates: String(live.dUpdates),
    gUpdates: String(live.gUpdates),
    gap: String(gap),
    dStarGap: String(dStarGap),
    tv: String(tv),
    verdict,
    highQuality: String(metrics?.highQuality ?? NaN),
    tensors: String(tf.memory().numTensors),
  });
}

function drawCharts(): void {
  gapChart.series = [
    { label: 'learned D', color: LECTURE.blue, xs: gapHistory.step, ys: gapHistory.values.gap },
    { label: 'optimal D*', color: LECTURE.blue, xs: gapHistory.step, ys: gapHistory.values.dStar, dash: [7, 5] },
  ];
  gapChart.options.yDomain = [0, Math.max(0.1, ...gapHistory.values.gap.filter(Number.isFinite), ...gapHistory.values.dStar.filter(Number.isFinite)) * 1.05];
  gapChart.draw();
  lossChart.series = lossSeries(lossHistory);
  lossChart.draw();
}

const loop = new Loop(work, draw, {
  budgetMs: 12,
  onChange: (playing) => (ui.play.textContent = playing ? 'Pause' : 'Play'),
  onError: (e) => setStatus(errorText(e), 'error'),
});

function showValues(): void {
  ui.lrDValue.textContent = showRate(learningRate(ui.lrD));
  ui.lrGValue.textContent = showRate(learningRate(ui.lrG));
  ui.dStepsValue.textContent = ui.dSteps.value;
}

ui.dataset.addEventListener('change', loadData);
ui.loss.addEventListener('change', () => {
  // WGAN-GP trains its critic n_critic = 5 times per generator step (Gulrajani et al. 2017).
  ui.dSteps.value = ui.loss.value === 'wgan-gp' ? '5' : '1';
  showValues();
  reset();
});
for (const input of [ui.lrD, ui.lrG]) {
  input.addEventListener('input', showValues);
  input.addEventListener('change', () => {
    live?.setOptimizer('adam', learningRate(ui.lrD), learningRate(ui.lrG));
    setStatus(`learning rates D ${showRate(learningRate(ui.lrD))}, G ${showRate(learningRate(ui.lrG))}: new optimisers, same networks`);
  });
}
ui.dSteps.addEventListener('input', () => {
  showValues();
  if (live) live.settings.dSteps = Number(ui.dSteps.value);
});
ui.step.addEventListener('click', () => void loop.once());
ui.play.addEventListener('click', () => loop.toggle());
ui.reset.addEventListener('click', reset);
new ResizeObserver(() => live && draw()).observe(ui.figure);

showValues();
try {
  // ?backend=webgl (or webgpu, cpu, auto) picks another backend. These networks are tiny: per-op overhead dominates,
  // so wasm on the CPU trains them faster than a GPU backend (in headless chromium, ~60 steps/s against ~8 on webgl).
  const backend = (new URLSearchParams(location.search).get('backend') ?? 'wasm') as BackendName | 'auto';
  const engine = await initEngine({ backend, wasmPath: new URL('wasm/', location.href).href });
  ui.backend.textContent = `TensorFlow.js backend: ${engine.backend}`;
  loadData();
} catch (e) {
  setStatus(errorText(e), 'error');
  for (const b of [ui.step, ui.play, ui.reset]) b.disabled = true;
}
markReady();
