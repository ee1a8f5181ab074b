/**
 * A run's saved model, opened in the browser: `loadModel` of the public browser API reads the run's stock TF.js
 * folders and genlab-model.json from /runs/ (no re-training), and the kinds table says what the model can do.
 * Every model samples from a seed — `new Rng(seed)`, the codes `genlab sample --seed` draws, so the same seed gives
 * the same samples on the same backend — as an image grid, or over the test set's real points for point data.
 * Models that reconstruct show test images over their reconstructions; image models interpolate between two test
 * images (autoencoders) or between the codes of two seeds (generators). The samples download as .npy. Image models
 * that sample also get "Can you tell?" (blind-panel.ts): test images and samples shuffled, for a person to tell apart. An upscaler
 * (srgan) cannot sample: it shows test images averaged down, then enlarged by nearest neighbour, by bicubic and by
 * the model, over the originals, with each one's PSNR, as `genlab upscale` does.
 *
 * `?backend=` picks the TF.js backend (default wasm: these networks are small, and a GPU backend's per-op overhead
 * makes it slower).
 */
import {
  can,
  encodeNpy,
  generatedPath,
  initEngine,
  isConditional,
  loadModel,
  psnrPerImage,
  Rng,
  tf,
  type BackendName,
  type GenerativeModel,
  type RunDetail,
} from '../../../src/browser.js';
import { h, intOf, numberInput } from '../lib/dom.js';
import { drawImageGrid } from '../lib/image-grid.js';
import { boundsOf, Plane } from '../lib/plane.js';
import { errorText } from '../lib/shell.js';
import { runExamples, runFile, runFolderUrl, type Examples } from './api.js';
import { BlindPanel } from './blind-panel.js';

type State = 'idle' | 'loading' | 'ready' | 'error';

export class ModelPanel {
  readonly root: HTMLElement;
  private model: GenerativeModel | null = null;
  private readonly note = h('p', { class: 'hint', id: 'model-source' });
  private readonly line = h('div', { class: 'status-line', id: 'model-status', role: 'status' });
  private readonly body = h('div', { class: 'model-grid' });
  private realPoints: Examples | null = null;
  private blind: BlindPanel | null = null;
  private npyUrl: string | null = null;

  constructor(
    private readonly run: string,
    private detail: RunDetail,
  ) {
    this.root = h('div', { id: 'model', 'data-state': 'idle' }, this.note, this.body, this.line);
    this.describe();
  }

  private set state(s: State) {
    this.root.dataset['state'] = s;
  }

  private say(text: string, kind: 'info' | 'error' = 'info'): void {
    this.line.textContent = text;
    this.line.dataset['kind'] = kind;
  }

  private describe(): void {
    const m = this.detail.model;
    this.note.textContent = m
      ? `${runFile(this.run, m.path)}/ — ${m.final ? 'the final model' : `the latest checkpoint (epoch ${this.detail.summary.epoch}; the run has not ended)`}, opened here with TensorFlow.js: stock model.json + weights.bin per network, and genlab-model.json.`
      : 'No saved model yet: the first checkpoint is written when the first epoch ends.';
  }

  /** Loads the model (again, when the run wrote a newer one) and builds the panels for what it can do. */
  async open(detail: RunDetail = this.detail): Promise<void> {
    this.detail = detail;
    this.describe();
    if (!detail.model) return;
    this.state = 'loading';
    this.say('loading the model…');
    try {
      const backend = (new URLSearchParams(location.search).get('backend') ?? 'wasm') as BackendName | 'auto';
      const engine = await initEngine({ backend, wasmPath: new URL('wasm/', location.href).href });
      this.root.dataset['backend'] = engine.backend;
      this.model?.dispose();
      this.model = await loadModel(runFolderUrl(this.run, detail.model.path));
      this.build();
      this.state = 'ready';
      this.say(`${this.model.kind} on ${engine.backend}: ready`);
      if (can(this.model, 'upscale')) await this.upscale();
      else if (can(this.model, 'sample')) await this.sample();
      await this.blind?.deal();
    } catch (e) {
      this.state = 'error';
      this.say(errorText(e), 'error');
    }
  }

  private build(): void {
    const model = this.model!;
    this.blind = null;
    const images = model.dataKind === 'images';
    const examples = this.detail.examples;
    if (can(model, 'upscale')) {
      this.body.replaceChildren(examples.available ? this.upscalePanel() : this.unavailable('Upscaling', examples.reason));
      return;
    }
    const panels: HTMLElement[] = can(model, 'sample') ? [this.samplePanel(images)] : [];
    if (images && can(model, 'reconstruct')) panels.push(examples.available ? this.reconPanel() : this.unavailable('Reconstructions', examples.reason));
    if (images && can(model, 'interpolate')) panels.push(examples.available ? this.interpPanel('examples') : this.unavailable('Interpolation', examples.reason));
    else if (images && can(model, 'generate')) panels.push(this.interpPanel('seeds'));
    if (images && can(model, 'sample') && examples.available) {
      this.blind = new BlindPanel(this.run, () => this.model);
      panels.push(this.blind.root);
    }
    this.body.replaceChildren(...panels);
  }

  private unavailable(title: string, reason: string): HTMLElement {
    return h('div', { class: 'panel' }, h('h3', {}, title), h('p', { class: 'hint' }, reason));
  }

  // ---- samples ----

  private readonly seed = numberInput('sample-seed', 0, 0, 2 ** 31 - 1, 'seed');
  private readonly count = h('select', { id: 'sample-count', 'aria-label': 'how many' });
  private readonly samplesCanvas = h('canvas', { id: 'model-samples', class: 'pixelated' });
  private readonly download = h('a', { id: 'model-samples-npy', class: 'button-link', hidden: true }, 'Download .npy');

  private samplePanel(images: boolean): HTMLElement {
    const counts = images ? [16, 36, 64, 100] : [250, 1000, 2500];
    this.count.replaceChildren(...counts.map((n) => h('option', { value: n, selected: n === (images ? 64 : 1000) }, String(n))));
    this.samplesCanvas.className = images ? 'pixelated samples-grid' : 'points-plane';
    const go = h('button', { class: 'primary', id: 'sample' }, 'Sample');
    go.addEventListener('click', () => void this.sample());
    return h(
      'div',
      { class: 'panel' },
      h('h3', {}, images ? 'Samples' : 'Samples over the real points'),
      h('div', { class: 'inline-controls' }, h('label', {}, 'seed', this.seed), h('label', {}, 'n', this.count), go, this.download),
      this.samplesCanvas,
      h('p', { class: 'hint' }, `The same samples as genlab sample ${this.detail.folder} --seed S -n N --out samples.npy, on the same backend.`),
    );
  }

  /** Draws n samples from `new Rng(seed)`, as `genlab sample` does (conditional models cycle through the classes). */
  async sample(): Promise<void> {
    const model = this.model;
    if (!model || !can(model, 'sample')) return;
    const seed = intOf(this.seed, 0);
    const n = Number(this.count.value);
    const t = tf.tidy(() => model.sample(n, new Rng(seed)));
    const values = (await t.data()) as Float32Array;
    t.dispose();
    if (model.dataKind === 'images') {
      drawImageGrid(this.samplesCanvas, values, n, model.dataShape, Math.ceil(Math.sqrt(n)));
    } else {
      await this.drawPoints(values, n, model.dataShape[0] ?? 1);
    }
    if (this.npyUrl) URL.revokeObjectURL(this.npyUrl);
    this.npyUrl = URL.createObjectURL(new Blob([encodeNpy([n, ...model.dataShape], values) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    this.download.href = this.npyUrl;
    this.download.download = `${this.run.replace(/\W+/g, '-')}-samples-seed${seed}-n${n}.npy`;
    this.download.hidden = false;
    this.samplesCanvas.dataset['seed'] = String(seed);
    this.samplesCanvas.dataset['count'] = String(n);
    this.samplesCanvas.dataset['drawn'] = String(Number(this.samplesCanvas.dataset['drawn'] ?? 0) + 1);
  }

  /** Samples (blue) over up to 2000 real test points (grey), on the first two dimensions (one: against a jitter). */
  private async drawPoints(values: Float32Array, n: number, dims: number): Promise<void> {
    if (!this.realPoints && this.detail.examples.available) this.realPoints = await runExamples(this.run, 2000, 0).catch(() => null);
    const jitter = new Rng(1);
    const xy = (data: Float32Array, count: number): Float32Array => {
      const out = new Float32Array(2 * count);
      for (let i = 0; i < count; i++) {
        out[2 * i] = data[i * dims]!;
        out[2 * i + 1] = dims > 1 ? data[i * dims + 1]! : 0.3 * jitter.normal();
      }
      return out;
    };
    const real = this.realPoints ? xy(this.realPoints.x, this.realPoints.shape[0]!) : new Float32Array(0);
    const fake = xy(values, n);
    const plane = new Plane(this.samplesCanvas);
    plane.bounds = boundsOf(real.length > 0 ? real : fake, (real.length > 0 ? real : fake).length / 2);
    plane.begin();
    plane.grid();
    const dots = (pts: Float32Array, color: string, r: number): void => {
      plane.ctx.fillStyle = color;
      for (let i = 0; i < pts.length; i += 2) {
        plane.ctx.beginPath();
        plane.ctx.arc(plane.px(pts[i]!), plane.py(pts[i + 1]!), r, 0, 2 * Math.PI);
        plane.ctx.fill();
      }
    };
    dots(real, 'rgba(29, 35, 48, 0.35)', 2);
    dots(fake, 'rgba(47, 111, 223, 0.7)', 2.2);
  }

  // ---- reconstructions ----

  private readonly reconSeed = numberInput('recon-seed', 0, 0, 2 ** 31 - 1, 'seed of the test images');
  private readonly reconCanvas = h('canvas', { id: 'model-recon', class: 'pixelated strip-image' });

  private reconPanel(): HTMLElement {
    const run = (): void => void this.reconstruct().catch((e: unknown) => this.say(errorText(e), 'error'));
    run();
    return this.seededPanel('Test images and their reconstructions', this.reconSeed, h('button', { id: 'reconstruct' }, 'Reconstruct'), run, [this.reconCanvas],
      'Eight test images picked by the seed (top) over what the model makes of them (bottom), as genlab reconstruct --seed S -n 8.');
  }

  /** A panel of test images picked by a seed: its title, the seed and the button that runs `run`, what it draws, a hint. */
  private seededPanel(title: string, seed: HTMLInputElement, go: HTMLButtonElement, run: () => void, shows: HTMLElement[], hint: string): HTMLElement {
    go.addEventListener('click', run);
    return h('div', { class: 'panel' }, h('h3', {}, title), h('div', { class: 'inline-controls' }, h('label', {}, 'seed', seed), go), ...shows, h('p', { class: 'hint' }, hint));
  }

  private async reconstruct(): Promise<void> {
    const model = this.model;
    if (!model || !can(model, 'reconstruct')) return;
    const seed = intOf(this.reconSeed, 0);
    const ex = await runExamples(this.run, 8, seed);
    const n = ex.shape[0]!;
    const out = tf.tidy(() => {
      const x = tf.tensor(ex.x, ex.shape);
      const labels = isConditional(model) && ex.labels ? tf.tensor1d(ex.labels, 'int32') : undefined;
      return model.reconstruct(x, new Rng(seed), labels);
    });
    const r = (await out.data()) as Float32Array;
    out.dispose();
    const both = new Float32Array(ex.x.length + r.length);
    both.set(ex.x);
    both.set(r, ex.x.length);
    drawImageGrid(this.reconCanvas, both, 2 * n, model.dataShape, n);
    this.reconCanvas.dataset['seed'] = String(seed);
    this.reconCanvas.dataset['indices'] = ex.indices.join(',');
  }

  // ---- upscaling ----

  private readonly upSeed = numberInput('upscale-seed', 0, 0, 2 ** 31 - 1, 'seed');
  private readonly upCanvas = h('canvas', { id: 'model-upscaled', class: 'pixelated samples-grid' });
  private readonly upScores = h('p', { class: 'hint', id: 'upscale-scores' });

  private upscalePanel(): HTMLElement {
    const run = (): void => void this.upscale().catch((e: unknown) => this.say(errorText(e), 'error'));
    return this.seededPanel('Test images upscaled', this.upSeed, h('button', { id: 'upscale' }, 'Upscale'), run, [this.upCanvas, this.upScores],
      'Rows: the low-resolution image (nearest neighbour), bicubic, the model, the original; eight test images picked by the seed.');
  }

  /** Eight test images picked by the seed, averaged down and upscaled three ways, with PSNR against the originals. */
  private async upscale(): Promise<void> {
    const model = this.model;
    if (!model || !can(model, 'upscale')) return;
    const seed = intOf(this.upSeed, 0);
    const ex = await runExamples(this.run, 8, seed);
    const n = ex.shape[0]!;
    const [height, width] = model.dataShape as [number, number, number];
    const { grid, psnr } = tf.tidy(() => {
      const x = tf.tensor4d(ex.x, [n, ...(model.dataShape as [number, number, number])]);
      const low = model.downscale(x);
      const bicubic = model.bicubic(low);
      const up = model.upscale(low);
      const mean = (t: tf.Tensor) => tf.mean(psnrPerImage(x, t)).dataSync()[0]!;
      return { grid: tf.concat([tf.image.resizeNearestNeighbor(low, [height, width]), bicubic, up, x]), psnr: { bicubic: mean(bicubic), model: mean(up) } };
    });
    const values = (await grid.data()) as Float32Array;
    grid.dispose();
    drawImageGrid(this.upCanvas, values, 4 * n, model.dataShape, n);
    this.upScores.textContent = `PSNR against the originals: ${model.kind} ${psnr.model.toFixed(2)} dB, bicubic ${psnr.bicubic.toFixed(2)} dB (these ${n} images).`;
    this.upCanvas.dataset['seed'] = String(seed);
    this.upCanvas.dataset['psnr'] = psnr.model.toFixed(4);
    this.upCanvas.dataset['bicubicPsnr'] = psnr.bicubic.toFixed(4);
  }

  // ---- interpolation ----

  private readonly from = numberInput('interp-from', 1, 0, 2 ** 31 - 1, 'from');
  private readonly to = numberInput('interp-to', 2, 0, 2 ** 31 - 1, 'to seed');
  private readonly steps = numberInput('interp-steps', 8, 2, 32, 'steps');
  private readonly interpCanvas = h('canvas', { id: 'model-interp', class: 'pixelated strip-image' });

  /** Autoencoders: between two test images picked by a seed; generators: between the codes of two seeds. */
  private interpPanel(between: 'examples' | 'seeds'): HTMLElement {
    const go = h('button', { id: 'interpolate' }, 'Interpolate');
    const run = (): void => void this.interpolate(between).catch((e: unknown) => this.say(errorText(e), 'error'));
    go.addEventListener('click', run);
    run();
    const seeds = between === 'examples' ? [h('label', {}, 'seed', this.from)] : [h('label', {}, 'from seed', this.from), h('label', {}, 'to seed', this.to)];
    return h(
      'div',
      { class: 'panel' },
      h('h3', {}, 'Interpolation'),
      h('div', { class: 'inline-controls' }, ...seeds, h('label', {}, 'steps', this.steps), go),
      this.interpCanvas,
      h(
        'p',
        { class: 'hint' },
        between === 'examples'
          ? 'Two test images picked by the seed at the ends, between them the decodings of evenly spaced points on the segment between their codes (genlab interpolate).'
          : 'The generator along the great circle between the codes of two seeds (the codes genlab sample --seed draws).',
      ),
    );
  }

  private async interpolate(between: 'examples' | 'seeds'): Promise<void> {
    const model = this.model;
    if (!model) return;
    const steps = Math.min(32, Math.max(2, intOf(this.steps, 8)));
    const shape = model.dataShape;
    const size = shape.reduce((a, b) => a * b, 1);
    let strip: Float32Array;
    let count: number;
    if (between === 'examples' && can(model, 'interpolate')) {
      const ex = await runExamples(this.run, 2, intOf(this.from, 0));
      const labels = isConditional(model) && ex.labels ? ex.labels : null;
      const path = tf.tidy(() => model.interpolate(tf.tensor(ex.x, [2, ...shape]), steps, labels ? tf.tensor1d(labels, 'int32') : undefined));
      const decoded = (await path.data()) as Float32Array;
      path.dispose();
      count = steps + 2;
      strip = new Float32Array(count * size);
      strip.set(ex.x.subarray(0, size));
      strip.set(decoded, size);
      strip.set(ex.x.subarray(size, 2 * size), (steps + 1) * size);
    } else if (can(model, 'generate')) {
      const path = generatedPath(model, intOf(this.from, 0), intOf(this.to, 1), steps, isConditional(model) ? 0 : undefined);
      strip = (await path.data()) as Float32Array;
      path.dispose();
      count = steps;
    } else {
      return;
    }
    drawImageGrid(this.interpCanvas, strip, count, shape, count);
    this.interpCanvas.dataset['steps'] = String(steps);
  }
}
