/**
 * The WebAssembly module of the GMM hot loops, assembled at load time from the kernels written in TypeScript with
 * assembler.ts (no toolchain, no binary in the repository). See arena.ts for how they are called.
 */
import { assembleModule } from './assembler.js';
import {
  addLowerProduct,
  column,
  diagAccumulate,
  diagLogDensities,
  gather,
  mahalanobis4,
  prepareDense,
  transposeBlock,
} from './em-kernels.js';
import { assign, potential } from './kmeans-kernels.js';
import { softmaxRows } from './softmax-kernel.js';

/** The module's bytes (generated once per process by arena.ts). */
export function kernelModuleBytes(): Uint8Array {
  return assembleModule([
    mahalanobis4(),
    addLowerProduct(),
    gather(),
    assign(),
    potential(),
    diagLogDensities(),
    diagAccumulate(),
    softmaxRows(),
    transposeBlock(),
    column(),
    prepareDense(),
  ]);
}
