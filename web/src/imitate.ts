/**
 * VAE imitates, GAN creates (lecture §3–4): samples of the shipped MNIST VAE (2-D code) and DCGAN side by side, each
 * above its nearest image among all 60,000 training digits with the L2 distance, and held-out test digits as the
 * scale. Per set: the mean nearest distance, a sharpness (mean gradient) and the share of grey pixels, and a
 * histogram of the nearest distances. The training digits are fetched once; the search runs a block per frame on the
 * TF.js backend (imitate/nearest.ts). "Train live" trains fresh models of the same kinds and configs on those digits
 * (imitate/live-models.ts), a step per animation frame; every few seconds, and when stopped, the same seed's samples
 * of the live models replace the grids and are searched again. "Back to the shipped models" disposes them.
 *
 * State for tests on #figure: data-state (starting, sampling, loading, searching, done, error), data-seed,
 * data-search-ms, data-tensors (alive after a finished search or the return to the shipped models), data-model
 * (shipped, live: the models in use), data-sampled and data-sampled-steps (the models the grids show and, when live,
 * their steps "VAE,DCGAN"), the live read-outs (imitate/live-panel.ts); each pair's data attributes (imitate/pairs.ts).
 */
import { Rng, can, tf, type GenerativeModel } from '../../src/browser.js';
import { LineChart, type Series } from './lib/chart.js';
import { LECTURE } from './lib/colors.js';
import { byId } from './lib/dom.js';
import { Loop } from './lib/loop.js';
import { fetchDataset, openShippedModel, startEngine, type AssetInfo } from './lib/lecture.js';
import { trainFrame } from './lib/live-model.js';
import { errorText, markReady, mountHeader, setStatus } from './lib/shell.js';
import { LiveModels } from './imitate/live-models.js';
import { LivePanel, Stopwatch } from './imitate/live-panel.js';
import { greyShare, histogram, mean, meanGradient } from './imitate/measures.js';
import { nearestTraining, type NearestResult } from './imitate/nearest.js';
import { PairGrid } from './imitate/pairs.js';
import { fetchTrainingDigits, type TrainingDigits } from './imitate/training-digits.js';

mountHeader('imitate.html');

/** Images shown per set; the measures use MEASURED of each (the shown ones first). */
const SHOWN = 16;
const MEASURED = 64;
const SHAPE = [28, 28, 1];
const SIZE = 28 * 28;
/** The held-out digits: a fixed seeded subset of the test split. */
const TEST_SEED = 0;
/** Seed of the live models' weights, noise and minibatches. */
const LIVE_SEED = 0;
/** Pause between the end of one refresh of the live models' samples and the start of the next, while training. */
const REFRESH_MS = 3000;

type SetKey = 'vae' | 'gan' | 'test';
const COLORS: Record<SetKey, string> = { vae: LECTURE.blue, gan: LECTURE.red, test: LECTURE.ink };
const NAMES: Record<SetKey, string> = { vae: 'VAE samples', gan: 'GAN samples', test: 'real test digits' };

interface ImageSet {
  images: Float32Array;
  nearest: NearestResult | null;
}

const ui = {
  figure: byId('figure'),
  seed: byId('seed', HTMLInputElement),
  newSamples: byId('new-samples', HTMLButtonElement),
  backend: byId('backend'),
  verdict: byId('verdict'),
  models: byId('models'),
  measuredOver: byId('measured-over'),
  train: byId('train', HTMLButtonElement),
  shipped: byId('shipped', HTMLButtonElement),
  source: { vae: byId('vae-source'), gan: byId('gan-source') },
};
const grids: Record<SetKey, PairGrid> = {
  vae: new PairGrid(byId('vae-pairs'), SHOWN, SHAPE),
  gan: new PairGrid(byId('gan-pairs'), SHOWN, SHAPE),
  test: new PairGrid(byId('test-pairs'), SHOWN, SHAPE),
};
const chart = new LineChart(byId('histogram', HTMLCanvasElement), { xLabel: 'L2 distance to the nearest training digit', yLabel: 'share of images' });

let shipped: { vae: GenerativeModel; gan: GenerativeModel } | null = null;
let live: LiveModels | null = null;
let digits: TrainingDigits | null = null;
const sets: Record<SetKey, ImageSet | null> = { vae: null, gan: null, test: null };
/** Bumped by every new draw: a search of older samples stops at its next block. */
let generation = 0;
/** The shipped models' samples (and their nearest digits) of `seed`, kept while live models replace them. */
let shippedSets: { seed: number; vae: ImageSet; gan: ImageSet } | null = null;
/** Which models the grids show: the shipped ones, or the live ones at these steps. */
let sampledFrom: { vaeStep: number; ganStep: number } | null = null;
/** The draw in flight (sampling and searching), if any. */
let drawing: Promise<void> | null = null;
let lastRefresh = 0;
let stopwatch = new Stopwatch();
const panel = new LivePanel();

const setState = (state: string): void => {
  ui.figure.dataset['state'] = state;
};

/** n samples of `model` (its own sampler: a VAE decodes z ~ N(0, I) to the mean of p(x|z), a GAN runs G(z)). */
async function sampleOf(model: GenerativeModel, n: number, rng: Rng): Promise<Float32Array> {
  if (!can(model, 'sample')) throw new Error(`a ${model.kind} model cannot sample`);
  const t = tf.tidy(() => model.sample(n, rng));
  try {
    return Float32Array.from(await t.data());
  } finally {
    t.dispose();
  }
}

function showMeasures(key: SetKey): void {
  const set = sets[key];
  const text = (id: string, v: string): void => void (byId(`m-${key}-${id}`).textContent = v);
  if (!set) return;
  text('sharp', meanGradient(set.images, MEASURED, SHAPE[0]!, SHAPE[1]!).toFixed(3));
  text('grey', `${(100 * greyShare(set.images, MEASURED, SIZE)).toFixed(1)}%`);
  text('nearest', set.nearest ? mean(set.nearest.distance).toFixed(2) : '…');
}

const nearestMean = (key: SetKey): number => (sets[key]?.nearest ? mean(sets[key]!.nearest!.distance) : NaN);

/** Step outlines of the nearest-distance histograms, the three sets over the same bins. */
function drawHistogram(): void {
  const keys = (['vae', 'gan', 'test'] as const).filter((k) => sets[k]?.nearest);
  const all = keys.flatMap((k) => [...sets[k]!.nearest!.distance]).filter(Number.isFinite);
  if (all.length === 0) {
    chart.series = [];
    chart.draw();
    return;
  }
  const width = 0.5;
  const lo = Math.floor(Math.min(...all) / width) * width;
  const hi = Math.max(lo + width, Math.ceil(Math.max(...all) / width) * width + width);
  const bins = Math.round((hi - lo) / width);
  chart.series = keys.map((k): Series => {
    const shares = histogram(sets[k]!.nearest!.distance, lo, hi, bins);
    // A step outline: each bin's share held across the bin, down to 0 at both ends.
    const xs = [lo], ys = [0];
    shares.forEach((share, b) => {
      xs.push(lo + b * width, lo + (b + 1) * width);
      ys.push(share, share);
    });
    xs.push(hi);
    ys.push(0);
    return { label: `${NAMES[k]} (mean ${nearestMean(k).toFixed(2)})`, color: COLORS[k], xs, ys, width: 2 };
  });
  chart.markers = keys.map((k) => ({ x: nearestMean(k), color: COLORS[k], dash: [4, 4] }));
  chart.options.xDomain = [lo, hi];
  chart.draw();
}

/** The page's point, read off the numbers (not assumed): how far each set is from the training set, how sharp. */
function writeVerdict(): void {
  const models = sampledFrom ? `The live models (VAE step ${sampledFrom.vaeStep}, DCGAN step ${sampledFrom.ganStep}): ` : '';
  if (!sets.vae?.nearest || !sets.gan?.nearest || !sets.test?.nearest) return;
  const [v, g, r] = [nearestMean('vae'), nearestMean('gan'), nearestMean('test')];
  const sharp = (k: SetKey): number => meanGradient(sets[k]!.images, MEASURED, SHAPE[0]!, SHAPE[1]!) / meanGradient(sets.test!.images, MEASURED, SHAPE[0]!, SHAPE[1]!);
  const grey = (k: SetKey): string => `${(100 * greyShare(sets[k]!.images, MEASURED, SIZE)).toFixed(0)}%`;
  const relation = (x: number): string => (Math.abs(x - r) < 0.05 * r ? 'about as far as' : x < r ? `${(100 * (1 - x / r)).toFixed(0)}% closer than` : `${(100 * (x / r - 1)).toFixed(0)}% farther than`);
  const blurred = sharp('vae') < 0.8;
  const ganSharp = sharp('gan') >= 0.8;
  const ganNew = g >= 0.95 * r;
  ui.verdict.textContent = [
    `${models}The VAE’s samples lie ${relation(v)} real unseen digits from the training set (mean L2 ${v.toFixed(2)} against ${r.toFixed(2)}); the GAN’s lie ${relation(g)} them (${g.toFixed(2)})${v < g ? ', so the VAE’s sit nearer the training set than the GAN’s' : ''}.`,
    `Sharpness against real digits: VAE ${(100 * sharp('vae')).toFixed(0)}%, GAN ${(100 * sharp('gan')).toFixed(0)}%; grey pixels: VAE ${grey('vae')}, GAN ${grey('gan')}, real ${grey('test')}.`,
    blurred
      ? `The VAE imitates: its samples are blurred averages of training digits — compare each with its neighbour — ${v >= 0.95 * r ? 'and the blur itself costs pixel distance, so they are not near-copies either' : 'close to the training set in pixel distance'}.`
      : 'The VAE’s samples are about as sharp as real digits here.',
    ganSharp && ganNew
      ? 'The GAN creates: its samples are about as sharp as real digits, yet no nearer to any training digit than a new real digit is.'
      : ganSharp
        ? 'The GAN’s samples are about as sharp as real digits, and nearer to training digits than new real digits are.'
        : 'The GAN’s samples are blurrier than real digits here.',
  ].join(' ');
}

/** Finds the nearest training digits of every set that lacks them; abandoned when newer samples replace a set. */
async function search(gen: number): Promise<void> {
  if (!digits) return;
  const targets = (['vae', 'gan', 'test'] as const).flatMap((k) => (sets[k] && !sets[k]!.nearest ? [{ key: k, set: sets[k]! }] : []));
  if (targets.length === 0) return;
  const current = (): boolean => gen === generation && targets.every((t) => sets[t.key] === t.set);
  setState('searching');
  const queries = new Float32Array(targets.length * MEASURED * SIZE);
  targets.forEach((t, i) => queries.set(t.set.images.subarray(0, MEASURED * SIZE), i * MEASURED * SIZE));
  const start = performance.now();
  const count = targets.length * MEASURED;
  const found = await nearestTraining(queries, count, digits, {
    // Shorter blocks while training: a block and a step share a frame.
    blockMs: trainLoop.playing ? 10 : 30,
    stillWanted: current,
    onProgress: (done, total) => setStatus(`Searching the ${total.toLocaleString('en')} training digits for the nearest of ${count} images: ${Math.round((100 * done) / total)}%`),
  });
  if (!found || !current()) return;
  const seconds = (performance.now() - start) / 1000;
  targets.forEach((t, i) => {
    const [from, to] = [i * MEASURED, (i + 1) * MEASURED];
    t.set.nearest = { index: found.index.slice(from, to), distance: found.distance.slice(from, to) };
    grids[t.key].showNearest(t.set.nearest, digits!);
    showMeasures(t.key);
  });
  drawHistogram();
  writeVerdict();
  ui.figure.dataset['searchMs'] = String(Math.round(seconds * 1000));
  ui.figure.dataset['tensors'] = String(tf.memory().numTensors);
  setState('done');
  const which = sampledFrom ? `Live models at VAE step ${sampledFrom.vaeStep}, DCGAN step ${sampledFrom.ganStep}: n` : 'N';
  setStatus(`${which}earest training digits of ${count} images found in ${seconds.toFixed(1)} s.`, 'ok');
}

/** Says which models the grids show (headings, data attributes). */
function showSource(): void {
  ui.figure.dataset['sampled'] = sampledFrom ? 'live' : 'shipped';
  ui.figure.dataset['sampledSteps'] = sampledFrom ? `${sampledFrom.vaeStep},${sampledFrom.ganStep}` : '';
  for (const k of ['vae', 'gan'] as const) {
    ui.source[k].textContent = sampledFrom ? `live · step ${k === 'vae' ? sampledFrom.vaeStep : sampledFrom.ganStep}` : 'shipped';
    ui.source[k].classList.toggle('live', sampledFrom !== null);
  }
}

/** Shows the VAE and GAN sets as they are (their nearest digits when known). */
function showModelSets(): void {
  for (const k of ['vae', 'gan'] as const) {
    grids[k].showImages(sets[k]!.images);
    if (sets[k]!.nearest && digits) grids[k].showNearest(sets[k]!.nearest!, digits);
    showMeasures(k);
  }
  showSource();
  drawHistogram();
  writeVerdict();
}

/** Samples of the models in use (live or shipped) from `seed`; then their nearest training digits once the training set is here. */
async function drawSamples(seed: number): Promise<void> {
  const models = live ? { vae: live.vae.model, gan: live.gan.model } : shipped;
  if (!models) return;
  const gen = ++generation;
  const from = live ? { vaeStep: live.vae.step, ganStep: live.gan.step } : null;
  setState('sampling');
  ui.figure.dataset['seed'] = String(seed);
  // One seed, two streams: the GAN's samples do not depend on how many numbers the VAE drew.
  const root = new Rng(seed);
  const [vaeRng, ganRng] = [root.fork(), root.fork()];
  const vae = await sampleOf(models.vae, MEASURED, vaeRng);
  if (gen !== generation) return; // the models may be gone by now
  const gan = await sampleOf(models.gan, MEASURED, ganRng);
  if (gen !== generation) return;
  sets.vae = { images: vae, nearest: null };
  sets.gan = { images: gan, nearest: null };
  sampledFrom = from;
  showModelSets();
  if (digits) await search(gen);
  else setState('loading');
}

/** drawSamples, remembered as the draw in flight (the return to the shipped models waits for it). */
function draw(seed: number): Promise<void> {
  const p = drawSamples(seed).finally(() => {
    if (drawing === p) drawing = null;
    lastRefresh = performance.now();
  });
  drawing = p;
  return p;
}

function seedValue(): number | null {
  const seed = Number(ui.seed.value);
  if (!Number.isInteger(seed) || seed < 0) {
    setStatus(`seed: expected a whole number ≥ 0, got '${ui.seed.value}'`, 'error');
    return null;
  }
  return seed;
}

const run = (p: Promise<void>): void =>
  void p.catch((e: unknown) => {
    setState('error');
    setStatus(errorText(e), 'error');
  });

ui.newSamples.addEventListener('click', () => {
  const seed = seedValue();
  if (seed === null) return;
  ui.seed.value = String(seed + 1);
  run(draw(seed + 1));
});
ui.seed.addEventListener('change', () => {
  const seed = seedValue();
  if (seed !== null) run(draw(seed));
});
new ResizeObserver(() => drawHistogram()).observe(ui.figure);

// ---- train live ----

const shownSeed = (): number => Number(ui.figure.dataset['seed'] ?? 1);

function trainWork(): Promise<boolean> {
  return trainFrame(live, 'the shipped models');
}

/** After each frame of training: the read-outs; every few seconds, the live models' samples and their search. */
function drawTraining(): void {
  panel.show(live, stopwatch.seconds);
  if (live && trainLoop.playing && !drawing && performance.now() - lastRefresh > REFRESH_MS) run(draw(shownSeed()));
}

const trainLoop = new Loop(trainWork, drawTraining, {
  onChange: (playing) => {
    ui.train.textContent = playing ? 'Stop' : live ? 'Resume training' : 'Train live';
    ui.figure.dataset['training'] = String(playing);
    if (playing) {
      stopwatch.start();
      setStatus('Training live: the DCGAN’s minibatch is chosen so that a step keeps frames short; the samples are redrawn every few seconds.');
    } else {
      stopwatch.stop();
      panel.show(live, stopwatch.seconds);
      // The samples of the models as they stopped, after the step in flight (a search of older ones is abandoned).
      void trainLoop.exclusive(() => {
        if (live && !live.error && !trainLoop.playing) run(draw(shownSeed()));
      });
    }
  },
  onError: (e) => setStatus(errorText(e), 'error'),
});

ui.train.addEventListener('click', () => {
  if (trainLoop.playing) return trainLoop.pause();
  if (!shipped || !digits) return;
  if (live?.error) return setStatus(`training stopped: ${live.error}. Go back to the shipped models and train again.`, 'error');
  if (!live) {
    if (sets.vae && sets.gan && !sampledFrom) shippedSets = { seed: shownSeed(), vae: sets.vae, gan: sets.gan };
    live = new LiveModels(shipped, digits, LIVE_SEED);
    stopwatch = new Stopwatch();
    lastRefresh = performance.now();
    ui.figure.dataset['model'] = 'live';
    ui.shipped.disabled = false;
  }
  trainLoop.play();
});

/** Disposes the live models (after the step and the draw in flight) and shows the shipped models' samples again. */
async function backToShipped(): Promise<void> {
  const leaving = live;
  if (!leaving) return;
  live = null; // first, so that pausing does not redraw for the models being dropped
  ui.shipped.disabled = true;
  trainLoop.pause();
  generation++; // abandons a search of the live models' samples
  await drawing?.catch(() => undefined);
  await trainLoop.exclusive(() => leaving.dispose());
  stopwatch = new Stopwatch();
  panel.show(null, 0);
  ui.figure.dataset['model'] = 'shipped';
  ui.train.textContent = 'Train live';
  const seed = shownSeed();
  if (shippedSets && shippedSets.seed === seed) {
    // The same seed's samples of the same models: what was shown before training, nearest digits included.
    sets.vae = shippedSets.vae;
    sets.gan = shippedSets.gan;
    sampledFrom = null;
    showModelSets();
    if (sets.vae.nearest && sets.gan.nearest) {
      ui.figure.dataset['tensors'] = String(tf.memory().numTensors);
      setState('done');
      setStatus('Back to the shipped models.', 'ok');
    } else await search(++generation);
  } else await draw(seed);
}
ui.shipped.addEventListener('click', () => run(backToShipped()));

function describeModels(vae: AssetInfo, gan: AssetInfo): string {
  return `Shipped models (re-created by npm run assets): ${vae.name} — ${vae.command}; ${gan.name} — ${gan.command}.`;
}

try {
  ui.measuredOver.textContent = `Measured over ${MEASURED} images per set, the ${SHOWN} shown among them.`;
  // The 47 MB of training digits start arriving while the engine starts and the models load.
  const training = fetchTrainingDigits((loaded, total) => {
    if (ui.figure.dataset['state'] === 'searching') return;
    const mb = (b: number): string => (b / 1e6).toFixed(0);
    setStatus(`Fetching the 60,000 training digits: ${mb(loaded)}${total ? ` of ${mb(total)}` : ''} MB…`);
  });
  training.catch(() => undefined); // awaited below; an early failure must not be an unhandled rejection
  // wasm by default: it runs the search's matrix products well everywhere; ?backend=webgl or webgpu for a GPU.
  const engine = await startEngine('wasm');
  ui.backend.textContent = `TensorFlow.js backend: ${engine.backend} (?backend=webgl or webgpu in the URL for a GPU)`;
  const [vae, gan, test] = await Promise.all([openShippedModel('mnist-vae2d'), openShippedModel('mnist-dcgan'), fetchDataset('mnist', { split: 'test', n: MEASURED, seed: TEST_SEED })]);
  shipped = { vae: vae.model, gan: gan.model };
  ui.figure.dataset['model'] = 'shipped';
  ui.models.textContent = describeModels(vae.asset, gan.asset);
  panel.setShipped(vae.asset, gan.asset);
  sets.test = { images: test.data, nearest: null };
  grids.test.showImages(test.data);
  showMeasures('test');
  const seed = seedValue() ?? 1;
  await draw(seed);
  markReady();
  digits = await training;
  ui.train.disabled = false;
  ui.train.title = 'train fresh models of the same kinds and configurations on the 60,000 training digits, here';
  await search(generation);
} catch (e) {
  setState('error');
  setStatus(errorText(e), 'error');
  ui.newSamples.disabled = true;
  ui.train.disabled = true;
  markReady();
}
