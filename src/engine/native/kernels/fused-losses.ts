/**
 * The VAE's loss terms (../../kernels/fused-losses.ts, which checks the shapes and holds the gradients): one addon pass
 * each, forward and backward. Inputs by name; the last axis is the per-example one.
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  BERNOULLI_LOG_LIKELIHOOD_GRAD_KERNEL,
  BERNOULLI_LOG_LIKELIHOOD_KERNEL,
  KL_STANDARD_NORMAL_GRAD_KERNEL,
  KL_STANDARD_NORMAL_KERNEL,
  REPARAMETERIZE_GRAD_KERNEL,
  REPARAMETERIZE_KERNEL,
} from '../../kernels/fused-losses.js';
import { nativeOnlyKernel, type KernelGroup } from './define.js';
import { values } from './operands.js';

export const fusedLossKernels: KernelGroup = (native) => {
  const shapeOf = (inputs: tf.NamedTensorInfoMap, name: string): number[] => inputs[name]!.shape;
  const last = (shape: number[]): number => shape[shape.length - 1]!;
  return [
    nativeOnlyKernel(BERNOULLI_LOG_LIKELIHOOD_KERNEL, ({ inputs }, backend) => {
      const [x, logits] = values(backend, BERNOULLI_LOG_LIKELIHOOD_KERNEL, inputs, ['x', 'logits']);
      const shape = shapeOf(inputs, 'logits');
      const out = backend.alloc(logits!.length / last(shape));
      native.bernoulliLogLikelihood(x!, logits!, out, last(shape));
      return backend.makeTensorInfo(shape.slice(0, -1), 'float32', out);
    }),
    nativeOnlyKernel(BERNOULLI_LOG_LIKELIHOOD_GRAD_KERNEL, ({ inputs }, backend) => {
      const [dy, x, logits] = values(backend, BERNOULLI_LOG_LIKELIHOOD_GRAD_KERNEL, inputs, ['dy', 'x', 'logits']);
      const shape = shapeOf(inputs, 'logits');
      const out = backend.alloc(logits!.length);
      native.bernoulliLogLikelihoodGrad(dy!, x!, logits!, out, last(shape));
      return backend.makeTensorInfo(shape, 'float32', out);
    }),
    nativeOnlyKernel(KL_STANDARD_NORMAL_KERNEL, ({ inputs }, backend) => {
      const [mean, logVar] = values(backend, KL_STANDARD_NORMAL_KERNEL, inputs, ['mean', 'logVar']);
      const shape = shapeOf(inputs, 'mean');
      const out = backend.alloc(mean!.length / last(shape));
      native.klStandardNormal(mean!, logVar!, out, last(shape));
      return backend.makeTensorInfo(shape.slice(0, -1), 'float32', out);
    }),
    nativeOnlyKernel(KL_STANDARD_NORMAL_GRAD_KERNEL, ({ inputs }, backend) => {
      const [dy, mean, logVar] = values(backend, KL_STANDARD_NORMAL_GRAD_KERNEL, inputs, ['dy', 'mean', 'logVar']);
      const shape = shapeOf(inputs, 'mean');
      const outs = [backend.alloc(mean!.length), backend.alloc(mean!.length)] as const;
      native.klStandardNormalGrad(dy!, mean!, logVar!, ...outs, last(shape));
      return outs.map((o) => backend.makeTensorInfo(shape, 'float32', o));
    }),
    nativeOnlyKernel(REPARAMETERIZE_KERNEL, ({ inputs }, backend) => {
      const [mean, logVar, eps] = values(backend, REPARAMETERIZE_KERNEL, inputs, ['mean', 'logVar', 'eps']);
      const out = backend.alloc(eps!.length);
      native.reparameterize(mean!, logVar!, eps!, out);
      return backend.makeTensorInfo(shapeOf(inputs, 'eps'), 'float32', out);
    }),
    nativeOnlyKernel(REPARAMETERIZE_GRAD_KERNEL, ({ inputs }, backend) => {
      const [dz, logVar, eps] = values(backend, REPARAMETERIZE_GRAD_KERNEL, inputs, ['dz', 'logVar', 'eps']);
      const outs = [backend.alloc(logVar!.length), backend.alloc(logVar!.length)] as const;
      native.reparameterizeGrad(dz!, logVar!, eps!, ...outs);
      return outs.map((o) => backend.makeTensorInfo(shapeOf(inputs, 'logVar'), 'float32', o));
    }),
  ];
};
