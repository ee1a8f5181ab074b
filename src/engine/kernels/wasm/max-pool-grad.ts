/**
 * MaxPoolGrad for wasm, replacing the backend's own. The wasm kernel of TF.js 4.22 (src/cc/kernels/MaxPoolGrad.cc)
 * starts each window's running maximum at `std::numeric_limits<float>::min()`, the smallest *positive* float, so in a
 * window whose values are all ≤ 0 (common after ReLU, or for any negative features) it never finds a maximum and sends
 * the gradient to offset 0 of the tensor. Found by comparing against the CPU backend.
 *
 * dx[argmax of window] += dy[window], with the argmax taken as the CPU backend does: the first maximum in row-major
 * window order, ignoring padding (tfjs-backend-cpu, utils/pool_utils.ts `maxPoolPositions`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type TensorInfo, type WasmKernelArgs, assertFloat32, f32, input, shape4 } from './util.js';

interface MaxPoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function maxPoolGrad(args: WasmKernelArgs<MaxPoolGradAttrs>): TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = input(inputs, 'dy', 'MaxPoolGrad');
  const x = input(inputs, 'input', 'MaxPoolGrad');
  assertFloat32(dy, 'MaxPoolGrad dy');
  assertFloat32(x, 'MaxPoolGrad input');
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const c = tf.backend_util.computePool2DInfo(shape4(x, 'MaxPoolGrad input'), filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = c;
  const dx = backend.makeOutput([...x.shape], 'float32');
  const dxv = f32(backend, dx);
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  dxv.fill(0);
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * c.strideHeight - c.padInfo.top;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * c.strideWidth - c.padInfo.left;
        best.fill(-Infinity);
        where.fill(-1);
        for (let kh = 0; kh < c.effectiveFilterHeight; kh += c.dilationHeight) {
          const ih = h0 + kh;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < c.effectiveFilterWidth; kw += c.dilationWidth) {
            const iw = w0 + kw;
            if (iw < 0 || iw >= W) continue;
            const xo = ((b * H + ih) * W + iw) * C;
            for (let ch = 0; ch < C; ch++) {
              const v = xv[xo + ch]!;
              if (v > best[ch]!) {
                best[ch] = v;
                where[ch] = xo + ch;
              }
            }
          }
        }
        const dyo = ((b * OH + oh) * OW + ow) * C;
        for (let ch = 0; ch < C; ch++) {
          const at = where[ch]!;
          if (at >= 0) dxv[at]! += dyv[dyo + ch]!;
        }
      }
    }
  }
  return dx;
}

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};
