/**
 * Progress on the terminal (cli-progress, on stderr). Training gets ONE bar for the whole run, in steps whether the
 * run was planned in epochs or steps: the epoch, every player's recent loss (a GAN's discriminator and generator),
 * the last measured sample quality, examples per second and a labelled time left; each finished epoch prints a line
 * above it. When the stream is not a terminal (a log file, CI) and no bar is asked for, it writes one line per epoch.
 * `taskBar` is the same bar for any long computation that reports `onProgress(done, total)` (eval, score, GMM fits).
 */
import cliProgress from 'cli-progress';
import type { MetricsRecord } from '../run-folder.js';
import type { TrainCallback, TrainContext } from '../types.js';

export interface ProgressBarOptions {
  /** Where to write. Default process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Draw a live bar (default: when the stream is a terminal); otherwise one line per epoch. */
  live?: boolean;
  /** Most terms shown per split (all are in metrics.jsonl). Default 4. */
  maxTerms?: number;
}

/** A number in 4 significant digits, without trailing zeros (`123.4`, `0.001234`, `1.235e+5`). */
export function formatNumber(v: number | string | null | undefined): string {
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

/** Seconds as people say them: `42 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '…';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const two = (n: number): string => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)} min ${two(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${two(Math.floor((s % 3600) / 60))} min`;
}

/** Keys of a metrics record that are bookkeeping, not terms. */
const SKIP = new Set(['epoch', 'step', 'split', 'examplesPerSec', 'time', 'qualitySamples']);
/** Sample-quality keys (eval/sample-quality.ts), shown apart by `formatQuality`. */
const QUALITY = new Set(['modesCovered', 'modesTotal', 'highQuality', 'fid', 'kid', 'inceptionScore', 'precision', 'recall']);

/** `loss 1.234  recon 1.1  kl 0.134` from a record or a map of term means (quality keys left out). */
export function formatTerms(terms: Readonly<Record<string, number | string | null>>, max = Infinity): string {
  return Object.entries(terms)
    .filter(([k]) => !SKIP.has(k) && !QUALITY.has(k))
    .slice(0, max)
    .map(([k, v]) => `${k} ${formatNumber(v)}`)
    .join('  ');
}

/**
 * The terms that say how each player is doing: with loss groups (`discriminator/…`, `generator/…`) each group's
 * loss under the group's name, so G is never crowded out by D's terms; otherwise the first `max` terms.
 */
export function headlineTerms(terms: Readonly<Record<string, number | string | null>>, max = Infinity): string {
  const names = Object.keys(terms).filter((k) => !SKIP.has(k) && !QUALITY.has(k));
  const groups = [...new Set(names.filter((k) => k.includes('/')).map((k) => k.slice(0, k.indexOf('/'))))];
  if (groups.length === 0) return formatTerms(terms, max);
  return groups
    .map((g) => {
      const own = names.filter((k) => k.startsWith(`${g}/`));
      const key = own.includes(`${g}/loss`) ? `${g}/loss` : own[0]!;
      return `${g} ${formatNumber(terms[key])}`;
    })
    .join('  ');
}

/** The sample quality in a test record: `modes 7/8, 93.1% high quality` or `FID 70.8, IS 6.68, recall 0.68`; '' if none. */
export function formatQuality(record: Readonly<Record<string, number | string | null>>): string {
  const n = (k: string): number | undefined => (typeof record[k] === 'number' ? (record[k] as number) : undefined);
  const parts: string[] = [];
  const covered = n('modesCovered'), total = n('modesTotal'), hq = n('highQuality');
  if (covered !== undefined && total !== undefined) parts.push(`modes ${covered}/${total}`);
  if (hq !== undefined) parts.push(`${(100 * hq).toFixed(1)}% high quality`);
  const fid = n('fid'), is = n('inceptionScore'), recall = n('recall');
  if (fid !== undefined) parts.push(`FID ${fid.toFixed(1)}`);
  if (is !== undefined) parts.push(`IS ${is.toFixed(2)}`);
  if (recall !== undefined) parts.push(`recall ${recall.toFixed(2)}`);
  return parts.join(', ');
}

/**
 * One summary line for an epoch: `epoch 3/10 | train loss … | test loss … | modes 8/8, 96.0% high quality |
 * 4567 ex/s | 12.3 s`. Train terms are the headline ones (each player's loss); the test split's the first few.
 */
export function formatEpochLine(epoch: number, totalEpochs: number, records: readonly MetricsRecord[], maxTerms = Infinity): string {
  const train = records.find((r) => r.split === 'train');
  const test = records.find((r) => r.split === 'test');
  const parts = [`epoch ${epoch}/${totalEpochs}`];
  if (train) parts.push(`train ${headlineTerms(train, maxTerms)}`);
  const testTerms = test ? formatTerms(test, maxTerms) : '';
  if (testTerms) parts.push(`test ${testTerms}`);
  const quality = test ? formatQuality(test) : '';
  if (quality) parts.push(quality);
  if (train) parts.push(`${Math.round(train.examplesPerSec)} ex/s`, `${train.time.toFixed(1)} s`);
  return parts.join(' | ');
}

/** A running bar: `update(done, payload)`, `log(line)` above it, `stop()`. */
export interface TerminalBar {
  update(done: number, payload?: Record<string, string>): void;
  /** Prints a line above the bar (it is redrawn below on its next tick). */
  log(line: string): void;
  stop(): void;
}

/**
 * Starts a cli-progress bar on `stream`: a live line on a terminal, one line per second elsewhere (only when asked
 * for: callers decide whether a bar is wanted at all). `format` is cli-progress's, with payload keys in braces.
 */
export function startBar(stream: NodeJS.WriteStream, format: string, total: number, start = 0, payload: Record<string, string> = {}): TerminalBar {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format,
      barsize: 20,
      hideCursor: false, // a second Ctrl-C exits at once: never leave the cursor hidden
      // On a terminal the finished bar stays; elsewhere its last line is already written (no blank line after it).
      clearOnComplete: stream.isTTY !== true,
      gracefulExit: false, // the CLI owns the signals (src/cli/signals.ts)
      forceRedraw: true, // redraw after a line logged above, even when the bar did not change
      noTTYOutput: true,
      notTTYSchedule: 1000,
    },
    cliProgress.Presets.shades_classic,
  );
  // cli-progress saves the cursor's screen position at start and returns to it at stop, which lands on an old line once
  // lines were printed above the bar (epoch lines, the Ctrl-C notice): the bar stays on the line the cursor is on.
  const terminal = (bar as unknown as { terminal: { cursorSave(): void; cursorRestore(): void } }).terminal;
  terminal.cursorSave = terminal.cursorRestore = () => {};
  bar.start(total, start, payload);
  let running = true;
  let lastDrawn = performance.now();
  return {
    update: (done, more) => {
      if (!running) return;
      bar.update(done, more ?? {});
      // Off a terminal cli-progress draws on a timer, which long synchronous work (TF.js kernels) starves.
      if (!stream.isTTY && performance.now() - lastDrawn >= 1000) {
        lastDrawn = performance.now();
        bar.render();
      }
    },
    log: (line) => {
      // The bar turns line wrapping off while it runs (it is cut to the terminal's width); a logged line wraps.
      if (stream.isTTY) stream.write(`\r\x1b[K\x1b[?7h${line}\n\x1b[?7l`);
      else stream.write(`${line}\n`);
    },
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}

/** Estimated seconds left from progress `done` of `total`, measured from the first update seen. */
function etaClock(): (done: number, total: number) => string {
  let first: { done: number; at: number } | null = null;
  return (done, total) => {
    const now = performance.now();
    if (!first || done < first.done) first = { done, at: now };
    const rate = (done - first.done) / ((now - first.at) / 1000);
    return done >= total ? formatDuration(0) : rate > 0 ? formatDuration((total - done) / rate) : '…';
  };
}

/**
 * A bar for any long computation: pass `onProgress` to a library function that takes one; `stop()` when it is done.
 * `label` starts the line (`eval: log p(x)`).
 */
export function taskBar(label: string, stream: NodeJS.WriteStream = process.stderr): { onProgress: (done: number, total: number) => void; stop: () => void } {
  let bar: TerminalBar | null = null;
  const eta = etaClock();
  const payload = (done: number, total: number): Record<string, string> => ({ label, left: eta(done, total) });
  return {
    onProgress: (done, total) => {
      if (!bar) bar = startBar(stream, '{label} {bar} {percentage}% | ETA {left} | elapsed {duration_formatted}', total, done, payload(done, total));
      else bar.update(done, payload(done, total));
    },
    stop: () => bar?.stop(),
  };
}

/** Mean of each term over its last `size` values (what "current loss" means on the bar: the epoch mean lags). */
function recentMeans(size = 50): { add(terms: Readonly<Record<string, number>>): void; means(): Record<string, number> } {
  const windows = new Map<string, number[]>();
  return {
    add(terms) {
      for (const [k, v] of Object.entries(terms)) {
        const w = windows.get(k) ?? [];
        w.push(v);
        if (w.length > size) w.shift();
        windows.set(k, w);
      }
    },
    means: () => Object.fromEntries([...windows].map(([k, w]) => [k, w.reduce((a, b) => a + b, 0) / w.length])),
  };
}

/** Least seconds between two epoch lines above a live bar (the bar itself shows the latest quality). */
const LOG_EVERY_S = 10;

/** The progress callback of training: one bar for the run (live), or one line per epoch. */
export function progressBar(options: ProgressBarOptions = {}): TrainCallback {
  const stream = options.stream ?? process.stderr;
  const live = options.live ?? stream.isTTY === true;
  const maxTerms = options.maxTerms ?? 4;
  let bar: TerminalBar | null = null;
  let quality = '';
  let rate = 0;
  let lastLogged = -Infinity;
  const recent = recentMeans();
  const eta = etaClock();

  const payload = (ctx: TrainContext): Record<string, string> => {
    const p = ctx.progress;
    const terms = headlineTerms(recent.means(), maxTerms);
    return {
      epoch: `${Math.min(p.epoch + 1, ctx.totalEpochs)}/${ctx.totalEpochs}`,
      terms: quality ? `${terms} | ${quality}` : terms,
      rate: String(Math.round(p.epochSeconds > 0 ? (rate = p.examples / p.epochSeconds) : rate)), // the last epoch's rate until this one has one
      left: eta(p.step, ctx.totalSteps),
    };
  };
  const stop = (): void => {
    bar?.stop();
    bar = null;
  };

  return {
    onBatchEnd(_step, terms, ctx) {
      if (!live) return;
      recent.add(terms);
      const p = ctx.progress;
      if (!bar) bar = startBar(stream, 'train {bar} {percentage}% | step {value}/{total} | epoch {epoch} | ETA {left} | {rate} ex/s | {terms}', ctx.totalSteps, p.step, payload(ctx));
      else bar.update(p.step, payload(ctx));
    },
    onEpochEnd(epoch, records, ctx) {
      const test = records.find((r) => r.split === 'test');
      if (test) quality = formatQuality(test);
      const line = formatEpochLine(epoch, ctx.totalEpochs, records, maxTerms);
      if (!bar) {
        stream.write(`${line}\n`);
        return;
      }
      // Above a bar, short epochs (a run planned in steps) would scroll it away: a line every LOG_EVERY_S at most.
      const now = performance.now() / 1000;
      if (now - lastLogged >= LOG_EVERY_S || epoch === ctx.totalEpochs) {
        lastLogged = now;
        bar.log(line);
      }
      bar.update(ctx.progress.step, payload(ctx));
    },
    onEnd: stop,
    onError: stop,
  };
}
