// Types for cmpflow/machines as an ES module: the CommonJS build's declarations.
export * from '../dist/src/entries/machines.js';
