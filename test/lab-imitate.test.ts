/**
 * "VAE imitates, GAN creates" in chromium (helpers/lab.ts builds, serves and drives the lab): the page opens without
 * console errors and draws VAE samples, GAN samples and held-out test digits, each above its nearest MNIST training
 * digit. Every distance it shows is recomputed here from the training split the library loads (not the page's
 * copy): it is the L2 distance to the training digit the page names, that digit is the nearest of all 60,000, and the
 * canvases show exactly those images. "New samples" draws new ones (the grids change) without leaking tensors.
 * "Train live" trains fresh models in the page (finite losses, both models step), their samples replace the grids with
 * distances that still verify, and "Back to the shipped models" restores the shipped grids and the tensor count.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { loadDataset, type Dataset } from '../src/index.js';
import { pixelHash, shot, startLabSession, type LabSession } from './helpers/lab.js';

let session: LabSession;
let train: Dataset;
const SIZE = 28 * 28;

const figure = (page: Page): Promise<Record<string, string>> => page.$eval('#figure', (el) => ({ ...(el as HTMLElement).dataset }) as Record<string, string>);

/**
 * Waits until the figure's data attributes match `want` (every name and value given) and, when given, the expression
 * `also` over them (`d`) holds.
 */
async function waitForFigure(page: Page, want: Record<string, string>, what: string, also = 'true'): Promise<Record<string, string>> {
  try {
    // A script as text (see watchFrames).
    const check = `(() => { const d = document.getElementById('figure').dataset; return ${JSON.stringify(Object.entries(want))}.every(([k, v]) => d[k] === v) && (${also}); })()`;
    await page.waitForFunction(check, undefined, { timeout: 60_000, polling: 100 });
  } catch {
    assert.fail(`${what}: ${JSON.stringify(await figure(page))}, status: ${await page.textContent('#status')}`);
  }
  return figure(page);
}

/** Waits until the page has found the nearest training digits of its samples drawn from `seed`. */
const waitForSearch = (page: Page, seed: number): Promise<Record<string, string>> => waitForFigure(page, { state: 'done', seed: String(seed) }, `no search result for seed ${seed}`);

/** Records the longest gap between two animation frames in body[data-longest-frame-gap] until `until` (a script) holds. */
async function watchFrames(page: Page, until: string): Promise<void> {
  // A script as text: the test's compiler would wrap a named function in a helper the page lacks.
  await page.evaluate(`{
    const body = document.body, figure = document.getElementById('figure');
    let last = performance.now();
    body.dataset.longestFrameGap = '0';
    body.dataset.frames = '0';
    const tick = (now) => {
      body.dataset.longestFrameGap = String(Math.max(Number(body.dataset.longestFrameGap), now - last));
      body.dataset.frames = String(Number(body.dataset.frames) + 1);
      last = now;
      if (!(${until})) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }`);
}

interface Pair {
  grid: string;
  pixels: Float32Array;
  trainIndex: number;
  distance: number;
  caption: string;
  /** The red channel of the two canvases as drawn. */
  drawnImage: number[];
  drawnNearest: number[];
}

/** What every pair on the page shows: its data attributes and the pixels of its two canvases. */
async function readPairs(page: Page): Promise<Pair[]> {
  const raw = await page.$$eval('figure.pair', (figs) =>
    figs.map((f) => {
      const el = f as HTMLElement;
      // The red channel of both canvases (no named helper here: the test's compiler would wrap it in __name).
      const [drawnImage, drawnNearest] = (['canvas.image', 'canvas.nearest'] as const).map((s) => {
        const c = el.querySelector(s) as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        return Array.from({ length: c.width * c.height }, (_, i) => d[4 * i]!);
      });
      return {
        grid: el.parentElement!.id,
        pixels: el.dataset['pixels'] ?? '',
        trainIndex: el.dataset['trainIndex'] ?? '',
        distance: el.dataset['distance'] ?? '',
        caption: el.querySelector('figcaption')!.textContent ?? '',
        drawnImage: drawnImage!,
        drawnNearest: drawnNearest!,
      };
    }),
  );
  return raw.map((p) => {
    const bytes = Buffer.from(p.pixels, 'base64');
    const pixels = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(pixels.buffer).set(bytes);
    return { ...p, pixels, trainIndex: Number(p.trainIndex), distance: Number(p.distance) };
  });
}

const trainImage = (i: number): Float32Array => train.data.subarray(i * SIZE, (i + 1) * SIZE);

/** L2 distance in float64; stops early (returns a lower bound above `stop`) once past `stop`. */
function l2(a: Float32Array, b: Float32Array, stop = Infinity): number {
  const limit = stop * stop;
  let s = 0;
  for (let j = 0; j < a.length; j++) {
    const d = a[j]! - b[j]!;
    s += d * d;
    if (s > limit) break;
  }
  return Math.sqrt(s);
}

/** Brute force over all training digits: the smallest distance to `image`. */
function nearestDistance(image: Float32Array): number {
  let best = Infinity;
  for (let i = 0; i < train.count; i++) best = Math.min(best, l2(image, trainImage(i), best));
  return best;
}

const byte = (v: number): number => Math.round(255 * Math.min(1, Math.max(0, v)));

/** Every pair's distance is the L2 distance to the training digit it names, and both canvases show those images. */
function checkPairs(pairs: Pair[]): void {
  for (const [k, p] of pairs.entries()) {
    const what = `${p.grid} #${k % 16}`;
    assert.equal(p.pixels.length, SIZE, `${what}: the page exposes its 784 pixels`);
    assert.ok(Number.isInteger(p.trainIndex) && p.trainIndex >= 0 && p.trainIndex < train.count, `${what}: training index ${p.trainIndex}`);
    assert.ok(Number.isFinite(p.distance), `${what}: distance ${p.distance}`);
    const recomputed = l2(p.pixels, trainImage(p.trainIndex));
    assert.ok(Math.abs(recomputed - p.distance) < 1e-3, `${what}: the page says ${p.distance}, the training digit #${p.trainIndex} is at ${recomputed}`);
    assert.equal(p.caption, p.distance.toFixed(2), `${what}: the caption shows the distance`);
    assert.deepEqual(p.drawnImage, Array.from(p.pixels, byte), `${what}: the image drawn is the one measured`);
    assert.deepEqual(p.drawnNearest, Array.from(trainImage(p.trainIndex), byte), `${what}: the nearest drawn is training digit #${p.trainIndex}`);
  }
}

describe('VAE imitates, GAN creates, in chromium', { timeout: 120_000 }, () => {
  before(async () => {
    [session, train] = await Promise.all([startLabSession(), loadDataset('mnist', { seed: 0 }).then((s) => s.train)]);
  });

  after(async () => {
    await session?.close();
  });

  it('shows each sample with its true nearest training digit and distance; new samples change the grids', async () => {
    const { page, errors } = await session.open('imitate.html');
    const first = await waitForSearch(page, 1);
    const pairs = await readPairs(page);
    assert.deepEqual(
      ['vae-pairs', 'gan-pairs', 'test-pairs'].map((g) => pairs.filter((p) => p.grid === g).length),
      [16, 16, 16],
      'sixteen VAE samples, GAN samples and test digits, each with its nearest training digit',
    );
    checkPairs(pairs);
    // The digit named is the nearest of all 60,000 (ties within rounding allowed).
    for (const p of pairs) {
      const best = nearestDistance(p.pixels);
      assert.ok(p.distance <= best + 1e-3, `${p.grid}: the page's nearest is at ${p.distance}, training digit at ${best} is nearer`);
    }
    for (const set of ['vae', 'gan', 'test']) {
      for (const m of ['nearest', 'sharp']) {
        const text = (await page.textContent(`#m-${set}-${m}`))!;
        assert.ok(Number.isFinite(Number(text)) && Number(text) > 0, `${set} ${m}: '${text}'`);
      }
      assert.match((await page.textContent(`#m-${set}-grey`))!, /^\d+(\.\d)?%$/);
    }
    assert.match((await page.textContent('#verdict'))!, /VAE.*GAN/);

    const hashes = await Promise.all(['#vae-pairs', '#gan-pairs', '#test-pairs'].map((s) => pixelHash(page, s)));
    // The page keeps drawing frames while it searches: the longest gap between two animation frames stays short.
    await watchFrames(page, "figure.dataset.seed === '2' && figure.dataset.state === 'done'");
    await page.click('#new-samples');
    const second = await waitForSearch(page, 2);
    const gap = Number(await page.getAttribute('body', 'data-longest-frame-gap'));
    assert.ok(gap > 0 && gap < 1000, `the page froze for ${gap.toFixed(0)} ms during the search (${second['searchMs']} ms)`);
    assert.equal(await page.inputValue('#seed'), '2');
    const changed = await Promise.all(['#vae-pairs', '#gan-pairs', '#test-pairs'].map((s) => pixelHash(page, s)));
    assert.notEqual(changed[0], hashes[0], 'new VAE samples');
    assert.notEqual(changed[1], hashes[1], 'new GAN samples');
    assert.equal(changed[2], hashes[2], 'the held-out digits stay');
    checkPairs(await readPairs(page));
    assert.equal(second['tensors'], first['tensors'], 'no tensor leaks from sampling or the search');

    await shot(page, 'imitate');
    assert.notEqual(await page.getAttribute('#status', 'data-kind'), 'error', (await page.textContent('#status'))!);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('trains both models live, shows their samples with verified distances, and goes back to the shipped ones without leaks', async () => {
    const { page, errors } = await session.open('imitate.html');
    const start = await waitForSearch(page, 1);
    assert.equal(start['model'], 'shipped');
    // Hashes from the top of the page: an element's screenshot depends on the scroll position (a clicked button scrolls).
    const hashes = async (): Promise<string[]> => {
      await page.evaluate('window.scrollTo(0, 0)');
      return Promise.all(['#vae-pairs', '#gan-pairs', '#test-pairs'].map((s) => pixelHash(page, s)));
    };
    const shippedHashes = await hashes();
    const shippedPairs = await readPairs(page);
    assert.equal(await page.isEnabled('#train'), true, 'Train live is enabled once the training digits are here');

    // Train until both models have stepped and the grids have been redrawn from the live models while training.
    await watchFrames(page, "figure.dataset.training === 'false'");
    await page.click('#train');
    assert.equal(await page.textContent('#train'), 'Stop');
    await waitForFigure(page, { training: 'true', sampled: 'live' }, 'live training, redrawn while training', 'Number(d.vaeStep) >= 3 && Number(d.ganStep) >= 3');
    await page.click('#train');
    // Stopping redraws the samples of the models as they stopped (after the step in flight); they replace the shipped ones.
    const stopped = await waitForFigure(page, { training: 'false', state: 'done', sampled: 'live' }, 'samples of the stopped live models', "d.sampledSteps === d.vaeStep + ',' + d.ganStep");
    const gap = Number(await page.getAttribute('body', 'data-longest-frame-gap'));
    const frames = Number(await page.getAttribute('body', 'data-frames'));
    assert.ok(gap > 0 && gap < 1000, `the page froze for ${gap.toFixed(0)} ms while training (${frames} frames; DCGAN batch ${stopped['ganBatch']}, ${stopped['ganMs']} ms of training a frame)`);
    for (const key of ['vaeLoss', 'ganDLoss', 'ganGLoss']) assert.ok(Number.isFinite(Number(stopped[key])) && stopped[key] !== '', `${key}: '${stopped[key]}'`);
    assert.ok(Number(stopped['ganBatch']) >= 8, `the DCGAN's minibatch: ${stopped['ganBatch']}`);
    assert.match((await page.textContent('#t-gan-loss'))!, /^\d+\.\d\d \/ \d+\.\d\d$/);
    assert.match((await page.textContent('#live-distance'))!, /Here so far: the VAE [\d.]+ epochs .* the DCGAN [\d.]+ epochs/);

    const liveHashes = await hashes();
    assert.notEqual(liveHashes[0], shippedHashes[0], 'the live VAE’s samples replace the shipped ones');
    assert.notEqual(liveHashes[1], shippedHashes[1], 'the live DCGAN’s samples replace the shipped ones');
    assert.equal(liveHashes[2], shippedHashes[2], 'the held-out digits stay');
    const livePairs = await readPairs(page);
    livePairs.forEach((p, k) => {
      const same = p.pixels.every((v, j) => v === shippedPairs[k]!.pixels[j]);
      assert.equal(same, p.grid === 'test-pairs', `${p.grid} #${k % 16}: ${same ? 'the shipped sample is still shown' : 'the held-out digit changed'}`);
    });
    checkPairs(livePairs);
    for (const p of livePairs.filter((q) => q.grid !== 'test-pairs').slice(0, 8)) {
      const best = nearestDistance(p.pixels);
      assert.ok(p.distance <= best + 1e-3, `${p.grid} (live): the page's nearest is at ${p.distance}, training digit at ${best} is nearer`);
    }
    assert.match((await page.textContent('#vae-source'))!, new RegExp(`^live · step ${stopped['vaeStep']}$`));
    await shot(page, 'imitate-live');

    // Back to the shipped models: their grids, pair for pair, and the tensors of before training.
    await page.click('#shipped');
    const back = await waitForFigure(page, { state: 'done', model: 'shipped', sampled: 'shipped', seed: '1' }, 'back to the shipped models');
    // Compared canvas by canvas (a screenshot's hash is not: the compositor may shade a redrawn canvas's rounded
    // outline one level differently).
    const backPairs = await readPairs(page);
    assert.equal(backPairs.length, shippedPairs.length);
    backPairs.forEach((p, k) => {
      const was = shippedPairs[k]!;
      const what = `${p.grid} #${k % 16}`;
      assert.ok(p.grid === was.grid && p.trainIndex === was.trainIndex && p.distance === was.distance && p.caption === was.caption, `${what}: the shipped pair is back`);
      assert.deepEqual([...p.pixels], [...was.pixels], `${what}: the shipped sample is back`);
      assert.deepEqual([p.drawnImage, p.drawnNearest], [was.drawnImage, was.drawnNearest], `${what}: both canvases show the shipped pair again`);
    });
    assert.equal(back['tensors'], start['tensors'], 'the live models, their optimisers and searches leave no tensor behind');
    assert.equal(back['vaeStep'], '0');
    assert.equal(await page.textContent('#train'), 'Train live');
    assert.equal(await page.isDisabled('#shipped'), true);
    assert.notEqual(await page.getAttribute('#status', 'data-kind'), 'error', (await page.textContent('#status'))!);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
