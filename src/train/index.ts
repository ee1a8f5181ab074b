/** The training loop, its callbacks, run folders and checkpoints. */
export * from './types.js';
export { fit, resumeRun, resolveFitOptions, runSeeds, stepsPerEpoch, type ResumeOptions } from './fit.js';
export * from './step.js';
export * from './optimizers.js';
export * from './run-folder.js';
export * from './run-format.js';
export { readCheckpointState, checkState, checkpointModelDir, type CheckpointState, type TrainProgress } from './checkpoint.js';
export { acquireRunLock, runLockHolder, LOCK_FILE, type LockHolder, type RunLock } from './run-lock.js';
export * from './callbacks/progress.js';
export * from './callbacks/grids.js';
export * from './run-data.js';
export * from './open-run.js';
