import { CmpError } from '../../src/errors';
import { decodeDer, decodePkiMessage, encodeTlv, nodeContent, PKIHeader, readDer, sameStructure, sequenceElements } from '../../src/asn1';
import { messageVectors, readVector } from './vectors';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CmpError);
    return (e as CmpError).code;
  }
  throw new Error('expected a CmpError, but nothing was thrown');
}

const sample = readVector('rustcrypto-cmpv2/ir_req_01.bin');

describe('strict reading of a PKIMessage', () => {
  it('rejects a message cut short anywhere with ERR_ASN1_LENGTH', () => {
    for (const cut of [1, 2, 3, 10, sample.length / 2, sample.length - 1]) {
      expect(codeOf(() => decodePkiMessage(sample.subarray(0, Math.floor(cut))))).toBe('ERR_ASN1_LENGTH');
    }
  });

  it('rejects bytes after the message with ERR_ASN1_TRAILING_DATA', () => {
    const padded = new Uint8Array([...sample, 0x00]);
    expect(codeOf(() => decodePkiMessage(padded))).toBe('ERR_ASN1_TRAILING_DATA');
    const twice = new Uint8Array([...sample, ...sample]);
    expect(codeOf(() => decodePkiMessage(twice))).toBe('ERR_ASN1_TRAILING_DATA');
  });

  it('rejects an outer element that is not a SEQUENCE with ERR_ASN1_DECODE', () => {
    const asSet = Uint8Array.from(sample);
    asSet[0] = 0x31;
    expect(codeOf(() => decodePkiMessage(asSet))).toBe('ERR_ASN1_DECODE');
    expect(codeOf(() => decodePkiMessage(Uint8Array.of(0x02, 0x01, 0x05)))).toBe('ERR_ASN1_DECODE');
  });

  it('rejects a body with a tag PKIBody does not define with ERR_ASN1_DECODE', () => {
    const [header, body, ...rest] = sequenceElements(sample);
    const wrong = Uint8Array.from(body);
    wrong[0] = 0xbb; // [27], one past pollRep
    expect(codeOf(() => decodePkiMessage(encodeTlv(0x30, header, wrong, ...rest)))).toBe('ERR_ASN1_DECODE');
  });

  it('rejects the indefinite length form with ERR_ASN1_INDEFINITE_LENGTH', () => {
    const [header, body] = sequenceElements(sample);
    const indefinite = new Uint8Array([0x30, 0x80, ...header, ...body, 0x00, 0x00]);
    expect(codeOf(() => decodePkiMessage(indefinite))).toBe('ERR_ASN1_INDEFINITE_LENGTH');
    const innerIndefinite = Uint8Array.of(0x30, 0x06, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00);
    expect(codeOf(() => decodePkiMessage(innerIndefinite))).toBe('ERR_ASN1_INDEFINITE_LENGTH');
  });

  it('rejects an absurd length with ERR_ASN1_LENGTH without allocating it', () => {
    expect(codeOf(() => decodePkiMessage(Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00)))).toBe('ERR_ASN1_LENGTH');
    expect(codeOf(() => decodePkiMessage(Uint8Array.of(0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9)))).toBe('ERR_ASN1_LENGTH');
    expect(codeOf(() => decodePkiMessage(Uint8Array.of(0x30, 0x82, 0x01)))).toBe('ERR_ASN1_LENGTH');
  });

  it('rejects empty input and random bytes with ERR_ASN1_* codes', () => {
    expect(codeOf(() => decodePkiMessage(new Uint8Array(0)))).toBe('ERR_ASN1_DECODE');
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff;
    for (let i = 0; i < 200; i++) {
      const bytes = Uint8Array.from({ length: 1 + (i % 64) }, random);
      expect(codeOf(() => decodePkiMessage(bytes))).toMatch(/^ERR_ASN1_(DECODE|LENGTH|INDEFINITE_LENGTH|TRAILING_DATA)$/);
    }
  });

  it('rejects nesting deeper than the limit with ERR_ASN1_DECODE', () => {
    let deep: Uint8Array = Uint8Array.of(0x05, 0x00);
    for (let i = 0; i < 100; i++) deep = encodeTlv(0x30, deep);
    expect(codeOf(() => readDer(deep))).toBe('ERR_ASN1_DECODE');
    expect(codeOf(() => decodePkiMessage(deep))).toBe('ERR_ASN1_DECODE');
    expect(() => readDer(deep, { maxDepth: 200 })).not.toThrow();
  });

  it('rejects constructed encodings of primitive types, which DER forbids', () => {
    const constructedOctets = Uint8Array.of(0x24, 0x04, 0x04, 0x02, 0xab, 0xcd);
    expect(codeOf(() => readDer(constructedOctets))).toBe('ERR_ASN1_DECODE');
    expect(codeOf(() => readDer(Uint8Array.of(0x10, 0x00)))).toBe('ERR_ASN1_DECODE');
  });

  it('rejects a SEQUENCE with an element its ASN.1 type does not have, instead of dropping it', () => {
    const [header, ...rest] = sequenceElements(sample);
    const headerElements = sequenceElements(header);
    const extraField = encodeTlv(0x30, ...headerElements, encodeTlv(0xa9, Uint8Array.of(0x05, 0x00)));
    expect(codeOf(() => decodeDer(extraField, PKIHeader))).toBe('ERR_ASN1_DECODE');
    expect(codeOf(() => decodePkiMessage(encodeTlv(0x30, extraField, ...rest)))).toBe('ERR_ASN1_DECODE');
  });

  it('accepts every recorded message (the strictness does not reject real DER)', () => {
    for (const file of messageVectors()) expect(() => decodePkiMessage(readVector(file))).not.toThrow();
  });
});

describe('DER element slices', () => {
  it('give the exact encodings of a SEQUENCE element by element', () => {
    const elements = sequenceElements(sample);
    expect(Buffer.concat(elements).equals(Buffer.from(nodeContent(sample, readDer(sample))))).toBe(true);
    expect(elements.map((e) => e[0])).toEqual([0x30, 0xa0, 0xa0]);
  });

  it('tell equal structure apart from missing or extra elements', () => {
    const a = encodeTlv(0x30, Uint8Array.of(0x02, 0x01, 0x05), Uint8Array.of(0x04, 0x00));
    const b = encodeTlv(0x30, Uint8Array.of(0x02, 0x02, 0x00, 0x85), Uint8Array.of(0x04, 0x01, 0x07));
    const c = encodeTlv(0x30, Uint8Array.of(0x02, 0x01, 0x05));
    expect(sameStructure(a, b)).toBe(true);
    expect(sameStructure(a, c)).toBe(false);
    const withDefault = encodeTlv(0x30, Uint8Array.of(0x01, 0x01, 0x00), Uint8Array.of(0x04, 0x00));
    expect(sameStructure(withDefault, encodeTlv(0x30, Uint8Array.of(0x04, 0x00)))).toBe(true);
  });
});

describe('lists that carry nothing', () => {
  const rp = new Uint8Array(require('fs').readFileSync(require('path').join(__dirname, 'fixtures/openssl-mock-rp-empty-revcerts.der')));

  it('reads an empty tagged revCerts list (OpenSSL mock server, rr by CSR) as absent, as OpenSSL does', () => {
    const message = decodePkiMessage(rp);
    expect(message.body.rp?.status).toHaveLength(1);
    expect(message.body.rp?.revCerts).toBeUndefined();
  });
});
