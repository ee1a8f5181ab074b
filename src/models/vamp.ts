/**
 * A VAE with a VampPrior (Tomczak & Welling 2018, "VAE with a VampPrior", eq. 9): the prior over codes is the mixture
 * of the encoder's posteriors at K learned pseudo-inputs u_k,
 *
 *   p(z) = (1/K) Σ_k q(z|u_k),   log p(z) = logsumexp_k log N(z; μ(u_k), diag σ²(u_k)) − log K
 *
 * — the lecture's Gaussian mixture, learned as the prior of the VAE that is its continuous version. The KL term has
 * no closed form: the ELBO, the IWAE bound and log p(x) use the draws' log q(z|x) − log p(z). Sampling picks a
 * component, draws z from it and decodes. The paper's MNIST setting: K = 500.
 *
 * The pseudo-inputs are a network of their own so that they save, load and average like the others: `pseudoInputs/`,
 * a stock dense layer from the constant input [1] to K·D values: for images u = sigmoid(values), in [0, 1] as the data;
 * for points the values themselves.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../engine/rng.js';
import { buildMlp } from '../nets/mlp.js';
import { buildNetworks, type Networks } from './latent-config.js';
import type { NetworkAverage } from './average.js';
import { LOG_2PI, diagonalNormalLogDensityOfNoise, reparameterize } from './losses.js';
import type { DataInfo } from './model.js';
import { checkNumber } from './validate.js';
import { VAE, averageOf, readVariant, drawsByDensities, type LatentDraws, type VAEConfig } from './vae.js';
import { randomNormal } from '../engine/kernels/random.js';

/** The network of pseudo-inputs, by name. */
export const PSEUDO_INPUTS = 'pseudoInputs';

/** The network of K pseudo-inputs for data of `size` values: a stock dense layer from the constant [1] to K·size values. */
export function buildPseudoInputs(k: number, size: number, rng: Rng): tfl.LayersModel {
  return buildMlp({ name: PSEUDO_INPUTS, inputs: [[1]], hidden: [], output: [k * size], rng });
}

/** The pseudo-inputs u_k [K, ...shape] the network `net` holds: images through a sigmoid (in [0, 1] as the data). */
export function pseudoInputsOf(net: tfl.LayersModel, k: number, data: DataInfo): tf.Tensor {
  const logits = net.apply(tf.ones([1, 1]), { training: true }) as tf.Tensor2D;
  const values = tf.reshape(logits, [k, ...data.shape]);
  return data.kind === 'images' ? tf.sigmoid(values) : values;
}

/** `kernels` without the pseudo-input network's: weight decay would pull the pseudo-inputs all to one grey image. */
export function withoutPseudoInputs(kernels: tf.Variable[], pseudoInputs: tfl.LayersModel): tf.Variable[] {
  const pseudo = new Set<tf.Tensor>(pseudoInputs.trainableWeights.map((w) => w.read()));
  return kernels.filter((k) => !pseudo.has(k));
}

/** What the pseudo-input network's output means, for genlab-model.json; `prior` names the prior it defines. */
export function describePseudoInputs(k: number, data: DataInfo, prior: string): string {
  const size = data.shape.reduce((a, b) => a * b, 1);
  return `input: the constant [1]; output: [${k} · ${size}] values: ${data.kind === 'images' ? 'sigmoid of them' : 'they'}, reshaped to [${k}, ${data.shape.join(', ')}], are the pseudo-inputs u_k of ${prior}`;
}

/**
 * log of the mixture (1/K) Σ_k N(z; μ_k, diag exp(logVar_k)) for codes z [m, L] and components [K, L]: [m]. The
 * squared distances come from two matrix products, (z²)·(1/σ²)ᵀ − 2 z·(μ/σ²)ᵀ + Σ μ²/σ², not an [m, K, L] tensor.
 */
export function gaussianMixtureLogDensity(z: tf.Tensor2D, means: tf.Tensor2D, logVars: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const precision = tf.exp(tf.neg(logVars)); // [K, L]
    const quadratic = tf.add(
      tf.sub(tf.matMul(tf.square(z), precision, false, true), tf.mul(tf.matMul(z, tf.mul(means, precision), false, true), 2)),
      tf.sum(tf.mul(tf.square(means), precision), 1), // [K], broadcast over the rows
    ); // [m, K]
    const perComponent = tf.mul(tf.add(tf.add(quadratic, tf.sum(logVars, 1)), z.shape[1] * LOG_2PI), -0.5); // [m, K]
    return tf.sub(tf.logSumExp(perComponent, 1), Math.log(means.shape[0])) as tf.Tensor1D;
  });
}

/** A VAE (kind 'vae' or 'iwae') whose prior is the VampPrior of `vampPrior` pseudo-inputs. */
export class VampVAE extends VAE {
  private readonly pseudoInputs: tfl.LayersModel;

  constructor(config: VAEConfig, data: DataInfo, nets: Networks & Record<string, tfl.LayersModel>, state: { decoderLogVar?: number } = {}, average: NetworkAverage | null = null) {
    super(config, data, nets, state, average);
    this.pseudoInputs = nets[PSEUDO_INPUTS]!;
  }

  /** A new VAE with a VampPrior and seeded weights (`vampPrior` ≥ 1). */
  static override create(options: Partial<VAEConfig>, data: DataInfo, rng: Rng, kind = 'vae'): VampVAE {
    const config = VAE.resolveConfig(options, data, kind);
    checkNumber(`${kind}: vampPrior`, config.vampPrior, 1, true);
    const size = data.shape.reduce((a, b) => a * b, 1);
    const build = (r: Rng): Networks & Record<string, tfl.LayersModel> => ({
      ...buildNetworks(config, data, 2 * config.latent, r),
      [PSEUDO_INPUTS]: buildPseudoInputs(config.vampPrior, size, r),
    });
    const nets = build(rng);
    return new VampVAE(config, data, nets, {}, averageOf(config, nets, build));
  }

  /** Loads a VAE with a VampPrior saved by `save`. */
  static override async load(dir: string): Promise<VampVAE> {
    const { config, data, nets, state, average } = await readVariant(dir, 'a VAE with a VampPrior', 'vampPrior', () => [PSEUDO_INPUTS]);
    return new VampVAE(config, data, nets, state, average);
  }

  protected override networks(): Record<string, tfl.LayersModel> {
    return { ...super.networks(), [PSEUDO_INPUTS]: this.pseudoInputs };
  }

  protected override networkDescriptions(): Record<string, string> {
    const k = this.config.vampPrior;
    return {
      ...super.networkDescriptions(),
      [PSEUDO_INPUTS]: describePseudoInputs(k, { shape: this.dataShape, kind: this.dataKind }, `the prior p(z) = (1/${k}) Σ_k q(z|u_k)`),
    };
  }

  /** The networks' kernels without the pseudo-inputs (not decayed). */
  protected override kernels(): tf.Variable[] {
    return withoutPseudoInputs(super.kernels(), this.pseudoInputs);
  }

  /** The pseudo-inputs u_k [K, ...dataShape] (images: in [0, 1]). */
  pseudoInputImages(): tf.Tensor {
    return this.averaged(() => tf.tidy(() => this.inputs()));
  }

  private inputs(): tf.Tensor {
    return pseudoInputsOf(this.net(PSEUDO_INPUTS), this.config.vampPrior, { shape: this.dataShape, kind: this.dataKind });
  }

  /** log p(z) under the VampPrior for codes z [m, L]: [m]. */
  private priorLogDensity(z: tf.Tensor2D): tf.Tensor1D {
    const { mean, logVar } = this.posterior(this.inputs(), []); // the components: [K, L] each
    return gaussianMixtureLogDensity(z, mean, logVar);
  }

  /** z ~ q(z|x) [k, n, L] (one seed from `rng`); log p(z) under the mixture of pseudo-input posteriors. */
  protected override draws(x: tf.Tensor, cond: tf.Tensor[], k: number, rng: Rng): LatentDraws {
    const n = x.shape[0]!;
    const { mean, logVar } = this.posterior(x, cond);
    const eps = randomNormal([k, n, this.latent], rng.tfSeed());
    const z = reparameterize(mean, logVar, eps); // [k, n, L]
    const logQ = diagonalNormalLogDensityOfNoise(eps, logVar); // [k, n]
    const logP = tf.reshape(this.priorLogDensity(tf.reshape(z, [k * n, this.latent]) as tf.Tensor2D), [k, n]);
    return drawsByDensities(this.decodedLogLikelihood(x, z, cond), logQ, logP, logVar);
  }

  /** n new examples: a component k drawn uniformly, z ~ q(z|u_k), decoded to the mean of p(x|z). [n, ...dataShape]. */
  override sample(n: number, rng: Rng): tf.Tensor {
    checkNumber(`${this.kind}.sample: n`, n, 1, true);
    const picks = Int32Array.from({ length: n }, () => rng.int(this.config.vampPrior));
    const seed = rng.tfSeed();
    const z = this.averaged(() =>
      tf.tidy(() => {
        const { mean, logVar } = this.posterior(this.inputs(), []);
        const index = tf.tensor1d(picks, 'int32');
        return reparameterize(tf.gather(mean, index), tf.gather(logVar, index), randomNormal([n, this.latent], seed));
      }),
    );
    try {
      return this.decode(z);
    } finally {
      z.dispose();
    }
  }
}
