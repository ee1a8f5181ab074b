/**
 * UnsortedSegmentSum for wasm, missing from the wasm backend of TF.js 4.22. It is the gradient of GatherV2
 * (tfjs-core gradients/GatherV2_grad.ts), so without it nothing that gathers trainable rows can train on wasm:
 * embedding layers, label embeddings of class-conditional generators, `tf.gather` on weights.
 *
 * out[s, …] = Σ_{i: segmentIds[i] = s} x[i, …]; ids outside [0, numSegments) are dropped, as in TensorFlow.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type TensorInfo, type WasmKernelArgs, input } from './util.js';

interface UnsortedSegmentSumAttrs {
  numSegments: number;
}

export function unsortedSegmentSum(args: WasmKernelArgs<UnsortedSegmentSumAttrs>): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = input(inputs, 'x', 'UnsortedSegmentSum');
  const segmentIds = input(inputs, 'segmentIds', 'UnsortedSegmentSum');
  const { numSegments } = attrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32 x, got ${x.dtype}`);
  }
  const idRank = segmentIds.shape.length;
  for (let i = 0; i < idRank; i++) {
    if (segmentIds.shape[i] !== x.shape[i]) {
      throw new Error(
        `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape.join(', ')}] must prefix x shape [${x.shape.join(', ')}]`,
      );
    }
  }
  const inner = tf.util.sizeFromShape(x.shape.slice(idRank));
  const count = tf.util.sizeFromShape(segmentIds.shape);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(idRank)], x.dtype);
  const ov = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  const xv = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds);
  ov.fill(0);
  for (let i = 0; i < count; i++) {
    const s = ids[i]!;
    if (!(s >= 0 && s < numSegments)) continue;
    const from = i * inner;
    const to = s * inner;
    for (let j = 0; j < inner; j++) ov[to + j]! += xv[from + j]!;
  }
  return out;
}

export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc,
};
