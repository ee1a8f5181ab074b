/**
 * GMM & EM: a GaussianMixture (src/models/gmm) stepped one EM iteration at a time on 2-D points — a toy set, points
 * drawn with the mouse, or a CSV file — with its components as 1σ/2σ ellipses, responsibilities as point colours,
 * the log-likelihood per iteration, BIC against K, and restarts from several seeds keeping the best (EM climbs to a
 * local optimum only).
 *
 * Stepping uses the estimator's public API only: the components are initialised by a fit with maxIter 0, then
 * each step is a warm-started fit with maxIter 1 (one E-step + M-step from the current parameters).
 */
import {
  covarianceEllipse,
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
import { byId, fmt, h } from './lib/dom.js';
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
  restarts: byId('restarts', HTMLInputElement),
  restart: byId('restart', HTMLButtonElement),
  restartList: byId('restart-list', HTMLOListElement),
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
/** Most EM iterations of one restart. */
const RESTART_MAX_ITER = 500;
/**
 * Inits that pick K data points as the means: fitted to one point each, their covariances would be regCovar alone
 * (a log-likelihood of −10⁶ and invisible ellipses). The page starts them at the data's covariance instead.
 */
const SEED_INITS: readonly InitMethod[] = ['kmeans++', 'random-from-data'];

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
/** Bumped by every reset or new point: a run of restarts in progress stops when it changes. */
let restartToken = 0;
/** Set when the current components are the best of a run of restarts: how many there were. */
let bestOf = 0;

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
    forgetRestarts();
    history = [];
    evaluate();
    setStatus('new points: EM goes on from the current components', 'info');
  }
  scheduleBic();
  draw();
}

// ---- EM ----

/**
 * Initial components (a fit with maxIter 0 runs the initialisation only). Seed inits pick the means; each component
 * then starts with equal weight and the data's covariance shrunk by K (the covariance of a 1-component fit, in the
 * covariance type's shape), so that the ellipses overlap the data from the first picture on.
 */
function startingModel(seed: number): GaussianMixture<CovarianceType> {
  const { k, covariance, init } = settings();
  const m = matrix();
  const base = { components: k, covariance, init, seed, maxIter: 0 };
  const seeded = new GaussianMixture<CovarianceType>(base).fit(m);
  if (!SEED_INITS.includes(init)) return seeded;
  const whole = new GaussianMixture<CovarianceType>({ components: 1, covariance, init: 'kmeans', maxIter: 0 }).fit(m);
  // Precision × K is covariance ÷ K. Nested arrays of any covariance type: tied is one matrix, the others one per component.
  const scaled = (v: unknown): unknown => (typeof v === 'number' ? v * k : (v as unknown[]).map(scaled));
  const precisions = whole.precisions as unknown[];
  const precisionsInit = (covariance === 'tied' ? scaled(precisions) : Array.from({ length: k }, () => scaled(precisions[0]))) as GaussianMixtureJSON['covariances'];
  return new GaussianMixture<CovarianceType>({ ...base, weightsInit: new Array<number>(k).fill(1 / k), meansInit: seeded.means, precisionsInit }).fit(m);
}

/** A copy of `fitted` that steps: each fit is one warm-started EM iteration. */
function stepping(fitted: GaussianMixture<CovarianceType>): GaussianMixture<CovarianceType> {
  const json = fitted.toJSON();
  return GaussianMixture.fromJSON({ ...json, config: { ...json.config, maxIter: 1, warmStart: true } });
}

/** New components from the settings. */
function reset(): void {
  loop.pause();
  const { k, init, seed } = settings();
  gmm = null;
  resp = null;
  iteration = 0;
  history = [];
  currentBic = NaN;
  converged = false;
  forgetRestarts();
  if (n < Math.max(k, 2)) {
    setStatus(n === 0 ? 'No points yet: click or drag on the plane.' : `K = ${k} needs at least ${Math.max(k, 2)} points: add some or lower K.`);
    draw();
    return;
  }
  try {
    gmm = stepping(startingModel(seed));
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
  if (converged) setStatus(convergedText(), 'ok');
  else setStatus(`iteration ${iteration}: log-likelihood ${last >= prev ? 'rose' : 'fell'} by ${fmt(Math.abs(last - prev), 5)}`);
  return !converged;
}

/** EM stops at a local optimum of the likelihood: where it ends depends on where it started. */
function convergedText(): string {
  const where = `converged to a local optimum after ${iteration} iterations (change < ${TOL})`;
  if (bestOf > 1) return `${where}: the best of ${bestOf} restarts.`;
  return `${where}. EM only climbs from its start: another start may end higher — try ${ui.restarts.value} restarts, keep the best.`;
}

// ---- restarts: init + EM to convergence from seeds seed, seed + 1, …; keep the best, one restart per frame ----

/** New components or new points: restarts in progress stop, and the list of the last ones goes. */
function forgetRestarts(): void {
  bestOf = 0;
  restartToken++;
  ui.restartList.replaceChildren();
  delete ui.figure.dataset['restarts'];
  delete ui.figure.dataset['restartBest'];
}

interface Restart {
  seed: number;
  /** Mean log-likelihood per point at the end (NaN when the fit failed). */
  logLikelihood: number;
  iterations: number;
  fitted: GaussianMixture<CovarianceType> | null;
}

function runRestarts(): void {
  if (n < Math.max(settings().k, 2)) return reset(); // says what is missing
  loop.pause();
  const token = ++restartToken;
  const count = Math.min(50, Math.max(2, Math.trunc(Number(ui.restarts.value)) || 2));
  const first = settings().seed;
  const m = matrix();
  const runs: Restart[] = [];
  ui.restartList.replaceChildren();
  delete ui.figure.dataset['restartBest'];
  ui.restart.disabled = true;
  const next = (): void => {
    if (token !== restartToken) return void (ui.restart.disabled = false);
    if (runs.length === count) return keepBest(runs);
    const seed = first + runs.length;
    let run: Restart = { seed, logLikelihood: NaN, iterations: 0, fitted: null };
    try {
      const json = startingModel(seed).toJSON();
      const fitted = GaussianMixture.fromJSON({ ...json, config: { ...json.config, maxIter: RESTART_MAX_ITER, tol: TOL, warmStart: true } }).fit(m);
      run = { seed, logLikelihood: fitted.score(m), iterations: fitted.iterations, fitted };
    } catch {
      // a component collapsed onto one point: this restart has no likelihood to compare
    }
    runs.push(run);
    showRestarts(runs, -1);
    setStatus(`restart ${runs.length} of ${count} (seed ${seed})…`);
    requestAnimationFrame(next);
  };
  requestAnimationFrame(next);
}

/** The best restart becomes the page's model (its seed goes into the seed box, so Reset starts it again). */
function keepBest(runs: Restart[]): void {
  ui.restart.disabled = false;
  let best = -1;
  runs.forEach((r, i) => {
    if (Number.isFinite(r.logLikelihood) && (best < 0 || r.logLikelihood > runs[best]!.logLikelihood)) best = i;
  });
  showRestarts(runs, best);
  if (best < 0) return setStatus(`all ${runs.length} restarts failed: lower K or add points`, 'error');
  const winner = runs[best]!;
  const m = matrix();
  gmm = stepping(winner.fitted!);
  ui.seed.value = String(winner.seed);
  iteration = winner.iterations;
  history = [...winner.fitted!.lowerBoundHistory, winner.logLikelihood];
  currentBic = gmm.bic(m);
  resp = gmm.predictProba(m).data;
  converged = winner.fitted!.converged;
  bestOf = runs.length;
  const finite = runs.map((r) => r.logLikelihood).filter(Number.isFinite);
  const spread = Math.max(...finite) - Math.min(...finite);
  setStatus(
    `kept seed ${winner.seed}, the best of ${runs.length} restarts (ln p(x) per point ${fmt(winner.logLikelihood, 4)}; ` +
      (spread > 1e-3 ? `the worst ended ${fmt(spread, 3)} lower: different local optima).` : 'all ended at the same optimum).'),
    'ok',
  );
  drawPlane();
}

/** Each restart's final log-likelihood, the best marked. */
function showRestarts(runs: readonly Restart[], best: number): void {
  ui.restartList.replaceChildren(
    ...runs.map((r, i) =>
      h('li', { class: i === best ? 'best' : undefined }, `seed ${r.seed}: ${Number.isFinite(r.logLikelihood) ? fmt(r.logLikelihood, 4) : 'failed'}`, h('span', { class: 'muted' }, r.fitted ? ` · ${r.iterations} it.` : ''), i === best ? ' ✓ kept' : ''),
    ),
  );
  ui.figure.dataset['restarts'] = JSON.stringify(runs.map((r) => r.logLikelihood));
  if (best >= 0) ui.figure.dataset['restartBest'] = String(runs[best]!.logLikelihood);
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

/**
 * A readout that fits its card (about 9 characters): fixed decimals, fewer when long, and past that 3 significant
 * digits times a power of ten.
 */
function readout(v: number, decimals: number, maxChars = 9): string {
  if (!Number.isFinite(v)) return '—';
  for (let d = decimals; d >= 0; d--) {
    const s = fmt(v, d);
    if (s.length <= maxChars) return s;
  }
  const [mantissa, exponent] = v.toExponential(2).split('e');
  const superscript = (c: string): string => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(c)] ?? (c === '-' ? '⁻' : '');
  return `${mantissa!.replace('-', '−')}·10${[...exponent!].map(superscript).join('')}`;
}

/** The narrowest 1σ semi-axis of the components, in pixels: whether every ellipse can be seen. */
function narrowestEllipsePx(): number {
  if (!gmm) return NaN;
  return Math.min(...gmm.weights.map((_, j) => covarianceEllipse(gmm!.covarianceMatrix(j), 1).semiMinor * plane.pixelsPerUnit));
}

function drawReadouts(): void {
  const ll = history.length ? history[history.length - 1]! : NaN;
  ui.statIter.textContent = String(iteration);
  ui.statLl.textContent = readout(ll, 4);
  ui.statBic.textContent = gmm && Number.isFinite(currentBic) ? readout(currentBic, 1) : '—';
  ui.overlay.textContent = `${dataName} · ${n} points · ${gmm ? `K = ${gmm.components}, iteration ${iteration}${converged ? ' (converged)' : ''}` : 'no model'}`;
  // For the browser tests and curious readers: the state drawn, as data attributes.
  ui.figure.dataset['iteration'] = String(iteration);
  ui.figure.dataset['logLikelihood'] = String(ll);
  ui.figure.dataset['bic'] = String(currentBic);
  ui.figure.dataset['narrowestEllipsePx'] = String(narrowestEllipsePx());
  ui.figure.dataset['means'] = gmm ? JSON.stringify(gmm.means.map((m) => m.map((v) => Number(v.toFixed(5))))) : '[]';
}

function drawLlChart(): void {
  llChart.series = [{ label: 'mean ln p(x)', color: LECTURE.blue, xs: history.map((_, i) => i), ys: history, dots: history.length < 40 }];
  // Initial components can be far worse than any later ones (every mean near the data's centre, say): once
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
  if (!loop.playing && converged) setStatus(`already converged to a local optimum: Reset, change the seed, or run ${ui.restarts.value} restarts`, 'ok');
  else loop.toggle();
});
ui.reset.addEventListener('click', reset);
ui.restart.addEventListener('click', runRestarts);
new ResizeObserver(() => draw()).observe(ui.plane);

showValues();
loadDataset();
markReady();
