import fc from 'fast-check';
import { bmpPassword, pkcs12Kdf } from '../../src/credentials/pkcs12-kdf';
import type { HashName } from '../../src/crypto/provider';
import { openssl } from '../crypto/openssl-cli';

const opensslNames: Partial<Record<HashName, string>> = { 'SHA-1': 'SHA1', 'SHA-256': 'SHA256', 'SHA-384': 'SHA384', 'SHA-512': 'SHA512' };

describe('PKCS#12 key derivation (RFC 7292 B.2)', () => {
  test('bmpPassword is UTF-16BE with a two-byte terminator, and empty for an absent password', () => {
    expect(Buffer.from(bmpPassword('smeg')).toString('hex')).toBe('0073006d006500670000');
    expect(Buffer.from(bmpPassword('ä€')).toString('hex')).toBe('00e420ac0000');
    expect(bmpPassword('')).toEqual(Uint8Array.of(0, 0));
    expect(bmpPassword(null)).toEqual(new Uint8Array(0));
  });

  test('agrees with openssl kdf PKCS12KDF for any password, salt, id, length and hash', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<HashName>('SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'),
        fc.string({ maxLength: 20 }),
        fc.uint8Array({ minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 150 }),
        (hash, password, salt, id, iterations, length) => {
          const bmp = bmpPassword(password);
          const expected = openssl([
            'kdf',
            '-keylen',
            String(length),
            '-kdfopt',
            `digest:${opensslNames[hash]}`,
            '-kdfopt',
            `hexpass:${Buffer.from(bmp).toString('hex')}`,
            '-kdfopt',
            `hexsalt:${Buffer.from(salt).toString('hex')}`,
            '-kdfopt',
            `iter:${iterations}`,
            '-kdfopt',
            `id:${id}`,
            'PKCS12KDF',
          ])
            .toString()
            .trim()
            .replace(/:/g, '')
            .toLowerCase();
          expect(Buffer.from(pkcs12Kdf(hash, bmp, salt, iterations, id, length)).toString('hex')).toBe(expected);
        },
      ),
      { numRuns: 40 },
    );
  });
});
