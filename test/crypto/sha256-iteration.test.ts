import { createHash, randomBytes } from 'crypto';
import fc from 'fast-check';
import { NodeCryptoProvider } from '../../src/crypto/node';
import { iterateSha256 } from '../../src/crypto/sha256-iteration';

const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

function chained(data: Uint8Array, rounds: number): Uint8Array {
  let value = data;
  for (let i = 0; i < rounds; i++) value = sha256(value);
  return value;
}

describe('iterateSha256', () => {
  it('equals SHA-256 applied the same number of times by node:crypto, for any 32-byte value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 40 }), (digest, rounds) => {
        expect(Buffer.from(iterateSha256(digest, rounds)).toString('hex')).toBe(Buffer.from(chained(digest, rounds)).toString('hex'));
      }),
    );
  });

  it('matches the published SHA-256 of the SHA-256 of "abc"', () => {
    const abc = sha256(new TextEncoder().encode('abc'));
    expect(Buffer.from(abc).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(Buffer.from(iterateSha256(abc, 1)).toString('hex')).toBe('4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358');
  });

  it('refuses a value that is not 32 bytes long', () => {
    expect(() => iterateSha256(new Uint8Array(31), 1)).toThrow(RangeError);
  });
});

describe('NodeCryptoProvider.iteratedDigest with SHA-256', () => {
  const provider = new NodeCryptoProvider();
  it.each([1, 2, 500, 1000])('hashes %i times, like hashing the hash again each round', async (count) => {
    const data = new Uint8Array(randomBytes(45));
    expect(await provider.iteratedDigest('SHA-256', data, count)).toEqual(chained(data, count));
  });

  it('gives the same value when a derivation passes from node:crypto to the JavaScript rounds (a fresh process starts native)', async () => {
    // More rounds than the process hashes natively first: the rest run in JavaScript.
    const data = new Uint8Array(randomBytes(45));
    expect(await provider.iteratedDigest('SHA-256', data, 5000)).toEqual(chained(data, 5000));
    expect(await provider.iteratedDigest('SHA-256', data, 700)).toEqual(chained(data, 700));
  });
});
