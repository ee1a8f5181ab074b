/**
 * Ctrl-C, SIGTERM and SIGHUP during a long command: the first stops the work cleanly through an AbortSignal (a
 * training run saves a checkpoint and marks itself 'stopped'), a second Ctrl-C quits at once with status 130.
 * The library owns no signals; only the CLI installs these.
 */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface SignalStop {
  readonly signal: AbortSignal;
  /** Removes the handlers (call when the work is done). */
  release(): void;
}

export function stopOnSignals(what = 'stopping after this step and saving a checkpoint'): SignalStop {
  const controller = new AbortController();
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
    release: () => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}
