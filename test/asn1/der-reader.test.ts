import fc from 'fast-check';
import { AlgorithmIdentifier, Certificate, CertificateList, Time } from '@peculiar/asn1-x509';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { PKIMessage, PKI_BODY_TYPES } from '../../src/asn1/cmp/message';
import { clearCmpCertificateCache } from '../../src/asn1/cmp/cmp_certificate';
import { decodeDerChecked, encodeDer } from '../../src/asn1/der-codec';
import { readDer } from '../../src/asn1/der';
import { parseDer } from '../../src/asn1/der-reader';
import { readMessageFile } from '../../src/asn1';
import { messageVectors, readVector, relativeName, vectorFiles } from './vectors';
import {
  currentDecodeOutcome,
  intendedlyStricter,
  referenceDecodeChecked,
  referenceParse,
  valueDifference,
  type Ctor,
} from '../support/asn1-reference';
import { crl, csr, sampleMessage } from './samples';

const oldParse = referenceParse;
const oldDecodeChecked = referenceDecodeChecked;
const difference = valueDifference;

function expectSameAsOld<T>(bytes: Uint8Array, type: Ctor<T>): void {
  clearCmpCertificateCache();
  const expected = oldParse(bytes, type);
  clearCmpCertificateCache();
  expect(difference(parseDer(bytes, type), expected)).toBeUndefined();
}

const messages = messageVectors().map((f) => ({ name: relativeName(f), bytes: readVector(f) }));

describe('parseDer gives what asn1js and AsnParser.fromASN give', () => {
  it.each(messages.map((m) => [m.name, m.bytes] as const))('for the captured message %s', (_, bytes) => {
    expectSameAsOld(bytes, PKIMessage);
  });

  const certificates = vectorFiles()
    .filter((f) => /\.(crt|pem|der|cer)$/.test(f))
    .filter(
      (f) =>
        !Buffer.from(readVector(f)).toString('latin1').startsWith('-----BEGIN') ||
        Buffer.from(readVector(f)).toString('latin1').includes('BEGIN CERTIFICATE'),
    )
    .map((f) => [relativeName(f), readMessageFile(readVector(f))] as const);
  it.each(certificates)('for the certificate %s', (_, bytes) => {
    expectSameAsOld(bytes, Certificate);
  });

  it('for the certificates, CRLs and CSRs that test fixtures carry', () => {
    expectSameAsOld(encodeDer(crl()), CertificateList);
    expectSameAsOld(encodeDer(csr), CertificationRequest);
    for (const { bytes } of messages) {
      const message = parseDer(bytes, PKIMessage);
      for (const cert of message.extraCerts ?? []) expectSameAsOld(encodeDer(cert), Certificate);
    }
  });

  it.each(PKI_BODY_TYPES.map((t) => [t]))('for a %s message built from scratch', (type) => {
    expectSameAsOld(encodeDer(sampleMessage(type)), PKIMessage);
  });
});

describe('times, read without asn1js in their plain DER forms', () => {
  const time = (tag: number, text: string) => Uint8Array.from([tag, text.length, ...Buffer.from(text, 'latin1')]);
  it.each([
    ['UTCTime in 2049', time(0x17, '491231235959Z')],
    ['UTCTime in 1950', time(0x17, '500101000000Z')],
    ['GeneralizedTime', time(0x18, '20500101000000Z')],
    ['a month out of range, rolled over as asn1js does', time(0x18, '20501301000000Z')],
    ['GeneralizedTime with a fraction (not plain: asn1js reads it)', time(0x18, '20500101000000.5Z')],
    ['GeneralizedTime with an offset (not plain)', time(0x18, '20500101000000+0100')],
  ])('%s gives the Date asn1js gives', (_, bytes) => {
    expectSameAsOld(bytes, Time);
  });

  it.each([['a letter among the digits', time(0x18, '2050010100000xZ')]])('a time string with %s fails as it did', (_, bad) => {
    expect(() => oldParse(bad, Time)).toThrow();
    expect(() => parseDer(bad, Time)).toThrow();
  });
});

describe('strings cut off mid-character, even inside an open type that is kept as bytes', () => {
  // AlgorithmIdentifier { 1.2.3.4, parameters ANY }: asn1js reads the whole tree and throws.
  const withParameters = (tag: number, length: number) =>
    Uint8Array.from([0x30, 7 + length, 0x06, 0x03, 0x2a, 0x03, 0x04, tag, length, ...Array<number>(length).fill(0x41)]);
  it.each([
    ['a BMPString of 3 octets', withParameters(0x1e, 3)],
    ['a UniversalString of 5 octets', withParameters(0x1c, 5)],
  ])('%s fails as it did', (_, bad) => {
    expect(() => oldParse(bad, AlgorithmIdentifier)).toThrow();
    expect(() => parseDer(bad, AlgorithmIdentifier)).toThrow();
  });

  it.each([
    ['a BMPString of 4 octets', withParameters(0x1e, 4)],
    ['a UniversalString of 8 octets', withParameters(0x1c, 8)],
  ])('%s is kept as it was', (_, good) => {
    expectSameAsOld(good, AlgorithmIdentifier);
  });
});

describe('a BIT STRING under an IMPLICIT tag whose unused-bits octet is above 7', () => {
  it('is refused, where asn1js let it through because it saw only a context-tagged primitive', () => {
    const cert = messages.flatMap((m) => parseDer(m.bytes, PKIMessage).extraCerts ?? [])[0]!;
    const der = Uint8Array.from(encodeDer(cert));
    const tbs = readDer(der).children![0]!;
    const extensions = tbs.children!.find((n) => n.tagClass === 2 && n.tagNumber === 3)!;
    // [3] Extensions becomes [1] IMPLICIT issuerUniqueID: its first content octet, 0x30, now
    // stands where a BIT STRING says how many bits of its last octet are unused.
    der[extensions.start] = 0x81;
    clearCmpCertificateCache();
    expect(oldDecodeChecked(der, Certificate)).toBeDefined();
    clearCmpCertificateCache();
    expect(() => decodeDerChecked(der, Certificate)).toThrow(expect.objectContaining({ code: 'ERR_ASN1_DECODE' }));
    expect(intendedlyStricter(currentDecodeOutcome(der, Certificate).error)).toBe(true);
  });
});

describe('decodeDerChecked with parseDer decides as it did with asn1js', () => {
  const originals = [...messages.map((m) => m.bytes), ...PKI_BODY_TYPES.map((t) => encodeDer(sampleMessage(t)))];
  const mutation = fc.record({
    which: fc.nat(originals.length - 1),
    kind: fc.constantFrom('flip', 'truncate', 'tag'),
    at: fc.nat(),
    bit: fc.nat(7),
    tag: fc.integer({ min: 0, max: 255 }),
  });

  function mutate(m: { which: number; kind: string; at: number; bit: number; tag: number }): Uint8Array {
    const out = Uint8Array.from(originals[m.which]!);
    const at = m.at % out.length;
    if (m.kind === 'truncate') return out.subarray(0, at);
    if (m.kind === 'flip') out[at] ^= 1 << m.bit;
    else out[at] = m.tag;
    return out;
  }

  it('on mutated encodings: both fail, or both succeed with equal values', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const input = mutate(m);
        clearCmpCertificateCache();
        const before = oldDecodeChecked(input, PKIMessage);
        clearCmpCertificateCache();
        const outcome = currentDecodeOutcome(input, PKIMessage);
        if (before !== undefined && intendedlyStricter(outcome.error)) return;
        const after = outcome.value;
        expect(after === undefined).toBe(before === undefined);
        if (before !== undefined) expect(difference(after, before)).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });
});
