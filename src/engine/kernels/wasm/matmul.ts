/**
 * Wraps the wasm backend's BatchMatMul and _FusedMatMul.
 *
 * Transposed operands are transposed explicitly (with the wasm Transpose kernel, a memory-bound copy) and the XNNPACK
 * product always runs untransposed: with transposeA or transposeB the wasm matmul runs about 14× slower (≈2 vs ≈30
 * GFLOP/s single-threaded, measured on shapes like [3136, 800] · [3136, 64]), and every dense layer's backward pass
 * asks for both: tfjs-core's matMul gradient is dA = dY·Bᵀ and dB = Aᵀ·dY (gradients/BatchMatMul_grad.ts).
 *
 * _FusedMatMul with a bias is also wrong on wasm whenever the product is batched (more than one matrix) or an
 * operand is transposed: the bias lands on the wrong elements (found by comparing against the CPU backend). Dense
 * layers (one matrix, untransposed) are not affected, but for the batched case the wrapper computes the product,
 * the bias and the activation with separate wasm kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type TensorInfo, type WasmKernelArgs, TempScope, input, runWasmKernel, transpose, withKernelFunc } from './util.js';

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

export const MATMUL_KERNELS: readonly string[] = [tf.BatchMatMul, tf._FusedMatMul];

/** The permutation that swaps the last two axes. */
function swapLast(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return perm;
}

/** Number of matrices in the product of a and b (their broadcast batch dimensions). */
function batchCount(a: TensorInfo, b: TensorInfo): number {
  const dims = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return tf.util.sizeFromShape(dims);
}

/** The activation of a fused op as separate wasm kernels, applied to `x` (freed by the caller's scope). */
function activate(scope: TempScope, args: WasmKernelArgs<MatMulAttrs>, x: TensorInfo): TensorInfo {
  const { backend, attrs, inputs } = args;
  const activation = attrs.activation ?? 'linear';
  const unary: Record<string, string> = { relu: tf.Relu, relu6: tf.Relu6, sigmoid: tf.Sigmoid, elu: tf.Elu };
  if (activation === 'linear') return x;
  if (unary[activation] !== undefined) return scope.track(runWasmKernel(unary[activation]!, { x }, {}, backend));
  if (activation === 'leakyrelu') {
    return scope.track(runWasmKernel(tf.LeakyRelu, { x }, { alpha: attrs.leakyreluAlpha ?? 0.2 }, backend));
  }
  if (activation === 'prelu') {
    return scope.track(runWasmKernel(tf.Prelu, { x, alpha: input(inputs, 'preluActivationWeights', tf._FusedMatMul) }, {}, backend));
  }
  throw new Error(`_FusedMatMul on wasm: unsupported activation '${activation}'`);
}

/** A wasm kernel config that calls `original` with untransposed operands (and unfuses batched biased products). */
export function wrapMatMul(original: tf.KernelConfig): tf.KernelConfig {
  const name = original.kernelName;
  const kernelFunc = (args: WasmKernelArgs<MatMulAttrs>): TensorInfo => {
    const { transposeA, transposeB } = args.attrs;
    const a = input(args.inputs, 'a', name);
    const b = input(args.inputs, 'b', name);
    const bias = args.inputs['bias'];
    const unfuse = name === tf._FusedMatMul && bias !== undefined && bias !== null && batchCount(a, b) > 1;
    if (!transposeA && !transposeB && !unfuse) return original.kernelFunc(args as unknown as KernelArgs) as TensorInfo;
    const scope = new TempScope(args.backend);
    try {
      const inputs = { ...args.inputs };
      if (transposeA) inputs['a'] = scope.track(transpose(args.backend, a, swapLast(a.shape.length)));
      if (transposeB) inputs['b'] = scope.track(transpose(args.backend, b, swapLast(b.shape.length)));
      const plain = { transposeA: false, transposeB: false };
      if (!unfuse) return original.kernelFunc({ ...args, inputs, attrs: { ...args.attrs, ...plain } } as unknown as KernelArgs) as TensorInfo;
      const product = scope.track(runWasmKernel(tf.BatchMatMul, { a: inputs['a']!, b: inputs['b']! }, plain, args.backend));
      const biased = scope.track(runWasmKernel(tf.Add, { a: product, b: bias }, {}, args.backend));
      return scope.keep(activate(scope, args, biased));
    } finally {
      scope.dispose();
    }
  };
  return withKernelFunc(original, kernelFunc);
}
