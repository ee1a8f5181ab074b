/**
 * `genlab lab` as a user runs it: in a child process (with the lab command registered on top of main.ts's program
 * until main.ts wires it in), it prints the URL, serves the pages and /runs/, and stops on Ctrl-C; bad flags end
 * with one line and exit status 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** `node -e` source: main.ts's program, plus the lab command when main.ts does not have it yet. */
const SCRIPT = `
const { buildProgram } = await import('./src/cli/main.ts');
const { registerLabCommand } = await import('./src/cli/lab.ts');
const { GenlabError } = await import('./src/engine/errors.ts');
const { CommanderError } = await import('commander');
const program = buildProgram();
if (!program.commands.some((c) => c.name() === 'lab')) registerLabCommand(program);
const all = (c) => [c, ...c.commands.flatMap(all)];
for (const c of all(program)) c.exitOverride().configureOutput({ outputError: () => {} });
try {
  await program.parseAsync(process.argv.slice(1), { from: 'user' });
} catch (e) {
  if (e instanceof CommanderError) { process.stderr.write('genlab: ' + e.message.replace(/^error: /, '') + '\\n'); process.exitCode = e.exitCode === 0 ? 0 : 2; }
  else if (e instanceof GenlabError) { process.stderr.write('genlab: ' + e.message + '\\n'); process.exitCode = e.exitCode; }
  else { process.stderr.write('genlab: internal error: ' + (e && e.stack) + '\\n'); process.exitCode = 1; }
}`;

function genlab(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, '--', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done, output: () => stdout };
}

test('genlab lab prints its loopback URL, serves the lab and the runs, and stops on Ctrl-C', { timeout: 120_000 }, async () => {
  const runs = mkdtempSync(join(tmpdir(), 'genlab-lab-runs-'));
  writeFileSync(join(runs, 'hello.json'), '{"hello":1}');
  const run = genlab(['lab', '--port', '0', '--runs', runs]);
  const started = Date.now();
  let url: string | undefined;
  while (!url && Date.now() - started < 100_000) {
    url = /genlab lab: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(run.output())?.[1];
    if (!url) await new Promise((r) => setTimeout(r, 100));
    if (run.child.exitCode !== null) break;
  }
  if (!url) {
    run.child.kill();
    const r = await run.done;
    assert.fail(`no URL printed: ${r.stdout}${r.stderr}`);
  }
  try {
    const home = await fetch(url);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /genlab lab/);
    assert.equal((await fetch(`${url}gmm.html`)).status, 200);
    assert.deepEqual(await (await fetch(`${url}runs/hello.json`)).json(), { hello: 1 });
  } finally {
    run.child.kill('SIGINT');
  }
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
});

test('genlab lab: bad flags end with one line and exit status 2', async () => {
  for (const [args, message] of [
    [['lab', '--runs', '/no/such/folder'], /--runs.*not a folder/],
    [['lab', '--port', 'x'], /--port.*expected an integer/],
    [['lab', '--port', '70000'], /--port.*\[0, 65535\]/],
  ] as const) {
    const r = await genlab([...args]).done;
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
