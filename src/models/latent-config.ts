/**
 * The autoencoder family's shared options (encoder, decoder likelihood, noise, autoregressive pixels, averaging…):
 * their types and defaults, their checks, the networks they build, and the model file's form.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { badInput } from '../engine/errors.js';
import type { Rng } from '../engine/rng.js';
import { buildConvDecoder, buildConvEncoder } from '../nets/conv.js';
import { buildMlp } from '../nets/mlp.js';
import { buildAutoregressivePixels } from '../nets/made.js';
import { MAX_EMA_DECAY } from './average.js';
import { ARCHS, type Arch, type DataInfo, type ModelFile } from './model.js';
import { checkChoice, checkNumber } from './validate.js';

export const DECODER_LIKELIHOODS = ['bernoulli', 'gaussian'] as const;
/** p(x|z): Bernoulli pixels (the decoder outputs logits) or a diagonal Gaussian. */
export type DecoderLikelihood = (typeof DECODER_LIKELIHOODS)[number];
export const DECODER_VARIANCES = ['fixed', 'learned', 'per-pixel'] as const;
/**
 * Variance of a Gaussian decoder: `fixed` σ = decoderStd; `learned`: one shared σ² learned with the networks
 * (Rybkin et al. 2021, "Simple and Effective VAE Training with Calibrated Decoders"); `per-pixel`: the decoder
 * outputs a log-variance per value next to the mean (Kingma & Welling 2014, appendix C.2), floored at σ = 0.01.
 */
export type DecoderVariance = (typeof DECODER_VARIANCES)[number];
export const NOISE_TYPES = ['none', 'gaussian', 'masking', 'salt-and-pepper'] as const;
/** Input corruption of a denoising autoencoder (Vincent et al. 2010, §4.2). */
export type NoiseType = (typeof NOISE_TYPES)[number];

/** Options every model of the family shares: its networks and its decoder. */
export interface LatentModelConfig {
  /** Network architecture. Default 'mlp'. */
  arch: Arch;
  /** Hidden dense widths (encoder; the decoder mirrors them). Default [400] for mlp (784-400-20), [] for conv. */
  hidden: number[];
  /** Size of the code z. Default 20. */
  latent: number;
  /** p(x|z). Default 'bernoulli' for images, 'gaussian' for points. */
  decoder: DecoderLikelihood;
  /** Gaussian decoders only. Default 'fixed'. */
  decoderVariance: DecoderVariance;
  /** σ of a fixed-variance Gaussian decoder, the initial σ of a learned one. Default 0.1. */
  decoderStd: number;
  /** λ of the L2 penalty (λ/2)‖W‖² on the kernels, added to the loss. Default 0. */
  weightDecay: number;
  /** Condition encoder and decoder on a one-hot class label (CVAE). Default false. */
  conditional: boolean;
  /**
   * Bernoulli decoders: each pixel's logit also sees the pixels before it (raster order), p(x|z) = Π_i p(x_i | z, x_<i)
   * with logit_i = decoder(z)_i + Σ_{j<i} W_ji x_j — the autoregressive visible connections of Gregor et al. 2014
   * ("Deep AutoRegressive Networks"), a one-layer MADE (nets/made.ts). The decoder then models the pixels' local
   * dependencies (edges, stroke width) that a factorised p(x|z) leaves to the code. Default false.
   */
  autoregressive: boolean;
  /** Hidden widths of the pixels' MADE (ReLU layers, Germain et al. 2015) instead of the one masked layer. Default []. */
  autoregressiveHidden: number[];
  /**
   * With the one masked layer on single-channel images: pixel i sees only the pixels before it at most this many rows
   * above and columns to either side (nets/made.ts `causalWindowMask`), not all D − 1 of them. 0 = all (default).
   */
  autoregressiveWindow: number;
  /**
   * Decay β of a moving average of every network's weights (Polyak & Juditsky 1992), bias-corrected, which evaluation,
   * sampling, scoring and the saved model use; training goes on with the trained weights (a learned decoder variance
   * is not averaged). 0 = off (default).
   */
  emaDecay: number;
}

/** Config of the plain and denoising autoencoders. */
export interface AutoencoderConfig extends LatentModelConfig {
  /** Input corruption while training. 'none' for a plain AE; default 'gaussian' for a DAE. */
  noise: NoiseType;
  /** σ of Gaussian noise, or the fraction of values masked / salted. Default 0.3 for a DAE. */
  noiseAmount: number;
}

/** The networks of a model. */
export interface Networks {
  encoder: tfl.LayersModel;
  decoder: tfl.LayersModel;
  /** The autoregressive connections between pixels (`autoregressive`): x [D] → logits [D], masked. */
  pixels?: tfl.LayersModel;
}

/** Largest example (values) an autoregressive decoder takes: its D × D kernel of 8192² floats is 256 MiB. */
export const MAX_AUTOREGRESSIVE_VALUES = 8192;

/** Contents of `genlab-model.json` for the autoencoder family. */
export interface GenlabModelFile extends ModelFile {
  /** A shared decoder log-variance (Gaussian decoders); updates in the moving average of the networks (`emaDecay`). */
  state?: { decoderLogVar?: number; ema?: { count: number } };
  /** encoder and decoder, and any further network of the model (a second stochastic layer's). */
  networks: { encoder: string; decoder: string } & Record<string, string>;
}

/** Floor of a per-pixel decoder log-variance: log(0.01²). */
export const MIN_DECODER_LOGVAR = Math.log(1e-4);

/** Values per example: the product of the data shape. */
export const valuesPerExample = (data: Pick<DataInfo, 'shape'>): number => data.shape.reduce((a, b) => a * b, 1);

/** Fills in and validates the shared options (defaults depend on the data: see `LatentModelConfig`). */
export function resolveLatentConfig(kind: string, options: Partial<LatentModelConfig>, data: DataInfo): LatentModelConfig {
  const arch = options.arch ?? 'mlp';
  checkChoice(`${kind}: arch`, arch, ARCHS);
  const config: LatentModelConfig = {
    arch,
    hidden: [...(options.hidden ?? (arch === 'mlp' ? [400] : []))],
    latent: options.latent ?? 20,
    decoder: options.decoder ?? (data.kind === 'images' ? 'bernoulli' : 'gaussian'),
    decoderVariance: options.decoderVariance ?? 'fixed',
    decoderStd: options.decoderStd ?? 0.1,
    weightDecay: options.weightDecay ?? 0,
    conditional: options.conditional ?? false,
    autoregressive: options.autoregressive ?? false,
    autoregressiveHidden: [...(options.autoregressiveHidden ?? [])],
    autoregressiveWindow: options.autoregressiveWindow ?? 0,
    emaDecay: options.emaDecay ?? 0,
  };
  if (!data.shape.every((d) => Number.isInteger(d) && d >= 1) || data.shape.length === 0) {
    throw badInput(`${kind}: data shape`, `expected positive integers, got [${data.shape.join(', ')}]`);
  }
  if (arch === 'conv' && (data.kind !== 'images' || data.shape.length !== 3)) {
    throw badInput(`${kind}: arch`, `conv needs images [height, width, channels], got ${data.kind} [${data.shape.join(', ')}]: use --arch mlp`);
  }
  config.hidden.forEach((h) => checkNumber(`${kind}: hidden`, h, 1, true));
  checkNumber(`${kind}: latent`, config.latent, 1, true);
  checkChoice(`${kind}: decoder`, config.decoder, DECODER_LIKELIHOODS);
  checkChoice(`${kind}: decoderVariance`, config.decoderVariance, DECODER_VARIANCES);
  checkNumber(`${kind}: decoderStd`, config.decoderStd, 1e-6);
  checkNumber(`${kind}: weightDecay`, config.weightDecay, 0);
  checkNumber(`${kind}: emaDecay`, config.emaDecay, 0, false, MAX_EMA_DECAY);
  if (config.conditional && !(data.classes && data.classes.length >= 1)) {
    throw badInput(kind, 'a conditional model needs data with class labels (e.g. mnist)');
  }
  config.autoregressiveHidden.forEach((h) => checkNumber(`${kind}: autoregressiveHidden`, h, 1, true));
  if (config.autoregressiveHidden.length > 0 && !config.autoregressive) throw badInput(`${kind}: autoregressiveHidden`, 'the hidden layers of the pixels’ MADE need autoregressive on');
  checkAutoregressiveWindow(kind, config, data);
  if (config.autoregressive && config.decoder !== 'bernoulli') throw badInput(`${kind}: autoregressive`, 'autoregressive pixels need a bernoulli decoder (binary images)');
  if (config.autoregressive && valuesPerExample(data) > MAX_AUTOREGRESSIVE_VALUES) {
    throw badInput(`${kind}: autoregressive`, `at most ${MAX_AUTOREGRESSIVE_VALUES} values per example (its kernel is D × D), got ${valuesPerExample(data)}`);
  }
  return config;
}

/** The causal window needs the one masked layer over a single-channel image (its rows and columns). */
function checkAutoregressiveWindow(kind: string, config: LatentModelConfig, data: DataInfo): void {
  const flag = `${kind}: autoregressiveWindow`;
  checkNumber(flag, config.autoregressiveWindow, 0, true);
  if (config.autoregressiveWindow === 0) return;
  if (!config.autoregressive) throw badInput(flag, 'the pixels’ window needs autoregressive on');
  if (config.autoregressiveHidden.length > 0) throw badInput(flag, 'a window is for the one masked layer, not with autoregressiveHidden');
  const [, , channels = 1] = data.shape;
  if (data.kind !== 'images' || data.shape.length < 2 || data.shape.length > 3 || channels !== 1) {
    throw badInput(flag, `a window needs single-channel images [height, width(, 1)], got ${data.kind} [${data.shape.join(', ')}]`);
  }
}

/**
 * Builds the encoder (image or points → `outputs` units) and decoder (code → raw output) of a config, and with
 * `autoregressive` the pixels' connections (starting at zero).
 */
export function buildNetworks(config: LatentModelConfig, data: DataInfo, encoderOutputs: number, rng: Rng): Networks {
  const label = config.conditional ? [[data.classes!.length]] : [];
  const outShape = decoderOutputShape(config, data.shape);
  const pixels = config.autoregressive ? { pixels: buildAutoregressivePixels('pixels', valuesPerExample(data), config.autoregressiveHidden, rng) } : {};
  if (config.arch === 'conv') {
    return {
      encoder: buildConvEncoder({ name: 'encoder', input: data.shape, extraInputs: label, hidden: config.hidden, outputs: encoderOutputs, rng }),
      decoder: buildConvDecoder({ name: 'decoder', inputs: [[config.latent], ...label], output: outShape, hidden: [...config.hidden].reverse(), rng }),
      ...pixels,
    };
  }
  return {
    encoder: buildMlp({ name: 'encoder', inputs: [data.shape, ...label], hidden: config.hidden, output: [encoderOutputs], rng }),
    decoder: buildMlp({ name: 'decoder', inputs: [[config.latent], ...label], hidden: [...config.hidden].reverse(), output: outShape, rng }),
    ...pixels,
  };
}

/** Shape of the decoder's raw output: the data shape, with twice the channels for a per-pixel variance. */
function decoderOutputShape(config: LatentModelConfig, shape: readonly number[]): number[] {
  const perPixel = config.decoder === 'gaussian' && config.decoderVariance === 'per-pixel';
  return perPixel ? [...shape.slice(0, -1), 2 * shape[shape.length - 1]!] : [...shape];
}

/** One line on what the decoder outputs, for genlab-model.json. */
export function describeDecoder(config: LatentModelConfig, kind: 'images' | 'points'): string {
  const inputs = `inputs: z [${config.latent}]${config.conditional ? ', one-hot label' : ''}`;
  if (config.decoder === 'bernoulli') return `${inputs}; output: logits of Bernoulli pixels (sigmoid gives the mean image)`;
  const mean = kind === 'images' ? 'sigmoid(output) is the mean' : 'output is the mean';
  if (config.decoderVariance === 'per-pixel') {
    return `${inputs}; output: channels [0, C) give the mean (${mean}), channels [C, 2C) r give log σ² = ${MIN_DECODER_LOGVAR.toFixed(4)} + softplus(r − ${MIN_DECODER_LOGVAR.toFixed(4)})`;
  }
  return `${inputs}; output: Gaussian mean (${mean}), log σ² in state.decoderLogVar`;
}
