/**
 * Is it a Pokémon? The shipped pokemon-vae (assets/models/pokemon-vae/) scores an image the user uploads, drops,
 * draws or picks: log p(x) by importance sampling with the k and seed of the model's reference.json (so the number is
 * `genlab score`'s), the ELBO and its two terms, the gap, its reconstruction, and its place among the reference sets
 * (held-out Pokémon, MNIST digits, noise) with a verdict from its percentile among the held-out Pokémon.
 *
 * "Train live" trains a fresh model of the same kind and config on the training sprites (TrainStep, a step per unit
 * of lib/loop.ts) and judges with it instead: the image is scored again every so often while it trains (k = 16), and
 * when training stops the held-out Pokémon are scored by the live model (k = 16, a few per frame): that live
 * reference gives the verdict, and the MNIST/noise histograms (the shipped model's scores) are hidden meanwhile.
 *
 * State for the browser tests: #result[data-state = idle | scoring | scored | error][data-source][data-model =
 * shipped | live][data-reference = shipped | live | none][data-logpx][data-percentile][data-tensors]; #hist[data-sets]
 * [data-reference]; #live[data-state = off | training | paused | reference][data-step][data-loss].
 */
import {
  can,
  describeEngine,
  digitsInModelShape,
  formatShare,
  likelihoodOfEach,
  percentileAmong,
  readReferenceScores,
  referenceVerdict,
  tf,
  uniformNoiseImages,
  type Dataset,
  type ReferenceScores,
  type VAE,
} from '../../src/browser.js';
import { LECTURE } from './lib/colors.js';
import { byId, fmt, h } from './lib/dom.js';
import { drawImageGrid } from './lib/image-grid.js';
import { fetchDataset, openShippedModel, shippedUrl, startEngine, type AssetInfo } from './lib/lecture.js';
import { Loop } from './lib/loop.js';
import { errorText, markReady, mountHeader, setStatus } from './lib/shell.js';
import { DrawPad } from './pokemon/draw-pad.js';
import { ScoreHistogram, type HistogramSet } from './pokemon/histogram.js';
import { LIVE_K, LIVE_SEED, scoreHeldOutLive } from './pokemon/live-reference.js';
import { LiveModel, trainFrame } from './lib/live-model.js';
import { canvasPixels, decodeImageFile, isBlank, pixelsToExample } from './pokemon/prepare.js';
import { TrainingPanel } from './pokemon/training-panel.js';

mountHeader('pokemon.html');

const ui = {
  hist: byId('hist', HTMLCanvasElement),
  histHow: byId('hist-how'),
  histTitle: byId('hist-title'),
  referenceInUse: byId('reference-in-use'),
  result: byId('result'),
  seen: byId('seen', HTMLCanvasElement),
  recon: byId('recon', HTMLCanvasElement),
  verdict: byId('verdict'),
  source: byId('source'),
  logPx: byId('v-logpx'),
  bits: byId('v-bits'),
  pct: byId('v-pct'),
  k: byId('v-k'),
  elbo: byId('v-elbo'),
  reconTerm: byId('v-recon'),
  kl: byId('v-kl'),
  gap: byId('v-gap'),
  file: byId('file', HTMLInputElement),
  pad: byId('pad', HTMLCanvasElement),
  swatches: byId('swatches'),
  brush: byId('brush', HTMLInputElement),
  brushValue: byId('brush-value'),
  scoreDrawing: byId('score-drawing', HTMLButtonElement),
  clear: byId('clear', HTMLButtonElement),
  exPokemon: byId('ex-pokemon', HTMLButtonElement),
  exMnist: byId('ex-mnist', HTMLButtonElement),
  exInverted: byId('ex-inverted', HTMLButtonElement),
  exNoise: byId('ex-noise', HTMLButtonElement),
  train: byId('train', HTMLButtonElement),
  stop: byId('stop', HTMLButtonElement),
  shipped: byId('shipped', HTMLButtonElement),
  liveInfo: byId('live-info'),
  modelInfo: byId('model-info'),
  backend: byId('backend'),
};

/** Colours of the reference sets, by name in reference.json (others get the muted grey). */
const SET_COLORS: Record<string, string> = { 'pokemon-test': LECTURE.green, 'pokemon-test-live': LECTURE.green, mnist: LECTURE.blue, 'mnist-inverted': '#7a4fc9', noise: '#e08a1e' };
const MARKER_COLOR = LECTURE.red;
const PAD_COLORS = ['#1d2330', '#d8363a', '#f28e2b', '#edc948', '#1f9d55', '#2f6fdf', '#9b59b6', '#8c564b'];
/** While a live model trains, the judged image is scored again at most this often (ms). */
const RESCORE_MS = 1500;
/** Steps slower than this (ms) suggest a software GPU backend: the page says wasm is faster. */
const SLOW_STEP_MS = 1000;
/** `genlab train`'s default minibatch, as the shipped model was trained. */
const LIVE_BATCH = 64;

const histogram = new ScoreHistogram(ui.hist);
const pad = new DrawPad(ui.pad);
const panel = new TrainingPanel();

interface Shipped {
  vae: VAE;
  reference: ReferenceScores;
  shape: [number, number, number];
  asset: AssetInfo;
}
let shipped: Shipped | null = null;
/** The model trained live, when there is one: it judges instead of the shipped one. */
let live: LiveModel<VAE> | null = null;
/** The held-out Pokémon scored by `model` at `step` (when training last stopped). */
let liveReference: { model: VAE; step: number; scores: ReferenceScores } | null = null;
/** Bumped by every new image: a slower earlier score never overwrites a later one. */
let latest = 0;
/** The image being judged, kept to score it again when the model changes. */
let judged: { image: Float32Array; source: string; token: number } | null = null;
/** The judged image's last score, by which model at which step. */
let lastScore: { model: VAE; step: number; logPx: number } | null = null;
/** Seeds of the example buttons: each click shows another image. */
const exampleSeeds = { pokemon: 0, mnist: 0, noise: 0 };
/** Fetched when first trained live. */
let trainSplit: Dataset | null = null;
let heldOutSplit: Dataset | null = null;
let liveSeed = 0;
let lastRescore = 0;
let rescoring = false;
/** Bumped by every live-reference job: an older one stops. */
let referenceJob = 0;
/** The TF.js backend the page runs on. */
let engineBackend = '';

const currentModel = (): VAE | null => live?.model ?? shipped?.vae ?? null;
const currentStep = (): number => live?.step ?? 0;
/** k and seed of scores under the current model: the shipped reference's, or the live ones. */
const scoring = (): { k: number; seed: number } => (live || !shipped ? { k: LIVE_K, seed: LIVE_SEED } : { k: shipped.reference.k, seed: shipped.reference.seed });

/** The reference the verdict uses: the shipped model's, or the live model's when scored at its current step. */
function referenceInUse(): ReferenceScores | null {
  if (!live) return shipped?.reference ?? null;
  const r = liveReference;
  return r && r.model === live.model && r.step === live.step ? r.scores : null;
}

function setResultState(state: 'idle' | 'scoring' | 'scored' | 'error', source?: string): void {
  ui.result.dataset['state'] = state;
  if (source !== undefined) ui.result.dataset['source'] = source;
}

/**
 * Shows a new image and scores it. `token` is the request's turn, claimed when the user asked (before any fetch), so
 * a slow example never replaces a later upload.
 */
async function judge(image: Float32Array, source: string, token = ++latest): Promise<void> {
  if (!shipped || token !== latest) return;
  judged = { image, source, token };
  lastScore = null;
  ui.source.textContent = source;
  drawImageGrid(ui.seen, image, 1, shipped.shape, 1);
  await scoreJudged();
}

/**
 * Scores the judged image (already [h, w, c] in [0, 1]) with the current model, between training steps, and shows
 * everything about it; `quiet` (the rescoring while training) leaves the status line to training. A result that
 * arrives after the image or the model changed is dropped.
 */
async function scoreJudged(quiet = false): Promise<void> {
  const j = judged, model = currentModel();
  if (!j || !model || !shipped) return;
  const { k, seed } = scoring();
  const shape = shipped.shape;
  setResultState('scoring', j.source);
  ui.result.dataset['model'] = live ? 'live' : 'shipped';
  if (!quiet) setStatus(`scoring ${j.source} (k = ${k} importance samples)…`);
  const t0 = performance.now();
  const out = await loop.exclusive(async () => {
    if (model !== currentModel()) return null; // the model changed (or was disposed) before this score's turn
    const step = currentStep();
    const est = await likelihoodOfEach(model, j.image, { k, seed });
    const recon = tf.tidy(() => model.reconstruct(tf.tensor(j.image, [1, ...shape])));
    const reconValues = await recon.data().finally(() => recon.dispose());
    return { est, reconValues, step, tensors: tf.memory().numTensors };
  });
  if (!out || j !== judged || j.token !== latest || model !== currentModel()) return;
  const { est, reconValues } = out;
  const logPx = est.logPx[0]!, elbo = est.elbo[0]!;
  lastScore = { model, step: out.step, logPx };
  drawImageGrid(ui.recon, reconValues, 1, shape, 1);
  ui.logPx.textContent = fmt(logPx, 1);
  ui.bits.textContent = fmt(-logPx / (j.image.length * Math.LN2), 4);
  ui.k.textContent = `${k}, ${seed}`;
  ui.elbo.textContent = fmt(elbo, 1);
  ui.reconTerm.textContent = fmt(est.recon[0]!, 1);
  ui.kl.textContent = fmt(est.kl[0]!, 1);
  ui.gap.textContent = fmt(logPx - elbo, 1);
  ui.result.dataset['logpx'] = String(logPx);
  ui.result.dataset['tensors'] = String(out.tensors);
  showVerdict();
  setResultState('scored');
  const by = live ? ` by the live model at step ${out.step}` : '';
  if (!quiet) setStatus(`${j.source}: scored${by} in ${Math.round(performance.now() - t0)} ms`, 'ok');
}

/**
 * The judged image's percentile and verdict under the reference in use: none while a live model trains on (its
 * held-out scores are of an earlier step), or while the image's score is of another step than the model's.
 */
function showVerdict(): void {
  const s = lastScore;
  const reference = s && (!live || s.step === live.step) ? referenceInUse() : null;
  ui.result.dataset['reference'] = !reference ? 'none' : live ? 'live' : 'shipped';
  if (!s) return;
  if (reference) {
    const share = percentileAmong(reference, s.logPx);
    ui.pct.textContent = formatShare(share);
    ui.verdict.textContent = `${capitalise(referenceVerdict(reference, s.logPx))}.`;
    ui.verdict.dataset['share'] = String(share);
    ui.result.dataset['percentile'] = String(share);
  } else {
    ui.pct.textContent = '—';
    ui.verdict.textContent = loop.playing
      ? `Live model, step ${s.step}: no verdict while it trains. Stop, and the held-out Pokémon are scored by it.`
      : live?.error
        ? `Live model, step ${s.step}: training failed, no verdict.`
        : `Live model, step ${s.step}: scoring the held-out Pokémon under it for a verdict…`;
    ui.verdict.dataset['share'] = '';
    ui.result.dataset['percentile'] = '';
  }
  histogram.marker = { logPx: s.logPx, label: `this image: ${fmt(s.logPx, 0)}`, color: MARKER_COLOR };
  histogram.draw();
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Runs `work` (an input's handler), reporting failures in the status line and on #result. */
function guarded(work: () => Promise<void>): void {
  work().catch((e: unknown) => {
    setResultState('error');
    setStatus(errorText(e), 'error');
  });
}

async function judgeFile(file: File): Promise<void> {
  if (!shipped) return;
  const token = ++latest;
  const pixels = await decodeImageFile(file).catch(() => {
    throw new Error(`${file.name}: not an image the browser can decode (PNG or JPEG expected)`);
  });
  await judge(pixelsToExample(pixels, shipped.shape), file.name, token);
}

// ---- inputs: file, drop, drawing, examples ----

ui.file.addEventListener('change', () => {
  const file = ui.file.files?.[0];
  if (file) guarded(() => judgeFile(file));
});
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  document.body.classList.add('pk-dragging');
});
document.addEventListener('dragleave', (e) => {
  if (e.relatedTarget === null) document.body.classList.remove('pk-dragging');
});
document.addEventListener('drop', (e) => {
  e.preventDefault();
  document.body.classList.remove('pk-dragging');
  const file = e.dataTransfer?.files[0];
  if (file) guarded(() => judgeFile(file));
});

function scoreDrawing(): void {
  if (!shipped) return;
  const pixels = canvasPixels(ui.pad, ui.pad.width, ui.pad.height);
  if (isBlank(pixels)) {
    setStatus('the pad is empty: draw something first');
    return;
  }
  const shape = shipped.shape;
  guarded(() => judge(pixelsToExample(pixels, shape), 'your drawing'));
}
pad.onStroke = scoreDrawing;
ui.scoreDrawing.addEventListener('click', scoreDrawing);
ui.clear.addEventListener('click', () => pad.clear());
for (const color of PAD_COLORS) {
  const swatch = h('button', { class: 'pk-swatch', style: `background: ${color}`, role: 'radio', 'aria-checked': String(color === pad.color), 'aria-label': color, title: color });
  swatch.addEventListener('click', () => {
    pad.color = color;
    for (const s of Array.from(ui.swatches.children)) s.setAttribute('aria-checked', String(s === swatch));
  });
  ui.swatches.append(swatch);
}
function showBrush(): void {
  pad.width = Number(ui.brush.value);
  ui.brushValue.textContent = ui.brush.value;
}
ui.brush.addEventListener('input', showBrush);
showBrush();

ui.exPokemon.addEventListener('click', () => guarded(examplePokemon));
ui.exMnist.addEventListener('click', () => guarded(() => exampleDigit(false)));
ui.exInverted.addEventListener('click', () => guarded(() => exampleDigit(true)));
ui.exNoise.addEventListener('click', () => {
  if (!shipped) return;
  const seed = exampleSeeds.noise++;
  guarded(() => judge(uniformNoiseImages(1, shipped!.shape, 1000 + seed), `uniform noise (seed ${1000 + seed})`));
});

async function examplePokemon(): Promise<void> {
  const token = ++latest;
  const seed = exampleSeeds.pokemon++;
  setStatus('fetching a held-out Pokémon…');
  const ds = await fetchDataset('pokemon', { split: 'test', n: 1, seed });
  await judge(ds.data, `held-out Pokémon (test split, seed ${seed})`, token);
}

async function exampleDigit(invert: boolean): Promise<void> {
  if (!shipped) return;
  const token = ++latest;
  const seed = exampleSeeds.mnist++;
  setStatus('fetching an MNIST test digit…');
  const ds = await fetchDataset('mnist', { split: 'test', n: 1, seed });
  const image = digitsInModelShape(ds.data, 1, ds.shape, shipped.shape, invert);
  const label = ds.labels?.kind === 'class' ? `“${ds.labels.classes[ds.labels.values[0]!]}” ` : '';
  await judge(image, `MNIST test digit ${label}(seed ${seed})${invert ? ', dark on white' : ''}`, token);
}

// ---- the reference in use: the shipped model's reference.json, or the live model's held-out scores ----

/** The histograms and their explanation for the reference in use, and which one it is. */
function drawReference(progress = ''): void {
  if (!shipped) return;
  const reference = referenceInUse();
  const which = !reference ? 'none' : live ? 'live' : 'shipped';
  ui.hist.dataset['reference'] = which;
  ui.histTitle.textContent = live ? 'Where it falls: log p(x) under the live model, among held-out Pokémon' : 'Where it falls: log p(x) of held-out Pokémon, MNIST digits and noise';
  ui.referenceInUse.dataset['reference'] = which;
  if (which === 'shipped') {
    ui.referenceInUse.textContent = `Reference in use: the shipped model's reference.json (k = ${shipped.reference.k}, seed ${shipped.reference.seed}).`;
  } else if (which === 'live') {
    ui.referenceInUse.textContent = `Reference in use: the held-out Pokémon scored by the live model at step ${liveReference!.step} (k = ${LIVE_K}, seed ${LIVE_SEED}); MNIST digits and noise hidden.`;
  } else {
    ui.referenceInUse.textContent = `Reference in use: none yet — the live model's held-out Pokémon are scored when training stops${progress ? ` (${progress})` : ''}.`;
  }
  const sets = reference ? [reference.heldOut, ...reference.contrasts] : [];
  histogram.sets = sets.map((s, i): HistogramSet => ({
    label: s.label,
    color: SET_COLORS[s.name] ?? LECTURE.muted,
    values: s.logPx,
    outline: i > 0 && s.name === 'mnist-inverted',
  }));
  histogram.draw();
  const hidden = live
    ? h('span', { class: 'pk-how' }, 'MNIST digits and noise are hidden for the live model: their reference scores are the shipped model’s. The example buttons score a digit or noise under the live model.')
    : null;
  if (!reference) {
    ui.histHow.replaceChildren(`The live model changes with every step, so the held-out Pokémon (k = ${LIVE_K}, seed ${LIVE_SEED}) are scored by it when training stops. `, hidden ?? '');
    return;
  }
  ui.histHow.replaceChildren(
    `Each image scored alone with k = ${reference.k} importance samples and seed ${reference.seed}. `,
    ...sets.map((s) => h('span', { class: 'pk-how' }, h('b', {}, `${s.label}: `), `${s.how}. `)),
    hidden ?? '',
  );
}

/**
 * Scores the held-out Pokémon under the paused live model, a few per frame, unless done at this step already; the
 * job stops when training resumes, the model goes or a newer job starts.
 */
async function scoreLiveReference(): Promise<void> {
  const l = live;
  if (!l || !shipped || l.error || loop.playing || referenceInUse()) return;
  const job = ++referenceJob;
  const step = l.step;
  const cancelled = (): boolean => job !== referenceJob || live !== l || l.step !== step || loop.playing;
  panel.state = 'reference';
  drawReference('fetching the test split');
  heldOutSplit ??= await fetchDataset('pokemon', { split: 'test' });
  if (cancelled()) return;
  const scores = await scoreHeldOutLive({
    model: l.model,
    heldOut: heldOutSplit,
    subject: shipped.reference.subject,
    step,
    exclusive: (fn) => loop.exclusive(fn),
    cancelled,
    onProgress: (done, total) => {
      if (done % 8 === 0 || done === total) drawReference(`${done} of ${total} scored`);
    },
  });
  if (!scores || cancelled()) return;
  liveReference = { model: l.model, step, scores };
  panel.state = 'paused';
  drawReference();
  showVerdict();
  setStatus(`Paused at step ${step}: the image is placed among ${scores.heldOut.logPx.length} held-out Pokémon scored by the live model.`, 'ok');
}

// ---- training live ----

function trainWork(): Promise<boolean> {
  return trainFrame(live);
}

/** After each frame of training: the panel, and now and then the judged image scored again (between steps). */
function drawTraining(): void {
  panel.draw(live);
  if (live) showLiveInfo(live);
  if (!live || !loop.playing || rescoring || performance.now() - lastRescore < RESCORE_MS) return;
  lastRescore = performance.now();
  rescoring = true;
  guardedQuiet(() => scoreJudged(true).finally(() => (rescoring = false)));
}

/** What trains, on what, how fast; a hint when steps are slow (chromium's software WebGL takes seconds a step). */
function showLiveInfo(l: LiveModel<VAE>): void {
  const slow = l.msPerStep > SLOW_STEP_MS && engineBackend !== 'wasm';
  ui.liveInfo.replaceChildren(
    `A fresh model of the shipped model's kind (${l.model.kind}) and configuration, trained here on the ${l.train.count} sprites of the training split, ${l.batchSize} per step; Adam minimises −ELBO plus the config's weight-decay term, as genlab train did. `,
    Number.isFinite(l.msPerStep) ? `A step takes ${Math.round(l.msPerStep)} ms on ${engineBackend}.` : '',
    slow ? h('span', {}, ' Without a GPU, ', h('a', { href: '?backend=wasm' }, 'the wasm backend'), ' is faster (the page restarts).') : '',
  );
}

/** Like `guarded`, for work the user did not ask for just now. */
function guardedQuiet(work: () => Promise<void>): void {
  work().catch((e: unknown) => setStatus(errorText(e), 'error'));
}

function setButtons(playing: boolean): void {
  ui.train.disabled = playing || !shipped;
  ui.train.textContent = live ? 'Resume' : 'Train live';
  ui.stop.disabled = !playing;
  ui.shipped.disabled = !live;
}

const loop = new Loop(trainWork, drawTraining, {
  budgetMs: 12,
  onChange: (playing) => {
    setButtons(playing);
    if (!live) return;
    // The live reference belongs to the step it was scored at: training makes it stale, stopping scores it again.
    drawReference();
    showVerdict();
    if (playing) {
      panel.state = 'training';
      setStatus('Training a fresh VAE: the image is scored again as it learns; Stop to place it among the held-out Pokémon.');
    } else {
      panel.state = 'paused';
      if (!live.error) setStatus(`Paused at step ${live.step}: scoring the image and the held-out Pokémon under the live model…`);
      guardedQuiet(async () => {
        await scoreJudged(true);
        await scoreLiveReference();
      });
    }
  },
  onError: (e) => setStatus(errorText(e), 'error'),
});

ui.train.addEventListener('click', () =>
  guardedQuiet(async () => {
    if (!shipped || loop.playing) return;
    if (!live) {
      ui.train.disabled = true;
      setStatus('Fetching the Pokémon training split…');
      trainSplit ??= await fetchDataset('pokemon', { split: 'train' }).finally(() => setButtons(loop.playing));
      if (live || loop.playing) return; // a second click got there first
      live = new LiveModel(shipped.vae, trainSplit, ++liveSeed, LIVE_BATCH);
      lastRescore = 0;
      ui.result.dataset['model'] = 'live';
    }
    loop.play();
    drawTraining();
  }),
);
ui.stop.addEventListener('click', () => loop.pause());
ui.shipped.addEventListener('click', () => guarded(backToShipped));

async function backToShipped(): Promise<void> {
  const leaving = live;
  if (!leaving) return;
  live = null; // first, so that pausing does not score anything for the model being dropped
  liveReference = null;
  referenceJob++;
  loop.pause();
  setButtons(false);
  panel.state = 'off';
  ui.result.dataset['model'] = 'shipped';
  setResultState('scoring');
  // Disposed after the step or score in flight (if any) has finished with it.
  await loop.exclusive(async () => leaving.dispose());
  panel.draw(null);
  ui.liveInfo.textContent = '';
  drawReference();
  await scoreJudged();
  setStatus('Back to the shipped model and its reference.json.', 'ok');
}

// ---- start: the shipped model and its reference ----

function describeModel(asset: AssetInfo): string {
  const test = asset.lastTest?.['negElbo'];
  return `Model: ${asset.command}${typeof test === 'number' ? ` (test −ELBO ${fmt(test, 0)} nats)` : ''}.`;
}

async function start(): Promise<void> {
  // wasm unless the URL says otherwise, as on the other pages: without a GPU, chromium's software WebGL takes ~15 s a
  // training step of this conv VAE (wasm ~0.2 s) and freezes the page meanwhile.
  const engine = await startEngine('wasm');
  ui.backend.textContent = `TensorFlow.js ${describeEngine(engine)}`;
  engineBackend = engine.backend;
  const [{ model, asset }, reference] = await Promise.all([openShippedModel('pokemon-vae'), readReferenceScores(shippedUrl('pokemon-vae'))]);
  if (!can(model, 'score') || !can(model, 'reconstruct')) throw new Error(`pokemon-vae: a ${model.kind} model cannot score images`);
  if (!reference) throw new Error('pokemon-vae has no reference.json: `npm run assets -- pokemon-vae` writes it');
  const shape = model.dataShape as unknown as [number, number, number];
  shipped = { vae: model, reference, shape, asset };
  ui.modelInfo.textContent = describeModel(asset);
  drawReference();
  panel.draw(null);
  setButtons(false);
  window.addEventListener('resize', () => histogram.draw());
  setStatus('ready: upload, drop or draw an image, or pick an example');
  markReady();
  // Something to look at from the start: a held-out Pokémon (an upload meanwhile wins, see `latest`).
  guarded(examplePokemon);
}

start().catch((e: unknown) => {
  setStatus(errorText(e), 'error');
  markReady();
});
