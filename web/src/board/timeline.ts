/**
 * The per-epoch pictures of a run on one slider: samples from the run's fixed noise (samples/epoch-NNNN.png) and,
 * for autoencoders on images, reconstructions of the first test images (recon/epoch-NNNN.png) — how the model
 * improved, epoch by epoch. Play steps through the epochs; a run still training adds its new epochs, and a slider
 * left at the last epoch follows them.
 */
import { h } from '../lib/dom.js';
import { runFile } from './api.js';

const file = (epoch: number): string => `epoch-${String(epoch).padStart(4, '0')}.png`;

export class Timeline {
  readonly root: HTMLElement;
  private epochs: number[] = [];
  private images: { samples: number[]; recon: number[] } = { samples: [], recon: [] };
  private readonly slider = h('input', { type: 'range', id: 'timeline-slider', min: 0, max: 0, step: 1, value: 0, 'aria-label': 'epoch' });
  private readonly label = h('span', { class: 'value', id: 'timeline-epoch' });
  private readonly play = h('button', { type: 'button', id: 'timeline-play' }, '▶ Play');
  private readonly samples = h('figure', { class: 'grid-image' }, h('img', { id: 'timeline-samples', alt: 'samples' }), h('figcaption', {}, 'samples (the same noise every epoch)'));
  private readonly recon = h('figure', { class: 'grid-image' }, h('img', { id: 'timeline-recon', alt: 'reconstructions' }), h('figcaption', {}, 'test images (top) and their reconstructions'));
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly run: string) {
    this.slider.addEventListener('input', () => this.show());
    this.play.addEventListener('click', () => this.toggle());
    this.root = h(
      'div',
      { id: 'timeline' },
      h('div', { class: 'timeline-bar' }, this.play, this.slider, this.label),
      h('div', { class: 'grid-images' }, this.samples, this.recon),
    );
  }

  /** The epochs with pictures (from the run's details); returns false when there are none at all. */
  update(images: { samples: number[]; recon: number[] }): boolean {
    const atEnd = Number(this.slider.value) >= this.epochs.length - 1;
    const before = this.epochs.length;
    this.images = images;
    this.epochs = [...new Set([...images.samples, ...images.recon])].sort((a, b) => a - b);
    this.slider.max = String(Math.max(0, this.epochs.length - 1));
    if (before === 0 || (atEnd && this.epochs.length !== before)) this.slider.value = String(this.epochs.length - 1);
    this.show();
    return this.epochs.length > 0;
  }

  private show(): void {
    const epoch = this.epochs[Number(this.slider.value)];
    this.root.dataset['epoch'] = String(epoch ?? 0);
    this.root.dataset['epochs'] = String(this.epochs.length);
    this.label.textContent = epoch === undefined ? '—' : `epoch ${epoch} of ${this.epochs[this.epochs.length - 1]}`;
    this.place(this.samples, 'samples', epoch);
    this.place(this.recon, 'recon', epoch);
  }

  private place(fig: HTMLElement, dir: 'samples' | 'recon', epoch: number | undefined): void {
    const has = epoch !== undefined && this.images[dir].includes(epoch);
    fig.hidden = !has;
    const img = fig.querySelector('img')!;
    if (has) {
      const src = runFile(this.run, `${dir}/${file(epoch)}`);
      if (img.getAttribute('src') !== src) img.src = src;
    }
  }

  private toggle(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.play.textContent = '▶ Play';
      return;
    }
    if (Number(this.slider.value) >= this.epochs.length - 1) this.slider.value = '0';
    this.play.textContent = '❚❚ Pause';
    this.show();
    this.timer = setInterval(() => {
      const next = Number(this.slider.value) + 1;
      if (next > this.epochs.length - 1) return this.toggle();
      this.slider.value = String(next);
      this.show();
    }, 700);
  }
}
