'use strict';
/**
 * The second half of `npm run build` (after tsc): bundles the command line, dist/src/cli/main.js
 * with everything it requires, into dist/cli/cmpflow.js, and makes a V8 code cache for it,
 * dist/cli/cmpflow.js.cache, which bin/cli-loader.js hands to V8 when it runs the bundle. It also
 * writes the -help text, dist/cli/usage.txt, which the loader prints for -help alone.
 *
 * The cache is made by running the bundle through one PBM-protected IR against the embedded CA
 * on loopback, so that it holds the functions a client run compiles, not only the top level. If
 * that IR fails, the build goes on without a cache and says so (the bundle is then only slower).
 * The CA runs from the unbundled modules in this process: its functions are not the bundle's and
 * stay out of the cache (a client run would only pay for deserialising them).
 *
 * Optional packages (bullmq, ioredis, pkcs11js, axios) stay outside, required at run time as
 * before. A module of ours that looks up files beside itself (__dirname, __filename: the package.json
 * for -version, the worker module of the CA's worker threads) gets its own place in dist/ back, so
 * that it finds them there as the unbundled module does.
 */
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const { runBundle, BUNDLE, CACHE, USAGE, IMPORT, WRAPPER } = require(path.join(ROOT, 'bin', 'cli-loader.js'));

const EXTERNAL = ['bullmq', 'ioredis', 'pkcs11js', 'axios'];
const BUNDLE_DIR = '__cmpflowBundleDir';

/** What the dist modules write for a real dynamic import (CommonJS would turn `import()` into `require()`). */
const DYNAMIC_IMPORT = "new Function('specifier', 'return import(specifier)')";

/**
 * Two things a module of dist/ does differently inside the bundle, which V8 compiles with
 * vm.Script (bin/cli-loader.js):
 * - __dirname and __filename: each module that names them gets the values it has unbundled, found
 *   from the bundle's own directory at run time (the package may be installed anywhere);
 * - import(): code compiled by vm.Script has no module loader for import() (with a code cache not
 *   even the experimental main-context one), so the dynamic imports of dist/ (-inspect loading
 *   @statelyai/inspect) call the loader's own import(), handed in as IMPORT.
 */
const bundleFixups = {
  name: 'bundle-fixups',
  setup(build) {
    build.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, (args) => {
      let contents = fs.readFileSync(args.path, 'utf8');
      const located = /\b__(dirname|filename)\b/.test(contents);
      const imports = contents.includes(DYNAMIC_IMPORT);
      if (!located && !imports) return undefined;
      contents = contents.split(DYNAMIC_IMPORT).join(IMPORT);
      if (!located) return { contents, loader: 'js' };
      const rel = (p) => JSON.stringify(path.relative(path.dirname(BUNDLE), p).split(path.sep).join('/'));
      const prelude =
        `var __dirname = require('path').join(${BUNDLE_DIR}, ${rel(path.dirname(args.path))}), ` +
        `__filename = require('path').join(${BUNDLE_DIR}, ${rel(args.path)});`;
      // On the first line, so that the module's line numbers stay as they were.
      return { contents: `${prelude} ${contents}`, loader: 'js' };
    });
  },
};

async function bundle() {
  const esbuild = require('esbuild');
  fs.rmSync(path.dirname(BUNDLE), { recursive: true, force: true });
  await esbuild.build({
    stdin: {
      // reflect-metadata first, as bin/cmpflow.js requires it before the modules.
      contents: "require('reflect-metadata');\nmodule.exports = require('./dist/src/cli/main.js');\n",
      resolveDir: ROOT,
      sourcefile: 'cmpflow-cli-entry.js',
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    // The CommonJS files Node itself would load (require, node, default): without this esbuild adds
    // bundlers' "module" condition and takes tslib's and xstate's ES module builds, each require() of
    // which then copies the whole module object (tslib's, for 134 modules of @peculiar/*).
    conditions: [],
    mainFields: ['main'],
    outfile: BUNDLE,
    external: EXTERNAL,
    // Without comments and white space the file is a third smaller, and pure ASCII (esbuild escapes
    // everything else in strings; some comments were UTF-8), which bin/cli-loader.js reads as latin1:
    // 3 ms instead of 7.5 ms of UTF-8 decoding. Names stay, for messages that show them.
    minifyWhitespace: true,
    charset: 'ascii',
    banner: { js: `var ${BUNDLE_DIR} = __dirname;` },
    plugins: [bundleFixups],
    logLevel: 'warning',
    legalComments: 'eof',
  });
  const code = fs.readFileSync(BUNDLE, 'latin1');
  // The loader compiles the file as it reads it (see WRAPPER in bin/cli-loader.js).
  fs.writeFileSync(BUNDLE, `${WRAPPER.head}${code}${WRAPPER.tail}`, 'latin1');
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(code)) throw new Error('bundle-cli: the bundle is not pure ASCII, which the loader needs to read it as latin1');
  // An import() left in the bundle would fail at run time (see bundleFixups).
  // (An expression position: after an operator or return/await; `}import(` is a method named import.)
  const dynamicImport = /(?:[(=,:?!&|[+]|=>|\breturn|\bawait|\byield|\bvoid)\s*import\s*\(/.exec(code);
  if (dynamicImport)
    throw new Error(
      `bundle-cli: the bundle has an import() the loader cannot serve: ...${code.slice(dynamicImport.index, dynamicImport.index + 80)}`,
    );
}

/** Runs one IR through the bundle against the embedded CA, then writes the bundle's code cache. */
async function makeCodeCache() {
  const { exports: cli, script } = runBundle(BUNDLE, undefined);
  const server = require(path.join(DIST, 'src', 'entries', 'server.js'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmpflow-bundle-'));
  const ca = await server.createThrowawayCa();
  const secret = crypto.randomBytes(16).toString('hex');
  const listener = await server.listen(server.createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: 'build', secret }] }));
  try {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = path.join(dir, 'new.key');
    fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    let stderr = '';
    const io = {
      stdout: { write: () => true },
      stderr: { write: (s) => ((stderr += s), true) },
      env: {},
      cwd: dir,
    };
    const argv = ['-config', '', '-cmd', 'ir', '-server', listener.url, '-ref', 'build', '-secret', `pass:${secret}`, '-total_timeout', '60'];
    const status = await cli.main([...argv, '-newkey', keyFile, '-subject', '/CN=cmpflow build', '-certout', path.join(dir, 'new.pem')], io);
    if (status !== 0) throw new Error(`bundle-cli: the bundled command failed its IR against the embedded CA (status ${status}):\n${stderr}`);
  } finally {
    await listener.close();
    await ca.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.writeFileSync(CACHE, script.createCachedData());
}

const message = (e) => (e instanceof Error ? e.message : String(e));

/** The -help text as main() prints it, which the loader prints for -help alone without loading the command. */
function writeUsage() {
  fs.writeFileSync(USAGE, require(path.join(DIST, 'src', 'cli', 'usage.js')).usage());
}

bundle()
  .then(writeUsage)
  .then(() =>
    makeCodeCache().catch((e) => {
      // The bundle runs without its cache too, only slower to start (test/package/bundled-cli.test.ts
      // fails on a missing cache): a broken IR shows in the tests rather than stopping `npm ci`.
      fs.rmSync(CACHE, { force: true });
      process.stderr.write(`bundle-cli: warning: no code cache for the bundle: ${message(e)}\n`);
    }),
  )
  .catch((e) => {
    process.stderr.write(`${message(e)}\n`);
    process.exitCode = 1;
  })
  // Whatever the IR left open (a socket of a failed exchange) must not keep the build waiting.
  .finally(() => process.exit());
