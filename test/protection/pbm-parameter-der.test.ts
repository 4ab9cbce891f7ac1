import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import fc from 'fast-check';
import { PBMParameter } from '../../src/asn1/crmf/pbm_parameter';
import { encodeTlv, sequenceElements } from '../../src/asn1/der';
import * as derCodec from '../../src/asn1/der-codec';
import { decodeDer, encodeDer } from '../../src/asn1/der-codec';
import { decodePbmParameter, encodePbmParameter } from '../../src/protection/pbm-parameter-der';
import { isCmpError } from '../../src/errors';

const hex = (b: Uint8Array | ArrayBuffer) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

const algorithm = fc
  .record({
    algorithm: fc.constantFrom('2.16.840.1.101.3.4.2.1', '1.3.14.3.2.26', '1.3.6.1.5.5.8.1.2', '1.2.840.113549.2.9', '1.2.3.4.5.6.7.8'),
    parameters: fc.constantFrom<ArrayBuffer | null | undefined>(undefined, null, Uint8Array.of(0x04, 0x02, 0xab, 0xcd).buffer),
  })
  .map(({ algorithm: oid, parameters }) => new AlgorithmIdentifier({ algorithm: oid, ...(parameters !== undefined ? { parameters } : {}) }));

const parameter = fc
  .record({
    salt: fc.uint8Array({ maxLength: 64 }),
    owf: algorithm,
    iterationCount: fc.oneof(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.constantFrom(0n, 127n, 128n, 255n, 256n, -128n, -129n, 500n)),
    mac: algorithm,
  })
  .map((p) => new PBMParameter({ salt: Uint8Array.from(p.salt).buffer, owf: p.owf, iterationCount: p.iterationCount, mac: p.mac }));

/** What the strict decoder gives, or the code it fails with. */
function strictly(der: Uint8Array): string {
  try {
    return hex(encodeDer(decodeDer(der, PBMParameter)));
  } catch (e) {
    return isCmpError(e) ? e.code : 'not a CmpError';
  }
}

function quickly(der: Uint8Array): string {
  try {
    return hex(encodeDer(decodePbmParameter(der)));
  } catch (e) {
    return isCmpError(e) ? e.code : 'not a CmpError';
  }
}

describe('PBMParameter DER without asn1-schema', () => {
  it('encodes exactly as the schema does', () => {
    fc.assert(fc.property(parameter, (p) => expect(hex(encodePbmParameter(p))).toBe(hex(encodeDer(p)))));
  });

  it('decodes DER to the value the strict decoder gives', () => {
    fc.assert(
      fc.property(parameter, (p) => {
        const der = encodeDer(p);
        const decoded = decodePbmParameter(der);
        expect(decoded).toBeInstanceOf(PBMParameter);
        expect(decoded.iterationCount).toBe(p.iterationCount);
        expect(hex(decoded.salt)).toBe(hex(p.salt));
        expect(quickly(der)).toBe(strictly(der));
      }),
    );
  });

  it('leaves input that is not exactly DER to the strict decoder, with the same outcome', () => {
    const der = encodeDer(
      new PBMParameter({
        salt: new Uint8Array(8).buffer,
        owf: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1' }),
        iterationCount: 500n,
        mac: new AlgorithmIdentifier({ algorithm: '1.3.6.1.5.5.8.1.2' }),
      }),
    );
    const [salt, owf, , mac] = sequenceElements(der);
    const variants = [
      // INTEGER 500 with a superfluous leading zero octet
      encodeTlv(0x30, salt!, owf!, Uint8Array.of(0x02, 0x03, 0x00, 0x01, 0xf4), mac!),
      // the salt's length in long form
      encodeTlv(0x30, Uint8Array.of(0x04, 0x81, 0x08, ...new Uint8Array(8)), owf!, Uint8Array.of(0x02, 0x02, 0x01, 0xf4), mac!),
      // trailing garbage, a truncated element, and an empty input
      Uint8Array.from([...der, 0x00]),
      der.slice(0, der.length - 1),
      new Uint8Array(0),
    ];
    for (const v of variants) expect(quickly(v)).toBe(strictly(v));
  });

  it('reads exactly-DER input itself and hands every other spelling of the same value to the strict decoder', () => {
    const owf = encodeDer(new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1' }));
    const mac = encodeDer(new AlgorithmIdentifier({ algorithm: '1.3.6.1.5.5.8.1.2', parameters: null }));
    const salt = Uint8Array.of(0x04, 0x04, 1, 2, 3, 4);
    const count = Uint8Array.of(0x02, 0x02, 0x01, 0xf4);
    const exact = encodeTlv(0x30, salt, owf, count, mac);
    const longForm = (tlv: Uint8Array) => Uint8Array.of(tlv[0]!, 0x81, tlv.length - 2, ...tlv.subarray(2));
    const variants = {
      'the sequence length in long form': Uint8Array.of(0x30, 0x81, exact.length - 2, ...exact.subarray(2)),
      'the salt length in long form': encodeTlv(0x30, longForm(salt), owf, count, mac),
      'the count length in long form': encodeTlv(0x30, salt, owf, longForm(count), mac),
      'the count with a superfluous zero octet': encodeTlv(0x30, salt, owf, Uint8Array.of(0x02, 0x03, 0x00, 0x01, 0xf4), mac),
      'a negative count': encodeTlv(0x30, salt, owf, Uint8Array.of(0x02, 0x02, 0xfe, 0x0c), mac),
      'an empty count': encodeTlv(0x30, salt, owf, Uint8Array.of(0x02, 0x00), mac),
      'the salt under a high-tag-number identifier': encodeTlv(0x30, Uint8Array.of(0x1f, 0x04, ...salt.subarray(1)), owf, count, mac),
      'the owf with its length in long form': encodeTlv(0x30, salt, longForm(owf), count, mac),
      'the mac with its NULL parameters in long form': encodeTlv(
        0x30,
        salt,
        owf,
        count,
        Uint8Array.of(...mac.subarray(0, mac.length - 2), 0x05, 0x81, 0x00),
      ),
    };
    const strictCalls = jest.spyOn(derCodec, 'decodeDer');
    try {
      decodePbmParameter(exact);
      expect(strictCalls.mock.calls.filter(([, type]) => type === PBMParameter)).toHaveLength(0);
      for (const [what, der] of Object.entries(variants)) {
        strictCalls.mockClear();
        const outcome = quickly(der);
        const handedOn = strictCalls.mock.calls.some(([, type]) => type === PBMParameter);
        expect([what, handedOn, outcome]).toEqual([what, true, strictly(der)]);
      }
    } finally {
      strictCalls.mockRestore();
    }
  });

  it('any damage to exactly-DER input: the outcome is the strict decoder’s', () => {
    fc.assert(
      fc.property(parameter, fc.nat(), fc.integer({ min: 0, max: 7 }), (p, at, bit) => {
        const der = Uint8Array.from(encodeDer(p));
        der[at % der.length]! ^= 1 << bit;
        expect(quickly(der)).toBe(strictly(der));
      }),
      { numRuns: 300 },
    );
  });

  it('hands out values of its own: changing one does not change the next', () => {
    const der = encodeDer(
      new PBMParameter({
        salt: new Uint8Array(4).buffer,
        owf: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1' }),
        iterationCount: 500n,
        mac: new AlgorithmIdentifier({ algorithm: '1.3.6.1.5.5.8.1.2' }),
      }),
    );
    decodePbmParameter(der).owf.algorithm = '1.2.3';
    expect(decodePbmParameter(der).owf.algorithm).toBe('2.16.840.1.101.3.4.2.1');
  });
});
