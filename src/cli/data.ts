/** `genlab data info|preview`: what a dataset holds, and a picture of it. */
import type { Command } from 'commander';
import { join } from 'node:path';
import {
  badInput,
  BUILTIN_DATASETS,
  describeDataset,
  exampleSize,
  loadDataset,
  Rng,
  subset,
  writeImageGrid,
  writePointsPlot,
  type Dataset,
  type LoadOptions,
} from '../index.js';
import { checkDataset, choiceOption, datasetOption, intOption } from './options.js';

interface DataFlags {
  seed: number;
  binarize?: LoadOptions['binarize'];
  size?: number;
}

function loadOptions(flags: DataFlags): LoadOptions {
  const options: LoadOptions = { seed: flags.seed };
  if (flags.binarize !== undefined) options.binarize = flags.binarize;
  if (flags.size !== undefined) options.size = flags.size;
  return options;
}

function withDataFlags(cmd: Command): Command {
  return cmd
    .option('--seed <S>', 'seed for generated data, splits and sampling', intOption('--seed', 0), 0)
    .option('--binarize <mode>', 'MNIST binarisation: none, static or dynamic', choiceOption('--binarize', ['none', 'static', 'dynamic'] as const))
    .option('--size <px>', 'side of the square images are resized to', intOption('--size', 4, 1024, 'images are held in memory at this size'));
}

/** Summary of one split: counts, value range and mean, labels. */
export function summarise(ds: Dataset): Record<string, unknown> {
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of ds.data) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const summary: Record<string, unknown> = { count: ds.count, min, max, mean: ds.data.length ? sum / ds.data.length : NaN };
  if (ds.labels?.kind === 'class') {
    const counts: Record<string, number> = {};
    for (const c of ds.labels.classes) counts[c] = 0;
    for (const v of ds.labels.values) counts[ds.labels.classes[v] ?? String(v)]! += 1;
    summary['labels'] = counts;
  } else if (ds.labels?.kind === 'value') {
    const values = ds.labels.values;
    summary['labels'] = { name: ds.labels.name, min: Math.min(...values), max: Math.max(...values) };
  }
  return summary;
}

async function info(dataset: string, flags: DataFlags & { json?: boolean }): Promise<void> {
  const { train, test } = await loadDataset(dataset, loadOptions(flags));
  const report = {
    name: train.name,
    kind: train.kind,
    shape: train.shape,
    labels: train.labels ? (train.labels.kind === 'class' ? { kind: 'class', classes: train.labels.classes } : { kind: 'value', name: train.labels.name }) : null,
    train: summarise(train),
    test: summarise(test),
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const description = describeDataset(dataset);
  const lines = [
    `${report.name}${description ? ` — ${description}` : ''}`,
    `kind ${report.kind}, example shape [${report.shape.join(', ')}]`,
    `train ${train.count} examples, test ${test.count} examples`,
    `values in [${fmt(report.train['min'])}, ${fmt(report.train['max'])}], mean ${fmt(report.train['mean'])}`,
  ];
  if (train.labels?.kind === 'class') lines.push(`labels: ${train.labels.classes.length} classes (${train.labels.classes.slice(0, 20).join(', ')}${train.labels.classes.length > 20 ? ', …' : ''})`);
  if (train.labels?.kind === 'value') lines.push(`labels: ${train.labels.name}, ${JSON.stringify(report.train['labels'])}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

const fmt = (v: unknown): string => (typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v));

interface PreviewFlags extends DataFlags {
  split: 'train' | 'test';
  n?: number;
  out?: string;
  outDir?: string;
  labels?: boolean;
}

/** Draws `n` seeded random examples of one split: an image grid, or a scatter plot / histogram of points. */
export async function previewDataset(dataset: string, file: string, flags: PreviewFlags): Promise<Dataset> {
  const splits = await loadDataset(dataset, loadOptions(flags));
  const ds = splits[flags.split];
  const n = Math.min(flags.n ?? (ds.kind === 'images' ? 64 : 2000), ds.count);
  if (n === 0) throw badInput(dataset, `the ${flags.split} split is empty`);
  let picked = Array.from(new Rng(flags.seed).permutation(ds.count).subarray(0, n));
  // Continuous labels (a moon's phase) read best in order.
  const valueLabels = ds.labels?.kind === 'value' ? ds.labels.values : null;
  if (valueLabels) picked = picked.sort((a, b) => valueLabels[a]! - valueLabels[b]!);
  const shown = subset(ds, picked);
  if (ds.kind === 'images') {
    const [h, w, c] = ds.shape as [number, number, number];
    const captions = flags.labels ? captionsOf(shown) : undefined;
    const title = `${dataset} · ${flags.split} split · ${n} random examples · seed ${flags.seed}`;
    await writeImageGrid(file, { data: shown.data, count: n, shape: [h, w, c] }, { title, ...(captions ? { labels: captions } : {}) });
  } else {
    const labels = shown.labels?.values;
    await writePointsPlot(file, shown.data, exampleSize(ds.shape), {
      title: `${dataset} (${flags.split}, ${n} points)`,
      ...(labels ? { labels, labelName: shown.labels?.kind === 'class' ? 'mode' : 'value' } : {}),
    });
  }
  return shown;
}

function captionsOf(ds: Dataset): string[] | undefined {
  const labels = ds.labels;
  if (!labels) return undefined;
  return Array.from(labels.values as ArrayLike<number>, (v) =>
    labels.kind === 'class' ? (labels.classes[v] ?? String(v)) : `${Math.round(v)}°`,
  );
}

async function preview(dataset: string, flags: PreviewFlags): Promise<void> {
  const names = dataset === 'all' ? BUILTIN_DATASETS : [dataset];
  if (dataset === 'all' ? !flags.outDir : !flags.out) {
    throw badInput(dataset === 'all' ? '--out-dir' : '--out', dataset === 'all' ? 'required with "all": the folder to write one PNG per dataset into' : 'required: the PNG (or, for point sets, SVG) file to write');
  }
  for (const name of names) {
    const file = dataset === 'all' ? join(flags.outDir!, `${name}.png`) : flags.out!;
    const shown = await previewDataset(name, file, flags);
    process.stdout.write(`${name}: ${shown.count} ${flags.split} examples → ${file}\n`);
  }
}

export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('inspect and preview datasets');
  const datasetHelp = `dataset: ${BUILTIN_DATASETS.join(', ')}, or a .csv/.tsv/.npy file or image folder`;
  withDataFlags(
    data
      .command('info')
      .description('counts, shapes, value range and labels of a dataset')
      .argument('<dataset>', datasetHelp, datasetOption('dataset'))
      .option('--json', 'print one JSON object'),
  ).action((dataset: string, flags: DataFlags & { json?: boolean }) => info(dataset, flags));
  withDataFlags(
    data
      .command('preview')
      .description('write a PNG of examples: an image grid, or a scatter plot of points')
      .argument('<dataset>', `${datasetHelp}; "all" previews every built-in dataset into --out-dir`, (v: string) => (v === 'all' ? v : checkDataset(v)))
      .option('--split <split>', 'train or test', choiceOption('--split', ['train', 'test'] as const), 'train')
      .option('-n <count>', 'number of examples (default 64 images, 2000 points)', intOption('-n', 1, 100000, 'they are drawn into one picture'))
      .option('--labels', 'caption each image with its label')
      .option('--out <file>', 'output file (.png; .svg also for point sets)')
      .option('--out-dir <dir>', 'output folder, with "all"'),
  ).action((dataset: string, flags: PreviewFlags) => preview(dataset, flags));
}
