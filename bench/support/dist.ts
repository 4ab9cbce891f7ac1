/**
 * The benchmarks measure the compiled library (dist/), as users run it, not ts-node's on-the-fly
 * compilation of src/. Types come from src/, which dist/ is built from.
 */
import { existsSync } from 'fs';
import * as path from 'path';

/**
 * The repository: the nearest directory above this module holding package.json and bench/. This
 * module runs from bench/support/ under ts-node and from .tmp/bench-js/bench/support/ compiled.
 */
function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'bench'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no repository above ${__dirname}`);
  }
}

export const ROOT = findRoot();
/** CMPFLOW_BENCH_DIST measures another build (say, one kept from before a change) with the same programs. */
export const DIST = process.env.CMPFLOW_BENCH_DIST ? path.resolve(process.env.CMPFLOW_BENCH_DIST) : path.join(ROOT, 'dist');
export const CLI = path.join(ROOT, 'bin', 'cmpflow.js');

export function requireDist<T>(modulePath: string): T {
  const file = path.join(DIST, modulePath);
  if (!existsSync(`${file}.js`) && !existsSync(path.join(file, 'index.js'))) {
    throw new Error(`${file} is not built: run \`npm run build\` first`);
  }
  return require(file) as T;
}
