/**
 * Names the native backend registers under, free of Node imports: the engine's fast paths (../fast-paths/), which the
 * browser build also loads, name them without loading the addon.
 */
export const NATIVE_BACKEND = 'native';

/** The gradient of FusedBatchNorm (NHWC, per-channel statistics and scale) in one native pass: [dx, dMean, dVariance, dScale, dOffset]. */
export const BATCH_NORM_GRAD_KERNEL = 'GenlabFusedBatchNormGrad';

/** The gradient of an activation from dy and v (x for relu and leaky relu, y for sigmoid and tanh); attr `op` as in the addon. */
export const ACTIVATION_GRAD_KERNEL = 'GenlabActivationGrad';
export const ACTIVATION_GRADS = { Relu: 0, LeakyRelu: 1, Sigmoid: 2, Tanh: 3 } as const;
