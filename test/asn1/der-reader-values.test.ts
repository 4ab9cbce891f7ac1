/**
 * What the DER reader hands out after the ninth session's cuts in its allocations and lookups
 * (issue #22): the same values as before, each ArrayBuffer a buffer of its own, certificates
 * decoded by CMPCertificate's static fromDer, OIDs found again by the hash of their octets only
 * when the octets are the same.
 */
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { OctetString } from '@peculiar/asn1-schema';
import {
  clearCmpCertificateCache,
  CMPCertificate,
  decodeDer,
  decodePkiMessage,
  encodeDer,
  encodeTlv,
  frozenCmpCertificate,
  PKIMessage,
} from '../../src/asn1';
import { parseDer } from '../../src/asn1/der-reader';
import { certificate, plain, sampleMessage } from './samples';

describe('ArrayBuffer values of a decoded message', () => {
  const der = encodeDer(sampleMessage('ip'));

  it('are ArrayBuffers of their own holding exactly the content, unchanged when the input changes', () => {
    const input = Uint8Array.from(der);
    const msg = parseDer(input, PKIMessage);
    const expected = decodePkiMessage(der);
    const values = [msg.header.transactionID, msg.header.senderNonce, msg.header.recipNonce, msg.protection].filter((v) => v !== undefined);
    expect(values.length).toBeGreaterThanOrEqual(3);
    for (const v of values) expect(v).toBeInstanceOf(ArrayBuffer);
    expect(new Set(values).size).toBe(values.length);
    expect(Buffer.from(msg.header.senderNonce!).toString('hex')).toBe(Buffer.from(expected.header.senderNonce!).toString('hex'));
    const before = plain(msg.header);
    input.fill(0xee);
    expect(plain(msg.header)).toEqual(before);
  });

  it('are left alone by a caller changing another value of the same message', () => {
    const msg = decodePkiMessage(der);
    const nonce = Buffer.from(msg.header.senderNonce!).toString('hex');
    new Uint8Array(msg.header.transactionID!).fill(0);
    expect(Buffer.from(msg.header.senderNonce!).toString('hex')).toBe(nonce);
  });

  it('include the content of an asn1-schema OctetString as its own buffer', () => {
    const content = Uint8Array.of(1, 2, 3, 4, 5);
    const input = encodeTlv(0x04, content);
    const value = parseDer(input, OctetString);
    expect(value.buffer).toBeInstanceOf(ArrayBuffer);
    input.fill(0);
    expect([...new Uint8Array(value.buffer)]).toEqual([...content]);
  });
});

describe('certificates inside a message', () => {
  it("are decoded by CMPCertificate's static fromDer, once per certificate, to the strict decoding of their bytes", () => {
    clearCmpCertificateCache();
    const msg = sampleMessage('ip');
    msg.extraCerts = [frozenCmpCertificate(encodeDer(certificate))];
    const der = encodeDer(msg);
    const fromDer = jest.spyOn(CMPCertificate, 'fromDer');
    try {
      const decoded = decodePkiMessage(der);
      expect(fromDer.mock.calls.length).toBeGreaterThanOrEqual(decoded.extraCerts!.length);
      const cert = decoded.extraCerts![0]!;
      expect(cert).toBeInstanceOf(CMPCertificate);
      expect(plain(cert)).toEqual(plain(decodeDer(encodeDer(certificate), Certificate)));
    } finally {
      fromDer.mockRestore();
    }
  });
});

describe('OBJECT IDENTIFIERs read again', () => {
  // Content octets whose 30-bit FNV-1a hashes, the reader's cache key, are equal.
  const a = Uint8Array.of(0x2b, 0x06, 0x01, 0x04, 0x01, 0x07, 0x7c, 0x62, 0x52);
  const b = Uint8Array.of(0x2b, 0x06, 0x01, 0x04, 0x01, 0x59, 0x29, 0x4b, 0x4e);
  const algorithm = (content: Uint8Array) => parseDer(encodeTlv(0x30, encodeTlv(0x06, content)), AlgorithmIdentifier).algorithm;

  it('give their own dotted form even when another OID with the same hash was read before', () => {
    for (let i = 0; i < 3; i++) {
      expect(algorithm(a)).toBe('1.3.6.1.4.1.7.124.98.82');
      expect(algorithm(b)).toBe('1.3.6.1.4.1.89.41.75.78');
    }
  });

  it('are not changed in the cache by a change of the input they were read from', () => {
    const input = Uint8Array.from(a);
    expect(algorithm(input)).toBe('1.3.6.1.4.1.7.124.98.82');
    input[5] = 0x08;
    expect(algorithm(input)).toBe('1.3.6.1.4.1.8.124.98.82');
    expect(algorithm(a)).toBe('1.3.6.1.4.1.7.124.98.82');
  });
});
