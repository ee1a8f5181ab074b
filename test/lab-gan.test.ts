/**
 * The lab's GAN pages in chromium (helpers/lab.ts builds, serves and drives them), on the wasm backend: each page
 * opens without console errors and training changes what it draws; on the 1-D page D flattens towards ½ while
 * playing, G's density is measured against the data's and the optimal D* drawn, and a flat D is not taken for G's
 * win unless G's density matches; on the 2-D page a D step changes only D (the heat map) and a G step only G (the
 * generated points), training on ring8 raises the share of high-quality samples while the status line follows it,
 * the fixes, losses and data sets all train, and drawing adds real points; a step that makes a loss NaN stops the
 * loop with a message on the page; a bad ?backend= is named as the page's URL option, not the CLI's flag. Playing
 * must not leak tensors. Screenshots go to test-output/screenshots/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { pixelHash, shot, startLabSession, type LabSession } from './helpers/lab.js';

let session: LabSession;

/** The state a page draws, from its #figure's data attributes. */
const figure = (page: Page): Promise<Record<string, string>> => page.$eval('#figure', (el) => ({ ...(el as HTMLElement).dataset }) as Record<string, string>);

/** Waits until `test(state)` holds for #figure's data attributes; on timeout, says where the page got to. */
async function waitForState(page: Page, test: string, timeout: number): Promise<Record<string, string>> {
  try {
    await page.waitForFunction((body) => {
      const s = (document.getElementById('figure') as HTMLElement).dataset;
      return new Function('s', `return ${body}`)(s) as boolean;
    }, test, { timeout, polling: 100 });
  } catch {
    assert.fail(`the page never reached ${test}: ${JSON.stringify(await figure(page))}, status: ${await page.textContent('#status')}`);
  }
  return figure(page);
}

/** Plays for at least `steps` more training steps, then pauses; returns the state when paused. */
async function playFor(page: Page, steps: number): Promise<Record<string, string>> {
  const from = Number((await figure(page))['step']);
  await page.click('#play');
  await waitForState(page, `Number(s.step) >= ${from + steps}`, 30_000);
  await page.click('#play');
  return figure(page);
}

/** Tensors alive after a stretch of playing equal those after a later stretch: nothing leaks per step or frame. */
async function assertNoLeak(page: Page): Promise<void> {
  const first = await playFor(page, 20);
  const second = await playFor(page, 60);
  assert.equal(second['tensors'], first['tensors'], `tensors: ${first['tensors']} after step ${first['step']}, ${second['tensors']} after step ${second['step']}`);
}

/**
 * Clicks a training button and waits until #figure shows `test` (a step trains asynchronously: TrainStep awaits its
 * read-back, so the figure may redraw after the click returns).
 */
async function clickThen(page: Page, selector: string, test: string): Promise<Record<string, string>> {
  await page.click(selector);
  return waitForState(page, test, 10_000);
}

async function assertNoErrorStatus(page: Page, what: string): Promise<void> {
  assert.notEqual(await page.getAttribute('#status', 'data-kind'), 'error', `${what}: ${await page.textContent('#status')}`);
}

describe('the GAN pages in chromium', { timeout: 240_000 }, () => {
  before(async () => {
    session = await startLabSession();
  });

  after(async () => {
    await session?.close();
  });

  it('GAN 1-D: a step redraws the figure; playing flattens D towards ½', async () => {
    const { page, errors } = await session.open('gan1d.html');
    assert.match((await page.textContent('#backend'))!, /wasm/, 'tiny networks train on wasm by default');
    const start = await figure(page);
    assert.equal(start['step'], '0');
    const gap0 = Number(start['gap']);
    assert.ok(gap0 > 0.02, `an untrained D is not flat: max |D − ½| = ${gap0}`);
    // An untrained G is far from the data: its density is far off, and so D* from ½.
    const tv0 = Number(start['tv']);
    assert.ok(tv0 > 0.4, `total variation between an untrained G's density and the data's: ${tv0}`);
    assert.ok(Number(start['dStarGap']) > 0.3, `max |D* − ½| for an untrained G: ${start['dStarGap']}`);
    const pixels = await pixelHash(page, '#plot');

    const one = await clickThen(page, '#step', 'Number(s.step) >= 1');
    assert.deepEqual([one['step'], one['dUpdates'], one['gUpdates']], ['1', '1', '1']);
    assert.notEqual(await pixelHash(page, '#plot'), pixels, 'a training step changes the figure');

    // Play until D is within half its first distance from ½ (after real training), then pause.
    await page.click('#play');
    const flat = await waitForState(page, `Number(s.step) >= 300 && Number(s.gap) < ${gap0 / 2}`, 45_000);
    await page.click('#play');
    assert.match((await page.textContent('#stat-gap'))!, /^0\.\d{3}$/);
    assert.ok(Number(flat['highQuality']) > 0.5, `gauss1d: ${flat['highQuality']} of the samples near a mode`);
    assert.ok(Number(flat['tv']) < tv0, `training brought G's density closer to the data's: ${tv0} → ${flat['tv']}`);

    // Once the learned D is flat, the page says whether G has won by G's density, not by D alone.
    await page.click('#play');
    await waitForState(page, `s.verdict.startsWith('flat')`, 45_000);
    await page.click('#play');
    const judged = await figure(page);
    const status = (await page.textContent('#status'))!;
    if (judged['verdict'] === 'flat, G won') {
      assert.ok(Number(judged['tv']) < 0.1, `"G won" with a total variation of ${judged['tv']}`);
      assert.match(status, /G matches the data/, status);
    } else if (judged['verdict'] === 'flat, G not there') {
      assert.ok(Number(judged['tv']) >= 0.1);
      assert.match(status, /the learned D is flat, but G has not won/, status);
      assert.match(status, /D\*/, 'the status points at D*');
      assert.ok(Number(judged['dStarGap']) > 0.05, `D* is not flat where G has not won: max |D* − ½| = ${judged['dStarGap']}`);
    } else {
      assert.equal(judged['verdict'], 'apart again', 'a step after the pause may have unflattened D');
      assert.match(status, /tells them apart again/, status);
    }
    assert.doesNotMatch(status, /cannot tell real from generated —/, 'a flat D alone is no verdict');

    await assertNoLeak(page);
    await assertNoErrorStatus(page, 'gan1d');
    await shot(page, 'gan1d');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('GAN 2-D: D step changes only D, G step only G; training on ring8 raises the high-quality share', async () => {
    const { page, errors } = await session.open('gan2d.html?backend=wasm');
    const s0 = await figure(page);
    assert.equal(s0['step'], '0');
    assert.ok(s0['discriminator'] && s0['generated'], 'the page fingerprints D and G');
    const hq0 = Number(s0['highQuality']);
    assert.ok(Number.isFinite(hq0), 'ring8 has modes: the high-quality share is measured');
    const pixels = await pixelHash(page, '#plane');

    const s1 = await clickThen(page, '#d-step', 'Number(s.dUpdates) + Number(s.gUpdates) >= 1');
    assert.deepEqual([s1['dUpdates'], s1['gUpdates']], ['1', '0']);
    assert.notEqual(s1['discriminator'], s0['discriminator'], 'a D step changes the heat map');
    assert.equal(s1['generated'], s0['generated'], 'a D step leaves the generated points where they were');

    const s2 = await clickThen(page, '#g-step', 'Number(s.dUpdates) + Number(s.gUpdates) >= 2');
    assert.deepEqual([s2['dUpdates'], s2['gUpdates']], ['1', '1']);
    assert.notEqual(s2['generated'], s1['generated'], 'a G step moves the generated points');
    assert.equal(s2['discriminator'], s1['discriminator'], 'a G step leaves D as it was');
    assert.notEqual(await pixelHash(page, '#plane'), pixels, 'the steps change the figure');

    const s3 = await clickThen(page, '#step', 'Number(s.dUpdates) + Number(s.gUpdates) >= 4');
    assert.deepEqual([s3['dUpdates'], s3['gUpdates']], ['2', '2']);

    await page.click('#play');
    const trained = await waitForState(page, `Number(s.highQuality) >= ${hq0 + 0.03}`, 45_000);
    // While playing, the status line follows training: the step and the modes covered.
    const line = async (): Promise<string> => (await page.textContent('#status'))!;
    const first = await line();
    assert.match(first, /^step \d+: modes covered \d+ \/ 8, \d+% of samples high quality/, first);
    await page.waitForFunction((was) => document.getElementById('status')!.textContent !== was, first, { timeout: 10_000 });
    await page.click('#play');
    assert.ok(Number(trained['step']) > 3);
    // The legend sits under the plane, off its axis labels.
    const plane = (await page.locator('#plane').boundingBox())!;
    const legend = (await page.locator('#figure .legend').boundingBox())!;
    assert.ok(legend.y >= plane.y + plane.height - 0.5, `the legend (${JSON.stringify(legend)}) overlaps the plane (${JSON.stringify(plane)})`);
    await assertNoLeak(page);
    await assertNoErrorStatus(page, 'ring8');
    await shot(page, 'gan2d');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('GAN 2-D: every loss, fix and data set trains; drawing adds real points', async () => {
    const { page, errors } = await session.open('gan2d.html?backend=wasm');
    /** After a change that starts a new GAN: it is untrained, and a step trains it. */
    const stepsAfter = async (what: string): Promise<Record<string, string>> => {
      assert.equal((await figure(page))['step'], '0', `${what} starts a new GAN`);
      const s = await clickThen(page, '#step', 'Number(s.step) >= 1');
      await assertNoErrorStatus(page, what);
      assert.equal(s['step'], '1', what);
      return s;
    };
    await page.click('#minibatch');
    assert.equal(await page.getAttribute('#minibatch', 'aria-pressed'), 'true');
    await stepsAfter('minibatch discrimination');
    await page.click('#feature-matching');
    await stepsAfter('feature matching');
    await page.locator('#smoothing').fill('0.9');
    await page.locator('#smoothing').dispatchEvent('change');
    await stepsAfter('label smoothing 0.9');
    await page.selectOption('#historical', '0.01');
    await stepsAfter('historical averaging');
    await page.selectOption('#instance-noise', '0.5');
    await stepsAfter('instance noise');
    await page.click('#reset');
    await stepsAfter('all five fixes');
    for (const id of ['#minibatch', '#feature-matching']) await page.click(id);
    await page.selectOption('#instance-noise', '0');
    await page.locator('#smoothing').fill('1');
    await page.locator('#smoothing').dispatchEvent('change');

    for (const loss of ['minimax', 'lsgan', 'wgan-gp']) {
      await page.selectOption('#loss', loss);
      const s = await stepsAfter(loss);
      assert.equal(s['dUpdates'], loss === 'wgan-gp' ? '5' : '1', `${loss}: dSteps D updates per step`);
    }
    // A setting the library refuses: its message goes to the status line, the console stays clean.
    await page.locator('#smoothing').fill('0.9');
    await page.locator('#smoothing').dispatchEvent('change');
    await page.waitForSelector('#status[data-kind="error"]');
    assert.match((await page.textContent('#status'))!, /labelSmoothing/);
    await page.click('#step');
    assert.match((await page.textContent('#status'))!, /labelSmoothing/, 'Step says why nothing trains');
    await page.locator('#smoothing').fill('1');
    await page.locator('#smoothing').dispatchEvent('change');
    await stepsAfter('wgan-gp without label smoothing');

    await page.selectOption('#loss', 'nonsaturating');
    await page.selectOption('#optimizer', 'sgd');
    const before = Number((await figure(page))['step']);
    await clickThen(page, '#step', `Number(s.step) >= ${before + 1}`);
    await assertNoErrorStatus(page, 'sgd');

    await page.locator('#latent').fill('5');
    await page.locator('#latent').dispatchEvent('change');
    await stepsAfter('5-D noise');

    await page.selectOption('#dataset', 'grid25');
    await stepsAfter('grid25');
    await page.selectOption('#dataset', 'two-moons');
    const moons = await stepsAfter('two-moons');
    assert.equal(moons['highQuality'], 'NaN', 'two-moons has no modes to measure');
    assert.equal(await page.textContent('#stat-hq'), '—');

    // Draw your own: an empty plane, then a drag across it.
    await page.selectOption('#dataset', 'draw');
    assert.equal((await figure(page))['points'], '0');
    const box = (await page.locator('#plane').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
    await page.mouse.down();
    for (let i = 1; i <= 20; i++) {
      await page.mouse.move(box.x + box.width * (0.3 + 0.02 * i), box.y + box.height * 0.5, { steps: 2 });
      await page.waitForTimeout(20);
    }
    await page.mouse.up();
    const drawn = await figure(page);
    assert.ok(Number(drawn['points']) >= 10, `dragging added ${drawn['points']} points`);
    assert.ok(drawn['discriminator'], 'enough drawn points start a GAN');
    await stepsAfter('drawn points');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('a bad ?backend= is named as the URL option, not the CLI flag', async () => {
    for (const path of ['gan1d.html?backend=tpu', 'gan2d.html?backend=tpu']) {
      const { page, errors } = await session.open(path);
      await page.waitForSelector('#status[data-kind="error"]');
      const status = (await page.textContent('#status'))!;
      assert.match(status, /\?backend= in the URL: unknown backend 'tpu', expected one of: auto, webgpu, webgl, wasm, cpu/, status);
      assert.doesNotMatch(status, /--backend/, status);
      assert.deepEqual(errors, []);
      await page.close();
    }
  });

  it('GAN 2-D: a step that makes a loss NaN stops the loop and says so on the page, not in the console', async () => {
    const { page, errors } = await session.open('gan2d.html?backend=wasm');
    // SGD at the largest learning rates blows a WGAN-GP critic up within its first step's five updates.
    await page.selectOption('#optimizer', 'sgd');
    for (const id of ['#lr-d', '#lr-g']) {
      await page.locator(id).fill('-0.5');
      await page.locator(id).dispatchEvent('change');
    }
    await page.selectOption('#loss', 'wgan-gp'); // a new GAN with these settings
    assert.equal((await figure(page))['step'], '0');
    await page.click('#play');
    try {
      await page.waitForSelector('#status[data-kind="error"]', { timeout: 20_000 });
    } catch {
      assert.fail(`no error on the status line: ${JSON.stringify(await figure(page))}, status: ${await page.textContent('#status')}`);
    }
    const status = (await page.textContent('#status'))!;
    assert.match(status, /training stopped: .*(NaN|Infinity) at step \d+ \(term \w+\/\w+\).*Reset/, status);
    assert.equal(await page.textContent('#play'), 'Play', 'the loop paused');
    const stopped = (await figure(page))['step'];
    await page.waitForTimeout(300);
    assert.equal((await figure(page))['step'], stopped, 'no step after the NaN');
    await page.click('#step');
    await page.waitForTimeout(100);
    assert.equal((await figure(page))['step'], stopped, 'Step does not train a diverged GAN');
    assert.match((await page.textContent('#status'))!, /training stopped/);
    await page.click('#reset');
    assert.equal((await figure(page))['step'], '0');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
