/**
 * The credential options of `cmpflow` as `openssl cmp` 3.0 takes them, against OpenSSL's own
 * mock server and Mock credentials: a -cert chain file, a PKCS#12 -key, a -keypass without
 * source prefix, -secret over -cert/-key; and bad credentials, each one `cmpflow: error:` line
 * naming the CLI option and the file, exit status 1, nothing sent.
 */
import { execFileSync } from 'child_process';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { startMockServer, type MockServer } from '../support/openssl';
import { cmpflow, scratchDir, type CliRun } from './run-support';

const MOCK = path.join(__dirname, '../openssl-rows/data/Mock');
let dir: string;
let ca: MockServer;
/** A listener that only counts: bad credentials must never reach it. */
let counter: Server;
let counted = 0;
let counterUrl: string;

beforeAll(async () => {
  dir = scratchDir();
  ca = await startMockServer(
    [
      '-srv_cert',
      'server.crt',
      '-srv_key',
      'server.key',
      '-srv_secret',
      'pass:test',
      '-srv_trusted',
      'signer_root.crt',
      '-rsp_cert',
      'signer_only.crt',
      '-rsp_extracerts',
      'signer_issuing.crt',
    ],
    { cwd: MOCK },
  );
  counter = createServer((req, res) => {
    counted++;
    res.statusCode = 500;
    res.end();
  });
  await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
  counterUrl = `127.0.0.1:${(counter.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await ca?.stop();
  await new Promise((resolve) => counter?.close(resolve));
});

const out = (name: string) => path.join(dir, name);
/** An ir signed with -cert/-key, the server pinned with -srvcert. */
const ir = (server: string, ...credentials: string[]) => [
  '-config',
  '',
  '-server',
  server,
  '-cmd',
  'ir',
  '-srvcert',
  'server.crt',
  '-newkey',
  'signer.key',
  '-subject',
  '/CN=leaf',
  '-certout',
  out('leaf.pem'),
  ...credentials,
];
const signer = ['-cert', 'signer.crt', '-key', 'signer.p12', '-keypass', 'pass:12345'];

describe('credentials openssl cmp 3.0 accepts', () => {
  it('signs with a -cert chain file and a PKCS#12 -key; the server validates the chain sent in extraCerts', async () => {
    const run = await cmpflow(ir(ca.url, ...signer), { cwd: MOCK });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
  });

  it('takes -keypass without a source prefix as the pass phrase, warning as openssl does and never echoing it', async () => {
    const run = await cmpflow(ir(ca.url, '-cert', 'signer.crt', '-key', 'signer.p12', '-keypass', '12345'), { cwd: MOCK });
    expect(run.code).toBe(0);
    expect(run.stderrLines).toContain(
      "CMP warning: -keypass: Invalid password argument, missing ':' within the first 5 chars; trying plain input string (better precede with 'pass:')",
    );
    expect(run.stderr).not.toContain('12345');
  });

  it('protects with -secret and loads but ignores a -cert and -key that do not belong together', async () => {
    const run = await cmpflow(
      [...ir(ca.url, '-ref', 'ref', '-secret', 'pass:test', '-cert', 'root.crt', '-key', 'signer.p12', '-keypass', 'pass:12345')],
      { cwd: MOCK },
    );
    expect(run.code).toBe(0);
    expect(run.stderrLines).toContain('CMP warning: -cert and -key not used for protection since -secret is given');
  });
});

describe('the embedded mock server reads its credentials through the same loader', () => {
  it('serves with -srv_cert and -srv_key from one PKCS#12 file and -srv_keypass', async () => {
    const run = await cmpflow(
      [
        '-config',
        '',
        '-use_mock_srv',
        '-srv_cert',
        'signer.p12',
        '-srv_key',
        'signer.p12',
        '-srv_keypass',
        'pass:12345',
        '-srv_trusted',
        'signer_root.crt',
        '-cmd',
        'genm',
        ...signer,
        '-srvcert',
        'signer_only.crt',
      ],
      { cwd: MOCK },
    );
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
  });

  it('names the option (-srv_cert, read first) and its file when the PKCS#12 pass phrase is wrong', async () => {
    const run = await cmpflow(
      [
        '-config',
        '',
        '-use_mock_srv',
        '-srv_cert',
        'signer.p12',
        '-srv_key',
        'signer.p12',
        '-srv_keypass',
        'pass:wrong',
        '-srv_trusted',
        'signer_root.crt',
        '-cmd',
        'genm',
        ...signer,
      ],
      { cwd: MOCK },
    );
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(
        /^cmpflow: error: -srv_cert: .*signer\.p12: PKCS#12 MAC does not verify: wrong pass phrase or damaged file \(ERR_BAD_PASSPHRASE\)$/,
      ),
    ]);
  });
});

describe('bad credentials: one error line naming the option and the file, status 1, nothing sent', () => {
  function expectRefused(run: CliRun, pattern: RegExp): void {
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(pattern);
    expect(run.stderr).not.toContain('12345');
    expect(counted).toBe(0);
  }

  it.each<[string, () => string[], RegExp]>([
    [
      'a -cert file in no known format',
      () => ['-cert', 'random.bin', '-key', 'signer.p12', '-keypass', 'pass:12345'],
      /^cmpflow: error: -cert: no certificate in a known format \(PEM, DER, PKCS#12\) in .*random\.bin \(ERR_CREDENTIALS\)$/,
    ],
    [
      'an empty -cert file',
      () => ['-cert', 'empty.txt', '-key', 'signer.p12', '-keypass', 'pass:12345'],
      /^cmpflow: error: -cert: no certificate in a known format .*empty\.txt \(ERR_CREDENTIALS\)$/,
    ],
    [
      'a -key file in no known format',
      () => ['-cert', 'signer.crt', '-key', 'random.bin', '-keypass', 'pass:12345'],
      /^cmpflow: error: -key: no private key in a known format .*random\.bin \(ERR_CREDENTIALS\)$/,
    ],
    [
      'a PKCS#12 -key with the wrong pass phrase',
      () => ['-cert', 'signer.crt', '-key', 'signer.p12', '-keypass', 'pass:123456'],
      /^cmpflow: error: -key: .*signer\.p12: PKCS#12 MAC does not verify: wrong pass phrase or damaged file \(ERR_BAD_PASSPHRASE\)$/,
    ],
    [
      'a PKCS#12 -key without -keypass',
      () => ['-cert', 'signer.crt', '-key', 'signer.p12'],
      /^cmpflow: error: -key: the PKCS#12 file .*signer\.p12 is protected by a pass phrase and none was given \(ERR_MISSING_OPTION\)$/,
    ],
    [
      "a -cert whose first certificate is not the key's",
      () => ['-cert', 'trusted.crt', '-key', 'signer.p12', '-keypass', 'pass:12345'],
      /^cmpflow: error: -cert: the certificate in .*trusted\.crt does not match -key \(ERR_CREDENTIALS\)$/,
    ],
    [
      'a PKCS#12 file with an unsupported cipher (-legacy RC2)',
      () => ['-cert', legacyP12(), '-key', 'signer.key', '-keypass', 'pass:pw'],
      /^cmpflow: error: -cert: unsupported password-based encryption .*RC2.* of .*legacy\.p12 \(ERR_UNSUPPORTED_ALGORITHM\)$/,
    ],
    [
      'a -newkey that does not exist',
      () => [...signer, '-newkey', 'no-such.key'],
      /^cmpflow: error: -newkey: cannot read private key file .*no-such\.key: ENOENT \(ERR_FILE\)$/,
    ],
  ])('%s', async (_what, credentials, pattern) => {
    expectRefused(await cmpflow(ir(counterUrl, ...credentials()), { cwd: MOCK }), pattern);
  });
});

function legacyP12(): string {
  const file = out('legacy.p12');
  execFileSync('openssl', [
    'pkcs12',
    '-export',
    '-legacy',
    '-inkey',
    path.join(MOCK, 'signer.key'),
    '-in',
    path.join(MOCK, 'signer.crt'),
    '-passout',
    'pass:pw',
    '-out',
    file,
  ]);
  return file;
}
