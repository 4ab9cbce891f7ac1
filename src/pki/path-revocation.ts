/**
 * Revocation checking of a complete certification path against CRLs (RFC 5280 section 6.3), the
 * way OpenSSL 3.0's X509_verify_cert does it with X509_V_FLAG_CRL_CHECK (the target only) or
 * X509_V_FLAG_CRL_CHECK_ALL (every certificate, the trust anchor included):
 *
 * - a CRL is a candidate for a certificate when its issuer name is the certificate's issuer and
 *   its authority key identifier fits the next certificate up the path (the top one for the top,
 *   so a self-signed anchor needs a CRL of its own); the best candidate is chosen as OpenSSL
 *   scores them (no unhandled critical extension, covering the certificate, current, then the
 *   newest), and any candidate is better than none;
 * - the chosen CRL must be in scope (issuingDistributionPoint against the certificate's
 *   cRLDistributionPoints), current at the validation time, signed by a key whose keyUsage (if
 *   any) allows cRLSign, and free of unhandled critical extensions; then the certificate must not
 *   be listed, except with reason removeFromCRL;
 * - when distribution points split the reasons over several CRLs, CRLs are taken until every
 *   reason is covered.
 *
 * Without OpenSSL's -extended_crl and -use_deltas (which cmpflow does not offer), indirect CRLs
 * and CRLs for some reasons only are never candidates, and the CRL issuer is always on the path;
 * so is cmpflow's. Delta CRLs are never candidates either, as in OpenSSL's later sources; OpenSSL
 * 3.0 (whose get_crl_score skips them only with -extended_crl) takes one for a complete CRL.
 */
import { getCryptoProvider } from '../crypto';
import { signatureAlgorithmFromId } from '../crypto/algorithms';
import type { SignatureAlgorithm } from '../crypto/provider';
import { CmpError, ErrorCodes } from '../errors';
import { CRLDistributionPoints, type DistributionPoint } from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { PkixOids } from '../asn1/oids';
import type { CertificateView } from './certificate-view';
import { ALL_REASONS, REMOVE_FROM_CRL, distributionPointNames, serialKey, type CrlView, type DistributionPointNames } from './crl';
import { canonicalName, canonicalNameKey } from './name-matching';
import { authorityKeyIdentifierMatch } from './path-building';
import { keyId } from './verification-budget';

/** 'leaf': the target only (OpenSSL -crl_check); 'all': every certificate of the path (-crl_check_all). */
export type CrlCheck = 'leaf' | 'all';

export interface RevocationSettings {
  check: CrlCheck;
  crls: readonly CrlView[];
  at: Date;
  noCheckTime: boolean;
}

/** What remembers signature results; VerificationBudget is one. */
export interface SignatureMemory {
  verifyOnce<T>(key: string, verify: () => Promise<T>): Promise<T>;
}

/**
 * The first revocation failure of `path` ([target, ..., anchor]), checked from the target up as
 * OpenSSL does, or undefined when every certificate that must be checked is not revoked.
 */
export async function revocationError(
  path: readonly CertificateView[],
  settings: RevocationSettings,
  signatures: SignatureMemory,
): Promise<CmpError | undefined> {
  const last = settings.check === 'all' ? path.length - 1 : 0;
  for (let i = 0; i <= last; i++) {
    const error = await certificateRevocationError(path, i, settings, signatures);
    if (error) return error;
  }
  return undefined;
}

// OpenSSL's CRL scores (x509_vfy.c): the higher bits weigh more.
const Score = {
  noCritical: 0x100,
  scope: 0x080,
  time: 0x040,
  issuerName: 0x020,
  issuerCert: 0x018,
  akid: 0x004,
} as const;

interface Candidate {
  crl: CrlView;
  issuer: CertificateView;
  score: number;
  /** Reasons covered with this CRL, those covered before included. */
  reasons: number;
}

async function certificateRevocationError(
  path: readonly CertificateView[],
  i: number,
  settings: RevocationSettings,
  signatures: SignatureMemory,
): Promise<CmpError | undefined> {
  const cert = path[i]!;
  let covered = 0;
  while (covered !== ALL_REASONS) {
    const found = bestCrl(path, i, covered, settings);
    if (!found) return unableToGetCrl(cert);
    const error = (await crlError(cert, found, settings, signatures)) ?? listedError(cert, found.crl);
    if (error) return error;
    // No new reasons: another round would choose the same CRL.
    if (found.reasons === covered) return unableToGetCrl(cert);
    covered = found.reasons;
  }
  return undefined;
}

/** OpenSSL's get_crl_sk: the best-scoring CRL, the newest among equals; any score above zero will do. */
function bestCrl(path: readonly CertificateView[], i: number, covered: number, settings: RevocationSettings): Candidate | undefined {
  let best: Candidate | undefined;
  for (const crl of settings.crls) {
    const candidate = scoreCrl(path, i, crl, covered, settings);
    if (!candidate || (best && candidate.score < best.score)) continue;
    if (best && candidate.score === best.score && candidate.crl.thisUpdate.getTime() <= best.crl.thisUpdate.getTime()) continue;
    best = candidate;
  }
  return best;
}

/** OpenSSL's get_crl_score; undefined for a CRL that cannot serve at all. */
function scoreCrl(path: readonly CertificateView[], i: number, crl: CrlView, covered: number, settings: RevocationSettings): Candidate | undefined {
  const cert = path[i]!;
  const idp = crl.issuingDistributionPoint;
  if (idp?.invalid || idp?.indirect || idp?.someReasons || crl.delta) return undefined;
  if (crl.issuerKey !== cert.issuerKey) return undefined;
  let score = Score.issuerName;
  if (!crl.unhandledCritical) score |= Score.noCritical;
  if (!crlTimeError(cert, crl, settings)) score |= Score.time;
  const issuer = crlIssuer(path, i, crl);
  if (!issuer) return undefined;
  score |= Score.akid | Score.issuerCert;
  let reasons = covered;
  const scope = crlScope(cert, crl);
  if (scope !== undefined) {
    if ((scope & ~covered) === 0) return undefined;
    reasons = covered | scope;
    score |= Score.scope;
  }
  return { crl, issuer: issuer, score, reasons };
}

/**
 * OpenSSL's crl_akid_check without extended CRL support: the certificate above (the top one for
 * the top), else a certificate higher up with the CRL's issuer name, whose key the CRL's
 * authority key identifier does not rule out.
 */
function crlIssuer(path: readonly CertificateView[], i: number, crl: CrlView): CertificateView | undefined {
  const next = Math.min(i + 1, path.length - 1);
  if (authorityKeyIdentifierMatch(crl.authorityKeyIdentifier, path[next]!) !== 'mismatch') return path[next];
  for (let j = next + 1; j < path.length; j++) {
    const candidate = path[j]!;
    if (candidate.subjectKey === crl.issuerKey && authorityKeyIdentifierMatch(crl.authorityKeyIdentifier, candidate) !== 'mismatch') return candidate;
  }
  return undefined;
}

/**
 * OpenSSL's crl_crldp_check: the reasons the CRL covers for the certificate, or undefined when it
 * is out of scope (for CA or end-entity certificates only, or for another distribution point).
 */
function crlScope(cert: CertificateView, crl: CrlView): number | undefined {
  const idp = crl.issuingDistributionPoint;
  if (idp?.onlyAttribute) return undefined;
  if (cert.extensions?.basicConstraints?.cA ? idp?.onlyUser : idp?.onlyCa) return undefined;
  for (const dp of distributionPointsOf(cert)) {
    if (!crlIssuerNamed(dp, crl)) continue;
    if (!idp?.distributionPoint || !dp.names || namesMeet(dp.names, idp.distributionPoint)) return ALL_REASONS & dp.reasons;
  }
  return idp?.distributionPoint ? undefined : ALL_REASONS;
}

/** crldp_check_crlissuer: a distribution point without cRLIssuer is served by the certificate's issuer. */
function crlIssuerNamed(dp: CertificateDistributionPoint, crl: CrlView): boolean {
  return dp.crlIssuerKeys === undefined || dp.crlIssuerKeys.includes(crl.issuerKey);
}

function namesMeet(a: DistributionPointNames, b: DistributionPointNames): boolean {
  return a.general.some((name) => b.general.includes(name));
}

interface CertificateDistributionPoint {
  names?: DistributionPointNames;
  reasons: number;
  crlIssuerKeys?: string[];
}

const distributionPoints = new WeakMap<CertificateView, CertificateDistributionPoint[]>();

/** The certificate's cRLDistributionPoints; a malformed one counts as none, as OpenSSL's setup_crldp leaves it. */
function distributionPointsOf(cert: CertificateView): CertificateDistributionPoint[] {
  let list = distributionPoints.get(cert);
  if (!list) {
    list = [];
    const ext = cert.asn.tbsCertificate.extensions?.find((e) => e.extnID === PkixOids.cRLDistributionPoints);
    if (ext) {
      try {
        list = Array.from(AsnConvert.parse(ext.extnValue.buffer, CRLDistributionPoints), (dp) => certificateDistributionPoint(dp, cert));
      } catch {
        list = [];
      }
    }
    distributionPoints.set(cert, list);
  }
  return list;
}

function certificateDistributionPoint(dp: DistributionPoint, cert: CertificateView): CertificateDistributionPoint {
  const crlIssuers = dp.cRLIssuer?.filter((n) => n.directoryName);
  // A relative name is relative to the CRL issuer: the one named here, else the certificate's issuer.
  const base = crlIssuers?.[0]?.directoryName ?? cert.asn.tbsCertificate.issuer;
  return {
    ...(dp.distributionPoint ? { names: distributionPointNames(dp.distributionPoint, base) } : {}),
    reasons: dp.reasons ? reasonMask(dp.reasons.toJSON()) : ALL_REASONS,
    ...(dp.cRLIssuer ? { crlIssuerKeys: (crlIssuers ?? []).map((n) => canonicalNameKey(canonicalName(n.directoryName!))) } : {}),
  };
}

const reasonBits: Record<string, number> = {
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 7,
  aACompromise: 8,
};

function reasonMask(names: readonly string[]): number {
  return names.reduce((mask, name) => mask | (reasonBits[name] !== undefined ? 1 << reasonBits[name]! : 0), 0);
}

/** OpenSSL's check_crl for the chosen CRL: cRLSign, scope, time, signature. */
async function crlError(
  cert: CertificateView,
  found: Candidate,
  settings: RevocationSettings,
  signatures: SignatureMemory,
): Promise<CmpError | undefined> {
  const { crl, issuer, score } = found;
  const usage = issuer.extensions?.keyUsage;
  if (usage && !usage.has('crlSign')) {
    return new CmpError(
      ErrorCodes.ERR_PATH_KEY_USAGE,
      `key usage does not include CRL signing: "${issuer.cert.subject}" issued the CRL for "${cert.cert.subject}" but its keyUsage lacks cRLSign`,
    );
  }
  if ((score & Score.scope) === 0) {
    return new CmpError(
      ErrorCodes.ERR_PATH_CRL_MISSING,
      `different CRL scope: the CRL of "${cert.cert.issuer}" does not cover "${cert.cert.subject}"`,
    );
  }
  if ((score & Score.time) === 0) {
    const error = crlTimeError(cert, crl, settings);
    if (error) return error;
  }
  return crlSignatureError(cert, crl, issuer, signatures);
}

/** OpenSSL's check_crl_time: lastUpdate (thisUpdate) not after the validation time, nextUpdate (if any) after it. */
function crlTimeError(cert: CertificateView, crl: CrlView, settings: RevocationSettings): CmpError | undefined {
  if (settings.noCheckTime) return undefined;
  const at = settings.at.getTime();
  if (crl.thisUpdate.getTime() > at) {
    return new CmpError(
      ErrorCodes.ERR_PATH_CRL_NOT_YET_VALID,
      `CRL is not yet valid: the CRL of "${cert.cert.issuer}" has thisUpdate ${crl.thisUpdate.toISOString()}`,
    );
  }
  if (crl.nextUpdate && crl.nextUpdate.getTime() <= at) {
    return new CmpError(
      ErrorCodes.ERR_PATH_CRL_EXPIRED,
      `CRL has expired: the CRL of "${cert.cert.issuer}" had nextUpdate ${crl.nextUpdate.toISOString()}`,
    );
  }
  return undefined;
}

function crlSignatureError(cert: CertificateView, crl: CrlView, issuer: CertificateView, signatures: SignatureMemory): Promise<CmpError | undefined> {
  return signatures.verifyOnce(`crl ${crl.id} by key ${keyId(issuer)}`, async () => {
    const failure = (why: string, cause?: unknown) =>
      new CmpError(
        ErrorCodes.ERR_PATH_CRL_SIGNATURE,
        `CRL signature failure: the CRL of "${cert.cert.issuer}" ${why} with the key of "${issuer.cert.subject}"`,
        cause !== undefined ? { cause } : {},
      );
    // As for certificates (RFC 5280 5.1.1.2), the inner and outer algorithms must agree.
    if (!crl.signatureAlgorithmsAgree)
      return failure('has disagreeing signature algorithms inside and outside the signed part, so it cannot be verified');
    let algorithm: SignatureAlgorithm;
    try {
      algorithm = signatureAlgorithmFromId(crl.asn.signatureAlgorithm);
    } catch (e) {
      return failure('uses an unsupported signature algorithm, so it cannot be verified', e);
    }
    try {
      const valid = await getCryptoProvider().verify(algorithm, issuer.spki, new Uint8Array(crl.asn.signature), crl.tbs);
      return valid ? undefined : failure('does not verify');
    } catch (e) {
      return failure('cannot be verified', e);
    }
  });
}

/** OpenSSL's cert_crl: a CRL with an unhandled critical extension clears nobody; a listed serial is revoked unless removed. */
function listedError(cert: CertificateView, crl: CrlView): CmpError | undefined {
  if (crl.unhandledCritical) {
    return new CmpError(
      ErrorCodes.ERR_PATH_CRITICAL_EXTENSION,
      `unhandled critical CRL extension: the CRL of "${cert.cert.issuer}" has critical extension ${crl.unhandledCritical}`,
    );
  }
  const entries = crl.entries.get(serialKey(cert.asn.tbsCertificate.serialNumber)) ?? [];
  const entry = entries.find((e) => e.issuerKeys === undefined || e.issuerKeys.includes(cert.issuerKey));
  if (!entry || entry.reason === REMOVE_FROM_CRL) return undefined;
  return new CmpError(
    ErrorCodes.ERR_PATH_REVOKED,
    `certificate revoked: "${cert.cert.subject}" is listed in the CRL of "${cert.cert.issuer}"${reasonText(entry.reason)}`,
  );
}

function unableToGetCrl(cert: CertificateView): CmpError {
  return new CmpError(
    ErrorCodes.ERR_PATH_CRL_MISSING,
    `unable to get certificate CRL: no usable CRL of "${cert.cert.issuer}" for "${cert.cert.subject}"`,
  );
}

const reasonNames = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  undefined,
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
];

function reasonText(reason: number | undefined): string {
  if (reason === undefined) return '';
  return ` (reason ${reasonNames[reason] ?? String(reason)})`;
}
