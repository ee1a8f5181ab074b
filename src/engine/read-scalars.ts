/**
 * The values of many scalar tensors (a training step's loss terms) in one call. Where tensor data live in GPU memory
 * (webgl, webgpu), one download beats many: they are stacked and read once. Where they live in CPU memory (native,
 * wasm, cpu), reading each is a four-byte copy, while stacking them is a kernel — on the cpu-derived backends an
 * expandDims per scalar and a concat, ≈0.1 ms for a VAE's seven terms, 2–4% of its step — so each is read as it is.
 */
import * as tf from '@tensorflow/tfjs-core';

const CPU_MEMORY_BACKENDS: ReadonlySet<string> = new Set(['native', 'wasm', 'cpu']);

/** The value of each scalar, in order. */
export async function readScalars(tensors: readonly tf.Tensor[]): Promise<Float32Array> {
  const out = new Float32Array(tensors.length);
  if (tensors.length === 0) return out;
  if (CPU_MEMORY_BACKENDS.has(tf.getBackend())) {
    tensors.forEach((t, i) => (out[i] = t.dataSync()[0]!));
    return out;
  }
  const all = tf.stack(tensors as tf.Tensor[]);
  try {
    out.set(await all.data());
    return out;
  } finally {
    all.dispose();
  }
}

/**
 * A mark in TF.js's tensor numbering: every tensor made after this call has a larger `id` (TF.js numbers them in
 * order of creation; the number taken is skipped, which nothing minds). The step uses it to tell the terms an update
 * made, which it keeps and disposes, from tensors a model holds.
 */
export function tensorIdMark(): number {
  return (tf.engine() as unknown as { nextTensorId(): number }).nextTensorId();
}
