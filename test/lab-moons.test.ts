/**
 * The AE-vs-VAE moon page in chromium (helpers/lab.ts builds, serves and drives it): it opens with the shipped
 * models without console errors; the slider redraws both decodings and the true moon; the error chart along the
 * path is drawn and the page's own halfway errors say the AE is further from the true moon than the VAE (the
 * lecture's point, measured by the page on the shipped models); live training runs steps, redraws the decodings and
 * goes back to the shipped models without leaking tensors. Screenshot: test-output/screenshots/moons.png.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { pixelHash, shot, startLabSession, type LabSession } from './helpers/lab.js';

let session: LabSession;

/** The state the page draws, from #figure's data attributes. */
const figure = (page: Page): Promise<Record<string, string>> => page.$eval('#figure', (el) => ({ ...(el as HTMLElement).dataset }) as Record<string, string>);

/** Waits until `test(state)` holds for #figure's data attributes; on timeout, says where the page got to. */
async function waitForState(page: Page, test: string, timeout: number): Promise<Record<string, string>> {
  try {
    await page.waitForFunction((body) => new Function('s', `return ${body}`)((document.getElementById('figure') as HTMLElement).dataset) as boolean, test, { timeout, polling: 100 });
  } catch {
    assert.fail(`the page never reached ${test}: ${JSON.stringify(await figure(page))}, status: ${await page.textContent('#status')}`);
  }
  return figure(page);
}

/** Moves the slider to `t` as a user would (an input event). */
async function slideTo(page: Page, t: number): Promise<Record<string, string>> {
  await page.$eval('#t', (el, v) => {
    (el as HTMLInputElement).value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, t);
  return waitForState(page, `Math.abs(Number(s.t) - ${t}) < 1e-9`, 5_000);
}

describe('the AE-vs-VAE moon page in chromium', { timeout: 120_000 }, () => {
  before(async () => {
    session = await startLabSession();
  });

  after(async () => {
    await session?.close();
  });

  it('opens with the shipped models; the slider redraws; the AE is further from the true moon halfway; training runs live', async () => {
    const { page, errors } = await session.open('moons.html?backend=wasm');
    assert.notEqual(await page.getAttribute('#status', 'data-kind'), 'error', (await page.textContent('#status'))!);
    const s0 = await figure(page);
    assert.equal(s0['source'], 'shipped');
    assert.equal(s0['pathPoints'], '41', 'the error is charted along the whole path');

    // The lecture's point, measured by the page: halfway, the AE's decoding is further from the true 45° moon.
    const [aeHalf, vaeHalf] = [Number(s0['aeHalfway']), Number(s0['vaeHalfway'])];
    assert.ok(Number.isFinite(aeHalf) && Number.isFinite(vaeHalf), `halfway errors: ${s0['aeHalfway']}, ${s0['vaeHalfway']}`);
    assert.ok(aeHalf > 1.5 * vaeHalf, `halfway: AE ${aeHalf} against VAE ${vaeHalf}`);
    assert.equal((await page.textContent('#halfway-ae'))!, aeHalf.toFixed(4));
    // The page opens at t = ½: the slider's errors are the halfway ones.
    assert.equal(Number(s0['t']), 0.5);
    assert.ok(Math.abs(Number(s0['aeError']) - aeHalf) < 1e-6, `at t = ½: ${s0['aeError']} vs ${aeHalf}`);

    // The slider redraws both decodings, the true moon and the chart's marker; the full moon's end decodes well.
    const before = { ae: await pixelHash(page, '#decode-ae'), vae: await pixelHash(page, '#decode-vae'), truth: await pixelHash(page, '#truth'), chart: await pixelHash(page, '#error-chart'), codes: await pixelHash(page, '#scatter-vae') };
    const s1 = await slideTo(page, 0.1);
    assert.notEqual(await pixelHash(page, '#decode-ae'), before.ae, 'the AE decoding changes with t');
    assert.notEqual(await pixelHash(page, '#decode-vae'), before.vae, 'the VAE decoding changes with t');
    assert.notEqual(await pixelHash(page, '#truth'), before.truth, 'the true moon changes with t');
    assert.notEqual(await pixelHash(page, '#error-chart'), before.chart, 'the chart marks t');
    assert.notEqual(await pixelHash(page, '#scatter-vae'), before.codes, 'the code plane marks the point at t');
    assert.equal(s1['tensors'], s0['tensors'], 'moving the slider keeps no tensor');
    const s2 = await slideTo(page, 0);
    assert.ok(Number(s2['vaeError']) < vaeHalf && Number(s2['aeError']) < aeHalf, `at the full moon: ${s2['aeError']}, ${s2['vaeError']}`);
    await slideTo(page, 0.5);
    await shot(page, 'moons');

    // Live training: a fresh pair trains step by step and redraws; Shipped brings the shipped models back.
    const shippedAe = await pixelHash(page, '#decode-ae');
    await page.click('#train');
    const training = await waitForState(page, 'Number(s.step) >= 20', 45_000);
    assert.equal(training['source'], 'live');
    await page.click('#stop');
    const stopped = await waitForState(page, `s.aeHalfway !== '${s0['aeHalfway']}'`, 5_000);
    assert.equal(await page.textContent('#step'), stopped['step'], 'the step count shown is the trainer’s');
    assert.notEqual(await pixelHash(page, '#decode-ae'), shippedAe, 'training redraws the decodings');
    await shot(page, 'moons-live');
    await page.click('#shipped');
    const back = await waitForState(page, `s.source === 'shipped'`, 10_000);
    assert.equal(back['aeHalfway'], s0['aeHalfway']);
    assert.equal(back['tensors'], s0['tensors'], 'the live models are disposed');

    assert.notEqual(await page.getAttribute('#status', 'data-kind'), 'error', (await page.textContent('#status'))!);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
