import fc from 'fast-check';
import { CmpError } from '../../src/errors';
import { decodePkiMessage, dumpPkiMessage, encodePkiMessage } from '../../src/asn1';
import { readVector } from './vectors';
import { sampleMessage } from './samples';

const originals: Uint8Array[] = [
  readVector('rustcrypto-cmpv2/ir_req_01.bin'),
  readVector('rustcrypto-cmpv2/genm_rsp_01.bin'),
  readVector('rustcrypto-cmpv2/rr_rsp_01.bin'),
  readVector('lightweightcmpra/IrWithMacProtection/downstream_INIT_REQ.PKI'),
  readVector('lightweightcmpra/CrDelayed/downstream_POLL_REP.PKI'),
  encodePkiMessage(sampleMessage('ir')),
  encodePkiMessage(sampleMessage('genp')),
];

const MAX_MS_PER_INPUT = 1000;

/** Decoding either yields a message that re-encodes to its input, or a CmpError ERR_ASN1_*; fast. */
function decodesSafely(input: Uint8Array): void {
  const started = Date.now();
  try {
    const msg = decodePkiMessage(input);
    expect(Buffer.from(encodePkiMessage(msg)).equals(Buffer.from(input))).toBe(true);
    dumpPkiMessage(msg);
  } catch (e) {
    if (!(e instanceof CmpError) || !e.code.startsWith('ERR_ASN1_')) throw e;
  }
  expect(Date.now() - started).toBeLessThan(MAX_MS_PER_INPUT);
}

const original = fc.integer({ min: 0, max: originals.length - 1 }).map((i) => originals[i]);

describe('decoding mutated real messages', () => {
  it('survives bit flips', () => {
    fc.assert(
      fc.property(original, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (der, positions) => {
        const mutated = Uint8Array.from(der);
        for (const p of positions) mutated[p % mutated.length] ^= 1 << (p % 8);
        decodesSafely(mutated);
      }),
      { numRuns: 150 },
    );
  });

  it('survives truncation', () => {
    fc.assert(
      fc.property(original, fc.nat(), (der, cut) => decodesSafely(der.subarray(0, cut % der.length))),
      { numRuns: 60 },
    );
  });

  it('survives splices of random bytes and of pieces of other messages', () => {
    fc.assert(
      fc.property(
        original,
        original,
        fc.nat(),
        fc.nat(),
        fc.nat({ max: 64 }),
        fc.uint8Array({ maxLength: 16 }),
        (der, donor, at, from, length, noise) => {
          const i = at % der.length;
          const piece = donor.subarray(from % donor.length, (from % donor.length) + length);
          const mutated = new Uint8Array([...der.subarray(0, i), ...noise, ...piece, ...der.subarray(i + length)]);
          decodesSafely(mutated);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('survives length octets replaced by extreme values', () => {
    fc.assert(
      fc.property(
        original,
        fc.nat(),
        fc.constantFrom([0x80], [0x84, 0xff, 0xff, 0xff, 0xff], [0x82, 0xff, 0xff], [0x81, 0x00], [0xff], [0x00]),
        (der, at, length) => {
          const i = (at % (der.length - 1)) + 1;
          const mutated = new Uint8Array([...der.subarray(0, i), ...length, ...der.subarray(i + 1)]);
          decodesSafely(mutated);
        },
      ),
      { numRuns: 80 },
    );
  });
});
