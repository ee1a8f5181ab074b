/** Runs the genlab CLI from source in a child process, as a user would, and collects what it printed. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
