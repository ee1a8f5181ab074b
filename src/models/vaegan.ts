/**
 * The VAE-GAN (Larsen et al. 2016, "Autoencoding beyond pixels using a learned similarity metric"): a VAE whose
 * decoder is also a GAN's generator, and whose reconstruction error is measured in the discriminator's feature space
 * instead of pixel by pixel — the lecture's answer to the "7" example, where two images one pixel away from a real 7
 * have the same pixel loss but are not equally realistic.
 *
 *   encoder:        x → (μ, log σ²),  z = μ + σ·ε                      q(z|x), the reparameterisation trick
 *   decoder = G:    z → x̃ (reconstruction), z_p ~ N(0, I) → x_p (sample)
 *   discriminator:  x → D(x) and Dis_l(x), its last hidden layer
 *
 *   L_prior   = KL(q(z|x) ‖ N(0, I))
 *   L_llike   = ½ Σ_f (Dis_l(x) − Dis_l(x̃))²                           (eq. 7: a Gaussian in feature space)
 *   L_GAN     = log D(x) + log(1 − D(x̃)) + log(1 − D(x_p))             (eq. 8)
 *
 * Three loss groups, each updating only its own network (Algorithm 1):
 *   encoder:        L_prior (× β) + L_llike
 *   decoder:        γ · L_llike − L_GAN  (its generator part: the non-saturating form by default)
 *   discriminator:  −L_GAN  (with one-sided label smoothing when asked)
 * γ weighs content (reconstruction) against style (fooling D). The GAN part is not propagated to the encoder, as in the
 * paper. Saved as encoder/, generator/, discriminator/ (plain layers models) + genlab-model.json.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { badFile, badInput } from '../engine/errors.js';
import { joinPath, loadLayersModel, writeModelDir } from '../engine/model-io.js';
import type { Rng } from '../engine/rng.js';
import { buildConvEncoder } from '../nets/conv.js';
import { buildMlp } from '../nets/mlp.js';
import { MODEL_FILE, readModelFile, type DataInfo } from './model.js';
import { checkChoice, checkNumber } from './validate.js';
import {
  AdversarialBase,
  buildAdversarialNets,
  keepingState,
  resolveNetConfig,
  trainableVariables,
  type AdversarialModelFile,
  type AdversarialNetConfig,
  type DiscriminatorOutput,
  type GanNetworks,
} from './adversarial.js';
import { GAN_LOSSES, type GanLoss } from './gan.js';
import {
  bceWithLogits,
  discriminatorLeastSquaresLoss,
  discriminatorMinimaxLoss,
  featureReconstructionLoss,
  generatorLeastSquaresLoss,
  generatorMinimaxLoss,
  generatorNonSaturatingLoss,
} from './gan-losses.js';
import { klDivergenceToStandardNormal, reparameterize } from './losses.js';
import type { LossGroup, LossTerms, TensorBatch } from './model.js';
import { randomNormal } from '../engine/kernels/random.js';

/** The adversarial losses a VAE-GAN accepts (a Wasserstein critic has no Dis_l likelihood reading). */
export const VAEGAN_LOSSES = ['minimax', 'nonsaturating', 'lsgan'] as const;

export interface VAEGANConfig extends AdversarialNetConfig {
  /** The GAN part's objective. Default 'nonsaturating'. */
  loss: GanLoss;
  /** γ: weight of L_llike against the generator's GAN loss in the decoder's update. Default 1e-2 (our choice; see the tests). */
  gamma: number;
  /** Weight of the KL term in the encoder's loss. Default 1 (the paper). */
  beta: number;
  /** Always false: the VAE-GAN here is unconditional. */
  conditional: boolean;
}

/** The VAE-GAN's networks. */
export interface VaeganNetworks extends GanNetworks {
  encoder: tfl.LayersModel;
}

/**
 * VAE-GAN (kind 'vaegan'). Loss groups 'encoder' { loss, kl, llike }, 'decoder' { loss, llike, adversarial },
 * 'discriminator' { loss, real, recon, fake } (D's mean outputs on real images, reconstructions and samples).
 */
export class VAEGAN extends AdversarialBase {
  readonly kind = 'vaegan';
  readonly config: VAEGANConfig;
  readonly encoder: tfl.LayersModel;

  constructor(config: VAEGANConfig, data: DataInfo, nets: VaeganNetworks) {
    super(data, nets);
    this.config = config;
    this.encoder = nets.encoder;
  }

  /** Validated config with defaults. */
  static resolveConfig(options: Partial<VAEGANConfig>, data: DataInfo): VAEGANConfig {
    const kind = 'vaegan';
    const base = resolveNetConfig(kind, options, data, data.kind === 'images' && data.shape.length === 3 ? 'conv' : 'mlp');
    const loss = options.loss ?? 'nonsaturating';
    checkChoice(`${kind}: loss`, loss, GAN_LOSSES);
    if (!(VAEGAN_LOSSES as readonly string[]).includes(loss)) throw badInput(`${kind}: loss`, `expected one of ${VAEGAN_LOSSES.join(', ')}, got '${loss}'`);
    const config: VAEGANConfig = { ...base, loss, gamma: options.gamma ?? 1e-2, beta: options.beta ?? 1, conditional: options.conditional ?? false };
    checkNumber(`${kind}: gamma`, config.gamma, 0);
    checkNumber(`${kind}: beta`, config.beta, 0);
    if (config.conditional) throw badInput(`${kind}: conditional`, 'the VAE-GAN is unconditional here (use cvae or cgan for labels)');
    return config;
  }

  /** A new VAE-GAN with seeded weights. */
  static create(options: Partial<VAEGANConfig>, data: DataInfo, rng: Rng): VAEGAN {
    const config = VAEGAN.resolveConfig(options, data);
    const nets = buildAdversarialNets(config, data, rng, { classes: 0, criticBatchNorm: config.batchNorm });
    const encoder =
      config.arch === 'conv'
        ? buildConvEncoder({ name: 'encoder', input: data.shape, filters: config.filters, outputs: 2 * config.latent, rng })
        : buildMlp({ name: 'encoder', inputs: [data.shape], hidden: config.hidden, output: [2 * config.latent], rng });
    return new VAEGAN(config, data, { ...nets, encoder });
  }

  /** Loads a VAE-GAN saved by `save`. */
  static async load(dir: string): Promise<VAEGAN> {
    const file = await readModelFile<AdversarialModelFile>(dir);
    if (file.kind !== 'vaegan') throw badFile(joinPath(dir, MODEL_FILE), `kind '${file.kind}' is not a vaegan`);
    const data: DataInfo = { shape: file.dataShape, kind: file.dataKind, ...(file.classes ? { classes: file.classes } : {}) };
    const config = VAEGAN.resolveConfig(file.config as Partial<VAEGANConfig>, data);
    const encoder = await loadLayersModel(joinPath(dir, 'encoder'));
    const generator = await loadLayersModel(joinPath(dir, 'generator'));
    const discriminator = await loadLayersModel(joinPath(dir, 'discriminator'));
    return new VAEGAN(config, data, { encoder, generator, discriminator, head: null });
  }

  get discriminatorOutput(): DiscriminatorOutput {
    return this.config.loss === 'lsgan' ? 'score' : 'probability';
  }

  /** q(z|x) on x in the networks' range: mean and log-variance, [n, latent] each. */
  private posterior(xModel: tf.Tensor, training: boolean): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
    const out = this.encoder.apply(xModel, { training }) as tf.Tensor2D; // [n, 2·latent]
    const [mean, logVar] = tf.split(out, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    return { mean, logVar };
  }

  /** q(z|x) for x in the data's range: { mean, logVar }, [n, latent] each (the caller owns both). */
  encode(x: tf.Tensor): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
    this.checkInput(x, 'encode');
    const out = tf.tidy(() => {
      const p = this.posterior(this.toModel(x), false);
      return [p.mean, p.logVar] as const;
    });
    return { mean: out[0], logVar: out[1] };
  }

  /** The posterior mean of x: [n, latent]. */
  code(x: tf.Tensor): tf.Tensor2D {
    this.checkInput(x, 'code');
    return tf.tidy(() => this.posterior(this.toModel(x), false).mean);
  }

  /** G(z) in the data's range (the decoder): [n, ...dataShape]. */
  decode(z: tf.Tensor): tf.Tensor {
    return this.generate(z);
  }

  /**
   * Decodes `steps` evenly spaced points of the straight line between the posterior means of two examples `pair`
   * [2, ...dataShape]: [steps, ...dataShape], ends included (as the autoencoders' `interpolate`; labels are unused).
   */
  interpolate(pair: tf.Tensor, steps: number, _labels?: tf.Tensor1D): tf.Tensor {
    checkNumber(`${this.kind}.interpolate: steps`, steps, 2, true);
    if (pair.shape[0] !== 2) throw badInput(`${this.kind}.interpolate`, `expected 2 examples, got ${pair.shape[0]}`);
    return tf.tidy(() => {
      const [za, zb] = tf.split(this.code(pair), 2, 0) as [tf.Tensor2D, tf.Tensor2D]; // [1, latent] each
      const t = tf.reshape(tf.linspace(0, 1, steps), [steps, 1]); // [steps, 1]
      return this.decode(tf.add(tf.mul(tf.sub(1, t), za), tf.mul(t, zb))); // [steps, ...dataShape]
    });
  }

  /** Reconstructions: the decoded posterior mean. [n, ...dataShape]. */
  reconstruct(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.decode(this.code(x)));
  }

  /** G's adversarial loss on D's outputs for generated examples. */
  private generatorAdversarial(fake: tf.Tensor): tf.Scalar {
    if (this.config.loss === 'minimax') return generatorMinimaxLoss(fake);
    if (this.config.loss === 'lsgan') return generatorLeastSquaresLoss(fake);
    return generatorNonSaturatingLoss(fake);
  }

  /** D's loss on real examples, reconstructions and samples: −L_GAN (eq. 8), or its least-squares analogue. */
  private discriminatorAdversarial(real: tf.Tensor, recon: tf.Tensor, fake: tf.Tensor): tf.Scalar {
    const a = this.config.labelSmoothing;
    if (this.config.loss === 'lsgan') {
      return tf.add(discriminatorLeastSquaresLoss(real, recon, a), tf.mul(tf.mean(tf.square(fake)), 0.5)) as tf.Scalar;
    }
    return tf.add(discriminatorMinimaxLoss(real, recon, a), bceWithLogits(fake, 0)) as tf.Scalar;
  }

  private readout(out: tf.Tensor): tf.Scalar {
    return tf.mean(this.discriminatorOutput === 'probability' ? tf.sigmoid(out) : out) as tf.Scalar;
  }

  /**
   * Everything the three losses need from one batch: the posterior, x̃ = G(z) with z ~ q(z|x), x_p = G(z_p), and D's
   * outputs and features on x, x̃ and x_p. `own` names the group being updated: the other networks run in training
   * mode with their state kept.
   */
  private forward(batch: TensorBatch, rng: Rng, own: 'encoder' | 'decoder' | 'discriminator' | 'none') {
    const n = this.checkInput(batch.x, 'loss');
    const epsSeed = rng.tfSeed();
    const zpSeed = rng.tfSeed();
    const keep = (net: tfl.LayersModel | null, name: typeof own) => (own === name ? [] : [net]);
    const x = this.toModel(batch.x);
    const { mean, logVar } = keepingState(keep(this.encoder, 'encoder'), () => this.posterior(x, true));
    const z = reparameterize(mean, logVar, randomNormal([n, this.latent], epsSeed)); // [n, L]
    const zp = randomNormal([n, this.latent], zpSeed);
    const [recon, fake] = keepingState(keep(this.generator, 'decoder'), () => [this.runGenerator(z, [], true), this.runGenerator(zp, [], true)] as const);
    const [dReal, dRecon, dFake] = keepingState(keep(this.discriminator, 'discriminator'), () => [x, recon, fake].map((t) => this.runDiscriminator(t, [], true)));
    return { mean, logVar, dReal: dReal!, dRecon: dRecon!, dFake: dFake! };
  }

  /** The encoder's terms: β·KL + L_llike. */
  encoderTerms(batch: TensorBatch, rng: Rng): LossTerms {
    return tf.tidy(() => {
      const f = this.forward(batch, rng, 'encoder');
      const kl = klDivergenceToStandardNormal(f.mean, f.logVar);
      const llike = featureReconstructionLoss(f.dReal.features, f.dRecon.features);
      return { loss: tf.add(tf.mul(kl, this.config.beta), llike) as tf.Scalar, kl, llike };
    });
  }

  /** The decoder's terms: γ·L_llike + G's adversarial loss on reconstructions and on samples. */
  decoderTerms(batch: TensorBatch, rng: Rng): LossTerms {
    return tf.tidy(() => {
      const f = this.forward(batch, rng, 'decoder');
      const llike = featureReconstructionLoss(f.dReal.features, f.dRecon.features);
      const adversarial = tf.add(this.generatorAdversarial(f.dRecon.out), this.generatorAdversarial(f.dFake.out)) as tf.Scalar;
      return { loss: tf.add(tf.mul(llike, this.config.gamma), adversarial) as tf.Scalar, llike, adversarial };
    });
  }

  /** The discriminator's terms: −L_GAN on real images, reconstructions and samples. */
  discriminatorTerms(batch: TensorBatch, rng: Rng): LossTerms {
    return tf.tidy(() => {
      const f = this.forward(batch, rng, 'discriminator');
      const loss = this.discriminatorAdversarial(f.dReal.out, f.dRecon.out, f.dFake.out);
      return { loss, real: this.readout(f.dReal.out), recon: this.readout(f.dRecon.out), fake: this.readout(f.dFake.out) };
    });
  }

  lossGroups(): LossGroup[] {
    return [
      { name: 'encoder', variables: trainableVariables([this.encoder]), loss: (b, rng) => this.encoderTerms(b, rng) },
      { name: 'decoder', variables: this.generatorVariables(), loss: (b, rng) => this.decoderTerms(b, rng) },
      { name: 'discriminator', variables: this.discriminatorVariables(), loss: (b, rng) => this.discriminatorTerms(b, rng) },
    ];
  }

  /** Held-out terms, no state changed: `loss` = β·KL + L_llike (the encoder's), and D's loss and mean outputs. */
  evaluate(batch: TensorBatch, rng: Rng): Record<string, tf.Scalar> {
    return tf.tidy(() => {
      const f = this.forward(batch, rng, 'none');
      const kl = klDivergenceToStandardNormal(f.mean, f.logVar);
      const llike = featureReconstructionLoss(f.dReal.features, f.dRecon.features);
      return {
        loss: tf.add(tf.mul(kl, this.config.beta), llike) as tf.Scalar,
        kl,
        llike,
        discriminatorLoss: this.discriminatorAdversarial(f.dReal.out, f.dRecon.out, f.dFake.out),
        real: this.readout(f.dReal.out),
        recon: this.readout(f.dRecon.out),
        fake: this.readout(f.dFake.out),
      };
    });
  }

  override variables(): tf.Variable[] {
    return [...trainableVariables([this.encoder]), ...super.variables()];
  }

  /** Writes encoder/, generator/, discriminator/ and genlab-model.json into `dir`, atomically. */
  async save(dir: string): Promise<void> {
    const file = this.fileBase({
      encoder: `inputs: x [${this.dataShape.join(', ')}]${this.tanhData ? ' mapped to [−1, 1]' : ''}; output: [${2 * this.latent}] = mean ‖ log-variance of q(z|x)`,
      generator: this.describeGenerator(),
      discriminator: this.describeDiscriminator(),
    });
    await writeModelDir(dir, {
      networks: { encoder: this.encoder, generator: this.generator, discriminator: this.discriminator },
      manifest: { name: MODEL_FILE, content: file },
    });
  }

  override dispose(): void {
    super.dispose();
    this.encoder.dispose();
  }
}
