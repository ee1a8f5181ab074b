/**
 * The variational autoencoder (Kingma & Welling 2014, "Auto-Encoding Variational Bayes"), laid out like
 * pytorch/examples `vae/main.py`: encode → reparameterize → decode, and a loss of its own.
 *
 *   encoder:  x (+ one-hot label) → [mean ‖ logVar]          q(z|x) = N(mean, diag exp(logVar))
 *   sample:   z = mean + exp(½ logVar) · ε,  ε ~ N(0, I)     (outside the networks: they stay plain layers models)
 *   decoder:  z (+ one-hot label) → parameters of p(x|z)     Bernoulli logits, or a Gaussian mean (and variance)
 *   loss:     −ELBO = E_q[−log p(x|z)] + β · KL(q(z|x) ‖ N(0, I)) + (λ/2)‖W‖²      (nats per example)
 *
 * The lecture, term by term: `recon` is "make μ(x) close to x"; `kl` is its Σ(exp(σ) − (1 + σ) + m²) (×½), which
 * stops the learned variance collapsing to 0 — with β = 0 it does collapse, and `meanVariance` shows it; the L2 term
 * limits over-fitting. Options: β and a linear KL warm-up (Sønderby et al. 2016), a conditional VAE (Sohn et al. 2015,
 * "Learning Structured Output Representation using Deep Conditional Generative Models": a one-hot label joins the
 * inputs of both networks), and the importance-weighted objective of Burda et al. 2016 (IWAE, eq. 8):
 * L_k = E[log (1/k) Σᵢ p(x, zᵢ) / q(zᵢ|x)] ≥ ELBO = L_1, tighter as k grows. Variants towards the papers'
 * likelihoods, each in a file of its own that overrides `draws`: two stochastic layers (hvae.ts), an inverse
 * autoregressive flow on q(z|x) (iaf.ts), a VampPrior (vamp.ts); and for all, a moving average of the weights
 * (`emaDecay`) and autoregressive pixels in p(x|z) (`autoregressive`), both in autoencoder.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { badFile, badInput } from '../engine/errors.js';
import { joinPath } from '../engine/model-io.js';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Rng } from '../engine/rng.js';
import { LatentModelBase, readModelDir } from './autoencoder.js';
import { buildNetworks, resolveLatentConfig, type LatentModelConfig, type Networks } from './latent-config.js';
import { startAverage, type NetworkAverage } from './average.js';
import { MODEL_FILE, type DataInfo } from './model.js';
import { checkChoice, checkNumber } from './validate.js';
import {
  diagonalNormalLogDensityOfNoise,
  klPerExample,
  klWeight,
  logMeanExp,
  meanVariance,
  reparameterize,
  standardNormalLogDensity,
} from './losses.js';
import type { LossGroup, LossTerms, TensorBatch } from './model.js';
import { randomNormal } from '../engine/kernels/random.js';

export const VAE_OBJECTIVES = ['elbo', 'iwae'] as const;
export type VaeObjective = (typeof VAE_OBJECTIVES)[number];

export interface VAEConfig extends LatentModelConfig {
  /** Weight of the KL term (β-VAE, Higgins et al. 2017). 1 is the ELBO; 0 lets the variance collapse. Default 1. */
  beta: number;
  /** Steps over which the KL weight rises linearly from 0 to β. Default 0 (no warm-up). */
  klWarmup: number;
  /** 'elbo' (one sample) or 'iwae' (the k-sample bound, Burda et al. 2016 eq. 8; β and warm-up do not apply). */
  objective: VaeObjective;
  /** Samples per example of the IWAE bound. Default 1 for 'elbo', 5 for 'iwae'. */
  k: number;
  /**
   * Size of a second, top stochastic layer z₂ above the code z₁ (Burda et al. 2016 §5: two stochastic layers; the
   * model is hvae.ts's). 0: one layer. Default 0.
   */
  topLatent: number;
  /** Hidden widths of the networks between the two layers, q(z₂|z₁) (p(z₁|z₂) mirrors them). Default [100, 100] with a top layer. */
  topHidden: number[];
  /** Steps of inverse autoregressive flow on q(z|x) (Kingma et al. 2016; the model is iaf.ts's). 0: a diagonal Gaussian. Default 0. */
  flowSteps: number;
  /** Hidden widths of each step's autoregressive network (MADE). Default [4 · latent] with flow steps. */
  flowHidden: number[];
  /** Pseudo-inputs K of a VampPrior, p(z) = (1/K) Σ_k q(z|u_k) (Tomczak & Welling 2018; the model is vamp.ts's). 0: N(0, I). Default 0. */
  vampPrior: number;
}

/** The posterior q(z|x): mean and log-variance, each [n, latent]. */
export interface Posterior {
  mean: tf.Tensor2D;
  logVar: tf.Tensor2D;
}

/** Per-example importance-sampling terms for k samples of q(z|x) (see `VAE.importanceTerms`). */
export interface ImportanceTerms {
  /** log w_i = log p(x|z_i) + log p(z_i) − log q(z_i|x): [k, n]. */
  logWeights: tf.Tensor2D;
  /** log p(x|z_i): [k, n]. */
  logLikelihoods: tf.Tensor2D;
  /** KL(q(z|x) ‖ p(z)): in closed form for the plain VAE, else (two layers, a flow, a VampPrior) its k-sample estimate. [n]. */
  kl: tf.Tensor1D;
}

/**
 * k draws z_i ~ q(z|x) of a batch of n examples and what the losses need of them (inside the caller's tidy). Each
 * variant (hvae.ts, iaf.ts, vamp.ts) draws its own; everything built on the draws — the ELBO, the IWAE bound, the
 * importance-sampled log p(x) — is shared.
 */
export interface LatentDraws {
  /** log p(x|z_i): [k, n]. */
  logLikelihoods: tf.Tensor2D;
  /** KL(q(z|x) ‖ p(z)) per example for the ELBO: in closed form where there is one, else the draws' mean. [n]. */
  kl: tf.Tensor1D;
  /** The log importance weights log p(x, z_i) − log q(z_i|x) [k, n], computed when asked (the ELBO needs none). */
  logWeights(): tf.Tensor2D;
  /** log-variance of q(z|x) (the first layer's), for `meanVariance`. */
  logVar: tf.Tensor2D;
}

/**
 * Variational autoencoder. kind 'vae', 'cvae' (conditional: class labels required) or 'iwae' (objective 'iwae').
 * One loss group, 'elbo', with terms { loss, recon, kl, negElbo, weightDecay, meanVariance, beta } (+ negIwae).
 */
export class VAE extends LatentModelBase<VAEConfig> {
  readonly kind: string;

  constructor(config: VAEConfig, data: DataInfo, nets: Networks, state: { decoderLogVar?: number } = {}, average: NetworkAverage | null = null) {
    super(config, data, nets, state, average);
    this.kind = config.conditional ? 'cvae' : config.objective === 'iwae' ? 'iwae' : 'vae';
  }

  /** Validated config with defaults; `kind` ('vae' | 'cvae' | 'iwae') sets conditional / objective defaults. */
  static resolveConfig(options: Partial<VAEConfig>, data: DataInfo, kind = 'vae'): VAEConfig {
    const base = resolveLatentConfig(kind, { conditional: kind === 'cvae', ...options }, data);
    const objective = options.objective ?? (kind === 'iwae' ? 'iwae' : 'elbo');
    checkChoice(`${kind}: objective`, objective, VAE_OBJECTIVES);
    const config: VAEConfig = {
      ...base,
      beta: options.beta ?? 1,
      klWarmup: options.klWarmup ?? 0,
      objective,
      k: options.k ?? (objective === 'iwae' ? 5 : 1),
      topLatent: options.topLatent ?? 0,
      topHidden: [...(options.topHidden ?? (options.topLatent ? [100, 100] : []))],
      flowSteps: options.flowSteps ?? 0,
      flowHidden: [...(options.flowHidden ?? (options.flowSteps ? [4 * base.latent] : []))],
      vampPrior: options.vampPrior ?? 0,
    };
    checkNumber(`${kind}: beta`, config.beta, 0);
    checkNumber(`${kind}: klWarmup`, config.klWarmup, 0, true);
    checkNumber(`${kind}: k`, config.k, 1, true, 5000);
    checkVariant(kind, config);
    return config;
  }

  /** A new VAE with seeded weights. */
  static create(options: Partial<VAEConfig>, data: DataInfo, rng: Rng, kind = 'vae'): VAE {
    const config = VAE.resolveConfig(options, data, kind);
    const build = (r: Rng): Networks => buildNetworks(config, data, 2 * config.latent, r);
    const nets = build(rng);
    return new VAE(config, data, nets, {}, averageOf(config, nets, build));
  }

  /** Loads a VAE, CVAE or IWAE saved by `save`. */
  static async load(dir: string): Promise<VAE> {
    const { file, data, nets, average } = await readModelDir(dir);
    if (!['vae', 'cvae', 'iwae'].includes(file.kind)) throw badFile(joinPath(dir, MODEL_FILE), `kind '${file.kind}' is not a VAE (vae, cvae, iwae)`);
    const config = VAE.resolveConfig(file.config as Partial<VAEConfig>, data, file.kind);
    if (config.topLatent > 0 || config.flowSteps > 0 || config.vampPrior > 0) throw badFile(joinPath(dir, MODEL_FILE), 'a VAE with two stochastic layers, a flow or a VampPrior: open it with loadModel');
    const Ctor = config.conditional ? ConditionalVAE : VAE;
    return new Ctor(config, data, nets, file.state ?? {}, average);
  }

  protected describeEncoder(): string {
    const label = this.config.conditional ? ', one-hot label' : '';
    return `inputs: x [${this.dataShape.join(', ')}]${label}; output: [${2 * this.latent}] = mean [0, ${this.latent}) ‖ log-variance [${this.latent}, ${2 * this.latent}) of q(z|x)`;
  }

  /** Splits the encoder's output into mean and log-variance. */
  protected posterior(x: tf.Tensor, cond: tf.Tensor[]): Posterior {
    const out = this.runEncoder(x, cond); // [n, 2·latent]
    const [mean, logVar] = tf.split(out, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    return { mean, logVar };
  }

  /** q(z|x): { mean, logVar }, each [n, latent]. The caller owns both tensors. */
  encode(x: tf.Tensor, labels?: tf.Tensor1D): Posterior {
    const n = this.checkInput(x, 'encode');
    const out = this.averaged(() => tf.tidy(() => {
      const p = this.posterior(x, this.conditioning(labels, n, 'encode'));
      return [p.mean, p.logVar] as const;
    }));
    return { mean: out[0], logVar: out[1] };
  }

  /** The posterior mean: [n, latent]. */
  code(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor2D {
    const n = this.checkInput(x, 'code');
    return this.averaged(() => tf.tidy(() => this.posterior(x, this.conditioning(labels, n, 'code')).mean));
  }

  /**
   * k samples z_i ~ q(z|x) per example and their log importance weights log p(x|z_i) + log p(z_i) − log q(z_i|x)
   * (Burda et al. 2016, §3): [k, n]. Averaging exp of these over i estimates p(x) without bias; the mean of the log
   * weights is a k-sample estimate of the ELBO. Seeded by `rng`; one decoder call on k·n codes.
   */
  importanceTerms(x: tf.Tensor, k: number, rng: Rng, labels?: tf.Tensor1D): ImportanceTerms {
    const n = this.checkInput(x, 'importanceTerms');
    checkNumber(`${this.kind}.importanceTerms: k`, k, 1, true);
    const out = this.averaged(() => tf.tidy(() => {
      const d = this.draws(x, this.conditioning(labels, n, 'importanceTerms'), k, rng);
      return [d.logWeights(), d.logLikelihoods, d.kl] as const;
    }));
    return { logWeights: out[0], logLikelihoods: out[1], kl: out[2] };
  }

  /** One layer: z = mean + σ·ε, ε ~ N(0, I) [k, n, L] seeded by `rng`; one decoder call on the k·n codes. */
  protected draws(x: tf.Tensor, cond: tf.Tensor[], k: number, rng: Rng): LatentDraws {
    const n = x.shape[0]!;
    const { mean, logVar } = this.posterior(x, cond); // [n, L]
    const eps = randomNormal([k, n, this.latent], rng.tfSeed()); // [k, n, L]
    const z = reparameterize(mean, logVar, eps); // [k, n, L]
    const ll = this.decodedLogLikelihood(x, z, cond); // [k, n]
    return {
      logLikelihoods: ll,
      kl: klPerExample(mean, logVar) as tf.Tensor1D,
      logWeights: () => tf.sub(tf.add(ll, standardNormalLogDensity(z)), diagonalNormalLogDensityOfNoise(eps, logVar)) as tf.Tensor2D,
      logVar,
    };
  }

  /** log p(x|z_i) for codes z [k, n, L] of the examples x [n, ...]: [k, n] (one decoder call; labels repeated k times). */
  protected decodedLogLikelihood(x: tf.Tensor, z: tf.Tensor, cond: tf.Tensor[]): tf.Tensor2D {
    const [k, n] = z.shape as [number, number, number];
    const condK = cond.map((c) => (k === 1 ? c : tf.tile(c, [k, 1]))); // [k·n, classes]
    return this.logLikelihood(x, this.runDecoder(tf.reshape(z, [k * n, this.latent]), condK), [k, n]) as tf.Tensor2D;
  }

  /** The loss terms of one batch at global step `step` (KL warm-up). */
  private terms(batch: TensorBatch, rng: Rng, step: number): LossTerms {
    const n = this.checkInput(batch.x, 'loss');
    const { objective, k, beta, klWarmup } = this.config;
    return tf.tidy(() => {
      const d = this.draws(batch.x, this.conditioning(batch.labels, n, 'loss'), objective === 'iwae' ? k : 1, rng);
      const kl = tf.mean(d.kl) as tf.Scalar;
      const weightDecay = this.weightDecayTerm();
      const recon = tf.neg(tf.mean(d.logLikelihoods)) as tf.Scalar; // E_q[−log p(x|z)], averaged over samples and batch
      const negElbo = tf.add(recon, kl) as tf.Scalar;
      const terms: LossTerms = { loss: negElbo, recon, kl, negElbo, weightDecay, meanVariance: meanVariance(d.logVar) };
      if (objective === 'iwae') {
        // −L_k = −mean_n log (1/k) Σ_i w_i (Burda et al. 2016, eq. 8); β and warm-up do not apply.
        const negIwae = tf.neg(tf.mean(logMeanExp(d.logWeights(), 0))) as tf.Scalar;
        terms['negIwae'] = negIwae;
        terms.loss = tf.add(negIwae, weightDecay) as tf.Scalar;
      } else {
        const b = klWeight(beta, klWarmup, step);
        terms['beta'] = tf.scalar(b);
        terms.loss = tf.add(tf.add(recon, tf.mul(kl, b)), weightDecay) as tf.Scalar;
      }
      return terms;
    });
  }

  lossGroups(): LossGroup[] {
    return [
      {
        name: 'elbo',
        variables: this.trainedVariables(),
        loss: (batch, rng, step) => this.terms(batch, rng, step),
        ...this.decay(),
        ...(this.keepsAverage ? { afterUpdate: () => this.takeIntoAverage() } : {}),
      },
    ];
  }

  /** Held-out terms with the full KL weight (warm-up over). */
  evaluate(batch: TensorBatch, rng: Rng): Record<string, tf.Scalar> {
    return this.averaged(() => this.terms(batch, rng, Number.POSITIVE_INFINITY));
  }
}

/**
 * Checks the options of the VAE's variants — a top layer (hvae.ts), a flow (iaf.ts), a VampPrior (vamp.ts) — and that
 * the chosen one goes with the rest: one variant at a time, none with labels.
 */
function checkVariant(kind: string, config: VAEConfig): void {
  const { topLatent, topHidden, flowSteps, flowHidden, vampPrior } = config;
  checkNumber(`${kind}: topLatent`, topLatent, 0, true);
  topHidden.forEach((h) => checkNumber(`${kind}: topHidden`, h, 1, true));
  checkNumber(`${kind}: flowSteps`, flowSteps, 0, true);
  flowHidden.forEach((h) => checkNumber(`${kind}: flowHidden`, h, 1, true));
  checkNumber(`${kind}: vampPrior`, vampPrior, 0, true);
  if (topLatent === 0 && topHidden.length > 0) throw badInput(`${kind}: topHidden`, 'the networks between two stochastic layers need a top layer: set topLatent too');
  if (flowSteps === 0 && flowHidden.length > 0) throw badInput(`${kind}: flowHidden`, 'the networks of a flow need flow steps: set flowSteps too');
  if (flowSteps > 0 && flowHidden.length === 0) throw badInput(`${kind}: flowHidden`, 'each flow step needs at least one hidden layer (the encoder’s context joins the first)');
  if (topLatent > 0 && config.conditional) throw badInput(`${kind}: topLatent`, 'two stochastic layers are not conditional: drop topLatent or the labels');
  if (flowSteps > 0 && topLatent > 0) throw badInput(`${kind}: flowSteps`, 'a flow on a VAE with two stochastic layers is not supported: drop flowSteps or topLatent');
  if (vampPrior > 0 && (flowSteps > 0 || config.conditional)) {
    throw badInput(`${kind}: vampPrior`, 'a VampPrior is for a VAE without a flow or labels: drop vampPrior, or flowSteps and the labels');
  }
}

/**
 * Reads a saved VAE variant (`what`, e.g. 'a VAE with a flow'): its folder with the variant's own networks (`more`, from
 * the recorded config, whose `option` must be ≥ 1), its kind (vae or iwae) and its config.
 */
export async function readVariant(dir: string, what: string, option: 'topLatent' | 'flowSteps' | 'vampPrior', more: (config: Partial<VAEConfig>) => readonly string[]) {
  const path = joinPath(dir, MODEL_FILE);
  const read = await readModelDir(dir, (recorded) => {
    const v = recorded[option];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1)) throw badFile(path, `"config.${option}" must be ≥ 1 for ${what}`);
    return more(recorded as Partial<VAEConfig>);
  });
  if (!['vae', 'iwae'].includes(read.file.kind)) throw badFile(path, `kind '${read.file.kind}' is not ${what} (vae, iwae)`);
  return { ...read, config: VAE.resolveConfig(read.file.config as Partial<VAEConfig>, read.data, read.file.kind), state: read.file.state ?? {} };
}

/**
 * The draws of a model whose KL has no closed form (a flow, a VampPrior): from log p(x|z_i), log q(z_i|x) and
 * log p(z_i) [k, n], the KL is the draws' mean of log q − log p and log w_i = log p(x|z_i) + log p(z_i) − log q(z_i|x).
 */
export function drawsByDensities(logLikelihoods: tf.Tensor2D, logQ: tf.Tensor, logP: tf.Tensor, logVar: tf.Tensor2D): LatentDraws {
  return {
    logLikelihoods,
    kl: tf.mean(tf.sub(logQ, logP), 0) as tf.Tensor1D,
    logWeights: () => tf.sub(tf.add(logLikelihoods, logP), logQ) as tf.Tensor2D,
    logVar,
  };
}

/**
 * The moving average a new model of `config` keeps (`emaDecay` > 0: copies of `nets` built by `build`, whose initial
 * weights are overwritten), or null.
 */
export function averageOf<N extends object>(config: Pick<VAEConfig, 'emaDecay'>, nets: N, build: (rng: Rng) => N): NetworkAverage | null {
  return config.emaDecay > 0 ? startAverage(nets as Record<string, tfl.LayersModel>, build(new Rng(0)) as Record<string, tfl.LayersModel>) : null;
}

/** A conditional VAE (kind 'cvae'): a VAE whose encoder and decoder also take the one-hot class label. */
export class ConditionalVAE extends VAE {
  static override create(options: Partial<VAEConfig>, data: DataInfo, rng: Rng): ConditionalVAE {
    const config = VAE.resolveConfig({ ...options, conditional: true }, data, 'cvae');
    const build = (r: Rng): Networks => buildNetworks(config, data, 2 * config.latent, r);
    const nets = build(rng);
    return new ConditionalVAE(config, data, nets, {}, averageOf(config, nets, build));
  }
}
