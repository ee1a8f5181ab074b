/**
 * A VAE with two stochastic layers (Burda et al. 2016, "Importance Weighted Autoencoders", §5 and appendix C; the
 * deep latent Gaussian model of Rezende et al. 2014): a code z₁ as the VAE's, and above it a smaller z₂.
 *
 *   generative:  z₂ ~ N(0, I)  →  z₁ ~ p(z₁|z₂) = N(μ_p(z₂), diag σ_p²(z₂))  →  x ~ p(x|z₁) (the decoder)
 *   inference:   z₁ ~ q(z₁|x) (the encoder)  →  z₂ ~ q(z₂|z₁) = N(μ_q(z₁), diag σ_q²(z₁))
 *   log w = log p(x|z₁) + log p(z₁|z₂) + log p(z₂) − log q(z₁|x) − log q(z₂|z₁)
 *
 * The ELBO is E_q[log w]; its KL term E_q[log q(z₁|x) − log p(z₁|z₂)] + E_q[KL(q(z₂|z₁) ‖ N(0, I))] is drawn for the
 * first layer and in closed form for the top one. The IWAE bound and the importance-sampled log p(x) use the same
 * weights, so `genlab eval --iw-k` scores it like any VAE. Burda et al.'s MNIST nets: x → 200 → 200 → z₁ (100) →
 * 100 → 100 → z₂ (50); Table 1: two layers reach 85.33 nats (VAE) and 82.90 (IWAE, k = 50), one layer 86.76 / 84.78.
 *
 * With `vampPrior` K the top layer's prior is a VampPrior (Tomczak & Welling 2018, §3.2, who put it on the top layer
 * of their two-layer model, where it helped most): p(z₂) = (1/K) Σ_k q(z₂ | z₁ = μ₁(u_k)), the mixture of the
 * inference path's top posteriors at K learned pseudo-inputs u_k (this model infers z₂ from z₁, so a component is
 * q(z₂|z₁) at the mean code of u_k). Its KL has no closed form: it is drawn like the first layer's.
 *
 * Saved form: a VAE's `encoder/` and `decoder/`, plus `upperEncoder/` (z₁ → [mean ‖ log-variance] of q(z₂|z₁)) and
 * `upperDecoder/` (z₂ → [mean ‖ log-variance] of p(z₁|z₂)), stock TF.js layers models (+ `pseudoInputs/`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../engine/rng.js';
import { buildMlp } from '../nets/mlp.js';
import { buildNetworks, type Networks } from './latent-config.js';
import type { NetworkAverage } from './average.js';
import {
  diagonalNormalLogDensity,
  diagonalNormalLogDensityOfNoise,
  klPerExample,
  reparameterize,
  standardNormalLogDensity,
} from './losses.js';
import type { DataInfo } from './model.js';
import { checkNumber } from './validate.js';
import { VAE, averageOf, readVariant, type LatentDraws, type Posterior, type VAEConfig } from './vae.js';
import { PSEUDO_INPUTS, buildPseudoInputs, describePseudoInputs, gaussianMixtureLogDensity, pseudoInputsOf, withoutPseudoInputs } from './vamp.js';
import { randomNormal } from '../engine/kernels/random.js';

/** The networks between the two stochastic layers. */
export interface UpperNetworks {
  /** z₁ → [mean ‖ log-variance] of q(z₂|z₁). */
  upperEncoder: tfl.LayersModel;
  /** z₂ → [mean ‖ log-variance] of p(z₁|z₂). */
  upperDecoder: tfl.LayersModel;
}

/** A VAE (kind 'vae' or 'iwae') whose code z₁ has a learned prior p(z₁|z₂) under a top layer z₂ ~ N(0, I). */
export class HierarchicalVAE extends VAE {
  readonly upperEncoder: tfl.LayersModel;
  readonly upperDecoder: tfl.LayersModel;
  /** The pseudo-inputs of the top layer's VampPrior (`vampPrior` > 0), or null for p(z₂) = N(0, I). */
  private readonly pseudoInputs: tfl.LayersModel | null;

  constructor(config: VAEConfig, data: DataInfo, nets: Networks & UpperNetworks & { [PSEUDO_INPUTS]?: tfl.LayersModel }, state: { decoderLogVar?: number } = {}, average: NetworkAverage | null = null) {
    super(config, data, nets, state, average);
    this.upperEncoder = nets.upperEncoder;
    this.upperDecoder = nets.upperDecoder;
    this.pseudoInputs = nets[PSEUDO_INPUTS] ?? null;
    if ((config.vampPrior > 0) !== (this.pseudoInputs !== null)) throw new Error('HierarchicalVAE: pseudo-inputs are needed exactly when vampPrior > 0');
  }

  /** A new two-layer VAE with seeded weights (`topLatent` ≥ 1). */
  static override create(options: Partial<VAEConfig>, data: DataInfo, rng: Rng, kind = 'vae'): HierarchicalVAE {
    const config = VAE.resolveConfig(options, data, kind);
    checkNumber(`${kind}: topLatent`, config.topLatent, 1, true);
    const { latent, topLatent, topHidden } = config;
    const size = data.shape.reduce((a, b) => a * b, 1);
    const build = (r: Rng): Networks & UpperNetworks => ({
      ...buildNetworks(config, data, 2 * latent, r),
      upperEncoder: buildMlp({ name: 'upperEncoder', inputs: [[latent]], hidden: topHidden, output: [2 * topLatent], rng: r }),
      upperDecoder: buildMlp({ name: 'upperDecoder', inputs: [[topLatent]], hidden: [...topHidden].reverse(), output: [2 * latent], rng: r }),
      ...(config.vampPrior > 0 ? { [PSEUDO_INPUTS]: buildPseudoInputs(config.vampPrior, size, r) } : {}),
    });
    const nets = build(rng);
    return new HierarchicalVAE(config, data, nets, {}, averageOf(config, nets, build));
  }

  /** Loads a two-layer VAE saved by `save`. */
  static override async load(dir: string): Promise<HierarchicalVAE> {
    const { config, data, nets, state, average } = await readVariant(dir, 'a VAE with two stochastic layers', 'topLatent', (recorded) => [
      'upperEncoder',
      'upperDecoder',
      ...(typeof recorded.vampPrior === 'number' && recorded.vampPrior > 0 ? [PSEUDO_INPUTS] : []),
    ]);
    return new HierarchicalVAE(config, data, { ...nets, upperEncoder: nets['upperEncoder']!, upperDecoder: nets['upperDecoder']! }, state, average);
  }

  protected override networks(): Record<string, tfl.LayersModel> {
    return { ...super.networks(), upperEncoder: this.upperEncoder, upperDecoder: this.upperDecoder, ...(this.pseudoInputs ? { [PSEUDO_INPUTS]: this.pseudoInputs } : {}) };
  }

  /** The networks' kernels without the pseudo-inputs (not decayed). */
  protected override kernels(): tf.Variable[] {
    return this.pseudoInputs ? withoutPseudoInputs(super.kernels(), this.pseudoInputs) : super.kernels();
  }

  protected override networkDescriptions(): Record<string, string> {
    const [z1, z2] = [this.latent, this.config.topLatent];
    return {
      ...super.networkDescriptions(),
      upperEncoder: `input: z₁ [${z1}]; output: [${2 * z2}] = mean [0, ${z2}) ‖ log-variance [${z2}, ${2 * z2}) of q(z₂|z₁)`,
      upperDecoder: `input: z₂ [${z2}]; output: [${2 * z1}] = mean [0, ${z1}) ‖ log-variance [${z1}, ${2 * z1}) of p(z₁|z₂)`,
      ...(this.pseudoInputs ? { [PSEUDO_INPUTS]: describePseudoInputs(this.config.vampPrior, { shape: this.dataShape, kind: this.dataKind }, `the top prior p(z₂) = (1/${this.config.vampPrior}) Σ_k q(z₂ | z₁ = mean of q(z₁|u_k)), through encoder/ and upperEncoder/`) } : {}),
    };
  }

  /** The top prior's components q(z₂ | z₁ = μ₁(u_k)) at the pseudo-inputs: { mean, logVar }, each [K, L₂]. */
  private topPriorComponents(): Posterior {
    const u = pseudoInputsOf(this.net(PSEUDO_INPUTS), this.config.vampPrior, { shape: this.dataShape, kind: this.dataKind });
    return this.gaussian('upperEncoder', this.posterior(u, []).mean);
  }

  /** log p(z₂) under the VampPrior for codes z₂ [m, L₂]: [m]. */
  private vampLogDensity(z2: tf.Tensor2D): tf.Tensor1D {
    const { mean, logVar } = this.topPriorComponents();
    return gaussianMixtureLogDensity(z2, mean, logVar);
  }

  /** A diagonal Gaussian from a network's [mean ‖ log-variance] output on `input` [m, …]: each [m, size]. */
  private gaussian(net: 'upperEncoder' | 'upperDecoder', input: tf.Tensor): Posterior {
    const [mean, logVar] = tf.split(this.net(net).apply(input, { training: true }) as tf.Tensor2D, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    return { mean, logVar };
  }

  /** z₁ ~ q(z₁|x) [k, n, L₁], z₂ ~ q(z₂|z₁); two seeds from `rng`, in that order. */
  protected override draws(x: tf.Tensor, cond: tf.Tensor[], k: number, rng: Rng): LatentDraws {
    const n = x.shape[0]!;
    const lead = [k, n];
    const { mean, logVar } = this.posterior(x, cond); // q(z₁|x): [n, L₁]
    const eps1 = randomNormal([k, n, this.latent], rng.tfSeed());
    const z1 = reparameterize(mean, logVar, eps1); // [k, n, L₁]
    const z1Flat = tf.reshape(z1, [k * n, this.latent]);
    const q2 = this.gaussian('upperEncoder', z1Flat); // q(z₂|z₁): [k·n, L₂]
    const eps2 = randomNormal([k * n, this.config.topLatent], rng.tfSeed());
    const z2 = reparameterize(q2.mean, q2.logVar, eps2); // [k·n, L₂]
    const p1 = this.gaussian('upperDecoder', z2); // p(z₁|z₂): [k·n, L₁]
    const ll = this.decodedLogLikelihood(x, z1, cond); // [k, n]
    const logQ1 = diagonalNormalLogDensityOfNoise(eps1, logVar); // [k, n]
    const logP1 = tf.reshape(diagonalNormalLogDensity(z1Flat, p1.mean, p1.logVar), lead);
    const logQ2 = diagonalNormalLogDensityOfNoise(eps2, q2.logVar); // [k·n]
    // KL(q(z₂|z₁) ‖ p(z₂)) given each z₁: in closed form against N(0, I), drawn against a VampPrior.
    const logP2 = this.pseudoInputs ? this.vampLogDensity(z2 as tf.Tensor2D) : null;
    const klTop = tf.reshape(logP2 ? tf.sub(logQ2, logP2) : klPerExample(q2.mean, q2.logVar), lead);
    const klDraws = tf.add(tf.sub(logQ1, logP1), klTop); // [k, n]
    return {
      logLikelihoods: ll,
      kl: tf.mean(klDraws, 0) as tf.Tensor1D,
      logWeights: () => {
        const logP2MinusQ2 = tf.reshape(tf.sub(logP2 ?? standardNormalLogDensity(z2), logQ2), lead);
        return tf.add(tf.sub(tf.add(ll, logP1), logQ1), logP2MinusQ2) as tf.Tensor2D;
      },
      logVar,
    };
  }

  /**
   * n new examples: z₂ ~ p(z₂) (N(0, I), or a VampPrior component picked uniformly), z₁ ~ p(z₁|z₂), decoded to the
   * mean of p(x|z₁). [n, ...dataShape].
   */
  override sample(n: number, rng: Rng): tf.Tensor {
    checkNumber(`${this.kind}.sample: n`, n, 1, true);
    const picks = this.pseudoInputs ? Int32Array.from({ length: n }, () => rng.int(this.config.vampPrior)) : null;
    const [topSeed, bottomSeed] = [rng.tfSeed(), rng.tfSeed()];
    const z1 = this.averaged(() => tf.tidy(() => {
      const noise = randomNormal([n, this.config.topLatent], topSeed);
      let z2 = noise;
      if (picks) {
        const { mean, logVar } = this.topPriorComponents();
        const index = tf.tensor1d(picks, 'int32');
        z2 = reparameterize(tf.gather(mean, index), tf.gather(logVar, index), noise);
      }
      const p1 = this.gaussian('upperDecoder', z2);
      return reparameterize(p1.mean, p1.logVar, randomNormal([n, this.latent], bottomSeed));
    }));
    try {
      return this.decode(z1);
    } finally {
      z1.dispose();
    }
  }
}
