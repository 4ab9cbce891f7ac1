'use strict';
/**
 * The second half of `npm run build` (after tsc): bundles the command line, dist/src/cli/main.js
 * with everything it requires, into dist/cli/cmpflow.js, and makes a V8 code cache for it,
 * dist/cli/cmpflow.js.cache, which bin/cli-loader.js hands to V8 when it runs the bundle.
 *
 * The cache is made by running the bundle through one PBM-protected IR against the embedded CA
 * on loopback, so that it holds the functions a client run compiles, not only the top level.
 * The CA runs from the unbundled modules in this process: its functions are not the bundle's and
 * stay out of the cache (a client run would only pay for deserialising them).
 *
 * Optional packages (bullmq, ioredis, pkcs11js, axios) stay outside, required at run time as
 * before. A bundled module that looks up files beside itself (__dirname) would look in dist/cli/,
 * so the build refuses any but the ones checked to work from there.
 */
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const { runBundle, BUNDLE, CACHE } = require(path.join(ROOT, 'bin', 'cli-loader.js'));

const EXTERNAL = ['bullmq', 'ioredis', 'pkcs11js', 'axios'];
/** Modules that use __dirname and work from dist/cli/: version.js looks upwards for the package.json. */
const DIRNAME_CHECKED = new Set(['dist/src/cli/version.js']);

async function bundle() {
  const esbuild = require('esbuild');
  fs.rmSync(path.dirname(BUNDLE), { recursive: true, force: true });
  const result = await esbuild.build({
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
    outfile: BUNDLE,
    external: EXTERNAL,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'eof',
  });
  const ours = Object.keys(result.metafile.inputs).filter((f) => /^dist\/.*\.js$/.test(f));
  const located = ours.filter((f) => !DIRNAME_CHECKED.has(f) && /\b__(dirname|filename)\b/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
  if (located.length > 0) {
    throw new Error(
      `bundle-cli: ${located.join(', ')} use __dirname/__filename, which is dist/cli/ in the bundle; check and list them in DIRNAME_CHECKED`,
    );
  }
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
    const argv = ['-config', '', '-cmd', 'ir', '-server', listener.url, '-ref', 'build', '-secret', `pass:${secret}`];
    const status = await cli.main([...argv, '-newkey', keyFile, '-subject', '/CN=cmpflow build', '-certout', path.join(dir, 'new.pem')], io);
    if (status !== 0) throw new Error(`bundle-cli: the bundled command failed its IR against the embedded CA (status ${status}):\n${stderr}`);
  } finally {
    await listener.close();
    await ca.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.writeFileSync(CACHE, script.createCachedData());
}

bundle()
  .then(makeCodeCache)
  .catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
