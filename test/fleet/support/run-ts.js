// Runs a TypeScript fleet worker script in a fresh node process: node run-ts.js <script.ts> [args...]
require('ts-node').register({ transpileOnly: true });
require('reflect-metadata');
require(require('path').resolve(process.argv[2]));
