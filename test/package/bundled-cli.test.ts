/**
 * The command line's second build: `npm run build` bundles it into dist/cli/cmpflow.js with a V8
 * code cache (scripts/bundle-cli.js), and bin/cmpflow.js runs that bundle for commands that work
 * (bin/cli-loader.js). The bundle must be the same program as the modules tsc writes: same output,
 * same files, same exit status, only a faster start. Built as `npm pack` builds it (packed.ts), so
 * that what is tested is a fresh build of the sources, not whatever dist/ this work tree holds.
 */
import { execFile, spawn } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { createCmpServer, createThrowawayCa, listen, type Listener, type ThrowawayCa } from '../../src/server';
import { npmIsInstalled, packRepository, type Packed } from './packed';

const run = promisify(execFile);
const withNpm = npmIsInstalled ? it : it.skip;

let packed: Packed | undefined;
let ca: ThrowawayCa;
let listener: Listener;
let work: string;
const SECRET = 'bundled-cli secret';

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'cmpflow-bundled-'));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(path.join(work, 'new.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  ca = await createThrowawayCa();
  listener = await listen(createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: 'bundled', secret: SECRET }] }));
  if (npmIsInstalled) packed = await packRepository({ dryRun: true });
}, 300_000);

afterAll(async () => {
  await listener?.close();
  await ca?.cleanup();
  packed?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

const stage = (...parts: string[]) => path.join(packed!.folder, ...parts);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the staged bin/cmpflow.js; `modules` forces the unbundled build (CMPFLOW_CLI_BUILD=modules). */
async function cmpflow(argv: string[], build: 'bundle' | 'modules', extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  // XDG_CACHE_HOME: a run without the build's code cache makes one of its own, in the test's folder, not the user's.
  const env = {
    ...process.env,
    XDG_CACHE_HOME: work,
    ...extraEnv,
    BUNDLED_CLI_SECRET: SECRET,
    ...(build === 'modules' ? { CMPFLOW_CLI_BUILD: 'modules' } : {}),
  };
  try {
    const { stdout, stderr } = await run(process.execPath, [stage('bin', 'cmpflow.js'), ...argv], { cwd: work, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const { code, stdout, stderr } = e as { code?: number; stdout?: string; stderr?: string };
    return { code: code ?? -1, stdout: stdout ?? '', stderr: stderr ?? '' };
  }
}

/** Asks the staged loader, in a process of its own, which build it would run for `argv` (the help text: neither). */
async function buildChosenFor(argv: string[]): Promise<'bundle' | 'modules' | 'help text'> {
  const script = `
    const loader = require(${JSON.stringify(stage('bin', 'cli-loader.js'))});
    const cli = loader.loadCli(${JSON.stringify(argv)});
    const modules = cli === require(${JSON.stringify(stage('dist', 'src', 'cli', 'main.js'))});
    process.stdout.write(modules ? 'modules' : typeof cli.main === 'function' ? 'bundle' : 'help text');`;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: work });
  return stdout as 'bundle' | 'modules' | 'help text';
}

const irArgs = (certOut: string) => [
  '-config',
  '',
  '-cmd',
  'ir',
  '-server',
  listener.url,
  '-ref',
  'bundled',
  '-secret',
  'env:BUNDLED_CLI_SECRET',
  '-newkey',
  'new.key',
  '-subject',
  '/CN=bundled cli',
  '-certout',
  certOut,
];

withNpm('npm run build leaves the bundle and its code cache beside the modules, and this Node accepts the cache', async () => {
  expect(existsSync(stage('dist', 'cli', 'cmpflow.js'))).toBe(true);
  expect(statSync(stage('dist', 'cli', 'cmpflow.js.cache')).size).toBeGreaterThan(100_000);
  const script = `
    const fs = require('fs');
    const loader = require(${JSON.stringify(stage('bin', 'cli-loader.js'))});
    process.stdout.write(String(loader.runBundle(loader.BUNDLE, fs.readFileSync(loader.CACHE)).cacheRejected));`;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: work });
  expect(stdout).toBe('false');
});

withNpm('an IR through the bundle enrolls and prints exactly what the modules print', async () => {
  const bundled = await cmpflow(irArgs('bundled.pem'), 'bundle');
  const modules = await cmpflow(irArgs('modules.pem'), 'modules');
  expect(bundled.code).toBe(0);
  expect(bundled.stderr.replace('bundled.pem', 'X')).toBe(modules.stderr.replace('modules.pem', 'X'));
  expect(bundled.stderr).toContain(`received 1 enrolled certificate(s), saving to file '${path.join(work, 'bundled.pem')}'`);
  expect(readFileSync(path.join(work, 'bundled.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
});

withNpm('-inspect loads @statelyai/inspect (an ES module, by import()) from the bundle as from the modules', async () => {
  // Nothing listens there: both say so the same way, which they can only after importing the package.
  const args = [...irArgs('inspected.pem'), '-inspect'];
  const env = { CMPFLOW_INSPECT_URL: 'ws://127.0.0.1:1' };
  const bundled = await cmpflow(args, 'bundle', env);
  const modules = await cmpflow(args, 'modules', env);
  expect(bundled).toEqual(modules);
  expect(bundled.stderr).toContain('CMP warning: -inspect: no Stately inspector at ws://127.0.0.1:1 (ECONNREFUSED)');
});

withNpm('cmpflow -port -srv_workers 2 from the bundle starts its worker threads (a module that finds a file beside itself) and enrolls', async () => {
  const server = spawn(
    process.execPath,
    [stage('bin', 'cmpflow.js'), '-config', '', '-port', '0', '-srv_workers', '2', '-srv_ref', 'bundled', '-srv_secret', 'env:BUNDLED_CLI_SECRET'],
    { cwd: work, env: { ...process.env, XDG_CACHE_HOME: work, BUNDLED_CLI_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ACCEPT line within 30 s:\n${output}`)), 30_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const accept = /^ACCEPT [\d.]+:(\d+) /m.exec(output);
        if (accept) {
          clearTimeout(timer);
          resolve(accept[1]!);
        }
      };
      server.stdout.on('data', onData);
      server.stderr.on('data', onData);
      server.once('exit', (code) => reject(new Error(`the server exited (${code}):\n${output}`)));
    });
    const args = irArgs('clustered.pem').map((a) => (a === listener.url ? `127.0.0.1:${port}` : a));
    const client = await cmpflow(args, 'bundle');
    expect(client.code).toBe(0);
    expect(output).toContain('serving with 2 worker thread(s)');
  } finally {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

withNpm('a failing command fails the same way from both builds (its error line, status 1)', async () => {
  const args = [...irArgs('never.pem'), '-secret', 'env:NO_SUCH_VARIABLE_FOR_CMPFLOW'];
  const bundled = await cmpflow(args, 'bundle');
  const modules = await cmpflow(args, 'modules');
  expect(bundled).toEqual(modules);
  expect(bundled.code).toBe(1);
  expect(bundled.stderr).toMatch(/\ncmpflow: error: .*NO_SUCH_VARIABLE_FOR_CMPFLOW is not set \(ERR_INVALID_OPTION\)\n$/);
});

withNpm('-version and -help print the same from the bundle (which finds the package.json from dist/cli/) as from the modules', async () => {
  // With another option beside them the loader takes the bundle; alone they take the modules.
  for (const argv of [
    ['-version', '-verbosity', '3'],
    ['-help', '-verbosity', '3'],
  ]) {
    const bundled = await cmpflow(argv, 'bundle');
    expect(bundled).toEqual(await cmpflow(argv, 'modules'));
    expect(bundled.code).toBe(0);
  }
  expect((await cmpflow(['-version', '-verbosity', '3'], 'bundle')).stdout).toMatch(/^cmpflow \d+\.\d+\.\d+ \(Node\.js v/);
});

withNpm('the help text the build wrote is what the modules print: -help, --help, and an empty command line (status 1)', async () => {
  for (const argv of [['-help'], ['--help'], []]) {
    const text = await cmpflow(argv, 'bundle');
    expect(text).toEqual(await cmpflow(argv, 'modules'));
    expect(text.code).toBe(argv.length === 0 ? 1 : 0);
    expect(text.stdout).toMatch(/^Usage: cmpflow \[options\]\n/);
  }
});

withNpm(
  'the loader takes the bundle for work, the help text for -help alone, the modules for -version alone, and never a build older than the modules',
  async () => {
    expect(await buildChosenFor(['-cmd', 'ir'])).toBe('bundle');
    expect(await buildChosenFor(['-help'])).toBe('help text');
    expect(await buildChosenFor(['--help'])).toBe('help text');
    expect(await buildChosenFor([])).toBe('help text');
    expect(await buildChosenFor(['-version'])).toBe('modules');
    expect(await buildChosenFor(['-h'])).toBe('modules');
    // A tsc run after the bundle (dist/src newer): the bundle and the text would be an older program's.
    const main = stage('dist', 'src', 'cli', 'main.js');
    const later = new Date(statSync(stage('dist', 'cli', 'cmpflow.js')).mtimeMs + 60_000);
    utimesSync(main, later, later);
    expect(await buildChosenFor(['-cmd', 'ir'])).toBe('modules');
    expect(await buildChosenFor(['-help'])).toBe('modules');
  },
);

withNpm('the loader hands V8 the code cache only while it is not older than the bundle (V8 itself compares lengths only)', async () => {
  const cacheGiven = async () => {
    const script = `process.stdout.write(String(require(${JSON.stringify(stage('bin', 'cli-loader.js'))}).codeCache() !== undefined));`;
    return (await run(process.execPath, ['-e', script], { cwd: work })).stdout;
  };
  expect(await cacheGiven()).toBe('true');
  const bundle = stage('dist', 'cli', 'cmpflow.js');
  const later = new Date(statSync(stage('dist', 'cli', 'cmpflow.js.cache')).mtimeMs + 60_000);
  utimesSync(bundle, later, later);
  expect(await cacheGiven()).toBe('false');
});
