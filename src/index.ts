/** genlab's public API: what users and the browser lab import. */
export * from './engine/index.js';
export * from './data/dataset.js';
export { loadDataset, BUILTIN_DATASETS, describeDataset, type LoadOptions } from './data/registry.js';
export { loadMnist } from './data/mnist.js';
export { loadPokemon } from './data/pokemon.js';
export { loadMoons, renderMoon, moonPhaseSequence } from './data/moons.js';
export { loadToy, sampleToy, toyModes, TOY_SETS } from './data/toy.js';
export { loadUserData } from './data/user.js';
export * from './viz/index.js';
export * from './models/gmm.js';
export { writeMixturePlot } from './viz/gmm-plot.js';
export * from './train/index.js';
