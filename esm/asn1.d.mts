// Types for cmpflow/asn1 as an ES module: the CommonJS build's declarations.
export * from '../dist/src/entries/asn1.js';
