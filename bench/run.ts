/**
 * `npm run bench`: every benchmark of genlab, each printing its numbers and ratios against a baseline measured in
 * the same run (a reference implementation, or another backend). Speed targets live here, never in unit tests.
 *
 *   npm run bench [-- --quick] [-- --only gmm,vae,gan,peer,profile,iw]
 *
 * The VAE and DCGAN benches compare every Node backend (native when its addon was built, wasm, cpu) in one run
 * (`GENLAB_BENCH_BACKENDS=native` picks some); `peer` sets genlab's default backend against PyTorch and scikit-learn
 * in alternating trials (PyTorch without the OpenBLAS overrides, at the faster of its thread settings); `profile`
 * shows where a training step's time goes; `iw` (only when named: minutes) times the importance-sampled evaluation
 * against PyTorch's.
 */
import { parseArgs } from 'node:util';
import { formatGmmBench, runGmmBench } from './gmm.js';
import { formatVaeBench, runVaeBench } from './vae.js';
import { formatGanBench, runGanBench } from './gan.js';
import { formatPeerBench, runPeerBench } from './peer.js';
import { formatProfileBench, runProfileBench } from './profile.js';
import { formatIwBench, runIwBench } from './iw.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const quick = values.quick!;
const only = values.only?.split(',');

const benches: [string, () => Promise<string>][] = [
  ['gmm', async () => formatGmmBench(await runGmmBench({ quick }))],
  ['vae', async () => formatVaeBench(await runVaeBench(quick ? { steps: 30, cpuSteps: 3 } : {}))],
  ['gan', async () => formatGanBench(await runGanBench(quick ? { steps: 5 } : {}))],
  ['peer', async () => formatPeerBench(await runPeerBench({ quick }))],
  ['profile', async () => formatProfileBench(await runProfileBench(quick ? { steps: 4 } : {}))],
  ['iw', async () => formatIwBench(await runIwBench({ quick }))],
];

/** Run only when named in --only: minutes each. */
const OPT_IN = new Set(['iw']);

for (const [name, run] of benches) {
  if (only ? !only.includes(name) : OPT_IN.has(name)) continue;
  const t0 = performance.now();
  console.log(`\n## ${name}\n${await run()}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
