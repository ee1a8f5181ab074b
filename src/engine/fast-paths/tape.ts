/**
 * Tape saves without copies. When a kernel runs under a gradient tape, TF.js keeps the tensors its gradient needs
 * (`saveTensorsForBackwardMode`) as clones: one Identity kernel each (a full copy on wasm) plus a tape node linking
 * the clone to its source. A VAE step saves ~35 tensors, a DCGAN step ~70; through the whole kernel path that is
 * 0.3–0.8 ms of a 4–5 ms VAE step on the native backend.
 *
 * Installed, a save on the outermost tape (gradient depth 1) is a new tensor on the same data, its reference counted
 * as the Identity kernel would (the backend's incRef and the engine's tracking), without the kernel and the node.
 * The node only matters to a gradient of a gradient: it carries a second-order gradient from a saved tensor back to
 * its source, and only for saves made while a gradient is itself being recorded (depth ≥ 2, e.g. the critic's
 * forward inside WGAN-GP's gradient penalty); those still go through TF.js's own clone. Saves on the outermost tape
 * are read only by its own backward pass, which runs after the tape is closed and records nothing.
 *
 * It replaces a method of TF.js's engine object (not a public API): when the engine does not have the members it
 * relies on (another TF.js version), nothing is installed and `tapeSavesShared()` says so.
 */
import * as tf from '@tensorflow/tfjs-core';

type Save = (tensors: tf.Tensor[]) => tf.Tensor[];

interface EngineInternals {
  saveTensorsForBackwardMode: Save;
  state: { gradientDepth: number; tensorInfo: WeakMap<object, { backend: { incRef(dataId: object): void } }> };
  makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: tf.DataType }, backend: unknown): tf.Tensor;
  keep<T extends tf.Tensor>(t: T): T;
}

const SHARED = Symbol('genlab shared tape saves');

function internals(): EngineInternals | null {
  const e = tf.engine() as unknown as Partial<EngineInternals>;
  const ok =
    typeof e.saveTensorsForBackwardMode === 'function' &&
    typeof e.makeTensorFromTensorInfo === 'function' &&
    typeof e.keep === 'function' &&
    typeof e.state?.gradientDepth === 'number' &&
    typeof e.state.tensorInfo?.get === 'function';
  return ok ? (e as EngineInternals) : null;
}

/** Whether saves on the outermost tape share their data (installed on the engine now). */
export function tapeSavesShared(): boolean {
  const e = internals();
  return e !== null && (e.saveTensorsForBackwardMode as Save & { [SHARED]?: true })[SHARED] === true;
}

/** Installs the shared saves when they are not in place; returns whether they are. Idempotent. */
export function installSharedTapeSaves(): boolean {
  const e = internals();
  if (!e) return false;
  if (tapeSavesShared()) return true;
  const cloning = e.saveTensorsForBackwardMode;
  const shared: Save = function (this: EngineInternals, tensors) {
    if (this.state.gradientDepth !== 1) return cloning.call(this, tensors);
    return tensors.map((t) => {
      const info = this.state.tensorInfo.get(t.dataId);
      if (!info) return cloning.call(this, [t])[0]!; // not tracked by this engine: let TF.js handle (and report) it
      const saved = this.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }, info.backend);
      info.backend.incRef(t.dataId);
      return this.keep(saved);
    });
  };
  Object.defineProperty(shared, SHARED, { value: true });
  e.saveTensorsForBackwardMode = shared;
  return true;
}
