/**
 * A fresh model like the shipped Pokémon VAE — its kind and config through the kinds table, the same data shape, new
 * seeded weights — trained in the page through the library's one training step (TrainStep) on shuffled minibatches
 * of the Pokémon training split, with the optimiser settings `genlab train` gives its kind.
 */
import {
  can,
  endlessBatches,
  KINDS,
  NonFiniteTermError,
  Rng,
  termRecord,
  TrainStep,
  type Batch,
  type Dataset,
  type GenerativeModel,
  type VAE,
} from '../../../src/browser.js';

/** `genlab train`'s default minibatch, as the shipped model was trained. */
export const LIVE_BATCH = 64;

/** A model that scores log p(x) and reconstructs: what the page judges images with. */
export type Scorer = VAE & GenerativeModel;

type KindName = keyof typeof KINDS;
type KindOptions = Parameters<(typeof KINDS)[KindName]['create']>[0];

/** A new model of `like`'s kind and config, weights drawn from `rng`. */
function freshLike(like: Scorer, rng: Rng): Scorer {
  if (!Object.hasOwn(KINDS, like.kind)) throw new Error(`${like.kind}: not a kind the kinds table can build`);
  const model = KINDS[like.kind as KindName].create(like.config as KindOptions, { shape: [...like.dataShape], kind: like.dataKind }, rng);
  if (!can(model, 'score') || !can(model, 'reconstruct')) {
    model.dispose();
    throw new Error(`${like.kind}: a fresh model cannot score images`);
  }
  return model;
}

export class LiveVae {
  readonly model: Scorer;
  private readonly trainer: TrainStep;
  private readonly stream: Generator<Batch, never>;
  /** The last step's terms (loss, negElbo, recon, kl, weightDecay, …), or null before the first. */
  last: Record<string, number> | null = null;
  /** −ELBO of every step's minibatch, for the loss curve. */
  readonly curve: { steps: number[]; negElbo: number[] } = { steps: [], negElbo: [] };
  /** Milliseconds the last step took (the page tells the user when its backend is slow). */
  msPerStep = NaN;
  /** Why training stopped (a NaN or infinite term), or null. */
  error: string | null = null;
  private disposed = false;

  /** A model like `like` to train on `train`; one seed gives the weights, the model's noise and the shuffles. */
  constructor(like: Scorer, readonly train: Dataset, seed: number) {
    const root = new Rng(seed);
    this.model = freshLike(like, root.fork());
    const optimizer = KINDS[like.kind as KindName].optimizer(like.config as KindOptions);
    this.trainer = new TrainStep(this.model, root.fork(), { ...(optimizer ?? {}) });
    this.stream = endlessBatches(train, { batchSize: LIVE_BATCH, rng: root.fork(), dropLast: true });
  }

  /** Steps taken. */
  get step(): number {
    return this.trainer.step;
  }

  /** Passes over the training split so far. */
  get epochs(): number {
    return (this.trainer.step * LIVE_BATCH) / this.train.count;
  }

  /** One step on the next minibatch; false (with `error` set) when a term turned NaN or infinite, or once disposed. */
  async run(): Promise<boolean> {
    if (this.disposed) return false;
    try {
      const t0 = performance.now();
      const terms = termRecord(await this.trainer.run(this.stream.next().value));
      if (this.disposed) return false;
      this.msPerStep = performance.now() - t0;
      this.last = terms;
      this.curve.steps.push(this.trainer.step);
      this.curve.negElbo.push(terms['negElbo'] ?? terms['loss'] ?? NaN);
      return true;
    } catch (e) {
      if (this.disposed) return false;
      if (!(e instanceof NonFiniteTermError)) throw e;
      this.error = e.message;
      return false;
    }
  }

  dispose(): void {
    this.disposed = true;
    this.trainer.dispose();
    this.model.dispose();
  }
}
