/**
 * Whether and how the CLI shows progress: bars on stderr when it is a terminal, or when GENLAB_PROGRESS=1 asks for
 * them anyway (a log that should show them); GENLAB_PROGRESS=0 turns them off. Output to a pipe stays clean.
 */
import { taskBar } from '../index.js';

export function barsWanted(): boolean {
  const forced = process.env['GENLAB_PROGRESS'];
  if (forced === '1') return true;
  if (forced === '0') return false;
  return process.stderr.isTTY === true;
}

/**
 * A bar labelled `label` for a library call: spread `options` into its options (they hold `onProgress(done, total)`,
 * or nothing when bars are off) and call `stop` when it returns.
 */
export function progressFor(label: string): { options: { onProgress?: (done: number, total: number) => void }; stop: () => void } {
  if (!barsWanted()) return { options: {}, stop: () => {} };
  const bar = taskBar(label);
  return { options: { onProgress: bar.onProgress }, stop: bar.stop };
}
