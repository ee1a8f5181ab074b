/**
 * The README's main job: preview every built-in dataset, train a small VAE (784-400-20, as the classic PyTorch
 * example) on MNIST, then draw samples, reconstructions and an interpolation strip and measure the test likelihood.
 * Every step is a plain `genlab` command, printed before it runs, so you can rerun or vary any of them.
 *
 *   node examples/demo.js [--epochs N] [--out DIR]        (after the build; `npm run demo` does this)
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.js';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '5' }, out: { type: 'string', default: 'runs/demo' } } });
const out = values.out!;
const run = join(out, 'vae-mnist');

async function genlab(...args: string[]): Promise<void> {
  process.stderr.write(`\n$ genlab ${args.join(' ')}\n`);
  const code = await main(args);
  if (code !== 0) process.exit(code);
}

// The demo owns its folder: a previous demo's run is replaced so `train` starts fresh.
await rm(out, { recursive: true, force: true });
await genlab('data', 'preview', 'all', '--out-dir', join(out, 'previews'));
await genlab('train', 'vae', '--data', 'mnist', '--epochs', values.epochs!, '--batch-size', '128', '--seed', '1', '--out', run);
await genlab('sample', run, '-n', '64', '--seed', '1', '--out', join(out, 'samples.png'));
await genlab('reconstruct', run, '-n', '16', '--out', join(out, 'reconstructions.png'));
await genlab('interpolate', run, '--from', '3', '--to', '2', '--steps', '10', '--out', join(out, 'interpolation.png'));
await genlab('eval', run, '--iw-k', '100', '--limit', '1000');
process.stderr.write(`\nDone. Open ${out}/: previews/, samples.png, reconstructions.png, interpolation.png; per-epoch grids and metrics.jsonl in ${run}/.\n`);
