/**
 * GANs in two dimensions, GAN Lab style, on the library's GAN (src/models/gan.ts): D's output as a heat map, real
 * and generated points, G's image of a grid of codes, arrows for where G's loss pushes each generated point; D and
 * G stepped separately or together; the Improved-Techniques fixes as toggles; losses, modes covered and the share
 * of high-quality samples (src/eval/gan-toy.ts) charted live.
 */
import {
  initEngine,
  makeDataset,
  modeMetrics,
  Rng,
  sampleToy,
  tf,
  toyModes,
  type BackendName,
  type Dataset,
  type GanLoss,
  type ModeMetrics,
  type OptimizerName,
} from '../../src/browser.js';
import { LineChart } from './lib/chart.js';
import { LECTURE } from './lib/colors.js';
import { byId, fmt } from './lib/dom.js';
import { drawArrows, drawDots, drawMesh, fingerprint, paintHeatMap, visibleGrid } from './lib/gan-draw.js';
import { learningRate, showRate } from './lib/gan-controls.js';
import { divergedMessage, fixedCodes, History, LiveGan, lossSeries, type LiveGanSettings } from './lib/gan-live.js';
import { Loop } from './lib/loop.js';
import { boundsOf, drawPointsWithMouse, Plane } from './lib/plane.js';
import { errorText, markReady, mountHeader, setStatus } from './lib/shell.js';

mountHeader('gan2d.html');

const ui = {
  figure: byId('figure'),
  plane: byId('plane', HTMLCanvasElement),
  overlay: byId('overlay'),
  dStep: byId('d-step', HTMLButtonElement),
  gStep: byId('g-step', HTMLButtonElement),
  step: byId('step', HTMLButtonElement),
  play: byId('play', HTMLButtonElement),
  reset: byId('reset', HTMLButtonElement),
  statStep: byId('stat-step'),
  statUpdates: byId('stat-updates'),
  statDLoss: byId('stat-d-loss'),
  statGLoss: byId('stat-g-loss'),
  statModes: byId('stat-modes'),
  statHq: byId('stat-hq'),
  dataset: byId('dataset', HTMLSelectElement),
  clear: byId('clear', HTMLAnchorElement),
  layers: byId('layers', HTMLInputElement),
  layersValue: byId('layers-value'),
  units: byId('units', HTMLInputElement),
  unitsValue: byId('units-value'),
  latent: byId('latent', HTMLInputElement),
  latentValue: byId('latent-value'),
  loss: byId('loss', HTMLSelectElement),
  seed: byId('seed', HTMLInputElement),
  optimizer: byId('optimizer', HTMLSelectElement),
  lrD: byId('lr-d', HTMLInputElement),
  lrDValue: byId('lr-d-value'),
  lrG: byId('lr-g', HTMLInputElement),
  lrGValue: byId('lr-g-value'),
  dSteps: byId('d-steps', HTMLInputElement),
  dStepsValue: byId('d-steps-value'),
  featureMatching: byId('feature-matching', HTMLButtonElement),
  minibatch: byId('minibatch', HTMLButtonElement),
  smoothing: byId('smoothing', HTMLInputElement),
  smoothingValue: byId('smoothing-value'),
  historical: byId('historical', HTMLSelectElement),
  instanceNoise: byId('instance-noise', HTMLSelectElement),
  show: {
    heat: byId('show-heat', HTMLInputElement),
    real: byId('show-real', HTMLInputElement),
    fake: byId('show-fake', HTMLInputElement),
    mesh: byId('show-mesh', HTMLInputElement),
    arrows: byId('show-arrows', HTMLInputElement),
  },
  backend: byId('backend'),
};

const BATCH = 64;
/** Steps over which the instance noise falls to 0: a few seconds of play. */
const INSTANCE_NOISE_STEPS = 3000;
/** Real points of a toy set. */
const REAL_COUNT = 2000;
const MAX_POINTS = 5000;
/** Fewest real points to train on. */
const MIN_POINTS = 8;
/** Generated points drawn (fixed noise, with arrows), and samples behind the metrics. */
const FAKES = 256;
const METRIC_SAMPLES = 1000;
/** Heat-map cells across the plane. */
const HEAT_COLS = 64;
/** The code grid G warps: lines per direction, points per line, over [−range, range] in z's first two dims. */
const MESH = { lines: 11, points: 41, range: 2 };
/** Minibatch discrimination's kernels: fewer than the library's default 32, so the heat map stays quick. */
const MINIBATCH_KERNELS = 16;
const GREEN = LECTURE.green;
const PUSH = '#c2185b';

// ---- state ----
let points = new Float32Array(2 * REAL_COUNT);
let count = 0;
let dataName = '';
let live: LiveGan | null = null;
/** Why there is no GAN, when there is none: repeated when a training button is pressed. */
let whyNoGan: { text: string; kind: 'info' | 'error' } = { text: 'No GAN yet.', kind: 'info' };
let fakeCodes: Float32Array = new Float32Array(0);
let metricCodes: Float32Array = new Float32Array(0);
let meshCodes: { codes: Float32Array; lines: number; perLine: number } = { codes: new Float32Array(0), lines: 0, perLine: 0 };
/** The step the status line last reported: it follows training, and leaves other messages until the next step. */
let reportedStep = 0;
const losses = new History(['d', 'g']);
const metrics = new History(['hq', 'modes']);

const plane = new Plane(ui.plane);
const lossChart = new LineChart(byId('loss-chart', HTMLCanvasElement), { xLabel: 'training step', integerX: true });
const metricChart = new LineChart(byId('metric-chart', HTMLCanvasElement), { xLabel: 'training step', yLabel: '%', integerX: true, yDomain: [0, 100] });

const pressed = (b: HTMLButtonElement): boolean => b.getAttribute('aria-pressed') === 'true';

function settings(): LiveGanSettings {
  const dSteps = Number(ui.dSteps.value);
  const latent = Number(ui.latent.value);
  return {
    config: {
      loss: ui.loss.value as GanLoss,
      hidden: Array.from({ length: Number(ui.layers.value) }, () => Number(ui.units.value)),
      latent,
      dSteps,
      featureMatching: pressed(ui.featureMatching),
      minibatchDiscrimination: pressed(ui.minibatch),
      minibatchKernels: MINIBATCH_KERNELS,
      labelSmoothing: Number(ui.smoothing.value),
      historicalAveraging: Number(ui.historical.value),
      instanceNoise: Number(ui.instanceNoise.value),
      instanceNoiseSteps: INSTANCE_NOISE_STEPS,
    },
    optimizer: ui.optimizer.value as OptimizerName,
    lrD: learningRate(ui.lrD),
    lrG: learningRate(ui.lrG),
    dSteps,
    batchSize: BATCH,
    seed: Math.trunc(Number(ui.seed.value) || 0),
  };
}

/** The real points as a dataset. */
const dataset = (): Dataset => makeDataset({ name: dataName, kind: 'points', shape: [2], data: points.slice(0, 2 * count) });

/** Known modes of the chosen toy set (ring8, grid25), for the metrics. */
const modes = (): ReturnType<typeof toyModes> => (ui.dataset.value === 'ring8' || ui.dataset.value === 'grid25' ? toyModes(ui.dataset.value) : null);

// ---- data ----

function loadDataset(): void {
  const name = ui.dataset.value;
  if (name === 'draw') {
    count = 0;
    dataName = 'your points';
    plane.bounds = { x0: -4, x1: 4, y0: -3, y1: 3 };
  } else {
    points = new Float32Array(2 * Math.max(REAL_COUNT, MAX_POINTS));
    points.set(sampleToy(name, REAL_COUNT, new Rng(0)).points);
    count = REAL_COUNT;
    dataName = name;
    plane.bounds = boundsOf(points, count, 0.22);
  }
  reset();
}

function addPoint(x: number, y: number): void {
  if (count >= MAX_POINTS) return;
  if (2 * count + 2 > points.length) {
    const grown = new Float32Array(points.length * 2);
    grown.set(points);
    points = grown;
  }
  points[2 * count] = x;
  points[2 * count + 1] = y;
  count++;
}

/** After points were drawn: the running GAN trains on them from now on (or a new one starts once there are enough). */
function dataChanged(): void {
  if (count < MIN_POINTS) {
    setStatus(`${count} points: draw at least ${MIN_POINTS} to train on.`);
    draw();
  } else if (live) {
    live.setData(dataset());
    setStatus(`${count} real points: the GAN goes on training on them.`);
    draw();
  } else reset();
}

// ---- the GAN ----

/** Codes of the mesh: for z of 2+ dims a grid in the first two (the others 0), for 1 dim a line. */
function meshFor(latent: number): typeof meshCodes {
  if (latent === 1) {
    const n = 121;
    return { codes: Float32Array.from({ length: n }, (_, i) => -3 + (6 * i) / (n - 1)), lines: 1, perLine: n };
  }
  const { lines, points: per, range } = MESH;
  const codes = new Float32Array(2 * lines * per * latent);
  const at = (i: number, n: number): number => -range + (2 * range * i) / (n - 1);
  let row = 0;
  for (const along of [0, 1]) {
    for (let l = 0; l < lines; l++) {
      for (let p = 0; p < per; p++, row++) {
        codes[row * latent + along] = at(p, per);
        codes[row * latent + (1 - along)] = at(l, lines);
      }
    }
  }
  return { codes, lines: 2 * lines, perLine: per };
}

/** A new, untrained GAN from the controls. */
function reset(): void {
  loop.pause();
  live?.dispose();
  live = null;
  reportedStep = 0;
  losses.clear();
  metrics.clear();
  if (count < MIN_POINTS) {
    whyNoGan = { text: count === 0 ? 'No real points yet: click or drag on the plane.' : `${count} points: draw at least ${MIN_POINTS} to train on.`, kind: 'info' };
    setStatus(whyNoGan.text);
    draw();
    return;
  }
  try {
    live = new LiveGan(dataset(), settings());
    const latent = live.gan.latent;
    fakeCodes = fixedCodes(FAKES, latent, 11);
    metricCodes = fixedCodes(METRIC_SAMPLES, latent, 12);
    meshCodes = meshFor(latent);
    setStatus('A new GAN: step D and G, or press Play.');
  } catch (e) {
    // Settings the library refuses (e.g. label smoothing with a Wasserstein critic): its message says why.
    whyNoGan = { text: errorText(e), kind: 'error' };
    setStatus(whyNoGan.text, 'error');
  }
  draw();
}

/** One step (dSteps D updates, one G update); false stops the loop. */
async function work(): Promise<boolean> {
  const g = live;
  if (!g) return false;
  await g.step();
  if (g !== live) return false; // reset while the step ran
  return checkFinite();
}

/** False, with the reason on the status line, once a step produced a NaN or infinite term. */
function checkFinite(): boolean {
  if (live?.diverged == null) return true;
  setStatus(divergedMessage(live.diverged), 'error');
  return false;
}

// ---- drawing ----

function draw(): void {
  plane.begin();
  let dHash = '', fakeHash = '', quality: ModeMetrics | null = null;
  if (live) {
    const heat = visibleGrid(plane, HEAT_COLS);
    const d = live.discriminatorAt(heat.points);
    dHash = fingerprint(d);
    if (ui.show.heat.checked) paintHeatMap(plane, d, heat.cols, heat.rows, live.gan.discriminatorOutput);
  }
  plane.grid();
  if (live && ui.show.mesh.checked) {
    const xy = live.generate(meshCodes.codes);
    const lines = Array.from({ length: meshCodes.lines }, (_, l) => xy.subarray(2 * l * meshCodes.perLine, 2 * (l + 1) * meshCodes.perLine));
    drawMesh(plane, lines, 'rgba(31, 157, 85, 0.38)');
  }
  if (ui.show.real.checked) drawDots(plane, points.subarray(0, 2 * count), 'rgba(29, 35, 48, 0.7)', count > 1500 ? 1.6 : 2.2);
  if (live) {
    const fake = live.generate(fakeCodes);
    fakeHash = fingerprint(fake);
    if (ui.show.fake.checked) drawDots(plane, fake, GREEN, 3, '#fff');
    if (ui.show.arrows.checked) drawArrows(plane, fake, live.generatorPush(fake, points.slice(0, 2 * Math.min(count, FAKES))), PUSH);
    const m = modes();
    if (m) quality = modeMetrics(live.generate(metricCodes), 2, m);
    losses.push(live.steps, { d: live.latest.dLoss, g: live.latest.gLoss });
    if (quality) metrics.push(live.steps, { hq: 100 * quality.highQuality, modes: (100 * quality.modesCovered) / quality.modesTotal });
  }
  drawCharts();
  drawReadouts(quality, dHash, fakeHash);
}

function drawCharts(): void {
  lossChart.series = lossSeries(losses);
  lossChart.draw();
  metricChart.series = [
    { label: 'high-quality samples', color: LECTURE.ink, xs: metrics.step, ys: metrics.values.hq, width: 1.5 },
    { label: 'modes covered', color: '#b07aa1', xs: metrics.step, ys: metrics.values.modes, width: 2 },
  ];
  metricChart.draw();
}

function drawReadouts(quality: ModeMetrics | null, dHash: string, fakeHash: string): void {
  const step = live?.steps ?? 0;
  ui.statStep.textContent = String(step);
  ui.statUpdates.textContent = live ? `${live.dUpdates} / ${live.gUpdates}` : '—';
  ui.statDLoss.textContent = fmt(live?.latest.dLoss ?? NaN, 3);
  ui.statGLoss.textContent = fmt(live?.latest.gLoss ?? NaN, 3);
  ui.statModes.textContent = quality ? `${quality.modesCovered} / ${quality.modesTotal}` : '—';
  ui.statHq.textContent = quality ? `${fmt(100 * quality.highQuality, 1)}%` : '—';
  ui.overlay.textContent = `${dataName} · ${count} real points${live ? ` · step ${step}` : ''}`;
  if (live && step > 0 && step !== reportedStep && live.diverged === null) {
    reportedStep = step;
    setStatus(trainingText(step, quality));
  }
  // The state drawn, as data attributes (for the browser tests and curious readers): fingerprints of D's values on
  // the heat-map grid and of the generated points show which player a step changed.
  Object.assign(ui.figure.dataset, {
    step: String(step),
    dUpdates: String(live?.dUpdates ?? 0),
    gUpdates: String(live?.gUpdates ?? 0),
    points: String(count),
    discriminator: dHash,
    generated: fakeHash,
    highQuality: String(quality?.highQuality ?? NaN),
    modesCovered: String(quality?.modesCovered ?? NaN),
    tensors: live ? String(tf.memory().numTensors) : '', // only once the engine is up: TF.js would start a backend of its own
  });
}

/** The status line while training: the step, what G covers, the losses; a hint when G has collapsed onto few modes. */
function trainingText(step: number, quality: ModeMetrics | null): string {
  const g = live!;
  const losses = `D loss ${fmt(g.latest.dLoss, 3)}, G loss ${fmt(g.latest.gLoss, 3)}`;
  if (!quality) return `step ${step}: ${losses}`;
  const { modesCovered, modesTotal } = quality;
  const collapsed = step >= 1000 && modesCovered <= modesTotal / 2 && !pressed(ui.minibatch) ? ' — G has collapsed onto few modes: try minibatch discrimination' : '';
  return `step ${step}: modes covered ${modesCovered} / ${modesTotal}, ${fmt(100 * quality.highQuality, 0)}% of samples high quality · ${losses}${collapsed}`;
}

const loop = new Loop(work, draw, {
  budgetMs: 12,
  onChange: (playing) => (ui.play.textContent = playing ? 'Pause' : 'Play'),
  onError: (e) => setStatus(errorText(e), 'error'),
});

// ---- mouse: click adds a real point, dragging sprays points ----

drawPointsWithMouse(plane, ui.plane, {
  add: addPoint,
  moved: () => {
    if (!loop.playing) draw();
  },
  done: () => {
  if (ui.dataset.value !== 'draw' && !dataName.endsWith('your points')) dataName = `${dataName} + your points`;
  dataChanged();
  },
});

// ---- controls ----

function showValues(): void {
  ui.layersValue.textContent = ui.layers.value;
  ui.unitsValue.textContent = ui.units.value;
  ui.latentValue.textContent = ui.latent.value;
  ui.lrDValue.textContent = showRate(learningRate(ui.lrD));
  ui.lrGValue.textContent = showRate(learningRate(ui.lrG));
  ui.dStepsValue.textContent = ui.dSteps.value;
  ui.smoothingValue.textContent = Number(ui.smoothing.value) === 1 ? 'off' : ui.smoothing.value;
}

/** One manual move: pause, update (after any step in flight), redraw. */
const manual = (move: (g: LiveGan) => Promise<void>) => (): void => {
  if (!live) {
    loop.pause();
    return setStatus(whyNoGan.text, whyNoGan.kind);
  }
  void loop.once(async () => {
    const g = live;
    if (!g) return;
    await move(g);
    if (g === live) checkFinite();
  });
};

ui.dStep.addEventListener('click', manual((g) => g.dStep()));
ui.gStep.addEventListener('click', manual((g) => g.gStep()));
ui.step.addEventListener('click', manual((g) => g.step()));
ui.play.addEventListener('click', () => {
  if (!live) setStatus(whyNoGan.text, whyNoGan.kind);
  else loop.toggle();
});
ui.reset.addEventListener('click', reset);
ui.dataset.addEventListener('change', loadDataset);
ui.clear.addEventListener('click', (e) => {
  e.preventDefault();
  ui.dataset.value = 'draw';
  loadDataset();
});
for (const input of [ui.layers, ui.units, ui.latent, ui.smoothing]) {
  input.addEventListener('input', showValues);
  input.addEventListener('change', reset);
}
ui.loss.addEventListener('change', () => {
  // WGAN-GP trains its critic n_critic = 5 times per generator step (Gulrajani et al. 2017).
  ui.dSteps.value = ui.loss.value === 'wgan-gp' ? '5' : '1';
  showValues();
  reset();
});
ui.seed.addEventListener('change', reset);
ui.historical.addEventListener('change', reset);
ui.instanceNoise.addEventListener('change', reset);
for (const toggle of [ui.featureMatching, ui.minibatch]) {
  toggle.addEventListener('click', () => {
    const on = !pressed(toggle);
    toggle.setAttribute('aria-pressed', String(on));
    toggle.textContent = toggle.textContent!.replace(/: (on|off)$/, on ? ': on' : ': off');
    reset();
  });
}
const newOptimizers = (): void => {
  showValues();
  live?.setOptimizer(ui.optimizer.value as OptimizerName, learningRate(ui.lrD), learningRate(ui.lrG));
  setStatus(`${ui.optimizer.value}, learning rates D ${showRate(learningRate(ui.lrD))}, G ${showRate(learningRate(ui.lrG))}: new optimisers, same networks`);
};
ui.optimizer.addEventListener('change', newOptimizers);
for (const input of [ui.lrD, ui.lrG]) {
  input.addEventListener('input', showValues);
  input.addEventListener('change', newOptimizers);
}
ui.dSteps.addEventListener('input', () => {
  showValues();
  if (live) live.settings.dSteps = Number(ui.dSteps.value);
});
for (const box of Object.values(ui.show)) box.addEventListener('change', () => loop.playing || draw());
new ResizeObserver(() => loop.playing || draw()).observe(ui.plane);

showValues();
try {
  // ?backend=webgl (or webgpu, cpu, auto) picks another backend. These networks are tiny: per-op overhead dominates,
  // so wasm on the CPU trains them faster than a GPU backend (in headless chromium, ~60 steps/s against ~8 on webgl).
  const backend = (new URLSearchParams(location.search).get('backend') ?? 'wasm') as BackendName | 'auto';
  const engine = await initEngine({ backend, wasmPath: new URL('wasm/', location.href).href });
  ui.backend.textContent = `TensorFlow.js backend: ${engine.backend}`;
  loadDataset();
} catch (e) {
  setStatus(errorText(e), 'error');
  for (const b of [ui.dStep, ui.gStep, ui.step, ui.play, ui.reset]) b.disabled = true;
}
markReady();
