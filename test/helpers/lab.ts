/**
 * What the lab's browser tests share: the lab built into a fresh folder and served by `startLab` on a free loopback
 * port, a chromium driven by playwright-core (never a downloaded browser: Debian's when installed, else the one the
 * dev dependency @sparticuz/chromium ships inside its npm package), pages opened with their console errors collected,
 * and screenshots in test-output/screenshots/.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildLab, startLab, type LabServer, type LabServerOptions } from '../../src/cli/lab.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Debian's chromium, or the binary GENLAB_CHROMIUM names (GENLAB_CHROMIUM=package forces the packaged one). */
export const CHROMIUM = process.env['GENLAB_CHROMIUM'] !== undefined && process.env['GENLAB_CHROMIUM'] !== 'package' ? process.env['GENLAB_CHROMIUM'] : '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test-output', 'screenshots');
/**
 * The lab build the browser tests share: built by the first test file that needs it, reused by the others while no
 * source changed (buildLab's own cache decides), so a test run builds the lab once instead of once per file.
 */
export const SHARED_BUILD = join(ROOT, 'test-output', 'lab-build');

/**
 * Brings SHARED_BUILD up to date under a lock (a folder created atomically), so that test files running side by side
 * build it once: a second builder would replace the folder under the first one's server.
 */
async function buildSharedLab(): Promise<void> {
  const lock = `${SHARED_BUILD}.lock`;
  await mkdir(join(ROOT, 'test-output'), { recursive: true });
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock older than any build is left over from a killed run.
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 300_000) await rm(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    await buildLab({ outDir: SHARED_BUILD });
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

export interface Opened {
  page: Page;
  /** Console errors, uncaught exceptions and failed requests, as they happen. */
  errors: string[];
}

export interface LabSession {
  lab: LabServer;
  browser: Browser;
  /** The chromium driven (Debian's or the packaged one). */
  chromium: ChromiumChoice;
  /** A fresh temporary folder, removed by close(). */
  work: string;
  /** Opens a page, collecting its errors, and waits until it says it is ready (body[data-ready]). */
  open(path: string): Promise<Opened>;
  close(): Promise<void>;
}

/** The browser the lab tests drive: where its binary is, the flags it needs, and which of the two it is. */
export interface ChromiumChoice {
  executablePath: string;
  args: string[];
  source: 'system' | 'package';
}

/**
 * Flags of both browsers: no background traffic, no first-run screens, /tmp instead of a small /dev/shm, no GPU
 * (WebGL2 still works, in software). Not the packaged one's own `args`: their --single-process closes the whole
 * browser with a page, and the lab's pages never became ready under them.
 */
const ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu', '--disable-dev-shm-usage'];

/**
 * Which chromium to drive: GENLAB_CHROMIUM=package forces the packaged one (CI runs the lab tests both ways);
 * otherwise CHROMIUM (Debian's, or the path GENLAB_CHROMIUM gives) when it exists, else the packaged one, so that
 * `npm test` passes on a machine with Node alone. @sparticuz/chromium ships a headless build brotli-compressed in
 * its package and unpacks it into the temporary folder on first use; nothing is downloaded.
 */
export async function chromiumForTests(): Promise<ChromiumChoice> {
  const forced = process.env['GENLAB_CHROMIUM'] === 'package';
  if (!forced && existsSync(CHROMIUM)) return { executablePath: CHROMIUM, args: ARGS, source: 'system' };
  if (!forced && process.env['GENLAB_CHROMIUM'] !== undefined) {
    assert.fail(`GENLAB_CHROMIUM=${CHROMIUM}: no such file (unset it to use Debian's chromium or the packaged one, or set it to 'package')`);
  }
  const { default: packaged } = await import('@sparticuz/chromium');
  return { executablePath: await packaged.executablePath(), args: ARGS, source: 'package' };
}

/**
 * Builds (or reuses, see SHARED_BUILD) and serves the lab and launches chromium (`chromiumForTests`). `setup` may
 * prepare files in the work folder first and return more server options (e.g. a runs folder, or an outDir of its own
 * for a fresh build).
 */
export async function startLabSession(setup?: (work: string) => Promise<Partial<LabServerOptions>>): Promise<LabSession> {
  const chromiumChoice = await chromiumForTests();
  const work = await mkdtemp(join(tmpdir(), 'genlab-lab-'));
  await mkdir(SHOTS, { recursive: true });
  const extra = (await setup?.(work)) ?? {};
  if (extra.outDir === undefined) await buildSharedLab();
  const lab = await startLab({ port: 0, outDir: SHARED_BUILD, ...extra });
  const browser = await chromium.launch({ executablePath: chromiumChoice.executablePath, headless: true, args: chromiumChoice.args });
  return {
    lab,
    browser,
    chromium: chromiumChoice,
    work,
    async open(path) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
      page.on('requestfailed', (r) => {
        // net::ERR_ABORTED is Chromium cancelling a request itself (a navigation or reload under way); a failing server
        // shows as another error (refused, empty response) or as an HTTP status the pages report.
        const why = r.failure()?.errorText;
        if (why !== 'net::ERR_ABORTED') errors.push(`request failed: ${r.url()} (${why})`);
      });
      const res = await page.goto(lab.url + path);
      assert.equal(res?.status(), 200, `${path}: HTTP ${res?.status()}`);
      await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
      return { page, errors };
    },
    async close() {
      await browser.close();
      await lab.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/**
 * Saves a full-page screenshot as test-output/screenshots/NAME.png. A headless Chromium on a loaded machine sometimes
 * has no frame to give yet ("Unable to capture screenshot"); it is asked again after the next frames, up to 3 times.
 */
export async function shot(page: Page, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
      return;
    } catch (e) {
      if (attempt === 3 || !/Unable to capture screenshot/.test(String(e))) throw e;
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      await page.waitForTimeout(250 * attempt);
    }
  }
}

/** A hash of what an element shows (its screenshot), to tell whether a drawing changed. */
export async function pixelHash(page: Page, selector: string): Promise<string> {
  return createHash('sha256').update(await page.locator(selector).screenshot()).digest('hex');
}

/** The data attributes of the page's #figure, where the lecture's pages show their state. */
export const figureData = (page: Page): Promise<Record<string, string>> => page.$eval('#figure', (el) => ({ ...(el as HTMLElement).dataset }) as Record<string, string>);

/**
 * Waits until `test` (a JavaScript expression over `s`, #figure's data attributes) holds; on timeout, fails saying
 * where the page got to (its data and status line).
 */
export async function waitForState(page: Page, test: string, timeout = 30_000): Promise<Record<string, string>> {
  try {
    await page.waitForFunction((body) => new Function('s', `return ${body}`)((document.getElementById('figure') as HTMLElement).dataset) as boolean, test, { timeout, polling: 100 });
  } catch {
    assert.fail(`the page never reached ${test}: ${JSON.stringify(await figureData(page))}, status: ${await page.textContent('#status')}`);
  }
  return figureData(page);
}
