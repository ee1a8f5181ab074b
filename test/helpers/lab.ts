/**
 * What the lab's browser tests share: the lab built into a fresh folder and served by `startLab` on a free loopback
 * port, Debian's chromium driven by playwright-core (never a downloaded browser), pages opened with their console
 * errors collected, and screenshots in test-output/screenshots/.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startLab, type LabServer, type LabServerOptions } from '../../src/cli/lab.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env['GENLAB_CHROMIUM'] ?? '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test-output', 'screenshots');

export interface Opened {
  page: Page;
  /** Console errors, uncaught exceptions and failed requests, as they happen. */
  errors: string[];
}

export interface LabSession {
  lab: LabServer;
  browser: Browser;
  /** A fresh temporary folder (the build goes to lab/ inside it), removed by close(). */
  work: string;
  /** Opens a page, collecting its errors, and waits until it says it is ready (body[data-ready]). */
  open(path: string): Promise<Opened>;
  close(): Promise<void>;
}

/**
 * Builds and serves the lab and launches chromium. `setup` may prepare files in the work folder first and return
 * more server options (e.g. a runs folder).
 */
export async function startLabSession(setup?: (work: string) => Promise<Partial<LabServerOptions>>): Promise<LabSession> {
  assert.ok(
    existsSync(CHROMIUM),
    `chromium not found at ${CHROMIUM}: the lab's browser tests drive Debian's chromium — install it with ` +
      `'apt-get install chromium' (.ci/run does), or point GENLAB_CHROMIUM at a chromium binary`,
  );
  const work = await mkdtemp(join(tmpdir(), 'genlab-lab-'));
  await mkdir(SHOTS, { recursive: true });
  const extra = (await setup?.(work)) ?? {};
  const lab = await startLab({ port: 0, outDir: join(work, 'lab'), ...extra });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  return {
    lab,
    browser,
    work,
    async open(path) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
      page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
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

/** Saves a full-page screenshot as test-output/screenshots/NAME.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** A hash of what an element shows (its screenshot), to tell whether a drawing changed. */
export async function pixelHash(page: Page, selector: string): Promise<string> {
  return createHash('sha256').update(await page.locator(selector).screenshot()).digest('hex');
}
