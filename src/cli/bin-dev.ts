/**
 * `cmpflow` straight from the TypeScript sources, for tests and development:
 * `node -r ts-node/register/transpile-only src/cli/bin-dev.ts <options>`. The installed command
 * is bin/cmpflow.js, which runs the compiled build.
 */
import 'reflect-metadata';
import { runAsProcess } from './main';

runAsProcess();
