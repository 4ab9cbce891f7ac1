/**
 * The command's contract with its caller: exit statuses, -help, one `cmpflow: error:` line per
 * failure naming the option or file at fault (never a stack trace, never a secret), -verbosity,
 * and -inspect; some of it through a real child process.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { makeTestPki, type TestPki } from '../support/pki';
import { startMockServer, type MockServer } from '../support/openssl';
import { cmpflow, scratchDir, spawnCmpflow, type CliRun } from './run-support';

const SECRET = 'Zq7-cli-secret-never-shown';
let pki: TestPki;
let dir: string;
let server: MockServer;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  pki = await makeTestPki();
  dir = scratchDir();
  server = await startMockServer(['-srv_ref', 'mock', '-srv_secret', `pass:${SECRET}`, '-rsp_cert', pki.enrolled.certPath]);
  execFileSync('openssl', [
    'pkcs8',
    '-topk8',
    '-in',
    pki.newKeyPath,
    '-v2',
    'aes-256-cbc',
    '-passout',
    'pass:the-right-one',
    '-out',
    file('encrypted.pem'),
  ]);
});
afterAll(async () => {
  await server?.stop();
  await pki?.cleanup();
});

/** Credentials and a recipient, so that no warning precedes the line under test. */
const base = () => ['-config', '', '-server', server.url, '-recipient', '/CN=CA', '-ref', 'client-ref', '-secret', `pass:${SECRET}`];
const ir = () => [...base(), '-cmd', 'ir', '-newkey', pki.newKeyPath, '-subject', '/CN=x', '-certout', file('out.pem')];

function expectOnlyError(run: CliRun, pattern: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderrLines).toHaveLength(1);
  expect(run.stderrLines[0]).toMatch(/^cmpflow: error: /);
  expect(run.stderrLines[0]).toMatch(pattern);
  expect(run.stderr).not.toContain(SECRET);
}

describe('exit statuses', () => {
  it('is 0 for a successful command and for -help, which prints the option summary', async () => {
    const genm = await cmpflow([...base(), '-cmd', 'genm']);
    expect({ code: genm.code, stdout: genm.stdout }).toEqual({ code: 0, stdout: 'genp contains no ITAV\n' });
    const help = await cmpflow(['-help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: cmpflow \[options\]\n/);
    expect(help.stdout).toContain(' -session val');
  });

  it('runs the transaction -repeat times, each a transaction of its own', async () => {
    const run = await cmpflow([...base(), '-cmd', 'genm', '-infotype', 'signKeyPairTypes', '-repeat', '3', '-verbosity', '7']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('genp contains ITAV of type: id-it-signKeyPairTypes\n'.repeat(3));
    const ids = run.stderrLines.filter((l) => l.startsWith('CMP DEBUG: Starting new transaction'));
    expect(new Set(ids).size).toBe(3);
  });

  it('is 1 without any argument, after printing the summary as openssl cmp does', async () => {
    const run = await cmpflow([]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^Usage: cmpflow/);
  });

  it('is 1 when the transaction fails, and 3 is reserved for -nowait (see run-session.test.ts)', async () => {
    const run = await cmpflow([...ir(), '-secret', 'pass:not-the-secret']);
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/\(ERR_PROTECTION_INVALID\)$/)]);
  });
});

describe('bad input gives exactly one line naming the problem, and exit status 1', () => {
  it.each<[string, () => string[], RegExp]>([
    ['an unknown option', () => [...ir(), '-bogus'], /unknown option -bogus; use -help for a summary \(ERR_INVALID_OPTION\)$/],
    [
      'a missing file',
      () => [...base(), '-cmd', 'ir', '-newkey', file('missing.pem'), '-subject', '/CN=x', '-certout', file('o.pem')],
      /^cmpflow: error: -newkey: .*missing\.pem.*\(ERR_FILE\)$/,
    ],
    [
      'a wrong pass phrase',
      () => [
        ...base(),
        '-cmd',
        'ir',
        '-newkey',
        file('encrypted.pem'),
        '-newkeypass',
        'pass:Zq7-wrong-guess',
        '-subject',
        '/CN=x',
        '-certout',
        file('o.pem'),
      ],
      /^cmpflow: error: -newkey: .*encrypted\.pem.*\(ERR_BAD_PASSPHRASE\)$/,
    ],
    [
      'a malformed DN',
      () => [...base(), '-cmd', 'ir', '-newkey', pki.newKeyPath, '-subject', 'CN=x,,=', '-certout', file('o.pem')],
      /^cmpflow: error: -subject: .*\(ERR_INVALID_OPTION\)$/,
    ],
    ['an out-of-range number', () => [...ir(), '-keep_alive', '3'], /-keep_alive must be in the range 0\.\.2, not 3.*\(ERR_INVALID_OPTION\)$/],
    ['a number that is not one', () => [...ir(), '-days', '12x'], /-days.*12x.*\(ERR_INVALID_OPTION\)$/],
    [
      'a malformed URL',
      () => [...ir().filter((a) => a !== server.url && a !== '-server'), '-server', 'http://[::1'],
      /^cmpflow: error: -server: .*\(ERR_INVALID_OPTION\)$/,
    ],
    [
      'an unset environment variable as pass phrase source',
      () => [...ir(), '-secret', 'env:CMPFLOW_NOT_SET'],
      /^cmpflow: error: the -secret pass phrase: environment variable CMPFLOW_NOT_SET is not set \(ERR_INVALID_OPTION\)$/,
    ],
    ['a missing -certout', () => ir().slice(0, -2), /^cmpflow: error: -certout: .*\(ERR_MISSING_OPTION\)$/],
    [
      'a key format OpenSSL does not know',
      () => [...ir(), '-keyform', 'JWK'],
      /^cmpflow: error: -keyform: 'JWK' is not PEM, DER or P12 \(ERR_INVALID_OPTION\)$/,
    ],
    ['an unknown -cmd', () => [...base(), '-cmd', 'xx'], /^cmpflow: error: -cmd: unknown cmp command 'xx'.*\(ERR_INVALID_OPTION\)$/],
  ])('%s', async (_what, args, pattern) => {
    expectOnlyError(await cmpflow(args()), pattern);
  });

  it('reads pass phrases from env: and file: sources of the CLI environment, never echoing them', async () => {
    const fromEnv = await cmpflow([...base(), '-secret', 'env:CMP_SECRET', '-cmd', 'genm'], { env: { CMP_SECRET: SECRET } });
    expect(fromEnv.code).toBe(0);
    const wrongFile = await cmpflow([...base(), '-secret', 'file:no-such-secret.txt', '-cmd', 'genm'], { cwd: dir });
    expectOnlyError(wrongFile, /-secret pass phrase: cannot read pass phrase file .*no-such-secret\.txt.*\(ERR_FILE\)$/);
  });

  it('takes a pass phrase without a source prefix as the pass phrase itself after a warning, as openssl cmp 3.0 does', async () => {
    const run = await cmpflow([...base().slice(0, -2), '-secret', SECRET, '-cmd', 'genm']);
    expect(run.code).toBe(0);
    expect(run.stderrLines).toContain(
      "CMP warning: -secret: Invalid password argument, missing ':' within the first 5 chars; trying plain input string (better precede with 'pass:')",
    );
    expect(run.stderr).not.toContain(SECRET);
  });
});

describe('-verbosity', () => {
  it('shows warnings from 4, protocol lines from 6 (the default), debug lines from 7', async () => {
    const args = [...base().filter((a) => a !== '-recipient' && a !== '/CN=CA'), '-cmd', 'genm'];
    const quiet = await cmpflow([...args, '-verbosity', '3']);
    expect({ code: quiet.code, stderr: quiet.stderr }).toEqual({ code: 0, stderr: '' });
    const warn = await cmpflow([...args, '-verbosity', '4']);
    expect(warn.stderrLines).toEqual(['CMP warning: missing -recipient, -srvcert, -issuer, -oldcert or -cert; recipient will be set to "NULL-DN"']);
    const info = await cmpflow(args);
    expect(info.stderrLines.slice(1)).toEqual([`CMP info: will contact ${server.url}`, 'CMP info: sending GENM', 'CMP info: received GENP']);
    const debug = await cmpflow([...args, '-verbosity', '7']);
    expect(debug.stderrLines).toContainEqual(expect.stringMatching(/^CMP DEBUG: Starting new transaction with ID=([0-9A-F]{2}:){15}[0-9A-F]{2}$/));
    for (const run of [quiet, warn, info, debug]) expect(run.stderr).not.toContain(SECRET);
  });

  it('logs each message of an enrollment in order at 6, as openssl cmp does', async () => {
    const run = await cmpflow(ir());
    expect(run.code).toBe(0);
    expect(run.stderrLines).toEqual([
      `CMP info: will contact ${server.url}`,
      'CMP info: sending IR',
      'CMP info: received IP',
      'CMP info: sending CERTCONF',
      'CMP info: received PKICONF',
      `CMP info: received 1 enrolled certificate(s), saving to file '${file('out.pem')}'`,
    ]);
  });
});

describe('-inspect', () => {
  // With @statelyai/inspect, the events go to a Stately inspector instead: inspect-stately.test.ts.
  const printHere = { env: { CMPFLOW_INSPECT_URL: 'stderr' } };

  it('with CMPFLOW_INSPECT_URL=stderr prints the sanitised events', async () => {
    const run = await cmpflow([...ir(), '-inspect'], printHere);
    expect(run.code).toBe(0);
    const events = run.stderrLines.filter((l) => l.startsWith('CMP inspect: '));
    expect(events.length).toBeGreaterThan(10);
    expect(events.some((l) => l.includes('xstate.done.actor.checkResponse'))).toBe(true);
    expect(run.stderr).not.toContain(SECRET);
    expect(run.stderr).not.toMatch(/PRIVATE KEY/);
  });

  it('prints the events at any -verbosity, also where the protocol log is silent', async () => {
    const run = await cmpflow([...ir(), '-inspect', '-verbosity', '3'], printHere);
    expect(run.code).toBe(0);
    const events = run.stderrLines.filter((l) => l.startsWith('CMP inspect: '));
    expect(events.some((l) => l.includes('xstate.done.actor.checkResponse'))).toBe(true);
    expect(run.stderrLines.filter((l) => !l.startsWith('CMP inspect: '))).toEqual([]);
    expect(run.stderr).not.toContain(SECRET);
  });
});

describe('the cmpflow process', () => {
  it('exits 1 with one error line and no stack trace, and 0 for a transaction', async () => {
    const [bad, good] = await Promise.all([
      spawnCmpflow([...ir(), '-revreason', '7']).done,
      spawnCmpflow([...base(), '-cmd', 'genm', '-infotype', 'signKeyPairTypes']).done,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderrLines).toEqual(['cmpflow: error: -revreason: invalid reason 7; valid values are -1 .. 6, 8 .. 10 (ERR_INVALID_OPTION)']);
    expect(good.code).toBe(0);
    expect(good.stdout).toBe('genp contains ITAV of type: id-it-signKeyPairTypes\n');
  }, 90_000);
});
