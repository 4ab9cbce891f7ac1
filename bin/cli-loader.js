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
 * modules, which load only what they use; `-help` alone (or nothing at all) prints the text the
 * build wrote, dist/cli/usage.txt, and loads no module of the command. Both builds run the same main(): the choice changes the
 * cost, never the behaviour (test/package/bundled-cli.test.ts).
 *
 * In a work tree, the bundle is used only when it is newer than dist/src/cli/main.js, so a tsc run that did not
 * rebuild the bundle (a plain `tsc -p tsconfig.build.json`) is never shadowed by an older bundle.
 * A code cache from another Node.js or V8 is rejected by V8 itself and the bundle compiles without it.
 *
 * The npm package ships the bundle but not the build's code cache (it fits only the Node.js that
 * made it): an installed cmpflow makes its own on first use, in the user's cache folder
 * (userCodeCache below). A build-time cache beside the bundle, in a work tree, is used first.
 */
const fs = require('fs');
const path = require('path');

const DIST = path.join(__dirname, '..', 'dist');
const MODULES_MAIN = path.join(DIST, 'src', 'cli', 'main.js');
const BUNDLE = path.join(DIST, 'cli', 'cmpflow.js');
const CACHE = `${BUNDLE}.cache`;
/** The -help text, written by the build beside the bundle (scripts/bundle-cli.js). */
const USAGE = path.join(DIST, 'cli', 'usage.txt');
/** The bundle's name for a dynamic import function. */
const IMPORT = '__cmpflowImport';

/** Command lines the light build answers at least as fast: nothing but a help or version request. */
const LIGHT = new Set(['-help', '--help', '-h', '-version', '--version']);
/** Of those, the ones whose whole output is the -help text (an empty command line too, with status 1). */
const HELP = new Set(['-help', '--help']);

/**
 * V8's flags for a `-repeat` run and for a single client transaction. Tiering: a larger budget of
 * bytecode a function runs before it is optimised than V8's default (67,584), by how many
 * transactions the run will make. With the default, TurboFan spent 40 % of a `-repeat 300` GENM's
 * instructions compiling functions that had only just become hot; four times the default cut that
 * to a fifth and the command's CPU by 18 % (docs/benchmarks.md, seventh session); a single IR 1.8 %
 * fewer instructions (tenth session). Sixteen times is cheaper still for a run of up to a few
 * hundred transactions, which ends before most of what it would compile pays back (`-repeat 300`:
 * IR -5 %, GENM -3 %), and dearer for a long one, which then runs longer in the slower tiers (IR
 * `-repeat 1000` even, `-repeat 2000` +6 to +12 %): so sixteen times up to LONG_RUN transactions,
 * four times beyond (sixteenth session). The young generation: kept at
 * the size it has when the run starts. Left to grow, V8 took it from 1 to 16 MB a semi-space
 * within a GENM `-repeat 300`, and the run faulted twice the pages in: kept, a transaction has
 * half the minor page faults (an IR 45 -> 21, a GENM 22 -> 8, about 29 us each in a VM) and
 * 7 % less CPU (ninth session); a single IR, whose semi-spaces grew from 1 to 4 MB, about 460 of
 * its 6,250 faults fewer (tenth session).
 * Only once the bundle is compiled: a changed flag makes V8 refuse code caches made without it
 * (the bundle's, and Node's own for its modules loaded later, hence TRANSACTION_BUILTINS first).
 * A single transaction is -cmd without -repeat or -port on the command line: not a server, which
 * runs on and needs a young generation that grows with its load (ninth session, the embedded CA),
 * and not a run that writes the per-user code cache (one made under a changed flag would be
 * refused by the next run). A server whose port comes from a config file and that has -cmd on its
 * command line as well would get them: 1 MB semi-spaces (more scavenges, no other effect).
 * Inlining: TurboFan inlines at most 460 bytes of bytecode into one function (V8's default 920).
 * A short run optimises few functions and runs them briefly, so what it saves is compile work on
 * V8's other threads: a `-repeat 300` IR 9.1 % fewer instructions in all, the compiler threads
 * 29 to 39 % fewer, and 2 % less CPU in 11 of 16 alternating rounds at load 1 to 1.6 (tenth session).
 */
/** Transactions above which a run keeps V8's code tiering at four times its default budget. */
const LONG_RUN = 500;
const SHORT_RUN_BUDGET = 16 * 67584;
const LONG_RUN_BUDGET = 4 * 67584;

/** The tiering flags for a run of `transactions` client transactions. */
function tieringFlags(transactions) {
  const budget = transactions > LONG_RUN ? LONG_RUN_BUDGET : SHORT_RUN_BUDGET;
  return `--interrupt-budget=${budget} --semi-space-growth-factor=1 --max-inlined-bytecode-size-cumulative=460`;
}
/** A single transaction's. */
const TIERING_FLAGS = tieringFlags(1);
let flagsSet = false;
/** True once bundleIfCurrent has planned a per-user code cache for the end of the run. */
let cacheWritePlanned = false;

/**
 * The built-in modules a transaction over HTTP loads, which the bundle requires only when it first
 * needs them: loaded before a flag is set, so that each is compiled from Node's own code cache
 * (refused once a flag has changed). 65 M fewer instructions for a `-repeat 2` IR, 6 %
 * (docs/benchmarks.md, eighth session). node:crypto's webcrypto too, which @peculiar/x509 reads
 * (globalThis.crypto) as it loads.
 */
const TRANSACTION_BUILTINS = ['stream', 'net', 'fs/promises', 'crypto', 'perf_hooks'];
/** Plain HTTP goes over node:net (src/transport/plain-http-exchange.ts); TLS over these. */
const TLS_BUILTINS = ['http', 'https', 'tls'];

/** Whether the command line asks for TLS: -tls_used, or a -server URL that says https. */
function usesTls(argv) {
  for (let i = 0; i < argv.length; i++) {
    if (/^--?tls_used$/.test(argv[i])) return true;
    const m = /^--?server(?:=(.*))?$/.exec(argv[i]);
    if (m && /^https:/i.test(m[1] ?? argv[i + 1] ?? '')) return true;
  }
  return false;
}

function loadTransactionBuiltins(argv) {
  for (const name of TRANSACTION_BUILTINS) require(name);
  if (usesTls(argv)) for (const name of TLS_BUILTINS) require(name);
  void require('crypto').webcrypto;
}

/** -cmd on the command line without -port, and not a fleet or dump command: a client transaction. */
function clientTransaction(argv) {
  if (argv[0] === 'fleet' || argv[0] === 'dump' || argv[0] === '-dump' || argv[0] === '--dump') return false;
  return argv.some((a) => /^--?cmd(?:=|$)/.test(a)) && !argv.some((a) => /^--?port(?:=|$)/.test(a));
}

/** N of -repeat N (or -repeat=N) on the command line when it is a number above 1, else 0. */
function repeatCount(argv) {
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?repeat(?:=(.*))?$/.exec(argv[i]);
    if (m) {
      const n = Number(m[1] ?? argv[i + 1]);
      return n > 1 ? n : 0;
    }
  }
  return 0;
}

/**
 * What the bundle's code runs in: a CommonJS module's wrapper, plus IMPORT (code compiled by
 * vm.Script cannot use import(); the build hands the bundle's dynamic imports this parameter
 * instead, scripts/bundle-cli.js). The build writes it into the file, around the bundle, so that
 * V8 compiles the string as read: a wrapper added here made a second 1.8 MB string, which V8 then
 * copied flat again before looking the script up (434 page faults a run, docs/benchmarks.md, tenth session).
 */
const WRAPPER = { head: `(function (exports, require, module, __filename, __dirname, ${IMPORT}) {`, tail: '\n})' };

/**
 * Compiles and runs the bundle as a CommonJS module of its own, with `cachedData` if given.
 * Returns its exports and the compiled script (the build asks it for a code cache).
 */
function runBundle(file, cachedData, source = readBundle(file)) {
  // A bundle from before the build wrote the wrapper (a work tree's dist/ not rebuilt yet) still runs.
  if (!source.startsWith(WRAPPER.head)) source = `${WRAPPER.head}${source}${WRAPPER.tail}`;
  // Loaded here: -help and -version, which never run the bundle, need neither.
  const vm = require('vm');
  const Module = require('module');
  const script = new vm.Script(source, {
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

/** The build makes the bundle pure ASCII: latin1 reads it as UTF-8 would, without the decoding. */
function readBundle(file) {
  return fs.readFileSync(file, 'latin1');
}

/**
 * A file's bytes, read into `into` when it is large enough (a fresh buffer otherwise). The bundle
 * and its code cache share one buffer: once the bundle's bytes are a string, the cache is read
 * over them, and V8 has deserialised it before anything else runs. A buffer of its own cost the
 * cache 1.65 MB of freshly touched memory, about 400 page faults a run.
 */
function readFileInto(file, into) {
  const fd = fs.openSync(file, fs.constants.O_RDONLY);
  try {
    return readOpenFile(fd, into);
  } finally {
    fs.closeSync(fd);
  }
}

function readOpenFile(fd, into, size = fs.fstatSync(fd).size) {
  const buffer = into && into.length >= size ? into : Buffer.allocUnsafeSlow(size);
  let read = 0;
  for (let n; read < size && (n = fs.readSync(fd, buffer, read, size - read, read)) > 0;) read += n;
  return buffer.subarray(0, read);
}

function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * True for a file the build writes after tsc (the bundle, the help text) that is there and not
 * older than the modules. Only a work tree can have modules newer than it: npm gives an installed
 * package's files the times it unpacked them at, in no particular order, and ships no
 * tsconfig.build.json.
 */
function builtAfterModules(file) {
  const built = mtimeMs(file);
  if (built === undefined) return false;
  const modules = mtimeMs(MODULES_MAIN);
  return modules === undefined || modules <= built || !fs.existsSync(path.join(__dirname, '..', 'tsconfig.build.json'));
}

/**
 * Writes to standard output straight to its file descriptor: creating process.stdout for a pipe
 * loads node:net and the stream modules, 160 page faults, more than the rest of a -help run above
 * Node's start. What the descriptor does not take at once (a full non-blocking pipe) or refuses
 * goes through process.stdout, as it always did.
 */
function writeOut(text) {
  const bytes = Buffer.from(text);
  let written = 0;
  try {
    while (written < bytes.length) written += fs.writeSync(1, bytes, written);
  } catch {
    process.stdout.write(bytes.subarray(written));
  }
}

/**
 * -help alone (or nothing at all): the text the build wrote, printed as main() prints it, without
 * loading a module of the command. Loading the dozen modules that print it cost 20 ms of CPU and
 * 400 page faults above Node's own start (docs/benchmarks.md, tenth session). Undefined when the
 * text is missing or older than the modules.
 */
function helpText(argv) {
  if (!(argv.length === 0 || (argv.length === 1 && HELP.has(argv[0]))) || !builtAfterModules(USAGE)) return undefined;
  try {
    const text = fs.readFileSync(USAGE, 'utf8');
    return {
      runAsProcess() {
        writeOut(text);
        // As main(): an empty command line prints the help and fails, as openssl does.
        process.exitCode = argv.length === 0 ? 1 : 0;
      },
    };
  } catch {
    return undefined;
  }
}

/** The bundle, when there is one at least as new as the modules; undefined otherwise. */
function bundleIfCurrent() {
  if (!builtAfterModules(BUNDLE)) return undefined;
  let bytes = readFileInto(BUNDLE);
  const source = bytes.toString('latin1');
  if (codeCacheIsCurrent()) {
    const built = readCache(() => readFileInto(CACHE, bytes));
    if (built) return runBundle(BUNDLE, built, source).exports;
    bytes = undefined; // partly overwritten by the failed read
  }
  // The bytes are hashed as they are: hashing the latin1 string would encode all 1.7 MB back to
  // bytes first, 1.5 to 3 ms more on every run of an installed command.
  const userCache = userCodeCache(bytes ?? source, bytes);
  const run = runBundle(BUNDLE, userCache.data, source);
  // Made after the command ran, so that it holds the functions the run compiled, not only the top level.
  if (userCache.file && (userCache.data === undefined || run.cacheRejected)) {
    // Only a run that succeeded: a failed one may have stopped before compiling what a command needs.
    // Not after a -repeat run: a cache made under its flags would be refused by the next run.
    cacheWritePlanned = true;
    process.once('exit', (code) => code === 0 && !flagsSet && userCache.write(run.script));
  }
  return run.exports;
}

/**
 * V8 checks a code cache against the length of the source only, so a cache from an earlier build
 * is never handed over: the build writes the bundle, then the cache, and a cache older than the
 * bundle is not read.
 */
function codeCacheIsCurrent() {
  const cached = mtimeMs(CACHE);
  const bundled = mtimeMs(BUNDLE);
  return cached !== undefined && bundled !== undefined && cached >= bundled;
}

function readCache(read) {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The bundle's code cache, unless it is older than the bundle (see codeCacheIsCurrent). */
function codeCache() {
  return codeCacheIsCurrent() ? readCache(() => fs.readFileSync(CACHE)) : undefined;
}

/**
 * The code cache an installed package makes for itself: the package ships the bundle but no cache,
 * since a cache fits only the Node.js, V8 flags and architecture that made it. A code cache is
 * code V8 runs, so it lives only in a folder of the user's own ($XDG_CACHE_HOME/cmpflow or
 * ~/.cache/cmpflow, 0700), is read only from a regular file the user owns that no one else may
 * write, and is named after everything it depends on (cmpflow's version, Node's, the architecture,
 * a hash of the bundle). Any failure means running without a cache, silently: it costs time only.
 * CMPFLOW_NO_CODE_CACHE=1 turns it off. `source` is the bundle, as bytes or as its latin1 string
 * (the same hash either way); the cache is read into `into` when given (see readFileInto).
 * Returns { data, file, write(script) }.
 */
function userCodeCache(source, into) {
  const none = { data: undefined, file: undefined, write() {} };
  if (process.env.CMPFLOW_NO_CODE_CACHE === '1' || typeof process.getuid !== 'function') return none;
  try {
    const os = require('os');
    const base =
      process.env.XDG_CACHE_HOME && path.isAbsolute(process.env.XDG_CACHE_HOME) ? process.env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
    const dir = path.join(base, 'cmpflow');
    const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    const hash = require('crypto').createHash('sha256').update(source, 'latin1').digest('hex').slice(0, 16);
    const file = path.join(dir, `cli-${version}-node${process.version}-${process.arch}-${hash}.cache`);
    return { data: readOwnFile(dir, file, into), file, write: (script) => writeOwnFile(dir, file, script) };
  } catch {
    return none;
  }
}

/** True for a file or folder of this user's that no other user may write. */
function ownedAndPrivate(stat) {
  return stat.uid === process.getuid() && (stat.mode & 0o022) === 0;
}

/** The file's bytes when it and its folder are the user's own and private to write; undefined otherwise. */
function readOwnFile(dir, file, into) {
  try {
    const folder = fs.lstatSync(dir);
    if (!folder.isDirectory() || !ownedAndPrivate(folder)) return undefined;
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile() || !ownedAndPrivate(stat)) return undefined;
      return readOpenFile(fd, into, stat.size);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Writes the script's code cache, 0600, through a private temporary file renamed into place. */
function writeOwnFile(dir, file, script) {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const folder = fs.lstatSync(dir);
    if (!folder.isDirectory() || !ownedAndPrivate(folder)) return;
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600, flag: 'wx' });
    fs.renameSync(temp, file);
  } catch {
    // No cache this time: the next run tries again.
  }
}

/** The exports of src/cli/main.ts from the build that suits `argv` (the arguments after the command). */
function loadCli(argv) {
  const light = argv.length === 0 || (argv.length === 1 && LIGHT.has(argv[0]));
  const built = process.env.CMPFLOW_CLI_BUILD !== 'modules';
  const help = light && built ? helpText(argv) : undefined;
  if (help) return help;
  if (!light && built) {
    const bundled = bundleIfCurrent();
    if (bundled) {
      const repeat = repeatCount(argv);
      const tune = repeat > 1 || (clientTransaction(argv) && !cacheWritePlanned);
      if (tune) {
        loadTransactionBuiltins(argv);
        require('v8').setFlagsFromString(tieringFlags(Math.max(repeat, 1)));
        flagsSet = true;
      }
      return bundled;
    }
  }
  // The decorators of the ASN.1 classes need reflect-metadata before any of them loads; a help or
  // version request loads none of them.
  if (!light) require('reflect-metadata');
  return require(MODULES_MAIN);
}

module.exports = {
  loadCli,
  runBundle,
  codeCache,
  userCodeCache,
  BUNDLE,
  CACHE,
  USAGE,
  IMPORT,
  WRAPPER,
  TRANSACTION_BUILTINS,
  TLS_BUILTINS,
  usesTls,
  TIERING_FLAGS,
  tieringFlags,
};
