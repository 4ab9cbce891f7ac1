// Types for cmpflow/axios as an ES module: the CommonJS build's declarations.
export * from '../dist/src/entries/axios.js';
