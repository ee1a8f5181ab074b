/** Random normals (../../kernels/random.ts) drawn by the addon into a pooled array, the values tf.randomNormal draws. */
import { RANDOM_NORMAL_KERNEL, type RandomNormalAttrs } from '../../kernels/random.js';
import { nativeOnlyKernel, type KernelGroup } from './define.js';
import { size } from './operands.js';

export const randomKernels: KernelGroup = (native) => [
  nativeOnlyKernel(RANDOM_NORMAL_KERNEL, ({ attrs }, backend) => {
    const { shape, mean, stdDev, state } = attrs as unknown as RandomNormalAttrs;
    const out = backend.alloc(size(shape));
    native.randomNormal(out, ...state, mean, stdDev);
    return backend.makeTensorInfo(shape, 'float32', out);
  }),
];
