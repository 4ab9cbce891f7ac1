import { createHash, randomBytes } from 'crypto';
import fc from 'fast-check';
import { NodeCryptoProvider } from '../../src/crypto/node';
import { iterateSha256, iterateSha256InJs } from '../../src/crypto/sha256-iteration';
import { instantiateSha256Iteration, sha256IterationModuleBytes } from '../../src/crypto/sha256-wasm';
import { SHA256_ITERATION_MODULE_BASE64 } from '../../src/crypto/sha256-wasm-module';

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

  it('refuses a value that is not 32 bytes long, and a count of rounds that is not a whole number >= 0', () => {
    expect(() => iterateSha256(new Uint8Array(31), 1)).toThrow(RangeError);
    expect(() => iterateSha256(new Uint8Array(32), -1)).toThrow(RangeError);
    expect(() => iterateSha256(new Uint8Array(32), 1.5)).toThrow(RangeError);
  });

  it('runs as WebAssembly under Node, and the JavaScript compression gives the same values', () => {
    expect(instantiateSha256Iteration()).toBeDefined();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 600 }), (digest, rounds) => {
        expect(Buffer.from(iterateSha256InJs(digest, rounds)).toString('hex')).toBe(Buffer.from(iterateSha256(digest, rounds)).toString('hex'));
      }),
      { numRuns: 50 },
    );
    expect(Buffer.from(iterateSha256InJs(new Uint8Array(32), 500)).toString('hex')).toBe(
      Buffer.from(chained(new Uint8Array(32), 500)).toString('hex'),
    );
  });

  it('WebAssembly iterate: 0 rounds leave the state as it is, each round hashes its big-endian bytes', () => {
    const module = instantiateSha256Iteration()!;
    module.state.set([1, 2, 3, 4, 5, 6, 7, 8]);
    module.iterate(0);
    expect(Array.from(module.state)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    module.state.fill(0);
    module.iterate(2);
    const bigEndian = Buffer.alloc(32);
    module.state.forEach((word, i) => bigEndian.writeInt32BE(word, 4 * i));
    expect(bigEndian.toString('hex')).toBe(Buffer.from(chained(new Uint8Array(32), 2)).toString('hex'));
  });

  it('ships the bytes its assembler produces', () => {
    expect(Buffer.from(SHA256_ITERATION_MODULE_BASE64, 'base64').toString('hex')).toBe(Buffer.from(sha256IterationModuleBytes()).toString('hex'));
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
