/**
 * What path validation needs to know about one certificate, decoded once and cached per
 * `X509Certificate` instance: canonical names, the exact to-be-signed bytes, and the extensions
 * RFC 5280 path processing acts on.
 *
 * A malformed or duplicated extension does not make the view fail: path building still needs the
 * names, and the error (`extensionError`) is reported only if a path through the certificate is
 * checked, as OpenSSL reports an "invalid or inconsistent certificate extension" then.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { PkixOids } from '../asn1/oids';
import { serializeDer } from '../asn1/der-writer';
import { nodeContent, readDer } from '../asn1/der';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  CertificatePolicies,
  ExtendedKeyUsage,
  InhibitAnyPolicy,
  KeyUsage,
  PolicyConstraints,
  PolicyMappings,
  SubjectKeyIdentifier,
  type Extension,
  type Name,
} from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { CmpError, ErrorCodes } from '../errors';
import { decodeGeneralNames, decodeNameConstraints, type DecodedGeneralName, type DecodedNameConstraints } from './general-names';
import { canonicalName, canonicalNameKey, type CanonicalName } from './name-matching';
import { toB64 } from '../bytes';

export interface PolicyMapping {
  issuerDomainPolicy: string;
  subjectDomainPolicy: string;
}

export interface CertificateExtensions {
  basicConstraints?: { cA: boolean; pathLenConstraint?: number };
  /** The keyUsage bits asserted, by RFC 5280 name ('keyCertSign', 'digitalSignature', ...). */
  keyUsage?: ReadonlySet<string>;
  subjectKeyIdentifier?: Uint8Array;
  authorityKeyIdentifier?: { keyIdentifier?: Uint8Array; issuerNames: CanonicalName[]; serialNumber?: Uint8Array };
  subjectAltNames?: DecodedGeneralName[];
  nameConstraints?: DecodedNameConstraints;
  /** Policy OIDs of certificatePolicies (qualifiers do not affect validity). */
  certificatePolicies?: string[];
  /** KeyPurposeId OIDs of extendedKeyUsage. */
  extKeyUsage?: string[];
  policyMappings?: PolicyMapping[];
  policyConstraints?: { requireExplicitPolicy?: number; inhibitPolicyMapping?: number };
  inhibitAnyPolicy?: number;
  /** RFC 3820 proxyCertInfo: present in proxy certificates, with their pCPathLenConstraint if any. */
  proxyCertInfo?: { pathLength?: number };
  /** OIDs of all extensions marked critical. */
  critical: string[];
}

export interface CertificateView {
  readonly cert: X509Certificate;
  readonly der: Uint8Array;
  /** Identity of the encoding: two views with the same id are the same certificate. */
  readonly id: string;
  readonly asn: Certificate;
  readonly tbs: Uint8Array;
  /** 1, 2 or 3. */
  readonly version: number;
  readonly subjectName: Name;
  readonly subject: CanonicalName;
  readonly subjectKey: string;
  readonly issuer: CanonicalName;
  readonly issuerKey: string;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  readonly spkiAlgorithm: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /**
   * RFC 5280 section 4.1.1.2: the signature field inside the signed data repeats the outer
   * signatureAlgorithm (compared as values, encoded again).
   */
  readonly signatureAlgorithmsAgree: boolean;
  /** Undefined when an extension is malformed or repeated; `extensionError` says which. */
  readonly extensions?: CertificateExtensions;
  readonly extensionError?: CmpError;
}

const views = new WeakMap<X509Certificate, CertificateView>();

export function viewOf(cert: X509Certificate): CertificateView {
  let view = views.get(cert);
  if (!view) {
    view = decodeView(cert, parseCertificate(new Uint8Array(cert.rawData)));
    views.set(cert, view);
  }
  return view;
}

/**
 * Makes the view of a certificate that was just parsed from its DER, from that very parse (and its
 * base64 `id`, when known), before the instance is handed to anyone who could change `cert.asn`.
 */
export function seedView(cert: X509Certificate, id?: string): void {
  // @peculiar/x509 keeps its parse in the (TypeScript-protected) `asn` field; if a version does
  // not, viewOf parses again.
  const asn = (cert as unknown as { asn?: unknown }).asn;
  if (!views.has(cert) && asn instanceof Certificate && asn.tbsCertificateRaw) views.set(cert, decodeView(cert, asn, id));
}

function parseCertificate(der: Uint8Array): Certificate {
  try {
    return AsnConvert.parse(der, Certificate);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'cannot decode certificate', { cause: e });
  }
}

function decodeView(cert: X509Certificate, asn: Certificate, id?: string): CertificateView {
  const der = new Uint8Array(cert.rawData);
  const tbs = asn.tbsCertificate;
  if (!asn.tbsCertificateRaw) throw new CmpError(ErrorCodes.ERR_INTERNAL, 'certificate decoder did not keep the TBSCertificate encoding');
  const subject = canonicalName(tbs.subject);
  const issuer = canonicalName(tbs.issuer);
  let extensions: CertificateExtensions | undefined;
  let extensionError: CmpError | undefined;
  try {
    extensions = decodeExtensions(tbs.extensions ?? []);
  } catch (e) {
    extensionError = e instanceof CmpError ? e : new CmpError(ErrorCodes.ERR_PATH_INVALID_EXTENSION, 'malformed certificate extension', { cause: e });
  }
  return {
    cert,
    der,
    id: id ?? toB64(der),
    asn,
    tbs: new Uint8Array(asn.tbsCertificateRaw),
    version: tbs.version + 1,
    subjectName: tbs.subject,
    subject,
    subjectKey: canonicalNameKey(subject),
    issuer,
    issuerKey: canonicalNameKey(issuer),
    spki: serializeDer(tbs.subjectPublicKeyInfo),
    spkiAlgorithm: tbs.subjectPublicKeyInfo.algorithm.algorithm,
    signatureAlgorithmsAgree: Buffer.from(serializeDer(tbs.signature)).equals(serializeDer(asn.signatureAlgorithm)),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    ...(extensions ? { extensions } : {}),
    ...(extensionError ? { extensionError } : {}),
  };
}

function decodeExtensions(list: readonly Extension[]): CertificateExtensions {
  const out: CertificateExtensions = { critical: [] };
  const seen = new Set<string>();
  for (const ext of list) {
    // RFC 5280 section 4.2: a certificate MUST NOT include more than one instance of an extension.
    if (seen.has(ext.extnID)) throw invalid(ext.extnID, 'appears more than once');
    seen.add(ext.extnID);
    if (ext.critical) out.critical.push(ext.extnID);
    try {
      decodeExtension(ext.extnID, ext.extnValue.buffer, out);
    } catch (e) {
      throw invalid(ext.extnID, 'is malformed', e);
    }
  }
  return out;
}

function decodeExtension(oid: string, value: ArrayBuffer, out: CertificateExtensions): void {
  switch (oid) {
    case PkixOids.basicConstraints: {
      const bc = AsnConvert.parse(value, BasicConstraints);
      out.basicConstraints = { cA: bc.cA, ...(bc.pathLenConstraint !== undefined ? { pathLenConstraint: bc.pathLenConstraint } : {}) };
      if (bc.pathLenConstraint !== undefined && bc.pathLenConstraint < 0) throw new Error('negative pathLenConstraint');
      break;
    }
    case PkixOids.keyUsage:
      out.keyUsage = new Set(AsnConvert.parse(value, KeyUsage).toJSON());
      break;
    case PkixOids.subjectKeyIdentifier:
      out.subjectKeyIdentifier = new Uint8Array(AsnConvert.parse(value, SubjectKeyIdentifier).buffer);
      break;
    case PkixOids.authorityKeyIdentifier:
      out.authorityKeyIdentifier = decodeAuthorityKeyIdentifier(value);
      break;
    case PkixOids.subjectAltName:
      out.subjectAltNames = decodeGeneralNames(value);
      break;
    case PkixOids.nameConstraints:
      out.nameConstraints = decodeNameConstraints(value);
      break;
    case PkixOids.certificatePolicies:
      out.certificatePolicies = decodeCertificatePolicies(value);
      break;
    case PkixOids.extKeyUsage:
      out.extKeyUsage = Array.from(AsnConvert.parse(value, ExtendedKeyUsage), (purpose) => String(purpose));
      break;
    case PkixOids.policyMappings:
      out.policyMappings = Array.from(AsnConvert.parse(value, PolicyMappings), (m) => ({
        issuerDomainPolicy: m.issuerDomainPolicy,
        subjectDomainPolicy: m.subjectDomainPolicy,
      }));
      break;
    case PkixOids.policyConstraints:
      out.policyConstraints = decodePolicyConstraints(value);
      break;
    case PkixOids.inhibitAnyPolicy:
      out.inhibitAnyPolicy = skipCerts(AsnConvert.parse(value, InhibitAnyPolicy).value);
      break;
    case PkixOids.proxyCertInfo:
      out.proxyCertInfo = decodeProxyCertInfo(new Uint8Array(value));
      break;
    default:
      // Extensions path validation does not act on; critical ones are refused by the checks.
      break;
  }
}

export function decodeAuthorityKeyIdentifier(value: ArrayBuffer): NonNullable<CertificateExtensions['authorityKeyIdentifier']> {
  const aki = AsnConvert.parse(value, AuthorityKeyIdentifier);
  const issuerNames = (aki.authorityCertIssuer ?? []).flatMap((n) => (n.directoryName ? [canonicalName(n.directoryName)] : []));
  return {
    ...(aki.keyIdentifier ? { keyIdentifier: new Uint8Array(aki.keyIdentifier.buffer) } : {}),
    issuerNames,
    ...(aki.authorityCertSerialNumber ? { serialNumber: unsignedInteger(new Uint8Array(aki.authorityCertSerialNumber)) } : {}),
  };
}

/** ProxyCertInfo ::= SEQUENCE { pCPathLenConstraint INTEGER (0..MAX) OPTIONAL, proxyPolicy ProxyPolicy } (RFC 3820 section 3.8). */
function decodeProxyCertInfo(der: Uint8Array): NonNullable<CertificateExtensions['proxyCertInfo']> {
  const root = readDer(der);
  const children = root.children ?? [];
  const universal = (i: number, tag: number) => children[i]?.tagClass === 0 && children[i]?.tagNumber === tag;
  const hasLength = universal(0, 2);
  const policy = hasLength ? 1 : 0;
  // ProxyPolicy ::= SEQUENCE { policyLanguage OBJECT IDENTIFIER, policy OCTET STRING OPTIONAL }
  if (root.tagNumber !== 16 || children.length !== policy + 1 || !universal(policy, 16) || children[policy]!.children?.[0]?.tagNumber !== 6) {
    throw new Error('not a ProxyCertInfo');
  }
  if (!hasLength) return {};
  return { pathLength: skipCerts(nodeContent(der, children[0]!).slice().buffer) };
}

function decodeCertificatePolicies(value: ArrayBuffer): string[] {
  const oids = Array.from(AsnConvert.parse(value, CertificatePolicies), (p) => p.policyIdentifier);
  // RFC 5280 section 4.2.1.4: a policy identifier MUST NOT appear more than once.
  if (new Set(oids).size !== oids.length) throw new Error('repeated policy identifier');
  return oids;
}

function decodePolicyConstraints(value: ArrayBuffer): NonNullable<CertificateExtensions['policyConstraints']> {
  const pc = AsnConvert.parse(value, PolicyConstraints);
  // RFC 5280 section 4.2.1.11: conforming CAs MUST NOT issue an empty policyConstraints.
  if (pc.requireExplicitPolicy === undefined && pc.inhibitPolicyMapping === undefined) throw new Error('empty policyConstraints');
  return {
    ...(pc.requireExplicitPolicy !== undefined ? { requireExplicitPolicy: skipCerts(pc.requireExplicitPolicy) } : {}),
    ...(pc.inhibitPolicyMapping !== undefined ? { inhibitPolicyMapping: skipCerts(pc.inhibitPolicyMapping) } : {}),
  };
}

/** SkipCerts ::= INTEGER (0..MAX), given as the integer's content octets. */
function skipCerts(octets: ArrayBuffer): number {
  const bytes = new Uint8Array(octets);
  if (bytes.length === 0 || (bytes[0]! & 0x80) !== 0) throw new Error('SkipCerts must be a non-negative integer');
  // Any count beyond a path's possible length has the same effect as a huge one.
  let n = 0;
  for (const b of bytes) n = Math.min(n * 256 + b, Number.MAX_SAFE_INTEGER);
  return n;
}

/** Serial numbers compared without DER's sign padding. */
export function unsignedInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.slice(start);
}

function invalid(oid: string, problem: string, cause?: unknown): CmpError {
  return new CmpError(ErrorCodes.ERR_PATH_INVALID_EXTENSION, `certificate extension ${oid} ${problem}`, cause !== undefined ? { cause } : {});
}
