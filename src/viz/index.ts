export * from './grid.js';
export * from './png.js';
export * from './render.js';
export * from './scatter.js';
