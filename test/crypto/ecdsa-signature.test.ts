import fc from 'fast-check';
import { derToP1363, p1363ToDer } from '../../src/crypto/ecdsa-signature';
import { isCmpError } from '../../src/errors';
import { openssl } from './openssl-cli';

const sizes = [32, 48, 66];

function rejects(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (e) {
    return isCmpError(e, 'ERR_ASN1_DECODE');
  }
}

describe('ECDSA signature encodings', () => {
  test('P1363 -> DER -> P1363 is the identity for every curve size, including leading zero bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...sizes).chain((size) => fc.uint8Array({ minLength: 2 * size, maxLength: 2 * size })),
        (p1363) => {
          expect(derToP1363(p1363ToDer(p1363), p1363.length / 2)).toEqual(p1363);
        },
      ),
    );
  });

  test('the DER form is what openssl parses as a SEQUENCE of two INTEGERs r and s', () => {
    const r = new Uint8Array(66).fill(0);
    r[1] = 0xff; // high bit set after stripping: needs a 0x00 pad; P-521 size needs a long-form length
    const s = new Uint8Array(66).fill(0x7f);
    const der = p1363ToDer(Uint8Array.from([...r, ...s]));
    const parsed = openssl(['asn1parse', '-inform', 'DER'], der).toString();
    expect(parsed).toMatch(/INTEGER\s+:FF0{128}\n/);
    expect(parsed).toMatch(new RegExp(`INTEGER\\s+:${'7F'.repeat(66)}\\n`));
  });

  test('zero halves encode as INTEGER 0', () => {
    expect(Buffer.from(p1363ToDer(new Uint8Array(64))).toString('hex')).toBe('3006020100020100');
  });

  test.each([
    ['not a SEQUENCE', '3106020101020101'],
    ['trailing bytes after the SEQUENCE', '300602010102010100'],
    ['a negative integer', '3006020181020101'],
    ['a non-minimal integer', '300702020001020101'],
    ['an integer too long for the curve', `3026022100${'11'.repeat(32)}020101`],
    ['a missing s', '3003020101'],
    ['an empty integer', '30050200020101'],
  ])('DER with %s is rejected with ERR_ASN1_DECODE', (_what, hex) => {
    expect(rejects(() => derToP1363(Buffer.from(hex, 'hex'), 32))).toBe(true);
  });

  test('an odd-length P1363 signature is rejected with ERR_ASN1_DECODE', () => {
    expect(rejects(() => p1363ToDer(new Uint8Array(63)))).toBe(true);
  });
});
