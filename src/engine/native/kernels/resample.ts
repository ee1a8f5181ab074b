/**
 * Image resampling on NHWC float32 tensors: average pooling and nearest-neighbour resizing, forward and backward (the
 * residual GAN's down and up blocks). The cpu kernels loop in JavaScript, element by element, through index
 * arithmetic per value: AvgPoolGrad took 1.2 s of a 1.6 s residual-GAN step. Each kernel here is one of the addon's two
 * loops: `gatherPixels` (each output pixel copies one input pixel: resizing, and the pooling gradient where windows
 * do not overlap) or `sumBlocks` (each output pixel sums a rectangle of input pixels: pooling, and the resize gradient).
 * The rectangles and source pixels are computed below exactly as the cpu kernels compute them, and sums run in double
 * precision in the cpu kernels' order, so the results are theirs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import type { NativeBackend } from '../backend.js';
import { withCpuFallback, type Args, type Info, type KernelGroup } from './define.js';
import { f32, size } from './operands.js';

type PoolAttrs = { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
type ResizeAttrs = { alignCorners: boolean; halfPixelCenters: boolean; size?: [number, number] };

/** Rows (or columns) [start[i], end[i]) of the source that output row i sums; empty ranges are [0, 0). */
interface Ranges {
  start: Int32Array;
  end: Int32Array;
}

function ranges(count: number, of: (i: number) => [number, number]): Ranges {
  const start = new Int32Array(count);
  const end = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const [s, e] = of(i);
    if (e > s) [start[i], end[i]] = [s, e];
  }
  return { start, end };
}

/** sumBlocks' multiplier that divides each sum by its rectangle's size instead (average pooling, as the cpu kernel). */
const AVERAGE = 0;

function sumBlocks(native: NativeAddon, backend: NativeBackend, src: Float32Array, srcShape: readonly number[], rows: Ranges, cols: Ranges, multiplier: number): Info {
  const [n, h, w, c] = srcShape as [number, number, number, number];
  const outShape = [n, rows.start.length, cols.start.length, c];
  const out = backend.alloc(size(outShape));
  if (out.length > 0) native.sumBlocks(src, n, h, w, c, rows.start, rows.end, cols.start, cols.end, multiplier, out);
  return backend.makeTensorInfo(outShape, 'float32', out);
}

function gatherPixels(native: NativeAddon, backend: NativeBackend, src: Float32Array, srcShape: readonly number[], rowOf: Int32Array, colOf: Int32Array): Info {
  const [n, h, w, c] = srcShape as [number, number, number, number];
  const outShape = [n, rowOf.length, colOf.length, c];
  const out = backend.alloc(size(outShape));
  if (out.length > 0) native.gatherPixels(src, n, h, w, c, rowOf, colOf, out);
  return backend.makeTensorInfo(outShape, 'float32', out);
}

const isImageBatch = (t: Info | undefined): t is Info => t !== undefined && t.dtype === 'float32' && t.shape.length === 4;

function poolInfo(x: Info, attrs: PoolAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
}

/** The cpu kernel's `pool(…, 'avg')`: each output pixel the mean of its window's pixels inside the image. */
function avgPool(native: NativeAddon, args: Args, backend: NativeBackend): Info | null {
  const { x } = args.inputs as Record<string, Info | undefined>;
  const xv = f32(backend, x);
  if (!isImageBatch(x) || !xv) return null;
  const info = poolInfo(x, args.attrs as unknown as PoolAttrs);
  const window = (corner: number, filter: number, limit: number): [number, number] => [Math.max(0, corner), Math.min(limit, corner + filter)];
  const rows = ranges(info.outHeight, (r) => window(r * info.strideHeight - info.padInfo.top, info.effectiveFilterHeight, info.inHeight));
  const cols = ranges(info.outWidth, (q) => window(q * info.strideWidth - info.padInfo.left, info.effectiveFilterWidth, info.inWidth));
  return sumBlocks(native, backend, xv, x.shape, rows, cols, AVERAGE);
}

/** The cpu kernel's AvgPoolGrad: dx = Σ of dy over the windows that hold the pixel, times 1/(filter area). */
function avgPoolGrad(native: NativeAddon, args: Args, backend: NativeBackend): Info | null {
  const { dy, input } = args.inputs as Record<string, Info | undefined>;
  const dyv = f32(backend, dy);
  if (!isImageBatch(dy) || !isImageBatch(input) || !dyv) return null;
  const info = poolInfo(input, args.attrs as unknown as PoolAttrs);
  // dx row y takes dy rows r with (y − pad′ + k)/stride = r for some 0 ≤ k < filter (pad′ = filter − 1 − pad top).
  const windows = (i: number, filter: number, pad: number, stride: number, limit: number): [number, number] => {
    const corner = i - (filter - 1 - pad);
    return [Math.max(0, Math.ceil(corner / stride)), Math.min(limit, Math.floor((corner + filter - 1) / stride) + 1)];
  };
  const rows = ranges(info.inHeight, (y) => windows(y, info.effectiveFilterHeight, info.padInfo.top, info.strideHeight, info.outHeight));
  const cols = ranges(info.inWidth, (x) => windows(x, info.effectiveFilterWidth, info.padInfo.left, info.strideWidth, info.outWidth));
  return sumBlocks(native, backend, dyv, dy.shape, rows, cols, 1 / (info.filterHeight * info.filterWidth));
}

/** Input pixel of each output row (or column) of a nearest-neighbour resize from `from` to `to` pixels (the cpu kernel's). */
function nearestSources(from: number, to: number, { alignCorners, halfPixelCenters }: ResizeAttrs): Int32Array {
  const ratio = (alignCorners && to > 1 ? from - 1 : from) / (alignCorners && to > 1 ? to - 1 : to);
  return Int32Array.from({ length: to }, (_, r) => {
    const frac = halfPixelCenters ? ratio * (r + 0.5) : ratio * r;
    const nearest = Math.min(from - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    return halfPixelCenters ? Math.max(0, nearest) : nearest;
  });
}

function resizeNearest(native: NativeAddon, args: Args, backend: NativeBackend): Info | null {
  const { images } = args.inputs as Record<string, Info | undefined>;
  const xv = f32(backend, images);
  const attrs = args.attrs as unknown as ResizeAttrs;
  if (!isImageBatch(images) || !xv || !attrs.size) return null;
  const [, h, w] = images.shape as [number, number, number, number];
  return gatherPixels(native, backend, xv, images.shape, nearestSources(h, attrs.size[0], attrs), nearestSources(w, attrs.size[1], attrs));
}

/**
 * The cpu kernel's ResizeNearestNeighborGrad: input row r sums the dy rows whose nearest source is r (found as it
 * finds them: by the forward rule without half-pixel centres, within a window of dy rows around r's position).
 */
function resizeNearestGrad(native: NativeAddon, args: Args, backend: NativeBackend): Info | null {
  const { images, dy } = args.inputs as Record<string, Info | undefined>;
  const dyv = f32(backend, dy);
  const { alignCorners } = args.attrs as unknown as ResizeAttrs;
  if (!isImageBatch(images) || !isImageBatch(dy) || !dyv) return null;
  const sources = (inSize: number, outSize: number): Ranges => {
    const scale = (alignCorners && outSize > 1 ? inSize - 1 : inSize) / (alignCorners && outSize > 1 ? outSize - 1 : outSize);
    const nearest = nearestSources(inSize, outSize, { alignCorners, halfPixelCenters: false });
    const win = Math.ceil(1 / scale) * 2 + 2;
    return ranges(inSize, (r) => {
      const first = Math.floor(Math.floor(r * (1 / scale)) - win / 2);
      let s = Math.max(0, first);
      let e = Math.min(outSize, first + win);
      while (s < e && nearest[s] !== r) s++;
      while (e > s && nearest[e - 1] !== r) e--;
      return [s, e];
    });
  };
  const [, h, w] = images.shape as [number, number, number, number];
  const [, oh, ow] = dy.shape as [number, number, number, number];
  return sumBlocks(native, backend, dyv, dy.shape, sources(h, oh), sources(w, ow), 1);
}

export const resampleKernels: KernelGroup = (native, cpu) => [
  withCpuFallback('AvgPool', cpu, (args, backend) => avgPool(native, args, backend)),
  withCpuFallback('AvgPoolGrad', cpu, (args, backend) => avgPoolGrad(native, args, backend)),
  withCpuFallback('ResizeNearestNeighbor', cpu, (args, backend) => resizeNearest(native, args, backend)),
  withCpuFallback('ResizeNearestNeighborGrad', cpu, (args, backend) => resizeNearestGrad(native, args, backend)),
];
