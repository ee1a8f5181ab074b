/**
 * Conv2DBackpropFilter for wasm: the filter gradient of conv2d, which the wasm backend of TF.js 4.22 lacks (so no
 * conv net, and no transposed conv net, can train there). It is what `Conv2D`'s gradient asks for the filter, and what
 * `Conv2DBackpropInput`'s (conv2dTranspose's) gradient asks for its filter.
 *
 *   dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·sh − padTop + kh, ow·sw − padLeft + kw, ci] · dy[b, oh, ow, co]
 *
 * i.e. dW [K, CO] = colsᵀ · dy with cols [N, K] the im2col matrix of x (K = KH·KW·CI, N = B·OH·OW; see ./im2col.ts),
 * one matrix product per batch chunk on the wasm backend's XNNPACK BatchMatMul. colsᵀ is built directly, as the wasm
 * matmul is slow with transposed operands (building cols and multiplying dyᵀ · cols instead measured slower for 1 to
 * 64 input channels).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type ConvAttrs, type Shape4, convInfo } from './conv-info.js';
import { type ConvGeometry, fillColsT, geometryOf, imagesPerChunk } from './im2col.js';
import {
  type BackendWasm,
  type TempScope,
  type TensorInfo,
  type WasmKernelArgs,
  NCHW_TO_NHWC,
  assertFloat32,
  f32,
  imageRows,
  input,
  matMul,
  shape4,
  transpose,
  view,
  withScope,
} from './util.js';

/**
 * The filter gradient [K, CO] (K = KH·KW·CI) of a convolution of NHWC `x` giving NHWC `dy`, as a scope-owned
 * tensor of the wasm backend.
 */
export function filterGradNHWC(
  backend: BackendWasm,
  scope: TempScope,
  x: TensorInfo,
  dy: TensorInfo,
  g: ConvGeometry,
  outChannels: number,
): TensorInfo {
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const perImage = g.outHeight * g.outWidth;
  if (g.batch * perImage === 0) {
    // Nothing was convolved (empty batch or output): the gradient is zero, and XNNPACK must not see empty matrices.
    const zero = scope.alloc([K, outChannels]);
    f32(backend, zero).fill(0);
    return zero;
  }
  const chunk = imagesPerChunk(g);
  let acc: TensorInfo | null = null;
  for (let b0 = 0; b0 < g.batch; b0 += chunk) {
    const nb = Math.min(chunk, g.batch - b0);
    const n = nb * perImage;
    const dyPart = imageRows(backend, scope, dy, b0, nb, g.batch, perImage, outChannels);
    const colsT = scope.alloc([K, n]);
    fillColsT(f32(backend, x), f32(backend, colsT), g, b0, nb);
    const part = scope.track(matMul(backend, colsT, K, n, dyPart, outChannels));
    scope.free(colsT);
    if (dyPart.dataId !== dy.dataId) scope.free(dyPart);
    if (acc === null) {
      acc = part;
    } else {
      const into = f32(backend, acc);
      const from = f32(backend, part);
      for (let i = 0; i < into.length; i++) into[i]! += from[i]!;
      scope.free(part);
    }
  }
  if (acc === null) throw new Error('Conv2DBackpropFilter: no batch chunk was processed');
  return acc;
}

interface Conv2DBackpropFilterAttrs extends ConvAttrs {
  filterShape: Shape4;
}

export function conv2DBackpropFilter(args: WasmKernelArgs<Conv2DBackpropFilterAttrs>): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = input(inputs, 'x', 'Conv2DBackpropFilter');
  const dy = input(inputs, 'dy', 'Conv2DBackpropFilter');
  assertFloat32(x, 'Conv2DBackpropFilter x');
  assertFloat32(dy, 'Conv2DBackpropFilter dy');
  const { filterShape } = attrs;
  // This kernel has no dilations attr (tfjs-core's conv2d gradient is undilated): 1, as on the CPU backend.
  const info = convInfo(shape4(x, 'Conv2DBackpropFilter x'), filterShape, { ...attrs, dilations: 1 }, false);
  const format = info.dataFormat;
  return withScope(backend, (scope) => {
    const xNHWC = format === 'channelsLast' ? x : scope.track(transpose(backend, x, NCHW_TO_NHWC));
    const dyNHWC = format === 'channelsLast' ? dy : scope.track(transpose(backend, dy, NCHW_TO_NHWC));
    const dW = scope.keep(filterGradNHWC(backend, scope, xNHWC, dyNHWC, geometryOf(info), info.outChannels));
    return view(dW, [...filterShape]);
  });
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};
