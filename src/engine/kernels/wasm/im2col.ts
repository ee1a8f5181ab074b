/**
 * im2col and its adjoint col2im for NHWC convolutions, the lowering of a convolution to a matrix product
 * (Chellapilla, Puri & Simard 2006, "High performance convolutional neural networks for document processing"; the
 * scheme Caffe uses). Row n of the im2col matrix is output position (b, oh, ow), column k is kernel tap
 * (kh, kw, ci); the entry is the input value that tap reads, 0 where it reads padding:
 *
 *   cols[n, k] = x[b, oh·sh − padTop + kh·dh, ow·sw − padLeft + kw·dw, ci]
 *
 * im2col is built as colsT [K, N] (the layout the filter gradient multiplies without a transposed operand); col2im
 * comes in both layouts: in NHWC a tap's input channels are contiguous, so with many channels the [N, K] layout adds
 * whole runs, while with few channels the [K, N] layout is the one whose inner loop is long (`rowMajor` picks).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { validRange } from './util.js';

/** Tuning of the im2col kernels; mutable so that tests can force chunking and either layout on small inputs. */
export const im2colLimits = {
  /** Largest im2col matrix (in floats, 16 MiB) built at once; bigger batches go in chunks of whole images. */
  maxColsFloats: 1 << 22,
  /**
   * Input channel count from which Conv2DBackpropInput uses the [N, K] layout: below it the contiguous channel runs
   * are too short to beat the [K, N] layout's long inner loops (measured: [K, N] faster at 1–8 channels, [N, K] at 16
   * and more).
   */
  rowMajorMinChannels: 12,
};

export function rowMajor(inChannels: number): boolean {
  return inChannels >= im2colLimits.rowMajorMinChannels;
}

/** Geometry of a 2-D convolution in NHWC, with explicit paddings. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

export function geometryOf(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Images per chunk so that one chunk's im2col matrix stays within im2colLimits.maxColsFloats. */
export function imagesPerChunk(g: ConvGeometry): number {
  const perImage = g.filterHeight * g.filterWidth * g.inChannels * g.outHeight * g.outWidth;
  return Math.max(1, Math.min(g.batch, Math.floor(im2colLimits.maxColsFloats / Math.max(1, perImage))));
}

interface TapRanges {
  /** Per kernel row kh: the output rows [lo, hi) whose tap kh reads inside the input. */
  rows: [number, number][];
  /** Per kernel column kw: the output columns [lo, hi) whose tap kw reads inside the input. */
  cols: [number, number][];
}

function tapRanges(g: ConvGeometry): TapRanges {
  return {
    rows: Array.from({ length: g.filterHeight }, (_, kh) =>
      validRange(g.inHeight, g.outHeight, g.strideHeight, g.padTop, kh * g.dilationHeight),
    ),
    cols: Array.from({ length: g.filterWidth }, (_, kw) =>
      validRange(g.inWidth, g.outWidth, g.strideWidth, g.padLeft, kw * g.dilationWidth),
    ),
  };
}

/**
 * Visits, for images [b0, b0 + nb), every (output position n, kernel tap (kh, kw)) pair that reads inside the input:
 * `fn(n, kh, kw, xOffset)` with xOffset the NHWC offset of channel 0 of the input pixel read.
 */
function forEachValidTap(
  g: ConvGeometry,
  b0: number,
  nb: number,
  fn: (n: number, kh: number, kw: number, xOffset: number) => void,
): void {
  const { rows, cols } = tapRanges(g);
  const { inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW } = g;
  let n = 0;
  for (let b = b0; b < b0 + nb; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, n++) {
        for (let kh = 0; kh < g.filterHeight; kh++) {
          const [hLo, hHi] = rows[kh]!;
          if (oh < hLo || oh >= hHi) continue;
          const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
          for (let kw = 0; kw < g.filterWidth; kw++) {
            const [wLo, wHi] = cols[kw]!;
            if (ow < wLo || ow >= wHi) continue;
            const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
            fn(n, kh, kw, ((b * H + ih) * W + iw) * CI);
          }
        }
      }
    }
  }
}

/** dx += col2im(dcols) for the [N, K] layout: each row's taps are added back onto the input pixels they read. */
export function col2imAdd(dcols: Float32Array, dx: Float32Array, g: ConvGeometry, b0: number, nb: number): void {
  const CI = g.inChannels;
  const K = g.filterHeight * g.filterWidth * CI;
  forEachValidTap(g, b0, nb, (n, kh, kw, xo) => {
    const from = n * K + (kh * g.filterWidth + kw) * CI;
    for (let ci = 0; ci < CI; ci++) dx[xo + ci]! += dcols[from + ci]!;
  });
}

/**
 * Visits every row k = (kh, kw, ci) of the transposed im2col matrix of images [b0, b0 + nb) in runs along ow:
 * `fn(p, xi, count, xStep)` says that entries p … p + count − 1 of the matrix (row-major [K, N]) read x[xi],
 * x[xi + xStep], …; entries not visited read padding.
 */
function forEachColsTRun(
  g: ConvGeometry,
  b0: number,
  nb: number,
  fn: (p: number, xi: number, count: number, xStep: number) => void,
): void {
  const { rows, cols } = tapRanges(g);
  const { inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW } = g;
  const N = nb * OH * OW;
  const xStep = g.strideWidth * CI;
  for (let kh = 0; kh < g.filterHeight; kh++) {
    const [hLo, hHi] = rows[kh]!;
    for (let kw = 0; kw < g.filterWidth; kw++) {
      const [wLo, wHi] = cols[kw]!;
      if (wHi <= wLo) continue;
      const iw0 = wLo * g.strideWidth - g.padLeft + kw * g.dilationWidth;
      for (let ci = 0; ci < CI; ci++) {
        const row = ((kh * g.filterWidth + kw) * CI + ci) * N;
        for (let b = b0; b < b0 + nb; b++) {
          for (let oh = hLo; oh < hHi; oh++) {
            const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
            const p = row + ((b - b0) * OH + oh) * OW + wLo;
            fn(p, ((b * H + ih) * W + iw0) * CI + ci, wHi - wLo, xStep);
          }
        }
      }
    }
  }
}

/** colsT [K, nb·OH·OW] of images [b0, b0 + nb) of x. */
export function fillColsT(x: Float32Array, colsT: Float32Array, g: ConvGeometry, b0: number, nb: number): void {
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  colsT.fill(0, 0, K * nb * g.outHeight * g.outWidth);
  forEachColsTRun(g, b0, nb, (p, xi, count, xStep) => {
    for (let i = 0; i < count; i++, xi += xStep) colsT[p + i] = x[xi]!;
  });
}

/** dx += col2im(dcolsT), the adjoint of fillColsT. */
export function col2imAddT(dcolsT: Float32Array, dx: Float32Array, g: ConvGeometry, b0: number, nb: number): void {
  forEachColsTRun(g, b0, nb, (p, xi, count, xStep) => {
    for (let i = 0; i < count; i++, xi += xStep) dx[xi]! += dcolsT[p + i]!;
  });
}
