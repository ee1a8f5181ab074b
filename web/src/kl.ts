/**
 * Why the KL term: the lecture's three curves — exp(σ) (blue), 1 + σ (red) and their difference (green, minimal
 * at σ = 0) — with σ and m on sliders; and a small VAE (src/models/vae.ts) training live on moon images through the
 * library's one training step (TrainStep), whose KL term can be switched off to watch the encoder's variance collapse.
 */
import {
  endlessBatches,
  initEngine,
  loadMoons,
  NonFiniteTermError,
  Rng,
  termRecord,
  tf,
  TrainStep,
  VAE,
  type BackendName,
  type Batch,
  type Dataset,
  type LossTerms,
} from '../../src/browser.js';
import { LineChart } from './lib/chart.js';
import { LECTURE } from './lib/colors.js';
import { byId, fmt, h } from './lib/dom.js';
import { Loop } from './lib/loop.js';
import { errorText, markReady, mountHeader, setStatus } from './lib/shell.js';

mountHeader('kl.html');

// ---- the three curves ----

const ui = {
  sigma: byId('sigma', HTMLInputElement),
  sigmaValue: byId('sigma-value'),
  mean: byId('mean', HTMLInputElement),
  meanValue: byId('mean-value'),
  exp: byId('v-exp'),
  line: byId('v-line'),
  diff: byId('v-diff'),
  kl: byId('v-kl'),
};

const SIGMA_RANGE: [number, number] = [-2.5, 2.5];
const grid = Array.from({ length: 201 }, (_, i) => SIGMA_RANGE[0] + ((SIGMA_RANGE[1] - SIGMA_RANGE[0]) * i) / 200);
const curves = new LineChart(byId('curves', HTMLCanvasElement), { xLabel: 'σ (log-variance)', xDomain: SIGMA_RANGE, yDomain: [-1.6, 6] });
curves.series = [
  { label: 'exp(σ)', color: LECTURE.blue, xs: grid, ys: grid.map(Math.exp), width: 2.5 },
  { label: '1 + σ', color: LECTURE.red, xs: grid, ys: grid.map((s) => 1 + s), width: 2.5 },
  { label: 'exp(σ) − (1 + σ)', color: LECTURE.green, xs: grid, ys: grid.map((s) => Math.exp(s) - 1 - s), width: 3 },
];

function drawCurves(): void {
  const s = Number(ui.sigma.value);
  const m = Number(ui.mean.value);
  const e = Math.exp(s), l = 1 + s, d = e - l;
  ui.sigmaValue.textContent = fmt(s, 2);
  ui.meanValue.textContent = fmt(m, 2);
  ui.exp.textContent = fmt(e, 3);
  ui.line.textContent = fmt(l, 3);
  ui.diff.textContent = fmt(d, 3);
  ui.kl.textContent = fmt(d + m * m, 3);
  curves.markers = [
    { x: 0, color: LECTURE.green, label: 'minimum at σ = 0: variance 1', dash: [2, 4], labelAt: 'bottom' },
    { x: s, color: LECTURE.muted, label: `σ = ${fmt(s, 2)}` },
  ];
  curves.highlights = [
    { x: s, y: e, color: LECTURE.blue },
    { x: s, y: l, color: LECTURE.red },
    { x: s, y: d, color: LECTURE.green },
  ];
  curves.draw();
}
ui.sigma.addEventListener('input', drawCurves);
ui.mean.addEventListener('input', drawCurves);

// ---- the VAE ----

const t = {
  toggle: byId('kl-toggle', HTMLButtonElement),
  train: byId('train', HTMLButtonElement),
  one: byId('train-step', HTMLButtonElement),
  reset: byId('train-reset', HTMLButtonElement),
  step: byId('t-step'),
  variance: byId('t-var'),
  recon: byId('t-recon'),
  kl: byId('t-kl'),
  backend: byId('backend'),
  strips: byId('strips'),
};

const SIZE = 16;
const LATENT = 8;
const SHOWN = 8;
const SEED = 3;

const varianceChart = new LineChart(byId('variance', HTMLCanvasElement), { xLabel: 'training step', yLabel: 'mean variance exp(σ)', logY: true, integerX: true });
const termsChart = new LineChart(byId('terms', HTMLCanvasElement), { xLabel: 'training step', yLabel: 'nats per image', integerX: true });

let data: { train: Dataset; test: Dataset } | null = null;
let vae: VAE | null = null;
let trainer: TrainStep | null = null;
/** Endless shuffled minibatches of the training moons (labels included, were there any). */
let stream: Generator<Batch, never> | null = null;
let klOn = true;
const log = { step: [] as number[], variance: [] as number[], recon: [] as number[], kl: [] as number[] };
/** Steps at which the KL term was switched off / on, for the shaded bands. */
let offSince: number | null = null;
let bands: { from: number; to: number }[] = [];
let lastImages = 0;

const stripCanvases: Record<'data' | 'recon' | 'sample', HTMLCanvasElement[]> = { data: [], recon: [], sample: [] };
for (const [key, label] of [
  ['data', 'moons'],
  ['recon', 'reconstructed'],
  ['sample', 'z ~ N(0, I)'],
] as const) {
  const row = h('div', { class: 'strip' }, h('span', { class: 'label' }, label));
  for (let i = 0; i < SHOWN; i++) {
    const c = h('canvas', { width: SIZE, height: SIZE });
    stripCanvases[key].push(c);
    row.append(c);
  }
  t.strips.append(row);
}

function paint(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, offset: number): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(SIZE, SIZE);
  for (let i = 0; i < SIZE * SIZE; i++) {
    const v = Math.round(255 * Math.min(1, Math.max(0, pixels[offset + i]!)));
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** Fixed codes for the sample strip, so its change over training is visible. */
const fixedZ = (() => {
  const rng = new Rng(99);
  return Float32Array.from({ length: SHOWN * LATENT }, () => rng.normal());
})();

function drawImages(): void {
  if (!vae || !data) return;
  const x = data.test.data.subarray(0, SHOWN * SIZE * SIZE);
  const [recon, samples] = tf.tidy(() => {
    const xs = tf.tensor(x, [SHOWN, SIZE, SIZE, 1]);
    return [vae!.reconstruct(xs), vae!.decode(tf.tensor(fixedZ, [SHOWN, LATENT]))];
  });
  const r = recon.dataSync(), s = samples.dataSync();
  recon.dispose();
  samples.dispose();
  for (let i = 0; i < SHOWN; i++) {
    paint(stripCanvases.data[i]!, x, i * SIZE * SIZE);
    paint(stripCanvases.recon[i]!, r, i * SIZE * SIZE);
    paint(stripCanvases.sample[i]!, s, i * SIZE * SIZE);
  }
  lastImages = performance.now();
}

/** With the KL term off, reconstruction alone (weight decay, if any, is applied by the update either way). */
function objective(terms: LossTerms): tf.Scalar {
  return klOn ? terms.loss : terms['recon']!;
}

function resetVae(): void {
  loop.pause();
  trainer?.dispose();
  vae?.dispose();
  data ??= loadMoons({ trainCount: 1200, testCount: 64, size: SIZE, seed: SEED });
  vae = VAE.create({ hidden: [128], latent: LATENT }, { shape: [SIZE, SIZE, 1], kind: 'images' }, new Rng(SEED));
  // One seed: the model's noise from one stream, the shuffles from another.
  const root = new Rng(SEED);
  trainer = new TrainStep(vae, root.fork(), { learningRate: 3e-3, objective });
  stream = endlessBatches(data.train, { batchSize: 64, rng: root.fork(), dropLast: true });
  log.step = []; log.variance = []; log.recon = []; log.kl = [];
  bands = [];
  offSince = klOn ? null : 0;
  drawImages();
  drawTraining();
}

/** One training step on the next minibatch; false stops the loop (a NaN or infinite term: the status line says so). */
async function trainStep(): Promise<boolean> {
  const step = trainer;
  if (!step || !stream) return false;
  let terms: Record<string, number>;
  try {
    terms = termRecord(await step.run(stream.next().value));
  } catch (e) {
    if (step !== trainer) return false; // reset while the step ran
    if (!(e instanceof NonFiniteTermError)) throw e;
    setStatus(`training stopped: ${e.message}. Press Reset.`, 'error');
    return false;
  }
  if (step !== trainer) return false;
  log.step.push(step.step);
  log.variance.push(terms['meanVariance'] ?? NaN);
  log.recon.push(terms['recon'] ?? NaN);
  log.kl.push(terms['kl'] ?? NaN);
  return true;
}

function drawTraining(): void {
  const n = log.step.length;
  const last = (a: number[]): number => (a.length ? a[a.length - 1]! : NaN);
  t.step.textContent = String(trainer?.step ?? 0);
  t.variance.textContent = n ? last(log.variance).toPrecision(3) : '—';
  t.recon.textContent = fmt(last(log.recon), 1);
  t.kl.textContent = fmt(last(log.kl), 2);
  document.body.dataset['trainStep'] = String(trainer?.step ?? 0);
  document.body.dataset['meanVariance'] = String(last(log.variance));
  const now = trainer?.step ?? 0;
  const shade = 'rgba(216, 54, 58, 0.09)';
  const allBands = [...bands, ...(offSince !== null ? [{ from: offSince, to: Math.max(now, offSince + 1) }] : [])].map((b) => ({ ...b, color: shade }));
  varianceChart.series = [{ label: 'mean variance of q(z|x)', color: LECTURE.blue, xs: log.step, ys: log.variance }];
  varianceChart.bands = allBands;
  varianceChart.markers = [];
  varianceChart.options.xDomain = [0, Math.max(100, now)];
  varianceChart.draw();
  termsChart.series = [
    { label: 'reconstruction −log p(x|z)', color: LECTURE.ink, xs: log.step, ys: log.recon, width: 1.5 },
    { label: 'KL(q(z|x) ‖ N(0, I))', color: LECTURE.green, xs: log.step, ys: log.kl, width: 1.5 },
  ];
  termsChart.bands = allBands;
  termsChart.options.xDomain = [0, Math.max(100, now)];
  termsChart.draw();
  if (performance.now() - lastImages > 250) drawImages();
}

const loop = new Loop(trainStep, drawTraining, {
  budgetMs: 12,
  onChange: (playing) => (t.train.textContent = playing ? 'Pause' : 'Train'),
  onError: (e) => setStatus(errorText(e), 'error'),
});

function setKl(on: boolean): void {
  klOn = on;
  const step = trainer?.step ?? 0;
  if (!on) offSince = step;
  else if (offSince !== null) {
    bands.push({ from: offSince, to: step });
    offSince = null;
  }
  t.toggle.setAttribute('aria-pressed', String(on));
  t.toggle.textContent = on ? 'KL term: on' : 'KL term: off';
  setStatus(on ? 'KL term on: the variance is pulled back towards 1' : 'KL term off: only the reconstruction error is minimised', on ? 'ok' : 'info');
  drawTraining();
}

t.toggle.addEventListener('click', () => setKl(!klOn));
t.train.addEventListener('click', () => loop.toggle());
t.one.addEventListener('click', () => void loop.once().then(drawImages));
t.reset.addEventListener('click', resetVae);
new ResizeObserver(() => {
  drawCurves();
  drawTraining();
}).observe(document.body);

drawCurves();
try {
  // ?backend=wasm (or webgl, webgpu, cpu) picks a backend; by default the fastest that starts.
  const backend = (new URLSearchParams(location.search).get('backend') ?? 'auto') as BackendName | 'auto';
  const engine = await initEngine({ backend, wasmPath: new URL('wasm/', location.href).href });
  t.backend.textContent = `TensorFlow.js backend: ${engine.backend}`;
  resetVae();
  setStatus('Press Train. Then switch the KL term off.');
} catch (e) {
  setStatus(errorText(e), 'error');
  for (const b of [t.train, t.one, t.reset, t.toggle]) b.disabled = true;
}
markReady();
