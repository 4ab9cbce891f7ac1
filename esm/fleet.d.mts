// Types for cmpflow/fleet as an ES module: the CommonJS build's declarations.
export * from '../dist/src/entries/fleet.js';
