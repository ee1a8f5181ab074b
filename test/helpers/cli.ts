/** Runs the genlab CLI from source in a child process, as a user would, and collects what it printed. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerModelCommands } from '../../src/cli/models.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Called with all stderr so far each time more arrives, e.g. to send Ctrl-C once training has started. */
  onStderr?: (stderr: string, child: ChildProcess) => void;
}

export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const script = `import(${JSON.stringify(entry)}).then((m) => m.main(process.argv.slice(1))).then((code) => { process.exitCode = code; });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script, '--', ...args], {
      cwd: root,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * Runs the model commands (sample, reconstruct, interpolate, eval, score) in this process through Commander, as
 * main.ts does, and returns what they printed; errors are thrown as the commands throw them.
 */
export async function runModelCommands(args: string[]): Promise<string> {
  let out = '';
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  registerModelCommands(program, (line) => (out += `${line}\n`));
  for (const c of program.commands) c.exitOverride();
  await program.parseAsync(args, { from: 'user' });
  return out;
}

/**
 * Runs main(argv) in this process with what it writes to process.stdout/stderr captured (the CLI writes strings;
 * the test runner's own binary events pass through). Quicker than a child process, for errors and help.
 */
export async function runMain(argv: string[]): Promise<CliResult> {
  const { main } = await import('../../src/cli/main.js');
  let stdout = '', stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const capture = (original: typeof out, append: (s: string) => void) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (typeof chunk !== 'string') return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      append(chunk);
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out, (s) => (stdout += s));
  process.stderr.write = capture(err, (s) => (stderr += s));
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
