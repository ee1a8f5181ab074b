/**
 * `npm run bench`: every benchmark of genlab, each printing its numbers and ratios against a baseline measured in
 * the same run (a reference implementation, or another backend). Speed targets live here, never in unit tests.
 *
 *   npm run bench [-- --quick] [-- --only gmm,vae,conv,gan]
 *   node --import tsx bench/native.ts     (the opt-in native backend vs wasm and cpu)
 */
import { parseArgs } from 'node:util';
import { formatGmmBench, runGmmBench } from './gmm.js';
import { formatVaeBench, runVaeBench } from './vae.js';
import { runWasmConvBench } from './wasm-conv.js';
import { runGanBench } from './gan.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const quick = values.quick!;
const only = values.only?.split(',');

const benches: [string, () => Promise<string>][] = [
  ['gmm', async () => formatGmmBench(await runGmmBench({ quick }))],
  ['vae', async () => formatVaeBench(await runVaeBench(quick ? { steps: 30, cpuSteps: 3 } : {}))],
  ['conv', async () => `DCGAN-style conv training on wasm vs cpu (synthetic images): ${JSON.stringify(await runWasmConvBench(quick ? { steps: 8 } : {}))}`],
  ['gan', async () => `DCGAN on MNIST, batch 64, per backend: ${JSON.stringify(await runGanBench(quick ? { steps: 5 } : {}))}`],
];

for (const [name, run] of benches) {
  if (only && !only.includes(name)) continue;
  const t0 = performance.now();
  console.log(`\n## ${name}\n${await run()}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
