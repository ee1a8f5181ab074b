/**
 * The browser lab in a real browser: builds web/ (into a fresh folder), serves it with `startLab` on a free
 * loopback port, and drives Debian's chromium with playwright-core: every page opens without console errors, EM's
 * log-likelihood rises step by step while the ellipses move, the KL page's values follow its slider and its VAE's
 * variance collapses without the KL term. Screenshots of every page go to test-output/screenshots/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildLab, type LabServer } from '../src/cli/lab.js';
import { ROOT, shot, startLabSession, type LabSession, type Opened } from './helpers/lab.js';

let session: LabSession;
let lab: LabServer;
const open = (path: string): Promise<Opened> => session.open(path);

const figure = (page: Page): Promise<Record<string, string>> => page.$eval('#figure', (el) => ({ ...(el as HTMLElement).dataset }) as Record<string, string>);

describe('the lab in chromium', { timeout: 240_000 }, () => {
  before(async () => {
    session = await startLabSession(async (work) => {
      const runs = join(work, 'runs');
      await mkdir(join(runs, 'vae-moons'), { recursive: true });
      await writeFile(join(runs, 'vae-moons', 'manifest.json'), JSON.stringify({ version: 1, kind: 'vae', data: { name: 'moons' }, status: 'finished', epoch: 3 }));
      await writeFile(join(runs, 'vae-moons', 'metrics.jsonl'), '{"epoch":1,"loss":3}\n{"epoch":2,"lo');
      return { runs };
    });
    lab = session.lab;
  });

  after(async () => {
    await session?.close();
  });

  it('caches the build: a second build of fresh sources does nothing', async () => {
    assert.equal(lab.build.rebuilt, true);
    const again = await buildLab({ outDir: lab.build.outDir });
    // Other files of src/ may change while the suite runs (other work in the tree); then a rebuild is right.
    if (again.rebuilt) assert.match(again.reason, /sources changed/);
    else assert.equal(again.reason, 'the cached build is up to date');
  });

  it('home lists every figure page, each with its explanation, and the runs', async () => {
    const { page, errors } = await open('');
    const links = await page.$$eval('#figures a.card', (as) => as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent ?? '' })));
    // Every page of web/ is a figure card, but the runs board, which the header links on every page.
    const pages = (await readdir(join(ROOT, 'web'))).filter((f) => f.endsWith('.html') && f !== 'index.html' && f !== 'runs.html').sort();
    assert.deepEqual(links.map((l) => l.href).sort(), pages, 'the home page links exactly the figure pages in web/');
    assert.equal(await page.getAttribute('header#top nav a.runs-link', 'href'), 'runs.html');
    for (const l of links) assert.ok(l.text.length > 200, `${l.href}: the card explains the figure`);
    await page.waitForSelector('#runs:not([hidden]) td:has-text("finished")');
    await shot(page, 'home');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('GMM & EM: each step raises the log-likelihood and moves the ellipses; drawing and CSV add points', async () => {
    const { page, errors } = await open('gmm.html');
    await page.waitForSelector('#figure[data-bic-done="true"]', { timeout: 30_000 });
    const start = await figure(page);
    assert.equal(start['iteration'], '0');
    const lls = [Number(start['logLikelihood'])];
    for (let i = 0; i < 6; i++) {
      await page.click('#step');
      const state = await figure(page);
      assert.equal(state['iteration'], String(i + 1));
      lls.push(Number(state['logLikelihood']));
    }
    for (let i = 1; i < lls.length; i++) assert.ok(lls[i]! >= lls[i - 1]! - 1e-9, `EM lowered the log-likelihood: ${lls.join(', ')}`);
    assert.ok(lls[lls.length - 1]! > lls[0]! + 1e-3, `the log-likelihood did not rise: ${lls.join(', ')}`);
    assert.notEqual((await figure(page))['means'], start['means'], 'the components did not move');
    const shown = Number((await page.textContent('#stat-ll'))!.replace('−', '-'));
    assert.ok(Math.abs(shown - lls[lls.length - 1]!) < 1e-3, 'the readout shows the log-likelihood');
    await shot(page, 'gmm');

    // Every covariance type steps and draws.
    for (const covariance of ['tied', 'diag', 'spherical', 'full']) {
      await page.selectOption('#covariance', covariance);
      for (let i = 0; i < 2; i++) await page.click('#step');
      assert.equal((await figure(page))['iteration'], '2', covariance);
      assert.notEqual(await page.getAttribute('#status', 'data-kind'), 'error', `${covariance}: ${await page.textContent('#status')}`);
    }

    // Play runs EM between frames; pause stops it.
    await page.click('#play');
    await page.waitForFunction(() => Number((document.getElementById('figure') as HTMLElement).dataset['iteration']) >= 10, null, { timeout: 10_000 });
    await page.click('#play');

    // Draw: an empty plane, a drag across it.
    await page.selectOption('#dataset', 'draw');
    assert.match((await page.textContent('#overlay'))!, /0 points/);
    const box = (await page.locator('#plane').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4);
    await page.mouse.down();
    for (let i = 1; i <= 20; i++) {
      await page.mouse.move(box.x + box.width * (0.3 + 0.02 * i), box.y + box.height * 0.4, { steps: 2 });
      await page.waitForTimeout(20);
    }
    await page.mouse.up();
    const drawn = Number(/(\d+) points/.exec((await page.textContent('#overlay'))!)![1]);
    assert.ok(drawn >= 10, `dragging added ${drawn} points`);

    // A CSV file.
    const rows = Array.from({ length: 60 }, (_, i) => `${(i % 2 ? 2 : -2) + Math.sin(i)},${Math.cos(i * 1.7)}`);
    await page.setInputFiles('#csv', { name: 'points.csv', mimeType: 'text/csv', buffer: Buffer.from(`x,y\n${rows.join('\n')}\n`) });
    await page.waitForFunction(() => /points\.csv · 60 points/.test(document.getElementById('overlay')!.textContent ?? ''));
    await page.setInputFiles('#csv', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('1,2\n3\n') });
    await page.waitForSelector('#status[data-kind="error"]');
    assert.match((await page.textContent('#status'))!, /bad\.csv:2/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('Why the KL term: the slider moves the three values; without the KL term the VAE variance collapses', async () => {
    const { page, errors } = await open('kl.html?backend=wasm');
    assert.match((await page.textContent('#backend'))!, /wasm/);
    await page.locator('#sigma').fill('0.5');
    assert.equal(await page.textContent('#v-exp'), Math.exp(0.5).toFixed(3));
    assert.equal(await page.textContent('#v-line'), '1.500');
    assert.equal(await page.textContent('#v-diff'), (Math.exp(0.5) - 1.5).toFixed(3));
    await page.locator('#sigma').fill('0');
    assert.equal(await page.textContent('#v-diff'), '0.000');
    await page.locator('#mean').fill('1');
    assert.equal(await page.textContent('#v-kl'), '1.000');

    const dataset = (): Promise<Record<string, string>> => page.evaluate(() => ({ ...document.body.dataset }) as Record<string, string>);
    /** Waits for training step n; on timeout, says how far training got and what the page said. */
    const reach = async (n: number): Promise<void> => {
      try {
        await page.waitForFunction((m) => Number(document.body.dataset['trainStep']) >= m, n, { timeout: 60_000 });
      } catch {
        assert.fail(`training did not reach step ${n}: ${JSON.stringify(await dataset())}, status: ${await page.textContent('#status')}, errors: ${errors.join('; ')}`);
      }
    };
    await page.click('#train');
    await reach(60);
    await page.click('#kl-toggle');
    const before = await dataset();
    const withKl = Number(before['meanVariance']);
    const offAt = Number(before['trainStep']);
    await reach(offAt + 120);
    await page.click('#train');
    const without = Number((await dataset())['meanVariance']);
    assert.ok(without < withKl / 3, `the mean variance went from ${withKl} to ${without} without the KL term`);
    await shot(page, 'kl');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('serves /runs/ read-only, inside its folder only, and the wasm binaries', async () => {
    const listing = (await (await fetch(`${lab.url}runs/`)).json()) as { entries: { name: string }[] };
    assert.deepEqual(listing.entries.map((e) => e.name), ['vae-moons']);
    const metrics = await fetch(`${lab.url}runs/vae-moons/metrics.jsonl`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /"lo$/); // a half-written last line comes through as it is
    assert.equal((await fetch(`${lab.url}runs/vae-moons/manifest.json`, { method: 'PUT', body: '{}' })).status, 405);
    assert.equal((await fetch(`${lab.url}runs/..%2F..%2Fetc%2Fpasswd`)).status, 404);
    assert.equal((await fetch(`${lab.url}runs/nope.json`)).status, 404);
    const wasm = await fetch(`${lab.url}wasm/tfjs-backend-wasm-simd.wasm`);
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.ok(lab.url.startsWith('http://127.0.0.1:'), `loopback by default: ${lab.url}`);
  });
});
