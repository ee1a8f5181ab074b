/**
 * Minibatches of the 60,000 MNIST training digits the page already holds as bytes (training-digits.ts), for the live
 * models: epochs of a seeded shuffle, as `genlab train` draws them, each batch turned into floats only when drawn
 * (the whole split as floats would be 188 MB). The batch size may change from one call to the next.
 */
import type { Batch, Rng } from '../../../src/browser.js';
import { rowsAsFloats, type TrainingDigits } from './training-digits.js';

export class DigitBatches {
  private order: Int32Array;
  private at = 0;
  /** Digits drawn so far (over all epochs). */
  drawn = 0;

  constructor(
    private readonly digits: TrainingDigits,
    private readonly rng: Rng,
  ) {
    this.order = rng.permutation(digits.count);
  }

  /** The next `size` digits of the shuffle; a new shuffle starts when the epoch has fewer left (they are dropped). */
  next(size: number): Batch {
    if (this.at + size > this.order.length) {
      this.order = this.rng.permutation(this.digits.count);
      this.at = 0;
    }
    const indices = this.order.slice(this.at, this.at + size);
    this.at += size;
    this.drawn += size;
    const n = this.digits.size;
    const x = new Float32Array(size * n);
    indices.forEach((i, k) => x.set(rowsAsFloats(this.digits, i, i + 1), k * n));
    return { x, size, shape: [size, ...this.digits.shape], indices };
  }
}
