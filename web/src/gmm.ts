/**
 * GMM & EM: a GaussianMixture (src/models/gmm) stepped one EM iteration at a time on 2-D points — a toy set, points
 * drawn with the mouse, or a CSV file — with its components as 1σ/2σ ellipses, responsibilities as point colours,
 * the log-likelihood per iteration, and BIC against K.
 *
 * Stepping uses the estimator's public API only: the components are initialised by a fit with maxIter 0, then
 * each step is a warm-started fit with maxIter 1 (one E-step + M-step from the current parameters).
 */
import {
  GaussianMixture,
  GenlabError,
  parseDelimited,
  Rng,
  sampleToy,
  type CovarianceType,
  type GaussianMixtureJSON,
  type InitMethod,
  type Matrix,
} from '../../src/browser.js';
import { LineChart } from './lib/chart.js';
import { COMPONENT_RGB, LECTURE, componentRgb, rgb } from './lib/colors.js';
import { byId, fmt } from './lib/dom.js';
import { Loop } from './lib/loop.js';
import { boundsOf, drawPointsWithMouse, Plane } from './lib/plane.js';
import { errorText, markReady, mountHeader, setStatus } from './lib/shell.js';

mountHeader('gmm.html');

const ui = {
  figure: byId('figure'),
  plane: byId('plane', HTMLCanvasElement),
  overlay: byId('overlay'),
  dataset: byId('dataset', HTMLSelectElement),
  count: byId('count', HTMLInputElement),
  countValue: byId('count-value'),
  dataSeed: byId('data-seed', HTMLInputElement),
  csv: byId('csv', HTMLInputElement),
  clear: byId('clear', HTMLAnchorElement),
  k: byId('k', HTMLInputElement),
  kValue: byId('k-value'),
  covariance: byId('covariance', HTMLSelectElement),
  init: byId('init', HTMLSelectElement),
  seed: byId('seed', HTMLInputElement),
  step: byId('step', HTMLButtonElement),
  play: byId('play', HTMLButtonElement),
  reset: byId('reset', HTMLButtonElement),
  speed: byId('speed', HTMLInputElement),
  speedValue: byId('speed-value'),
  statIter: byId('stat-iter'),
  statLl: byId('stat-ll'),
  statBic: byId('stat-bic'),
  statBestK: byId('stat-bestk'),
};

/** Largest data set the page accepts (EM on it still steps at interactive rates). */
const MAX_POINTS = 50000;
/** K range of the BIC chart. */
const BIC_MAX_K = 8;
/** EM has converged when the mean log-likelihood changes by less than this (scikit-learn's default tol is 1e-3). */
const TOL = 1e-5;

/** Three tilted Gaussians: data a mixture of 3 full-covariance components fits exactly. */
const GAUSS3: GaussianMixtureJSON = {
  kind: 'gmm',
  version: 1,
  config: { components: 3, covariance: 'full', init: 'kmeans', nInit: 1, maxIter: 100, tol: 1e-3, regCovar: 1e-6, seed: 0, warmStart: false },
  dims: 2,
  weights: [0.45, 0.35, 0.2],
  means: [[-1.6, -0.4], [1.5, 1.1], [0.6, -2.1]],
  covariances: [[[0.55, 0.32], [0.32, 0.38]], [[0.28, -0.18], [-0.18, 0.45]], [[0.12, 0], [0, 0.12]]],
  converged: true,
  iterations: 0,
  lowerBound: 0,
  lowerBoundHistory: [],
};

// ---- state ----
let points = new Float64Array(0);
let n = 0;
let dataName = '';
let gmm: GaussianMixture<CovarianceType> | null = null;
let iteration = 0;
/** Mean log-likelihood per point after each iteration; [0] is the initial components'. */
let history: number[] = [];
/** BIC of the current components on the current points (GaussianMixture.bic), NaN before there are any. */
let currentBic = NaN;
let resp: Float64Array | null = null;
let converged = false;
let bic: number[] = [];
let bicToken = 0;

const plane = new Plane(ui.plane);
const llChart = new LineChart(byId('ll-chart', HTMLCanvasElement), { xLabel: 'EM iteration', yLabel: 'mean ln p(x)', integerX: true, legend: false });
const bicChart = new LineChart(byId('bic-chart', HTMLCanvasElement), { xLabel: 'components K', yLabel: 'BIC', integerX: true, legend: false, xDomain: [0.6, BIC_MAX_K + 0.4] });

const matrix = (): Matrix => ({ rows: n, cols: 2, data: points.subarray(0, 2 * n) });
const settings = () => ({
  k: Number(ui.k.value),
  covariance: ui.covariance.value as CovarianceType,
  init: ui.init.value as InitMethod,
  seed: Math.trunc(Number(ui.seed.value) || 0),
});

// ---- data ----

function setPoints(data: ArrayLike<number>, count: number, name: string): void {
  points = new Float64Array(Math.max(2 * count, 256));
  points.set(Array.from({ length: 2 * count }, (_, i) => data[i]!));
  n = count;
  dataName = name;
  plane.bounds = boundsOf(points, n);
}

function addPoint(x: number, y: number): void {
  if (n >= MAX_POINTS) return;
  if (2 * n + 2 > points.length) {
    const grown = new Float64Array(points.length * 2);
    grown.set(points);
    points = grown;
  }
  points[2 * n] = x;
  points[2 * n + 1] = y;
  n++;
}

function loadDataset(): void {
  const name = ui.dataset.value;
  const count = Number(ui.count.value);
  const seed = Math.trunc(Number(ui.dataSeed.value) || 0);
  if (name === 'draw') setPoints([], 0, 'your points');
  else if (name === 'gauss3') setPoints(GaussianMixture.fromJSON(GAUSS3).sample(count, seed).points.data, count, 'three Gaussians');
  else setPoints(sampleToy(name, count, new Rng(seed)).points, count, name);
  if (name === 'draw') plane.bounds = { x0: -4, x1: 4, y0: -3, y1: 3 };
  dataChanged(true);
}

async function loadCsv(file: File): Promise<void> {
  try {
    const table = parseDelimited(await file.text(), file.name);
    if (table.cols < 2) throw new GenlabError('bad-input', `${file.name}: ${table.cols} column, expected 2 (x, y)`);
    if (table.rows > MAX_POINTS) throw new GenlabError('bad-input', `${file.name}: ${table.rows} rows, at most ${MAX_POINTS} here`);
    const xy = new Float64Array(2 * table.rows);
    for (let i = 0; i < table.rows; i++) {
      xy[2 * i] = table.data[i * table.cols]!;
      xy[2 * i + 1] = table.data[i * table.cols + 1]!;
    }
    setPoints(xy, table.rows, file.name);
    ui.dataset.value = 'draw';
    dataChanged(true);
    setStatus(`${file.name}: ${table.rows} points${table.cols > 2 ? ` (first 2 of ${table.cols} columns)` : ''}`, 'ok');
  } catch (e) {
    setStatus(errorText(e), 'error');
  }
}

/** After new data: re-initialise (fresh) or keep the components and restart the curve (drawing), and redo BIC. */
function dataChanged(fresh: boolean): void {
  if (fresh || gmm === null) reset();
  else {
    iteration = 0;
    converged = false;
    history = [];
    evaluate();
    setStatus('new points: EM goes on from the current components', 'info');
  }
  scheduleBic();
  draw();
}

// ---- EM ----

/** New components from the settings (a fit with maxIter 0 runs the initialisation only). */
function reset(): void {
  loop.pause();
  const { k, covariance, init, seed } = settings();
  gmm = null;
  resp = null;
  iteration = 0;
  history = [];
  currentBic = NaN;
  converged = false;
  if (n < Math.max(k, 2)) {
    setStatus(n === 0 ? 'No points yet: click or drag on the plane.' : `K = ${k} needs at least ${Math.max(k, 2)} points: add some or lower K.`);
    draw();
    return;
  }
  try {
    const start = new GaussianMixture<CovarianceType>({ components: k, covariance, init, seed, maxIter: 0 }).fit(matrix());
    const json = start.toJSON();
    gmm = GaussianMixture.fromJSON({ ...json, config: { ...json.config, maxIter: 1, warmStart: true } });
    evaluate();
    setStatus(`${k} components initialised (${init}, seed ${seed}). Press Step or Play.`);
  } catch (e) {
    setStatus(errorText(e), 'error');
  }
  draw();
}

/** Log-likelihood, BIC and responsibilities of the current components. */
function evaluate(): void {
  if (!gmm) return;
  const m = matrix();
  history.push(gmm.score(m));
  currentBic = gmm.bic(m);
  resp = gmm.predictProba(m).data;
}

/** One EM iteration; returns false when there is nothing more to do (converged or failed). */
function step(): boolean {
  if (!gmm) return false;
  try {
    gmm.fit(matrix());
  } catch (e) {
    setStatus(errorText(e), 'error');
    return false;
  }
  iteration++;
  evaluate();
  const last = history[history.length - 1]!, prev = history[history.length - 2]!;
  converged = Math.abs(last - prev) < TOL;
  if (converged) setStatus(`converged after ${iteration} iterations (change < ${TOL})`, 'ok');
  else setStatus(`iteration ${iteration}: log-likelihood ${last >= prev ? 'rose' : 'fell'} by ${fmt(Math.abs(last - prev), 5)}`);
  return !converged;
}

const loop = new Loop(step, drawPlane, {
  rate: () => Number(ui.speed.value),
  onChange: (playing) => (ui.play.textContent = playing ? 'Pause' : 'Play'),
  onError: (e) => setStatus(errorText(e), 'error'),
});

// ---- BIC against K, one K per frame ----

function scheduleBic(): void {
  const token = ++bicToken;
  bic = [];
  ui.figure.dataset['bicDone'] = 'false';
  const m = matrix();
  const { covariance, seed } = settings();
  let k = 1;
  const next = (): void => {
    if (token !== bicToken) return;
    if (k > BIC_MAX_K || k > n) {
      ui.figure.dataset['bicDone'] = 'true';
      drawBicChart();
      return;
    }
    try {
      const fitted = new GaussianMixture<CovarianceType>({ components: k, covariance, seed, init: 'kmeans', maxIter: 200 }).fit(m);
      bic.push(fitted.bic(m));
    } catch {
      bic.push(NaN); // e.g. a component collapsed onto one point
    }
    k++;
    drawBicChart();
    requestAnimationFrame(next);
  };
  requestAnimationFrame(next);
}

// ---- drawing ----

/** Redraws everything (data, settings or size changed). */
function draw(): void {
  drawPlane();
  drawBicChart();
}

/** Redraws what an EM step changes: the plane, the readouts and the log-likelihood curve. */
function drawPlane(): void {
  plane.begin();
  plane.grid();
  drawPoints();
  drawComponents();
  drawReadouts();
  drawLlChart();
}

/** Points coloured by their responsibilities; points of (nearly) the same colour share one path and one fill. */
function drawPoints(): void {
  const { ctx } = plane;
  const k = gmm?.components ?? 0;
  const r = n > 1500 ? 1.6 : n > 600 ? 2.2 : 3;
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    let red = 120, green = 128, blue = 145;
    if (resp && k > 0) {
      red = green = blue = 0;
      for (let j = 0; j < k; j++) {
        const w = resp[i * k + j]!;
        const c = componentRgb(j);
        red += w * c[0]; green += w * c[1]; blue += w * c[2];
      }
    }
    const key = ((red >> 2) << 12) | ((green >> 2) << 6) | (blue >> 2); // 6 bits per channel
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(i);
  }
  for (const [key, members] of groups) {
    ctx.fillStyle = `rgb(${((key >> 12) & 63) << 2}, ${((key >> 6) & 63) << 2}, ${(key & 63) << 2})`;
    ctx.beginPath();
    for (const i of members) {
      const x = plane.px(points[2 * i]!), y = plane.py(points[2 * i + 1]!);
      ctx.moveTo(x + r, y);
      ctx.arc(x, y, r, 0, 2 * Math.PI);
    }
    ctx.fill();
  }
}

function drawComponents(): void {
  if (!gmm) return;
  const { ctx } = plane;
  const weights = gmm.weights;
  const means = gmm.means;
  weights.forEach((w, j) => {
    const c = componentRgb(j);
    const cov = gmm!.covarianceMatrix(j);
    plane.ellipsePath(means[j]!, cov, 1);
    ctx.fillStyle = rgb(c, 0.06 + 0.3 * Math.sqrt(w));
    ctx.fill();
    ctx.strokeStyle = rgb(c);
    ctx.lineWidth = 1.5 + 3 * Math.sqrt(w);
    ctx.stroke();
    plane.ellipsePath(means[j]!, cov, 2);
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1.2;
    ctx.stroke();
    ctx.setLineDash([]);
    const x = plane.px(means[j]![0]!), y = plane.py(means[j]![1]!);
    ctx.fillStyle = '#fff';
    ctx.strokeStyle = rgb(c);
    ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(x, y, 4, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    const label = `π ${w.toFixed(2)}`;
    ctx.font = '600 12px system-ui, sans-serif';
    const tw = ctx.measureText(label).width;
    ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
    ctx.fillRect(x + 7, y - 19, tw + 8, 16);
    ctx.fillStyle = rgb([c[0] * 0.7, c[1] * 0.7, c[2] * 0.7]);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText(label, x + 11, y - 11);
  });
}

function drawReadouts(): void {
  const ll = history.length ? history[history.length - 1]! : NaN;
  ui.statIter.textContent = String(iteration);
  ui.statLl.textContent = fmt(ll, 4);
  ui.statBic.textContent = gmm && Number.isFinite(currentBic) ? fmt(currentBic, 1) : '—';
  ui.overlay.textContent = `${dataName} · ${n} points · ${gmm ? `K = ${gmm.components}, iteration ${iteration}${converged ? ' (converged)' : ''}` : 'no model'}`;
  // For the browser tests and curious readers: the state drawn, as data attributes.
  ui.figure.dataset['iteration'] = String(iteration);
  ui.figure.dataset['logLikelihood'] = String(ll);
  ui.figure.dataset['means'] = gmm ? JSON.stringify(gmm.means.map((m) => m.map((v) => Number(v.toFixed(5))))) : '[]';
}

function drawLlChart(): void {
  llChart.series = [{ label: 'mean ln p(x)', color: LECTURE.blue, xs: history.map((_, i) => i), ys: history, dots: history.length < 40 }];
  // Initial components can be far worse than any later ones (K random points start with tiny covariances): once
  // there are iterations to see, the y range follows them and the first point may leave the chart.
  const later = history.slice(1).filter(Number.isFinite);
  delete llChart.options.yDomain;
  if (later.length >= 2) {
    const hi = Math.max(...later);
    let lo = Math.min(...later);
    const first = history[0]!;
    if (Number.isFinite(first) && first >= lo - 3 * Math.max(hi - lo, 1e-3)) lo = Math.min(lo, first); // not an outlier: keep it in view
    const pad = Math.max((hi - lo) * 0.08, 1e-4);
    llChart.options.yDomain = [lo - pad, hi + pad];
  }
  llChart.markers = history.length > 1 && history[0]! < (llChart.options.yDomain?.[0] ?? -Infinity) ? [{ x: 0, label: `iteration 0: ${fmt(history[0]!, 1)}, off the chart`, color: LECTURE.muted, dash: [1, 3] }] : [];
  llChart.draw();
}

function drawBicChart(): void {
  const ks = bic.map((_, i) => i + 1);
  const { k } = settings();
  bicChart.series = [{ label: 'BIC', color: LECTURE.ink, xs: ks, ys: bic, dots: true }];
  bicChart.markers = [{ x: k, color: COMPONENT_RGB[0] ? rgb(COMPONENT_RGB[0]) : LECTURE.blue, label: `your K = ${k}` }];
  let best = -1;
  bic.forEach((v, i) => {
    if (Number.isFinite(v) && (best < 0 || v < bic[best]!)) best = i;
  });
  const done = ui.figure.dataset['bicDone'] === 'true';
  bicChart.highlights = best >= 0 && done ? [{ x: best + 1, y: bic[best]!, color: LECTURE.green, label: `best K = ${best + 1}` }] : [];
  ui.statBestK.textContent = best >= 0 && done ? String(best + 1) : '…';
  bicChart.draw();
}

// ---- mouse: click adds a point, dragging sprays points ----

drawPointsWithMouse(plane, ui.plane, {
  add: addPoint,
  moved: () => {
    drawPlane();
  },
  done: () => {
  if (ui.dataset.value !== 'draw' && !dataName.startsWith('your')) dataName = `${dataName} + your points`;
  dataChanged(false);
  },
});

// ---- controls ----

const showValues = (): void => {
  ui.countValue.textContent = ui.count.value;
  ui.kValue.textContent = ui.k.value;
  ui.speedValue.textContent = ui.speed.value;
};
ui.dataset.addEventListener('change', loadDataset);
ui.count.addEventListener('input', showValues);
ui.count.addEventListener('change', () => ui.dataset.value !== 'draw' && loadDataset());
ui.dataSeed.addEventListener('change', () => ui.dataset.value !== 'draw' && loadDataset());
ui.csv.addEventListener('change', () => {
  const file = ui.csv.files?.[0];
  if (file) void loadCsv(file);
});
ui.clear.addEventListener('click', (e) => {
  e.preventDefault();
  ui.dataset.value = 'draw';
  setPoints([], 0, 'your points');
  plane.bounds = { x0: -4, x1: 4, y0: -3, y1: 3 };
  dataChanged(true);
});
ui.k.addEventListener('input', () => {
  showValues();
  reset();
});
ui.covariance.addEventListener('change', () => {
  reset();
  scheduleBic();
});
ui.init.addEventListener('change', reset);
ui.seed.addEventListener('change', reset);
ui.speed.addEventListener('input', showValues);
ui.step.addEventListener('click', () => {
  loop.pause();
  step();
  drawPlane();
});
ui.play.addEventListener('click', () => {
  if (!loop.playing && converged) setStatus('already converged: Reset (or change the seed) to run EM again', 'ok');
  else loop.toggle();
});
ui.reset.addEventListener('click', reset);
new ResizeObserver(() => draw()).observe(ui.plane);

showValues();
loadDataset();
markReady();
