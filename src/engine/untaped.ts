/**
 * Work run with the active gradient tape paused: nothing `f` does is recorded, and inside it gradients start afresh at
 * depth 0 (so genlab's one-pass kernels, which step aside while a gradient of a gradient might be taken, run). For
 * work inside a gradient's function that the gradient never differentiates through — the training step's wrapped
 * updates (LossGroup.wraps): D's update inside G's loss reads G's batch, but G's gradient does not pass through D's
 * update. It sets two fields of TF.js's engine state (the tape and its depth), restored however `f` ends.
 */
import * as tf from '@tensorflow/tfjs-core';

interface TapeState {
  gradientDepth: number;
  activeTape: unknown[] | null;
}

export function untaped<T>(f: () => T): T {
  const state = tf.engine().state as unknown as TapeState;
  const { gradientDepth, activeTape } = state;
  state.gradientDepth = 0;
  state.activeTape = null;
  try {
    return f();
  } finally {
    state.gradientDepth = gradientDepth;
    state.activeTape = activeTape;
  }
}
