/**
 * The runs board (`genlab lab --runs DIR`) in chromium, on runs the CLI trains while the board is open: the runs
 * appear and finish live; a run's page charts its terms (hover, log scale, steps), moves its per-epoch pictures on
 * the timeline, offers its metrics as CSV and the command line that trains it again (which, run, logs the same
 * metrics); its model, opened in the page, samples what `genlab sample` writes in Node on the same backend; two runs
 * compare; a run still being written (a half line at the end of metrics.jsonl) refreshes. And the server: read-only,
 * no dotfiles, user files under nosniff and a CSP, no CORS, the Host check, and no file descriptor left open by
 * 1,000 downloads aborted mid-way. Screenshots go to test-output/screenshots/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { parseNpy } from '../src/data/npy.js';
import { parseMetricsText, readNpyFile } from '../src/index.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { pixelHash, shot, startLabSession, type LabSession } from './helpers/lab.js';

/** A run that trains in about a second: 256 digits, a 16-unit VAE with a 2-D code, two epochs, on the cpu backend. */
const TINY = ['--data', 'mnist', '--limit', '256', '--test-limit', '64', '--hidden', '16', '--epochs', '2', '--backend', 'cpu', '--quality-samples', '0'];

let session: LabSession;
let runs: string;
let board: Page;
let boardErrors: string[];
let sampled: Promise<CliResult>;
let rerun: Promise<CliResult> | undefined;

/** Fetches `path` from the lab with raw headers (fetch cannot set Host); resolves with the response, body read. */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<IncomingMessage & { body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(session.lab.url + path.replace(/^\//, ''), { method, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(Object.assign(res, { body })));
    });
    req.on('error', reject);
    req.end();
  });
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Samples `count` images with `seed` in a run page's model panel and reads them back from its .npy download. */
async function samplesInPage(page: Page, seed: number, count: number): Promise<ReturnType<typeof parseNpy>> {
  await page.fill('#sample-seed', String(seed));
  await page.selectOption('#sample-count', String(count));
  await page.click('#sample');
  await page.waitForSelector(`#model-samples[data-seed="${seed}"][data-count="${count}"]`);
  const bytes = await page.evaluate(async () => [...new Uint8Array(await (await fetch((document.getElementById('model-samples-npy') as HTMLAnchorElement).href)).arrayBuffer())]);
  return parseNpy(Uint8Array.from(bytes), 'page samples');
}

describe('the runs board in chromium', { timeout: 180_000 }, () => {
  before(async () => {
    session = await startLabSession(async (work) => {
      runs = join(work, 'runs');
      mkdirSync(runs);
      return { runs };
    });
  });

  after(async () => {
    await rerun?.catch(() => undefined);
    await session?.close();
  });

  it('shows runs the CLI trains while the board is open, live, until they finish', async () => {
    ({ page: board, errors: boardErrors } = await session.open('runs.html'));
    await board.waitForSelector('#board-empty:not([hidden])');
    assert.match((await board.textContent('#board-empty'))!, /No runs in .* yet/);
    const a = runCli(['train', 'vae', ...TINY, '--latent', '2', '--out', join(runs, 'a')]);
    const b = runCli(['train', 'vae', ...TINY, '--latent', '3', '--seed', '1', '--out', join(runs, 'b')]);
    await board.waitForSelector('tr[data-run="a"]', { timeout: 60_000 });
    for (const r of await Promise.all([a, b])) assert.equal(r.code, 0, r.stderr);
    await board.waitForSelector('tr[data-run="a"][data-status="finished"][data-epoch="2"]', { timeout: 10_000 });
    await board.waitForSelector('tr[data-run="b"][data-status="finished"]', { timeout: 10_000 });
    // Node's samples of the finished run, to compare with the page's (on the same backend: cpu).
    sampled = runCli(['sample', join(runs, 'a'), '--seed', '7', '-n', '16', '--out', join(session.work, 'node-samples.npy')], { env: { GENLAB_BACKEND: 'cpu' } });
    const row = (await board.textContent('tr[data-run="a"]'))!;
    assert.match(row, /vae/);
    assert.match(row, /mnist/);
    assert.match(row, /2 \/ 2/);
    assert.match(row, /loss \d/, 'the best metric');
    await shot(board, 'runs-board');
    assert.deepEqual(boardErrors, []);
  });

  it("a run's page: curves with hover, log scale and steps; the timeline; CSV; the command that trains it again", async () => {
    const { page, errors } = await session.open('runs.html?run=a&backend=cpu');
    const loss = page.locator('#curves .term[data-term="loss"]');
    await page.waitForSelector('#curves .term[data-term="loss"][data-points="4"]');
    assert.ok((await page.locator('#curves .term').count()) >= 4, 'a chart per logged term (loss, recon, kl, …)');
    const linear = await pixelHash(page, '#curves .term[data-term="loss"] canvas');
    await page.click('#view-scale [data-value="log"]');
    assert.notEqual(await pixelHash(page, '#curves .term[data-term="loss"] canvas'), linear, 'the log scale redraws');
    await page.click('#view-x [data-value="step"]');
    assert.equal(await loss.locator('canvas').getAttribute('aria-label'), 'loss against step');
    await page.click('#view-x [data-value="epoch"]');
    await page.click('#view-scale [data-value="linear"]');
    const box = (await loss.locator('canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height * 0.5);
    await page.waitForSelector('#curves .term[data-term="loss"] .chart-tip:not([hidden])');
    assert.match((await loss.locator('.chart-tip').textContent())!, /epoch 2.*train: \d.*test: \d/);

    // The timeline: the last epoch first, then epoch 1's pictures, then Play moves it on.
    await page.waitForSelector('#timeline[data-epochs="2"][data-epoch="2"]');
    await page.locator('#timeline-slider').fill('0');
    await page.waitForSelector('#timeline[data-epoch="1"]');
    for (const [id, file] of [['timeline-samples', 'samples/epoch-0001.png'], ['timeline-recon', 'recon/epoch-0001.png']] as const) {
      assert.ok((await page.getAttribute(`#${id}`, 'src'))!.endsWith(file), id);
      await page.waitForFunction((i) => {
        const img = document.getElementById(i) as HTMLImageElement;
        return img.complete && img.naturalWidth > 0;
      }, id);
    }
    await page.click('#timeline-play');
    await page.waitForSelector('#timeline[data-epoch="2"]', { timeout: 5_000 });

    // The metrics as CSV, from the page's own link.
    const csv = await page.evaluate(async () => (await fetch((document.getElementById('metrics-csv') as HTMLAnchorElement).href)).text());
    const lines = csv.trim().split('\n');
    assert.match(lines[0]!, /^epoch,step,split,time,examplesPerSec,loss,/);
    assert.equal(lines.length, 5, 'a header and train + test lines of two epochs');

    // The manifest as tables, no raw JSON anywhere.
    assert.equal(await page.textContent('#manifest-config tr[data-key="latent"] td'), '2');
    assert.equal(await page.textContent('#manifest-run tr[data-key="backend"] td'), 'cpu');
    assert.doesNotMatch(await page.evaluate(() => document.body.innerText), /[{[]\s*"/, 'no raw JSON on the page');

    // The command line, run: the same metrics (time and throughput aside).
    const command = (await page.textContent('#command'))!;
    assert.match(command, /^genlab train vae --data mnist --out \S+a-rerun .*--latent 2/);
    rerun = runCli(command.split(' ').slice(1));
    await shot(page, 'runs-run');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('opens the model in the page: the same seed gives the same samples as genlab sample in Node', async () => {
    const { page, errors } = await session.open('runs.html?run=a&backend=cpu#model-section');
    await page.waitForSelector('#model[data-state="ready"][data-backend="cpu"]', { timeout: 30_000 });
    await page.waitForSelector('#model-recon[data-indices]');
    await page.waitForSelector('#model-interp[data-steps="8"]');
    const inPage = await samplesInPage(page, 7, 16);
    const cli = await sampled;
    assert.equal(cli.code, 0, cli.stderr);
    const inNode = await readNpyFile(join(session.work, 'node-samples.npy'));
    assert.deepEqual(inPage.shape, [16, 28, 28, 1]);
    assert.deepEqual(inPage.shape, inNode.shape);
    let worst = 0;
    for (let i = 0; i < inNode.data.length; i++) worst = Math.max(worst, Math.abs(inPage.data[i]! - inNode.data[i]!));
    // Same seed, same backend (cpu: the same JavaScript kernels, V8's fdlibm maths in both): the same bits.
    assert.equal(worst, 0, `the page's samples differ from Node's by up to ${worst}`);
    await shot(page, 'runs-model');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('compares two runs: one term overlaid, their settings with the differences marked', async () => {
    await board.check('tr[data-run="a"] input[type="checkbox"]');
    await board.check('tr[data-run="b"] input[type="checkbox"]');
    await Promise.all([board.waitForURL(/compare=a&compare=b/), board.click('#compare')]);
    await board.waitForSelector('body[data-ready]');
    await board.waitForSelector('#compare-chart[data-term="loss"][data-series="2"]');
    await board.waitForSelector('#compare-config tr.differs[data-key="config.latent"]');
    assert.equal(await board.getAttribute('#compare-config tr[data-key="config.arch"]', 'class'), null, 'equal settings are not marked');
    await board.check('#only-differences');
    assert.equal(await board.isHidden('#compare-config tr[data-key="config.arch"]'), true);
    await board.selectOption('#compare-term', 'kl');
    await board.waitForSelector('#compare-chart[data-term="kl"][data-series="2"]');
    await shot(board, 'runs-compare');
    assert.deepEqual(boardErrors, []);
  });

  it('refreshes a run still being written: a half-written metrics line is skipped until it is whole', async () => {
    const dir = join(runs, 'live');
    mkdirSync(dir);
    const manifest = (epoch: number, status: string): string =>
      JSON.stringify({ version: 1, kind: 'vae', config: { latent: 2 }, data: { name: 'mnist', kind: 'images', shape: [28, 28, 1] }, seed: 0, backend: 'cpu', status, epoch, step: 4 * epoch, options: { epochs: 2 }, created: new Date().toISOString(), updated: new Date().toISOString() });
    const record = (epoch: number, split: string, loss: number): string => JSON.stringify({ epoch, step: 4 * epoch, split, loss, examplesPerSec: 100, time: epoch });
    writeFileSync(join(dir, 'manifest.json'), manifest(1, 'running'));
    const half = record(2, 'train', 4);
    writeFileSync(join(dir, 'metrics.jsonl'), `${record(1, 'train', 5)}\n${record(1, 'test', 4.5)}\n${half.slice(0, 20)}`);
    const { page, errors } = await session.open('runs.html?run=live');
    await page.waitForSelector('#run[data-records="2"][data-status="running"]');
    assert.match((await page.textContent('#metrics-note'))!, /being written/);
    await board.goto(session.lab.boardUrl);
    await board.waitForSelector('tr[data-run="live"][data-status="running"][data-epoch="1"]');

    appendFileSync(join(dir, 'metrics.jsonl'), `${half.slice(20)}\n${record(2, 'test', 3.5)}\n`);
    writeFileSync(join(dir, 'manifest.json'), manifest(2, 'finished'));
    await page.waitForSelector('#run[data-records="4"][data-epoch="2"][data-status="finished"]', { timeout: 10_000 });
    await page.waitForSelector('#curves .term[data-term="loss"][data-points="4"]');
    await board.waitForSelector('tr[data-run="live"][data-status="finished"][data-epoch="2"]', { timeout: 10_000 });
    assert.deepEqual(errors, []);
    assert.deepEqual(boardErrors, []);
    await page.close();
  });

  it('the command line of a run trains it again with the same metrics', async () => {
    const r = await rerun!;
    assert.equal(r.code, 0, r.stderr);
    const strip = (text: string): object[] => parseMetricsText(text).records.map(({ time: _t, examplesPerSec: _e, ...rest }) => rest);
    assert.deepEqual(strip(readFileSync(join(runs, 'a-rerun', 'metrics.jsonl'), 'utf8')), strip(readFileSync(join(runs, 'a', 'metrics.jsonl'), 'utf8')));
  });

  it('serves the runs read-only: no writes, no dotfiles, nothing outside, user files under nosniff and a CSP', async () => {
    writeFileSync(join(runs, 'a', '.secret'), 'token');
    writeFileSync(join(runs, 'a', 'figure.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    writeFileSync(join(runs, 'a', 'report.html'), '<script>alert(1)</script>');
    writeFileSync(join(runs, 'a', 'notes.weird'), 'x');
    symlinkSync('/etc', join(runs, 'etc'));
    for (const method of ['POST', 'PUT', 'DELETE']) assert.equal((await raw('runs/a/manifest.json', {}, method)).statusCode, 405, method);
    for (const path of ['runs/a/.secret', 'runs/a/%2esecret', 'runs/%2e%2e/%2e%2e/etc/passwd', 'runs/etc/passwd', 'runs/a/checkpoint/..%2f.secret']) {
      assert.equal((await raw(path)).statusCode, 404, path);
    }
    const svg = await raw('runs/a/figure.svg');
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    assert.equal(svg.headers['x-content-type-options'], 'nosniff');
    assert.match(String(svg.headers['content-security-policy']), /default-src 'none'.*sandbox/);
    const html = await raw('runs/a/report.html');
    assert.equal(html.headers['content-disposition'], 'attachment');
    assert.match(String(html.headers['content-security-policy']), /sandbox/);
    assert.equal((await raw('runs/a/notes.weird')).headers['content-disposition'], 'attachment');
    const folder = await raw('runs/a/', { accept: 'text/html' });
    assert.equal(folder.statusCode, 302);
    assert.equal(folder.headers.location, '/runs.html?run=a');
    // No CORS: another local origin (a dev server on localhost) gets no permission to read.
    for (const method of ['GET', 'OPTIONS']) {
      const r = await raw('api/runs', { origin: 'http://localhost:3000', 'access-control-request-method': 'GET' }, method);
      assert.equal(r.headers['access-control-allow-origin'], undefined, method);
    }
    assert.equal((await raw('runs/a/manifest.json', { host: 'evil.example' })).statusCode, 403, 'the Host check stays');
  });

  it('releases the file of every download the client aborts: 1,000 of them leave the open file count flat', { skip: !existsSync('/proc/self/fd') }, async () => {
    writeFileSync(join(runs, 'a', 'big.bin'), Buffer.alloc(8 * 2 ** 20, 1));
    const abortOne = (): Promise<void> =>
      new Promise((resolve) => {
        const req = request(`${session.lab.url}runs/a/big.bin`, (res) => res.once('data', () => req.destroy()));
        req.on('close', resolve);
        req.on('error', () => resolve());
        req.end();
      });
    const abort = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: Math.min(50, n - i) }, abortOne));
    };
    await abort(20);
    await new Promise((r) => setTimeout(r, 300));
    const before = openFds();
    await abort(1000);
    let now = openFds();
    for (let t = 0; t < 30 && now > before + 10; t++) {
      await new Promise((r) => setTimeout(r, 100));
      now = openFds();
    }
    assert.ok(now <= before + 10, `open files: ${before} before 1,000 aborted downloads, ${now} after`);
  });

  it("an upscaler's run shows test images upscaled, with its PSNR beside bicubic's, instead of samples", async () => {
    const sr = await runCli(['train', 'srgan', '--data', 'mnist', '--limit', '128', '--test-limit', '16', '--steps', '6', '--batch-size', '32', '--residual-blocks', '1', '--generator-filters', '8', '--filters', '4,8', '--quality-samples', '0', '--out', join(runs, 'sr')]);
    assert.equal(sr.code, 0, sr.stderr);
    const manifest = JSON.parse(readFileSync(join(runs, 'sr', 'manifest.json'), 'utf8')) as { best: { metric: string } };
    assert.equal(manifest.best.metric, 'psnr', 'an upscaler’s best epoch is its best PSNR');
    const { page, errors } = await session.open('runs.html?run=sr&backend=cpu#model-section');
    await page.waitForSelector('#model[data-state="ready"]', { timeout: 30_000 });
    await page.waitForSelector('#model-upscaled[data-seed="0"][data-psnr]');
    const psnr = Number(await page.getAttribute('#model-upscaled', 'data-psnr'));
    const bicubic = Number(await page.getAttribute('#model-upscaled', 'data-bicubic-psnr'));
    assert.ok(psnr > 5 && psnr < 60 && bicubic > 5 && bicubic < 60, `PSNR ${psnr} dB, bicubic ${bicubic} dB`);
    assert.equal(await page.$('#sample'), null, 'no sample button for a model that cannot sample');
    assert.match((await page.textContent('#upscale-scores'))!, /PSNR against the originals: srgan [\d.]+ dB, bicubic [\d.]+ dB/);
    await page.fill('#upscale-seed', '3');
    await page.click('#upscale');
    await page.waitForSelector('#model-upscaled[data-seed="3"]');
    await shot(page, 'runs-upscaler');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("a palette DCGAN's run with nearest upsampling and self-attention on 20×20 sprites samples in the page what genlab sample writes in Node", async () => {
    const gan = await runCli(['train', 'dcgan', '--data', 'pokemon', '--size', '20', '--palette', '4', '--upsample', 'nearest', '--self-attention', '--filters', '4,8', '--latent', '8', '--limit', '64', '--test-limit', '16', '--steps', '4', '--batch-size', '16', '--backend', 'cpu', '--quality-samples', '0', '--out', join(runs, 'pal')]);
    assert.equal(gan.code, 0, gan.stderr);
    const node = await runCli(['sample', join(runs, 'pal'), '--seed', '5', '-n', '16', '--out', join(session.work, 'palette-samples.npy')], { env: { GENLAB_BACKEND: 'cpu' } });
    assert.equal(node.code, 0, node.stderr);
    const { page, errors } = await session.open('runs.html?run=pal&backend=cpu#model-section');
    await page.waitForSelector('#model[data-state="ready"][data-backend="cpu"]', { timeout: 30_000 });
    const inPage = await samplesInPage(page, 5, 16);
    const inNode = await readNpyFile(join(session.work, 'palette-samples.npy'));
    assert.deepEqual(inPage.shape, [16, 20, 20, 3]);
    assert.deepEqual(Array.from(inPage.data), Array.from(inNode.data), 'the same bits on the same backend');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('"Can you tell?" shuffles 16 test images with the 16 samples of its seed, scores the marked cells and shows which were which', async () => {
    const { page, errors } = await session.open('runs.html?run=pal&backend=cpu#model-section');
    await page.waitForSelector('#blind-grid[data-seed="0"]', { timeout: 30_000 });
    await page.fill('#blind-seed', '5');
    await page.click('#blind-new');
    await page.waitForSelector('#blind-grid[data-seed="5"][data-checked="false"]');
    /** Each cell's RGB bytes as a string, in grid order. */
    const cellPixels = (): Promise<string[]> =>
      page.$$eval('#blind-grid .blind-cell canvas', (canvases) =>
        canvases.map((c) => {
          const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
          return Array.from(d).filter((_, i) => i % 4 !== 3).join(',');
        }),
      );
    const pixels = await cellPixels();
    assert.equal(pixels.length, 32);
    // The samples of seed 5 as the page's canvases hold them (bytes of round(255·v)), from genlab sample in Node.
    const inNode = await readNpyFile(join(session.work, 'palette-samples.npy'));
    const size = 20 * 20 * 3;
    const nodeSamples = Array.from({ length: 16 }, (_, k) => Array.from(inNode.data.subarray(k * size, (k + 1) * size), (v) => Math.round(255 * Math.min(1, Math.max(0, v)))).join(','));

    const marked = [0, 3, 4, 9, 17];
    for (const i of marked) await page.click(`#blind-grid .blind-cell[data-cell="${i}"]`);
    await page.click('#blind-check');
    await page.waitForSelector('#blind-grid[data-checked="true"]');
    const truths = await page.$$eval('#blind-grid .blind-cell', (cells) => cells.map((c) => (c as HTMLElement).dataset['truth']));
    assert.equal(truths.filter((t) => t === 'generated').length, 16);
    assert.equal(truths.filter((t) => t === 'real').length, 16);
    const generatedPixels = pixels.filter((_, i) => truths[i] === 'generated').sort();
    assert.deepEqual(generatedPixels, [...nodeSamples].sort(), 'the generated cells are genlab sample --seed 5 -n 16, in some order');
    assert.ok(pixels.filter((_, i) => truths[i] === 'real').every((p) => !nodeSamples.includes(p)), 'no real cell is a sample');
    const caught = marked.filter((i) => truths[i] === 'generated').length;
    const kept = 16 - marked.filter((i) => truths[i] === 'real').length;
    const accuracy = Number(await page.getAttribute('#blind-result', 'data-accuracy'));
    assert.ok(Math.abs(accuracy - (caught / 16 + kept / 16) / 2) < 1e-12, `page ${accuracy}, marks: ${caught} caught, ${kept} kept`);
    assert.match((await page.textContent('#blind-result'))!, new RegExp(`caught ${caught} of 16 samples and kept ${kept} of 16 real images`));

    // The same seed deals the same grid; marking exactly the samples scores 100%.
    await page.click('#blind-new');
    await page.waitForSelector('#blind-grid[data-checked="false"]');
    assert.deepEqual(await cellPixels(), pixels, 'the same seed, the same grid');
    for (const [i, t] of truths.entries()) if (t === 'generated') await page.click(`#blind-grid .blind-cell[data-cell="${i}"]`);
    await page.click('#blind-check');
    await page.waitForSelector('#blind-grid[data-checked="true"]');
    assert.equal(await page.getAttribute('#blind-result', 'data-accuracy'), '1');
    assert.match((await page.textContent('#blind-result'))!, /caught 16 of 16 samples and kept 16 of 16 real images: 100% right, a human error rate of 0%/);
    await shot(page, 'runs-blind-test');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
