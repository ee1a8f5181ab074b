/**
 * Fresh models like the shipped VAE and DCGAN (same kind, config and data shape, new seeded weights), trained in the
 * page through the library's one training step (TrainStep) with the optimiser settings `genlab train` gives their
 * kind (KINDS[kind].optimizer: for the DCGAN, Radford et al.'s Adam), on seeded minibatches of the 60,000 training
 * digits. The two take turns by time — whichever has trained for less time steps next — so each gets half of the
 * compute: the VAE takes several quick steps for every slow DCGAN step. A model of several loss groups (the DCGAN's D
 * and G) takes its step in parts, one group per part and so one part per animation frame: the same updates, on the
 * same minibatch and at the same step, as one TrainStep.run of all groups, but each frame holds half the work. The
 * VAE's minibatch is `genlab train`'s 64, as the shipped one's; the DCGAN's is chosen by its measured time per part
 * (batch-pacer.ts).
 */
import { KINDS, NonFiniteTermError, Rng, termRecord, TrainStep, type Batch, type GenerativeModel, type GroupUpdate } from '../../../src/browser.js';
import { BatchPacer } from './batch-pacer.js';
import { DigitBatches } from './digit-batches.js';
import type { TrainingDigits } from './training-digits.js';

/** `genlab train`'s default minibatch, the shipped models'. */
export const SHIPPED_BATCH = 64;

type KindName = keyof typeof KINDS;
type KindOptions = Parameters<(typeof KINDS)[KindName]['create']>[0];

export class LiveModel {
  readonly model: GenerativeModel;
  private readonly trainer: TrainStep;
  private readonly batches: DigitBatches;
  /** The parts of a step: each group's updates on its own (several groups), or the whole step (one group). */
  private readonly parts: (readonly GroupUpdate[] | undefined)[];
  private part = 0;
  /** The minibatch of the step in progress (every part trains on it). */
  private batch: Batch | null = null;
  /** The latest terms of every group (`loss`, or `discriminator/loss`, `generator/loss`, …), or null before the first. */
  last: Record<string, number> | null = null;
  /** Milliseconds spent training, the last part's, and the longest part of the last whole step. */
  ms = 0;
  lastMs = 0;
  stepMs = 0;
  private longestPart = 0;

  /** A new model of `like`'s kind and config; one seed gives its weights, its noise and its shuffles. */
  constructor(
    like: GenerativeModel,
    digits: TrainingDigits,
    root: Rng,
    /** The minibatch size of the next step. */
    readonly batchSize: () => number,
  ) {
    const kind = KINDS[like.kind as KindName];
    const classes = like.classes ? { classes: [...like.classes] } : {};
    this.model = kind.create(like.config as KindOptions, { shape: [...like.dataShape], kind: like.dataKind, ...classes }, root.fork());
    this.trainer = new TrainStep(this.model, root.fork(), { ...(kind.optimizer(like.config as KindOptions) ?? {}) });
    this.batches = new DigitBatches(digits, root.fork());
    const groups = this.trainer.groups;
    this.parts = groups.length > 1 ? groups.map((g) => [{ group: g.group.name, times: g.steps }]) : [undefined];
  }

  /** Whole steps taken. */
  get step(): number {
    return this.trainer.step;
  }

  /** Training digits seen so far. */
  get examples(): number {
    return this.batches.drawn;
  }

  /**
   * The next part of a step (a new minibatch at its first); true when it completed a step. Throws a
   * NonFiniteTermError when a term turns NaN or infinite.
   */
  async run(): Promise<boolean> {
    if (this.part === 0) this.batch = this.batches.next(this.batchSize());
    const start = performance.now();
    const lastPart = this.part === this.parts.length - 1;
    const terms = termRecord(await this.trainer.run(this.batch!, this.parts[this.part], !lastPart));
    this.lastMs = performance.now() - start;
    this.ms += this.lastMs;
    this.longestPart = Math.max(this.longestPart, this.lastMs);
    this.last = { ...this.last, ...terms };
    this.part = (this.part + 1) % this.parts.length;
    if (this.part !== 0) return false; // the next part belongs to the same step
    this.stepMs = this.longestPart;
    this.longestPart = 0;
    return true;
  }

  dispose(): void {
    this.trainer.dispose();
    this.model.dispose();
  }
}

export class LiveModels {
  readonly vae: LiveModel;
  readonly gan: LiveModel;
  readonly pacer = new BatchPacer();
  /** Why training stopped (a NaN or infinite term), or null. */
  error: string | null = null;
  private disposed = false;

  constructor(shipped: { vae: GenerativeModel; gan: GenerativeModel }, digits: TrainingDigits, seed: number) {
    const root = new Rng(seed);
    this.vae = new LiveModel(shipped.vae, digits, root.fork(), () => SHIPPED_BATCH);
    this.gan = new LiveModel(shipped.gan, digits, root.fork(), () => this.pacer.size);
  }

  /** One step (or part of one) of whichever model has trained for less time; false on a NaN or infinite term (`error`), or once disposed. */
  async run(): Promise<boolean> {
    if (this.disposed) return false;
    const next = this.vae.ms <= this.gan.ms ? this.vae : this.gan;
    try {
      // A frame holds one part of the DCGAN's step: the pacer sizes its batch by the longest part.
      if ((await next.run()) && next === this.gan) this.pacer.record(next.stepMs);
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
    this.vae.dispose();
    this.gan.dispose();
  }
}
