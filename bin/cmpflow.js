#!/usr/bin/env node
'use strict';
// The installed `cmpflow` command: runs the CommonJS build that `npm run build` (run by `npm ci`
// through `prepare`) leaves in dist/.
require('reflect-metadata');
require('../dist/src/cli/main.js').runAsProcess();
