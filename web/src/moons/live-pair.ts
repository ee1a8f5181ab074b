/**
 * A fresh AE and VAE like the shipped ones (same kind, config and data shape, new seeded weights), trained in the page
 * through the library's one training step (TrainStep), each on its own shuffled minibatches of the same moons, with
 * the optimiser settings `genlab train` gives their kind.
 */
import { can, endlessBatches, KINDS, NonFiniteTermError, Rng, termRecord, TrainStep, type Batch, type Dataset } from '../../../src/browser.js';
import type { Coder } from './path.js';

/** `genlab train`'s default minibatch, as the shipped models were trained. */
const BATCH = 64;

type KindName = keyof typeof KINDS;
type KindOptions = Parameters<(typeof KINDS)[KindName]['create']>[0];

/** A new model of `like`'s kind and config, with weights drawn from `rng`. */
function freshLike(like: Coder, rng: Rng): Coder {
  const spec = KINDS[like.kind as KindName];
  const model = spec.create(like.config as KindOptions, { shape: [...like.dataShape], kind: like.dataKind }, rng);
  if (!can(model, 'encode')) {
    model.dispose();
    throw new Error(`${like.kind}: a fresh model cannot encode`);
  }
  return model;
}

class LiveModel {
  readonly model: Coder;
  readonly trainer: TrainStep;
  private readonly stream: Generator<Batch, never>;
  /** The last step's terms (loss, recon, kl, …), or null before the first. */
  last: Record<string, number> | null = null;

  constructor(like: Coder, train: Dataset, root: Rng) {
    this.model = freshLike(like, root.fork());
    const optimizer = KINDS[like.kind as KindName].optimizer(like.config as KindOptions);
    this.trainer = new TrainStep(this.model, root.fork(), { ...(optimizer ?? {}) });
    this.stream = endlessBatches(train, { batchSize: BATCH, rng: root.fork(), dropLast: true });
  }

  async run(): Promise<void> {
    this.last = termRecord(await this.trainer.run(this.stream.next().value));
  }

  dispose(): void {
    this.trainer.dispose();
    this.model.dispose();
  }
}

export class LivePair {
  readonly ae: LiveModel;
  readonly vae: LiveModel;
  /** Set when a step stopped on a NaN or infinite term. */
  error: string | null = null;
  private disposed = false;

  /** Fresh models like `ae` and `vae` to train on `train`; one seed gives the weights, the noise and the shuffles. */
  constructor(ae: Coder, vae: Coder, train: Dataset, seed: number) {
    const root = new Rng(seed);
    this.ae = new LiveModel(ae, train, root.fork());
    this.vae = new LiveModel(vae, train, root.fork());
  }

  /** Steps both models have taken. */
  get step(): number {
    return Math.min(this.ae.trainer.step, this.vae.trainer.step);
  }

  /**
   * One step of whichever model is behind (the two take turns, so a frame holds one step, not two); false when a
   * term turned NaN or infinite (`error` says which), or once disposed.
   */
  async run(): Promise<boolean> {
    if (this.disposed) return false;
    const next = this.vae.trainer.step < this.ae.trainer.step ? this.vae : this.ae;
    try {
      await next.run();
    } catch (e) {
      if (this.disposed) return false;
      if (!(e instanceof NonFiniteTermError)) throw e;
      this.error = e.message;
      return false;
    }
    return !this.disposed;
  }

  dispose(): void {
    this.disposed = true;
    this.ae.dispose();
    this.vae.dispose();
  }
}
