/**
 * What revocation checking needs to know about one CRL (RFC 5280 section 5), decoded once: the
 * issuer, the update times, the exact to-be-signed bytes, the extensions OpenSSL acts on, and the
 * revoked serial numbers.
 *
 * Like OpenSSL (x_crl.c), a critical CRL or entry extension other than those it handles
 * (issuingDistributionPoint, authorityKeyIdentifier, deltaCRLIndicator; certificateIssuer on
 * entries) does not make the CRL unreadable: it is remembered, and the CRL cannot clear a
 * certificate then (X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  CertificateIssuer,
  CertificateList,
  CRLReason,
  IssuingDistributionPoint,
  Name,
  RelativeDistinguishedName,
  type DistributionPointName,
  type Extension,
  type GeneralName,
} from '@peculiar/asn1-x509';
import { readDer, nodeContent } from '../asn1/der';
import { serializeDer } from '../asn1/der-writer';
import { CmpError, ErrorCodes } from '../errors';
import { decodeAuthorityKeyIdentifier, unsignedInteger, type CertificateExtensions } from './certificate-view';
import { nameKey } from './name-matching';
import { hex, toB64 } from '../bytes';

const CrlExtensionOids = {
  cRLNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
  deltaCRLIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  certificateIssuer: '2.5.29.29',
  authorityKeyIdentifier: '2.5.29.35',
  freshestCRL: '2.5.29.46',
} as const;

/** CRLReason removeFromCRL (RFC 5280 section 5.3.1): an entry with it does not revoke. */
export const REMOVE_FROM_CRL = 8;

/** The reasons a CRL or distribution point may cover, one bit each (ReasonFlags bits 1..8). */
export const ALL_REASONS = 0x1fe;

/**
 * A distribution point name made comparable: names in `general` compare by `key` (canonical for
 * directory names, DER otherwise); a name relative to the issuer becomes that full directory name.
 */
export interface DistributionPointNames {
  general: readonly string[];
}

export interface IssuingDistributionPointView {
  distributionPoint?: DistributionPointNames;
  onlyUser: boolean;
  onlyCa: boolean;
  onlyAttribute: boolean;
  indirect: boolean;
  /** onlySomeReasons was present. */
  someReasons: boolean;
  /** The reasons the CRL covers, as ALL_REASONS bits: onlySomeReasons, else all. */
  reasons: number;
  /** More than one of the only* flags: OpenSSL's IDP_INVALID, a CRL never used. */
  invalid: boolean;
}

export interface RevokedEntry {
  reason?: number;
  /** Canonical keys of the certificate issuer the entry applies to (RFC 5280 5.3.3), when given here or by an earlier entry. */
  issuerKeys?: readonly string[];
}

export interface CrlView {
  readonly der: Uint8Array;
  /** Identity of the encoding. */
  readonly id: string;
  readonly asn: CertificateList;
  readonly tbs: Uint8Array;
  readonly issuerName: Name;
  readonly issuerKey: string;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  /** RFC 5280 section 5.1.1.2: the signature field inside the signed data repeats the outer one. */
  readonly signatureAlgorithmsAgree: boolean;
  readonly authorityKeyIdentifier?: CertificateExtensions['authorityKeyIdentifier'];
  readonly issuingDistributionPoint?: IssuingDistributionPointView;
  /** A delta CRL (deltaCRLIndicator present). */
  readonly delta: boolean;
  /** cRLNumber, when present and well formed. */
  readonly crlNumber?: bigint;
  /** A delta CRL's BaseCRLNumber (deltaCRLIndicator): the complete CRL it updates. */
  readonly baseCrlNumber?: bigint;
  /** freshestCRL present: delta CRLs for this complete CRL exist (RFC 5280 5.2.6). */
  readonly freshest: boolean;
  /**
   * The encoded values of authorityKeyIdentifier and issuingDistributionPoint, which a delta CRL
   * and its complete CRL must have alike (OpenSSL's crl_extension_match); '' when absent.
   */
  readonly scopeExtensions: string;
  /** The first critical CRL or entry extension OpenSSL does not handle. */
  readonly unhandledCritical?: string;
  /** Entries by serial number (hex, without sign padding). */
  readonly entries: ReadonlyMap<string, readonly RevokedEntry[]>;
}

/** Decodes a DER CRL; ERR_CREDENTIALS when it is not one (`name` says where it came from). */
export function decodeCrl(der: Uint8Array, name = 'CRL'): CrlView {
  let asn: CertificateList;
  try {
    asn = AsnConvert.parse(der, CertificateList);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `cannot parse ${name} as an X.509 CRL`, { cause: e });
  }
  if (!asn.tbsCertListRaw) throw new CmpError(ErrorCodes.ERR_INTERNAL, 'CRL decoder did not keep the TBSCertList encoding');
  const tbs = asn.tbsCertList;
  const issuerKey = nameKey(tbs.issuer);
  const extensions = crlExtensions(tbs.crlExtensions ?? [], tbs.issuer, name);
  const entries = revokedEntries(asn, name);
  const unhandledCritical = extensions.unhandledCritical ?? entries.unhandledCritical;
  return {
    der,
    id: toB64(der),
    asn,
    tbs: new Uint8Array(asn.tbsCertListRaw),
    issuerName: tbs.issuer,
    issuerKey,
    thisUpdate: tbs.thisUpdate.getTime(),
    ...(tbs.nextUpdate ? { nextUpdate: tbs.nextUpdate.getTime() } : {}),
    signatureAlgorithmsAgree: Buffer.from(serializeDer(tbs.signature)).equals(serializeDer(asn.signatureAlgorithm)),
    ...(extensions.authorityKeyIdentifier ? { authorityKeyIdentifier: extensions.authorityKeyIdentifier } : {}),
    ...(extensions.issuingDistributionPoint ? { issuingDistributionPoint: extensions.issuingDistributionPoint } : {}),
    delta: extensions.delta,
    ...(extensions.crlNumber !== undefined ? { crlNumber: extensions.crlNumber } : {}),
    ...(extensions.baseCrlNumber !== undefined ? { baseCrlNumber: extensions.baseCrlNumber } : {}),
    freshest: extensions.freshest,
    scopeExtensions: extensions.scopeExtensions.join(' '),
    ...(unhandledCritical ? { unhandledCritical } : {}),
    entries: entries.bySerial,
  };
}

/** A certificate serial number as the key of `CrlView.entries`. */
export function serialKey(serial: ArrayBuffer | Uint8Array): string {
  return hex(unsignedInteger(new Uint8Array(serial)));
}

/**
 * The names of a DistributionPointName, comparable across a certificate's cRLDistributionPoints
 * and a CRL's issuingDistributionPoint (OpenSSL's DIST_POINT_set_dpname): a relative name is
 * appended to `issuer`.
 */
export function distributionPointNames(dpn: DistributionPointName, issuer: Name): DistributionPointNames {
  if (dpn.nameRelativeToCRLIssuer) {
    const full = new Name([...issuer, dpn.nameRelativeToCRLIssuer as RelativeDistinguishedName]);
    return { general: [directoryKey(full)] };
  }
  return { general: (dpn.fullName ?? []).map(generalNameKey) };
}

/** GENERAL_NAME_cmp in spirit: directory names canonically, other names by their encoding. */
function generalNameKey(name: GeneralName): string {
  if (name.directoryName) return directoryKey(name.directoryName);
  return `der:${toB64(serializeDer(name))}`;
}

function directoryKey(name: Name): string {
  return `dn:${nameKey(name)}`;
}

interface DecodedCrlExtensions {
  authorityKeyIdentifier?: CertificateExtensions['authorityKeyIdentifier'];
  issuingDistributionPoint?: IssuingDistributionPointView;
  delta: boolean;
  crlNumber?: bigint;
  baseCrlNumber?: bigint;
  freshest: boolean;
  scopeExtensions: string[];
  unhandledCritical?: string;
}

const handledCritical: ReadonlySet<string> = new Set([
  CrlExtensionOids.issuingDistributionPoint,
  CrlExtensionOids.authorityKeyIdentifier,
  CrlExtensionOids.deltaCRLIndicator,
]);

function crlExtensions(list: readonly Extension[], issuer: Name, name: string): DecodedCrlExtensions {
  const out: DecodedCrlExtensions = { delta: false, freshest: false, scopeExtensions: ['', ''] };
  const seen = new Set<string>();
  for (const ext of list) {
    if (seen.has(ext.extnID)) throw invalid(name, `extension ${ext.extnID} appears more than once`);
    seen.add(ext.extnID);
    if (ext.critical && !handledCritical.has(ext.extnID)) out.unhandledCritical ??= ext.extnID;
    try {
      switch (ext.extnID) {
        case CrlExtensionOids.authorityKeyIdentifier:
          out.authorityKeyIdentifier = decodeAuthorityKeyIdentifier(ext.extnValue.buffer);
          out.scopeExtensions[0] = toB64(new Uint8Array(ext.extnValue.buffer));
          break;
        case CrlExtensionOids.issuingDistributionPoint:
          out.issuingDistributionPoint = issuingDistributionPoint(AsnConvert.parse(ext.extnValue.buffer, IssuingDistributionPoint), issuer);
          out.scopeExtensions[1] = toB64(new Uint8Array(ext.extnValue.buffer));
          break;
        case CrlExtensionOids.cRLNumber:
          out.crlNumber = crlNumber(new Uint8Array(ext.extnValue.buffer));
          break;
        case CrlExtensionOids.deltaCRLIndicator:
          out.delta = true;
          out.baseCrlNumber = crlNumber(new Uint8Array(ext.extnValue.buffer));
          break;
        case CrlExtensionOids.freshestCRL:
          out.freshest = true;
          break;
        default:
          break;
      }
    } catch (e) {
      throw invalid(name, `extension ${ext.extnID} is malformed`, e);
    }
  }
  return out;
}

function issuingDistributionPoint(idp: IssuingDistributionPoint, issuer: Name): IssuingDistributionPointView {
  const only = [idp.onlyContainsUserCerts, idp.onlyContainsCACerts, idp.onlyContainsAttributeCerts].filter(Boolean).length;
  return {
    ...(idp.distributionPoint ? { distributionPoint: distributionPointNames(idp.distributionPoint, issuer) } : {}),
    onlyUser: idp.onlyContainsUserCerts,
    onlyCa: idp.onlyContainsCACerts,
    onlyAttribute: idp.onlyContainsAttributeCerts,
    indirect: idp.indirectCRL,
    someReasons: idp.onlySomeReasons !== undefined,
    reasons: idp.onlySomeReasons !== undefined ? reasonFlagsMask(idp.onlySomeReasons.toJSON()) : ALL_REASONS,
    invalid: only > 1,
  };
}

const reasonFlagBits: Record<string, number> = {
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 7,
  aACompromise: 8,
};

/** ReasonFlags names as ALL_REASONS bits; 'unused' (bit 0) is dropped, as OpenSSL masks it. */
export function reasonFlagsMask(names: readonly string[]): number {
  return names.reduce((mask, name) => mask | (reasonFlagBits[name] !== undefined ? 1 << reasonFlagBits[name]! : 0), 0);
}

/** CRLNumber ::= INTEGER (0..MAX); a negative one is malformed. */
function crlNumber(der: Uint8Array): bigint {
  const node = readDer(der);
  const content = nodeContent(der, node);
  if (node.tagClass !== 0 || node.tagNumber !== 2 || node.constructed || content.length === 0 || (content[0]! & 0x80) !== 0) {
    throw new Error('not a non-negative INTEGER');
  }
  return BigInt(`0x${hex(content)}`);
}

function revokedEntries(asn: CertificateList, name: string): { bySerial: Map<string, RevokedEntry[]>; unhandledCritical?: string } {
  const bySerial = new Map<string, RevokedEntry[]>();
  let unhandledCritical: string | undefined;
  // RFC 5280 5.3.3: in an indirect CRL, an entry's certificate issuer holds for the entries after it.
  let issuerKeys: string[] | undefined;
  for (const entry of asn.tbsCertList.revokedCertificates ?? []) {
    let reason: number | undefined;
    for (const ext of entry.crlEntryExtensions ?? []) {
      if (ext.critical && ext.extnID !== CrlExtensionOids.certificateIssuer) unhandledCritical ??= ext.extnID;
      try {
        if (ext.extnID === CrlExtensionOids.reasonCode) reason = AsnConvert.parse(ext.extnValue.buffer, CRLReason).reason;
        if (ext.extnID === CrlExtensionOids.certificateIssuer) {
          issuerKeys = Array.from(AsnConvert.parse(ext.extnValue.buffer, CertificateIssuer)).flatMap((n) =>
            n.directoryName ? [nameKey(n.directoryName)] : [],
          );
        }
      } catch (e) {
        throw invalid(name, `entry extension ${ext.extnID} is malformed`, e);
      }
    }
    const key = serialKey(entry.userCertificate);
    const list = bySerial.get(key) ?? [];
    list.push({ ...(reason !== undefined ? { reason } : {}), ...(issuerKeys ? { issuerKeys } : {}) });
    bySerial.set(key, list);
  }
  return { bySerial, ...(unhandledCritical ? { unhandledCritical } : {}) };
}

function invalid(name: string, problem: string, cause?: unknown): CmpError {
  return new CmpError(ErrorCodes.ERR_CREDENTIALS, `${name}: ${problem}`, cause !== undefined ? { cause } : {});
}
