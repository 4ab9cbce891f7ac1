/**
 * Building and signing X.509 certificates and CRLs (RFC 5280) from explicit fields. No policy
 * lives here: what goes into a certificate is decided by the issuance policy and the CA. Signing
 * goes through the crypto provider, so any key the provider can hold can be a CA key.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
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
import { builtCmpCertificate, encodeDer, encodeTlv, nodeBytes, nodeContent, PkixOids, readDer, type CMPCertificate } from '../asn1';
import { BoundedMap } from '../bounded-map';
import { copyAsnValue } from '../asn1/copy';
import { deepFreeze } from '../asn1/freeze';
import { defaultSignatureAlgorithm, getCryptoProvider, signatureAlgorithmId, type PrivateKeyHandle, type SignatureAlgorithm } from '../crypto';
import { CmpError, ErrorCodes } from '../errors';
import { toArrayBuffer } from '../bytes';

export interface Signer {
  key: PrivateKeyHandle;
  /** Default: the usual algorithm for the key (ECDSA with the curve's hash, RSA PKCS#1 v1.5 SHA-256, EdDSA). */
  algorithm?: SignatureAlgorithm;
}

export interface CertificateFields {
  serialNumber: Uint8Array;
  /** The issuer's name, or its DER exactly as in the subject of the issuer's certificate. */
  issuer: Name | Uint8Array;
  subject: Name;
  notBefore: Date;
  notAfter: Date;
  /** DER SubjectPublicKeyInfo of the key to certify. */
  spki: Uint8Array;
  extensions: Extension[];
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

/** The DER AlgorithmIdentifier of a DER SubjectPublicKeyInfo, and its BIT STRING subjectPublicKey without the unused-bits octet. */
function subjectPublicKeyParts(spki: Uint8Array): { algorithm: Uint8Array; bits: Uint8Array } {
  const node = readDer(spki);
  const [algorithm, key] = node.children ?? [];
  if (
    node.tagClass !== 0 ||
    node.tagNumber !== 16 ||
    node.children?.length !== 2 ||
    algorithm?.tagNumber !== 16 ||
    key?.tagNumber !== 3 ||
    key.tagClass !== 0
  ) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'not a SubjectPublicKeyInfo');
  }
  const content = nodeContent(spki, key);
  if (content.length < 1 || content[0] !== 0)
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'the subjectPublicKey BIT STRING does not hold whole octets');
  return { algorithm: nodeBytes(spki, algorithm), bits: content.subarray(1) };
}

function subjectPublicKeyBits(spki: Uint8Array): Uint8Array {
  return subjectPublicKeyParts(spki).bits;
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the BIT STRING subjectPublicKey, without tag and length. */
export async function keyIdentifier(spki: Uint8Array): Promise<Uint8Array> {
  return getCryptoProvider().digest('SHA-1', subjectPublicKeyBits(spki));
}

export function extension(extnID: string, critical: boolean, value: object | Uint8Array): Extension {
  const bytes = value instanceof Uint8Array ? value : new Uint8Array(AsnConvert.serialize(value));
  return new Extension({ extnID, critical, extnValue: new OctetString(toArrayBuffer(bytes)) });
}

/**
 * Extensions that cannot change once made: the issuance policy's defaults, the CA's
 * authorityKeyIdentifier, each certificate's own subjectKeyIdentifier. Frozen all the way down,
 * with their DER made once: a certificate writes that DER as it is and shares the object in its
 * value instead of copying it (its value is frozen too, signCmpCertificate).
 */
const constantExtensions = new WeakMap<Extension, Uint8Array>();

/** `ext`, frozen, its DER kept for every certificate that carries it. */
export function constantExtension(ext: Extension): Extension {
  if (!constantExtensions.has(ext)) {
    // Encoded before it is frozen: the schema's writer never sees a frozen object.
    const der = encodeDer(ext);
    constantExtensions.set(deepFreeze(ext), der);
  }
  return ext;
}

function extensionDer(ext: Extension): Uint8Array {
  return constantExtensions.get(ext) ?? encodeDer(ext);
}

/** SubjectKeyIdentifier ::= KeyIdentifier, an OCTET STRING: written directly, it is in every certificate issued. */
export function subjectKeyIdentifierExtension(id: Uint8Array): Extension {
  return extension(PkixOids.subjectKeyIdentifier, false, encodeTlv(0x04, id));
}

export function authorityKeyIdentifierExtension(id: Uint8Array): Extension {
  return extension(PkixOids.authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(toArrayBuffer(id)) }));
}

/** X.509 Time in whole seconds: UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function x509Time(date: Date): Time {
  return new Time(new Date(Math.floor(date.getTime() / 1000) * 1000));
}

/** A fresh copy of a Name, so that issued certificates never share objects with their issuer. */
function copyName(name: Name): Name {
  return AsnConvert.parse(AsnConvert.serialize(name), Name);
}

async function sign(signer: Signer, tbs: Uint8Array): Promise<{ algorithm: SignatureAlgorithm; signature: Uint8Array }> {
  const algorithm = signer.algorithm ?? defaultSignatureAlgorithm(signer.key);
  return { algorithm, signature: await getCryptoProvider().sign(algorithm, signer.key, tbs) };
}

/*
 * The certificate itself is written as DER directly: asn1-schema's building and serialising of a
 * TBSCertificate, and parsing its own output back, was most of what issuing cost. The parts that
 * come as objects (names, extensions, the algorithm) are each encoded once, by the schema, and
 * the CA's own (issuer name, algorithm) not even that.
 */

const V3 = Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02);
const ZERO_UNUSED_BITS = Uint8Array.of(0);
const SIGN_OCTET = Uint8Array.of(0);

/** DER AlgorithmIdentifier of each signature algorithm used so far (a handful per process). */
const algorithmIds = new Map<string, Uint8Array>();

function algorithmIdDer(algorithm: SignatureAlgorithm): Uint8Array {
  const key = `${algorithm.scheme}/${algorithm.hash ?? ''}/${algorithm.saltLength ?? ''}`;
  let der = algorithmIds.get(key);
  if (!der) algorithmIds.set(key, (der = encodeDer(signatureAlgorithmId(algorithm))));
  return der;
}

/** INTEGER content from unsigned big-endian octets: leading zeros dropped, a zero octet added before a set top bit. */
function unsignedIntegerContent(octets: Uint8Array): Uint8Array {
  let start = 0;
  while (start < octets.length - 1 && octets[start] === 0) start++;
  const value = octets.subarray(start);
  if (value.length === 0) return Uint8Array.of(0x00);
  return value[0]! & 0x80 ? Buffer.concat([SIGN_OCTET, value]) : value;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** DER Time (RFC 5280 4.1.2.5): UTCTime for 1950 through 2049, GeneralizedTime otherwise, whole seconds, UTC. */
export function timeDer(date: Date): Uint8Array {
  const d = new Date(Math.floor(date.getTime() / 1000) * 1000);
  const year = d.getUTCFullYear();
  if (!Number.isFinite(year) || year < 0 || year > 9999)
    throw new CmpError(ErrorCodes.ERR_ASN1_ENCODE, 'a certificate time must lie in the years 0 to 9999');
  const rest = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  return year >= 1950 && year < 2050
    ? encodeTlv(0x17, Buffer.from(`${two(year % 100)}${rest}`, 'latin1'))
    : encodeTlv(0x18, Buffer.from(`${String(year).padStart(4, '0')}${rest}`, 'latin1'));
}

/** The value of what timeDer writes (asn1-x509's Time would take UTCTime before 1950 too). */
function timeValue(date: Date): Time {
  const d = new Date(Math.floor(date.getTime() / 1000) * 1000);
  const year = d.getUTCFullYear();
  return new Time(year >= 1950 && year < 2050 ? { utcTime: d } : { generalTime: d });
}

/** The DER of a SubjectPublicKeyInfo, checked to be one (the key itself is the issuance policy's business). */
function spkiDer(spki: Uint8Array): Uint8Array {
  subjectPublicKeyBits(spki);
  return spki;
}

interface WrittenCertificate {
  der: Uint8Array;
  /** The parts as written, for the value decoding `der` gives (signCmpCertificate). */
  tbs: Uint8Array;
  algorithmId: Uint8Array;
  serial: Uint8Array;
  signature: Uint8Array;
}

async function writeCertificate(fields: CertificateFields, signer: Signer, extensions: readonly Uint8Array[]): Promise<WrittenCertificate> {
  const algorithm = signer.algorithm ?? defaultSignatureAlgorithm(signer.key);
  const algorithmId = algorithmIdDer(algorithm);
  const serial = unsignedIntegerContent(fields.serialNumber);
  const tbs = encodeTlv(
    0x30,
    V3,
    encodeTlv(0x02, serial),
    algorithmId,
    fields.issuer instanceof Uint8Array ? fields.issuer : encodeDer(fields.issuer),
    encodeTlv(0x30, timeDer(fields.notBefore), timeDer(fields.notAfter)),
    encodeDer(fields.subject),
    spkiDer(fields.spki),
    ...(extensions.length ? [encodeTlv(0xa3, encodeTlv(0x30, ...extensions))] : []),
  );
  const { signature } = await sign({ ...signer, algorithm }, tbs);
  return { der: encodeTlv(0x30, tbs, algorithmId, encodeTlv(0x03, ZERO_UNUSED_BITS, signature)), tbs, algorithmId, serial, signature };
}

/**
 * The DER of a certificate signed by `signer`. Not parsed back: a caller that hands the
 * certificate on in a message uses signCmpCertificate.
 */
export async function signCertificate(fields: CertificateFields, signer: Signer): Promise<Uint8Array> {
  return (await writeCertificate(fields, signer, fields.extensions.map(extensionDer))).der;
}

/** The decoded AlgorithmIdentifier of each DER above and the issuers' names, parsed once (frozen: certificates share them). */
const parsedParts = new WeakMap<Uint8Array, AlgorithmIdentifier | Name>();

function parsedOnce<T extends AlgorithmIdentifier | Name>(der: Uint8Array, type: new () => T): T {
  let value = parsedParts.get(der) as T | undefined;
  if (!value) parsedParts.set(der, (value = Object.freeze(AsnConvert.parse(der, type)) as T));
  return value;
}

/** The key algorithms of the certified keys, parsed once each (a few per CA; bounded, since requests choose them). */
const keyAlgorithms = new BoundedMap<string, AlgorithmIdentifier>(64);

function keyAlgorithm(der: Uint8Array): AlgorithmIdentifier {
  const key = Buffer.from(der).toString('hex');
  let value = keyAlgorithms.peek(key);
  if (!value) keyAlgorithms.set(key, (value = Object.freeze(AsnConvert.parse(der, AlgorithmIdentifier)) as AlgorithmIdentifier));
  return value;
}

/**
 * signCertificate, with the certificate as a frozen CMPCertificate for the messages that carry it,
 * made from the very values the DER was written from instead of decoding the DER again: what
 * this process just wrote needs no strict check of received bytes, and that decoding was the
 * largest single cost of issuing (docs/benchmarks.md, sixth session). Decoding `der` gives an
 * equal value (test/server/certificate-builder.test.ts compares them); the names and extensions
 * are copied (constant extensions shared: they are frozen), the algorithms and an issuer given as
 * DER parsed once per process, the public key taken from the SubjectPublicKeyInfo's DER.
 */
export async function signCmpCertificate(fields: CertificateFields, signer: Signer): Promise<{ der: Uint8Array; certificate: CMPCertificate }> {
  const extensions = fields.extensions.map(extensionDer);
  const written = await writeCertificate(fields, signer, extensions);
  const algorithm = parsedOnce(written.algorithmId, AlgorithmIdentifier);
  const key = subjectPublicKeyParts(fields.spki);
  const value = new Certificate({
    tbsCertificate: new TBSCertificate({
      version: Version.v3,
      serialNumber: toArrayBuffer(written.serial),
      signature: algorithm,
      issuer: fields.issuer instanceof Uint8Array ? parsedOnce(fields.issuer, Name) : copyAsnValue(fields.issuer),
      validity: Object.assign(new Validity(), { notBefore: timeValue(fields.notBefore), notAfter: timeValue(fields.notAfter) }),
      subject: copyAsnValue(fields.subject),
      subjectPublicKeyInfo: new SubjectPublicKeyInfo({ algorithm: keyAlgorithm(key.algorithm), subjectPublicKey: toArrayBuffer(key.bits) }),
      ...(extensions.length ? { extensions: new Extensions(fields.extensions.map((e) => (constantExtensions.has(e) ? e : copyAsnValue(e)))) } : {}),
    }),
    // As the schema's decoder leaves it: the TBSCertificate's bytes, a Uint8Array whatever the typings say.
    tbsCertificateRaw: written.tbs as unknown as ArrayBuffer,
    signatureAlgorithm: algorithm,
    signatureValue: toArrayBuffer(written.signature),
  });
  return { der: written.der, certificate: builtCmpCertificate(value, written.der) };
}

export interface SignedCertificate {
  der: Uint8Array;
  cert: X509Certificate;
}

/** signCertificate, read back as an X509Certificate (ERR_INTERNAL if it cannot be). */
export async function signX509Certificate(fields: CertificateFields, signer: Signer): Promise<SignedCertificate> {
  const der = await signCertificate(fields, signer);
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
