/**
 * The "Train live" read-outs: each live model's steps and losses, the DCGAN's chosen minibatch and speed, and how far
 * both are from the shipped models (their epochs and steps, from asset.json's last test record). Exposes the same
 * numbers as data attributes on the figure for the browser test (data-vae-step, data-vae-loss, data-gan-step,
 * data-gan-d-loss, data-gan-g-loss, data-gan-batch, data-gan-ms: smoothed, data-gan-last-ms and data-vae-last-ms: the last step's).
 */
import { byId, fmt } from '../lib/dom.js';
import { duration } from '../lib/format.js';
import type { AssetInfo } from '../lib/lecture.js';
import { SHIPPED_BATCH, type LiveModels } from './live-models.js';

/** Training time that counts only while the loop plays. */
export class Stopwatch {
  private played = 0;
  private since: number | null = null;

  start(): void {
    this.since ??= performance.now();
  }

  stop(): void {
    if (this.since !== null) this.played += performance.now() - this.since;
    this.since = null;
  }

  get seconds(): number {
    return (this.played + (this.since === null ? 0 : performance.now() - this.since)) / 1000;
  }
}

/** What asset.json says of a shipped model's training: epochs, steps, seconds. */
interface ShippedTraining {
  epochs: number;
  steps: number;
  seconds: number;
}

function shippedTraining(asset: AssetInfo): ShippedTraining | null {
  const t = asset.lastTest;
  const epochs = t?.['epoch'];
  const steps = t?.['step'];
  return typeof epochs === 'number' && typeof steps === 'number' ? { epochs, steps, seconds: asset.trainSeconds } : null;
}

const TRAIN_COUNT = 60_000;
const count = (n: number): string => n.toLocaleString('en');

export class LivePanel {
  private readonly el = {
    figure: byId('figure'),
    vaeStep: byId('t-vae-step'),
    vaeLoss: byId('t-vae-loss'),
    ganStep: byId('t-gan-step'),
    ganLoss: byId('t-gan-loss'),
    ganBatch: byId('t-gan-batch'),
    ganSpeed: byId('t-gan-speed'),
    distance: byId('live-distance'),
  };
  private shipped: { vae: ShippedTraining | null; gan: ShippedTraining | null } = { vae: null, gan: null };

  setShipped(vae: AssetInfo, gan: AssetInfo): void {
    this.shipped = { vae: shippedTraining(vae), gan: shippedTraining(gan) };
    this.show(null, 0);
  }

  /** The live models' numbers after `seconds` of training, or the dashes of no live models. */
  show(live: LiveModels | null, seconds: number): void {
    const data = this.el.figure.dataset;
    const vae = live?.vae.last ?? null;
    const gan = live?.gan.last ?? null;
    this.el.vaeStep.textContent = live ? count(live.vae.step) : '—';
    this.el.vaeLoss.textContent = fmt(vae?.['loss'] ?? NaN, 1);
    this.el.ganStep.textContent = live ? count(live.gan.step) : '—';
    this.el.ganLoss.textContent = gan ? `${fmt(gan['discriminator/loss'] ?? NaN, 2)} / ${fmt(gan['generator/loss'] ?? NaN, 2)}` : '—';
    const ms = live?.pacer.msPerStep ?? null;
    this.el.ganBatch.textContent = live ? `${live.pacer.size}${ms !== null ? ` · ${Math.round(ms)} ms` : ''}` : '—';
    this.el.ganSpeed.textContent = live && seconds > 0 ? `${(live.gan.step / seconds).toFixed(1)} · ${Math.round(live.gan.examples / seconds)}` : '—';
    data['vaeStep'] = String(live?.vae.step ?? 0);
    data['ganStep'] = String(live?.gan.step ?? 0);
    data['vaeLoss'] = String(vae?.['loss'] ?? '');
    data['ganDLoss'] = String(gan?.['discriminator/loss'] ?? '');
    data['ganGLoss'] = String(gan?.['generator/loss'] ?? '');
    data['ganBatch'] = live ? String(live.pacer.size) : '';
    data['ganMs'] = ms !== null ? String(Math.round(ms)) : '';
    data['ganLastMs'] = live ? String(Math.round(live.gan.lastMs)) : '';
    data['vaeLastMs'] = live ? String(Math.round(live.vae.lastMs)) : '';
    this.el.distance.textContent = this.distanceText(live, seconds);
  }

  /** How far the live models are from the shipped ones, and how long the DCGAN would need here to catch up. */
  private distanceText(live: LiveModels | null, seconds: number): string {
    const { vae, gan } = this.shipped;
    if (!vae || !gan) return '';
    const shipped = `The shipped VAE trained ${vae.epochs} epochs (${count(vae.steps)} steps of ${SHIPPED_BATCH}) in ${duration(vae.seconds)}, the DCGAN ${gan.epochs} epochs (${count(gan.steps)} steps) in ${duration(gan.seconds)}, in Node on its native backend.`;
    if (!live || live.gan.step === 0) return shipped;
    const epochs = (examples: number): number => examples / TRAIN_COUNT;
    const share = (examples: number, of: ShippedTraining): string => `${(100 * epochs(examples) / of.epochs).toPrecision(2)}%`;
    const ganRate = live.gan.examples / Math.max(seconds, 1e-3);
    const catchUp = (gan.epochs * TRAIN_COUNT - live.gan.examples) / ganRate;
    return [
      shipped,
      `Here so far: the VAE ${epochs(live.vae.examples).toFixed(2)} epochs (${share(live.vae.examples, vae)} of its training), the DCGAN ${epochs(live.gan.examples).toFixed(3)} epochs (${share(live.gan.examples, gan)}).`,
      `At the DCGAN's ${Math.round(ganRate)} digits/s here, its ${gan.epochs} epochs would take ${duration(catchUp + seconds)}.`,
    ].join(' ');
  }
}
