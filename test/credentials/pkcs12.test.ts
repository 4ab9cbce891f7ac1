import { readFileSync } from 'node:fs';
import { loadPkcs12 } from '../../src/credentials/pkcs12';
import { getCryptoProvider } from '../../src/crypto';
import { defaultSignatureAlgorithm } from '../../src/crypto/algorithms';
import { CmpError, isCmpError } from '../../src/errors';
import { openssl } from '../crypto/openssl-cli';
import { makeTestPki, TestPki } from './credential-files';

const passphrase = 'p12 pass phrase ☃';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.dir.cleanup());

/** Writes a PKCS#12 with `openssl pkcs12 -export` for the EE key, its certificate and the CA chain. */
function exportP12(name: string, options: string[], pass = passphrase): string {
  const out = pki.dir.file(name);
  const chain = pki.dir.file(`${name}-cas.pem`, Buffer.concat([readFileSync(pki.subCaCert), readFileSync(pki.caCert)]));
  openssl(['pkcs12', '-export', '-inkey', pki.eeKey, '-in', pki.eeCert, '-certfile', chain, '-passout', `pass:${pass}`, '-out', out, ...options]);
  return out;
}

async function errorOf(promise: Promise<unknown>): Promise<CmpError> {
  try {
    await promise;
  } catch (e) {
    if (isCmpError(e)) return e;
    throw e;
  }
  throw new Error('expected a CmpError');
}

function expectSecretsAbsent(error: CmpError, ...secrets: string[]): void {
  for (const secret of secrets) {
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
  }
}

describe('loadPkcs12', () => {
  test.each([
    ['OpenSSL 3 defaults (PBES2 AES-256-CBC, HMAC-SHA-256 MAC)', []],
    [
      'pbeWithSHAAnd3-KeyTripleDES-CBC for key and certificates, HMAC-SHA-1 MAC',
      ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'],
    ],
    ['unencrypted certificates', ['-certpbe', 'NONE']],
    ['an unencrypted key', ['-keypbe', 'NONE', '-certpbe', 'NONE']],
    ['no MAC', ['-nomac']],
    ['a SHA-512 MAC', ['-macalg', 'sha512']],
  ])('reads key, certificate and chain of a file with %s', async (_what, options) => {
    const contents = await loadPkcs12(exportP12('test.p12', options), passphrase);
    expect(contents.cert.subject).toBe('CN=Test End Entity');
    expect(contents.chain.map((c) => c.subject)).toEqual(['CN=Test Sub CA', 'CN=Test Root CA']);
    const expectedSpki = openssl(['pkey', '-in', pki.eeKey, '-pubout', '-outform', 'DER']);
    expect(Buffer.from(contents.key.spki)).toEqual(expectedSpki);
  });

  test('the key signs what the certificate public key verifies', async () => {
    const { key, cert } = await loadPkcs12(exportP12('sign.p12', []), passphrase);
    const provider = getCryptoProvider();
    const alg = defaultSignatureAlgorithm(key);
    const data = Buffer.from('to be signed');
    const signature = await provider.sign(alg, key, data);
    expect(await provider.verify(alg, new Uint8Array(cert.publicKey.rawData), signature, data)).toBe(true);
  });

  test('reads DER bytes as well as a file name', async () => {
    const bytes = readFileSync(exportP12('bytes.p12', []));
    expect((await loadPkcs12(new Uint8Array(bytes), passphrase)).cert.subject).toBe('CN=Test End Entity');
  });

  test('reads a file protected with the empty pass phrase', async () => {
    const contents = await loadPkcs12(exportP12('empty.p12', [], ''), '');
    expect(contents.cert.subject).toBe('CN=Test End Entity');
  });

  test.each([
    ['the MAC', []],
    ['decryption, without a MAC', ['-nomac']],
    ['the legacy 3DES encryption, without a MAC', ['-nomac', '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES']],
  ])('a wrong pass phrase caught by %s is ERR_BAD_PASSPHRASE, and the message holds no pass phrase', async (_by, options) => {
    const wrong = 'wrong-p12-pass';
    const error = await errorOf(loadPkcs12(exportP12('wrong.p12', options), wrong));
    expect(error.code).toBe('ERR_BAD_PASSPHRASE');
    expectSecretsAbsent(error, wrong, passphrase);
  });

  test('a file written with -legacy (RC2 for certificates) is ERR_UNSUPPORTED_ALGORITHM naming RC2', async () => {
    const error = await errorOf(loadPkcs12(exportP12('legacy.p12', ['-legacy']), passphrase));
    expect(error.code).toBe('ERR_UNSUPPORTED_ALGORITHM');
    expect(error.message).toMatch(/RC2/);
  });

  test('a file without a private key is ERR_CREDENTIALS', async () => {
    const out = pki.dir.file('nokey.p12');
    openssl(['pkcs12', '-export', '-nokeys', '-in', pki.eeCert, '-passout', `pass:${passphrase}`, '-out', out]);
    expect((await errorOf(loadPkcs12(out, passphrase))).code).toBe('ERR_CREDENTIALS');
  });

  test('a file whose key has no certificate is ERR_CREDENTIALS', async () => {
    const out = pki.dir.file('nocert.p12');
    openssl(['pkcs12', '-export', '-nocerts', '-inkey', pki.eeKey, '-passout', `pass:${passphrase}`, '-out', out]);
    expect((await errorOf(loadPkcs12(out, passphrase))).code).toBe('ERR_CREDENTIALS');
  });

  test('a file that is not PKCS#12 is ERR_CREDENTIALS naming it', async () => {
    const error = await errorOf(loadPkcs12(pki.eeCert, passphrase));
    expect(error.code).toBe('ERR_CREDENTIALS');
    expect(error.message).toContain(pki.eeCert);
  });

  test('a missing file is ERR_FILE', async () => {
    expect((await errorOf(loadPkcs12('/nonexistent/cred.p12', passphrase))).code).toBe('ERR_FILE');
  });
});
