import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import fc from 'fast-check';
import { PBMParameter } from '../../src/asn1/crmf/pbm_parameter';
import { encodeTlv, sequenceElements } from '../../src/asn1/der';
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
