/**
 * Is it a Pokémon? The shipped pokemon-vae (assets/models/pokemon-vae/) scores an image the user uploads, drops,
 * draws or picks: log p(x) by importance sampling with the k and seed of the model's reference.json (so the number is
 * `genlab score`'s), the ELBO and its two terms, the gap, its reconstruction, and its place among the reference sets
 * (held-out Pokémon, MNIST digits, noise) with a verdict from its percentile among the held-out Pokémon.
 *
 * State for the browser tests: #result[data-state = idle | scoring | scored | error][data-source][data-logpx]
 * [data-percentile]; #hist[data-sets].
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
  type GenerativeModel,
  type ReferenceScores,
  type VAE,
} from '../../src/browser.js';
import { LECTURE } from './lib/colors.js';
import { byId, fmt, h } from './lib/dom.js';
import { drawImageGrid } from './lib/image-grid.js';
import { fetchDataset, openShippedModel, shippedUrl, startEngine, type AssetInfo } from './lib/lecture.js';
import { errorText, markReady, mountHeader, setStatus } from './lib/shell.js';
import { DrawPad } from './pokemon/draw-pad.js';
import { ScoreHistogram, type HistogramSet } from './pokemon/histogram.js';
import { canvasPixels, decodeImageFile, isBlank, pixelsToExample } from './pokemon/prepare.js';

mountHeader('pokemon.html');

const ui = {
  hist: byId('hist', HTMLCanvasElement),
  histHow: byId('hist-how'),
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
  modelInfo: byId('model-info'),
  backend: byId('backend'),
};

/** Colours of the reference sets, by name in reference.json (others get the muted grey). */
const SET_COLORS: Record<string, string> = { 'pokemon-test': LECTURE.green, mnist: LECTURE.blue, 'mnist-inverted': '#7a4fc9', noise: '#e08a1e' };
const MARKER_COLOR = LECTURE.red;
const PAD_COLORS = ['#1d2330', '#d8363a', '#f28e2b', '#edc948', '#1f9d55', '#2f6fdf', '#9b59b6', '#8c564b'];

const histogram = new ScoreHistogram(ui.hist);
const pad = new DrawPad(ui.pad);

interface Ready {
  vae: VAE & GenerativeModel;
  reference: ReferenceScores;
  shape: [number, number, number];
}
let ready: Ready | null = null;
/** Bumped by every new image: a slower earlier score never overwrites a later one. */
let latest = 0;
/** Seeds of the example buttons: each click shows another image. */
const exampleSeeds = { pokemon: 0, mnist: 0, noise: 0 };

function setResultState(state: 'idle' | 'scoring' | 'scored' | 'error', source?: string): void {
  ui.result.dataset['state'] = state;
  if (source !== undefined) ui.result.dataset['source'] = source;
}

/**
 * Scores one image (already [h, w, c] in [0, 1]) and shows everything about it. `token` is the request's turn,
 * claimed when the user asked (before any fetch), so a slow example never replaces a later upload.
 */
async function judge(image: Float32Array, source: string, token = ++latest): Promise<void> {
  if (!ready || token !== latest) return;
  const { vae, reference, shape } = ready;
  setResultState('scoring', source);
  ui.source.textContent = source;
  drawImageGrid(ui.seen, image, 1, shape, 1);
  setStatus(`scoring ${source} (k = ${reference.k} importance samples)…`);
  const t0 = performance.now();
  const est = await likelihoodOfEach(vae, image, { k: reference.k, seed: reference.seed });
  const recon = tf.tidy(() => vae.reconstruct(tf.tensor(image, [1, ...shape])));
  const reconValues = await recon.data().finally(() => recon.dispose());
  if (token !== latest) return;
  const logPx = est.logPx[0]!, elbo = est.elbo[0]!;
  const share = percentileAmong(reference, logPx);
  drawImageGrid(ui.recon, reconValues, 1, shape, 1);
  ui.logPx.textContent = fmt(logPx, 1);
  ui.bits.textContent = fmt(-logPx / (image.length * Math.LN2), 4);
  ui.pct.textContent = formatShare(share);
  ui.k.textContent = `${reference.k}, ${reference.seed}`;
  ui.elbo.textContent = fmt(elbo, 1);
  ui.reconTerm.textContent = fmt(est.recon[0]!, 1);
  ui.kl.textContent = fmt(est.kl[0]!, 1);
  ui.gap.textContent = fmt(logPx - elbo, 1);
  ui.verdict.textContent = `${capitalise(referenceVerdict(reference, logPx))}.`;
  ui.verdict.dataset['share'] = String(share);
  histogram.marker = { logPx, label: `this image: ${fmt(logPx, 0)}`, color: MARKER_COLOR };
  histogram.draw();
  ui.result.dataset['logpx'] = String(logPx);
  ui.result.dataset['percentile'] = String(share);
  setResultState('scored');
  setStatus(`${source}: scored in ${Math.round(performance.now() - t0)} ms`, 'ok');
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
  if (!ready) return;
  const token = ++latest;
  const pixels = await decodeImageFile(file).catch(() => {
    throw new Error(`${file.name}: not an image the browser can decode (PNG or JPEG expected)`);
  });
  await judge(pixelsToExample(pixels, ready.shape), file.name, token);
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
  if (!ready) return;
  const pixels = canvasPixels(ui.pad, ui.pad.width, ui.pad.height);
  if (isBlank(pixels)) {
    setStatus('the pad is empty: draw something first');
    return;
  }
  const shape = ready.shape;
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
  if (!ready) return;
  const seed = exampleSeeds.noise++;
  guarded(() => judge(uniformNoiseImages(1, ready!.shape, 1000 + seed), `uniform noise (seed ${1000 + seed})`));
});

async function examplePokemon(): Promise<void> {
  const token = ++latest;
  const seed = exampleSeeds.pokemon++;
  setStatus('fetching a held-out Pokémon…');
  const ds = await fetchDataset('pokemon', { split: 'test', n: 1, seed });
  await judge(ds.data, `held-out Pokémon (test split, seed ${seed})`, token);
}

async function exampleDigit(invert: boolean): Promise<void> {
  if (!ready) return;
  const token = ++latest;
  const seed = exampleSeeds.mnist++;
  setStatus('fetching an MNIST test digit…');
  const ds = await fetchDataset('mnist', { split: 'test', n: 1, seed });
  const image = digitsInModelShape(ds.data, 1, ds.shape, ready.shape, invert);
  const label = ds.labels?.kind === 'class' ? `“${ds.labels.classes[ds.labels.values[0]!]}” ` : '';
  await judge(image, `MNIST test digit ${label}(seed ${seed})${invert ? ', dark on white' : ''}`, token);
}

// ---- start: the shipped model and its reference ----

function drawReference(reference: ReferenceScores): void {
  const sets: HistogramSet[] = [reference.heldOut, ...reference.contrasts].map((s, i) => ({
    label: s.label,
    color: SET_COLORS[s.name] ?? LECTURE.muted,
    values: s.logPx,
    outline: i > 0 && s.name === 'mnist-inverted',
  }));
  histogram.sets = sets;
  histogram.draw();
  ui.histHow.replaceChildren(
    `Each image scored alone with k = ${reference.k} importance samples and seed ${reference.seed}. `,
    ...[reference.heldOut, ...reference.contrasts].map((s) => h('span', { class: 'pk-how' }, h('b', {}, `${s.label}: `), `${s.how}. `)),
  );
}

function describeModel(asset: AssetInfo): string {
  const test = asset.lastTest?.['negElbo'];
  return `Model: ${asset.command}${typeof test === 'number' ? ` (test −ELBO ${fmt(test, 0)} nats)` : ''}.`;
}

async function start(): Promise<void> {
  const engine = await startEngine();
  ui.backend.textContent = `TensorFlow.js ${describeEngine(engine)}`;
  const [{ model, asset }, reference] = await Promise.all([openShippedModel('pokemon-vae'), readReferenceScores(shippedUrl('pokemon-vae'))]);
  if (!can(model, 'score') || !can(model, 'reconstruct')) throw new Error(`pokemon-vae: a ${model.kind} model cannot score images`);
  if (!reference) throw new Error('pokemon-vae has no reference.json: `npm run assets -- pokemon-vae` writes it');
  const shape = model.dataShape as unknown as [number, number, number];
  ready = { vae: model, reference, shape };
  ui.modelInfo.textContent = describeModel(asset);
  drawReference(reference);
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
