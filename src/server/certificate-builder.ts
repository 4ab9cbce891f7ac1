/**
 * Building and signing X.509 certificates and CRLs (RFC 5280) from explicit fields. No policy
 * lives here: what goes into a certificate is decided by the issuance policy and the CA. Signing
 * goes through the crypto provider, so any key the provider can hold can be a CA key.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  Certificate,
  CertificateList,
  CRLNumber,
  CRLReason,
  Extension,
  Extensions,
  KeyIdentifier,
  Name,
  RevokedCertificate,
  SubjectPublicKeyInfo,
  TBSCertificate,
  TBSCertList,
  Time,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { PkixOids } from '../asn1';
import { defaultSignatureAlgorithm, getCryptoProvider, signatureAlgorithmId, type PrivateKeyHandle, type SignatureAlgorithm } from '../crypto';
import { CmpError, ErrorCodes } from '../errors';
import { toArrayBuffer } from '../message/bytes';

export interface Signer {
  key: PrivateKeyHandle;
  /** Default: the usual algorithm for the key (ECDSA with the curve's hash, RSA PKCS#1 v1.5 SHA-256, EdDSA). */
  algorithm?: SignatureAlgorithm;
}

export interface CertificateFields {
  serialNumber: Uint8Array;
  issuer: Name;
  subject: Name;
  notBefore: Date;
  notAfter: Date;
  /** DER SubjectPublicKeyInfo of the key to certify. */
  spki: Uint8Array;
  extensions: Extension[];
}

export interface SignedCertificate {
  der: Uint8Array;
  cert: X509Certificate;
}

/**
 * A positive 16-byte serial number (RFC 5280 4.1.2.2: at most 20 octets, unpredictable as CA/B
 * Forum asks): the first octet lies in 0x01..0x7f, so the INTEGER needs neither a sign octet nor
 * has a leading zero octet.
 */
export function randomSerial(): Uint8Array {
  const serial = getCryptoProvider().randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  return serial;
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the BIT STRING subjectPublicKey, without tag and length. */
export async function keyIdentifier(spki: Uint8Array): Promise<Uint8Array> {
  const info = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  return getCryptoProvider().digest('SHA-1', new Uint8Array(info.subjectPublicKey));
}

export function extension(extnID: string, critical: boolean, value: object | Uint8Array): Extension {
  const bytes = value instanceof Uint8Array ? value : new Uint8Array(AsnConvert.serialize(value));
  return new Extension({ extnID, critical, extnValue: new OctetString(toArrayBuffer(bytes)) });
}

export function subjectKeyIdentifierExtension(id: Uint8Array): Extension {
  return extension(PkixOids.subjectKeyIdentifier, false, new KeyIdentifier(toArrayBuffer(id)));
}

export function authorityKeyIdentifierExtension(id: Uint8Array): Extension {
  return extension(PkixOids.authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(toArrayBuffer(id)) }));
}

/** X.509 Time in whole seconds: UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
export function x509Time(date: Date): Time {
  return new Time(new Date(Math.floor(date.getTime() / 1000) * 1000));
}

/** A fresh copy of a Name, so that issued certificates never share objects with their issuer. */
export function copyName(name: Name): Name {
  return AsnConvert.parse(AsnConvert.serialize(name), Name);
}

async function sign(signer: Signer, tbs: Uint8Array): Promise<{ algorithm: SignatureAlgorithm; signature: Uint8Array }> {
  const algorithm = signer.algorithm ?? defaultSignatureAlgorithm(signer.key);
  return { algorithm, signature: await getCryptoProvider().sign(algorithm, signer.key, tbs) };
}

export async function signCertificate(fields: CertificateFields, signer: Signer): Promise<SignedCertificate> {
  const algorithm = signer.algorithm ?? defaultSignatureAlgorithm(signer.key);
  const algorithmId = signatureAlgorithmId(algorithm);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(fields.serialNumber),
    signature: algorithmId,
    issuer: copyName(fields.issuer),
    validity: new Validity({ notBefore: fields.notBefore, notAfter: fields.notAfter }),
    subject: copyName(fields.subject),
    subjectPublicKeyInfo: AsnConvert.parse(fields.spki, SubjectPublicKeyInfo),
    ...(fields.extensions.length ? { extensions: new Extensions(fields.extensions) } : {}),
  });
  tbs.validity.notBefore = x509Time(fields.notBefore);
  tbs.validity.notAfter = x509Time(fields.notAfter);
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const { signature } = await sign({ ...signer, algorithm }, tbsDer);
  const certificate = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: signatureAlgorithmId(algorithm), signatureValue: toArrayBuffer(signature) });
  const der = new Uint8Array(AsnConvert.serialize(certificate));
  try {
    return { der, cert: new X509Certificate(Uint8Array.from(der)) };
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_INTERNAL, 'the certificate just built cannot be read back', { cause: e });
  }
}

export interface RevokedEntry {
  serialNumber: Uint8Array;
  revocationDate: Date;
  /** CRLReason code; 0 (unspecified) is left out, as RFC 5280 5.3.1 recommends. */
  reason: number;
  invalidityDate?: Date;
}

export interface CrlFields {
  issuer: Name;
  thisUpdate: Date;
  nextUpdate: Date;
  crlNumber: number;
  /** The issuer's subject key identifier, for the authorityKeyIdentifier extension. */
  authorityKeyId: Uint8Array;
  revoked: RevokedEntry[];
}

function entryExtensions(entry: RevokedEntry): Extension[] {
  const out: Extension[] = [];
  if (entry.reason !== 0) out.push(extension(PkixOids.cRLReason, false, new CRLReason(entry.reason)));
  if (entry.invalidityDate) {
    // InvalidityDate ::= GeneralizedTime whatever the year; a Time CHOICE holding generalTime encodes as exactly that.
    out.push(extension(PkixOids.invalidityDate, false, new Time({ generalTime: x509Time(entry.invalidityDate).getTime() })));
  }
  return out;
}

/** A version 2 CRL (RFC 5280 5.1) with authorityKeyIdentifier and cRLNumber. */
export async function signCrl(fields: CrlFields, signer: Signer): Promise<Uint8Array<ArrayBuffer>> {
  const algorithm = signer.algorithm ?? defaultSignatureAlgorithm(signer.key);
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: signatureAlgorithmId(algorithm),
    issuer: copyName(fields.issuer),
    thisUpdate: x509Time(fields.thisUpdate),
    nextUpdate: x509Time(fields.nextUpdate),
    crlExtensions: [authorityKeyIdentifierExtension(fields.authorityKeyId), extension(PkixOids.cRLNumber, false, new CRLNumber(fields.crlNumber))],
  });
  if (fields.revoked.length) {
    tbs.revokedCertificates = fields.revoked.map((entry) => {
      const extensions = entryExtensions(entry);
      return new RevokedCertificate({
        userCertificate: toArrayBuffer(entry.serialNumber),
        revocationDate: x509Time(entry.revocationDate),
        ...(extensions.length ? { crlEntryExtensions: extensions } : {}),
      });
    });
  }
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const { signature } = await sign({ ...signer, algorithm }, tbsDer);
  const crl = new CertificateList({ tbsCertList: tbs, signatureAlgorithm: signatureAlgorithmId(algorithm), signature: toArrayBuffer(signature) });
  return new Uint8Array(AsnConvert.serialize(crl));
}
