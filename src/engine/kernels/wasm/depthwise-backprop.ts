/**
 * DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput for wasm: the gradients of depthwise
 * convolution (tf.layers.depthwiseConv2d, separableConv2d), missing from the wasm backend of TF.js 4.22.
 *
 * With channel multiplier M, output channel ci·M + m reads input channel ci through filter[kh, kw, ci, m]:
 *   y[b, oh, ow, ci·M + m] = Σ_{kh, kw} x[b, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw, ci] · w[kh, kw, ci, m]
 * so (the chain rule, term by term):
 *   dW[kh, kw, ci, m] = Σ_{b, oh, ow} x[b, ih, iw, ci] · dy[b, oh, ow, ci·M + m]
 *   dx[b, ih, iw, ci] = Σ_{oh, ow, kh, kw, m: ih, iw hit} dy[b, oh, ow, ci·M + m] · w[kh, kw, ci, m]
 * Each output feeds few products (no channel mixing), so a matmul lowering would gain little: these are plain loops,
 * with channels innermost to read the NHWC arrays contiguously. Dilations are supported (the CPU backend ignores them
 * in these two kernels; tfjs-core's gradient only ever asks for dilation 1).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type ConvAttrs, type Shape4, convInfo } from './conv-info.js';
import { type TensorInfo, type WasmKernelArgs, assertFloat32, f32, input, shape4, validRange, withScope } from './util.js';

interface DepthwiseBackpropFilterAttrs extends ConvAttrs {
  filterShape: Shape4;
}

interface DepthwiseBackpropInputAttrs extends ConvAttrs {
  inputShape: Shape4;
}

export function depthwiseConv2dNativeBackpropFilter(args: WasmKernelArgs<DepthwiseBackpropFilterAttrs>): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = input(inputs, 'x', 'DepthwiseConv2dNativeBackpropFilter');
  const dy = input(inputs, 'dy', 'DepthwiseConv2dNativeBackpropFilter');
  assertFloat32(x, 'DepthwiseConv2dNativeBackpropFilter x');
  assertFloat32(dy, 'DepthwiseConv2dNativeBackpropFilter dy');
  const { filterShape } = attrs;
  const xShape = shape4(x, 'DepthwiseConv2dNativeBackpropFilter x');
  // This kernel has no dataFormat attr: NHWC, as on the CPU backend.
  const c = convInfo(xShape, filterShape, { ...attrs, dataFormat: 'NHWC' }, true);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW } = c;
  const KH = c.filterHeight;
  const KW = c.filterWidth;
  const M = c.outChannels / CI;
  const CO = c.outChannels;
  // Float64 accumulators: each weight sums B·OH·OW products.
  const acc = new Float64Array(KH * KW * CI * M);
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  for (let kh = 0; kh < KH; kh++) {
    const offH = kh * c.dilationHeight;
    const [ohLo, ohHi] = validRange(H, OH, c.strideHeight, c.padInfo.top, offH);
    for (let kw = 0; kw < KW; kw++) {
      const offW = kw * c.dilationWidth;
      const [owLo, owHi] = validRange(W, OW, c.strideWidth, c.padInfo.left, offW);
      const a0 = (kh * KW + kw) * CI * M;
      for (let b = 0; b < B; b++) {
        for (let oh = ohLo; oh < ohHi; oh++) {
          const ih = oh * c.strideHeight - c.padInfo.top + offH;
          for (let ow = owLo; ow < owHi; ow++) {
            const iw = ow * c.strideWidth - c.padInfo.left + offW;
            const xo = ((b * H + ih) * W + iw) * CI;
            const dyo = ((b * OH + oh) * OW + ow) * CO;
            for (let ci = 0; ci < CI; ci++) {
              const xval = xv[xo + ci]!;
              const base = ci * M;
              for (let m = 0; m < M; m++) acc[a0 + base + m]! += xval * dyv[dyo + base + m]!;
            }
          }
        }
      }
    }
  }
  const out = backend.makeOutput([...filterShape], 'float32');
  f32(backend, out).set(acc);
  return out;
}

export function depthwiseConv2dNativeBackpropInput(args: WasmKernelArgs<DepthwiseBackpropInputAttrs>): TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = input(inputs, 'dy', 'DepthwiseConv2dNativeBackpropInput');
  const filter = input(inputs, 'filter', 'DepthwiseConv2dNativeBackpropInput');
  assertFloat32(dy, 'DepthwiseConv2dNativeBackpropInput dy');
  assertFloat32(filter, 'DepthwiseConv2dNativeBackpropInput filter');
  const { inputShape } = attrs;
  const filterShape = shape4(filter, 'DepthwiseConv2dNativeBackpropInput filter');
  // This kernel has no dataFormat attr: NHWC, as on the CPU backend.
  const c = convInfo(inputShape, filterShape, { ...attrs, dataFormat: 'NHWC' }, true);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW } = c;
  const KH = c.filterHeight;
  const KW = c.filterWidth;
  const M = c.outChannels / CI;
  const CO = c.outChannels;
  return withScope(backend, (scope) => {
    const dx = scope.alloc([...inputShape]);
    const dxv = f32(backend, dx);
    const dyv = f32(backend, dy);
    const wv = f32(backend, filter);
    dxv.fill(0);
    for (let kh = 0; kh < KH; kh++) {
      const offH = kh * c.dilationHeight;
      const [ohLo, ohHi] = validRange(H, OH, c.strideHeight, c.padInfo.top, offH);
      for (let kw = 0; kw < KW; kw++) {
        const offW = kw * c.dilationWidth;
        const [owLo, owHi] = validRange(W, OW, c.strideWidth, c.padInfo.left, offW);
        const w0 = (kh * KW + kw) * CI * M;
        for (let b = 0; b < B; b++) {
          for (let oh = ohLo; oh < ohHi; oh++) {
            const ih = oh * c.strideHeight - c.padInfo.top + offH;
            for (let ow = owLo; ow < owHi; ow++) {
              const iw = ow * c.strideWidth - c.padInfo.left + offW;
              const dxo = ((b * H + ih) * W + iw) * CI;
              const dyo = ((b * OH + oh) * OW + ow) * CO;
              for (let ci = 0; ci < CI; ci++) {
                const base = ci * M;
                let s = 0;
                for (let m = 0; m < M; m++) s += dyv[dyo + base + m]! * wv[w0 + base + m]!;
                dxv[dxo + ci]! += s;
              }
            }
          }
        }
      }
    }
    return scope.keep(dx);
  });
}

export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as tf.KernelFunc,
};

export const depthwiseConv2dNativeBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as tf.KernelFunc,
};
