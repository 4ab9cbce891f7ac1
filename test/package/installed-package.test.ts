/**
 * A new user's first hour, for real: the packed tarball installed into an empty project with
 * `npm install cmpflow xstate` (the tarball in place of the registry's cmpflow), then used from
 * strict TypeScript as an ES module and as CommonJS, and the README's first steps run as printed
 * there, the library's and the command line's. Dependencies come from the npm cache when they
 * are there (`--prefer-offline`).
 */
import { execFile, spawn, type ChildProcess } from 'child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { createServer, type AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { ENTRY_POINTS, consumerFiles, readmeTerminal } from './consumer-project';
import { REPO, npm, npmIsInstalled, packRepository, type Packed } from './packed';

const run = promisify(execFile);
const withNpm = npmIsInstalled ? it : it.skip;

const versionOf = (name: string) =>
  (JSON.parse(readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
const TSC = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
// A strict type-check of the installed package takes about 60 s alone and went past 120 s on two
// cores while another full suite ran beside it (the fourteenth session's fresh clone).
const TYPECHECK_TIMEOUT = 300_000;
// Never on a command line, where the process list would show it.
const SECRET_ENV = { ...process.env, CONSUMER_SECRET: 'consumer one-time secret' };

let packed: Packed | undefined;
let project: string;

beforeAll(async () => {
  if (!npmIsInstalled) return;
  packed = await packRepository({ dryRun: false });
  project = mkdtempSync(path.join(os.tmpdir(), 'cmpflow-consumer-'));
  writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'first-hour', version: '1.0.0', private: true }, null, 2)}\n`);
  for (const [file, text] of Object.entries(consumerFiles)) writeFileSync(path.join(project, file), text);
  // The versions this repository was tested with, so that the npm cache has them.
  await npm(
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      packed.tarball!,
      `xstate@${versionOf('xstate')}`,
      `@types/node@${versionOf('@types/node')}`,
    ],
    project,
  );
}, 240_000);

afterAll(() => {
  packed?.cleanup();
  if (project) rmSync(project, { recursive: true, force: true });
});

interface ConsumerOutput {
  subject: string;
  keyIsOurs: boolean;
  certificate: string;
  caCertificate: string;
  responses?: string[];
  errorsAreCmpErrors?: boolean;
  xstateImported?: string;
  machineOutcome?: string;
  machineSubject?: string;
  xstateFromApplication: string;
  xstateFromCmpflow: string;
  names?: Record<string, { fromImport: string[]; fromRequire: string[] }>;
}

async function runConsumer(script: string): Promise<ConsumerOutput> {
  const { stdout } = await run(process.execPath, [path.join(project, 'out', script)], { cwd: project, env: SECRET_ENV, timeout: 60_000 });
  return JSON.parse(stdout) as ConsumerOutput;
}

/** `openssl verify` of the issued certificate under the CA that issued it. */
async function verifiedByOpenSsl(output: ConsumerOutput, name: string): Promise<string> {
  const ca = path.join(project, `${name}-ca.pem`);
  const cert = path.join(project, `${name}.pem`);
  writeFileSync(ca, output.caCertificate);
  writeFileSync(cert, output.certificate);
  const { stdout } = await run('openssl', ['verify', '-CAfile', ca, cert]);
  return stdout.trim();
}

describe('the installed package', () => {
  withNpm(
    "type-checks the README's first steps, an ESM and a CommonJS consumer under strict nodenext, without skipLibCheck",
    async () => {
      await expect(run(process.execPath, [TSC, '-p', project], { cwd: project })).resolves.toEqual({ stdout: '', stderr: '' });
    },
    TYPECHECK_TIMEOUT,
  );

  withNpm(
    'type-checks a consumer of all four entry points under strict node10 resolution, without skipLibCheck',
    async () => {
      await expect(run(process.execPath, [TSC, '-p', path.join(project, 'tsconfig.node10.json')], { cwd: project })).resolves.toEqual({
        stdout: '',
        stderr: '',
      });
    },
    TYPECHECK_TIMEOUT,
  );

  withNpm.each([
    ['compiled from first-steps.mts', 'out/first-steps.mjs'],
    ['saved as first-steps.mjs, without compiling', 'first-steps.mjs'],
  ])(
    "runs the README's first steps as printed there, %s",
    async (_how, script) => {
      const { stdout } = await run(process.execPath, [path.join(project, script)], { cwd: project, timeout: 60_000 });
      const [summary, ...pem] = stdout.trim().split('\n');
      expect(summary).toBe('issued "CN=device-1" by "O=cmpflow, CN=cmpflow throwaway CA"');
      expect(pem[0]).toBe('-----BEGIN CERTIFICATE-----');
      expect(pem[pem.length - 1]).toBe('-----END CERTIFICATE-----');
    },
    60_000,
  );

  withNpm(
    'enrolls a certificate from an ES module, against the embedded CA the module started',
    async () => {
      const output = await runConsumer('enroll.mjs');
      expect(output.subject).toBe('CN=ESM consumer');
      expect(output.keyIsOurs).toBe(true);
      expect(output.errorsAreCmpErrors).toBe(true);
      expect(output.xstateImported).toBe('function');
      expect(await verifiedByOpenSsl(output, 'esm')).toMatch(/: OK$/);
    },
    60_000,
  );

  withNpm(
    "names each response of the ES module's own transfer with cmpflow/asn1",
    async () => {
      const output = await runConsumer('enroll.mjs');
      expect(output.responses).toEqual(['ip', 'pkiconf']);
    },
    60_000,
  );

  withNpm(
    'gives an ES module every name that require() gives, from each entry point (the ESM entries re-export the CommonJS build)',
    async () => {
      const output = await runConsumer('enroll.mjs');
      const names = (list: string[] | undefined) => (list ?? []).filter((name) => name !== '__esModule' && name !== 'default').sort();
      expect(Object.keys(output.names ?? {})).toEqual(ENTRY_POINTS);
      for (const entry of ENTRY_POINTS)
        expect([entry, names(output.names![entry]!.fromImport)]).toEqual([entry, names(output.names![entry]!.fromRequire)]);
      expect(names(output.names!.cmpflow!.fromRequire)).toEqual(expect.arrayContaining(['CmpClient', 'CmpError', 'getCryptoProvider']));
      expect(names(output.names!['cmpflow/machines']!.fromRequire)).toEqual(
        expect.arrayContaining(['enrollmentMachine', 'actorsFrom', 'setupClient']),
      );
      expect(names(output.names!['cmpflow/asn1']!.fromRequire)).toEqual(expect.arrayContaining(['PKIMessage', 'decodePkiMessage']));
      expect(names(output.names!['cmpflow/server']!.fromRequire)).toEqual(['createCmpCluster', 'createCmpServer', 'createThrowawayCa', 'listen']);
      // Loaded in a project without axios: the entry reaches axios only through the instance it is given.
      expect(names(output.names!['cmpflow/axios']!.fromRequire)).toEqual(['axiosTransfer']);
    },
    60_000,
  );

  withNpm(
    'enrolls a certificate from a CommonJS module, against the embedded CA the module started',
    async () => {
      const output = await runConsumer('enroll.cjs');
      expect(output.subject).toBe('CN=CommonJS consumer');
      expect(output.keyIsOurs).toBe(true);
      expect(await verifiedByOpenSsl(output, 'cjs')).toMatch(/: OK$/);
    },
    60_000,
  );

  withNpm(
    'enrolls a certificate from a CommonJS module that runs the enrollment machine of cmpflow/machines itself',
    async () => {
      const output = await runConsumer('enroll.cjs');
      expect(output.machineOutcome).toBe('confirmed');
      expect(output.machineSubject).toBe('CN=CommonJS machine');
    },
    60_000,
  );

  withNpm(
    "shares the application's one copy of xstate (a peer dependency)",
    async () => {
      const output = await runConsumer('enroll.cjs');
      expect(output.xstateFromCmpflow).toBe(output.xstateFromApplication);
      expect(output.xstateFromApplication).toBe(path.join(project, 'node_modules', 'xstate', 'dist', 'xstate.cjs.js'));
    },
    60_000,
  );
});

/** A port that was free a moment ago, for the README's commands, which name a fixed one. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Runs terminal 1's commands in their own process group and resolves once the server accepts. */
function startTerminal1(commands: string): Promise<ChildProcess> {
  const terminal = spawn('sh', ['-c', commands], { cwd: project, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('no ACCEPT line within 30 s')), 30_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      stopTerminal(terminal);
      reject(new Error(`${e.message}\n${output}`));
    };
    terminal.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/^ACCEPT 127\.0\.0\.1:\d+ PID=\d+$/m.test(output)) {
        clearTimeout(timer);
        resolve(terminal);
      }
    });
    terminal.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    terminal.on('error', fail);
    terminal.on('exit', (code) => fail(new Error(`terminal 1 exited with ${code}`)));
  });
}

/** Ctrl-C in terminal 1: the whole process group (sh, npx, cmpflow) gets the signal. */
function stopTerminal(terminal: ChildProcess): Promise<void> {
  if (terminal.exitCode !== null || terminal.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => terminal.once('exit', () => resolve()));
  try {
    process.kill(-terminal.pid!, 'SIGINT');
  } catch {
    // The group is gone already.
  }
  return exited;
}

describe("the README's first steps on the command line", () => {
  withNpm('start with the installed cmpflow -version, which tells the version npm installed', async () => {
    const { stdout } = await run(path.join(project, 'node_modules', '.bin', 'cmpflow'), ['-version'], { cwd: project });
    const { version } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(stdout.startsWith(`cmpflow ${version} (`)).toBe(true);
  });

  withNpm(
    'enroll a certificate from the installed cmpflow -port with the installed cmpflow -cmd ir, as printed there',
    async () => {
      // Another port than the README's 8080 only, which may be taken on the machine running the tests.
      const port = String(await freePort());
      const terminal1 = await startTerminal1(readmeTerminal(1).replaceAll('8080', port));
      let terminal2: { stdout: string; stderr: string };
      try {
        terminal2 = await run('sh', ['-ec', readmeTerminal(2).replaceAll('8080', port)], { cwd: project, timeout: 60_000 });
      } finally {
        await stopTerminal(terminal1);
      }
      expect(terminal2.stdout.trim()).toBe('device.crt: OK');
      expect(terminal2.stderr).toContain('received 1 enrolled certificate(s), saving to file');
      const { stdout: subject } = await run('openssl', ['x509', '-in', path.join(project, 'device.crt'), '-noout', '-subject']);
      expect(subject.trim()).toBe('subject=CN = first steps');
    },
    90_000,
  );
});

/**
 * The package ships the bundled command but no V8 code cache (one fits only the Node.js that made
 * it): the installed command makes its own on first use, in a folder of the user's
 * (bin/cli-loader.js). A planted cache would be code run by V8, so only a private one is read.
 */
describe("the installed command's own code cache", () => {
  let home: string;
  const cacheDir = () => path.join(home, 'cmpflow');
  const env = (extra: Record<string, string> = {}) => ({ ...process.env, XDG_CACHE_HOME: home, CACHE_SECRET: 'cache test secret', ...extra });
  // A complete exchange with the CA the command runs in-process; secrets by environment, never in argv.
  const genm = ['-config', '', '-cmd', 'genm', '-use_mock_srv', '-ref', 'c', '-secret', 'env:CACHE_SECRET', '-srv_ref', 'c'];
  const runInstalled = () =>
    run(
      path.join(project, 'node_modules', '.bin', 'cmpflow'),
      [...genm, '-srv_secret', 'env:CACHE_SECRET', '-infotype', 'caCerts', '-cacertsout', 'ca.pem'],
      {
        cwd: project,
        env: env(),
      },
    );
  /** What the installed loader would hand V8, and whether V8 takes it, asked in a process of its own. */
  const cacheAsSeen = async (): Promise<string> => {
    const loader = path.join(project, 'node_modules', 'cmpflow', 'bin', 'cli-loader.js');
    const script = `
      const fs = require('fs');
      const loader = require(${JSON.stringify(loader)});
      const source = fs.readFileSync(loader.BUNDLE, 'latin1');
      const { data } = loader.userCodeCache(source);
      process.stdout.write(data ? 'rejected=' + loader.runBundle(loader.BUNDLE, data, source).cacheRejected : 'none');`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: project, env: env() });
    return stdout;
  };

  beforeEach(() => {
    if (npmIsInstalled) home = mkdtempSync(path.join(os.tmpdir(), 'cmpflow-xdg-'));
  });
  afterEach(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });

  withNpm(
    'is made by the first run, in a 0700 folder as a 0600 file named by version, Node and architecture, and V8 takes it on the next',
    async () => {
      expect(existsSync(path.join(project, 'node_modules', 'cmpflow', 'dist', 'cli', 'cmpflow.js'))).toBe(true);
      expect(existsSync(path.join(project, 'node_modules', 'cmpflow', 'dist', 'cli', 'cmpflow.js.cache'))).toBe(false);
      expect(await cacheAsSeen()).toBe('none');
      const first = await runInstalled();
      expect(first.stderr).toContain('received 1 CA certificate(s)');
      expect(statSync(cacheDir()).mode & 0o777).toBe(0o700);
      const files = readdirSync(cacheDir());
      expect(files).toEqual([
        expect.stringMatching(
          new RegExp(`^cli-\\d+\\.\\d+\\.\\d+.*-node${process.version.replace(/\./g, '\\.')}-${process.arch}-[0-9a-f]{16}\\.cache$`),
        ),
      ]);
      expect(statSync(path.join(cacheDir(), files[0]!)).mode & 0o777).toBe(0o600);
      expect(await cacheAsSeen()).toBe('rejected=false');
      const second = await runInstalled();
      expect(second.stderr).toContain('received 1 CA certificate(s)');
      expect(readdirSync(cacheDir())).toEqual(files);
    },
    60_000,
  );

  withNpm(
    'is ignored when others may write it or its folder, or another user owns it',
    async () => {
      await runInstalled();
      const file = path.join(cacheDir(), readdirSync(cacheDir())[0]!);
      chmodSync(file, 0o620);
      expect(await cacheAsSeen()).toBe('none');
      chmodSync(file, 0o600);
      chmodSync(cacheDir(), 0o777);
      expect(await cacheAsSeen()).toBe('none');
      chmodSync(cacheDir(), 0o700);
      expect(await cacheAsSeen()).toBe('rejected=false');
      if (process.getuid?.() === 0) {
        chownSync(file, 65534, 65534);
        expect(await cacheAsSeen()).toBe('none');
      }
    },
    60_000,
  );

  withNpm(
    'is neither read nor made with CMPFLOW_NO_CODE_CACHE=1',
    async () => {
      const { stderr } = await run(
        path.join(project, 'node_modules', '.bin', 'cmpflow'),
        [...genm, '-srv_secret', 'env:CACHE_SECRET', '-infotype', 'caCerts', '-cacertsout', 'ca.pem'],
        { cwd: project, env: env({ CMPFLOW_NO_CODE_CACHE: '1' }) },
      );
      expect(stderr).toContain('received 1 CA certificate(s)');
      expect(existsSync(cacheDir())).toBe(false);
    },
    60_000,
  );

  withNpm(
    'is not made by a -repeat run, which runs under its own V8 tiering flag (a cache made under it would be refused next time)',
    async () => {
      const { stderr } = await run(
        path.join(project, 'node_modules', '.bin', 'cmpflow'),
        [...genm, '-srv_secret', 'env:CACHE_SECRET', '-infotype', 'caCerts', '-cacertsout', 'ca.pem', '-repeat', '2'],
        { cwd: project, env: env() },
      );
      expect(stderr.split('\n').filter((l) => l.includes('received 1 CA certificate(s)'))).toHaveLength(2);
      expect(existsSync(cacheDir())).toBe(false);
    },
    60_000,
  );
});
