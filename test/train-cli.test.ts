import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { runCli, type RunCliOptions } from './helpers/cli.js';
import { registerTrainCommand } from '../src/cli/train.js';
import { GenlabError } from '../src/engine/errors.js';
import { readManifest, readMetrics } from '../src/train/run-folder.js';
import { MODEL_KINDS } from '../src/models/kinds.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'genlab-cli-'));

/** Runs `genlab …` in a child process; `onStderr` may act on what it prints (send Ctrl-C). */
const genlab = (args: string[], onStderr?: RunCliOptions['onStderr']) => runCli(args, { timeoutMs: 60_000, ...(onStderr ? { onStderr } : {}) });

/** Runs `genlab train …` in this process up to its first error (for errors found before training starts). */
async function trainError(args: string[]): Promise<GenlabError> {
  const program = new Command().exitOverride();
  registerTrainCommand(program);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  all(program).forEach((c) => c.exitOverride().configureOutput({ outputError: () => {} }));
  try {
    await program.parseAsync(['train', ...args], { from: 'user' });
  } catch (e) {
    assert.ok(e instanceof GenlabError, String(e));
    return e;
  }
  throw new Error('expected an error');
}

const RING = ['--data', 'ring8', '--limit', '200', '--test-limit', '50', '--hidden', '8', '--latent', '2', '--batch-size', '50', '--backend', 'cpu'];

test('genlab train writes a run, refuses to clobber it, refuses conflicting flags on --resume, and extends it', async () => {
  const out = join(tmp(), 'vae-ring');
  const first = await genlab(['train', 'vae', ...RING, '--epochs', '2', '--out', out]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /genlab: backend cpu/);
  assert.match(first.stdout, /^finished after 2 epochs \(8 steps\)/);
  assert.match(first.stdout, new RegExp(`wrote ${out}: manifest.json, metrics.jsonl, model/, checkpoint/, samples/epoch-NNNN.png`));
  assert.deepEqual(readdirSync(join(out, 'samples')), ['epoch-0001.png', 'epoch-0002.png']);
  const manifest = await readManifest(out);
  assert.deepEqual([manifest.kind, manifest.status, manifest.epoch, manifest.data.limit, manifest.data.testCount], ['vae', 'finished', 2, 200, 50]);

  const again = await trainError(['vae', ...RING, '--epochs', '2', '--out', out]);
  assert.equal(again.exitCode, 2);
  assert.match(again.message, /^--out: .* is not empty: add --resume to continue the run in it/);
  const conflict = await trainError(['vae', '--out', out, '--resume', '--latent', '3']);
  assert.match(conflict.message, /^--latent: 3 conflicts with the run's 2 \(.*manifest.json\): drop the flag to resume/);
  const otherKind = await trainError(['ae', '--out', out, '--resume']);
  assert.match(otherKind.message, /holds a vae run, not ae/);

  const more = await genlab(['train', 'vae', '--out', out, '--resume', '--epochs', '3']);
  assert.equal(more.code, 0, more.stderr);
  assert.match(more.stderr, /resuming vae on ring8 from epoch 2, step 8/);
  assert.match(more.stderr, /genlab: backend cpu/, 'a resumed run keeps its backend');
  assert.match(more.stdout, /^finished after 3 epochs \(12 steps\)/);
  assert.deepEqual((await readMetrics(join(out, 'metrics.jsonl'))).map((r) => `${r.epoch}${r.split}`), ['1train', '1test', '2train', '2test', '3train', '3test']);
});

test('genlab train: Ctrl-C stops after a checkpoint with status 130, and --resume finishes the run', async () => {
  const out = join(tmp(), 'ae-ring');
  let sent = false;
  const stopped = await genlab(['train', 'ae', ...RING, '--epochs', '500', '--out', out], (text, child) => {
    if (!sent && /epoch 1\/500/.test(text)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.match(stopped.stderr, /genlab: train: stopped at epoch \d+, step \d+; the checkpoint is in .*checkpoint\. Continue with: genlab train ae --out .* --resume/);
  assert.match(stopped.stdout, /^stopped after/);
  const manifest = await readManifest(out);
  assert.equal(manifest.status, 'stopped');
  assert.ok(existsSync(join(out, 'model')));
  const resumed = await genlab(['train', 'ae', '--out', out, '--resume', '--epochs', String(manifest.epoch + 1)]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal((await readManifest(out)).status, 'finished');
});

test('genlab train --time-limit: training stops when the minutes are up, exit 0 with the checkpoint and model saved, and --resume continues', async () => {
  const out = join(tmp(), 'ae-ring-timed');
  const started = performance.now();
  const timed = await genlab(['train', 'ae', ...RING, '--epochs', '100000', '--time-limit', '0.05', '--out', out]);
  assert.equal(timed.code, 0, timed.stderr);
  assert.ok(performance.now() - started < 50_000, 'stopped long before 100,000 epochs');
  assert.match(timed.stderr, /genlab: the time limit \(0\.05 min\) ended training at epoch \d+, step \d+; model\/ holds the last weights\. More: genlab train ae --out .* --resume/);
  const manifest = await readManifest(out);
  assert.equal(manifest.status, 'stopped');
  assert.ok(manifest.step > 0 && existsSync(join(out, 'model')) && existsSync(join(out, 'checkpoint')));
  const resumed = await genlab(['train', 'ae', '--out', out, '--resume', '--epochs', String(manifest.epoch + 1)]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal((await readManifest(out)).status, 'finished');
  const bad = await trainError(['ae', ...RING, '--time-limit', '0', '--out', join(tmp(), 'never')]);
  assert.match(bad.message, /^--time-limit: expected a number > 0, got '0'$/);
});

test('genlab train on MNIST images writes sample and reconstruction grids', async () => {
  const out = join(tmp(), 'ae-mnist');
  const run = await genlab(['train', 'ae', '--data', 'mnist', '--limit', '64', '--test-limit', '16', '--epochs', '1', '--batch-size', '32', '--hidden', '8', '--latent', '2', '--out', out]);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(existsSync(join(out, 'samples/epoch-0001.png')));
  assert.ok(existsSync(join(out, 'recon/epoch-0001.png')));
});

test('genlab train names what is wrong: no --data, an unknown kind, --resume with nothing to resume', async () => {
  const out = join(tmp(), 'none');
  assert.match((await trainError(['vae', '--out', out])).message, /^--data: required/);
  const unknown = await runCli(['train', 'gan9', '--data', 'ring8', '--out', out]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, `genlab: unknown command 'gan9' for 'genlab train': did you mean gan? (valid commands are ${MODEL_KINDS.join(', ')})\n`);
  const nothing = await trainError(['vae', '--out', out, '--resume']);
  assert.equal(nothing.code, 'not-found');
  assert.match(nothing.message, /nothing to resume \(no manifest.json\)/);
  assert.match((await trainError(['vae', '--data', 'ring8', '--epochs', '2', '--steps', '9', '--out', out])).message, /give --epochs or --steps, not both/);
});

test('genlab train <kind> takes that kind’s flags only: --help lists them, another kind’s flag is a one-line error', async () => {
  const out = join(tmp(), 'strict');
  const wrong = await trainError(['vae', '--data', 'ring8', '--pack', '4', '--out', out]);
  assert.match(wrong.message, /^--pack: not an option of vae \(its options: --arch, --hidden, --latent, .*--beta, --kl-warmup, --top-latent, --top-hidden, --flow-steps, --flow-hidden, --vamp-prior, --ema; see genlab train vae --help\)$/);
  const help = await runCli(['train', 'vae', '--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /--kl-warmup <N>/);
  assert.match(help.stdout, /--batch-size <N>/);
  assert.doesNotMatch(help.stdout, /--pack|--loss|--d-steps|--noise-amount/);
  const ganHelp = await runCli(['train', 'gan', '--help']);
  assert.match(ganHelp.stdout, /--pack <N>/);
  assert.doesNotMatch(ganHelp.stdout, /--kl-warmup/);
});

test('bare genlab shows its help and succeeds; --version prints the package version', async () => {
  const bare = await runCli([]);
  assert.equal(bare.code, 0, bare.stderr);
  assert.match(bare.stdout, /^Usage: genlab /);
  assert.equal(bare.stderr, '');
  const version = await runCli(['--version']);
  assert.equal(version.code, 0);
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(version.stdout.trim(), pkg.version);
});
