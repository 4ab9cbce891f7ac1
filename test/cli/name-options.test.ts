/**
 * The distinguished-name options at the command line: OpenSSL's syntax only, OpenSSL's warnings
 * for what it skips (each naming which name it is), refusals that name the option, and, against
 * OpenSSL's mock server, OpenSSL's own rows "unknown attribute in recipient name" and "unknown
 * attribute in expected sender", which must succeed.
 */
import { CmpError } from '../../src/errors';
import { parseCommandLine, type RunCommandLine } from '../../src/cli/options';
import { makeTestPki, TEST_DN, type TestPki } from '../support/pki';
import { startMockServer, type MockServer } from '../support/openssl';
import { cmpflow, scratchDir } from './run-support';

const genm = ['-config', '', '-server', '127.0.0.1:1', '-ref', 'r', '-secret', 'pass:s', '-cmd', 'genm'];

function run(argv: string[]): RunCommandLine {
  const parsed = parseCommandLine(argv, { cwd: process.cwd(), env: {} });
  if (parsed.kind !== 'run') throw new Error('expected a run');
  return parsed;
}

function errorOf(argv: string[]): CmpError {
  try {
    parseCommandLine(argv, { cwd: process.cwd(), env: {} });
  } catch (e) {
    return e as CmpError;
  }
  throw new Error('expected an error');
}

describe('-subject, -issuer, -recipient and -expect_sender on the command line', () => {
  it('skip an unknown attribute with the warning openssl cmp gives, naming which name it is, and keep the rest', () => {
    const parsed = run([...genm, '-recipient', '/CN=Root CA/ABC=123', '-expect_sender', '/CN=server.example/ABC=123']);
    expect(parsed.warnings).toEqual(
      expect.arrayContaining(['Skipping unknown recipient name attribute "ABC"', 'Skipping unknown expected sender name attribute "ABC"']),
    );
    expect(parsed.client.recipient).toBe('/CN=Root CA');
    expect(parsed.client.expectSender).toBe('/CN=server.example');
  });

  it('skip an empty value with the warning openssl cmp gives', () => {
    const parsed = run([
      ...genm.slice(0, -2),
      '-cmd',
      'ir',
      '-newkey',
      'k.pem',
      '-certout',
      'c.pem',
      '-subject',
      '/CN=device/O=',
      '-issuer',
      '/CN=CA',
    ]);
    expect(parsed.warnings).toContain('No value provided for subject name attribute "O", skipped');
    expect(parsed.client.subject).toBe('/CN=device');
    expect(parsed.client.issuer).toBe('/CN=CA');
  });

  it('hand the library names in the slash form, with OpenSSL short names and each RDN in DER order', () => {
    const parsed = run([...genm, '-recipient', '/commonName=CA\\/1+organizationName=x/2.5.4.6=DE']);
    expect(parsed.client.recipient).toBe('/O=x+CN=CA\\/1/C=DE');
    expect(parsed.warnings.filter((w) => w.includes('name attribute'))).toEqual([]);
  });

  it('leave -subject and -issuer unread where openssl ignores them, so even a malformed one only gets the warning', () => {
    const parsed = run([...genm, '-subject', 'CN=not read', '-issuer', 'CN=not read']);
    expect(parsed.client.subject).toBeUndefined();
    expect(parsed.client.issuer).toBeUndefined();
    expect(parsed.warnings).toEqual(
      expect.arrayContaining([
        "-subject option is ignored for commands other than 'ir', 'cr', and 'kur' since -ref or -cert is given",
        "-issuer option is ignored for commands other than 'ir', 'cr', and 'kur'",
      ]),
    );
  });

  it('read -subject for other commands when it names the sender (no -ref, no -cert)', () => {
    const withoutRef = genm.filter((a, i) => a !== '-ref' && genm[i - 1] !== '-ref');
    expect(run([...withoutRef, '-subject', '/CN=me/ABC=1']).client.subject).toBe('/CN=me');
    expect(errorOf([...withoutRef, '-subject', 'CN=me']).message).toMatch(/^-subject: subject name is expected to be in the format/);
  });

  it.each([
    ['-recipient', 'CN=Root CA', /^-recipient: recipient name is expected to be in the format \/type0=value0/],
    ['-recipient', '/CN=ECC Issuing CA v10/C=DEE', /^-recipient: Error adding recipient name attribute "\/C=DEE": string too long \(maxsize=2\)$/],
    ['-expect_sender', '/CN', /^-expect_sender: Missing '=' after RDN type string 'CN' in expected sender name string$/],
    ['-recipient', '/CN=a\\', /^-recipient: Escape character at end of recipient name string$/],
  ])('refuse %s %s with ERR_INVALID_OPTION naming the option', (option, value, message) => {
    const e = errorOf([...genm, option, value]);
    expect(e).toBeInstanceOf(CmpError);
    expect(e.code).toBe('ERR_INVALID_OPTION');
    expect(e.message).toMatch(message);
  });
});

describe("OpenSSL's rows for unknown attributes, against its mock server", () => {
  let pki: TestPki;
  let server: MockServer;
  const SECRET = 'cli-names-secret';

  beforeAll(async () => {
    pki = await makeTestPki();
    server = await startMockServer([
      '-srv_ref',
      'mock',
      '-srv_secret',
      `pass:${SECRET}`,
      '-rsp_cert',
      pki.enrolled.certPath,
      '-srv_cert',
      pki.server.certPath,
      '-srv_key',
      pki.server.keyPath,
    ]);
  });
  afterAll(async () => {
    await server?.stop();
    await pki?.cleanup();
  });

  const ir = (certOut: string) => [
    '-config',
    '',
    '-server',
    server.url,
    '-ref',
    'client-ref',
    '-secret',
    `pass:${SECRET}`,
    '-cmd',
    'ir',
    '-newkey',
    pki.newKeyPath,
    '-subject',
    '/CN=names',
    '-certout',
    certOut,
  ];

  it('enrolls with "-recipient <CA DN>/ABC=123", warning once', async () => {
    const res = await cmpflow([...ir(`${scratchDir()}/recipient.pem`), '-recipient', '/CN=Root CA/ABC=123']);
    expect(res.errors).toEqual([]);
    expect(res.code).toBe(0);
    expect(res.stderrLines.filter((l) => l.includes('ABC'))).toEqual(['CMP warning: Skipping unknown recipient name attribute "ABC"']);
  });

  it('enrolls with "-expect_sender <server DN>/ABC=123", the sender still checked against the rest', async () => {
    const res = await cmpflow([...ir(`${scratchDir()}/sender.pem`), '-expect_sender', `${TEST_DN.server}/ABC=123`]);
    expect(res.errors).toEqual([]);
    expect(res.code).toBe(0);
    const wrong = await cmpflow([...ir(`${scratchDir()}/wrong-sender.pem`), '-expect_sender', '/CN=someone else/ABC=123']);
    expect(wrong.code).toBe(1);
    expect(wrong.errors).toEqual([expect.stringMatching(/\(ERR_UNEXPECTED_SENDER\)$/)]);
  });
});
