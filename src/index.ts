/** genlab's public API: what users and the browser lab import. */
export * from './engine/index.js';
export * from './data/dataset.js';
export { datasetFromWire, type DatasetMeta } from './data/wire.js';
export { loadDataset, BUILTIN_DATASETS, describeDataset, qualityMeasureOf, type LoadOptions, type QualityMeasure } from './data/registry.js';
export { loadMnist } from './data/mnist.js';
export { loadPokemon } from './data/pokemon.js';
export { loadMoons, renderMoon, moonPhaseSequence } from './data/moons.js';
export { loadToy, sampleToy, toyModes, TOY_SETS } from './data/toy.js';
export { loadUserData } from './data/user.js';
export * from './viz/index.js';
export * from './models/gmm.js';
export { writeMixturePlot } from './viz/gmm-plot.js';
export * from './train/index.js';
export { ARCHS, MODEL_FILE, readModelFile, type Arch, type DataInfo, type ModelFile, type TrainableModel, type LossGroup, type LossTerms, type TensorBatch } from './models/model.js';
export * from './models/losses.js';
export * from './models/latent-config.js';
export * from './models/autoencoder.js';
export * from './models/vae.js';
export * from './models/hvae.js';
export * from './models/iaf.js';
export * from './models/vamp.js';
export * from './models/kinds.js';
export { MODEL_OPTIONS, optionFlag, type ModelOptionSpec, type ModelOptionName, type OptionValue } from './models/options.js';
export * from './eval/likelihood.js';
export * from './eval/reference-scores.js';
export { saveLayersModel, loadLayersModel } from './engine/model-io.js';
export * from './models/adversarial.js';
export * from './models/gan.js';
export * from './models/average.js';
export * from './models/vaegan.js';
export * from './models/lapgan.js';
export { laplacianPyramid, reconstructPyramid, type LaplacianPyramid } from './nets/lapgan.js';
export * from './models/gan-losses.js';
export { SRGAN, SRGAN_CONTENT_LOSSES, type SRGANConfig, type SrganContentLoss } from './models/srgan.js';
export * from './models/srgan-losses.js';
export {
  evaluateUpscaling,
  scoreUpscalingEach,
  upscaleFidOptions,
  formatUpscaleReport,
  upscaleGrid,
  upscaleImageFile,
  UPSCALE_GRID_ROWS,
  bicubicMatrix,
  bicubicUpscale,
  downscaleImages,
  keysKernel,
  type UpscaleReport,
  type UpscaleScoresEach,
  type UpscalingModel,
} from './eval/upscale-metrics.js';
export * from './eval/gan-toy.js';
export { sampleQuality, qualityMeasure, qualityPerEpoch, qualityBestBy, drawSamples, sampleLabels, sampleAtTemperature, checkTemperature, MAX_TEMPERATURE, type CheckerboardReport, type ColourReport, type DrawOptions, type SampleQuality, type SampleQualityOptions } from './eval/sample-quality.js';
export { loadMnistClassifier, trainMnistClassifier, saveMnistClassifier, measureFeatureScales, defaultClassifierDir, MnistClassifier, CLASSIFIER_FEATURES, TRAINING_FILE } from './eval/mnist-classifier.js';
export { formatImageMetrics, formatMemorisation, evaluateImageSamples, prepareImageReference, fid, kid, inceptionScore, precisionRecall, memorisationCheck } from './eval/image-metrics.js';
export { colourEntropy, COLOUR_LEVELS, WHITE_LEVEL } from './eval/colour-entropy.js';
export { checkerboardShare } from './eval/checkerboard.js';
export { classifierTwoSampleTest, type ImageSet, type TwoSampleOptions, type TwoSampleReport } from './eval/two-sample.js';
export { blindGrid, blindLayout, scoreBlindTest, type BlindCell, type BlindScore } from './eval/blind-test.js';
export * as tf from '@tensorflow/tfjs-core';
export { covarianceEllipse, type CovarianceEllipse } from './math/gaussian.js';
export { gaussianKde, kdeBandwidth, type KdeOptions } from './math/kde.js';
export { loadDataFor } from './eval/model-data.js';
export { slerpCodes, generatedPath } from './models/latent-paths.js';
export { imageFileToExample } from './data/image-example.js';
export { isConditional } from './models/model.js';
export { encodeNpy, readNpyFile } from './data/npy.js';
export { readDelimitedFile } from './data/csv.js';
