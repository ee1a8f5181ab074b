/**
 * Batch normalisation: FusedBatchNorm (the inference form, which TF.js's training composite also runs with the batch's
 * moments), its one-pass gradient (GenlabFusedBatchNormGrad, used by ../gradients.ts), and the training form as one op
 * (../../kernels/batch-norm-training.ts): [y, mean, variance] from x [..., C], gamma, beta in one addon call, and its
 * gradient [dx, dGamma, dBeta] through the batch statistics in another.
 */
import { BATCH_NORM_TRAINING_GRAD_KERNEL, BATCH_NORM_TRAINING_KERNEL, type BatchNormTrainingAttrs } from '../../kernels/batch-norm-training.js';
import type { NativeAddon } from '../addon.js';
import type { NativeBackend } from '../backend.js';
import { BATCH_NORM_GRAD_KERNEL } from '../names.js';
import { nativeOnlyKernel, withCpuFallback, type Args, type Info, type KernelGroup } from './define.js';
import { f32, values } from './operands.js';

function fusedBatchNorm(native: NativeAddon, args: Args, backend: NativeBackend): Info | null {
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, Info | undefined>;
  const xv = f32(backend, x), mv = f32(backend, mean), vv = f32(backend, variance);
  const ov = offset ? f32(backend, offset) : null, sv = scale ? f32(backend, scale) : null;
  if (!x || !xv || !mv || !vv || (offset && !ov) || (scale && !sv) || mv.length === 0 || vv.length === 0) return null;
  const out = backend.alloc(xv.length);
  native.batchNorm(xv, mv, vv, ov, sv, Number((args.attrs as { varianceEpsilon?: number }).varianceEpsilon ?? 0.001), out);
  return backend.makeTensorInfo(x.shape, 'float32', out);
}

function fusedBatchNormGrad(native: NativeAddon, args: Args, backend: NativeBackend): Info[] {
  const { x, mean, variance, scale, dy } = args.inputs as Record<string, Info | undefined>;
  const [xv, mv, vv, dyv] = [x, mean, variance, dy].map((t) => f32(backend, t));
  const sv = scale ? f32(backend, scale) : null;
  if (!x || !mean || !xv || !mv || !vv || !dyv || (scale && !sv)) throw new Error(`${BATCH_NORM_GRAD_KERNEL}: expected float32 x, mean, variance, scale, dy`);
  const c = mv.length;
  const outs = [backend.alloc(xv.length), backend.alloc(c), backend.alloc(c), backend.alloc(c), backend.alloc(c)] as const;
  native.batchNormGrad(xv, mv, vv, sv, dyv, Number((args.attrs as { varianceEpsilon: number }).varianceEpsilon), ...outs);
  return outs.map((o, i) => backend.makeTensorInfo(i === 0 ? x.shape : mean.shape, 'float32', o));
}

function batchNormTraining(native: NativeAddon, { inputs, attrs }: Args, backend: NativeBackend): Info[] {
  const [x, gamma, beta] = values(backend, BATCH_NORM_TRAINING_KERNEL, inputs, ['x', 'gamma', 'beta']);
  const c = gamma!.length;
  const outs = [backend.alloc(x!.length), backend.alloc(c), backend.alloc(c)] as const;
  native.batchNormTraining(x!, gamma!, beta!, (attrs as unknown as BatchNormTrainingAttrs).varianceEpsilon, ...outs);
  return outs.map((o, i) => backend.makeTensorInfo(i === 0 ? inputs['x']!.shape : [c], 'float32', o));
}

function batchNormTrainingGrad(native: NativeAddon, { inputs, attrs }: Args, backend: NativeBackend): Info[] {
  const [dy, x, mean, variance, gamma, dMean, dVariance] = values(backend, BATCH_NORM_TRAINING_GRAD_KERNEL, inputs,
    ['dy', 'x', 'mean', 'variance', 'gamma', 'dMean', 'dVariance']);
  const c = gamma!.length;
  const outs = [backend.alloc(x!.length), backend.alloc(c), backend.alloc(c)] as const;
  native.batchNormTrainingGrad(dy!, x!, mean!, variance!, gamma!, dMean!, dVariance!, (attrs as unknown as BatchNormTrainingAttrs).varianceEpsilon, ...outs);
  return outs.map((o, i) => backend.makeTensorInfo(i === 0 ? inputs['x']!.shape : [c], 'float32', o));
}

export const batchNormKernels: KernelGroup = (native, cpu) => [
  withCpuFallback('FusedBatchNorm', cpu, (args, backend) => fusedBatchNorm(native, args, backend)),
  nativeOnlyKernel(BATCH_NORM_GRAD_KERNEL, (args, backend) => fusedBatchNormGrad(native, args, backend)),
  nativeOnlyKernel(BATCH_NORM_TRAINING_KERNEL, (args, backend) => batchNormTraining(native, args, backend)),
  nativeOnlyKernel(BATCH_NORM_TRAINING_GRAD_KERNEL, (args, backend) => batchNormTrainingGrad(native, args, backend)),
];
