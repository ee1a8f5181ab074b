/**
 * Pictures of a model in training, one per epoch: samples from one fixed noise seed (`samples/epoch-0001.png`,
 * comparable across epochs, as in pytorch/examples' DCGAN) and, for autoencoders on images, reconstructions of the
 * first test images (`recon/epoch-0001.png`: originals in the first row, reconstructions in the second).
 * Point data get a scatter plot of samples over data instead of a grid.
 */
import * as tf from '@tensorflow/tfjs-core';
import { basename, join } from 'node:path';
import { exampleSize, type Dataset } from '../../data/dataset.js';
import { TOY_SETS, toyModes } from '../../data/toy.js';
import { Rng } from '../../engine/rng.js';
import { upscaleGrid } from '../../eval/upscale-metrics.js';
import { can, type Samples } from '../../models/kinds.js';
import type { TrainableModel } from '../../models/model.js';
import { writeImageGrid } from '../../viz/grid.js';
import { writePointsPlot } from '../../viz/scatter.js';
import { RECON_DIR, SAMPLES_DIR } from '../run-folder.js';
import type { TrainCallback, TrainContext } from '../types.js';

/** `epoch-0007.png` */
export const epochFile = (epoch: number): string => `epoch-${String(epoch).padStart(4, '0')}.png`;

export interface SampleGridOptions {
  /** Images in the grid (rounded up to whole rows of classes for labelled data). Default 64; points: 1000. */
  count?: number;
  /** Seed of the fixed noise. Default: the run's `sampleSeed`. */
  seed?: number;
}

/**
 * Writes `count` samples of `model` drawn with `new Rng(seed)` to `file`: an image grid, or for point data a
 * scatter of samples over (up to 2000 of) the data's points. With class labels (≤ 16 classes) sample i gets class
 * i mod classes and each column holds one class (for conditional models; others ignore labels).
 */
export async function writeSampleGrid(
  model: TrainableModel & Samples,
  data: Dataset,
  file: string,
  options: Required<SampleGridOptions> & { title?: string; modes?: readonly (readonly number[])[] },
): Promise<void> {
  const classes = data.labels?.kind === 'class' && data.labels.classes.length <= 16 ? data.labels.classes.length : 0;
  const count = classes > 0 ? Math.ceil(options.count / classes) * classes : options.count;
  const samples = tf.tidy(() => {
    const labels = classes > 0 ? tf.tensor1d(Int32Array.from({ length: count }, (_, i) => i % classes), 'int32') : undefined;
    return model.sample(count, new Rng(options.seed), labels);
  });
  const values = await samples.data();
  samples.dispose();
  if (data.kind === 'images') {
    const [h, w, c] = data.shape as [number, number, number];
    await writeImageGrid(file, { data: values, count, shape: [h, w, c] }, {
      columns: classes > 0 ? classes : Math.ceil(Math.sqrt(count)),
      ...(options.title ? { title: options.title } : {}),
    });
    return;
  }
  const dims = exampleSize(data.shape);
  const nData = Math.min(data.count, 2000);
  const points = new Float32Array((nData + count) * dims);
  points.set(data.data.subarray(0, nData * dims));
  points.set(values, nData * dims);
  const labels = Array.from({ length: nData + count }, (_, i) => (i < nData ? 'data' : 'model'));
  await writePointsPlot(file, points, dims, { labels, labelName: 'source', ...(options.title ? { title: options.title } : {}), ...(options.modes ? { modes: options.modes } : {}) });
}

/** Writes the first `count` images of `data` (row "input") over their reconstructions (row "reconstruction") to `file`. */
export async function writeReconGrid(model: TrainableModel, data: Dataset, file: string, options: Required<SampleGridOptions> & { title?: string }): Promise<void> {
  if (!model.reconstruct || data.kind !== 'images') return;
  const count = Math.min(options.count, data.count);
  const size = exampleSize(data.shape);
  const originals = data.data.slice(0, count * size);
  const rng = new Rng(options.seed);
  data.batchTransform?.(originals, rng); // e.g. binarise the same way every epoch
  const recon = tf.tidy(() => {
    const x = tf.tensor(originals, [count, ...data.shape]);
    const labels = data.labels?.kind === 'class' ? tf.tensor1d(data.labels.values.slice(0, count), 'int32') : undefined;
    return model.reconstruct!(x, rng, labels);
  });
  const values = await recon.data();
  recon.dispose();
  const both = new Float32Array(2 * count * size);
  both.set(originals);
  both.set(values, count * size);
  const [h, w, c] = data.shape as [number, number, number];
  await writeImageGrid(file, { data: both, count: 2 * count, shape: [h, w, c] }, { columns: count, rowLabels: ['input', 'reconstruction'], ...(options.title ? { title: options.title } : {}) });
}

const outDir = (ctx: TrainContext, dir: string | undefined, name: string): string | null =>
  dir ?? (ctx.runDir !== undefined ? join(ctx.runDir, name) : null);

/** What a per-epoch picture shows, for its caption: `runs/vae-mnist · vae on mnist · epoch 3 · seed 123`. */
const caption = (ctx: TrainContext, what: string, epoch: number, seed: number): string =>
  `${ctx.runDir !== undefined ? `${basename(ctx.runDir)} · ` : ''}${ctx.model.kind} on ${ctx.data.train.name} · ${what} · epoch ${epoch} of ${ctx.totalEpochs} · seed ${seed}`;

/** Callback: a sample grid per epoch into `dir` (default: the run folder's samples/). */
export function sampleGrids(options: SampleGridOptions & { dir?: string } = {}): TrainCallback {
  return {
    async onEpochEnd(epoch, _records, ctx) {
      const dir = outDir(ctx, options.dir, SAMPLES_DIR);
      if (!dir) return;
      const count = options.count ?? (ctx.data.train.kind === 'images' ? 64 : 1000);
      const seed = options.seed ?? ctx.options.sampleSeed;
      const name = ctx.data.train.name;
      const modes = (TOY_SETS as readonly string[]).includes(name) ? toyModes(name)?.centres : undefined;
      if (can(ctx.model, 'upscale')) {
        // A model that upscales cannot sample: its picture is the first test images, low-res | bicubic | model | original.
        const data = ctx.data.test && ctx.data.test.count > 0 ? ctx.data.test : ctx.data.train;
        const n = Math.min(8, data.count);
        const grid = upscaleGrid(ctx.model, data.data.subarray(0, n * exampleSize(data.shape)), n);
        await writeImageGrid(join(dir, epochFile(epoch)), grid, { columns: grid.columns, rowLabels: grid.rowLabels, title: caption(ctx, 'upscaled test images', epoch, seed) });
        return;
      }
      if (!can(ctx.model, 'sample')) return;
      await writeSampleGrid(ctx.model, ctx.data.test ?? ctx.data.train, join(dir, epochFile(epoch)), {
        count,
        seed,
        title: caption(ctx, ctx.data.train.kind === 'images' ? 'samples' : 'samples over data', epoch, seed),
        ...(modes ? { modes } : {}),
      });
    },
  };
}

/** Callback: a reconstruction grid per epoch into `dir` (default: the run folder's recon/), for autoencoders on images. */
export function reconGrids(options: SampleGridOptions & { dir?: string } = {}): TrainCallback {
  return {
    async onEpochEnd(epoch, _records, ctx) {
      const dir = outDir(ctx, options.dir, RECON_DIR);
      if (!dir || !ctx.model.reconstruct || ctx.data.train.kind !== 'images') return;
      const data = ctx.data.test && ctx.data.test.count > 0 ? ctx.data.test : ctx.data.train;
      const seed = options.seed ?? ctx.options.sampleSeed;
      await writeReconGrid(ctx.model, data, join(dir, epochFile(epoch)), { count: options.count ?? 10, seed, title: caption(ctx, 'test images and reconstructions', epoch, seed) });
    },
  };
}
