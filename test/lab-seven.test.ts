/**
 * The one-pixel 7 in chromium (helpers/lab.ts builds, serves and drives it), on its default wasm backend, with the
 * shipped mnist-vae2d, mnist-dcgan and MNIST classifier: it opens without console errors on the first 7 of the test
 * set; the two copies have equal pixel losses; the VAE's log p(x) and ELBO and the classifier's feature distance
 * prefer the extended stroke on this 7 and on nearly all of the first test 7s, the classifier's confidence and D's
 * standardised feature distance on most of them. The shipped DCGAN's discriminator does not prefer the stroke on this
 * 7 (its verdict and raw feature distance are not asserted: they do not reliably, which the page says). Clicking a
 * pixel changes the numbers of that copy only, without leaking tensors; another 7 is measured. Screenshot:
 * test-output/screenshots/seven.png.
 *
 * Training live: a fresh VAE of mnist-vae2d's configuration trains through TrainStep (finite losses, ≥ 5 steps) while
 * animation frames keep coming; its rows — and only they — are marked live and follow it (measured again on a model
 * that has trained further); stopped, it gets its own tally over the same 7s; back to shipped restores the shipped
 * numbers and tally exactly and the tensor count of a measurement at rest. Screenshot: seven-live.png.
 *
 * The stroke-finding functions (web/src/seven/stroke.ts) are checked in Node on hand-made digits.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { pixelHash, shot, startLabSession, type LabSession, figureData, waitForState } from './helpers/lab.js';
import { onePixelCopies, SIDE, skeleton, squaredError, strokeEnds, strokeMask } from '../web/src/seven/stroke.js';

describe('the one-pixel 7: finding the two edits', () => {
  /** A 28 × 28 image with a 2-pixel-wide vertical bar in rows 6…20, columns 13–14. */
  const bar = (): Float32Array => {
    const img = new Float32Array(SIDE * SIDE);
    for (let y = 6; y <= 20; y++) for (const x of [13, 14]) img[y * SIDE + x] = 1;
    return img;
  };

  it('thins a bar to a line with two ends pointing out of it', () => {
    const ends = strokeEnds(skeleton(strokeMask(bar())));
    assert.equal(ends.length, 2);
    const [top, bottom] = [...ends].sort((a, b) => a.y - b.y);
    assert.ok(top!.dy < -0.9 && bottom!.dy > 0.9, `directions ${JSON.stringify(ends)}`);
  });

  it('extends the lowest end downwards and puts the stray pixel far away, with equal squared errors', () => {
    const img = bar();
    const copies = onePixelCopies(img)!;
    const at = (i: number): [number, number] => [Math.floor(i / SIDE), i % SIDE];
    const [ey, ex] = at(copies.extension.index);
    assert.ok(ey === 21 && (ex === 13 || ex === 14), `extension at ${ey}, ${ex}`);
    const [sy, sx] = at(copies.strayEdit.index);
    assert.ok(Math.abs(sx - 13.5) >= 8, `the stray pixel (${sy}, ${sx}) is far from the bar`);
    assert.ok(sy >= 4 && sy <= 23 && sx >= 4 && sx <= 23, 'inside the digit box');
    assert.equal(squaredError(copies.extended, img), 1);
    assert.equal(squaredError(copies.stray, img), squaredError(copies.extended, img));
  });

  it('raises the stray pixel by what the extension added when the extension pixel was already grey', () => {
    const img = bar();
    img[21 * SIDE + 13] = 0.3;
    img[21 * SIDE + 14] = 0.3;
    const copies = onePixelCopies(img)!;
    assert.ok(Math.abs(copies.strayEdit.value - 0.7) < 1e-6);
    assert.ok(Math.abs(squaredError(copies.stray, img) - squaredError(copies.extended, img)) < 1e-6);
  });
});

let session: LabSession;



type Table = Record<string, { original: number; extended: number; stray: number; prefers: string; wins?: number; ties?: number; count?: number }>;

/**
 * The measures table as numbers: measure → image → value, what it prefers, and its tally over the first 7s. (A string
 * evaluated in the page: tsx would wrap named inner functions in a helper the page does not have.)
 */
const table = (page: Page): Promise<Table> =>
  page.evaluate(`Object.fromEntries([...document.querySelectorAll('#measures tr[data-measure]')].map((tr) => {
    const cell = (image) => Number(tr.querySelector('td[data-image="' + image + '"]').dataset.value);
    const tally = tr.querySelector('td.tally').dataset;
    return [tr.dataset.measure, {
      original: cell('original'), extended: cell('extended'), stray: cell('stray'), prefers: tr.dataset.prefers,
      ...(tally.count ? { wins: Number(tally.wins), ties: Number(tally.ties), count: Number(tally.count) } : {}),
    }];
  }))`);

describe('the one-pixel 7 page in chromium', { timeout: 120_000 }, () => {
  before(async () => {
    session = await startLabSession();
  });

  after(async () => {
    await session?.close();
  });

  it('equal pixel losses, the learned measures prefer the stroke, clicks re-measure, another 7', async () => {
    const { page, errors } = await session.open('seven.html');
    const first = await waitForState(page, 'Number(s.version) >= 1');
    assert.equal(first['index'], '0', 'the first test digit is a 7');

    const t = await table(page);
    assert.ok(t['pixelLoss']!.extended > 0, 'the copies differ from the real 7');
    assert.equal(t['pixelLoss']!.extended, t['pixelLoss']!.stray, 'pixel loss cannot tell them apart');
    assert.equal(t['pixelLoss']!.prefers, 'tie');
    // On this 7 the VAE and the classifier's features prefer the stroke; the shipped DCGAN's discriminator does not
    // (its verdict and feature distances prefer the stray pixel here), which the page says.
    for (const name of ['logPx', 'elbo', 'classifierDistance']) {
      assert.equal(t[name]!.prefers, 'extended', `${name} prefers the stroke on this 7: ${JSON.stringify(t[name])}`);
    }
    assert.ok(t['logPx']!.extended > t['logPx']!.stray && t['classifierDistance']!.extended < t['classifierDistance']!.stray);
    for (const name of ['featureDistance', 'standardisedDistance', 'classifierDistance']) assert.equal(t[name]!.original, 0, `${name}: the real 7 is at 0 from itself`);

    // How typical that is: the same comparison over the first test 7s.
    const tallied = await waitForState(page, 's.tally !== undefined', 60_000);
    const tally = await table(page);
    const count = Number(tallied['tally']);
    assert.ok(count >= 30, `${count} sevens compared`);
    assert.equal(tally['pixelLoss']!.ties, count, 'pixel loss ties on every 7');
    const share = (name: string) => tally[name]!.wins! / count;
    for (const name of ['logPx', 'classifierDistance']) assert.ok(share(name) >= 0.85, `${name} prefers the stroke on ${tally[name]!.wins}/${count} sevens`);
    for (const name of ['logOddsSeven', 'standardisedDistance']) assert.ok(share(name) > 0.6, `${name} prefers the stroke on most 7s: ${tally[name]!.wins}/${count}`);

    // A click on the stray copy's top-left pixel adds ink there: only that copy's numbers move.
    const strayPixels = await pixelHash(page, '#img-stray');
    const before = await figureData(page);
    const box = (await page.locator('#img-stray').boundingBox())!;
    await page.mouse.click(box.x + 2, box.y + 2);
    const clicked = await waitForState(page, `Number(s.version) > ${before['version']}`);
    const after1 = await table(page);
    assert.notEqual(await pixelHash(page, '#img-stray'), strayPixels, 'the clicked pixel is drawn');
    assert.ok(after1['pixelLoss']!.stray > t['pixelLoss']!.stray, 'the pixel loss of the clicked copy grew');
    assert.notEqual(after1['standardisedDistance']!.stray, t['standardisedDistance']!.stray);
    assert.notEqual(after1['classifierDistance']!.stray, t['classifierDistance']!.stray);
    assert.equal(after1['classifierDistance']!.extended, t['classifierDistance']!.extended, 'the other copy is untouched');
    // Clicking it again removes the ink: back to where it was, with no tensor left behind.
    await page.mouse.click(box.x + 2, box.y + 2);
    const back = await waitForState(page, `Number(s.version) > ${clicked['version']}`);
    assert.equal((await table(page))['pixelLoss']!.stray, t['pixelLoss']!.stray);
    assert.equal(back['tensors'], clicked['tensors'], 'measuring leaks no tensor');
    await shot(page, 'seven');

    await page.click('#another');
    const next = await waitForState(page, `s.index !== '0' && Number(s.version) > ${back['version']}`);
    assert.ok(Number(next['index']) > 0);
    const t2 = await table(page);
    assert.equal(t2['pixelLoss']!.extended, t2['pixelLoss']!.stray);
    assert.notEqual(await page.getAttribute('#status', 'data-kind'), 'error', (await page.textContent('#status'))!);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('trains a fresh VAE live: its rows follow it, marked live, the page stays responsive; back to shipped restores numbers and tensors', async () => {
    const { page, errors } = await session.open('seven.html');
    await waitForState(page, 's.tally !== undefined', 60_000);
    // A measurement at rest (the shipped tally done): its tensor count is the one to come back to.
    const before = await figureData(page);
    await page.click('#reset');
    const rest = await waitForState(page, `Number(s.version) > ${before['version']}`);
    assert.equal(rest['model'], 'shipped');
    const shipped = await table(page);

    await page.click('#train');
    const first = await waitForState(page, `s.model === 'live' && Number(s.trainStep) >= 5 && Number(s.version) > ${rest['version']}`, 60_000);
    assert.ok(Number.isFinite(Number(first['trainLoss'])), `a finite loss: ${first['trainLoss']}`);
    const firstTable = await table(page);
    // About a second later the live rows have been measured again on a model that has trained further.
    const second = await waitForState(page, `Number(s.version) > ${first['version']} && Number(s.trainStep) > ${first['trainStep']}`, 30_000);
    const secondTable = await table(page);
    assert.ok(Number(second['trainStep']) >= 5 && Number.isFinite(Number(second['trainLoss'])), JSON.stringify(second));
    const liveRows = await page.$$eval('#measures tr[data-live][data-measure]', (trs) => trs.map((tr) => (tr as HTMLElement).dataset['measure']));
    assert.deepEqual(liveRows, ['logPx', 'elbo'], 'the VAE rows, and only they, are marked live');
    assert.match((await page.textContent('#measures tr.group[data-live]'))!, /live/);
    for (const name of ['logPx', 'elbo']) {
      for (const image of ['original', 'extended', 'stray'] as const) assert.ok(Number.isFinite(secondTable[name]![image]), `${name}/${image} finite`);
      assert.notEqual(firstTable[name]!.original, shipped[name]!.original, `${name}: the live VAE's number, not the shipped one's`);
      assert.notEqual(secondTable[name]!.original, firstTable[name]!.original, `${name} follows the training`);
    }
    assert.equal(secondTable['classifierDistance']!.stray, shipped['classifierDistance']!.stray, 'the other models are the shipped ones');
    assert.equal(secondTable['pixelLoss']!.extended, secondTable['pixelLoss']!.stray);
    // Responsive while training: frames keep coming, a few steps in each (about 30 a second on an idle machine; a
    // loop that trained without yielding would show one or two).
    const frames = (await page.evaluate(
      `new Promise((done) => { let n = 0; const t0 = performance.now(); const tick = () => { n++; if (performance.now() - t0 < 2000) requestAnimationFrame(tick); else done(n); }; requestAnimationFrame(tick); })`,
    )) as number;
    assert.ok(frames >= 8, `${frames} frames in two seconds while training`);

    // Stop: the live VAE's own tally over the first 7s.
    await page.click('#train');
    const stopped = await waitForState(page, 's.liveTally !== undefined', 60_000);
    const counted = await table(page);
    assert.equal(counted['logPx']!.count, Number(rest['tally']), 'the live VAE compared on the same 7s');
    assert.ok(await page.$eval('#measures tr[data-measure="logPx"] td.tally', (td) => (td as HTMLElement).dataset['model'] === 'live'));
    assert.equal(await page.textContent('#train'), 'Resume training');

    // Back to shipped: the shipped numbers and tally, and no tensor of the live VAE left behind.
    await page.click('#shipped');
    const back = await waitForState(page, `s.model === 'shipped' && Number(s.version) > ${stopped['version']}`);
    const restored = await table(page);
    for (const name of ['logPx', 'elbo']) {
      for (const key of ['original', 'extended', 'stray', 'wins', 'count'] as const) assert.equal(restored[name]![key], shipped[name]![key], `${name}/${key} back to the shipped value`);
    }
    assert.equal(await page.$$eval('#measures tr[data-live]', (trs) => trs.length), 0, 'nothing marked live');
    assert.equal(back['tensors'], rest['tensors'], 'the live VAE, its optimiser and its batches are all let go');
    assert.equal(await page.textContent('#train'), 'Train a fresh VAE');
    await shot(page, 'seven-live');
    assert.notEqual(await page.getAttribute('#status', 'data-kind'), 'error', (await page.textContent('#status'))!);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
