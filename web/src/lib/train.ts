/**
 * Training in slices for live pages: one call = one minibatch and its updates of a TrainableModel's loss groups
 * (src/models/model.ts), the same contract the Node trainer follows — the page decides when to call it (a few
 * steps per animation frame, see loop.ts), so the tab stays responsive. `trainStep` updates every group as the
 * model declares; `trainGroups` updates the groups a page names (a GAN page: "D step", "G step").
 */
import { batches, Rng, tf, type Batch, type Dataset, type LossTerms, type TensorBatch, type TrainableModel } from '../../../src/browser.js';

export interface SliceTrainerOptions {
  batchSize: number;
  /** Adam's step size when no `optimizer` is given. */
  learningRate?: number;
  seed: number;
  /**
   * What to minimise from a group's named terms (default: its `loss`). The KL page passes `recon` alone to show
   * what happens without the KL term.
   */
  objective?: (terms: LossTerms, group: string) => tf.Scalar;
  /** A new optimiser for a loss group (default: Adam at `learningRate`); called at the group's first update. */
  optimizer?: (group: string) => tf.Optimizer;
}

/** `times` updates of the loss group named `group`. */
export interface GroupUpdate {
  group: string;
  times: number;
}

export class SliceTrainer {
  /** Minibatches trained on so far (calls of trainStep / trainGroups). */
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

  private optimizerFor(group: string): tf.Optimizer {
    let optimizer = this.optimizers.get(group);
    if (!optimizer) {
      optimizer = this.options.optimizer?.(group) ?? tf.train.adam(this.options.learningRate ?? 1e-3);
      this.optimizers.set(group, optimizer);
    }
    return optimizer;
  }

  /** One update of every loss group on the next minibatch (each group `steps` times); returns the terms of each group, as numbers. */
  trainStep(): Record<string, number> {
    return this.trainGroups(this.model.lossGroups().map((g) => ({ group: g.name, times: g.steps ?? 1 })));
  }

  /**
   * The next minibatch, then the updates of `plan` in order, all on that batch (as the Node trainer does with a
   * GAN's dSteps). Returns the terms of each updated group's last update, as numbers, named `group.term` when the
   * model has several groups.
   */
  trainGroups(plan: readonly GroupUpdate[]): Record<string, number> {
    const batch = this.nextBatch();
    const tb: TensorBatch = { x: tf.tensor(batch.x, batch.shape, 'float32') };
    const out: Record<string, number> = {};
    try {
      const groups = this.model.lossGroups();
      for (const { group: name, times } of plan) {
        const group = groups.find((g) => g.name === name);
        if (!group) throw new Error(`trainer: no loss group '${name}' (the model has ${groups.map((g) => g.name).join(', ')})`);
        const prefix = groups.length > 1 ? `${group.name}.` : '';
        const optimizer = this.optimizerFor(group.name);
        for (let s = 0; s < times; s++) {
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

  /** Drops the optimisers and their state: the next update makes new ones (after a learning-rate or optimiser change). */
  resetOptimizers(): void {
    for (const o of this.optimizers.values()) o.dispose();
    this.optimizers.clear();
  }

  dispose(): void {
    this.resetOptimizers();
  }
}
