/**
 * Hand-made PKIMessages and signers for the protection tests: a minimal genm (pvno 2, names,
 * transactionID, senderNonce, optional senderKID and ITAVs), signers made from the certificate
 * factory's WebCrypto keys, and a small HTTP client for the `openssl cmp` mock server.
 */
import * as http from 'node:http';
import { randomBytes, webcrypto } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import { Certificate } from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GenMsgContent, InfoTypeAndValue, PKIBody, PKIHeader, PKIMessage } from '../../src/asn1';
import { getCryptoProvider, type PrivateKeyHandle } from '../../src/crypto';
import { directoryName, parseName } from '../../src/message/names';
import type { Issued } from '../validation/certificate-factory';

export interface GenmOptions {
  /** OpenSSL-style DN, e.g. '/CN=client'; '' is the NULL-DN. */
  sender: string;
  recipient?: string;
  senderKID?: Uint8Array;
  itavs?: InfoTypeAndValue[];
  extraCerts?: X509Certificate[];
}

export function genmMessage(opts: GenmOptions): PKIMessage {
  return new PKIMessage({
    header: new PKIHeader({
      pvno: PKIHeader.cmp2000,
      sender: directoryName(parseName(opts.sender)),
      recipient: directoryName(parseName(opts.recipient ?? '/CN=cmpflow test recipient')),
      messageTime: new Date(),
      transactionID: arrayBuffer(randomBytes(16)),
      senderNonce: arrayBuffer(randomBytes(16)),
      ...(opts.senderKID ? { senderKID: arrayBuffer(opts.senderKID) } : {}),
    }),
    body: new PKIBody({ genm: new GenMsgContent(opts.itavs ?? []) }),
    ...(opts.extraCerts ? { extraCerts: opts.extraCerts.map(asnCertificate) } : {}),
  });
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
      { method: 'POST', headers: { 'Content-Type': 'application/pkixcmp', 'Content-Length': der.length } },
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
