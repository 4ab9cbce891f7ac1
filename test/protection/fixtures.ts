/**
 * Hand-made PKIMessages and signers for the protection tests: a minimal genm (pvno 2, names,
 * transactionID, senderNonce, optional senderKID and ITAVs), signers made from the certificate
 * factory's WebCrypto keys, and a small HTTP client for the `openssl cmp` mock server.
 */
import * as http from 'node:http';
import { randomBytes, webcrypto } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import { Certificate, Name } from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GenMsgContent, InfoTypeAndValue, PKIBody, PKIHeader, PKIMessage } from '../../src/asn1';
import { getCryptoProvider, type PrivateKeyHandle } from '../../src/crypto';
import { directoryName, parseName } from '../../src/pki/names';
import type { Issued } from '../pki/certificate-factory';

export interface GenmOptions {
  /** OpenSSL-style DN, e.g. '/CN=client' ('' is the NULL-DN), or a certificate whose subject to use. */
  sender: string | X509Certificate;
  recipient?: string;
  senderKID?: Uint8Array;
  itavs?: InfoTypeAndValue[];
  /** Replaces the genm body, e.g. by an ip. */
  body?: PKIBody;
  extraCerts?: X509Certificate[];
}

export function genmMessage(opts: GenmOptions): PKIMessage {
  return new PKIMessage({
    header: new PKIHeader({
      pvno: PKIHeader.cmp2000,
      sender: directoryName(typeof opts.sender === 'string' ? parseName(opts.sender) : subjectName(opts.sender)),
      recipient: directoryName(parseName(opts.recipient ?? '/CN=cmpflow test recipient')),
      messageTime: new Date(),
      transactionID: arrayBuffer(randomBytes(16)),
      senderNonce: arrayBuffer(randomBytes(16)),
      ...(opts.senderKID ? { senderKID: arrayBuffer(opts.senderKID) } : {}),
    }),
    body: opts.body ?? new PKIBody({ genm: new GenMsgContent(opts.itavs ?? []) }),
    ...(opts.extraCerts ? { extraCerts: opts.extraCerts.map(asnCertificate) } : {}),
  });
}

export function subjectName(cert: X509Certificate): Name {
  return AsnConvert.parse(cert.subjectName.toArrayBuffer(), Name);
}

export function asnCertificate(cert: X509Certificate): Certificate {
  return AsnConvert.parse(cert.rawData, Certificate);
}

export function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The subjectKeyIdentifier of a certificate (the factory and the test PKI always add one). */
export function subjectKeyId(cert: X509Certificate): Uint8Array {
  const ext = cert.getExtension('2.5.29.14');
  if (!ext) throw new Error(`certificate ${cert.subject} has no subjectKeyIdentifier`);
  // extnValue is the DER OCTET STRING holding the key identifier.
  const der = new Uint8Array(ext.value);
  return der.slice(2, 2 + der[1]!);
}

/** The certificate factory's WebCrypto key as a provider key handle, so protectPkiMessage can sign. */
export async function privateKeyOf(issued: Issued): Promise<PrivateKeyHandle> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', issued.key.pair.privateKey);
  return getCryptoProvider().importPrivateKey(new Uint8Array(pkcs8));
}

/** Finds `needle` in `haystack` exactly once and returns its offset. */
export function uniqueOffset(haystack: Uint8Array, needle: Uint8Array): number {
  const hay = Buffer.from(haystack);
  const first = hay.indexOf(Buffer.from(needle));
  if (first < 0 || hay.indexOf(Buffer.from(needle), first + 1) >= 0) throw new Error('needle not found exactly once');
  return first;
}

/** POSTs a DER PKIMessage to `url` (RFC 9811) and returns the response body. */
export function postPkiMessage(url: string, der: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent: false, headers: { 'Content-Type': 'application/pkixcmp', 'Content-Length': der.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
          else resolve(new Uint8Array(Buffer.concat(chunks)));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(Buffer.from(der));
  });
}

/**
 * An independent reading of a DER PKIMessage, for expected values that must not come from the
 * code under test: the encodings of header and body, DER(ProtectedPart) built from them, and the
 * bits of the protection.
 */
export interface MessageParts {
  header: Uint8Array;
  body: Uint8Array;
  protectedPart: Uint8Array;
  protection?: Uint8Array;
}

function tlv(der: Uint8Array, at: number): { start: number; end: number } {
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i]!;
    start += n;
  }
  return { start, end: start + length };
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const octets: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) octets.unshift(v % 256);
  return [0x80 | octets.length, ...octets];
}

/** The content octets of one DER element. */
export function contentOf(element: Uint8Array): Uint8Array {
  const { start, end } = tlv(element, 0);
  return element.slice(start, end);
}

export function sequenceOf(...parts: Uint8Array[]): Uint8Array {
  const content = Buffer.concat(parts);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, ...derLength(content.length)]), content]));
}

export function messageParts(der: Uint8Array): MessageParts {
  const outer = tlv(der, 0);
  const headerEnd = tlv(der, outer.start).end;
  const bodyEnd = tlv(der, headerEnd).end;
  const header = der.slice(outer.start, headerEnd);
  const body = der.slice(headerEnd, bodyEnd);
  const parts: MessageParts = { header, body, protectedPart: sequenceOf(header, body) };
  if (bodyEnd < outer.end && der[bodyEnd] === 0xa0) {
    const bitString = tlv(der, tlv(der, bodyEnd).start);
    parts.protection = der.slice(bitString.start + 1, bitString.end);
  }
  return parts;
}

/** A PKIMessage DER from its parts: header, body, then `[0] BIT STRING` protection and any trailing elements. */
export function assembleMessage(header: Uint8Array, body: Uint8Array, protection: Uint8Array, trailing: Uint8Array = new Uint8Array(0)): Uint8Array {
  const bits = Buffer.concat([Buffer.from([0x03, ...derLength(protection.length + 1), 0x00]), protection]);
  const tagged = Buffer.concat([Buffer.from([0xa0, ...derLength(bits.length)]), bits]);
  const content = Buffer.concat([header, body, tagged, trailing]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, ...derLength(content.length)]), content]));
}
