'use strict';
/**
 * Which build of the command line a `cmpflow` process runs. `npm run build` leaves the same
 * program in dist/ twice: the modules tsc writes (dist/src/cli/main.js and ~200 files it requires)
 * and one file bundling them with their dependencies (dist/cli/cmpflow.js, scripts/bundle-cli.js),
 * with a V8 code cache made for it by the build (dist/cli/cmpflow.js.cache).
 *
 * Why two: one complete `cmpflow -cmd ir` costs about 410 ms of CPU from the modules (resolving,
 * reading and compiling some 400 of them) and about 180 ms from the bundle with its code cache
 * (docs/benchmarks.md, "Start-up"). But reading and deserialising the whole bundle costs 10 to
 * 20 ms more than `-help` and `-version` need, so those, alone on the command line, take the
 * modules, which load only what they use. Both builds run the same main(): the choice changes the
 * cost, never the behaviour (test/package/bundled-cli.test.ts).
 *
 * The bundle is used only when it is newer than dist/src/cli/main.js, so a tsc run that did not
 * rebuild the bundle (a plain `tsc -p tsconfig.build.json`) is never shadowed by an older bundle.
 * A code cache from another Node.js or V8 is rejected by V8 itself and the bundle compiles without it.
 */
const fs = require('fs');
const path = require('path');

const DIST = path.join(__dirname, '..', 'dist');
const MODULES_MAIN = path.join(DIST, 'src', 'cli', 'main.js');
const BUNDLE = path.join(DIST, 'cli', 'cmpflow.js');
const CACHE = `${BUNDLE}.cache`;
/** The bundle's name for a dynamic import function. */
const IMPORT = '__cmpflowImport';

/** Command lines the light build answers at least as fast: nothing but a help or version request. */
const LIGHT = new Set(['-help', '--help', '-h', '-version', '--version']);

/**
 * Compiles and runs the bundle as a CommonJS module of its own, with `cachedData` if given.
 * Returns its exports and the compiled script (the build asks it for a code cache).
 */
function runBundle(file, cachedData) {
  // Loaded here: -help and -version, which never run the bundle, need neither.
  const vm = require('vm');
  const Module = require('module');
  // The build makes the bundle pure ASCII: latin1 reads it as UTF-8 would, without the decoding.
  const source = fs.readFileSync(file, 'latin1');
  // A CommonJS module's wrapper, plus IMPORT: code compiled by vm.Script cannot use import() (the
  // build hands the bundle's dynamic imports this parameter instead, scripts/bundle-cli.js).
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, ${IMPORT}) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  const req = Module.createRequire(file);
  // import() here, in a module Node loaded, resolves as the modules' own import() would: from the package.
  script.runInThisContext()(mod.exports, req, mod, file, path.dirname(file), (specifier) => import(specifier));
  mod.loaded = true;
  return { exports: mod.exports, script, cacheRejected: cachedData ? script.cachedDataRejected === true : undefined };
}

function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The bundle, when there is one at least as new as the modules; undefined otherwise. */
function bundleIfCurrent() {
  const bundled = mtimeMs(BUNDLE);
  const modules = mtimeMs(MODULES_MAIN);
  if (bundled === undefined || (modules !== undefined && modules > bundled)) return undefined;
  return runBundle(BUNDLE, codeCache()).exports;
}

/**
 * The bundle's code cache, unless it is older than the bundle. V8 checks a code cache against the
 * length of the source only, so a cache from an earlier build is never handed over; the build
 * writes the bundle, then the cache.
 */
function codeCache() {
  const cached = mtimeMs(CACHE);
  const bundled = mtimeMs(BUNDLE);
  if (cached === undefined || bundled === undefined || cached < bundled) return undefined;
  try {
    return fs.readFileSync(CACHE);
  } catch {
    return undefined;
  }
}

/** The exports of src/cli/main.ts from the build that suits `argv` (the arguments after the command). */
function loadCli(argv) {
  const light = argv.length === 0 || (argv.length === 1 && LIGHT.has(argv[0]));
  if (!light && process.env.CMPFLOW_CLI_BUILD !== 'modules') {
    const bundled = bundleIfCurrent();
    if (bundled) return bundled;
  }
  // The decorators of the ASN.1 classes need reflect-metadata before any of them loads; a help or
  // version request loads none of them.
  if (!light) require('reflect-metadata');
  return require(MODULES_MAIN);
}

module.exports = { loadCli, runBundle, codeCache, BUNDLE, CACHE, IMPORT };
