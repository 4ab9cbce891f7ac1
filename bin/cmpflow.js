#!/usr/bin/env node
'use strict';
// The installed `cmpflow` command: runs the CommonJS build that `npm run build` (run by `npm ci`
// through `prepare`) leaves in dist/, bundled where the build made a bundle (bin/cli-loader.js).
require('./cli-loader').loadCli(process.argv.slice(2)).runAsProcess();
