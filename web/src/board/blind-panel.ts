/**
 * "Can you tell?": a person's two-sample test on an image model's run page (HYPE∞, src/eval/blind-test.ts). Sixteen
 * test images of the run's data and sixteen samples — `genlab sample RUN --seed S -n 16`'s — shuffled by the seed into
 * one grid; the person marks the ones they take for generated and checks: the grid then shows which were which, and
 * the line says how many of each were called right and the human error rate (50%: the samples pass for real images).
 */
import { blindLayout, can, exampleSize, Rng, scoreBlindTest, tf, type BlindCell, type GenerativeModel } from '../../../src/browser.js';
import { h, intOf, numberInput } from '../lib/dom.js';
import { drawImageGrid } from '../lib/image-grid.js';
import { errorText } from '../lib/shell.js';
import { runExamples, type Examples } from './api.js';

/** Images of each side (fewer when the test split has fewer). */
const PER_SIDE = 16;

const percent = (x: number): string => `${(100 * x).toFixed(0)}%`;

export class BlindPanel {
  readonly root: HTMLElement;
  private readonly seed = numberInput('blind-seed', 0, 0, 2 ** 31 - 1, 'seed of the grid');
  private readonly cells = h('div', { class: 'blind-grid', id: 'blind-grid' });
  private readonly result = h('p', { class: 'hint', id: 'blind-result', role: 'status' }, 'Mark the images you take for generated, then check.');
  private readonly check = h('button', { class: 'primary', id: 'blind-check', disabled: true }, 'Check');
  private layout: BlindCell[] = [];

  constructor(
    private readonly run: string,
    private readonly model: () => GenerativeModel | null,
  ) {
    const shuffle = h('button', { id: 'blind-new' }, 'New grid');
    shuffle.addEventListener('click', () => void this.deal());
    this.check.addEventListener('click', () => this.score());
    this.root = h(
      'div',
      { class: 'panel', id: 'blind-panel' },
      h('h3', {}, 'Can you tell?'),
      h('p', { class: 'hint' }, `${PER_SIDE} test images and ${PER_SIDE} samples, shuffled. Click the ones you think the model made. Half right is chance: a person's two-sample test (HYPE∞, Zhou et al. 2019).`),
      h('div', { class: 'inline-controls' }, h('label', {}, 'seed', this.seed), shuffle, this.check),
      this.cells,
      this.result,
    );
  }

  /** Draws the grid of the current seed: the run's test images and the model's samples of that seed, shuffled. */
  async deal(): Promise<void> {
    const model = this.model();
    if (!model || !can(model, 'sample')) return;
    const seed = intOf(this.seed, 0);
    let real: Examples;
    try {
      real = await runExamples(this.run, PER_SIDE, seed);
    } catch (e) {
      this.result.textContent = `No test images for the grid: ${errorText(e)}`; // the rest of the model's panels stay
      return;
    }
    const n = Math.min(PER_SIDE, real.shape[0] ?? 0); // a test split smaller than 16: as many of each
    const t = tf.tidy(() => model.sample(n, new Rng(seed)));
    const fake = (await t.data()) as Float32Array;
    t.dispose();
    const size = exampleSize(model.dataShape);
    this.layout = blindLayout(n, n, new Rng(seed));
    this.cells.replaceChildren(
      ...this.layout.map((cell, i) => {
        const canvas = h('canvas', { class: 'pixelated' });
        const source = cell.generated ? fake : real.x;
        drawImageGrid(canvas, source.subarray(cell.index * size, (cell.index + 1) * size), 1, model.dataShape, 1);
        const button = h('button', { class: 'blind-cell', 'aria-pressed': 'false', 'aria-label': `image ${i + 1}`, 'data-cell': i }, canvas);
        button.addEventListener('click', () => {
          if (this.cells.dataset['checked'] === 'true') return;
          button.setAttribute('aria-pressed', String(button.getAttribute('aria-pressed') !== 'true'));
        });
        return button;
      }),
    );
    this.cells.dataset['checked'] = 'false';
    this.cells.dataset['seed'] = String(seed);
    this.check.disabled = false;
    this.result.textContent = 'Mark the images you take for generated, then check.';
    delete this.result.dataset['accuracy'];
  }

  /** Scores the marked cells and shows which were which. */
  private score(): void {
    const buttons = Array.from(this.cells.querySelectorAll<HTMLButtonElement>('.blind-cell'));
    const marked = buttons.flatMap((b, i) => (b.getAttribute('aria-pressed') === 'true' ? [i] : []));
    const s = scoreBlindTest(this.layout, marked);
    buttons.forEach((b, i) => {
      b.dataset['truth'] = this.layout[i]!.generated ? 'generated' : 'real';
      b.title = this.layout[i]!.generated ? 'generated' : 'real';
    });
    this.cells.dataset['checked'] = 'true';
    this.check.disabled = true;
    this.result.dataset['accuracy'] = String(s.accuracy);
    this.result.textContent =
      `You caught ${s.generatedCaught} of ${s.generated} samples and kept ${s.realKept} of ${s.real} real images: ${percent(s.accuracy)} right, ` +
      `a human error rate of ${percent(s.humanError)} (50%: the samples pass for real images). Orange frames: generated; green: real.`;
  }
}
