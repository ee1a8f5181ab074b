/**
 * A progress bar for the terminal (cli-progress, on stderr): epoch, steps, live epoch means of the loss terms,
 * examples per second and time left. When the stream is not a terminal (a log file, CI) it writes one line per
 * epoch instead.
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

const SKIP = new Set(['epoch', 'step', 'split', 'examplesPerSec', 'time']);

/** `loss 1.234 recon 1.1 kl 0.134` from a record or a map of term means. */
export function formatTerms(terms: Readonly<Record<string, number | string | null>>, max = Infinity): string {
  return Object.entries(terms)
    .filter(([k]) => !SKIP.has(k))
    .slice(0, max)
    .map(([k, v]) => `${k} ${formatNumber(v)}`)
    .join('  ');
}

/** One summary line for an epoch: `epoch 3/10  train loss … | test loss … | 4567 ex/s | 12.3 s`. */
export function formatEpochLine(epoch: number, totalEpochs: number, records: readonly MetricsRecord[], maxTerms = Infinity): string {
  const train = records.find((r) => r.split === 'train');
  const test = records.find((r) => r.split === 'test');
  const parts = [`epoch ${epoch}/${totalEpochs}`];
  if (train) parts.push(`train ${formatTerms(train, maxTerms)}`);
  if (test) parts.push(`test ${formatTerms(test, maxTerms)}`);
  if (train) parts.push(`${Math.round(train.examplesPerSec)} ex/s`, `${train.time.toFixed(1)} s`);
  return parts.join(' | ');
}

/** The progress-bar callback. */
export function progressBar(options: ProgressBarOptions = {}): TrainCallback {
  const stream = options.stream ?? process.stderr;
  const live = options.live ?? stream.isTTY === true;
  const maxTerms = options.maxTerms ?? 4;
  let bar: cliProgress.SingleBar | null = null;

  const payload = (ctx: TrainContext): Record<string, string> => {
    const p = ctx.progress;
    const means = Object.fromEntries(Object.entries(p.sums).map(([k, v]) => [k, p.examples > 0 ? v / p.examples : NaN]));
    return {
      epochs: String(ctx.totalEpochs),
      epochNo: String(p.epoch + 1),
      terms: formatTerms(means, maxTerms),
      rate: String(p.epochSeconds > 0 ? Math.round(p.examples / p.epochSeconds) : 0),
    };
  };
  const stop = (): void => {
    bar?.stop();
    bar = null;
  };

  return {
    onBatchEnd(_step, _terms, ctx) {
      if (!live) return;
      const p = ctx.progress;
      // The last epoch of a run planned in steps may be shorter than the others.
      const total = Math.min(ctx.stepsPerEpoch, ctx.totalSteps - (p.step - p.batchInEpoch));
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: 'epoch {epochNo}/{epochs} {bar} {value}/{total} | {terms} | {rate} ex/s | {eta_formatted}',
            barsize: 24,
            hideCursor: false, // a second Ctrl-C exits at once: never leave the cursor hidden
            clearOnComplete: false,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, p.batchInEpoch, payload(ctx));
      } else {
        bar.update(p.batchInEpoch, payload(ctx));
      }
    },
    onEpochEnd(epoch, records, ctx) {
      if (bar) {
        stop();
        const test = records.find((r) => r.split === 'test');
        if (test) stream.write(`  test ${formatTerms(test, maxTerms)}\n`);
      } else {
        stream.write(`${formatEpochLine(epoch, ctx.totalEpochs, records, maxTerms)}\n`);
      }
    },
    onEnd: stop,
    onError: stop,
  };
}
