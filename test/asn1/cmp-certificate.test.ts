/**
 * Certificates in CMP messages are decoded through a cache of known encodings (CMPCertificate):
 * what a message decodes to, what it re-encodes to and what is refused must be exactly what the
 * schema alone would give.
 */
import { AsnConvert, AsnSerializer } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import {
  clearCmpCertificateCache,
  CMPCertificate,
  decodeDer,
  decodePkiMessage,
  encodeDer,
  encodePkiMessage,
  encodeTlv,
  frozenCmpCertificate,
  PKIMessage,
  protectedPartBytes,
  readDer,
  receivedProtectedPart,
} from '../../src/asn1';
import { replaceElements } from '../../src/asn1/der';
import { isCmpError } from '../../src/errors';
import { certificate, otherCertificate, plain, sampleMessage } from './samples';

const hex = (b: Uint8Array | ArrayBuffer) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');
const certDer = new Uint8Array(AsnConvert.serialize(certificate));

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'no error';
  } catch (e) {
    return isCmpError(e) ? e.code : 'not a CmpError';
  }
}

describe('certificates in decoded messages', () => {
  const ip = encodeDer(sampleMessage('ip'));

  it('decode to the same values with and without known encodings, as CMPCertificates', () => {
    clearCmpCertificateCache();
    const first = decodePkiMessage(ip);
    const second = decodePkiMessage(ip);
    expect(plain(second)).toEqual(plain(first));
    expect(second.extraCerts![0]).toBeInstanceOf(CMPCertificate);
    expect(second.extraCerts![0]).toBeInstanceOf(Certificate);
    expect(plain(second.extraCerts![0])).toEqual(plain(decodeDer(certDer, Certificate)));
    expect(hex(encodePkiMessage(second))).toBe(hex(ip));
  });

  it('are objects of each message alone: changing one changes neither the next decoding nor its encoding', () => {
    const changed = decodePkiMessage(ip);
    changed.extraCerts![0]!.tbsCertificate.serialNumber = Uint8Array.of(0x01, 0x02).buffer;
    const next = decodePkiMessage(ip);
    expect(hex(next.extraCerts![0]!.tbsCertificate.serialNumber)).toBe(hex(certificate.tbsCertificate.serialNumber));
    expect(hex(encodePkiMessage(next))).toBe(hex(ip));
    // The change is encoded: a decoded certificate is encoded from its value outside decoding.
    expect(hex(encodeDer(changed.extraCerts![0]!))).not.toBe(hex(certDer));
    expect(hex(encodePkiMessage(changed))).not.toBe(hex(ip));
  });

  it('have own fields like a schema-decoded certificate, each set or read alone', () => {
    decodePkiMessage(ip);
    const [first] = decodePkiMessage(ip).extraCerts!;
    expect(Object.keys(first!)).toEqual(Object.keys(decodeDer(certDer, Certificate)));
    // A field replaced before anything read it is replaced; the others are still the schema's.
    const algorithm = first!.signatureAlgorithm;
    first!.signatureValue = Uint8Array.of(1, 2, 3).buffer;
    expect(hex(first!.signatureValue)).toBe('010203');
    expect(first!.signatureAlgorithm).toBe(algorithm);
    expect(plain(first!.tbsCertificate)).toEqual(plain(decodeDer(certDer, Certificate).tbsCertificate));
    expect(hex(encodeDer(decodePkiMessage(ip).extraCerts![0]!))).toBe(hex(certDer));
  });

  it('frozen before their fields are read refuse changes and still read as the schema decoded them', () => {
    decodePkiMessage(ip);
    const cert = Object.freeze(decodePkiMessage(ip).extraCerts![0]!);
    expect(() => {
      (cert as { signatureValue: ArrayBuffer }).signatureValue = new ArrayBuffer(1);
    }).toThrow(TypeError);
    expect(plain(cert)).toEqual(plain(decodeDer(certDer, Certificate)));
  });

  it('give protection the received header and body', () => {
    const msg = decodePkiMessage(ip);
    expect(hex(receivedProtectedPart(msg)!)).toBe(hex(protectedPartBytes(msg)));
    expect(receivedProtectedPart(sampleMessage('ip'))).toBeUndefined();
  });

  it('that are no certificates make the message fail as before, known or not', () => {
    const notACertificate = encodeTlv(0x30, Uint8Array.of(0x02, 0x01, 0x05));
    const msg = readDer(ip);
    const extraCerts = msg.children![msg.children!.length - 1]!.children![0]!;
    const bad = replaceElements(ip, msg, [extraCerts.children![0]!], notACertificate).bytes;
    expect(codeOf(() => decodePkiMessage(bad))).toBe('ERR_ASN1_DECODE');
    clearCmpCertificateCache();
    expect(codeOf(() => decodePkiMessage(bad))).toBe('ERR_ASN1_DECODE');
  });

  it('with an element the schema does not know are refused', () => {
    decodePkiMessage(ip);
    // A certificate with one more element at its end.
    const longer = encodeTlv(0x30, ...readDer(certDer).children!.map((c) => certDer.subarray(c.start, c.end)), Uint8Array.of(0x05, 0x00));
    const msg = readDer(ip);
    const extraCerts = msg.children![msg.children!.length - 1]!.children![0]!;
    const bad = replaceElements(ip, msg, [extraCerts.children![0]!], longer).bytes;
    expect(codeOf(() => decodePkiMessage(bad))).toBe('ERR_ASN1_DECODE');
  });
});

describe('frozenCmpCertificate', () => {
  it('encodes as the schema encodes the certificate, alone and inside a message', () => {
    const frozen = frozenCmpCertificate(certDer);
    expect(hex(encodeDer(frozen))).toBe(hex(certDer));
    const built = new PKIMessage({
      ...sampleMessage('genm'),
      extraCerts: [frozen, frozenCmpCertificate(new Uint8Array(AsnConvert.serialize(otherCertificate)))],
    });
    const plainBuilt = new PKIMessage({ ...sampleMessage('genm'), extraCerts: [certificate, otherCertificate] });
    expect(hex(encodeDer(built))).toBe(hex(AsnSerializer.serialize(plainBuilt)));
  });

  it('is one immutable instance per encoding', () => {
    const frozen = frozenCmpCertificate(certDer);
    expect(frozenCmpCertificate(Uint8Array.from(certDer))).toBe(frozen);
    expect(Object.isFrozen(frozen.tbsCertificate.subject)).toBe(true);
    expect(() => {
      (frozen.tbsCertificate as { version: number }).version = 0;
    }).toThrow(TypeError);
  });

  it('refuses bytes that are no certificate', () => {
    expect(codeOf(() => frozenCmpCertificate(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x05)))).toBe('ERR_ASN1_DECODE');
  });
});

describe('replaceElements', () => {
  it('puts the replacement in place and encodes the lengths around it again', () => {
    const inner = encodeTlv(0x04, new Uint8Array(200).fill(7));
    const der = encodeTlv(0x30, encodeTlv(0x31, Uint8Array.of(0x02, 0x01, 0x01), inner), Uint8Array.of(0x02, 0x01, 0x02));
    const root = readDer(der);
    const target = root.children![0]!.children![1]!;
    const { bytes, offsets } = replaceElements(der, root, [target], Uint8Array.of(0x30, 0x00));
    expect(hex(bytes)).toBe(
      hex(encodeTlv(0x30, encodeTlv(0x31, Uint8Array.of(0x02, 0x01, 0x01), Uint8Array.of(0x30, 0x00)), Uint8Array.of(0x02, 0x01, 0x02))),
    );
    expect(hex(bytes.subarray(offsets[0]!, offsets[0]! + 2))).toBe('3000');
  });
});
