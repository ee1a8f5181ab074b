/**
 * Every option a model kind can take, described once: its meaning, the kind of value it takes, and its command-line
 * flag. The kinds table (kinds.ts) lists which of these each kind takes; the CLI builds its flags from here and the
 * library's errors name the option (`noiseAmount`), which the CLI maps to its flag (`--noise-amount`).
 * Every count has an upper bound and says why (`why`): a mistyped `--latent 1000000000` is refused in one line
 * instead of allocating gigabytes. `checkOptionValues` checks a config against this table (createModel, loadModel).
 */
import { DECODER_LIKELIHOODS, DECODER_VARIANCES, NOISE_TYPES } from './latent-config.js';
import { GAN_LOSSES } from './gan.js';
import { MODE_SEEKING_DISTANCES } from './gan-losses.js';
import { MAX_EMA_DECAY } from './average.js';
import { MAX_LAPGAN_LEVELS, MAX_LEVEL_STEPS } from './lapgan.js';
import { SRGAN_CONTENT_LOSSES } from './srgan.js';
import { ARCHS } from './model.js';
import { UPSAMPLES } from '../nets/dcgan.js';
import { badInput } from '../engine/errors.js';
import { checkNumber } from './validate.js';

/** The value an option takes: a whole number, a number, a list of whole numbers, one of a list, or a switch. */
export type OptionValue =
  | { type: 'int'; min?: number; max?: number; why?: string }
  | { type: 'number'; min?: number; max?: number }
  | { type: 'int-list'; max: number; maxLength: number; why: string }
  | { type: 'choice'; choices: readonly string[] }
  | { type: 'boolean'; negatable?: boolean };

export interface ModelOptionSpec {
  /** One line for help texts. */
  help: string;
  value: OptionValue;
  /** The command-line flag when it is not the option's name in kebab case (`zeroCenteredPenalty` → `--zero-gp`). */
  flag?: string;
}

/** Widths of hidden dense layers, and sizes of codes: bounded for the memory they take. */
const WIDTHS: OptionValue = { type: 'int-list', max: 16384, maxLength: 16, why: 'a dense layer of 16384 × 16384 weights is already 1 GiB' };
const CODE_WHY = 'a code is drawn, stored and decoded per example; wider ones only cost memory';

export const MODEL_OPTIONS = {
  arch: { help: 'network architecture: mlp or conv (lapgan: of level 0, the coarsest GAN)', value: { type: 'choice', choices: ARCHS } },
  hidden: {
    help: 'hidden dense widths, comma-separated (default 400 for a VAE’s mlp)',
    value: WIDTHS,
  },
  latent: {
    help: 'size of the code z (default 20; GANs 100 for images, 8 for points)',
    value: { type: 'int', min: 1, max: 65536, why: CODE_WHY },
  },
  decoder: { help: 'p(x|z): bernoulli or gaussian (default bernoulli for images)', value: { type: 'choice', choices: DECODER_LIKELIHOODS } },
  decoderVariance: { help: 'variance of a gaussian decoder: fixed, learned or per-pixel (default fixed)', value: { type: 'choice', choices: DECODER_VARIANCES } },
  decoderStd: { help: 'σ of a fixed gaussian decoder, the initial σ of a learned one (default 0.1)', value: { type: 'number', min: 1e-6 } },
  autoregressive: {
    help: 'bernoulli decoders: each pixel’s logit also sees the pixels before it (raster order), a masked D × D layer (Gregor et al. 2014; Germain et al. 2015)',
    value: { type: 'boolean' },
  },
  autoregressiveWindow: {
    help: 'with --autoregressive on 1-channel images: each pixel sees only the pixels before it at most R rows above and R columns aside (default 0: all)',
    value: { type: 'int', min: 0, max: 4096, why: 'a distance in pixels' },
  },
  autoregressiveHidden: { help: 'hidden widths of the pixels’ MADE network instead of the one masked layer, e.g. 500 (with --autoregressive)', value: WIDTHS },
  weightDecay: { help: 'L2 penalty λ on the kernels (default 0)', value: { type: 'number', min: 0 } },
  noise: { help: 'input corruption: none, gaussian, masking, salt-and-pepper (default gaussian)', value: { type: 'choice', choices: NOISE_TYPES } },
  noiseAmount: { help: 'σ of gaussian noise or the fraction corrupted (default 0.3)', value: { type: 'number', min: 0 } },
  beta: { help: 'weight of the KL term (β-VAE; default 1; 0 lets the variance collapse)', value: { type: 'number', min: 0 } },
  klWarmup: { help: 'steps over which the KL weight rises from 0 to β (default 0)', value: { type: 'int', min: 0, max: 2 ** 31, why: 'a step count' } },
  k: { help: 'importance samples per example (default 5)', value: { type: 'int', min: 1, max: 5000, why: 'every step decodes k samples per example' } },
  topLatent: {
    help: 'size of a second, top stochastic layer z₂ above the code (two stochastic layers, Burda et al. 2016 §5; default 0 = one layer)',
    value: { type: 'int', min: 0, max: 65536, why: CODE_WHY },
  },
  topHidden: {
    help: 'hidden widths of the networks between the two stochastic layers, comma-separated (default 100,100)',
    value: WIDTHS,
  },
  flowSteps: {
    help: 'steps of inverse autoregressive flow on q(z|x), each a MADE network over the code (Kingma et al. 2016; default 0 = a diagonal Gaussian)',
    value: { type: 'int', min: 0, max: 64, why: 'every code passes through each step’s network' },
  },
  flowHidden: { help: 'hidden widths of each flow step’s MADE network, comma-separated (default 4 × latent)', value: WIDTHS },
  vampPrior: {
    help: 'a VampPrior of N learned pseudo-inputs: p(z) the mixture of the encoder’s q(z|u_k) (Tomczak & Welling 2018; e.g. 500; default 0 = N(0, I)); with --top-latent it is the top layer’s prior',
    value: { type: 'int', min: 0, max: 10000, why: 'every step encodes all pseudo-inputs' },
  },
  loss: { help: 'adversarial objective: minimax, nonsaturating, lsgan, hinge, wgan-gp', value: { type: 'choice', choices: GAN_LOSSES } },
  dSteps: { help: 'discriminator updates per generator update (default 1; 5 for wgan-gp)', value: { type: 'int', min: 1, max: 100, why: 'each is a full discriminator step' } },
  gpWeight: { help: 'λ of the WGAN-GP gradient penalty (default 10)', value: { type: 'number', min: 0 } },
  featureMatching: { help: 'the generator matches D’s mean features (Salimans et al. 2016)', value: { type: 'boolean' } },
  minibatchDiscrimination: { help: 'D sees how alike the examples of its batch are (Salimans et al. 2016)', value: { type: 'boolean' } },
  minibatchKernels: { help: 'minibatch discrimination: number of kernels B (default 32)', value: { type: 'int', min: 1, max: 1024, why: 'the layer compares every pair of examples per kernel' } },
  minibatchKernelDims: { help: 'minibatch discrimination: dimensions C of each kernel (default 4)', value: { type: 'int', min: 1, max: 256, why: 'the layer compares every pair of examples per kernel' } },
  minibatchStddev: { help: 'D sees its features’ standard deviation over each group of N examples (Karras et al. 2018; e.g. 4; default 0: off)', value: { type: 'int', min: 0, max: 1024, why: 'a group is at most a batch' } },
  labelSmoothing: { help: 'one-sided target of real examples, e.g. 0.9 (default 1)', value: { type: 'number', min: 0.5, max: 1 } },
  historicalAveraging: { help: 'λ of ‖θ − mean of past θ‖² (Salimans et al. 2016; default 0)', value: { type: 'number', min: 0 } },
  pack: { help: 'D judges N examples at once (PacGAN, Lin et al. 2018; default 1)', value: { type: 'int', min: 1, max: 64, why: 'a batch must hold at least one pack' } },
  instanceNoise: { help: 'N(0, σ²) added to D’s inputs, falling linearly to 0 (Sønderby et al. 2017; default 0)', value: { type: 'number', min: 0 } },
  instanceNoiseSteps: { help: 'steps over which the instance noise falls to 0 (default 5000)', value: { type: 'int', min: 1, max: 2 ** 31, why: 'a step count' } },
  zeroCenteredPenalty: {
    help: 'zero-centred gradient penalty λ E‖∇D(x̂)‖² at real–fake interpolates (Thanh-Tung et al. 2019; default 0)',
    value: { type: 'number', min: 0 },
    flag: '--zero-gp',
  },
  r1Penalty: {
    help: 'R1 penalty γ/2 E‖∇D(x)‖² on real examples (Mescheder et al. 2018; default 0)',
    value: { type: 'number', min: 0 },
    flag: '--r1',
  },
  spectralNorm: {
    help: 'spectral normalisation of D: each kernel over its largest singular value, one power iteration per D step; no batch norm in D (Miyato et al. 2018)',
    value: { type: 'boolean' },
  },
  diffAugment: {
    help: 'differentiable augmentation (colour, translation, cutout) of every image D sees in training, real and generated, so D cannot memorise a small data set (Zhao et al. 2020; --no-diff-augment: none, as after a script’s --diff-augment)',
    value: { type: 'boolean', negatable: true },
  },
  adaTarget: {
    help: 'adaptive augmentation (Karras et al. 2020, ADA): DiffAugment’s transforms applied with a probability p that rises while D is surer of the real images than this target of E[sign D(x)] (the paper’s 0.6) and falls below it; instead of --diff-augment (default 0 = off)',
    value: { type: 'number', min: 0, max: 1 },
    flag: '--ada',
  },
  adaSpeed: {
    help: 'ADA: images over which p can go from 0 to 1 (default 500000, the paper’s)',
    value: { type: 'number', min: 1 },
  },
  shareFakes: {
    help: 'one generated batch per step for both updates, D’s then G’s, as PyTorch’s DCGAN example: one pass of G per step instead of two (default with d-steps 1; --no-share-fakes: a fresh batch for each)',
    value: { type: 'boolean', negatable: true },
  },
  emaDecay: {
    help: 'decay β of a moving average of the weights (a GAN’s G, each LAPGAN level’s G, every network of a VAE), e.g. 0.999, which samples, evaluation and the saved model use (Polyak & Juditsky 1992; Karras et al. 2018; Yazıcı et al. 2019; default 0 = off)',
    value: { type: 'number', min: 0, max: MAX_EMA_DECAY },
    flag: '--ema',
  },
  filters: {
    help: 'conv nets: filters of the stride-2 layers, e.g. 32,64',
    value: { type: 'int-list', max: 4096, maxLength: 8, why: 'each stride-2 layer halves the image; wider layers only cost memory' },
  },
  batchNorm: { help: 'batch normalisation (--no-batch-norm: none)', value: { type: 'boolean', negatable: true } },
  residual: {
    help: 'conv GANs: residual blocks (each with a 1×1 shortcut) instead of the DCGAN’s stride-2 layers, no batch norm in D (Gulrajani et al. 2017; Miyato et al. 2018)',
    value: { type: 'boolean' },
  },
  palette: {
    help: 'conv GANs: G paints each image with K colours of its own — a palette from z and per-pixel softmax weights over it, as sprites are indexed-colour images of a few flat colours (default 0 = a colour per pixel)',
    value: { type: 'int', min: 0, max: 256, why: 'a palette of more than 256 colours is no longer a palette' },
  },
  upsample: {
    help: 'conv GANs: how G doubles its sides — transposed (the DCGAN’s strided transposed convolutions, default) or nearest (nearest-neighbour upsampling then a 3×3 conv: no checkerboard; Odena et al. 2016)',
    value: { type: 'choice', choices: UPSAMPLES },
  },
  selfAttention: {
    help: 'conv GANs: a self-attention block in G (before its last doubling) and D (after its first convolution), so far-apart parts of an image can agree — a head with its body, two eyes (Zhang et al. 2019, SAGAN)',
    value: { type: 'boolean' },
  },
  paletteEntropy: {
    help: 'weight λ of the mean entropy of a palette G’s per-pixel colour weights in its loss: each pixel pushed to one colour of its palette (entropy minimisation, Grandvalet & Bengio 2005; needs --palette; default 0 = off)',
    value: { type: 'number', min: 0 },
  },
  modeSeeking: {
    help: 'weight λ of the mode-seeking term in G’s loss: two codes of one label should give images as far apart as the codes are (Mao et al. 2019; they take 1; default 0 = off)',
    value: { type: 'number', min: 0 },
  },
  modeSeekingDistance: {
    help: 'where the mode-seeking term compares two images: pixels (the paper’s, default) or discriminator (in D’s last hidden features, so noise D sees through does not count as variety)',
    value: { type: 'choice', choices: MODE_SEEKING_DISTANCES },
  },
  reconstruction: {
    help: 'weight λ of D’s self-supervised reconstruction in its loss: a decoder redraws each real image from D’s features, so D on a small data set learns whole images instead of memorising cues (FastGAN, Liu et al. 2021, §3.2; they take 1; default 0 = off)',
    value: { type: 'number', min: 0 },
  },
  gamma: { help: 'weight of the feature-space reconstruction in the decoder loss (default 0.01)', value: { type: 'number', min: 0 } },
  levels: {
    help: 'LAPGAN pyramid levels, the coarsest a plain GAN (default: halve while the sides stay even and ≥ 7 px: 3 for MNIST 28 → 14 → 7)',
    value: { type: 'int', min: 1, max: MAX_LAPGAN_LEVELS, why: 'each level halves the image: 8 levels already need sides divisible by 128' },
  },
  projectBands: {
    help: 'LAPGAN: each generated band with its 2×2 block means removed, as a real band’s are, so no discriminator tells them apart by those (default on; --no-project-bands: the paper’s raw bands)',
    value: { type: 'boolean', negatable: true },
  },
  exactBounds: {
    help: 'generated images reach the ends of the pixel range exactly, as real images do: G’s output clipped instead of tanh (GANs: default off; LAPGAN: G_0’s, and each band scaled by 1 − |coarser image|, default on, --no-exact-bounds: G_0’s tanh and unbounded bands)',
    value: { type: 'boolean', negatable: true },
  },
  levelSteps: {
    help: 'LAPGAN: updates of each level’s D and G per batch, coarsest first, e.g. 8,2,1: the coarse levels’ small GANs are cheap and the pyramid’s weakest parts (default 8,2,1,…)',
    value: { type: 'int-list', max: MAX_LEVEL_STEPS, maxLength: MAX_LAPGAN_LEVELS, why: 'each is a D and a G update on the same batch' },
  },
  scale: {
    help: 'srgan: upscaling factor s; the model sees the images averaged over s×s blocks (default 2; must divide the sides)',
    value: { type: 'int', min: 2, max: 8, why: 'an 8× smaller image keeps 1/64 of the pixels: little left to upscale' },
  },
  residualBlocks: {
    help: 'srgan: residual blocks of the generator (default 4; the paper 16)',
    value: { type: 'int', min: 0, max: 64, why: 'each block is two full-resolution convolutions per step' },
  },
  generatorFilters: {
    help: 'srgan: channels of the generator’s convolutions (default 32; the paper 64)',
    value: { type: 'int', min: 1, max: 1024, why: 'every convolution costs channels² per pixel' },
  },
  adversarialWeight: { help: 'srgan: λ of the adversarial term in the generator’s loss (default 0.001, Ledig et al. 2017; 0 = SRResNet)', value: { type: 'number', min: 0 } },
  content: { help: 'srgan: content loss: pixels (MSE) or features (MSE in the discriminator’s features, the paper’s perceptual loss)', value: { type: 'choice', choices: SRGAN_CONTENT_LOSSES } },
} as const satisfies Record<string, ModelOptionSpec>;

export type ModelOptionName = keyof typeof MODEL_OPTIONS;

/** The command-line flag of an option: `--noise-amount` for `noiseAmount`. */
export function optionFlag(name: string): string {
  const spec = (MODEL_OPTIONS as Record<string, ModelOptionSpec>)[name];
  return spec?.flag ?? `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Checks the values of a model config against the table: integers and numbers within their bounds, choices from their
 * lists, booleans, lists of bounded length and values. Keys the table does not know (a family's own, such as
 * `conditional`) are left to the family. Messages name the option as the library spells it (`latent: …`).
 * With `maximaOnly` (createModel, before the family's own checks and their more specific messages) only the upper
 * bounds of counts are checked: what must be refused before anything is allocated.
 */
export function checkOptionValues(config: Readonly<Record<string, unknown>>, maximaOnly = false): void {
  for (const [name, value] of Object.entries(config)) {
    if (value === undefined || !Object.hasOwn(MODEL_OPTIONS, name)) continue;
    const v = (MODEL_OPTIONS as Record<string, ModelOptionSpec>)[name]!.value;
    if (maximaOnly) {
      if (v.type === 'int' && v.max !== undefined && typeof value === 'number' && value > v.max) checkNumber(name, value, v.min ?? 1, true, v.max, v.why);
      if (v.type === 'int-list' && Array.isArray(value)) {
        if (value.length > v.maxLength) throw badInput(name, `expected a list of at most ${v.maxLength} integers, got ${value.length}`);
        for (const x of value) if (typeof x === 'number' && x > v.max) checkNumber(name, x, 1, true, v.max, v.why);
      }
      continue;
    }
    switch (v.type) {
      case 'int':
        checkNumber(name, value as number, v.min ?? 1, true, v.max, v.why);
        break;
      case 'number':
        checkNumber(name, value as number, v.min ?? -Infinity, false, v.max);
        break;
      case 'int-list':
        if (!Array.isArray(value) || value.length > v.maxLength) throw badInput(name, `expected a list of at most ${v.maxLength} integers, got ${describe(value)}`);
        for (const x of value) checkNumber(name, x as number, 1, true, v.max, v.why);
        break;
      case 'choice':
        if (typeof value !== 'string' || !v.choices.includes(value)) throw badInput(name, `expected one of ${v.choices.join(', ')}, got ${describe(value)}`);
        break;
      case 'boolean':
        if (typeof value !== 'boolean') throw badInput(name, `expected true or false, got ${describe(value)}`);
    }
  }
}

/** A short one-line rendering of an untrusted value for messages. */
function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
