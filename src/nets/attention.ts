/**
 * Self-attention over the positions of a feature map (Zhang et al. 2019, "Self-Attention Generative Adversarial
 * Networks", §3): every position sees every other, so G can make far-apart parts agree (a head and its body, both
 * eyes) and D can check that they do, which stacks of local convolutions learn only slowly.
 *
 *   x [h, w, C] → queries f = conv 1×1 (C/8) [N = h·w, C/8]
 *                 keys g = avg-pool 2×2 of conv 1×1 (C/8), values v = avg-pool 2×2 of conv 1×1 (C/2)  [N/4, ·]
 *   β = softmax over j of f_i · g_j   [N, N/4]
 *   o = conv 1×1 (C) of β v reshaped [h, w, C/2]
 *   y = x + γ ⊙ o,  γ a per-channel scale starting at 0 (the paper's scalar γ, one per channel)
 *
 * so the block starts as the identity and the network first learns locally (§3). The widths C/8, C/2 and the pooled
 * keys and values are the paper's code's (BigGAN-PyTorch's `Attention`): a quarter of the softmax, which dominates the
 * block's cost. That code max-pools; this averages, whose backward pass is 40× cheaper here (TF.js's max-pool
 * gradient has no fast kernel on the native backend).
 * Stock layers only (Conv2D, AveragePooling2D, Reshape, Dot, Softmax, DepthwiseConv2D 1×1 for γ, Add), so a saved network loads with
 * stock TF.js. γ is a depthwise layer, not a Conv2D, so spectral normalisation (which divides every Conv2D and Dense
 * kernel) leaves it alone, as the paper does.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../engine/rng.js';
import { apply, conv2d, depthwiseConv2d } from './layers.js';
import { kernelInit } from './mlp.js';

type Tensor = tfl.SymbolicTensor;

/** The self-attention block on `x` [h, w, C] (see the file comment); layer names start with `name`. */
export function selfAttention(name: string, x: Tensor, rng: Rng): Tensor {
  const [h, w, channels] = x.shape.slice(1) as [number, number, number];
  const positions = h * w;
  const keyWidth = Math.max(1, Math.floor(channels / 8));
  const valueWidth = Math.max(1, Math.floor(channels / 2));
  const pointwise = (suffix: string, filters: number, input: Tensor): Tensor =>
    apply(conv2d({ filters, kernelSize: 1, padding: 'same', kernelInitializer: kernelInit(rng), biasInitializer: 'zeros', name: `${name}_${suffix}` }), input);

  const pooled = (suffix: string, width: number): Tensor => {
    const t = apply(tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same', name: `${name}_${suffix}_pool` }), pointwise(suffix, width, x));
    return apply(tfl.layers.reshape({ targetShape: [t.shape[1]! * t.shape[2]!, width], name: `${name}_${suffix}_flat` }), t);
  };
  const query = apply(tfl.layers.reshape({ targetShape: [positions, keyWidth], name: `${name}_query_flat` }), pointwise('query', keyWidth, x));
  const key = pooled('key', keyWidth);
  const value = pooled('value', valueWidth);
  const scores = apply(tfl.layers.dot({ axes: [2, 2], name: `${name}_scores` }), [query, key]); // [N, N/4]
  const weights = apply(tfl.layers.softmax({ axis: -1, name: `${name}_weights` }), scores);
  const attended = apply(tfl.layers.dot({ axes: [2, 1], name: `${name}_attend` }), [weights, value]); // [N, C/2]
  const grid = apply(tfl.layers.reshape({ targetShape: [h, w, valueWidth], name: `${name}_grid` }), attended);
  const out = pointwise('out', channels, grid);
  const scaled = apply(
    depthwiseConv2d({ kernelSize: 1, depthMultiplier: 1, useBias: false, depthwiseInitializer: 'zeros', name: `${name}_gamma` }),
    out,
  );
  return apply(tfl.layers.add({ name: `${name}_residual` }), [x, scaled]);
}
