/**
 * The README's main job: preview every built-in dataset, train a small VAE (784-400-20, as the classic PyTorch
 * example) on MNIST, then draw samples, reconstructions and an interpolation strip and measure the test likelihood.
 * Every step is a plain `genlab` command, printed before it runs and run as a user runs it — `node bin/genlab.js`,
 * what `npx genlab` starts — so you can rerun or vary any of them.
 *
 *   npm run demo [-- --epochs N --out DIR]
 *
 * bin/genlab.js runs the compiled CLI in dist/, which `npm ci` / `npm install` build; after changing src/, run
 * `npm run build` before the demo.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '5' }, out: { type: 'string', default: 'runs/demo' } } });
const out = values.out!;
const run = join(out, 'vae-mnist');

const bin = fileURLToPath(new URL('../bin/genlab.js', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)))) {
  process.stderr.write('demo: the CLI is not built (no dist/cli/main.js): run `npm run build` first\n');
  process.exit(1);
}

function genlab(...args: string[]): void {
  process.stderr.write(`\n$ genlab ${args.join(' ')}\n`);
  const { status, error } = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
  if (error) throw error;
  if (status !== 0) process.exit(status ?? 1); // null: killed by a signal
}

// The demo owns its folder: a previous demo's run is replaced so `train` starts fresh.
await rm(out, { recursive: true, force: true });
genlab('data', 'preview', 'all', '--out-dir', join(out, 'previews'));
genlab('train', 'vae', '--data', 'mnist', '--epochs', values.epochs!, '--batch-size', '128', '--seed', '1', '--out', run);
genlab('sample', run, '-n', '64', '--seed', '1', '--out', join(out, 'samples.png'));
genlab('reconstruct', run, '-n', '16', '--out', join(out, 'reconstructions.png'));
genlab('interpolate', run, '--from', '3', '--to', '2', '--steps', '10', '--out', join(out, 'interpolation.png'));
genlab('eval', run, '--iw-k', '100', '--limit', '1000');
process.stderr.write(`\nDone. Open ${out}/: previews/, samples.png, reconstructions.png, interpolation.png; per-epoch grids and metrics.jsonl in ${run}/.\n`);
