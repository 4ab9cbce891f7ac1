import fc from 'fast-check';
import { encodePem, isPem, parsePem } from '../../src/credentials/pem';
import { isCmpError } from '../../src/errors';
import { openssl } from '../crypto/openssl-cli';

function pemErrorOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return isCmpError(e) ? e.code : String(e);
  }
}

describe('PEM', () => {
  test('encode then parse gives back label and bytes, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), fc.constantFrom('CERTIFICATE', 'PRIVATE KEY', 'X509 CRL'), (der, label) => {
        expect(parsePem(encodePem(label, der))).toEqual([{ label, headers: {}, der }]);
      }),
    );
  });

  test('encoded PEM uses 64-character lines that openssl reads', () => {
    const der = openssl(['req', '-new', '-x509', '-newkey', 'ED25519', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=pem', '-outform', 'DER']);
    const pem = encodePem('CERTIFICATE', der);
    expect(pem.split('\n').every((line) => line.length <= 64)).toBe(true);
    expect(openssl(['x509', '-outform', 'DER'], pem)).toEqual(der);
  });

  test('all blocks of a text are parsed in order, skipping explanatory text around them', () => {
    const text = `Certificate:\n  some dump\n${encodePem('CERTIFICATE', Uint8Array.of(1, 2))}between\r\n${encodePem('PRIVATE KEY', Uint8Array.of(3)).replace(/\n/g, '\r\n')}trailer`;
    expect(parsePem(text).map((b) => [b.label, Array.from(b.der)])).toEqual([
      ['CERTIFICATE', [1, 2]],
      ['PRIVATE KEY', [3]],
    ]);
  });

  test('RFC 1421 headers of legacy encrypted keys are parsed separately from the base64', () => {
    const text =
      '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nAQID\n-----END RSA PRIVATE KEY-----\n';
    expect(parsePem(text)).toEqual([
      {
        label: 'RSA PRIVATE KEY',
        headers: { 'Proc-Type': '4,ENCRYPTED', 'DEK-Info': 'AES-128-CBC,00112233445566778899AABBCCDDEEFF' },
        der: Uint8Array.of(1, 2, 3),
      },
    ]);
  });

  test('text without PEM has no blocks', () => {
    expect(parsePem('hello')).toEqual([]);
  });

  test.each([
    ['mismatched labels', '-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----\n'],
    ['a missing END line', '-----BEGIN CERTIFICATE-----\nAQID\n'],
    ['invalid base64', '-----BEGIN CERTIFICATE-----\nAQ*D\n-----END CERTIFICATE-----\n'],
    ['truncated base64', '-----BEGIN CERTIFICATE-----\nAQI\n-----END CERTIFICATE-----\n'],
  ])('%s is ERR_PEM', (_what, text) => {
    expect(pemErrorOf(() => parsePem(text))).toBe('ERR_PEM');
  });

  test('isPem tells PEM text and bytes from DER', () => {
    const pem = encodePem('CERTIFICATE', Uint8Array.of(0x30, 0));
    expect(isPem(pem)).toBe(true);
    expect(isPem(Buffer.from(`explanatory text\n${pem}`))).toBe(true);
    expect(isPem(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00))).toBe(false);
    expect(isPem('/etc/ssl/cert.pem')).toBe(false);
  });
});
