// The ESM entry point re-exports the CommonJS build instead of being a second build: an
// application that mixes `import` and `require` (or depends on a library that does) then still
// has one CmpError class for `instanceof`, one crypto provider and one PBM key cache.
export * from '../dist/src/index.js';
