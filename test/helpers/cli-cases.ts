/**
 * Runs many `genlab` command lines in one process for test/fault.test.ts: `node --import tsx test/helpers/cli-cases.ts
 * CASES.json` reads [{ name, argv }], runs each through the CLI's main() with stdout and stderr captured, and prints
 * one JSON line per case: `{"start": name}` before it (so a parent that kills a hung process knows which case hung)
 * and `{"name", "code", "stderr", "stdout", "ms"}` after. One process for all cases: a child per case would cost a
 * second of start-up each.
 */
import { readFileSync, writeSync } from 'node:fs';
import { main } from '../../src/cli/main.js';

interface Case {
  name: string;
  argv: string[];
}

const cases = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Case[];
const say = (o: object): void => void writeSync(1, `${JSON.stringify(o)}\n`);
const out = process.stdout.write.bind(process.stdout);
const err = process.stderr.write.bind(process.stderr);
for (const c of cases) {
  say({ start: c.name });
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  const t0 = performance.now();
  let code: number;
  try {
    code = await main(c.argv);
  } catch (e) {
    // main() never throws; if it does, that is a failure to report like a stack trace.
    code = -1;
    stderr += `main threw: ${e instanceof Error ? e.stack : String(e)}`;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  say({ name: c.name, code, stderr, stdout: stdout.slice(0, 2000), ms: Math.round(performance.now() - t0) });
}
