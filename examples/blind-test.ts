/**
 * A person's blind test of an image run's samples (HYPE∞, Zhou et al. 2019) — the runs board's "Can you tell?" at
 * any size, from the command line: n held-out images and n samples shuffled into one numbered grid, the key written
 * beside it to read only after marking. README's judge scores of the Pokémon runs come from it (n = 32).
 *
 *   node --import tsx examples/blind-test.ts RUN --out grid.png [--n 32] [--seed 0] [--temperature 1]
 *   node --import tsx examples/blind-test.ts --score grid.png 3,5,17,…     (the cells taken for generated)
 *
 * The seed picks the held-out images, the samples and the cells: give a judge a new seed for every grid.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { blindGrid, initEngine, loadDataset, loadModel, openRun, Rng, sampleAtTemperature, scoreBlindTest, tf, writeImageGrid, type BlindCell } from 'genlab';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    n: { type: 'string', default: '32' },
    seed: { type: 'string', default: '0' },
    temperature: { type: 'string', default: '1' },
    score: { type: 'string' },
  },
});

function fail(message: string): never {
  console.error(`blind-test: ${message}`);
  process.exit(2);
}

if (values.score !== undefined) {
  const keyFile = `${values.score}.key.json`;
  const layout = JSON.parse(await readFile(keyFile, 'utf8').catch(() => fail(`${keyFile}: no key beside the grid`))) as BlindCell[];
  const marked = (positionals[0] ?? '').split(/[\s,]+/).filter(Boolean).map(Number);
  if (marked.some((m) => !(Number.isInteger(m) && m >= 1 && m <= layout.length))) fail(`marked cells: expected numbers 1–${layout.length}, got '${positionals[0] ?? ''}'`);
  const s = scoreBlindTest(layout, marked.map((m) => m - 1));
  console.log(`${values.score}: samples caught ${s.generatedCaught}/${s.generated}, real kept ${s.realKept}/${s.real}, accuracy ${(100 * s.accuracy).toFixed(1)}% (50% = the samples pass)`);
  console.log(`samples that passed (cells): ${layout.flatMap((c, i) => (c.generated && !marked.includes(i + 1) ? [i + 1] : [])).join(' ') || 'none'}`);
  process.exit(0);
}

const dir = positionals[0] ?? fail('expected a run folder: examples/blind-test.ts RUN --out grid.png');
const out = values.out ?? fail('--out: expected the grid’s .png path');
const n = Number(values.n);
const seed = Number(values.seed);
if (!(Number.isInteger(n) && n >= 1)) fail(`--n: expected a whole number ≥ 1, got ${values.n}`);
try {
  const run = await openRun(dir);
  if (!run.data || run.data.shape.length !== 3) fail(`${dir}: a blind test needs a run folder of an image model (its held-out images)`);
  await initEngine();
  const model = await loadModel(run.modelDir);
  const shape = run.data.shape as [number, number, number];
  const size = shape[0] * shape[1] * shape[2];
  const { test } = await loadDataset(run.data.name, { seed: run.seed, size: shape[0] });
  const samples = tf.tidy(() => sampleAtTemperature(model as Parameters<typeof sampleAtTemperature>[0], n, new Rng(seed), Number(values.temperature))).dataSync() as Float32Array;
  const { images, layout } = blindGrid(test, samples, n, size, seed);
  await writeImageGrid(out, { data: images, count: 2 * n, shape }, { columns: 8, scale: 4, labels: layout.map((_, i) => String(i + 1)) });
  await writeFile(`${out}.key.json`, JSON.stringify(layout));
  console.log(`wrote ${out} (${n} held-out images, ${n} samples; mark the ones you take for generated, then: examples/blind-test.ts --score ${out} 3,5,17,…)`);
} catch (e) {
  fail((e as Error).message.split('\n')[0]!);
}
