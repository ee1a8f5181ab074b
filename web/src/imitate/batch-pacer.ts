/**
 * The live DCGAN's minibatch size, chosen from measured times: the largest size whose work per animation frame (the
 * longest part of a step, live-models.ts) keeps the frame short — the DCGAN's convolutions are slow on wasm. It starts
 * small, doubles while a doubled batch would still fit — the time at most doubles with the batch — and halves when
 * frames run over; a size found too slow is tried again only after RETRY_AFTER steps (the machine may have been busy).
 */

/** Steps after which a size found too slow may be tried again. */
const RETRY_AFTER = 100;

export interface PacerOptions {
  /** Batch sizes to choose from, ascending. */
  sizes?: readonly number[];
  /** Milliseconds of training a frame may hold (default 70: with the redraw and a search block, frames stay under ~100 ms). */
  targetMs?: number;
  /** The first size (default the second smallest). */
  start?: number;
}

export class BatchPacer {
  readonly sizes: readonly number[];
  readonly targetMs: number;
  size: number;
  /** Smoothed milliseconds per frame at `size`, or null until measured. */
  msPerStep: number | null = null;
  private measured = 0;
  /** The first step at a new size is not timed (buffers allocated, shaders compiled on a GPU backend). */
  private skip = 1;
  /** Sizes at or above this ran over, `sinceCeiling` steps ago. */
  private ceiling = Infinity;
  private sinceCeiling = 0;

  constructor(options: PacerOptions = {}) {
    this.sizes = options.sizes ?? [8, 16, 32, 64];
    this.targetMs = options.targetMs ?? 70;
    this.size = options.start ?? this.sizes[Math.min(1, this.sizes.length - 1)]!;
  }

  /** Records a step whose longest part took `ms` at the current size; may change the size for the next step. */
  record(ms: number): void {
    if (++this.sinceCeiling > RETRY_AFTER) this.ceiling = Infinity;
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    this.msPerStep = this.msPerStep === null ? ms : 0.7 * this.msPerStep + 0.3 * ms;
    if (++this.measured < 3) return;
    const i = this.sizes.indexOf(this.size);
    if (this.msPerStep > 1.25 * this.targetMs && i > 0) {
      this.ceiling = this.size;
      this.sinceCeiling = 0;
      this.change(this.sizes[i - 1]!);
    } else if (2 * this.msPerStep <= this.targetMs && i + 1 < this.sizes.length && this.sizes[i + 1]! < this.ceiling) {
      this.change(this.sizes[i + 1]!);
    }
  }

  private change(size: number): void {
    this.size = size;
    this.msPerStep = null;
    this.measured = 0;
    this.skip = 1;
  }
}
