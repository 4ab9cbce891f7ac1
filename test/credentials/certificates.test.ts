import { readFileSync } from 'node:fs';
import { loadCertificate, loadCertificates } from '../../src/credentials/certificates';
import { CmpError, isCmpError } from '../../src/errors';
import { openssl } from '../crypto/openssl-cli';
import { makeTestPki, TestPki } from './credential-files';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.dir.cleanup());

function errorOf(f: () => unknown): CmpError {
  try {
    f();
  } catch (e) {
    if (isCmpError(e)) return e;
    throw e;
  }
  throw new Error('expected a CmpError');
}

const subjects = ['CN=Test End Entity', 'CN=Test Sub CA', 'CN=Test Root CA'];

describe('loadCertificates', () => {
  test('reads every certificate of a PEM file, in file order', () => {
    expect(loadCertificates(pki.chainPem).map((c) => c.subject)).toEqual(subjects);
  });

  test('reads PEM text, PEM bytes and DER bytes alike', () => {
    const pemText = readFileSync(pki.chainPem, 'utf8');
    expect(loadCertificates(pemText).map((c) => c.subject)).toEqual(subjects);
    expect(loadCertificates(readFileSync(pki.chainPem)).map((c) => c.subject)).toEqual(subjects);
    const der = openssl(['x509', '-in', pki.eeCert, '-outform', 'DER']);
    const [cert] = loadCertificates(new Uint8Array(der));
    expect(Buffer.from(cert!.rawData)).toEqual(der);
  });

  test('reads a DER file', () => {
    const path = pki.dir.file('ee.der', openssl(['x509', '-in', pki.eeCert, '-outform', 'DER']));
    expect(loadCertificates(path).map((c) => c.subject)).toEqual(['CN=Test End Entity']);
  });

  test('skips explanatory text and non-certificate blocks', () => {
    const text = openssl(['x509', '-in', pki.caCert, '-text']).toString() + readFileSync(pki.eeKey, 'utf8');
    expect(loadCertificates(text).map((c) => c.subject)).toEqual(['CN=Test Root CA']);
  });

  test('a missing file is ERR_FILE naming the file', () => {
    const error = errorOf(() => loadCertificates('/nonexistent/dir/cert.pem'));
    expect(error.code).toBe('ERR_FILE');
    expect(error.message).toContain('/nonexistent/dir/cert.pem');
  });

  test('a file holding only a key is ERR_CREDENTIALS naming the file but not quoting it', () => {
    const error = errorOf(() => loadCertificates(pki.eeKey));
    expect(error.code).toBe('ERR_CREDENTIALS');
    expect(error.message).toContain(pki.eeKey);
    const keyBase64 = readFileSync(pki.eeKey, 'utf8').split('\n')[1]!;
    expect(error.message).not.toContain(keyBase64);
  });

  test('a PEM CERTIFICATE block that is not a certificate is ERR_CREDENTIALS', () => {
    const path = pki.dir.file('bogus.pem', '-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n');
    expect(errorOf(() => loadCertificates(path)).code).toBe('ERR_CREDENTIALS');
  });

  test('DER bytes that are not a certificate are ERR_CREDENTIALS', () => {
    expect(errorOf(() => loadCertificates(Uint8Array.of(1, 2, 3))).code).toBe('ERR_CREDENTIALS');
  });

  test('broken PEM is ERR_PEM naming the file', () => {
    const path = pki.dir.file('broken.pem', '-----BEGIN CERTIFICATE-----\nMAMCAQA=\n');
    const error = errorOf(() => loadCertificates(path));
    expect(error.code).toBe('ERR_PEM');
    expect(error.message).toContain(path);
  });
});

describe('loadCertificate', () => {
  test('returns the one certificate of a file', () => {
    expect(loadCertificate(pki.eeCert).subject).toBe('CN=Test End Entity');
  });

  test('refuses a file with several certificates with ERR_CREDENTIALS', () => {
    expect(errorOf(() => loadCertificate(pki.chainPem)).code).toBe('ERR_CREDENTIALS');
  });
});
