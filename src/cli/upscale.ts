/**
 * `genlab upscale RUN [IMAGE…]`: a super-resolution model (the kinds that can 'upscale': srgan) on held-out images.
 * Without images: the first -n images of a dataset's split (the run's data unless --data says), each averaged down by
 * the model's scale and upscaled back by the model and by bicubic interpolation; prints the mean PSNR and SSIM of
 * both against the originals (on MNIST also both sets' FID against the originals) and, with --out, writes a PNG grid (low-res | bicubic | model | original). Image files
 * of the model's size are treated the same way; image files of the low-resolution size are only upscaled.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import {
  badInput,
  evaluateUpscaling,
  exampleSize,
  formatUpscaleReport,
  initEngine,
  loadDataFor,
  loadModel,
  openRun,
  requireCapability,
  subset,
  upscaleFidOptions,
  upscaleGrid,
  upscaleImageFile,
  writeImageGrid,
  type UpscaleReport,
  type UpscalingModel,
} from '../index.js';
import { checkDataset, choiceOption, intOption } from './options.js';
import { progressFor } from './progress.js';

export interface UpscaleFlags {
  data?: string;
  split: 'train' | 'test';
  n: number;
  /** Images drawn in the grid (the first ones). */
  show: number;
  batchSize: number;
  out?: string;
  json?: boolean;
}

/** What the command found: the report (null for low-resolution inputs, which have no originals to compare with). */
export interface UpscaleResult {
  report: UpscaleReport | null;
  inputs: string;
}

/** Reads image files as inputs of `model`: all originals of its size, or all low-resolution images. */
async function readImages(model: UpscalingModel, files: string[]): Promise<{ data: Float32Array; resolution: 'high' | 'low' }> {
  const read = await Promise.all(files.map(async (f) => upscaleImageFile(model, new Uint8Array(await readFile(f)), f)));
  const resolution = read[0]!.resolution;
  const other = read.findIndex((r) => r.resolution !== resolution);
  if (other >= 0) throw badInput(files[other]!, `a ${read[other]!.resolution}-resolution image among ${resolution}-resolution ones (${files[0]}): give one kind at a time`);
  const size = read[0]!.data.length;
  const data = new Float32Array(read.length * size);
  read.forEach((r, i) => data.set(r.data, i * size));
  return { data, resolution };
}

export async function upscaleCommand(runDir: string, files: string[], flags: UpscaleFlags, say: (line: string) => void = (l) => void process.stdout.write(`${l}\n`)): Promise<UpscaleResult> {
  if (flags.out !== undefined && extname(flags.out).toLowerCase() !== '.png') throw badInput('--out', `expected a .png file, got '${flags.out}'`);
  if (files.length > 0 && flags.data !== undefined) throw badInput('--data', 'give image files or --data, not both');
  if (flags.data !== undefined) checkDataset(flags.data, '--data');
  await initEngine();
  const run = await openRun(runDir);
  const loaded = await loadModel(run.modelDir);
  try {
    const model = requireCapability(loaded, 'upscale', 'upscale');
    let images: Float32Array;
    let count: number;
    let resolution: 'high' | 'low' = 'high';
    let inputs: string;
    if (files.length > 0) {
      ({ data: images, resolution } = await readImages(model, files));
      count = files.length;
      inputs = count === 1 ? basename(files[0]!) : `${count} image files`;
    } else {
      const name = flags.data ?? run.data?.name;
      if (name === undefined) throw badInput('--data', `${run.dir} is a bare model folder: name the images (--data mnist, or image files)`);
      let ds = await loadDataFor(model, name, flags.split, { seed: run.seed });
      if (ds.count === 0) throw badInput(name, `the ${flags.split} split is empty`);
      if (flags.n < ds.count) ds = subset(ds, Int32Array.from({ length: flags.n }, (_, i) => i));
      ({ data: images, count } = ds);
      inputs = `${count} ${name} ${flags.split} images`;
    }
    const [h, w] = model.dataShape;
    const [lh, lw] = model.lowResShape;
    let report: UpscaleReport | null = null;
    if (resolution === 'high') {
      const bar = progressFor('upscale: scoring');
      const fidOptions = await upscaleFidOptions(model, files.length > 0 ? undefined : (flags.data ?? run.data?.name), count);
      report = await evaluateUpscaling(model, images, count, { batchSize: flags.batchSize, ...fidOptions, ...bar.options }).finally(bar.stop);
    }
    if (flags.out !== undefined) {
      const shown = Math.min(flags.show, count);
      const size = exampleSize(resolution === 'high' ? model.dataShape : model.lowResShape);
      const grid = upscaleGrid(model, images.subarray(0, shown * size), shown, resolution);
      const title = `${basename(run.dir)} · ${model.kind} ×${model.scale} · ${inputs}${shown < count ? ` (first ${shown} shown)` : ''}`;
      await writeImageGrid(flags.out, grid, { columns: grid.columns, rowLabels: grid.rowLabels, title });
    }
    if (flags.json) say(JSON.stringify(report ?? { count, scale: model.scale }));
    else {
      say(`upscale: ${inputs}, ×${model.scale} (${lw}×${lh} → ${w}×${h}), ${model.kind}:`);
      say(report ? `  ${formatUpscaleReport(report)}` : '  low-resolution inputs: no originals to compare with');
      if (flags.out !== undefined) say(`  grid (${resolution === 'high' ? 'low-res | bicubic | model | original' : 'low-res | bicubic | model'}) → ${flags.out}`);
    }
    return { report, inputs };
  } finally {
    loaded.dispose();
  }
}

export function registerUpscaleCommand(program: Command): void {
  program
    .command('upscale')
    .description('super-resolution models (srgan): upscale held-out images (or image files), PSNR and SSIM (on MNIST also FID) of the model and of bicubic against the originals, and a grid')
    .argument('<run>', 'run folder (runs/NAME, with manifest.json and model/), or a saved model folder')
    .argument('[images...]', 'PNG/JPEG files: originals of the model’s size (scored) or low-resolution images (upscaled only)')
    .option('--data <dataset>', 'images of this dataset instead of the run’s (mnist, pokemon, a data folder)')
    .option('--split <split>', 'split of the dataset: train or test', choiceOption('--split', ['train', 'test'] as const), 'test')
    .option('-n <count>', 'the first N images of the split', intOption('-n', 1, 100_000, 'they are held in memory at once'), 64)
    .option('--show <N>', 'images drawn in the grid (the first ones)', intOption('--show', 1, 64, 'one column each'), 8)
    .option('--batch-size <n>', 'images per batch', intOption('--batch-size', 1, 65536, 'a batch is one tensor in memory'), 100)
    .option('--out <file>', 'write the grid here (.png)')
    .option('--json', 'print one JSON object')
    .action(async (run: string, images: string[], flags: UpscaleFlags) => void (await upscaleCommand(run, images, flags)));
}
