// Types for the ESM entry point: the same declarations as the CommonJS build, seen from an ES module.
export * from '../dist/src/index.js';
