/**
 * Conv2DBackpropInput for wasm, replacing the backend's own for speed. This kernel is the input gradient of every
 * conv2d and the forward pass of every conv2dTranspose; the wasm one (src/cc/kernels/Conv2DBackpropInput.cc) is a
 * scalar loop running about 10× slower than the XNNPACK conv it differentiates (≈3 vs ≈30 GFLOP/s single-threaded).
 *
 *   dx[b, ih, iw, ci] = Σ_{oh, ow, kh, kw: ih = oh·sh − pt + kh, iw = ow·sw − pl + kw} Σ_co dy[b, oh, ow, co] · w[kh, kw, ci, co]
 *
 * i.e. the adjoint of the im2col lowering (./im2col.ts): dcols [N, K] = dy [N, CO] · Wᵀ on XNNPACK's matmul, then
 * col2im adds each entry back onto the input pixel it was read from. With few input channels the transposed
 * product dcolsᵀ [K, N] = W · dyᵀ is used instead, whose col2im has long inner loops. The small operand (W or dy) is
 * transposed explicitly because the wasm matmul is slow with transposed operands.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type ConvAttrs, type Shape4, convInfo } from './conv-info.js';
import { type ConvGeometry, col2imAdd, col2imAddT, geometryOf, imagesPerChunk, rowMajor } from './im2col.js';
import {
  type BackendWasm,
  type TempScope,
  type TensorInfo,
  type WasmKernelArgs,
  NCHW_TO_NHWC,
  NHWC_TO_NCHW,
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

/** The input gradient (NHWC, shape [B, H, W, CI]) of a convolution with `filter` [KH, KW, CI, CO] given NHWC `dy`. */
export function inputGradNHWC(
  backend: BackendWasm,
  scope: TempScope,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  outChannels: number,
): TensorInfo {
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const perImage = g.outHeight * g.outWidth;
  const dx = scope.alloc([g.batch, g.inHeight, g.inWidth, g.inChannels]);
  f32(backend, dx).fill(0);
  if (perImage === 0) return dx; // an empty dy contributes nothing; XNNPACK must not see empty matrices
  const byRows = rowMajor(g.inChannels);
  const w = view(filter, [K, outChannels]);
  const wT = byRows ? scope.track(transpose(backend, w, [1, 0])) : null;
  const chunk = imagesPerChunk(g);
  for (let b0 = 0; b0 < g.batch; b0 += chunk) {
    const nb = Math.min(chunk, g.batch - b0);
    const n = nb * perImage;
    const dyPart = imageRows(backend, scope, dy, b0, nb, g.batch, perImage, outChannels);
    if (wT !== null) {
      const dcols = scope.track(matMul(backend, dyPart, n, outChannels, wT, K));
      col2imAdd(f32(backend, dcols), f32(backend, dx), g, b0, nb);
      scope.free(dcols);
    } else {
      const dyT = scope.track(transpose(backend, dyPart, [1, 0]));
      const dcolsT = scope.track(matMul(backend, w, K, outChannels, dyT, n));
      col2imAddT(f32(backend, dcolsT), f32(backend, dx), g, b0, nb);
      scope.free(dcolsT);
      scope.free(dyT);
    }
    if (dyPart.dataId !== dy.dataId) scope.free(dyPart);
  }
  return dx;
}

interface Conv2DBackpropInputAttrs extends ConvAttrs {
  inputShape: Shape4;
}

export function conv2DBackpropInput(args: WasmKernelArgs<Conv2DBackpropInputAttrs>): TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = input(inputs, 'dy', 'Conv2DBackpropInput');
  const filter = input(inputs, 'filter', 'Conv2DBackpropInput');
  assertFloat32(dy, 'Conv2DBackpropInput dy');
  assertFloat32(filter, 'Conv2DBackpropInput filter');
  // This kernel has no dilations attr (tfjs-core's conv2d gradient is undilated): 1, as on the CPU backend.
  const filterShape = shape4(filter, 'Conv2DBackpropInput filter');
  const info = convInfo(attrs.inputShape, filterShape, { ...attrs, dilations: 1 }, false);
  const format = info.dataFormat;
  return withScope(backend, (scope) => {
    const dyNHWC = format === 'channelsLast' ? dy : scope.track(transpose(backend, dy, NCHW_TO_NHWC));
    const dx = inputGradNHWC(backend, scope, dyNHWC, filter, geometryOf(info), info.outChannels);
    return scope.keep(format === 'channelsLast' ? dx : transpose(backend, dx, NHWC_TO_NCHW));
  });
}

export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
};
