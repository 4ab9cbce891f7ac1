/**
 * Bad input on the library side: CmpClient options with a missing file, a file of the wrong
 * format, a wrong pass phrase, a malformed URL or a malformed DN. The constructor accepts
 * anything; the first method that needs the options rejects with exactly one CmpError whose code
 * says what kind of problem it is and whose message names the option, before anything is sent.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { CmpClient } from '../../src/client';
import { CmpError } from '../../src/errors';
import type { CmpClientOptions } from '../../src/options';
import { runOpenSsl } from '../support/openssl';
import { makeTestPki, type TestPki } from '../support/pki';
import { startHostileServer, type HostileServer } from './hostile-server';

const PASS = 'right-pass-phrase';
let pki: TestPki;
let server: HostileServer;
let encryptedKey: string;
let garbage: string;

beforeAll(async () => {
  pki = await makeTestPki();
  // A server that would answer anything with HTTP 500: no bad option may get as far as sending.
  server = await startHostileServer();
  server.script([], { kind: 'status', status: 500 });
  encryptedKey = join(pki.dir, 'encrypted.key');
  const r = await runOpenSsl(['pkey', '-in', pki.newKeyPath, '-aes256', '-passout', `pass:${PASS}`, '-out', encryptedKey]);
  if (r.code !== 0) throw new Error(r.stderr);
  garbage = join(pki.dir, 'garbage.bin');
  writeFileSync(garbage, 'this is neither PEM nor DER\n');
});
afterAll(async () => {
  await server?.close();
  await pki?.cleanup();
});

const base = (): CmpClientOptions => ({
  server: server.url,
  ref: 'client-ref',
  secret: 'bad-options-secret',
  newKey: pki.newKeyPath,
  subject: '/CN=bad options',
  msgTimeout: 5,
});

interface BadOption {
  what: string;
  options: () => Partial<CmpClientOptions>;
  code: string;
  /** How the message must name the option (OpenSSL's -name or the camelCase property). */
  names: RegExp;
}

const MISSING = '/nonexistent/cmpflow/file.pem';

const CASES: BadOption[] = [
  // missing files
  { what: 'newKey names a missing file', options: () => ({ newKey: MISSING }), code: 'ERR_FILE', names: /newkey/i },
  { what: 'cert names a missing file', options: () => ({ cert: MISSING, key: pki.client.keyPath }), code: 'ERR_FILE', names: /-cert\b|\bcert\b/i },
  { what: 'key names a missing file', options: () => ({ cert: pki.client.certPath, key: MISSING }), code: 'ERR_FILE', names: /-key\b|\bkey\b/i },
  { what: 'trusted names a missing file', options: () => ({ trusted: MISSING }), code: 'ERR_FILE', names: /trusted/i },
  { what: 'srvCert names a missing file', options: () => ({ srvCert: MISSING }), code: 'ERR_FILE', names: /srvcert/i },
  { what: 'csr names a missing file', options: () => ({ csr: MISSING }), code: 'ERR_FILE', names: /csr/i },
  { what: 'oldCert names a missing file', options: () => ({ oldCert: MISSING }), code: 'ERR_FILE', names: /oldcert/i },
  // wrong formats
  { what: 'newKey is a certificate', options: () => ({ newKey: pki.enrolled.certPath }), code: 'ERR_CREDENTIALS', names: /newkey/i },
  { what: 'newKey is garbage', options: () => ({ newKey: garbage }), code: 'ERR_CREDENTIALS', names: /newkey/i },
  {
    what: 'cert is a private key',
    options: () => ({ cert: pki.client.keyPath, key: pki.client.keyPath }),
    code: 'ERR_CREDENTIALS',
    names: /-cert\b|\bcert\b/i,
  },
  { what: 'untrusted is garbage', options: () => ({ untrusted: garbage }), code: 'ERR_CREDENTIALS', names: /untrusted/i },
  { what: 'csr is a certificate', options: () => ({ csr: pki.enrolled.certPem }), code: 'ERR_CREDENTIALS', names: /csr/i },
  // pass phrases
  { what: 'newKeyPass is wrong', options: () => ({ newKey: encryptedKey, newKeyPass: 'wrong' }), code: 'ERR_BAD_PASSPHRASE', names: /newkey/i },
  { what: 'newKeyPass is missing for an encrypted key', options: () => ({ newKey: encryptedKey }), code: 'ERR_MISSING_OPTION', names: /newkey/i },
  {
    what: 'keyPass is wrong',
    options: () => ({ cert: pki.enrolled.certPath, key: encryptedKey, keyPass: 'wrong' }),
    code: 'ERR_BAD_PASSPHRASE',
    names: /-key\b|\bkey\b/i,
  },
  // URLs
  { what: 'server has another scheme', options: () => ({ server: 'ftp://127.0.0.1/pkix/' }), code: 'ERR_INVALID_OPTION', names: /server/i },
  { what: 'server is not a URL', options: () => ({ server: 'http://[::1/pkix/' }), code: 'ERR_INVALID_OPTION', names: /server/i },
  { what: 'server has port 0', options: () => ({ server: 'http://127.0.0.1:0/pkix/' }), code: 'ERR_INVALID_OPTION', names: /server/i },
  { what: 'server is empty', options: () => ({ server: '  ' }), code: 'ERR_INVALID_OPTION', names: /server/i },
  { what: 'proxy is not a URL', options: () => ({ proxy: 'http://[::1' }), code: 'ERR_INVALID_OPTION', names: /proxy/i },
  { what: 'msgTimeout is negative', options: () => ({ msgTimeout: -1 }), code: 'ERR_INVALID_OPTION', names: /msg_?timeout/i },
  { what: 'keepAlive is 5', options: () => ({ keepAlive: 5 as never }), code: 'ERR_INVALID_OPTION', names: /keep_?alive/i },
  // distinguished names
  { what: 'subject has no type=value', options: () => ({ subject: 'CN' }), code: 'ERR_INVALID_OPTION', names: /subject/i },
  {
    what: 'subject has a country name of three letters',
    options: () => ({ subject: '/CN=device/C=DEU' }),
    code: 'ERR_INVALID_OPTION',
    names: /subject/i,
  },
  {
    what: 'issuer has a serialNumber PrintableString cannot hold',
    options: () => ({ issuer: '/serialNumber=a_b' }),
    code: 'ERR_INVALID_OPTION',
    names: /issuer/i,
  },
  { what: 'recipient is malformed', options: () => ({ recipient: '/CN=ok/garbage' }), code: 'ERR_INVALID_OPTION', names: /recipient/i },
  { what: 'expectSender is malformed', options: () => ({ expectSender: 'O' }), code: 'ERR_INVALID_OPTION', names: /expect_?sender/i },
  // algorithms and credentials missing altogether
  { what: 'digest is unknown', options: () => ({ digest: 'no-such-hash' }), code: 'ERR_UNSUPPORTED_ALGORITHM', names: /digest|no-such-hash/i },
  {
    what: 'no protection credentials',
    options: () => ({ secret: undefined, ref: undefined }),
    code: 'ERR_MISSING_OPTION',
    names: /secret|-cert|-key/i,
  },
];

describe('a CmpClient given a bad option', () => {
  it.each(CASES)('$what: $code naming the option, and nothing sent', async ({ options, code, names }) => {
    const before = server.exchanges.length;
    let client!: CmpClient;
    expect(() => {
      client = new CmpClient({ ...base(), ...options() });
    }).not.toThrow();
    const error = await client.ir().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CmpError);
    const e = error as CmpError;
    expect({ code: e.code, namesTheOption: names.test(e.message) }).toEqual({ code, namesTheOption: true });
    // A sentence, not a bare stack trace or an internal message.
    expect(e.message.length).toBeGreaterThan(15);
    expect(e.message).not.toMatch(/\n\s+at /);
    expect(server.exchanges.length).toBe(before);
  });

  it('reports the same CmpError again on the next call, without loading anything twice or sending', async () => {
    const client = new CmpClient({ ...base(), newKey: MISSING });
    const first = await client.ir().catch((e: unknown) => e);
    const second = await client.cr().catch((e: unknown) => e);
    expect((first as CmpError).code).toBe('ERR_FILE');
    expect((second as CmpError).code).toBe('ERR_FILE');
    expect(server.exchanges).toHaveLength(0);
  });
});
