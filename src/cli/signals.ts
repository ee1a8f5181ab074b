/**
 * Ctrl-C, SIGTERM and SIGHUP during a long command: the first stops the work cleanly through an AbortSignal (a
 * training run saves a checkpoint and marks itself 'stopped'), a second Ctrl-C quits at once with status 130. A time
 * limit (`genlab train --time-limit`) stops the work the same way when it runs out.
 * The library owns no signals; only the CLI installs these.
 */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface SignalStop {
  readonly signal: AbortSignal;
  /** What stopped the work: a signal's name, 'time-limit', or null while nothing has. */
  stoppedBy(): string | null;
  /** Removes the handlers (call when the work is done). */
  release(): void;
}

export function stopOnSignals(what = 'stopping after this step and saving a checkpoint', minutes?: number): SignalStop {
  const controller = new AbortController();
  const timer = minutes === undefined ? null : setTimeout(() => controller.abort('time-limit'), minutes * 60_000);
  timer?.unref();
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      if (name === 'SIGINT') process.exit(130);
      return;
    }
    controller.abort(name);
    process.stderr.write(`\ngenlab: ${name === 'SIGINT' ? 'Ctrl-C' : name}: ${what} (Ctrl-C again to quit at once)\n`);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return {
    signal: controller.signal,
    stoppedBy: () => (controller.signal.aborted ? String(controller.signal.reason) : null),
    release: () => {
      if (timer) clearTimeout(timer);
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}
