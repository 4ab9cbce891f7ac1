import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { X509Certificate } from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { nameToDer, nameToString, namesEqual, parseName } from '../../src/message/names';
import { CmpError } from '../../src/errors';

describe('parseName', () => {
  it('reads the OpenSSL slash form in encoding order', () => {
    expect(nameToString(parseName('/CN=device 1/O=ACME, Inc./C=DE'))).toBe('CN=device 1, O=ACME\\, Inc., C=DE');
  });

  it('reads the comma form in the same order as @peculiar/x509 prints it', () => {
    expect(namesEqual(parseName('CN=device 1, O=ACME, C=DE'), parseName('/CN=device 1/O=ACME/C=DE'))).toBe(true);
  });

  it('encodes like OpenSSL does for the same -subject', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmpflow-names-'));
    try {
      const subject = '/CN=Müller+serialNumber=42/O=ACME\\/Sub/C=DE/emailAddress=a@b.example/DC=example';
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'),
        '-out', join(dir, 'c.pem'), '-subj', subject, '-multivalue-rdn', '-utf8', '-days', '1'], { stdio: 'pipe' });
      const cert = new X509Certificate(readFileSync(join(dir, 'c.pem'), 'utf8'));
      const opensslDer = Buffer.from(cert.subjectName.toArrayBuffer());
      expect(Buffer.from(nameToDer(parseName(subject))).toString('hex')).toBe(opensslDer.toString('hex'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('treats "" and "/" as the empty name', () => {
    expect(Buffer.from(nameToDer(parseName(''))).toString('hex')).toBe('3000');
    expect(AsnConvert.parse(nameToDer(parseName('/')), Name).length).toBe(0);
  });

  it.each(['/CN', '/=x', '/FOO=bar', 'CN=a, =b', '/CN='])('refuses the malformed name %s with ERR_INVALID_OPTION', (bad) => {
    expect(() => parseName(bad)).toThrow(CmpError);
    try {
      parseName(bad);
    } catch (e) {
      expect((e as CmpError).code).toBe('ERR_INVALID_OPTION');
    }
  });
});
