/**
 * How a native kernel is made: a function of the addon that answers null where it does not cover the call (other
 * dtypes, shapes, layouts), and then the cpu kernel runs. Both outcomes are counted (nativeKernelCalls), so tests and
 * profiles see which ran.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import type { NativeBackend } from '../backend.js';
import { NATIVE_BACKEND } from '../names.js';

export type Info = tf.TensorInfo;
export type Args = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };
/** A native kernel's body: its outputs, or null to hand the call to the cpu kernel. */
export type NativeKernelFunc = (args: Args, backend: NativeBackend) => Info | Info[] | null;
/** The cpu backend's kernel function of a name (the fallback). */
export type CpuKernel = (name: string) => tf.KernelFunc;
/** One concern's kernels (matrix products, convolutions, …), made for the loaded addon. */
export type KernelGroup = (native: NativeAddon, cpu: CpuKernel) => tf.KernelConfig[];

const nativeCalls = new Map<string, number>();
const fallbackCalls = new Map<string, number>();

/** How often each native kernel ran natively and how often it handed its call to the cpu kernel (tests, profiling). */
export function nativeKernelCalls(reset = false): { native: Record<string, number>; fallback: Record<string, number> } {
  const r = { native: Object.fromEntries(nativeCalls), fallback: Object.fromEntries(fallbackCalls) };
  if (reset) {
    nativeCalls.clear();
    fallbackCalls.clear();
  }
  return r;
}

/** A kernel of the native backend that runs `fn`, or the cpu kernel of the same name where `fn` answers null. */
export function withCpuFallback(kernelName: string, cpu: CpuKernel, fn: NativeKernelFunc): tf.KernelConfig {
  const fallback = cpu(kernelName);
  return {
    kernelName,
    backendName: NATIVE_BACKEND,
    kernelFunc: ((args: Args) => {
      const out = fn(args, args.backend as NativeBackend);
      if (out !== null) {
        nativeCalls.set(kernelName, (nativeCalls.get(kernelName) ?? 0) + 1);
        return out;
      }
      fallbackCalls.set(kernelName, (fallbackCalls.get(kernelName) ?? 0) + 1);
      return fallback(args as never);
    }) as tf.KernelFunc,
  };
}

/** A kernel only the native backend has (no cpu kernel to fall back to): `fn` computes it; its calls are counted. */
export function nativeOnlyKernel(kernelName: string, fn: (args: Args, backend: NativeBackend) => Info | Info[]): tf.KernelConfig {
  return {
    kernelName,
    backendName: NATIVE_BACKEND,
    kernelFunc: ((args: Args) => {
      const out = fn(args, args.backend as NativeBackend);
      nativeCalls.set(kernelName, (nativeCalls.get(kernelName) ?? 0) + 1);
      return out;
    }) as tf.KernelFunc,
  };
}
