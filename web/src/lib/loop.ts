/**
 * Play/pause for live figures: work runs in small slices inside requestAnimationFrame, a few milliseconds per
 * frame, then the figure redraws once — the tab never freezes, whatever the model.
 *
 * Work may be asynchronous (a TrainStep reads its terms back with one `await`): each unit is awaited before the next
 * starts, and every unit — the loop's own and a page's manual ones (`once`, `exclusive`) — runs strictly one after
 * the other, never two at a time, whatever the user clicks in between.
 */

export interface LoopOptions {
  /** Milliseconds of work per frame (default 10: leaves time to draw at 60 fps). */
  budgetMs?: number;
  /** Most work calls per second (default unlimited); EM at a watchable pace, for example. */
  rate?: () => number;
  /** Called when the loop starts or stops. */
  onChange?: (playing: boolean) => void;
  /** Receives what work() threw (the loop has paused); without it the error propagates. */
  onError?: (e: unknown) => void;
}

export class Loop {
  private frame = 0;
  private credit = 0;
  private last = 0;
  /** Bumped by every play(), so a slice still awaiting after pause() + play() does not start a second loop. */
  private generation = 0;
  /** Settles when the unit of work in flight (if any) has finished: the next one starts only then. */
  private busy: Promise<void> = Promise.resolve();

  /**
   * `work()` does one small unit (an EM iteration, a training step) and returns false to stop the loop;
   * `draw()` redraws after each frame that did work.
   */
  constructor(
    private readonly work: () => boolean | Promise<boolean>,
    private readonly draw: () => void,
    private readonly options: LoopOptions = {},
  ) {}

  get playing(): boolean {
    return this.frame !== 0;
  }

  play(): void {
    if (this.playing) return;
    this.credit = 1;
    this.last = performance.now();
    const gen = ++this.generation;
    this.frame = requestAnimationFrame((t) => void this.tick(t, gen));
    this.options.onChange?.(true);
  }

  pause(): void {
    if (!this.playing) return;
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.options.onChange?.(false);
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  /** Runs `fn` once the work in flight (if any) has finished, and holds off the next unit until `fn` has. */
  exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.busy.then(fn);
    this.busy = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * A manual step: pauses, then runs `fn` (default: the loop's work) after any work in flight, and redraws. What it
   * throws goes to `onError`, as the loop's own errors do. Resolves to what `fn` returned (false on an error).
   */
  async once<T>(fn: () => T | Promise<T> = this.work as () => T | Promise<T>): Promise<T | false> {
    this.pause();
    let result: T | false;
    try {
      result = await this.exclusive(fn);
    } catch (e) {
      this.draw();
      if (!this.options.onError) throw e;
      this.options.onError(e);
      return false;
    }
    this.draw();
    return result;
  }

  private async tick(now: number, gen: number): Promise<void> {
    const budget = this.options.budgetMs ?? 10;
    const rate = this.options.rate?.() ?? Infinity;
    const limited = Number.isFinite(rate) && rate > 0;
    // With a rate, work earns credit with time (at most a tenth of a second's worth carried over).
    if (limited) this.credit = Math.min(this.credit + (Math.max(0, now - this.last) / 1000) * rate, Math.max(1, rate / 10));
    this.last = now;
    const start = performance.now();
    let did = false;
    let keepGoing = true;
    while ((!limited || this.credit >= 1) && performance.now() - start < budget) {
      if (limited) this.credit -= 1;
      did = true;
      try {
        // Paused or restarted while waiting for a manual step: this slice ends without working.
        keepGoing = await this.exclusive(() => (gen === this.generation && this.playing ? this.work() : false));
      } catch (e) {
        if (gen !== this.generation) return; // a newer loop owns the page now
        this.pause();
        this.draw();
        if (!this.options.onError) throw e;
        this.options.onError(e);
        return;
      }
      if (!keepGoing || gen !== this.generation || !this.playing) break;
    }
    if (gen !== this.generation) return;
    if (did) this.draw();
    if (!this.playing) return;
    if (!keepGoing) {
      this.pause();
      return;
    }
    this.frame = requestAnimationFrame((t) => void this.tick(t, gen));
  }
}
