/**
 * Tiny models and data for the trainer's tests (test/train-*.test.ts): they implement the TrainableModel contract
 * without the real model families, so the loop is tested on its own.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
// genlab's layer factories, as genlab's models use: a run resumed from its checkpoint loads the same classes.
import { dense } from '../../src/nets/layers.js';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDataset, type Dataset } from '../../src/data/dataset.js';
import { loadLayersModel, saveLayersModel } from '../../src/engine/model-io.js';
import { Rng } from '../../src/engine/rng.js';
import type { LossGroup, LossTerms, TensorBatch, TrainableModel } from '../../src/models/model.js';

export interface TinyConfig {
  shape: number[];
  latent: number;
  /** The loss becomes NaN from this global step (0-based) on. */
  nanAtStep?: number;
  /** model.save throws on its n-th call (1-based). */
  failSaveAt?: number;
}

const layerVariable = (w: tfl.LayerVariable): tf.Variable => w.read() as tf.Variable;

/**
 * A dense autoencoder with input noise drawn from the trainer's rng: loss = recon + reg, recon = mean squared error,
 * reg = 0.01 · mean z².
 */
export class TinyAutoencoder implements TrainableModel {
  readonly kind = 'tiny-ae';
  readonly dataShape: readonly number[];
  readonly dataKind = 'points' as const;
  private saves = 0;

  constructor(
    readonly config: TinyConfig,
    readonly encoder: tfl.LayersModel,
    readonly decoder: tfl.LayersModel,
  ) {
    this.dataShape = config.shape;
  }

  static create(config: TinyConfig, seed = 1): TinyAutoencoder {
    const d = config.shape.reduce((a, b) => a * b, 1);
    const rng = new Rng(seed);
    const init = (): ReturnType<typeof tfl.initializers.glorotUniform> => tfl.initializers.glorotUniform({ seed: rng.tfSeed() });
    const encoder = tfl.sequential({ layers: [dense({ inputShape: [d], units: config.latent, kernelInitializer: init() })] });
    const decoder = tfl.sequential({
      layers: [dense({ inputShape: [config.latent], units: 8, activation: 'tanh', kernelInitializer: init() }), dense({ units: d, kernelInitializer: init() })],
    });
    return new TinyAutoencoder(config, encoder, decoder);
  }

  static async load(dir: string): Promise<TinyAutoencoder> {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as TinyConfig;
    return new TinyAutoencoder(config, await loadLayersModel(join(dir, 'encoder')), await loadLayersModel(join(dir, 'decoder')));
  }

  private flat(x: tf.Tensor): tf.Tensor2D {
    return tf.reshape(x, [x.shape[0]!, -1]);
  }

  private terms(batch: TensorBatch, rng: Rng, noise: boolean): LossTerms {
    const x = this.flat(batch.x);
    const input = noise ? tf.add(x, tf.randomNormal(x.shape, 0, 0.05, 'float32', rng.tfSeed())) : x;
    const z = this.encoder.apply(input) as tf.Tensor2D;
    const y = this.decoder.apply(z) as tf.Tensor2D;
    const recon = tf.losses.meanSquaredError(x, y) as tf.Scalar;
    const reg = tf.mul(tf.mean(tf.square(z)), 0.01) as tf.Scalar;
    return { loss: tf.add(recon, reg), recon, reg };
  }

  lossGroups(): LossGroup[] {
    return [
      {
        name: 'ae',
        variables: this.variables(),
        loss: (batch, rng, step) => {
          const terms = this.terms(batch, rng, true);
          if (this.config.nanAtStep !== undefined && step >= this.config.nanAtStep) {
            return { ...terms, loss: tf.add(terms.loss, NaN), reg: tf.mul(terms['reg']!, NaN) };
          }
          return terms;
        },
      },
    ];
  }

  evaluate(batch: TensorBatch, rng: Rng): Record<string, tf.Scalar> {
    return this.terms(batch, rng, true);
  }

  sample(n: number, rng: Rng): tf.Tensor {
    const z = tf.randomNormal([n, this.config.latent], 0, 1, 'float32', rng.tfSeed());
    return tf.reshape(tf.sigmoid(this.decoder.apply(z) as tf.Tensor), [n, ...this.dataShape]);
  }

  reconstruct(x: tf.Tensor): tf.Tensor {
    const y = this.decoder.apply(this.encoder.apply(this.flat(x))) as tf.Tensor;
    return tf.reshape(y, x.shape);
  }

  async save(dir: string): Promise<void> {
    this.saves += 1;
    if (this.config.failSaveAt === this.saves) throw new Error('disk full (test)');
    await mkdir(dir, { recursive: true });
    await saveLayersModel(this.encoder, join(dir, 'encoder'));
    await saveLayersModel(this.decoder, join(dir, 'decoder'));
    const { failSaveAt: _omit, ...config } = this.config;
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  }

  variables(): tf.Variable[] {
    return [...this.encoder.trainableWeights, ...this.decoder.trainableWeights].map(layerVariable);
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
  }
}

/**
 * Two loss groups over plain variables, like a GAN's: `first` updates `a`, `second` (stepped `secondSteps` times)
 * updates `b`; each loss depends on both. Every call records what it saw, so a test can check that a group's update
 * left the other group's variables alone.
 */
/** A model of two variables `a` and `b` (points of dimension 1 or 2), not saved: the trainer's two-group tests. */
abstract class TwoVariableModel {
  constructor(
    readonly a: tf.Variable,
    readonly b: tf.Variable,
  ) {}

  async save(): Promise<void> {}

  variables(): tf.Variable[] {
    return [this.a, this.b];
  }

  dispose(): void {
    this.a.dispose();
    this.b.dispose();
  }
}

export class TwoGroupModel extends TwoVariableModel implements TrainableModel {
  readonly kind = 'two-group';
  readonly config = {};
  readonly dataShape = [2];
  readonly dataKind = 'points' as const;
  /** One entry per loss call: group, step, a and b as the loss saw them, and the labels' dtype and shape. */
  readonly calls: { group: string; step: number; a: number[]; b: number[]; labels: string }[] = [];

  constructor(readonly secondSteps = 2) {
    super(tf.variable(tf.tensor1d([0.5, -0.5]), true, 'two_a'), tf.variable(tf.tensor1d([1, 2]), true, 'two_b'));
  }

  private record(group: string, step: number, batch: TensorBatch): void {
    const labels = batch.labels ? `${batch.labels.dtype}[${batch.labels.shape}]` : 'none';
    this.calls.push({ group, step, a: Array.from(this.a.dataSync()), b: Array.from(this.b.dataSync()), labels });
  }

  lossGroups(): LossGroup[] {
    return [
      {
        name: 'first',
        variables: [this.a],
        loss: (batch, _rng, step) => {
          this.record('first', step, batch);
          const m = tf.mean(batch.x, 0);
          const loss = tf.sum(tf.square(tf.sub(tf.sub(this.a, this.b), m))) as tf.Scalar;
          return { loss };
        },
      },
      {
        name: 'second',
        variables: [this.b],
        steps: this.secondSteps,
        loss: (batch, _rng, step) => {
          this.record('second', step, batch);
          const loss = tf.sum(tf.square(tf.sub(tf.add(this.a, this.b), 1))) as tf.Scalar;
          return { loss, gap: tf.mean(tf.abs(tf.sub(this.a, this.b))) as tf.Scalar };
        },
      },
    ];
  }

  evaluate(): Record<string, tf.Scalar> {
    return { loss: tf.sum(tf.square(tf.sub(tf.add(this.a, this.b), 1))) as tf.Scalar };
  }

  sample(n: number): tf.Tensor {
    return tf.tile(tf.expandDims(this.a, 0), [n, 1]);
  }

}

/**
 * `count` small images [side, side, 1] in [0, 1]: blurry blobs at random places (seeded), with 3 classes.
 * `dynamic`: binarised afresh at every pass from the trainer's rng (like MNIST's dynamic binarisation).
 */
export function tinyImages(count: number, seed: number, options: { side?: number; dynamic?: boolean } = {}): Dataset {
  const side = options.side ?? 4;
  const rng = new Rng(seed);
  const data = new Float32Array(count * side * side);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const cy = rng.uniform() * side;
    const cx = rng.uniform() * side;
    labels[i] = rng.int(3);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) data[i * side * side + y * side + x] = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 2);
    }
  }
  const ds = makeDataset({ name: 'tiny-images', kind: 'images', shape: [side, side, 1], data, labels: { kind: 'class', values: labels, classes: ['a', 'b', 'c'] } });
  if (options.dynamic) {
    ds.batchTransform = (x, rng) => {
      if (!rng) throw new Error('dynamic binarisation needs an rng');
      for (let i = 0; i < x.length; i++) x[i] = rng.uniform() < x[i]! ? 1 : 0;
    };
  }
  return ds;
}

/** `count` 2-D points around (1, -1), with class labels. */
export function tinyPoints(count: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const data = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    data[2 * i] = 1 + 0.1 * rng.normal();
    data[2 * i + 1] = -1 + 0.1 * rng.normal();
  }
  return makeDataset({ name: 'tiny-points', kind: 'points', shape: [2], data, labels: { kind: 'class', values: new Int32Array(count), classes: ['only'] } });
}

/** The run the resume tests train: 6 steps per epoch, a test split, dynamic binarisation, Adam. */
export const RESUME_CONFIG: TinyConfig = { shape: [4, 4, 1], latent: 3 };
export const resumeData = (): { train: Dataset; test: Dataset } => ({
  train: tinyImages(96, 1, { dynamic: true }),
  test: tinyImages(32, 2, { dynamic: true }),
});
export const RESUME_OPTIONS = { batchSize: 16, learningRate: 1e-2, seed: 7 } as const;

/**
 * Two scalar variables, `a` (group 'inner') and `b` (group 'outer', which wraps 'inner'): the outer loss computes
 * h = 2b on its tape, runs the inner update (inner loss (a − h)², h given to it), then (a·h − 1)² with a updated.
 * Without the outer group's `inner` (a plan's single updates) the inner loss computes h itself. `hPasses` counts the
 * computations of h.
 */
export class WrappingModel extends TwoVariableModel implements TrainableModel {
  readonly kind = 'wrapping';
  readonly config = {};
  readonly dataShape = [1];
  readonly dataKind = 'points' as const;
  hPasses = 0;
  /** The gradient depth each inner loss ran at: 1 when its update is off the outer loss's tape. */
  readonly innerDepths: number[] = [];
  private shared: tf.Scalar | null = null;

  constructor() {
    super(tf.variable(tf.scalar(0.5), true, 'wrap_a'), tf.variable(tf.scalar(1), true, 'wrap_b'));
  }

  private h(): tf.Scalar {
    this.hPasses += 1;
    return tf.mul(this.b, 2) as tf.Scalar;
  }

  lossGroups(): LossGroup[] {
    return [
      {
        name: 'inner',
        variables: [this.a],
        loss: () => {
          this.innerDepths.push(tf.engine().state.gradientDepth);
          return { loss: tf.square(tf.sub(this.a, this.shared ?? this.h())) as tf.Scalar };
        },
      },
      {
        name: 'outer',
        variables: [this.b],
        wraps: ['inner'],
        loss: (_batch, _rng, _step, inner) => {
          const h = this.h();
          if (inner) {
            this.shared = h;
            try {
              inner();
            } finally {
              this.shared = null;
            }
          }
          return { loss: tf.square(tf.sub(tf.mul(this.a, h), 1)) as tf.Scalar };
        },
      },
    ];
  }

  evaluate(): Record<string, tf.Scalar> {
    return { loss: tf.square(tf.sub(tf.mul(this.a, tf.mul(this.b, 2)), 1)) as tf.Scalar };
  }

  sample(n: number): tf.Tensor {
    return tf.fill([n, 1], 0);
  }

}
