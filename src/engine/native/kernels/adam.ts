/** The fused Adam update (../../kernels/adam-update.ts): one pass of the addon instead of ~20 element-wise kernels per variable. */
import { ADAM_UPDATE_KERNEL, type AdamUpdateAttrs } from '../../kernels/adam-update.js';
import { nativeOnlyKernel, type Info, type KernelGroup } from './define.js';
import { f32 } from './operands.js';

export const adamKernels: KernelGroup = (native) => [
  nativeOnlyKernel(ADAM_UPDATE_KERNEL, (args, backend) => {
    const { x, m, v, g } = args.inputs as Record<string, Info | undefined>;
    const [xv, mv, vv, gv] = [x, m, v, g].map((t) => f32(backend, t));
    if (!x || !xv || !mv || !vv || !gv) throw new Error(`${ADAM_UPDATE_KERNEL}: expected float32 x, m, v, g`);
    const a = args.attrs as unknown as AdamUpdateAttrs;
    const out = [backend.alloc(xv.length), backend.alloc(xv.length), backend.alloc(xv.length)] as const;
    native.adam(xv, mv, vv, gv, ...out, a.learningRate, 1 - a.beta1, 1 - a.beta2, a.beta1, a.beta2, a.epsilon, a.oneMinusAccBeta1, a.oneMinusAccBeta2);
    return out.map((o) => backend.makeTensorInfo(x.shape, 'float32', o));
  }),
];
