/**
 * A fresh VAE of the shipped model's config, trained in the page through the library's one training step
 * (TrainStep) on shuffled minibatches of MNIST training digits.
 */
import { endlessBatches, NonFiniteTermError, Rng, termRecord, TrainStep, VAE, type Batch, type Dataset } from '../../../src/browser.js';

const BATCH = 100;
const LEARNING_RATE = 1e-3;

export class LiveVae {
  readonly model: VAE;
  private readonly trainer: TrainStep;
  private readonly stream: Generator<Batch, never>;
  /** The last step's terms (loss = −ELBO, recon, kl, …), or null before the first. */
  last: Record<string, number> | null = null;
  /** Why training stopped (a NaN or infinite term), or null. */
  error: string | null = null;
  private disposed = false;

  /** A new VAE like `like` (same config and data shape, new seeded weights) to train on `train`. */
  constructor(like: VAE, train: Dataset, seed: number) {
    const root = new Rng(seed);
    this.model = VAE.create(like.config, { shape: like.dataShape, kind: 'images' }, root.fork());
    // One seed: the weights, the model's noise and the shuffles from separate streams.
    this.trainer = new TrainStep(this.model, root.fork(), { learningRate: LEARNING_RATE });
    this.stream = endlessBatches(train, { batchSize: BATCH, rng: root.fork(), dropLast: true });
  }

  get step(): number {
    return this.trainer.step;
  }

  /** Examples seen so far. */
  get examples(): number {
    return this.trainer.step * BATCH;
  }

  /** One step on the next minibatch; false (with `error` set) when a term turned NaN or infinite, or once disposed. */
  async run(): Promise<boolean> {
    if (this.disposed) return false;
    try {
      const terms = termRecord(await this.trainer.run(this.stream.next().value));
      if (this.disposed) return false;
      this.last = terms;
      return true;
    } catch (e) {
      if (this.disposed) return false;
      if (e instanceof NonFiniteTermError) {
        this.error = e.message;
        return false;
      }
      throw e;
    }
  }

  dispose(): void {
    this.disposed = true;
    this.trainer.dispose();
    this.model.dispose();
  }
}
