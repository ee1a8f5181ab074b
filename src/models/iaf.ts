/**
 * A VAE whose posterior is an inverse autoregressive flow (Kingma et al. 2016, "Improved Variational Inference with
 * Inverse Autoregressive Flow", Algorithm 1): the encoder gives a diagonal Gaussian and a context h, and T steps
 * transform its draw, each through an autoregressive network (MADE, nets/made.ts) of the previous code and h:
 *
 *   z₀ = μ + σ ⊙ ε,  log q(z₀|x) = −½ Σ (ε² + log σ² + log 2π)
 *   [m_t, s_t] = MADE_t(z_{t−1}, h),  g_t = sigmoid(s_t + 2),  z_t = g_t ⊙ z_{t−1} + (1 − g_t) ⊙ m_t
 *   log q(z_T|x) = log q(z₀|x) − Σ_t Σ_i log g_t,i
 *
 * Each step's Jacobian is triangular in its ordering (m_t,i and s_t,i see only the codes before i), so its log-determinant
 * is Σ log g; the ordering is reversed from step to step. The +2 is the paper's advice (§4: outputs s "sufficiently
 * positive, such as close to +1 or +2" before training): each step starts near the identity. The KL term has no closed
 * form any more: the ELBO, the IWAE bound and log p(x) use the draws' log q(z_T|x) − log p(z_T).
 *
 * Saved form: a VAE's `encoder/` (output [mean ‖ log-variance ‖ h]) and `decoder/`, plus `flow1/` … `flowT/`, stock
 * dense MLPs z [L] → [m ‖ s] [2L] whose kernels are masked as MADE's degrees say (genlab-model.json describes them).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../engine/rng.js';
import { buildMlp } from '../nets/mlp.js';
import { madeForward, madeMasks } from '../nets/made.js';
import { buildNetworks, type Networks } from './latent-config.js';
import type { NetworkAverage } from './average.js';
import { diagonalNormalLogDensityOfNoise, reparameterize, standardNormalLogDensity } from './losses.js';
import type { DataInfo } from './model.js';
import { checkNumber } from './validate.js';
import { VAE, averageOf, readVariant, drawsByDensities, type LatentDraws, type Posterior, type VAEConfig } from './vae.js';
import { randomNormal } from '../engine/kernels/random.js';

/** Added to each step's gate logits s (Kingma et al. 2016, §4): a new flow starts close to the identity. */
export const IAF_GATE_BIAS = 2;

const flowNames = (steps: number): string[] => Array.from({ length: steps }, (_, t) => `flow${t + 1}`);

/** What the encoder gives: q(z₀|x) and the context h that every flow step sees. */
interface Encoded extends Posterior {
  context: tf.Tensor2D;
}

/** A VAE (kind 'vae' or 'iwae') with `flowSteps` steps of inverse autoregressive flow on its posterior. */
export class IafVAE extends VAE {
  private readonly flows: readonly tfl.LayersModel[];
  /** Per step, the masks of its dense layers (orderings alternate: step 1 natural, step 2 reversed, …). */
  private readonly masks: readonly tf.Tensor2D[][];

  constructor(config: VAEConfig, data: DataInfo, nets: Networks & Record<string, tfl.LayersModel>, state: { decoderLogVar?: number } = {}, average: NetworkAverage | null = null) {
    super(config, data, nets, state, average);
    this.flows = flowNames(config.flowSteps).map((name) => nets[name]!);
    this.masks = this.flows.map((_, t) => madeMasks(config.latent, config.flowHidden, 2, t % 2 === 1));
  }

  /** A new VAE with an inverse autoregressive flow and seeded weights (`flowSteps` ≥ 1). */
  static override create(options: Partial<VAEConfig>, data: DataInfo, rng: Rng, kind = 'vae'): IafVAE {
    const config = VAE.resolveConfig(options, data, kind);
    checkNumber(`${kind}: flowSteps`, config.flowSteps, 1, true);
    const { latent, flowHidden } = config;
    const build = (r: Rng): Networks & Record<string, tfl.LayersModel> => {
      const nets: Networks & Record<string, tfl.LayersModel> = { ...buildNetworks(config, data, 2 * latent + flowHidden[0]!, r) };
      for (const name of flowNames(config.flowSteps)) nets[name] = buildMlp({ name, inputs: [[latent]], hidden: flowHidden, output: [2 * latent], rng: r });
      return nets;
    };
    const nets = build(rng);
    return new IafVAE(config, data, nets, {}, averageOf(config, nets, build));
  }

  /** Loads a VAE with a flow saved by `save`. */
  static override async load(dir: string): Promise<IafVAE> {
    const { config, data, nets, state, average } = await readVariant(dir, 'a VAE with a flow', 'flowSteps', (c) => flowNames(c.flowSteps!));
    return new IafVAE(config, data, nets, state, average);
  }

  protected override networks(): Record<string, tfl.LayersModel> {
    return { ...super.networks(), ...Object.fromEntries(this.flows.map((net, t) => [`flow${t + 1}`, net])) };
  }

  protected override networkDescriptions(): Record<string, string> {
    const { latent: l, flowHidden } = this.config;
    const h = flowHidden[0]!;
    const steps = Object.fromEntries(
      this.flows.map((_, t) => [
        `flow${t + 1}`,
        `inverse autoregressive flow step ${t + 1}: input z [${l}]; output [${2 * l}] = m ‖ s; kernels masked as MADE (Germain et al. 2015) in the ` +
          `${t % 2 ? 'reversed' : 'natural'} order, the encoder's h [${h}] added to the first hidden layer; z ← g·z + (1 − g)·m, g = sigmoid(s + ${IAF_GATE_BIAS})`,
      ]),
    );
    return { ...super.networkDescriptions(), ...steps };
  }

  protected override describeEncoder(): string {
    const [l, h] = [this.latent, this.config.flowHidden[0]!];
    return `inputs: x [${this.dataShape.join(', ')}]; output: [${2 * l + h}] = mean [0, ${l}) ‖ log-variance [${l}, ${2 * l}) of q(z₀|x) ‖ context h [${2 * l}, ${2 * l + h}) of the flow`;
  }

  /** The encoder's output split into q(z₀|x) and the context h. */
  private encoded(x: tf.Tensor, cond: tf.Tensor[]): Encoded {
    const l = this.latent;
    const [mean, logVar, context] = tf.split(this.runEncoder(x, cond), [l, l, this.config.flowHidden[0]!], 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    return { mean, logVar, context };
  }

  /** q(z₀|x), the Gaussian before the flow (`encode` returns it). */
  protected override posterior(x: tf.Tensor, cond: tf.Tensor[]): Posterior {
    const { mean, logVar } = this.encoded(x, cond);
    return { mean, logVar };
  }

  /** The flow on codes z₀ [m, L] with contexts [m, H]: z_T and Σ_t Σ_i log g_t,i per code ([m]). */
  private flow(z0: tf.Tensor2D, context: tf.Tensor2D): { z: tf.Tensor2D; logGates: tf.Tensor1D } {
    let z = z0;
    let logGates: tf.Tensor1D | null = null;
    this.flows.forEach((_, t) => {
      const [m, s] = tf.split(madeForward(this.net(`flow${t + 1}`), this.masks[t]!, z, context), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const gateLogits = tf.add(s, IAF_GATE_BIAS);
      const gate = tf.sigmoid(gateLogits);
      z = tf.add(tf.mul(gate, z), tf.mul(tf.sub(1, gate), m)) as tf.Tensor2D;
      // log sigmoid(a) = −softplus(−a); not tf.logSigmoid, whose gradient reads its input after the loss's tidy has freed it.
      const logGate = tf.neg(tf.sum(tf.softplus(tf.neg(gateLogits)), 1)) as tf.Tensor1D;
      logGates = logGates ? (tf.add(logGates, logGate) as tf.Tensor1D) : logGate;
    });
    return { z, logGates: logGates! };
  }

  /** z₀ ~ q(z₀|x) [k, n, L] (one seed from `rng`) through the flow; log q(z_T|x) = log q(z₀|x) − Σ log g. */
  protected override draws(x: tf.Tensor, cond: tf.Tensor[], k: number, rng: Rng): LatentDraws {
    const n = x.shape[0]!;
    const l = this.latent;
    const { mean, logVar, context } = this.encoded(x, cond);
    const eps = randomNormal([k, n, l], rng.tfSeed());
    const z0 = tf.reshape(reparameterize(mean, logVar, eps), [k * n, l]) as tf.Tensor2D;
    const { z, logGates } = this.flow(z0, k === 1 ? context : (tf.tile(context, [k, 1]) as tf.Tensor2D));
    const zT = tf.reshape(z, [k, n, l]);
    const logQ = tf.sub(diagonalNormalLogDensityOfNoise(eps, logVar), tf.reshape(logGates, [k, n])); // [k, n]
    const logP = standardNormalLogDensity(zT); // [k, n]
    return drawsByDensities(this.decodedLogLikelihood(x, zT, cond), logQ, logP, logVar);
  }

  /** The deterministic code: the flow of the posterior mean (ε = 0). [n, latent]. */
  override code(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor2D {
    const n = this.checkInput(x, 'code');
    return this.averaged(() =>
      tf.tidy(() => {
        const { mean, context } = this.encoded(x, this.conditioning(labels, n, 'code'));
        return this.flow(mean, context).z;
      }),
    );
  }

  override dispose(): void {
    super.dispose();
    tf.dispose(this.masks.flat());
  }
}
