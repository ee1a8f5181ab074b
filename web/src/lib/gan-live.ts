/**
 * A GAN (src/models/gan.ts) training live on a page: the model, its data, and the pages' three moves — a D step, a
 * G step, and a step (dSteps D updates then one G update, D fixed during G's) — each one `TrainStep.run` (the one
 * training step of src/train/step.ts, with one optimiser per player) on the next minibatch. Plus what
 * the GAN pages draw: D over points, G over chosen codes, and how G's loss pushes each generated point. Everything
 * goes through the GAN's public methods; the maths stays in the library.
 */
import {
  endlessBatches,
  GAN,
  NonFiniteTermError,
  recommendedOptimizer,
  Rng,
  termRecord,
  tf,
  TrainStep,
  type Batch,
  type Dataset,
  type GANConfig,
  type GroupUpdate,
  type OptimizerName,
} from '../../../src/browser.js';
import { LECTURE } from './colors.js';

export interface LiveGanSettings {
  /** The GAN's own options: loss, hidden, latent, the Improved-Techniques fixes … (see GANConfig). */
  config: Partial<GANConfig>;
  optimizer: OptimizerName;
  /** Learning rates of D and G. */
  lrD: number;
  lrG: number;
  /** D updates per step. */
  dSteps: number;
  batchSize: number;
  seed: number;
}

/** The latest value of each player's terms (NaN before its first update). */
export interface LatestTerms {
  /** D's loss, and its mean output on the batch's real and generated points. */
  dLoss: number;
  real: number;
  fake: number;
  gLoss: number;
}

/** n × latent codes z ~ N(0, I), seeded: fixed noise, so what G does to the same codes can be watched. */
export function fixedCodes(n: number, latent: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * latent }, () => rng.normal());
}

export class LiveGan {
  readonly gan: GAN;
  /** Coordinates per point (1 or 2). */
  readonly dims: number;
  dUpdates = 0;
  gUpdates = 0;
  /**
   * Set once a step produced a NaN or infinite term: what went wrong, as the step said it ("gan: discriminator loss
   * is NaN at step 12 (term discriminator/loss)"). The page stops and says so; further moves do nothing.
   */
  diverged: string | null = null;
  readonly latest: LatestTerms = { dLoss: NaN, real: NaN, fake: NaN, gLoss: NaN };
  private trainer: TrainStep;
  private stream: Generator<Batch, never>;
  private disposed = false;

  constructor(
    data: Dataset,
    readonly settings: LiveGanSettings,
  ) {
    this.dims = data.shape[0]!;
    this.gan = GAN.create(settings.config, { shape: [this.dims], kind: 'points' }, new Rng(settings.seed));
    [this.trainer, this.stream] = this.newTrainer(data);
  }

  /** The training step (its noise from one stream) and an endless, shuffled stream of minibatches of `data`. */
  private newTrainer(data: Dataset): [TrainStep, Generator<Batch, never>] {
    const root = new Rng(this.settings.seed + 1);
    const trainer = new TrainStep(this.gan, root.fork(), { ...this.optimizerOptions(), groupOptions: this.rates() });
    const stream = endlessBatches(data, { batchSize: Math.min(this.settings.batchSize, data.count), rng: root.fork(), dropLast: true });
    return [trainer, stream];
  }

  /** Adam with the GAN's usual β (0.5, 0.999; WGAN-GP 0, 0.9), or plain SGD. */
  private optimizerOptions(): { optimizer: OptimizerName; learningRate: number; beta1: number; beta2: number } {
    const { beta1, beta2 } = recommendedOptimizer(this.gan.config.loss);
    return { optimizer: this.settings.optimizer, learningRate: this.settings.lrG, beta1, beta2 };
  }

  /** Each player's own learning rate (D at lrD, G at lrG). */
  private rates(): Record<string, { learningRate: number }> {
    return { discriminator: { learningRate: this.settings.lrD }, generator: { learningRate: this.settings.lrG } };
  }

  /** Minibatches trained on so far. */
  get steps(): number {
    return this.trainer.step;
  }

  /** New optimiser or learning rates: fresh optimisers from the next update on; the networks keep their weights. */
  setOptimizer(optimizer: OptimizerName, lrD: number, lrG: number): void {
    Object.assign(this.settings, { optimizer, lrD, lrG });
    this.trainer.resetOptimizers(this.optimizerOptions(), this.rates());
  }

  /** Trains on other data from now on (the networks keep their weights; the optimisers start afresh). */
  setData(data: Dataset): void {
    const step = this.trainer.step;
    this.trainer.dispose();
    [this.trainer, this.stream] = this.newTrainer(data);
    this.trainer.step = step;
  }

  /** One discriminator update (G fixed). */
  dStep(): Promise<void> {
    return this.update([{ group: 'discriminator', times: 1 }]);
  }

  /** One generator update (D fixed). */
  gStep(): Promise<void> {
    return this.update([{ group: 'generator', times: 1 }]);
  }

  /** dSteps discriminator updates, then one generator update, on one minibatch. */
  step(): Promise<void> {
    return this.update([
      { group: 'discriminator', times: this.settings.dSteps },
      { group: 'generator', times: 1 },
    ]);
  }

  /** The updates of `plan`, in order, on the next minibatch: one run of the training step. */
  private async update(plan: GroupUpdate[]): Promise<void> {
    if (this.diverged !== null || this.disposed) return;
    let terms: Record<string, number>;
    try {
      terms = termRecord(await this.trainer.run(this.stream.next().value, plan));
    } catch (e) {
      if (!(e instanceof NonFiniteTermError)) throw e;
      this.diverged = e.message;
      return;
    } finally {
      for (const u of plan) {
        if (u.group === 'discriminator') this.dUpdates += u.times;
        else this.gUpdates += u.times;
      }
    }
    if (terms['discriminator/loss'] !== undefined) {
      this.latest.dLoss = terms['discriminator/loss'];
      this.latest.real = terms['discriminator/real'] ?? NaN;
      this.latest.fake = terms['discriminator/fake'] ?? NaN;
    }
    if (terms['generator/loss'] !== undefined) this.latest.gLoss = terms['generator/loss'];
  }

  /**
   * D's output at `points` (n × dims, row-major). With minibatch discrimination D compares each point with the others
   * of its batch, so the points go through in batches of the training batch size, as in training.
   */
  discriminatorAt(points: Float32Array): Float32Array {
    const { dims } = this;
    const n = points.length / dims;
    const chunk = this.gan.config.minibatchDiscrimination ? this.settings.batchSize : Math.max(n, 1);
    const out = new Float32Array(n);
    for (let start = 0; start < n; start += chunk) {
      const m = Math.min(chunk, n - start);
      const d = tf.tidy(() => this.gan.discriminate(tf.tensor2d(points.subarray(start * dims, (start + m) * dims), [m, dims])));
      out.set(d.dataSync(), start);
      d.dispose();
    }
    return out;
  }

  /** G(z) for codes `z` (n × latent, row-major): n × dims values. */
  generate(z: Float32Array): Float32Array {
    const n = z.length / this.gan.latent;
    const x = tf.tidy(() => this.gan.generate(tf.tensor2d(z, [n, this.gan.latent])));
    const values = x.dataSync() as Float32Array;
    x.dispose();
    return values;
  }

  /**
   * −∇ₓ of G's loss at generated points `fake` (n × dims), D fixed: the direction G's next update pushes each of
   * them. The loss is the batch mean, so its gradient is scaled by n to give each point's own term's gradient.
   * `real` points are what feature matching compares with.
   */
  generatorPush(fake: Float32Array, real: Float32Array): Float32Array {
    const { dims } = this;
    const n = fake.length / dims;
    const g = tf.tidy(() => {
      const x = tf.tensor2d(fake, [n, dims]);
      const r = tf.tensor2d(real, [real.length / dims, dims]);
      const grad = tf.grad((p: tf.Tensor) => this.gan.generatorLossAt(p, r))(x); // [n, dims]
      return tf.mul(grad, -n);
    });
    const values = g.dataSync() as Float32Array;
    g.dispose();
    return values;
  }

  dispose(): void {
    this.disposed = true;
    this.trainer.dispose();
    this.gan.dispose();
  }
}

/** Values over training steps for the pages' charts; long series are thinned (every other point dropped) to stay cheap to draw. */
export class History<K extends string> {
  step: number[] = [];
  values = {} as Record<K, number[]>;

  constructor(
    readonly names: readonly K[],
    private readonly max = 1200,
  ) {
    this.clear();
  }

  /** Adds a point; a second point at the same step replaces the first. */
  push(step: number, values: Record<K, number>): void {
    if (this.step[this.step.length - 1] === step) {
      this.step.pop();
      for (const k of this.names) this.values[k].pop();
    }
    this.step.push(step);
    for (const k of this.names) this.values[k].push(values[k]);
    if (this.step.length > this.max) {
      const last = this.step.length - 1;
      const keep = (_: number, i: number): boolean => i % 2 === 0 || i === last;
      this.step = this.step.filter(keep);
      for (const k of this.names) this.values[k] = this.values[k].filter(keep);
    }
  }

  clear(): void {
    this.step = [];
    for (const k of this.names) this.values[k] = [];
  }
}

/** The two players' losses as chart series (D blue, G green), as both GAN pages chart them. */
export function lossSeries(losses: History<'d' | 'g'>): { label: string; color: string; xs: number[]; ys: number[]; width: number }[] {
  return [
    { label: 'D loss', color: LECTURE.blue, xs: losses.step, ys: losses.values.d, width: 1.5 },
    { label: 'G loss', color: LECTURE.green, xs: losses.step, ys: losses.values.g, width: 1.5 },
  ];
}


/** The status line once a step produced a NaN or infinite term (`why`: LiveGan.diverged). */
export function divergedMessage(why: string): string {
  return `training stopped: ${why}. Lower the learning rates and press Reset.`;
}
