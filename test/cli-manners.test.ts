/**
 * The CLI's manners, as git, npm and cargo have them: a near miss of a flag, command, kind, dataset or choice gets
 * "did you mean …?"; a mistake is the only line printed (checked before any start-up line), with exit status 2;
 * every command's --help ends with examples whose flags are that command's own. Run in-process through main().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/main.js';
import { EXAMPLES, commandPath } from '../src/cli/examples.js';
import { closest } from '../src/cli/suggest.js';
import { runMain } from './helpers/cli.js';

const out = (): string => join(mkdtempSync(join(tmpdir(), 'genlab-manners-')), 'run');

/** Runs genlab and checks that it printed exactly one line, on stderr, and exited with status 2. */
async function oneLineError(args: string[]): Promise<string> {
  const r = await runMain(args);
  assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  assert.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
  assert.match(r.stderr, /^genlab: [^\n]+\n$/, `${args.join(' ')}: exactly one line, got:\n${r.stderr}`);
  return r.stderr;
}

test('closest: near misses and prefixes of one candidate, nothing for words far from all', () => {
  assert.equal(closest('--epoch', ['--epochs', '--steps', '--seed']), '--epochs');
  assert.equal(closest('vea', ['ae', 'vae', 'cvae', 'gan']), 'vae');
  assert.equal(closest('mnsit', ['mnist', 'moons', 'pokemon']), 'mnist');
  assert.equal(closest('--lr-dec', ['--lr', '--lr-decay']), '--lr-decay');
  assert.equal(closest('frobnicate', ['data', 'train', 'gmm']), undefined);
  assert.equal(closest('x', ['ae', 'vae']), undefined);
});

test('a typo of a flag, command, kind, dataset or choice gets a suggestion, on one line', async () => {
  const cases: [string[], RegExp][] = [
    [['train', 'vae', '--data', 'moons', '--epoch', '3', '--out', out()], /unknown option '--epoch' for 'genlab train vae': did you mean --epochs\?$/m],
    [['train', 'vea', '--data', 'moons', '--out', out()], /unknown command 'vea' for 'genlab train': did you mean vae\? \(valid commands are ae, dae, vae/],
    [['trian', 'vae'], /unknown command 'trian' for 'genlab': did you mean train\?/],
    [['train', 'vae', '--data', 'mnsit', '--out', out()], /--data: unknown dataset 'mnsit': did you mean mnist\?/],
    [['data', 'info', 'rign8'], /dataset: unknown dataset 'rign8': did you mean ring8\?/],
    [['gmm', 'fit', 'ring8', '-k', '3', '--covarianse', 'full'], /unknown option '--covarianse' for 'genlab gmm fit': did you mean --covariance\?/],
    [['gmm', 'fit', 'ring8', '-k', '3', '--covariance', 'fulll'], /--covariance: expected one of full, tied, diag, spherical, got 'fulll' \(did you mean full\?\)/],
    [['train', 'gan', '--data', 'ring8', '--lr-decay', 'cosin', '--out', out()], /did you mean cosine\?/],
  ];
  for (const [args, pattern] of cases) assert.match(await oneLineError(args), pattern, args.join(' '));
});

test('mistakes found before any start-up line: unknown dataset, --lr 0, a missing file, a net that does not fit the data', async () => {
  for (const args of [
    ['train', 'vae', '--data', 'nosuchset', '--out', out()],
    ['train', 'vae', '--data', 'moons', '--lr', '0', '--out', out()],
    ['train', 'vae', '--data', 'no/such/file.csv', '--out', out()],
    ['train', 'gan', '--data', 'ring8', '--arch', 'conv', '--backend', 'cpu', '--out', out()],
    ['train', 'vae', '--data', 'ring8', '--epochs', '2', '--steps', '3', '--out', out()],
  ]) {
    const line = await oneLineError(args);
    assert.doesNotMatch(line, /backend|training/, `${args.join(' ')}: no start-up line before the error`);
  }
  assert.match(await oneLineError(['train', 'vae', '--data', 'moons', '--lr', '0', '--out', out()]), /^genlab: --lr: expected a number > 0, got '0'/);
});

test('every command’s --help ends with examples, whose flags are the command’s own', async () => {
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  const commands = all(buildProgram());
  for (const cmd of commands) {
    const path = commandPath(cmd);
    assert.ok(EXAMPLES[path]?.length, `'${path}' has examples`);
    const flags = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined));
    // Examples of this very command (a group's examples run its sub-commands, with theirs).
    for (const example of cmd.commands.length > 0 ? [] : EXAMPLES[path]!.filter((e) => e.startsWith(`genlab ${path} `))) {
      for (const flag of example.split(' ').filter((w) => w.startsWith('-'))) assert.ok(flags.has(flag), `'${example}': ${flag} is not an option of '${path}'`);
    }
  }
  const help = await runMain(['train', 'vae', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /\nExamples:\n {2}genlab train vae --data mnist --epochs 10 --out runs\/vae\n/);
});
