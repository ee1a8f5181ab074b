/**
 * One training step, the same in Node and the browser: one minibatch through the model's declared loss groups —
 * each with its own optimiser, updating only its own variables ("train G with D fixed") — and never a question of
 * what kind of model it is.
 *
 *   for each group (in order, or in the order a plan names them), `steps` times:
 *     terms = group.loss(batch, rng, step); optimiser.update(group.variables, ∇ terms.loss (+ λW: group.decay))
 *   one read of every term (engine/read-scalars.ts); NaN/Inf check on each
 *
 * `fit` (Node: epochs, callbacks, run folders, checkpoints) drives it; the lab's pages drive it a few steps per
 * animation frame; the model tests train through it. Terms are named `term` for a model with one group and
 * `group/term` for several, everywhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/dataset.js';
import { GenlabError } from '../engine/errors.js';
import { readScalars, tensorIdMark } from '../engine/read-scalars.js';
import type { Rng } from '../engine/rng.js';
import { untaped } from '../engine/untaped.js';
import type { LossGroup, LossTerms, TensorBatch, TrainableModel } from '../models/model.js';
import { createOptimizer, foldsWeightDecay, learningRateAt, resolveOptimizerOptions, setLearningRate, withDecayAdded, type OptimizerOptions, type ResolvedOptimizerOptions } from './optimizers.js';

export interface StepOptions extends OptimizerOptions {
  /** Steps of the whole run, over which `lrDecay` falls to 0. Required when lrDecay is not 'none'. */
  totalSteps?: number;
  /** Global step of the first call (non-zero after a resume). Default 0. */
  startStep?: number;
  /**
   * What to minimise from a group's named terms (default: its `loss`). The lab's KL page minimises `recon` alone to
   * show what happens without the KL term.
   */
  objective?: (terms: LossTerms, group: string) => tf.Scalar;
  /**
   * Settings of one group's optimiser over the shared ones, by group name: e.g. two time-scale learning rates
   * (Heusel et al. 2017), `{ discriminator: { learningRate: 4e-4 }, generator: { learningRate: 1e-4 } }`.
   */
  groupOptions?: Readonly<Record<string, OptimizerOptions>>;
}

/** `times` updates of the loss group named `group` (a GAN page's "D step", "G step"). */
export interface GroupUpdate {
  group: string;
  times: number;
}

/** A step's terms: names in logging order (each group's `loss` first) and their values, sub-steps averaged. */
export interface StepTerms {
  names: string[];
  values: number[];
}

/** A loss group with its optimiser and the names of its terms (known after its first call). */
export interface GroupState {
  readonly group: LossGroup;
  optimizer: tf.Optimizer;
  /** The settings `optimizer` was made with (the shared ones and the group's own). */
  settings: ResolvedOptimizerOptions;
  readonly steps: number;
  /** Each variable's weight decay λ, in the group's variable order (LossGroup.decay), or null when none decays. */
  readonly decays: readonly number[] | null;
  terms: string[] | null;
}

/** A loss term that became NaN or infinite: `step` is the 1-based count of the step that produced it. */
export class NonFiniteTermError extends GenlabError {
  constructor(
    readonly kind: string,
    /** What went wrong, e.g. "loss is NaN" or "discriminator/real is Infinity". */
    readonly what: string,
    readonly term: string,
    readonly step: number,
  ) {
    super('numeric', `${kind}: ${what} at step ${step} (term ${term})`);
  }
}

/** A Batch of typed arrays as tensors: `x` [n, ...shape]; `labels` int32 [n] when the data have class labels. */
export function toTensorBatch(batch: Batch): TensorBatch {
  const tb: TensorBatch = { x: tf.tensor(batch.x, batch.shape, 'float32') };
  if (batch.labels instanceof Int32Array) tb.labels = tf.tensor1d(batch.labels, 'int32');
  return tb;
}

const isTensorBatch = (b: Batch | TensorBatch): b is TensorBatch => b.x instanceof tf.Tensor;

/** The terms as a record, `{ name: value }`. */
export function termRecord(terms: StepTerms): Record<string, number> {
  return Object.fromEntries(terms.names.map((n, i) => [n, terms.values[i]!]));
}

export class TrainStep {
  /** Global step of the next call (0-based): schedules such as KL warm-up and the learning-rate decay read it. */
  step: number;
  readonly groups: readonly GroupState[];
  private optimizerOptions: ResolvedOptimizerOptions;
  private groupOptions: Readonly<Record<string, OptimizerOptions>>;
  private readonly totalSteps: number | null;
  private readonly objective: StepOptions['objective'];
  /** Groups whose updates another group's runs (LossGroup.wraps) in a step without a plan. */
  private readonly wrapped: ReadonlySet<GroupState>;

  constructor(
    readonly model: TrainableModel,
    /** The training stream: the model's noise (reparameterisation, input noise) draws from it. */
    readonly rng: Rng,
    options: StepOptions = {},
  ) {
    this.optimizerOptions = resolveOptimizerOptions(options);
    this.groupOptions = options.groupOptions ?? {};
    this.step = options.startStep ?? 0;
    this.totalSteps = options.totalSteps ?? null;
    this.objective = options.objective;
    this.groups = makeGroups(model, (name) => this.settingsOf(name));
    this.wrapped = new Set(this.groups.flatMap((g) => (g.group.wraps ?? []).map((name) => this.groupNamed(name))));
    this.checkGroupOptions();
  }

  /** The settings every group's optimiser was made with. */
  get optimizer(): ResolvedOptimizerOptions {
    return this.optimizerOptions;
  }

  /**
   * One step on `batch`: every group as the model declares (each `steps` times), or the updates `plan` names, in its
   * order. Returns every updated group's terms; throws a NonFiniteTermError at the first NaN or infinite term.
   * With `partOfStep`, the updates are a part of a step that a later call completes (a page that spreads one GAN step
   * over two animation frames): the step count, which schedules read, does not advance.
   */
  async run(batch: Batch | TensorBatch, plan?: readonly GroupUpdate[], partOfStep = false): Promise<StepTerms> {
    const owned = isTensorBatch(batch) ? null : toTensorBatch(batch);
    // The step's own view of the batch, with the values its updates derive from it once (TensorBatch.derived).
    const derived = new Map<string, tf.Tensor[]>();
    const tb: TensorBatch = { ...(owned ?? (batch as TensorBatch)), derived };
    const updates = plan ? plan.map((u) => ({ g: this.groupNamed(u.group), times: u.times })) : this.groups.map((g) => ({ g, times: g.steps }));
    const values: tf.Tensor[] = [];
    const kept: tf.Tensor[] = [];
    try {
      for (const g of this.groups) {
        if (g.settings.lrDecay !== 'none') setLearningRate(g.optimizer, learningRateAt(g.settings, this.step, this.totalSteps!));
      }
      // Without a plan, a group that wraps others runs their updates inside its own (LossGroup.wraps).
      const nest = !plan;
      for (const { g, times } of updates) {
        if (nest && this.wrapped.has(g)) continue;
        const inner = nest && g.group.wraps ? (into: tf.Tensor[]) => this.updateAll(g.group.wraps!, tb, into, kept) : undefined;
        for (let k = 0; k < times; k++) values.push(...this.update(g, tb, kept, inner));
      }
      const terms = this.readTerms(updates, await readScalars(values));
      if (!partOfStep) this.step += 1;
      this.checkFinite(terms);
      return terms;
    } finally {
      tf.dispose(kept);
      for (const tensors of derived.values()) tf.dispose(tensors);
      if (owned) {
        owned.x.dispose();
        owned.labels?.dispose();
      }
    }
  }

  /** New optimisers for every group (after a change of learning rate or optimiser in the lab); state is dropped. */
  resetOptimizers(options: OptimizerOptions = this.optimizerOptions, groupOptions = this.groupOptions): void {
    this.optimizerOptions = resolveOptimizerOptions(options);
    this.groupOptions = groupOptions;
    this.checkGroupOptions();
    for (const g of this.groups) {
      g.optimizer.dispose();
      g.settings = this.settingsOf(g.group.name);
      g.optimizer = createOptimizer(g.settings);
    }
  }

  private checkGroupOptions(): void {
    for (const name of Object.keys(this.groupOptions)) this.groupNamed(name);
    const decaying = this.groups.find((g) => this.settingsOf(g.group.name).lrDecay !== 'none');
    if (decaying && this.totalSteps === null) {
      throw new GenlabError('bad-input', `lrDecay: '${this.settingsOf(decaying.group.name).lrDecay}' needs the run's totalSteps`);
    }
  }

  /** The settings of group `name`'s optimiser: the shared ones, with the group's own over them. */
  private settingsOf(name: string): ResolvedOptimizerOptions {
    const own = this.groupOptions[name];
    return own ? resolveOptimizerOptions({ ...this.optimizerOptions, ...own }) : this.optimizerOptions;
  }

  dispose(): void {
    for (const g of this.groups) g.optimizer.dispose();
  }

  /** The updates of the groups named, as declared, each `steps` times, their terms into `into` (see `update`). */
  private updateAll(names: readonly string[], tb: TensorBatch, into: tf.Tensor[], kept: tf.Tensor[]): void {
    for (const name of names) {
      const w = this.groupNamed(name);
      // Off the wrapping group's tape: its gradient does not pass through these updates, and recording them would
      // cost time, memory, and the one-pass kernels (which step aside inside a recorded gradient).
      for (let k = 0; k < w.steps; k++) into.push(...untaped(() => this.update(w, tb, kept)));
    }
  }

  private groupNamed(name: string): GroupState {
    const g = this.groups.find((s) => s.group.name === name);
    if (!g) throw new GenlabError('bad-input', `${this.model.kind}: no loss group '${name}' (it has ${this.groups.map((s) => s.group.name).join(', ')})`);
    return g;
  }

  /**
   * One update of one group: the loss and its gradient with respect to the group's variables only, applied by the
   * group's optimiser. Returns the group's terms in its term order (the terms of groups it wraps first), for the step
   * to read all at once (readScalars); those the update made are kept past its scope and added to `kept`, which the
   * step disposes (a term the model holds itself, a variable or a constant made before, is neither kept nor disposed).
   */
  private update(g: GroupState, tb: TensorBatch, kept: tf.Tensor[], runInner?: (into: tf.Tensor[]) => void): tf.Tensor[] {
    const step = this.step;
    const madeAfter = tensorIdMark();
    return tf.tidy(() => {
      let own: tf.Tensor[] = [];
      const inner: tf.Tensor[] = [];
      let innerCalls = 0;
      const runWrapped = runInner && ((): void => {
        innerCalls += 1;
        if (innerCalls === 1) runInner(inner);
      });
      const { grads } = tf.variableGrads(() => {
        const terms = g.group.loss(tb, this.rng, step, runWrapped);
        if (runInner && innerCalls !== 1) {
          throw new GenlabError('internal', `${this.model.kind}: loss group '${g.group.name}' wraps ${g.group.wraps!.join(', ')} but called inner() ${innerCalls} times (once expected)`);
        }
        g.terms ??= termOrder(terms);
        own = g.terms.map((name) => {
          const t = terms[name];
          if (!t) throw new GenlabError('internal', `${this.model.kind}: loss group '${g.group.name}' returned no term '${name}' at step ${step + 1}`);
          if (t.id > madeAfter && !t.kept && !(t instanceof tf.Variable)) kept.push(tf.keep(t));
          return t;
        });
        return this.objective ? this.objective(terms, g.group.name) : terms.loss;
      }, g.group.variables);
      // In declared order, with a missing gradient left out: TF.js optimisers index accumulators by position. Weight
      // decay (λW, LossGroup.decay) goes with each gradient: FusedAdam adds it in its own pass, others get g + λW.
      const gradients = g.group.variables.map((v, i) => ({ name: v.name, tensor: grads[v.name], ...(g.decays ? { decay: g.decays[i]! } : {}) }));
      g.optimizer.applyGradients(g.decays && !foldsWeightDecay(g.optimizer) ? withDecayAdded(gradients) : (gradients as { name: string; tensor: tf.Tensor }[]));
      g.group.afterUpdate?.();
      // The wrapped groups' terms first, as they ran (and as readTerms reads them: in the updates' order).
      return [...inner, ...own];
    });
  }

  private readTerms(updates: readonly { g: GroupState; times: number }[], raw: ArrayLike<number>): StepTerms {
    const prefix = this.groups.length > 1;
    const sums = new Map<string, { sum: number; n: number }>();
    let offset = 0;
    for (const { g, times } of updates) {
      const names = g.terms!;
      for (let k = 0; k < times; k++) {
        names.forEach((name, j) => {
          const key = prefix ? `${g.group.name}/${name}` : name;
          const s = sums.get(key) ?? { sum: 0, n: 0 };
          s.sum += raw[offset + j]!;
          s.n += 1;
          sums.set(key, s);
        });
        offset += names.length;
      }
    }
    return { names: [...sums.keys()], values: [...sums.values()].map((s) => s.sum / s.n) };
  }

  private checkFinite({ names, values }: StepTerms): void {
    let bad = -1;
    for (let i = 0; i < names.length; i++) {
      // Name the culprit rather than the total when the total is bad because a term is.
      if (!Number.isFinite(values[i]!) && (bad < 0 || names[bad]!.endsWith('loss'))) bad = i;
    }
    if (bad < 0) return;
    const culprit = names[bad]!;
    const lossName = culprit.includes('/') ? `${culprit.split('/')[0]}/loss` : 'loss';
    const lossIndex = names.indexOf(lossName);
    const lossValue = lossIndex >= 0 ? values[lossIndex]! : values[bad]!;
    const what = Number.isFinite(lossValue) ? `${culprit} is ${values[bad]}` : `${lossName.replace('/', ' ')} is ${lossValue}`;
    throw new NonFiniteTermError(this.model.kind, what, culprit, this.step);
  }
}

/** Term names in logging order: `loss` first, then the others as the loss returned them. */
function termOrder(terms: LossTerms): string[] {
  return ['loss', ...Object.keys(terms).filter((k) => k !== 'loss')];
}

function makeGroups(model: TrainableModel, settingsOf: (group: string) => ResolvedOptimizerOptions): GroupState[] {
  const groups = model.lossGroups();
  if (groups.length === 0) throw new GenlabError('internal', `${model.kind}: the model declares no loss groups`);
  const names = new Set<string>();
  return groups.map((group) => {
    if (names.has(group.name)) throw new GenlabError('internal', `${model.kind}: two loss groups are named '${group.name}'`);
    names.add(group.name);
    if (group.variables.length === 0) throw new GenlabError('internal', `${model.kind}: loss group '${group.name}' has no variables`);
    const steps = group.steps ?? 1;
    if (!(Number.isSafeInteger(steps) && steps >= 1)) throw new GenlabError('internal', `${model.kind}: loss group '${group.name}' has steps ${steps}`);
    for (const name of group.wraps ?? []) {
      // Wrapped groups' terms come first in the step's download, as readTerms reads them in declared order.
      const inner = groups.findIndex((other) => other.name === name);
      if (inner < 0 || inner >= groups.indexOf(group) || groups[inner]!.wraps || steps !== 1) {
        throw new GenlabError('internal', `${model.kind}: loss group '${group.name}' wraps '${name}': it must be a group declared before it that wraps none, and '${group.name}' must run once a step`);
      }
    }
    const settings = settingsOf(group.name);
    return { group, optimizer: createOptimizer(settings), settings, steps, decays: decaysOf(model, group), terms: null };
  });
}

/** Each of the group's variables' weight decay λ (0 for those it does not name), or null without decay. */
function decaysOf(model: TrainableModel, group: LossGroup): number[] | null {
  if (!group.decay || group.decay.rate === 0) return null;
  const { rate, variables } = group.decay;
  const where = `${model.kind}: loss group '${group.name}'`;
  if (!(rate > 0 && Number.isFinite(rate))) throw new GenlabError('internal', `${where} has weight decay ${rate}`);
  const decayed = new Set(variables);
  const outside = variables.find((v) => !group.variables.includes(v as tf.Variable));
  if (outside) throw new GenlabError('internal', `${where} decays ${outside.name}, which it does not update`);
  return group.variables.map((v) => (decayed.has(v) ? rate : 0));
}
