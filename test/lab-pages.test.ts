/**
 * The browser lab in a real browser: builds web/ (into a fresh folder), serves it with `startLab` on a free
 * loopback port, and drives Debian's chromium with playwright-core: the home page lists the figures of
 * web/src/lib/pages.ts under the lecture's sections in order; an unknown page gets a 404 page that says so; the GMM
 * page opens on a fitted-looking start (ellipses drawn, readouts inside their cards), EM's log-likelihood rises step
 * by step while the ellipses move, a converged fit is called a local optimum and restarts keep the best; the KL
 * page's values follow its slider and its VAE's variance collapses without the KL term. Screenshots go to
 * test-output/screenshots/. Pages other helpers own are tested in their own files; this one opens only its own.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildLab, type LabServer } from '../src/cli/lab.js';
import { PAGES } from '../web/src/lib/pages.js';
import { ROOT, shot, startLabSession, type LabSession, type Opened } from './helpers/lab.js';

let session: LabSession;
let lab: LabServer;
const open = (path: string): Promise<Opened> => session.open(path);

const figure = (page: Page): Promise<Record<string, string>> => page.$eval('#figure', (el) => ({ ...(el as HTMLElement).dataset }) as Record<string, string>);

/** The readouts (.stat .v) whose text is wider than their card. */
const overflowing = (page: Page): Promise<string[]> =>
  page.$$eval('.stat .v', (els) => els.filter((e) => e.scrollWidth > e.clientWidth).map((e) => `#${e.id}: ${e.textContent} (${e.scrollWidth} > ${e.clientWidth} px)`));

/** The lecture's top-level section of a page: 4 for "§4.3 Problems GANs meet". */
const sectionOf = (section: string): number => Number(/^§(\d+)/.exec(section)?.[1]);

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
    // The session built the shared build, or found it fresh; building again must find it fresh.
    assert.ok(lab.build.rebuilt || lab.build.reason === 'the cached build is up to date', lab.build.reason);
    const again = await buildLab({ outDir: lab.build.outDir });
    // Other files of src/ may change while the suite runs (other work in the tree); then a rebuild is right.
    if (again.rebuilt) assert.match(again.reason, /sources changed/);
    else assert.equal(again.reason, 'the cached build is up to date');
  });

  it('home follows the lecture: §1 to §5 in order, each with its summary and its figures, and links the runs board', async () => {
    const { page, errors } = await open('');
    const parts = await page.$$eval('#figures section.lecture-part', (sections) =>
      sections.map((s) => ({
        number: Number((s as HTMLElement).dataset['section']),
        title: s.querySelector('h2')?.textContent ?? '',
        summary: s.querySelector('.summary')?.textContent ?? '',
        cards: Array.from(s.querySelectorAll('a.card'), (a) => ({ href: a.getAttribute('href'), text: a.textContent ?? '' })),
      })),
    );
    const expected = [...new Set(PAGES.map((p) => sectionOf(p.section)))].sort((a, b) => a - b);
    assert.deepEqual(expected, [1, 2, 3, 4, 5], 'pages.ts covers the lecture’s five sections');
    assert.deepEqual(parts.map((p) => p.number), expected, 'sections in the lecture’s order');
    for (const part of parts) {
      assert.match(part.title, new RegExp(`^§${part.number} \\S`), `section ${part.number} is titled as the lecture’s`);
      assert.ok(part.summary.length > 40, `§${part.number} says what it teaches`);
      const pages = PAGES.filter((p) => sectionOf(p.section) === part.number).map((p) => p.href);
      assert.deepEqual(part.cards.map((c) => c.href), pages, `§${part.number} lists its pages in pages.ts’s order`);
      for (const c of part.cards) assert.ok(c.text.length > 200, `${c.href}: the card explains the figure`);
    }
    // Every card has its drawing (a blank thumbnail means a page without one in THUMBS).
    const inked = await page.$$eval('#figures a.card canvas.thumb', (canvases) =>
      canvases.map((c) => {
        const { data } = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height);
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
        return { href: c.closest('a')!.getAttribute('href'), painted: painted / (data.length / 4) };
      }),
    );
    assert.equal(inked.length, PAGES.length);
    for (const t of inked) assert.ok(t.painted > 0.03, `${t.href}: its thumbnail is drawn (${(100 * t.painted).toFixed(1)}% of it)`);
    // A figure page in web/ that pages.ts does not list would be missing from the home page.
    const inWeb = (await readdir(join(ROOT, 'web'))).filter((f) => f.endsWith('.html') && f !== 'index.html' && f !== 'runs.html');
    for (const f of inWeb) assert.ok(PAGES.some((p) => p.href === f), `${f} is in web/ but not in pages.ts`);
    // Cards of pages that exist lead to them (others' pages may still be on their way).
    for (const p of PAGES.filter((q) => existsSync(join(ROOT, 'web', q.href)))) assert.equal((await fetch(lab.url + p.href)).status, 200, p.href);

    assert.ok(await page.isVisible('main a[href="runs.html"]'), 'the home page links the runs board');
    assert.equal(await page.getAttribute('header#top nav a.runs-link', 'href'), 'runs.html');
    await page.waitForSelector('#runs:not([hidden]) td:has-text("finished")');
    await shot(page, 'home');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('an unknown page gets a 404 that says so and links home; other unknown files an empty 404', async () => {
    for (const path of ['nope.html', 'nope', 'deep/er/nope.html']) {
      const res = await fetch(lab.url + path);
      assert.equal(res.status, 404, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/, path);
      const body = await res.text();
      assert.match(body, /No such page/, path);
      assert.match(body, /<a href="\/">/, `${path}: links the home page`);
    }
    assert.match(await (await fetch(`${lab.url}%3Cscript%3E.html`)).text(), /&#60;script&#62;\.html/, 'the path is shown escaped');
    const script = await fetch(`${lab.url}assets/nope.js`);
    assert.equal(script.status, 404);
    assert.equal(await script.text(), '', 'a missing file is not answered with a page');
    assert.equal((await fetch(`${lab.url}gmm`)).status, 200, 'a page without its .html is still found');

    const page = await session.browser.newPage({ viewport: { width: 1000, height: 600 } });
    const res = await page.goto(`${lab.url}nope.html`);
    assert.equal(res?.status(), 404);
    assert.equal(await page.textContent('h1'), 'No such page');
    await shot(page, 'not-found');
    await page.click('a[href="/"]');
    await page.waitForSelector('body[data-ready]');
    assert.ok((await page.$$('#figures a.card')).length > 0, 'the link leads to the home page');
    await page.close();
  });

  it('GMM & EM: opens on visible ellipses; each step raises the log-likelihood and moves them; drawing and CSV add points', async () => {
    const { page, errors } = await open('gmm.html');
    await page.waitForSelector('#figure[data-bic-done="true"]', { timeout: 30_000 });
    const start = await figure(page);
    assert.equal(start['iteration'], '0');
    // The start already looks like a mixture: ellipses wide enough to see, a log-likelihood of the data's own scale
    // (three Gaussians of about unit spread: a few nats per point), readouts inside their cards.
    assert.ok(Number(start['narrowestEllipsePx']) >= 3, `the narrowest 1σ ellipse is ${start['narrowestEllipsePx']} px at iteration 0`);
    assert.ok(Number(start['logLikelihood']) > -10, `log-likelihood per point at iteration 0: ${start['logLikelihood']}`);
    assert.deepEqual(await overflowing(page), []);
    for (const init of ['random-from-data', 'random', 'kmeans', 'kmeans++']) {
      await page.selectOption('#init', init);
      const s = await figure(page);
      assert.equal(s['iteration'], '0', init);
      assert.ok(Number(s['narrowestEllipsePx']) >= 3 && Number(s['logLikelihood']) > -10, `${init}: ${s['narrowestEllipsePx']} px, ln p ${s['logLikelihood']}`);
      assert.deepEqual(await overflowing(page), [], init);
    }
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

    // Play runs EM between frames until it converges (a good start may need few iterations); pause stops it.
    await page.click('#play');
    await page.waitForFunction(() => Number((document.getElementById('figure') as HTMLElement).dataset['iteration']) >= 10 || document.getElementById('status')!.dataset['kind'] === 'ok', null, { timeout: 10_000 });
    if ((await page.textContent('#play')) === 'Pause') await page.click('#play');
    assert.ok(Number((await figure(page))['iteration']) > 2, `playing ran EM: ${JSON.stringify(await figure(page))}`);

    // Draw: an empty plane, a drag across it.
    await page.selectOption('#dataset', 'draw');
    assert.match((await page.textContent('#overlay'))!, /0 points/);
    await page.evaluate(() => window.scrollTo(0, 0)); // clicking controls lower down may have scrolled the plane away
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
    // Points a hundred orders of magnitude wide (log-likelihoods of −460 a point, a BIC in the hundred thousands):
    // the readouts still fit their cards.
    const wide = Array.from({ length: 400 }, (_, i) => `${1e100 * (Math.sin(i) + (i % 4) * 3)},${1e100 * Math.cos(i * 1.3)}`);
    await page.setInputFiles('#csv', { name: 'wide.csv', mimeType: 'text/csv', buffer: Buffer.from(`${wide.join('\n')}\n`) });
    await page.waitForFunction(() => /wide\.csv · 400 points/.test(document.getElementById('overlay')!.textContent ?? ''));
    for (let i = 0; i < 3; i++) await page.click('#step');
    assert.deepEqual(await overflowing(page), [], 'wide.csv');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('GMM & EM: a converged fit of clicked points is a local optimum; restarts keep the best', async () => {
    const { page, errors } = await open('gmm.html');
    await page.selectOption('#dataset', 'draw');
    await page.selectOption('#init', 'random-from-data');
    // 24 clicks: three groups of eight, as a new user would click them.
    await page.evaluate(() => window.scrollTo(0, 0)); // clicking controls lower down may have scrolled the plane away
    const box = (await page.locator('#plane').boundingBox())!;
    const groups = [[0.2, 0.3], [0.75, 0.35], [0.45, 0.8]] as const;
    for (const [gx, gy] of groups) {
      for (let i = 0; i < 8; i++) await page.mouse.click(box.x + box.width * (gx + 0.05 * Math.cos(i * 2.4)), box.y + box.height * (gy + 0.05 * Math.sin(i * 2.4)));
    }
    assert.match((await page.textContent('#overlay'))!, /24 points/);
    await page.click('#reset');
    assert.equal((await figure(page))['iteration'], '0');
    assert.ok(Number((await figure(page))['narrowestEllipsePx']) >= 3, 'clicked points start with visible ellipses too');
    for (let i = 0; i < 300 && (await page.getAttribute('#status', 'data-kind')) !== 'ok'; i++) await page.click('#step');
    const status = (await page.textContent('#status'))!;
    assert.match(status, /converged to a local optimum/, status);
    assert.match(status, /restarts/, `the status offers restarts: ${status}`);
    assert.deepEqual(await overflowing(page), []);
    const single = Number((await figure(page))['logLikelihood']);

    await page.locator('#restarts').fill('6');
    await page.click('#restart');
    await page.waitForSelector('#figure[data-restart-best]', { timeout: 20_000 });
    const after = await figure(page);
    const runs = JSON.parse(after['restarts']!) as number[];
    assert.equal(runs.length, 6, 'one log-likelihood per restart');
    assert.equal(await page.locator('#restart-list li').count(), 6, 'each restart is listed');
    const best = Math.max(...runs.filter(Number.isFinite));
    assert.equal(Number(after['logLikelihood']), best, 'the page keeps the best restart');
    // The first restart starts from the page's own seed: the best is at least the fit the page had.
    assert.ok(best >= single - 1e-6, `best of the restarts ${best} < the single fit's ${single}`);
    assert.match((await page.textContent('#restart-list li.best'))!, /kept/);
    assert.match((await page.textContent('#status'))!, /best of 6 restarts/);
    await shot(page, 'gmm-restarts');
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
    await reach(offAt + 240); // 240 steps without it (once, with the machine busy with another training run, 120 gave only 1.7×)
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
