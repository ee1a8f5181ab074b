/**
 * The fused Adam update (../../kernels/adam-update.ts): every variable of an optimiser step in one kernel, one addon
 * pass per variable instead of ~20 element-wise kernels. x', m' and v' are written over x, m and v where the backend
 * says no one else holds them (`exclusive`: from the second step on, Adam's state and the variables are arrays of this
 * backend's pool that only the variables hold), else into fresh arrays.
 */
import { ADAM_UPDATE_KERNEL, type AdamUpdateAttrs } from '../../kernels/adam-update.js';
import { nativeOnlyKernel, type Info, type KernelGroup } from './define.js';
import { values } from './operands.js';

export const adamKernels: KernelGroup = (native) => [
  nativeOnlyKernel(ADAM_UPDATE_KERNEL, ({ inputs, attrs }, backend) => {
    const a = attrs as unknown as AdamUpdateAttrs;
    const outs: Info[] = [];
    for (let i = 0; inputs[`x${i}`] !== undefined; i++) {
      const names = ['x', 'm', 'v', 'g'].map((k) => `${k}${i}`);
      const [xv, mv, vv, gv] = values(backend, ADAM_UPDATE_KERNEL, inputs, names);
      const n = xv!.length;
      if (mv!.length !== n || vv!.length !== n || gv!.length !== n) throw new Error(`${ADAM_UPDATE_KERNEL}: x, m, v, g of variable ${i} differ in size`);
      const out = names.slice(0, 3).map((name) => backend.exclusive(inputs[name]!) ?? backend.alloc(n)) as [Float32Array, Float32Array, Float32Array];
      native.adam(xv!, mv!, vv!, gv!, ...out, a.learningRate, 1 - a.beta1, 1 - a.beta2, a.beta1, a.beta2, a.epsilon, a.oneMinusAccBeta1, a.oneMinusAccBeta2, a.weightDecays?.[i] ?? 0);
      for (const o of out) outs.push(backend.makeTensorInfo(inputs[names[0]!]!.shape, 'float32', o));
    }
    return outs;
  }),
];
