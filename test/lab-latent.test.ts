/**
 * The latent space page in chromium (helpers/lab.ts builds, serves and drives it), on its default wasm backend, with the
 * shipped mnist-vae2d: it opens without console errors; two places on the code plane decode to two different images
 * (and the first place again to the first image); a scrawl drawn on the pad gets a code on the plane and a finite
 * log p(x) below a typical test digit's, and a real test digit on the pad scores above the scrawl; the GMM's EM raises
 * the log-likelihood of the codes; a fresh VAE trains live and changes the manifold, and going back to the shipped
 * model restores it without leaking tensors. The screenshot goes to test-output/screenshots/latent.png.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { pixelHash, shot, startLabSession, type LabSession, waitForState } from './helpers/lab.js';

let session: LabSession;

/** Clicks a point of `selector` at fractions (fx, fy) of its box. */
async function clickAt(page: Page, selector: string, fx: number, fy: number): Promise<void> {
  await page.locator(selector).scrollIntoViewIfNeeded();
  const box = (await page.locator(selector).boundingBox())!;
  await page.mouse.click(box.x + fx * box.width, box.y + fy * box.height);
}

/** A number as the page prints it (a true minus sign). */
const shown = async (page: Page, selector: string): Promise<number> => Number((await page.textContent(selector))!.replace('−', '-'));

describe('the latent space page in chromium', { timeout: 120_000 }, () => {
  before(async () => {
    session = await startLabSession();
  });

  after(async () => {
    await session?.close();
  });

  it('decodes any code, scores a drawn digit, fits a GMM to the codes and trains a VAE live', async () => {
    const { page, errors } = await session.open('latent.html');
    assert.match((await page.textContent('#backend'))!, /wasm/, 'an MLP this size runs on wasm by default');
    const s0 = await waitForState(page, "s.model === 'shipped' && s.typicalLogpx !== undefined && s.gmmDone === 'true'");
    assert.equal(s0['codes'], '3000', 'the test digits are encoded on the plane');

    // Two places on the plane decode to two images; the first place again to the first image.
    await clickAt(page, '#plane', 0.3, 0.3);
    const first = await waitForState(page, `s.crosshair !== '${s0['crosshair']}'`);
    const imageA = await pixelHash(page, '#decoded');
    await clickAt(page, '#plane', 0.7, 0.65);
    await waitForState(page, `s.crosshair !== '${first['crosshair']}'`);
    const imageB = await pixelHash(page, '#decoded');
    assert.notEqual(imageB, imageA, 'another code decodes to another image');
    await clickAt(page, '#plane', 0.3, 0.3);
    await waitForState(page, `s.crosshair === '${first['crosshair']}'`);
    assert.equal(await pixelHash(page, '#decoded'), imageA, 'decoding is deterministic');

    // EM on the codes: the log-likelihood per code is finite and does not fall from the first iteration to the last.
    const gmmFirst = Number(s0['gmmFirst']), gmmLast = Number(s0['gmmLl']);
    assert.ok(Number.isFinite(gmmFirst) && Number.isFinite(gmmLast), `GMM log-likelihoods ${s0['gmmFirst']} → ${s0['gmmLl']}`);
    assert.ok(Number(s0['gmmIteration']) >= 2, `EM ran: ${s0['gmmIteration']} iterations`);
    assert.ok(gmmLast >= gmmFirst - 1e-9, `EM raises the log-likelihood: ${gmmFirst} → ${gmmLast}`);
    assert.equal(s0['gmmK'], '10');
    const withEllipses = await pixelHash(page, '#plane');
    await page.click('#gmm-show');
    assert.notEqual(await pixelHash(page, '#plane'), withEllipses, 'the GMM ellipses are drawn on the plane');
    await page.click('#gmm-show');

    // A dense scrawl: a code marked on the plane and a finite log p(x), far below a typical test digit's.
    const planeBefore = await pixelHash(page, '#plane');
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const pad = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(pad.x + 0.15 * pad.width, pad.y + 0.15 * pad.height);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(pad.x + (i % 2 ? 0.85 : 0.15) * pad.width, pad.y + (0.15 + 0.06 * i) * pad.height, { steps: 4 });
    await page.mouse.up();
    const scrawl = await waitForState(page, 's.drawnLogpx !== undefined && s.drawnCode !== undefined');
    const scrawlLogPx = Number(scrawl['drawnLogpx']);
    assert.ok(Number.isFinite(scrawlLogPx), `log p(x) of the scrawl: ${scrawl['drawnLogpx']}`);
    assert.ok(Math.abs((await shown(page, '#s-logpx-drawn')) - scrawlLogPx) < 0.06, 'the table shows the drawn digit’s log p(x)');
    assert.ok(Number.isFinite(await shown(page, '#s-elbo-drawn')), 'and its ELBO');
    assert.notEqual(await pixelHash(page, '#plane'), planeBefore, 'the drawn digit’s code is marked on the plane');
    const typical = Number(scrawl['typicalLogpx']);
    assert.ok(scrawlLogPx < typical, `a scrawl (${scrawlLogPx}) is less likely than a typical test digit (${typical})`);
    await page.click('#pad-test');
    const real = await waitForState(page, `s.drawnLogpx !== undefined && s.drawnLogpx !== '${scrawl['drawnLogpx']}'`);
    assert.ok(Number(real['drawnLogpx']) > scrawlLogPx, `a test digit on the pad (${real['drawnLogpx']}) beats the scrawl (${scrawlLogPx})`);

    // Live training: steps run, the manifold changes; back to the shipped model restores it, with no tensor left over.
    const manifold = await pixelHash(page, '#manifold');
    const tensors = s0['tensors'];
    await page.click('#train');
    await waitForState(page, "s.model === 'live' && Number(s.trainStep) >= 5", 60_000);
    await page.click('#train');
    const trained = await waitForState(page, 's.typicalLogpx !== undefined');
    assert.ok(Number.isFinite(Number(trained['trainLoss'])), `a finite training loss: ${trained['trainLoss']}`);
    assert.notEqual(await pixelHash(page, '#manifold'), manifold, 'the live VAE decodes another manifold');
    assert.notEqual(trained['manifold'], s0['manifold']);
    await page.click('#shipped');
    const back = await waitForState(page, "s.model === 'shipped' && s.typicalLogpx !== undefined");
    assert.equal(back['manifold'], s0['manifold'], 'the shipped model’s manifold again');
    assert.equal(back['tensors'], tensors, 'training and going back leave no tensor behind');

    assert.notEqual(await page.getAttribute('#status', 'data-kind'), 'error', (await page.textContent('#status'))!);
    await shot(page, 'latent');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
