/**
 * The lecture's 1-D GAN figure (Goodfellow et al. 2014, Figure 1): real data as black dots, the generator's density as
 * a green curve, the discriminator's output D(x) as a blue curve — at chosen training steps, until D is flat near ½
 * (it can no longer tell real from generated).
 *
 *   node --import tsx examples/gan-1d.ts --out runs/gan-1d [--data gauss1d|normal] [--steps 6000] [--seed 0]
 *
 * Data: `gauss1d` (genlab's 1-D toy: three Gaussians at −2, 0.5, 3) or `normal` (one Gaussian N(1, 0.5²), the paper's
 * picture); the real examples are drawn as black dots on the data's density curve, as in the paper's dotted line.
 * One GAN (MLP G and D, 128-128, non-saturating loss, Adam 2e-3, β1 0.5) trained by the ordinary training loop
 * (src/train `fit`); at each snapshot the example prints max |D(x) − ½| over the data range (the 0.5%–99.5% quantiles
 * of the data) and stops once it stays below --flat (default 0.03) at two snapshots in a row, from step --min-steps
 * (1000) on. Writes `<out>/gan-1d.png` (all snapshots, one panel each) and `<out>/snapshots.json` (the numbers).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createModel,
  describeEngine,
  discriminatorGrid,
  fit,
  gaussianKde,
  initEngine,
  kdeBandwidth,
  loadToy,
  makeDataset,
  Rng,
  tf,
  toyModes,
  writeChart,
  type Dataset,
  type TopLevelSpec,
} from 'genlab';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'runs/gan-1d' },
    data: { type: 'string', default: 'gauss1d' },
    steps: { type: 'string', default: '6000' },
    seed: { type: 'string', default: '0' },
    flat: { type: 'string', default: '0.03' },
    'd-steps': { type: 'string', default: '1' },
    lr: { type: 'string', default: '2e-3' },
    hidden: { type: 'string', default: '128,128' },
    latent: { type: 'string', default: '2' },
    batch: { type: 'string', default: '128' },
    'min-steps': { type: 'string', default: '1000' },
  },
});
const out = values.out!;
const seed = Number(values.seed);
const maxSteps = Number(values.steps);
const flat = Number(values.flat);

console.error(describeEngine(await initEngine()));

/** The training points: gauss1d, or one Gaussian N(1, 0.5²). */
function loadData(name: string): { train: Dataset; test: Dataset } {
  if (name === 'gauss1d') return loadToy('gauss1d', { trainCount: 4000, testCount: 500, seed });
  if (name !== 'normal') throw new Error(`--data: expected gauss1d or normal, got '${name}'`);
  const rng = new Rng(seed);
  const draw = (n: number) => makeDataset({ name: 'normal', kind: 'points', shape: [1], data: Float32Array.from({ length: n }, () => 1 + 0.5 * rng.normal()) });
  return { train: draw(4000), test: draw(500) };
}
const data = loadData(values.data!);
const modes = values.data === 'gauss1d' ? toyModes('gauss1d')! : { centres: [[1]], stds: [0.5], weights: [1] };
/** The data's density p(x). */
const density = (x: number): number =>
  modes.weights.reduce((p, w, k) => p + (w * Math.exp(-0.5 * ((x - modes.centres[k]![0]!) / modes.stds[k]!) ** 2)) / (modes.stds[k]! * Math.sqrt(2 * Math.PI)), 0);
const sorted = Float32Array.from(data.train.data).sort();
const quantile = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const dataRange: [number, number] = [quantile(0.005), quantile(0.995)];
const view: [number, number] = [Math.floor(sorted[0]! - 1), Math.ceil(sorted[sorted.length - 1]! + 1)];

const model = createModel(
  'gan',
  { hidden: values.hidden!.split(',').map(Number), latent: Number(values.latent), dSteps: Number(values['d-steps']) },
  { shape: [1], kind: 'points' },
  new Rng(seed + 1),
);

const SAMPLES = 3000;
/**
 * G's density is drawn with one kernel width for every snapshot: genlab's rule (src/math/kde.ts) on as many real
 * examples as G draws samples, so the green curve can be held against the data's and changes only when G does.
 */
const bandwidth = kdeBandwidth(data.train.data.subarray(0, SAMPLES));

interface Snapshot {
  step: number;
  x: number[];
  density: number[];
  discriminator: number[];
  /** max |D − ½| over the data range. */
  maxGap: number;
}
const snapshots: Snapshot[] = [];

async function snapshot(step: number): Promise<Snapshot> {
  const grid = await discriminatorGrid(model, { x: view }, 241);
  const s = model.sample(SAMPLES, new Rng(12345)); // the same noise at every snapshot
  const samples = (await s.data()) as Float32Array;
  s.dispose();
  const density = gaussianKde(samples, grid.xs, { bandwidth });
  let maxGap = 0;
  grid.xs.forEach((x, i) => {
    if (x >= dataRange[0] && x <= dataRange[1]) maxGap = Math.max(maxGap, Math.abs(grid.values[i]! - 0.5));
  });
  const snap = { step, x: Array.from(grid.xs), density: Array.from(density), discriminator: Array.from(grid.values), maxGap };
  snapshots.push(snap);
  console.log(`step ${String(step).padStart(5)}: max |D(x) − 0.5| over [${dataRange.map((v) => v.toFixed(2)).join(', ')}] = ${maxGap.toFixed(3)}`);
  return snap;
}

// Snapshots at these steps (and the last one); training stops early once D is flat near ½.
const chosen = [0, 100, 300, 600, 1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 15000, 20000].filter((s) => s <= maxSteps);
if (chosen.at(-1) !== maxSteps) chosen.push(maxSteps);
await snapshot(0);
const stop = new AbortController();
await fit(model, data, {
  steps: maxSteps,
  batchSize: Number(values.batch),
  learningRate: Number(values.lr),
  beta1: 0.5,
  seed,
  signal: stop.signal,
  callbacks: [
    {
      async onBatchEnd(step) {
        if (!chosen.includes(step)) return;
        const previous = snapshots.at(-1)!;
        const snap = await snapshot(step);
        if (step >= Number(values['min-steps']) && snap.maxGap < flat && previous.maxGap < flat) {
          console.log(`D is flat near 0.5 (max |D − 0.5| < ${flat} at two snapshots in a row) at step ${step}: stopping`);
          stop.abort();
        }
      },
    },
  ],
});

// One panel per snapshot: real examples as black dots on the data's density, G's density in green, D in blue.
const dots = Array.from(data.train.data.subarray(0, 400), (x) => ({ x, y: density(x) }));
const rows = snapshots.flatMap((s) => [
  ...s.x.map((x, i) => ({ panel: `step ${s.step}: max |D − ½| = ${s.maxGap.toFixed(2)}`, order: s.step, x, y: Math.min(s.density[i]!, 1.1), curve: 'generator density' })),
  ...s.x.map((x, i) => ({ panel: `step ${s.step}: max |D − ½| = ${s.maxGap.toFixed(2)}`, order: s.step, x, y: s.discriminator[i]!, curve: 'discriminator D(x)' })),
  ...dots.map((d) => ({ panel: `step ${s.step}: max |D − ½| = ${s.maxGap.toFixed(2)}`, order: s.step, x: d.x, y: d.y, curve: 'real data' })),
]);
const spec: TopLevelSpec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: { text: `GAN on 1-D data (${values.data}): data (black), generator density (green), discriminator (blue)`, fontSize: 15 },
  data: { values: rows },
  facet: { field: 'panel', type: 'nominal', title: null, sort: { field: 'order' }, header: { labelFontSize: 13 } },
  columns: 3,
  spec: {
    width: 300,
    height: 190,
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 4], color: '#999' }, encoding: { y: { datum: 0.5 } } },
      {
        transform: [{ filter: "datum.curve !== 'real data'" }],
        mark: { type: 'line', strokeWidth: 2.2, clip: true },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: { domain: view }, title: 'x' },
          y: { field: 'y', type: 'quantitative', scale: { domain: [0, 1.1] }, title: 'density / D(x)' },
          color: {
            field: 'curve',
            type: 'nominal',
            scale: { domain: ['real data', 'generator density', 'discriminator D(x)'], range: ['black', '#1a9850', '#2166ac'] },
            legend: { title: null, orient: 'bottom', labelFontSize: 14, labelLimit: 0, symbolSize: 200 },
          },
        },
      },
      {
        transform: [{ filter: "datum.curve === 'real data'" }],
        mark: { type: 'circle', size: 10, opacity: 0.7, clip: true },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: { field: 'curve', type: 'nominal' } },
      },
    ],
  },
  resolve: { scale: { x: 'shared', y: 'shared' } },
};
await mkdir(out, { recursive: true });
await writeChart(spec, join(out, 'gan-1d.png'));
await writeFile(join(out, 'snapshots.json'), JSON.stringify({ data: values.data, dataRange, snapshots }, null, 1));
console.log(`wrote ${join(out, 'gan-1d.png')} (${snapshots.length} snapshots) and snapshots.json`);
model.dispose();
tf.disposeVariables();
