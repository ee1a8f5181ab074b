/**
 * The README's pictures of the runs board, taken as a user would see it: trains a few runs with the CLI into a fresh
 * runs folder (the README's `genlab train vae --data mnist --epochs 2`, a second VAE to compare, and a GAN on ring8
 * still training when the board is shot), serves them with `genlab lab --runs`, and saves screenshots from chromium
 * (the lab tests' helper) into docs/images/:
 *
 *   lab-board.png     the board          lab-run.png      a run's page: curves and pictures
 *   lab-model.png     its model, opened in the browser      lab-compare.png  two runs compared
 *
 *   node --import tsx scripts/lab-screenshots.ts     (about a minute on two cores)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../test/helpers/cli.js';
import { startLabSession } from '../test/helpers/lab.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'docs', 'images');

async function train(args: string[]): Promise<void> {
  const r = await runCli(['train', ...args], { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`genlab train ${args.join(' ')}: ${r.stderr}`);
}

/** A training left running in the background (stopped with Ctrl-C at the end, as a user would). */
function background(args: string[]): ChildProcess {
  const entry = join(ROOT, 'src', 'cli', 'main.ts');
  const script = `import(${JSON.stringify(entry)}).then((m) => m.main(process.argv.slice(1))).then((code) => { process.exitCode = code; });`;
  return spawn(process.execPath, ['--import', 'tsx', '-e', script, '--', 'train', ...args], { cwd: ROOT, stdio: 'ignore' });
}

const session = await startLabSession(async (work) => {
  const runs = join(work, 'runs');
  mkdirSync(runs);
  await train(['vae', '--data', 'mnist', '--epochs', '2', '--out', join(runs, 'vae-mnist')]);
  await train(['vae', '--data', 'mnist', '--epochs', '2', '--latent', '2', '--beta', '0.5', '--seed', '1', '--quality-samples', '0', '--out', join(runs, 'vae-mnist-latent2')]);
  // The board shows the runs folder as it was given: `runs`, as in the README.
  process.chdir(work);
  return { runs: 'runs' };
});
const runs = join(session.work, 'runs');
const gan = background(['gan', '--data', 'ring8', '--epochs', '40', '--limit', '4000', '--quality-samples', '500', '--out', join(runs, 'gan-ring8')]);
try {
  mkdirSync(OUT, { recursive: true });
  const { page } = await session.open('runs.html');
  await page.setViewportSize({ width: 1280, height: 420 });
  await page.waitForSelector('tr[data-run="gan-ring8"][data-status="running"]:not([data-epoch="0"])', { timeout: 120_000 });
  await page.waitForTimeout(2500);
  await page.screenshot({ path: join(OUT, 'lab-board.png') });

  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${session.lab.url}runs.html?run=vae-mnist`);
  await page.waitForSelector('#model[data-state="ready"]', { timeout: 60_000 });
  await page.waitForSelector('#model-interp[data-steps]');
  const pictures = (await page.locator('#pictures').boundingBox())!;
  await page.screenshot({ path: join(OUT, 'lab-run.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.ceil(pictures.y + pictures.height + 16) } });
  await page.locator('#model-section').screenshot({ path: join(OUT, 'lab-model.png') });

  await page.goto(`${session.lab.url}runs.html?compare=vae-mnist&compare=vae-mnist-latent2`);
  await page.waitForSelector('#compare-chart[data-series="2"]');
  await page.check('#only-differences');
  await page.locator('#compare').screenshot({ path: join(OUT, 'lab-compare.png') });
  process.stdout.write(`wrote ${['lab-board', 'lab-run', 'lab-model', 'lab-compare'].map((n) => `docs/images/${n}.png`).join(', ')}\n`);
} finally {
  gan.kill('SIGINT');
  await new Promise((done) => gan.once('exit', done));
  await session.close();
}
