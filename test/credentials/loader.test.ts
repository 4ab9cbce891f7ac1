/**
 * The credential loader every certificate, key and CSR option goes through: the format is told by
 * content (PEM, DER, PKCS#12), never by file name, and each failure is one CmpError naming the
 * file. OpenSSL's own Mock credentials (test/openssl-rows/data/Mock) and files written by the
 * `openssl` binary are the inputs.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { credentialFormat } from '../../src/credentials/format';
import { publicKeyMatches } from '../../src/credentials/keys';
import { loadCertificateSet, loadCertificationRequest, loadPrivateKey } from '../../src/credentials/loader';
import { loadCertificates } from '../../src/credentials/certificates';
import { CmpError, isCmpError } from '../../src/errors';
import { openssl } from '../crypto/openssl-cli';
import { makeTestPki, type TestPki } from './credential-files';

const MOCK = path.join(__dirname, '../openssl-rows/data/Mock');
const mock = (name: string) => path.join(MOCK, name);

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.dir.cleanup());

async function errorOf(promise: Promise<unknown>): Promise<CmpError> {
  const e = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!isCmpError(e)) throw new Error(`expected a CmpError, got ${String(e)}`);
  return e;
}

const cn = (subject: string) => /CN=([^,]+)/.exec(subject)?.[1];

describe('the format is told by content', () => {
  it('recognises PEM, PKCS#12 and other DER, and nothing else', () => {
    expect(credentialFormat(readFileSync(mock('signer.crt')))).toBe('pem');
    expect(credentialFormat(readFileSync(mock('signer.p12')))).toBe('pkcs12');
    expect(credentialFormat(openssl(['x509', '-in', mock('root.crt'), '-outform', 'DER']))).toBe('der');
    expect(credentialFormat(openssl(['pkcs8', '-topk8', '-nocrypt', '-in', pki.eeKey, '-outform', 'DER']))).toBe('der');
    expect(credentialFormat(readFileSync(mock('random.bin')))).toBe('unknown');
    expect(credentialFormat(new Uint8Array(0))).toBe('unknown');
  });
});

describe('certificates', () => {
  it('reads every certificate of a chain file, in file order (the signer first)', async () => {
    const certs = await loadCertificateSet(mock('signer.crt'));
    expect(certs.map((c) => cn(c.subject))).toEqual(['leaf', 'subinterCA', 'interCA']);
  });

  it("reads a PKCS#12 file's certificates with its pass phrase: the key's certificate first, then the others", async () => {
    const certs = await loadCertificateSet(mock('signer.p12'), { passphrase: '12345' });
    expect(cn(certs[0]!.subject)).toBe('leaf');
    expect(
      certs
        .slice(1)
        .map((c) => cn(c.subject))
        .sort(),
    ).toEqual(['interCA', 'rootCA', 'subinterCA']);
    const key = await loadPrivateKey(mock('signer.p12'), '12345');
    expect(publicKeyMatches(key, certs[0]!)).toBe(true);
  });

  it('reads DER as it reads PEM', async () => {
    const der = openssl(['x509', '-in', pki.eeCert, '-outform', 'DER']);
    const [fromDer] = await loadCertificateSet(new Uint8Array(der));
    const [fromPem] = await loadCertificateSet(pki.eeCert);
    expect(fromDer!.equal(fromPem!)).toBe(true);
  });

  it.each([
    ['random bytes', () => mock('random.bin'), /^no certificate in a known format \(PEM, DER, PKCS#12\) in .*random\.bin$/],
    ['an empty file', () => mock('empty.txt'), /^no certificate in a known format \(PEM, DER, PKCS#12\) in .*empty\.txt$/],
    ['a PEM file without certificates', () => mock('new.key'), /^no certificate in .*new\.key$/],
  ])('refuses %s with ERR_CREDENTIALS naming the file', async (_what, file, message) => {
    const e = await errorOf(loadCertificateSet(file()));
    expect(e.code).toBe('ERR_CREDENTIALS');
    expect(e.message).toMatch(message);
  });

  it('the synchronous loadCertificates points a PKCS#12 file to loadCertificateSet instead of misreading it', () => {
    expect(() => loadCertificates(mock('signer.p12'))).toThrow(/signer\.p12 is a PKCS#12 file: load it with loadCertificateSet/);
  });
});

describe('private keys', () => {
  it("reads a PKCS#12 file's key, the PEM key and the DER key alike", async () => {
    const [leaf] = await loadCertificateSet(mock('signer.crt'));
    const der = openssl(['pkcs8', '-topk8', '-nocrypt', '-in', mock('signer.key'), '-outform', 'DER']);
    for (const key of [
      await loadPrivateKey(mock('signer.p12'), '12345'),
      await loadPrivateKey(mock('signer.key')),
      await loadPrivateKey(new Uint8Array(der)),
    ]) {
      expect(publicKeyMatches(key, leaf!)).toBe(true);
    }
  });

  it('reads an encrypted PKCS#8 key with its pass phrase', async () => {
    const key = await loadPrivateKey(mock('new_pass_12345.key'), '12345');
    const plain = await loadPrivateKey(mock('new.key'));
    expect(Buffer.from(key.spki).equals(Buffer.from(plain.spki))).toBe(true);
  });

  it.each([
    ['a wrong pass phrase', '123456', 'ERR_BAD_PASSPHRASE', /signer\.p12: PKCS#12 MAC does not verify: wrong pass phrase/],
    ['no pass phrase', undefined, 'ERR_MISSING_OPTION', /the PKCS#12 file .*signer\.p12 is protected by a pass phrase and none was given/],
    ['an empty pass phrase', '', 'ERR_BAD_PASSPHRASE', /wrong pass phrase/],
  ])('refuses a PKCS#12 file with %s, naming the file and never the pass phrase', async (_what, pass, code, message) => {
    const e = await errorOf(loadPrivateKey(mock('signer.p12'), pass));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    if (pass) expect(e.message).not.toContain(pass);
  });

  it('opens a PKCS#12 file written with an empty pass phrase when none is given', async () => {
    const file = pki.dir.file('empty-pass.p12');
    openssl(['pkcs12', '-export', '-inkey', pki.eeKey, '-in', pki.eeCert, '-passout', 'pass:', '-out', file]);
    const [cert] = await loadCertificateSet(file);
    expect(publicKeyMatches(await loadPrivateKey(file), cert!)).toBe(true);
  });

  it('reads the PKCS#12 ciphers OpenSSL writes by default (AES-256-CBC, PBKDF2) and with 3DES; refuses -legacy RC2 as unsupported, naming the file', async () => {
    const make = (name: string, options: string[]) => {
      const file = pki.dir.file(name);
      openssl(['pkcs12', '-export', '-inkey', pki.eeKey, '-in', pki.eeCert, '-passout', 'pass:pw', '-out', file, ...options]);
      return file;
    };
    for (const file of [make('aes.p12', []), make('3des.p12', ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'])]) {
      const [cert] = await loadCertificateSet(file, { passphrase: 'pw' });
      expect(publicKeyMatches(await loadPrivateKey(file, 'pw'), cert!)).toBe(true);
    }
    const legacy = make('legacy.p12', ['-legacy']);
    const e = await errorOf(loadCertificateSet(legacy, { passphrase: 'pw' }));
    expect(e.code).toBe('ERR_UNSUPPORTED_ALGORITHM');
    expect(e.message).toContain('legacy.p12');
  });

  it('refuses random bytes as a key with ERR_CREDENTIALS naming the file', async () => {
    const e = await errorOf(loadPrivateKey(mock('random.bin')));
    expect(e.code).toBe('ERR_CREDENTIALS');
    expect(e.message).toMatch(/^no private key in a known format \(PEM, DER, PKCS#12\) in .*random\.bin$/);
  });
});

describe('certificate requests', () => {
  it('reads a PEM or DER PKCS#10 request and refuses anything else', () => {
    const pem = loadCertificationRequest(mock('csr.pem'));
    const der = openssl(['req', '-in', mock('csr.pem'), '-outform', 'DER']);
    expect(Buffer.from(loadCertificationRequest(new Uint8Array(der))).equals(Buffer.from(pem))).toBe(true);
    expect(() => loadCertificationRequest(mock('signer.crt'))).toThrow(/no CERTIFICATE REQUEST in .*signer\.crt/);
    expect(() => loadCertificationRequest(mock('random.bin'))).toThrow(/no PKCS#10 certificate request in .*random\.bin/);
  });
});
