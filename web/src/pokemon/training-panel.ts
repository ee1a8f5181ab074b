/**
 * The "train live" panel's read-outs: step and epochs, the last minibatch's −ELBO and its two terms, the −ELBO curve,
 * and the panel's state as data attributes (#live[data-state][data-step][data-loss]) for the browser test.
 */
import { LineChart } from '../lib/chart.js';
import { LECTURE } from '../lib/colors.js';
import { byId, fmt } from '../lib/dom.js';
import type { LiveModel } from '../lib/live-model.js';

/** off: the shipped model; training; paused; reference: paused, scoring the held-out Pokémon under the live model. */
export type LiveState = 'off' | 'training' | 'paused' | 'reference';

export class TrainingPanel {
  private readonly root = byId('live');
  private readonly step = byId('t-step');
  private readonly loss = byId('t-loss');
  private readonly recon = byId('t-recon');
  private readonly kl = byId('t-kl');
  private readonly chart = new LineChart(byId('loss-chart', HTMLCanvasElement), { xLabel: 'step', yLabel: '−ELBO (nats)', integerX: true, legend: false });

  set state(state: LiveState) {
    this.root.dataset['state'] = state;
  }

  get state(): LiveState {
    return this.root.dataset['state'] as LiveState;
  }

  /** Shows `live`'s progress (or dashes for the shipped model). */
  draw(live: LiveModel | null): void {
    const terms = live?.last ?? null;
    const negElbo = terms?.['negElbo'] ?? terms?.['loss'] ?? NaN;
    this.step.textContent = live ? `${live.step} (${fmt(live.epochs, 1)})` : '—';
    this.loss.textContent = fmt(negElbo, 1);
    this.recon.textContent = fmt(terms?.['recon'] ?? NaN, 1);
    this.kl.textContent = fmt(terms?.['kl'] ?? NaN, 1);
    this.root.dataset['step'] = String(live?.step ?? 0);
    this.root.dataset['loss'] = terms ? String(negElbo) : '';
    this.chart.series = live ? [{ label: '−ELBO', color: LECTURE.green, xs: live.curve.steps, ys: live.curve.loss, width: 1.5 }] : [];
    this.chart.draw();
  }
}
