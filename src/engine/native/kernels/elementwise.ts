/**
 * Element-wise kernels on float32 in the addon's vectorised loops: binary ops with any broadcasting, comparisons (bool
 * outputs), Select, unary ops and activations, and the one-pass activation gradient (GenlabActivationGrad, used by
 * ../gradients.ts).
 */
import type { NativeAddon } from '../addon.js';
import type { NativeBackend } from '../backend.js';
import { ACTIVATION_GRAD_KERNEL } from '../names.js';
import { nativeOnlyKernel, withCpuFallback, type Args, type Info, type KernelGroup } from './define.js';
import { binaryOperands, f32 } from './operands.js';

/** TF.js kernel → the addon's op code (native/src/elementwise.cc's enums). */
const BINARY: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6 };
const COMPARE: Record<string, number> = { Greater: 8, GreaterEqual: 9, Less: 10, LessEqual: 11, Equal: 12, NotEqual: 13 };
export const UNARY: Record<string, number> = {
  Relu: 0, Sigmoid: 1, Exp: 2, Log: 3, Sqrt: 4, Square: 5, Neg: 6, Abs: 7, Tanh: 8, Rsqrt: 10, Reciprocal: 11, Log1p: 12, Step: 13,
  LeakyRelu: 14,
};

function binary(native: NativeAddon, op: number, args: Args, backend: NativeBackend): Info | null {
  const ops = binaryOperands(args, backend);
  if (!ops) return null;
  const { av, bv, shape, n } = ops;
  const out = backend.alloc(n);
  if (n === 0) return backend.makeTensorInfo(shape, 'float32', out);
  if (ops.flat) native.binary(op, av, bv, out);
  else native.binaryBroadcast(op, av, bv, out, ops.dims());
  return backend.makeTensorInfo(shape, 'float32', out);
}

function compare(native: NativeAddon, op: number, args: Args, backend: NativeBackend): Info | null {
  const ops = binaryOperands(args, backend);
  if (!ops) return null;
  const out = backend.allocBytes(ops.n);
  if (ops.n > 0) native.compare(op, ops.av, ops.bv, out, ops.flat ? null : ops.dims());
  return backend.makeTensorInfo(ops.shape, 'bool', out);
}

function select(native: NativeAddon, args: Args, backend: NativeBackend): Info | null {
  const { condition, t, e } = args.inputs as Record<string, Info | undefined>;
  const tv = f32(backend, t), ev = f32(backend, e);
  if (!condition || !t || !tv || !ev || condition.dtype !== 'bool') return null;
  const cv = backend.data.get(condition.dataId)?.values;
  if (!(cv instanceof Uint8Array) || cv.length !== tv.length || ev.length !== tv.length) return null;
  const out = backend.alloc(tv.length);
  native.select(cv, tv, ev, out);
  return backend.makeTensorInfo(t.shape, 'float32', out);
}

function unary(native: NativeAddon, op: number, args: Args, backend: NativeBackend): Info | null {
  const { x } = args.inputs as Record<string, Info | undefined>;
  const xv = f32(backend, x);
  if (!x || !xv) return null;
  const out = backend.alloc(xv.length);
  native.unary(op, xv, out, Number((args.attrs as { alpha?: number } | undefined)?.alpha ?? 0));
  return backend.makeTensorInfo(x.shape, 'float32', out);
}

function activationGrad(native: NativeAddon, args: Args, backend: NativeBackend): Info[] {
  const { dy, v } = args.inputs as Record<string, Info | undefined>;
  const dyv = f32(backend, dy), vv = f32(backend, v);
  if (!dy || !dyv || !vv) throw new Error(`${ACTIVATION_GRAD_KERNEL}: expected float32 dy and v`);
  const { op, alpha } = args.attrs as { op: number; alpha: number };
  const out = backend.alloc(dyv.length);
  native.activationGrad(op, dyv, vv, out, alpha);
  return [backend.makeTensorInfo(dy.shape, 'float32', out)];
}

export const binaryKernels: KernelGroup = (native, cpu) =>
  Object.entries(BINARY).map(([name, op]) => withCpuFallback(name, cpu, (args, backend) => binary(native, op, args, backend)));

export const comparisonKernels: KernelGroup = (native, cpu) => [
  ...Object.entries(COMPARE).map(([name, op]) => withCpuFallback(name, cpu, (args, backend) => compare(native, op, args, backend))),
  withCpuFallback('Select', cpu, (args, backend) => select(native, args, backend)),
];

export const unaryKernels: KernelGroup = (native, cpu) =>
  Object.entries(UNARY).map(([name, op]) => withCpuFallback(name, cpu, (args, backend) => unary(native, op, args, backend)));

export const activationGradKernels: KernelGroup = (native) => [
  nativeOnlyKernel(ACTIVATION_GRAD_KERNEL, (args, backend) => activationGrad(native, args, backend)),
];
