/**
 * Exponential moving averages of network weights (Polyak & Juditsky 1992, "Acceleration of Stochastic Approximation by
 * Averaging"; for GANs' generators Karras et al. 2018 and Yazıcı et al. 2019): a second copy of a network whose
 * weights follow the trained ones, bias-corrected. The GAN averages G (gan.ts), the LAPGAN every level's G
 * (lapgan.ts), the VAE family every network (autoencoder.ts); all sample, evaluate and save the average.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** Largest `emaDecay`: β = 1 would never move the average (and its bias correction divides by 1 − β^t). */
export const MAX_EMA_DECAY = 0.999999;

/**
 * Takes the current weights θ_t of `trained` into the average `average` (every weight, batch-norm statistics
 * included, as torch.optim.swa_utils.AveragedModel with use_buffers does), as its `t`-th update:
 *
 *   θ̄_t = θ̄_{t−1} + α_t (θ_t − θ̄_{t−1}),  α_t = (1 − β) / (1 − β^t)
 *
 * the exponential moving average θ̄_t ← β θ̄_{t−1} + (1 − β) θ_t with Adam's bias correction (Kingma & Ba 2015, §3),
 * in closed form θ̄_t = Σ_{k=1..t} (1 − β) β^{t−k} θ_k / (1 − β^t): the first update makes θ̄ = θ_1 (the initial
 * weights weigh nothing), so early samples of a short run are not dragged towards the random initialisation; for
 * t ≫ 1/(1 − β) it is the plain average of Karras et al. 2018 and Yazıcı et al. 2019.
 */
export function updateAverage(average: tfl.LayersModel, trained: tfl.LayersModel, decay: number, t: number): void {
  const alpha = (1 - decay) / (1 - decay ** t);
  const targets = average.weights;
  const sources = trained.weights;
  tf.tidy(() => {
    targets.forEach((a, i) => {
      const current = a.read();
      a.write(tf.add(current, tf.mul(tf.sub(sources[i]!.read(), current), alpha)));
    });
  });
}

/**
 * A network's moving average: a second copy holding the averaged weights, and how many updates it has taken in (a
 * GAN's G, each LAPGAN level's G).
 */
export interface AverageState {
  generator: tfl.LayersModel;
  count: number;
}

/** Suffix of the folder of a network as trained when the saved network holds its average (`generator-trained/`). */
export const TRAINED_SUFFIX = '-trained';

/** An average that starts at `trained`'s weights, held in `copy` (a network of the same architecture). */
export function startAverageOf(trained: tfl.LayersModel, copy: tfl.LayersModel): AverageState {
  copyWeights(trained, copy);
  return { generator: copy, count: 0 };
}

/** Takes `trained`'s weights, just updated, into `average` as its next update (a loss group's afterUpdate). */
export function takeIntoAverage(average: AverageState, trained: tfl.LayersModel, decay: number): void {
  average.count += 1;
  updateAverage(average.generator, trained, decay, average.count);
}

/** Writes the weights of `from` into `to` (a network of the same architecture), e.g. to start an average. */
export function copyWeights(from: tfl.LayersModel, to: tfl.LayersModel): void {
  tf.tidy(() => to.weights.forEach((w, i) => w.write(tf.clone(from.weights[i]!.read()))));
}

/** The moving average of a model's networks (`emaDecay`): a copy of each by name, and the updates taken in. */
export interface NetworkAverage {
  nets: Record<string, tfl.LayersModel>;
  count: number;
}

/** An average that starts at the trained weights: `copies` (networks of the same architectures) take them over. */
export function startAverage(trained: Record<string, tfl.LayersModel>, copies: Record<string, tfl.LayersModel>): NetworkAverage {
  for (const [name, net] of Object.entries(trained)) copyWeights(net, copies[name]!);
  return { nets: copies, count: 0 };
}
