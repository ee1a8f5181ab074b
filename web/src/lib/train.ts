/**
 * Training in slices for live pages: one call = one minibatch update of every loss group of a TrainableModel
 * (src/models/model.ts), the same contract the Node trainer follows — the page decides when to call it (a few
 * steps per animation frame, see loop.ts), so the tab stays responsive.
 */
import { batches, Rng, tf, type Batch, type Dataset, type LossTerms, type TensorBatch, type TrainableModel } from '../../../src/browser.js';

export interface SliceTrainerOptions {
  batchSize: number;
  learningRate: number;
  seed: number;
  /**
   * What to minimise from a group's named terms (default: its `loss`). The KL page passes `recon` alone to show
   * what happens without the KL term.
   */
  objective?: (terms: LossTerms, group: string) => tf.Scalar;
}

export class SliceTrainer {
  /** Updates done so far. */
  step = 0;
  private readonly optimizers = new Map<string, tf.Optimizer>();
  private readonly rng: Rng;
  private readonly shuffle: Rng;
  private epoch: Generator<Batch>;

  constructor(
    readonly model: TrainableModel,
    readonly data: Dataset,
    readonly options: SliceTrainerOptions,
  ) {
    const root = new Rng(options.seed);
    this.rng = root.fork();
    this.shuffle = root.fork();
    this.epoch = this.newEpoch();
  }

  private newEpoch(): Generator<Batch> {
    return batches(this.data, { batchSize: this.options.batchSize, rng: this.shuffle, dropLast: true });
  }

  private nextBatch(): Batch {
    let next = this.epoch.next();
    if (next.done) {
      this.epoch = this.newEpoch();
      next = this.epoch.next();
    }
    if (next.done) throw new Error(`trainer: ${this.data.count} examples are fewer than one batch of ${this.options.batchSize}`);
    return next.value;
  }

  /** One update of every loss group on the next minibatch; returns the terms of each group, as numbers. */
  trainStep(): Record<string, number> {
    const batch = this.nextBatch();
    const tb: TensorBatch = { x: tf.tensor(batch.x, batch.shape, 'float32') };
    const out: Record<string, number> = {};
    try {
      const groups = this.model.lossGroups();
      for (const group of groups) {
        const prefix = groups.length > 1 ? `${group.name}.` : '';
        let optimizer = this.optimizers.get(group.name);
        if (!optimizer) this.optimizers.set(group.name, (optimizer = tf.train.adam(this.options.learningRate)));
        for (let s = 0; s < (group.steps ?? 1); s++) {
          let names: string[] = [];
          let packed: tf.Tensor | null = null;
          optimizer.minimize(
            () => {
              const terms = group.loss(tb, this.rng, this.step);
              names = Object.keys(terms);
              packed = tf.keep(tf.stack(names.map((k) => terms[k]!)));
              return this.options.objective ? this.options.objective(terms, group.name) : terms.loss;
            },
            false,
            group.variables,
          );
          const values = (packed as tf.Tensor | null)?.dataSync() ?? new Float32Array(0);
          (packed as tf.Tensor | null)?.dispose();
          names.forEach((k, i) => (out[prefix + k] = values[i]!));
        }
      }
    } finally {
      tb.x.dispose();
    }
    this.step++;
    return out;
  }

  dispose(): void {
    for (const o of this.optimizers.values()) o.dispose();
    this.optimizers.clear();
  }
}
