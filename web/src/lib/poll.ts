/**
 * Live refresh: calls `tick` every `ms` milliseconds while the tab is visible, and at once when it becomes visible
 * again. Ticks never overlap (a slow server delays the next one); a tick that throws is reported to `onError` and
 * the polling goes on (a run folder being rewritten can fail one read).
 */
export interface Poller {
  /** Runs a tick now (after the one in flight, if any). */
  now(): Promise<void>;
  stop(): void;
}

export function poll(tick: () => Promise<void>, ms: number, onError: (e: unknown) => void): Poller {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = (): Promise<void> => {
    clearTimeout(timer);
    running = running
      .then(tick)
      .catch(onError)
      .finally(() => {
        if (!stopped && document.visibilityState === 'visible') timer = setTimeout(() => void run(), ms);
      });
    return running;
  };
  const onVisible = (): void => {
    if (document.visibilityState === 'visible' && !stopped) void run();
  };
  document.addEventListener('visibilitychange', onVisible);
  timer = setTimeout(() => void run(), ms);
  return {
    now: run,
    stop() {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    },
  };
}
