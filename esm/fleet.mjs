// cmpflow/fleet for ES modules: the CommonJS build re-exported, as esm/index.mjs does for the root entry.
export * from '../dist/src/entries/fleet.js';
