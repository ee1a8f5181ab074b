/**
 * A fresh model of a shipped model's kind and configuration (new seeded weights), trained in the page through the
 * library's one training step (TrainStep) on shuffled minibatches of a dataset — with the optimiser settings its kind
 * recommends (a GAN family's Adam; 1e-3 otherwise), whatever its loss groups are. The latent-space, one-pixel-7 and
 * Pokémon pages train their VAEs with it, the moon page its AE and VAE.
 */
import { endlessBatches, KINDS, NonFiniteTermError, Rng, termRecord, TrainStep, type Batch, type Dataset, type GenerativeModel } from '../../../src/browser.js';
import { fetchDataset } from './lecture.js';
import { errorText, setStatus } from './shell.js';

/**
 * One frame of a page's live training (a TrainLoop's work): false when there is nothing to train or training
 * stopped, which the status line then says, with the way back (`shipped`: what the page opened with).
 */
export async function trainFrame(live: { run(): Promise<boolean>; readonly error: string | null } | null, shipped = 'the shipped model'): Promise<boolean> {
  if (!live) return false;
  const ok = await live.run();
  if (!ok && live.error) setStatus(`training stopped: ${live.error}. Go back to ${shipped} and train again.`, 'error');
  return ok;
}

/**
 * Wires a page's "Train a fresh VAE" button: a click pauses `loop` while it plays; otherwise it fetches `count` MNIST
 * training digits (on the first click only), lets `start` make the live model when there is none (`live()` false),
 * and plays. `ready()` is false until the page's shipped model is open. Errors go to the status line.
 */
export function wireTrainButton(
  button: HTMLButtonElement,
  loop: { readonly playing: boolean; play(): void; pause(): void },
  options: { count: number; ready(): boolean; live(): boolean; start(digits: Dataset): void },
): void {
  let digits: Dataset | null = null;
  button.addEventListener('click', async () => {
    if (loop.playing) return loop.pause();
    if (!options.ready()) return;
    try {
      if (!options.live()) {
        if (!digits) {
          button.disabled = true;
          setStatus(`Fetching ${options.count.toLocaleString('en')} MNIST training digits…`);
          digits = await fetchDataset('mnist', { split: 'train', n: options.count, seed: 0 });
        }
        options.start(digits);
      }
      loop.play();
    } catch (e) {
      setStatus(errorText(e), 'error');
    } finally {
      button.disabled = false;
    }
  });
}

export class LiveModel<M extends GenerativeModel = GenerativeModel> {
  readonly model: M;
  private readonly trainer: TrainStep;
  private readonly stream: Generator<Batch, never>;
  /** The last step's terms (`loss`, or `group/term` for a model with several loss groups), or null before the first. */
  last: Record<string, number> | null = null;
  /** The loss of every step's minibatch (a VAE's −ELBO), for a loss curve. */
  readonly curve: { steps: number[]; loss: number[] } = { steps: [], loss: [] };
  /** Milliseconds the last step took (a page may say when its backend is slow). */
  msPerStep = NaN;
  /** Why training stopped (a NaN or infinite term), or null. */
  error: string | null = null;
  private disposed = false;

  /**
   * A new model like `like` to train on `train`, `batchSize` examples a step; `seed` (a number, or an Rng a page
   * forks its own from) gives the weights, the model's noise and the shuffles.
   */
  constructor(
    like: M,
    readonly train: Dataset,
    seed: number | Rng,
    readonly batchSize: number,
  ) {
    const spec = Object.hasOwn(KINDS, like.kind) ? KINDS[like.kind as keyof typeof KINDS] : null;
    if (!spec) throw new Error(`cannot train a ${like.kind} model live: not a kind of the library`);
    const root = typeof seed === 'number' ? new Rng(seed) : seed;
    // One seed: the weights, the model's noise and the shuffles from separate streams.
    this.model = spec.create(like.config, { shape: like.dataShape, kind: 'images' }, root.fork()) as M;
    this.trainer = new TrainStep(this.model, root.fork(), spec.optimizer(like.config) ?? { learningRate: 1e-3 });
    this.stream = endlessBatches(train, { batchSize, rng: root.fork(), dropLast: true });
  }

  get step(): number {
    return this.trainer.step;
  }

  /** Examples seen so far. */
  get examples(): number {
    return this.trainer.step * this.batchSize;
  }

  /** Passes over the training data so far. */
  get epochs(): number {
    return this.examples / this.train.count;
  }

  /** One step on the next minibatch; false (with `error` set) when a term turned NaN or infinite, or once disposed. */
  async run(): Promise<boolean> {
    if (this.disposed) return false;
    try {
      const t0 = performance.now();
      const terms = termRecord(await this.trainer.run(this.stream.next().value));
      if (this.disposed) return false;
      this.msPerStep = performance.now() - t0;
      this.last = terms;
      this.curve.steps.push(this.trainer.step);
      this.curve.loss.push(terms['negElbo'] ?? terms['loss'] ?? NaN);
      return true;
    } catch (e) {
      if (this.disposed) return false;
      if (e instanceof NonFiniteTermError) {
        this.error = e.message;
        return false;
      }
      throw e;
    }
  }

  dispose(): void {
    this.disposed = true;
    this.trainer.dispose();
    this.model.dispose();
  }
}
