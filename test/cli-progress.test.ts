/**
 * Feedback on long work, as a user sees it on stderr (GENLAB_PROGRESS=1 draws the bars into a pipe as a terminal
 * would get them, a line per redraw): one bar for a whole run planned in steps, with a labelled ETA, examples/s and
 * both players' losses; the GAN's modes in the epoch lines; nothing but epoch lines without a terminal; a summary
 * that counts epochs right after Ctrl-C; bars for eval, score and gmm fit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, runMain, type RunCliOptions } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'genlab-progress-'));
const BARS = { GENLAB_PROGRESS: '1', GENLAB_BACKEND: 'cpu' };
const genlab = (args: string[], env: Record<string, string>, onStderr?: RunCliOptions['onStderr']) =>
  runCli(args, { env, timeoutMs: 90_000, ...(onStderr ? { onStderr } : {}) });

const GAN = ['train', 'gan', '--data', 'ring8', '--limit', '512', '--test-limit', '64', '--hidden', '16', '--latent', '2', '--batch-size', '32', '--steps', '64', '--backend', 'cpu'];

test('a run planned in --steps shows ONE bar over all its steps, with ETA, examples/s, D and G losses; epoch lines carry the modes', async () => {
  const r = await genlab([...GAN, '--out', join(root, 'gan-bar')], BARS);
  assert.equal(r.code, 0, r.stderr);
  const bars = r.stderr.split('\n').filter((l) => l.startsWith('train '));
  assert.ok(bars.length >= 2, `bar lines:\n${r.stderr}`);
  const steps = bars.map((l) => /\| step (\d+)\/(\d+) \| epoch (\d+)\/(\d+) \|/.exec(l));
  assert.ok(steps.every((m) => m !== null), `every bar line shows step and epoch:\n${bars.join('\n')}`);
  assert.deepEqual([...new Set(steps.map((m) => `${m![2]} steps, ${m![4]} epochs`))], ['64 steps, 4 epochs'], 'one bar: the total never restarts at an epoch');
  const values = steps.map((m) => Number(m![1]));
  assert.deepEqual(values, [...values].sort((a, b) => a - b), 'the bar only moves forward');
  assert.equal(values.at(-1), 64);
  // What matters most comes first, so that a narrow terminal cuts off only the last terms.
  for (const line of bars) assert.match(line, /\| ETA (\d+ s|\d+ min \d+ s|…) \| \d+ ex\/s \| discriminator [\d.e-]+ {2}generator [\d.e-]+/);
  assert.match(bars.at(-1)!, /\| modes \d+\/8, [\d.]+% high quality$/, 'the bar shows the last measured quality');
  assert.match(r.stderr, /^epoch 4\/4 \| train discriminator [\d.e-]+ {2}generator [\d.e-]+ \| .*\| modes \d+\/8, [\d.]+% high quality \|/m);
});

test('without a terminal (and no GENLAB_PROGRESS) there is no bar: start-up lines and one line per epoch', async () => {
  const r = await genlab([...GAN, '--out', join(root, 'gan-plain')], { GENLAB_BACKEND: 'cpu' });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.deepEqual(lines.map((l) => l.replace(/ .*/, '')), ['genlab:', 'genlab:', 'epoch', 'epoch', 'epoch', 'epoch']);
  assert.doesNotMatch(r.stderr, /[░█]|ETA/);
});

test('Ctrl-C in a 4-epoch run: the summary counts complete epochs of 4 and steps of the plan; eval of the run shows its bars', async () => {
  const out = join(root, 'vae-stopped');
  let sent = false;
  const args = ['train', 'vae', '--data', 'ring8', '--limit', '2000', '--test-limit', '64', '--hidden', '8', '--latent', '2', '--batch-size', '10', '--epochs', '4', '--backend', 'cpu', '--out', out];
  const stopped = await genlab(args, { GENLAB_BACKEND: 'cpu' }, (text, child) => {
    if (!sent && /^epoch 1\/4 /m.test(text)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  assert.equal(stopped.code, 130, stopped.stderr);
  const m = /^stopped after (\d) complete epochs? of 4 \(step (\d+) of 800\)/.exec(stopped.stdout);
  assert.ok(m, stopped.stdout);
  const done = Number(m[1]);
  assert.ok(done >= 1 && done < 4 && Number(m[2]) < 800, stopped.stdout);
  assert.match(stopped.stdout, new RegExp(`^last: epoch ${done}/4 \\|`, 'm'));

  const evaluated = await genlab(['eval', out, '--iw-k', '20', '--limit', '64'], BARS);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.match(evaluated.stderr, /^eval: log p\(x\), k = 20 .* 100% \| ETA 0 s \| elapsed/m);
  assert.match(evaluated.stderr, /^eval: sample quality .* 100% \| ETA 0 s \| elapsed/m);
  assert.match(evaluated.stdout, /NLL/);
  const quiet = await genlab(['eval', out, '--iw-k', '20', '--limit', '64'], { GENLAB_BACKEND: 'cpu' });
  assert.equal(quiet.stderr, '', 'no bars into a pipe unless asked');
});

test('score and classifier score show a bar with ETA while they work', async () => {
  const out = join(root, 'vae-mnist');
  const trained = await genlab(['train', 'vae', '--data', 'mnist', '--limit', '64', '--test-limit', '16', '--epochs', '1', '--hidden', '8', '--latent', '2', '--batch-size', '32', '--quality-samples', '0', '--out', out], { GENLAB_BACKEND: 'cpu' });
  assert.equal(trained.code, 0, trained.stderr);
  const scored = await genlab(['score', out, 'mnist', '--limit', '16', '--iw-k', '5'], BARS);
  assert.equal(scored.code, 0, scored.stderr);
  assert.match(scored.stderr, /^score: mnist .* 100% \| ETA 0 s \| elapsed/m);
  const npy = join(root, 'samples.npy');
  assert.equal((await genlab(['sample', out, '-n', '20', '--out', npy], { GENLAB_BACKEND: 'cpu' })).code, 0);
  const metrics = await genlab(['classifier', 'score', npy, '--reference-count', '50', '--memorisation-count', '0'], BARS);
  assert.equal(metrics.code, 0, metrics.stderr);
  assert.match(metrics.stderr, /^classifier score .* 100% \| ETA 0 s \| elapsed/m);
  assert.match(metrics.stdout, /FID/);
});

test('gmm fit -k auto shows a bar over the fits, and says when the best K is the largest tried', async () => {
  process.env['GENLAB_PROGRESS'] = '1';
  try {
    const r = await runMain(['gmm', 'fit', 'ring8', '-k', 'auto', '--range', '1:3']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /gmm fit: K = 1…3 .* 100% \| ETA 0 s/);
    assert.match(r.stdout, /note: K = 3 is the largest K tried: a wider --range \(e\.g\. 1:6\) may find a better one/);
  } finally {
    delete process.env['GENLAB_PROGRESS'];
  }
  const quiet = await runMain(['gmm', 'fit', 'ring8', '-k', '2']);
  assert.equal(quiet.stderr, '');
});
