/**
 * One writer per run folder: `fit` and `resumeRun` hold `RUN/.lock` while they write, so a second
 * `genlab train … --resume` on the same folder is refused in one line instead of interleaving checkpoints and
 * metrics with the first.
 *
 * The lock is a file created exclusively (O_EXCL) holding the holder's pid, host and start time. A lock whose holder
 * is gone — same host, and no process of that pid (a `kill -9`, a crash, a second Ctrl-C that quit at once) — is
 * stale and taken over. A lock of another host cannot be checked and is never taken: the message says which file to
 * delete once that process is known to be gone.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { GenlabError, badInput } from '../engine/errors.js';

export const LOCK_FILE = '.lock';

/** What a lock file holds. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** A lock held by this process; `release` removes it (idempotent). */
export interface RunLock {
  readonly file: string;
  release(): void;
}

/** Locks held by this process, by file: a second writer in the same process is refused too. */
const held = new Set<string>();

/**
 * Takes the lock of run folder `dir` (which must exist), or throws a GenlabError 'bad-input' naming the holder.
 * A stale lock (see the module comment) is taken over.
 */
export function acquireRunLock(dir: string): RunLock {
  const file = join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive(file, me)) {
      held.add(file);
      let released = false;
      return {
        file,
        release: () => {
          if (released) return;
          released = true;
          held.delete(file);
          try {
            const now = readHolder(file);
            if (now && now.pid === me.pid && now.since === me.since) unlinkSync(file);
          } catch {
            // Gone already, or unreadable: nothing of ours to remove.
          }
        },
      };
    }
    const holder = readHolder(file);
    if (holder && !isStale(holder, file)) throw busy(dir, holder);
    takeOver(file, holder);
  }
  throw new GenlabError('bad-input', `${dir}: the run folder's lock ${file} keeps changing hands; another genlab process is starting there`);
}

/** Whether `dir` is locked by a live writer (for readers that want to say "still running"). */
export function runLockHolder(dir: string): LockHolder | null {
  const file = join(dir, LOCK_FILE);
  const holder = readHolder(file);
  return holder && !isStale(holder, file) ? holder : null;
}

function createExclusive(file: string, me: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST') return false;
    throw lockError(file, e);
  }
  try {
    writeSync(fd, `${JSON.stringify(me)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The holder recorded in `file`; null when the file is gone, and a pid-less holder when it is unreadable. */
function readHolder(file: string): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return null;
    throw lockError(file, e);
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isSafeInteger(h.pid) && (h.pid as number) > 0 && typeof h.host === 'string') {
      return { pid: h.pid as number, host: h.host, since: typeof h.since === 'string' ? h.since : '?' };
    }
  } catch {
    // A lock cut short by a crash while it was written: no live holder can be named.
  }
  return { pid: 0, host: hostname(), since: '?' };
}

function isStale(holder: LockHolder, file: string): boolean {
  if (holder.pid === 0) return true; // unreadable: its writer died mid-write
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return !held.has(file);
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (e) {
    return (e as { code?: string }).code === 'ESRCH'; // EPERM: alive, someone else's
  }
}

/**
 * Removes the stale lock `seen`, carefully: it is renamed aside first, and if what was renamed is not the lock that
 * was judged stale (another process took it over meanwhile), it is put back.
 */
function takeOver(file: string, seen: LockHolder | null): void {
  if (!seen) return; // already gone
  const aside = `${file}.stale-${process.pid}-${Date.now()}`;
  try {
    renameSync(file, aside);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return;
    throw lockError(file, e);
  }
  const moved = readHolder(aside);
  if (moved && (moved.pid !== seen.pid || moved.since !== seen.since)) {
    try {
      linkSync(aside, file); // fails if yet another lock appeared: then that one stands
    } catch {
      // keep whichever lock is in place
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // best effort
  }
}

function busy(dir: string, h: LockHolder): GenlabError {
  const where = h.host === hostname() ? `pid ${h.pid}` : `pid ${h.pid} on host ${h.host}`;
  return badInput(dir, `the run folder is in use by another genlab process (${where}, since ${h.since}): wait for it to finish or stop it (if no genlab runs as that process, delete ${join(dir, LOCK_FILE)})`);
}

function lockError(file: string, e: unknown): GenlabError {
  const code = (e as { code?: string }).code ?? (e instanceof Error ? e.message.split('\n')[0] : String(e));
  return badInput(file, `cannot lock the run folder (${code})`);
}
