// Types for cmpflow/server as an ES module: the CommonJS build's declarations.
export * from '../dist/src/entries/server.js';
