/**
 * Optimisers (TF.js's own Adam and SGD/momentum) and their state for checkpoints.
 *
 * Saving: `optimizer.getWeights()` gives `iter` then the accumulators (Adam: every `m`, then every `v`;
 * momentum: every `momentum`), named after the variables they belong to (`dense_Dense1/kernel/m`). Those names are
 * not stable across processes — TF.js numbers layers per process — but TF.js's `setWeights` restores accumulators
 * by position, not by name: the i-th accumulator belongs to the i-th variable of the list passed to
 * `applyGradients`. The trainer always passes a group's variables in the group's declared order, so restoring by
 * position is correct as long as the model declares its variables in the same order after loading (it does: the
 * order comes from the architecture). Restore checks count and shapes against the group's variables.
 *
 * Exactness: Adam keeps β₁ᵗ and β₂ᵗ (`accBeta1/2`) as running products, but `setWeights` recomputes them as
 * `pow(β, t + 1)`, which differs in the last float32 bits; a resumed run would then drift from an uninterrupted
 * one. We save both products with the state and put them back after `setWeights` (TF.js keeps them in fields
 * of the optimizer; if a future TF.js renames them we fall back to its `pow`, and resumes are exact to ~1e-7).
 */
import * as tf from '@tensorflow/tfjs-core';
import { badFile, badInput } from '../engine/errors.js';
import { ADAM_UPDATE_KERNEL, hasAdamUpdateKernel, type AdamUpdateAttrs } from '../engine/kernels/adam-update.js';

export const OPTIMIZERS = ['adam', 'sgd'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** How the step size falls over a run: kept constant, linearly to 0, or along a half cosine to 0 (Loshchilov & Hutter 2017, SGDR, without restarts). */
export const LR_DECAYS = ['none', 'linear', 'cosine'] as const;
export type LrDecay = (typeof LR_DECAYS)[number];

/** Optimiser settings; every field has a default. */
export interface OptimizerOptions {
  /** 'adam' (default) or 'sgd' (with momentum when `momentum` > 0). */
  optimizer?: OptimizerName;
  /** Step size. Default 1e-3 for Adam, 1e-2 for SGD. */
  learningRate?: number;
  /** Adam's decay of the first moment. Default 0.9 (0.5 is usual for GANs, Radford et al. 2016). */
  beta1?: number;
  /** Adam's decay of the second moment. Default 0.999. */
  beta2?: number;
  /** Adam's ε. Default 1e-7 (Keras's; fixed here rather than per backend so runs agree across backends). */
  epsilon?: number;
  /** SGD momentum (heavy ball). Default 0: plain SGD. */
  momentum?: number;
  /** Learning-rate schedule over the run's steps. Default 'none'. */
  lrDecay?: LrDecay;
}

export type ResolvedOptimizerOptions = Required<OptimizerOptions>;

/** The options with every default filled in, checked. */
export function resolveOptimizerOptions(o: OptimizerOptions): ResolvedOptimizerOptions {
  const optimizer = o.optimizer ?? 'adam';
  if (!(OPTIMIZERS as readonly string[]).includes(optimizer)) throw badInput('optimizer', `expected one of ${OPTIMIZERS.join(', ')}, got '${optimizer}'`);
  const r: ResolvedOptimizerOptions = {
    optimizer,
    learningRate: o.learningRate ?? (optimizer === 'adam' ? 1e-3 : 1e-2),
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.999,
    epsilon: o.epsilon ?? 1e-7,
    momentum: o.momentum ?? 0,
    lrDecay: o.lrDecay ?? 'none',
  };
  if (!(LR_DECAYS as readonly string[]).includes(r.lrDecay)) throw badInput('lrDecay', `expected one of ${LR_DECAYS.join(', ')}, got '${r.lrDecay}'`);
  if (!(r.learningRate > 0 && Number.isFinite(r.learningRate))) throw badInput('learning rate', `expected a positive number, got ${r.learningRate}`);
  for (const k of ['beta1', 'beta2', 'momentum'] as const) {
    if (!(r[k] >= 0 && r[k] < 1)) throw badInput(k, `expected a number in [0, 1), got ${r[k]}`);
  }
  if (!(r.epsilon > 0)) throw badInput('epsilon', `expected a positive number, got ${r.epsilon}`);
  return r;
}

/** The step size for step `step` (0-based) of `total`: the base rate times the schedule's factor (1 → 0). */
export function learningRateAt(o: ResolvedOptimizerOptions, step: number, total: number): number {
  const t = Math.min(1, Math.max(0, step / Math.max(1, total)));
  switch (o.lrDecay) {
    case 'none':
      return o.learningRate;
    case 'linear':
      return o.learningRate * (1 - t);
    case 'cosine':
      return o.learningRate * 0.5 * (1 + Math.cos(Math.PI * t));
  }
}

/** Sets the step size of an optimiser made by `createOptimizer` (TF.js reads it at every update). */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  // SGD and momentum keep the rate as a tensor behind setLearningRate; Adam reads a plain field. (No instanceof:
  // TF.js optimisers answer `instanceof` by duck typing, so an Adam optimiser "is" an SGDOptimizer.)
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(learningRate);
  else o.learningRate = learningRate;
}

/** What FusedAdam reads of TF.js's AdamOptimizer (its fields; the saved state keeps this layout, see the top). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}

/** One variable's gradient for an update (undefined: it has none this step), and its L2 weight decay λ (absent: 0). */
export interface DecayedGradient {
  name: string;
  tensor: tf.Tensor | undefined;
  decay?: number;
}

/**
 * The gradients with each variable's weight decay added, g + λ·x: the float32 operations autodiff of (λ/2)·‖x‖² in the
 * loss would add to g (a λ·x, then a sum). For optimisers that do not fold the decay in themselves (`foldsWeightDecay`).
 * New tensors belong to the caller's tidy scope.
 */
export function withDecayAdded(gradients: readonly DecayedGradient[]): { name: string; tensor: tf.Tensor }[] {
  return gradients.map(({ name, tensor, decay }) => ({
    name,
    tensor: (tensor && decay ? tf.add(tensor, tf.mul(tf.engine().registeredVariables[name]!, decay)) : tensor) as tf.Tensor,
  }));
}

/**
 * Whether `optimizer` takes gradients with their weight decay (DecayedGradient) and applies it in its own update:
 * FusedAdam does, in the same pass as Adam's (PyTorch's Adam `weight_decay`); others get `withDecayAdded`'s sums.
 * (Not instanceof: TF.js optimisers answer it by duck typing, so any Adam "is" a FusedAdam.)
 */
export function foldsWeightDecay(optimizer: tf.Optimizer): optimizer is FusedAdam {
  return optimizer.constructor === FusedAdam;
}

/**
 * TF.js's Adam, with the update of all the variables of a step done by one fused kernel where the backend has it (the
 * native backend: one pass over x, m, v, g per variable, in place from the second step on, instead of ~20
 * element-wise kernels per variable, each a full pass over memory). Same float32 operations in the same order, same
 * state, same checkpoints; elsewhere it is TF.js's Adam unchanged. Gradients may carry a weight decay (DecayedGradient).
 */
export class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.Optimizer["applyGradients"]>[0] | readonly DecayedGradient[]): void {
    const list: readonly DecayedGradient[] = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients as tf.NamedTensorMap).map(([name, tensor]) => ({ name, tensor }));
    if (!hasAdamUpdateKernel()) {
      if (!list.some((g) => g.decay)) return super.applyGradients(list as { name: string; tensor: tf.Tensor }[]);
      return tf.tidy(() => super.applyGradients(withDecayAdded(list)));
    }
    const self = this as unknown as AdamState;
    tf.tidy(() => {
      // 1 − βᵗ and βᵗ⁺¹ = βᵗ·β as TF.js computes them in float32 (tf.sub, tf.mul): the exact result of an operation on
      // two float32 values, rounded once to float32, is what Math.fround of the double result gives.
      const [acc1, acc2] = [self.accBeta1, self.accBeta2].map((acc) => acc.dataSync()[0]!) as [number, number];
      const attrs: AdamUpdateAttrs = {
        learningRate: self.learningRate, beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon,
        oneMinusAccBeta1: Math.fround(1 - acc1), oneMinusAccBeta2: Math.fround(1 - acc2),
      };
      const inputs: tf.NamedTensorMap = {};
      const updated: { x: tf.Variable; m: tf.Variable; v: tf.Variable }[] = [];
      const decays: number[] = [];
      list.forEach(({ name, tensor: g, decay }, i) => {
        const x = tf.engine().registeredVariables[name]!;
        // Moments are created on first sight, as TF.js's Adam does (position i belongs to the i-th variable).
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(x).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(x).variable(false)) };
        if (g == null) return;
        const k = updated.length;
        const m = self.accumulatedFirstMoment[i]!.variable, v = self.accumulatedSecondMoment[i]!.variable;
        Object.assign(inputs, { [`x${k}`]: x, [`m${k}`]: m, [`v${k}`]: v, [`g${k}`]: g });
        updated.push({ x, m, v });
        decays.push(decay ?? 0);
      });
      if (decays.some((d) => d !== 0)) attrs.weightDecays = decays;
      if (updated.length > 0) {
        const out = tf.engine().runKernel(ADAM_UPDATE_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        updated.forEach(({ x, m, v }, k) => {
          m.assign(out[3 * k + 1]!);
          v.assign(out[3 * k + 2]!);
          x.assign(out[3 * k]!);
        });
      }
      self.accBeta1.assign(tf.scalar(Math.fround(acc1 * Math.fround(self.beta1))));
      self.accBeta2.assign(tf.scalar(Math.fround(acc2 * Math.fround(self.beta2))));
    });
    self.incrementIterations();
  }
}

/** A new TF.js optimiser for these settings. */
export function createOptimizer(o: ResolvedOptimizerOptions): tf.Optimizer {
  if (o.optimizer === 'adam') return new FusedAdam(o.learningRate, o.beta1, o.beta2, o.epsilon);
  return o.momentum > 0 ? tf.train.momentum(o.learningRate, o.momentum) : tf.train.sgd(o.learningRate);
}

/** Adam's running products β₁ᵗ⁺¹, β₂ᵗ⁺¹ (fields of TF.js's AdamOptimizer; see the note at the top). */
interface AdamProducts {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

/** One optimiser's state as bytes + specs (the `weights.bin` format of TF.js) plus the few numbers beside it. */
export interface SavedOptimizerState {
  /** Weight specs of `data`, in getWeights order; names are positions (`0`, `1`, …), see `names`. */
  specs: tf.io.WeightsManifestEntry[];
  /** The names TF.js gave the entries when saved (informative only: restore is by position). */
  names: string[];
  /** Adam's β products, when present. */
  extra: Record<string, number>;
}

/** Reads an optimiser's state: its specs and numbers, and the bytes of its tensors. */
export async function saveOptimizerState(optimizer: tf.Optimizer): Promise<{ state: SavedOptimizerState; data: ArrayBuffer }> {
  const weights = await optimizer.getWeights();
  const iter = weights[0]; // a fresh scalar made by getWeights: ours to dispose
  try {
    const positional = weights.map((w, i) => ({ name: String(i), tensor: w.tensor }));
    const { data, specs } = await tf.io.encodeWeights(positional);
    const extra: Record<string, number> = {};
    const products = optimizer as unknown as AdamProducts;
    if (products.accBeta1 instanceof tf.Variable && products.accBeta2 instanceof tf.Variable) {
      extra['accBeta1'] = (await products.accBeta1.data())[0]!;
      extra['accBeta2'] = (await products.accBeta2.data())[0]!;
    }
    return { state: { specs, names: weights.map((w) => w.name), extra }, data };
  } finally {
    iter?.tensor.dispose();
  }
}

/**
 * Puts saved state into a fresh optimiser of the same settings, for the variables `variables` (a loss group's,
 * in its declared order). `where` names the group in errors.
 */
export async function restoreOptimizerState(
  optimizer: tf.Optimizer,
  settings: ResolvedOptimizerOptions,
  saved: SavedOptimizerState,
  data: ArrayBuffer,
  variables: readonly tf.Variable[],
  where: string,
): Promise<void> {
  const decoded = tf.io.decodeWeights(data, saved.specs);
  const tensors = saved.specs.map((s) => decoded[s.name]!);
  try {
    const accumulators = tensors.slice(1);
    const perVariable = settings.optimizer === 'adam' ? 2 : settings.momentum > 0 ? 1 : 0;
    if (tensors.length === 0 || (perVariable === 0 ? accumulators.length !== 0 : accumulators.length % perVariable !== 0)) {
      throw badFile(where, `optimizer state has ${tensors.length} tensors, which does not fit ${settings.optimizer}${settings.momentum > 0 ? ' with momentum' : ''}`);
    }
    const count = perVariable === 0 ? 0 : accumulators.length / perVariable;
    // Before the first update an optimiser has no accumulators yet (count 0); otherwise one set per variable.
    if (count !== 0 && count !== variables.length) {
      throw badFile(where, `optimizer state holds accumulators for ${count} variables, the model's group has ${variables.length}`);
    }
    accumulators.forEach((t, i) => {
      const v = variables[i % Math.max(count, 1)]!;
      if (t.shape.join() !== v.shape.join()) {
        throw badFile(where, `optimizer accumulator ${i} has shape [${t.shape}], variable ${i % count} has [${v.shape}]`);
      }
    });
    await optimizer.setWeights(saved.specs.map((s, i) => ({ name: saved.names[i] ?? s.name, tensor: tensors[i]! })));
    const products = optimizer as unknown as AdamProducts;
    const b1 = saved.extra['accBeta1'];
    const b2 = saved.extra['accBeta2'];
    if (b1 !== undefined && b2 !== undefined && products.accBeta1 instanceof tf.Variable && products.accBeta2 instanceof tf.Variable) {
      tf.tidy(() => {
        products.accBeta1!.assign(tf.scalar(b1));
        products.accBeta2!.assign(tf.scalar(b2));
      });
    }
  } finally {
    // setWeights made variables of its own from these (sharing their data); our handles can go.
    tf.dispose(tensors);
  }
}
