/**
 * A fresh AE and VAE like the shipped ones (same kind, config and data shape, new seeded weights), trained in the page
 * through the library's one training step (TrainStep), each on its own shuffled minibatches of the same moons, with
 * the optimiser settings `genlab train` gives their kind.
 */
import { Rng, type Dataset } from '../../../src/browser.js';
import { LiveModel } from '../lib/live-model.js';
import type { Coder } from './path.js';

/** `genlab train`'s default minibatch, as the shipped models were trained. */
const BATCH = 64;

export class LivePair {
  readonly ae: LiveModel<Coder>;
  readonly vae: LiveModel<Coder>;
  /** Set when a step stopped on a NaN or infinite term. */
  error: string | null = null;
  private disposed = false;

  /** Fresh models like `ae` and `vae` to train on `train`; one seed gives the weights, the noise and the shuffles. */
  constructor(ae: Coder, vae: Coder, train: Dataset, seed: number) {
    const root = new Rng(seed);
    this.ae = new LiveModel(ae, train, root.fork(), BATCH);
    this.vae = new LiveModel(vae, train, root.fork(), BATCH);
  }

  /** Steps both models have taken. */
  get step(): number {
    return Math.min(this.ae.step, this.vae.step);
  }

  /**
   * One step of whichever model is behind (the two take turns, so a frame holds one step, not two); false when a
   * term turned NaN or infinite (`error` says which), or once disposed.
   */
  async run(): Promise<boolean> {
    if (this.disposed) return false;
    const next = this.vae.step < this.ae.step ? this.vae : this.ae;
    if (await next.run()) return !this.disposed;
    this.error = next.error;
    return false;
  }

  dispose(): void {
    this.disposed = true;
    this.ae.dispose();
    this.vae.dispose();
  }
}
