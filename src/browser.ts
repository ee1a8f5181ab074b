/**
 * genlab's browser entry: what the lab (web/) imports. Pages import only from here, never from a model's internals.
 *
 * Everything here runs in a browser. A few modules reached from here still import Node built-ins for their file
 * I/O only — data/csv.ts (`readDelimitedFile`) with data/idx.ts, data/npy.ts (`readNpyFile`), and
 * engine/model-io.ts, through which the models' `save` / `load` go (the model classes themselves import no Node
 * module; a model at an http(s) URL is fetched, no file I/O) — and web/vite.config.ts gives exactly those importers
 * stub modules: their browser-side functions work, the file I/O functions fail if called. Any other Node import
 * fails the lab's build.
 */
export * as tf from '@tensorflow/tfjs-core';
export { initEngine, engineInfo, describeEngine, isBrowser, type EngineInfo, type EngineOptions, type BackendName } from './engine/backend.js';
export { GenlabError } from './engine/errors.js';
export { Rng } from './engine/rng.js';
export { makeDataset, batches, exampleSize, type Dataset, type Batch } from './data/dataset.js';
export { datasetFromWire, type DatasetMeta } from './data/wire.js';
export { parseDelimited, type DelimitedTable } from './data/csv.js';
export { encodeNpy, parseNpy, type NpyArray } from './data/npy.js';
export { sampleToy, toyModes, toyDims, toyClassNames, TOY_SETS, type ToyModes, type ToyName, type ToySample } from './data/toy.js';
export { loadMoons, renderMoon, moonPhaseSequence } from './data/moons.js';
export {
  GaussianMixture,
  selectComponents,
  COVARIANCE_TYPES,
  INIT_METHODS,
  type CovarianceType,
  type GaussianMixtureJSON,
  type InitMethod,
  type Matrix,
  type SelectionRow,
} from './models/gmm.js';
export { VAE, type VAEConfig } from './models/vae.js';
export { GAN, GAN_LOSSES, recommendedOptimizer, type GANConfig, type GanLoss } from './models/gan.js';
export type { DiscriminatorOutput } from './models/adversarial.js';
export { modeMetrics, type ModeMetrics } from './eval/gan-toy.js';
export { LAPGAN, type LapganConfig } from './models/lapgan.js';
export { SRGAN, type SRGANConfig } from './models/srgan.js';
export { psnrPerImage, ssimPerImage, upscalingScores } from './models/srgan-losses.js';
export { bicubicUpscale, downscaleImages } from './nets/srgan.js';
export { createOptimizer, resolveOptimizerOptions, OPTIMIZERS, type OptimizerName } from './train/optimizers.js';
export { TrainStep, NonFiniteTermError, termRecord, toTensorBatch, type StepOptions, type StepTerms, type GroupUpdate } from './train/step.js';
export type { DataInfo, LossGroup, LossTerms, TensorBatch, TrainableModel } from './models/model.js';
// The lecture's density pages: ELBO, its two terms and importance-sampled log p(x) per image; other images conformed
// to a model's shape.
export { perExampleLikelihood, scoreImages, conformImages, type PerExample, type LikelihoodOptions } from './eval/likelihood.js';
export { covarianceEllipse, type CovarianceEllipse } from './math/gaussian.js';
export { gaussianKde, kdeBandwidth, type KdeOptions } from './math/kde.js';
export { endlessBatches, type BatchOptions } from './data/dataset.js';
// Models saved in Node, opened in the browser: `loadModel(url)` reads a saved model folder served over http(s) (the
// lab's /runs/) through engine/model-io.ts, and the kinds table says what the model can do.
export { loadModel, can, capabilitiesOf, KINDS, type Capability, type GenerativeModel } from './models/kinds.js';
export { readModelFile, isConditional, MODEL_FILE, type ModelFile } from './models/model.js';
export { generatedPath, slerpCodes } from './models/latent-paths.js';
export { joinPath, isUrl } from './engine/model-io.js';
// Run folders written by `genlab train`, read by the lab's runs board.
export { parseMetricsText, metricTerms, termSeries, metricsCsv, summarizeRun, RECORD_KEYS, type ParsedMetrics, type RunSummary, type TermSeries, type RunDetail, type ExamplesAnswer } from './train/run-format.js';
export type { MetricsRecord, RunManifest, RunStatus, RunDataInfo } from './train/run-folder.js';
// The one-pixel 7: the MNIST classifier (its confidence and features) opened from the shipped weights' URL.
export { MnistClassifier, openMnistClassifier, CLASSIFIER_CLASSES, CLASSIFIER_FEATURES } from './eval/mnist-classifier-model.js';
// "Is it a Pokémon?": reference scores beside a shipped model (reference.json), percentiles and verdicts; the image
// operations that prepare an uploaded image as the Pokémon loader prepares sprites.
export {
  likelihoodOfEach,
  readReferenceScores,
  checkReferenceScores,
  percentileAmong,
  referenceVerdict,
  formatShare,
  digitsInModelShape,
  uniformNoiseImages,
  REFERENCE_FILE,
  type ReferenceScores,
  type ReferenceSet,
} from './eval/reference-scores.js';
export { rgbaToExample } from './data/image-ops.js';
// "Can you tell?": a person's two-sample test on the runs board (HYPE∞): real images and samples shuffled, scored.
export { blindLayout, scoreBlindTest, type BlindCell, type BlindScore } from './eval/blind-test.js';
