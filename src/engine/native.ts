/**
 * The `native` TF.js backend for Node (the parts are in ./native/): TF.js's cpu backend with the kernels that dominate
 * training replaced by genlab's Node addon on oneDNN.
 * - ./native/addon.ts: loading the addon (native/, built by `npm install` when oneDNN is present) and its build status;
 * - ./native/backend.ts: the backend (the cpu backend with pooled outputs) and its registration with its kernels;
 * - ./native/kernels/: the kernels by concern (matrix products, convolutions, element-wise, reductions, copies, batch
 *   normalisation, Adam, the VAE's losses), each falling back to the cpu kernel outside what it covers;
 * - ./native/gradients.ts: TF.js gradients done in fewer kernels on native, installed by ./fast-paths/ (initEngine).
 * Loaded by ./backend.ts only when the native backend is tried (the browser build never loads it).
 */
export { loadNativeAddon, nativeBuildStatus, type NativeAddon, type NativeBuildStatus } from './native/addon.js';
export { NativeBackend, nativeBackendRegistered, nativeKernels, registerNativeBackend } from './native/backend.js';
export { nativeKernelCalls } from './native/kernels/index.js';
export { NATIVE_BACKEND } from './native/names.js';
