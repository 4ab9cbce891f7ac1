/**
 * Revocation checking of a complete certification path against CRLs (RFC 5280 section 6.3), the
 * way OpenSSL's X509_verify_cert does it with X509_V_FLAG_CRL_CHECK (the target only) or
 * X509_V_FLAG_CRL_CHECK_ALL (every certificate, the trust anchor included, as in OpenSSL 3.0):
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
 * A delta CRL (deltaCRLIndicator) is never a candidate for a complete CRL. With `useDeltas`
 * (OpenSSL -use_deltas), when the certificate or the chosen complete CRL has freshestCRL, a delta
 * CRL of the same issuer and scope (authorityKeyIdentifier and issuingDistributionPoint alike),
 * whose BaseCRLNumber is at most the complete CRL's number and whose own number is above it, is
 * checked with it (RFC 5280 6.3.3 (b)-(d), (f)-(i); OpenSSL's get_delta_sk, check_delta_base):
 * an entry in the delta revokes, an entry with removeFromCRL there un-revokes what the complete
 * CRL lists (a certificateHold released), and a current delta excuses an expired complete CRL.
 *
 * With `extendedCrl` (OpenSSL -extended_crl), CRLs for some reasons only (onlySomeReasons) and
 * indirect CRLs (indirectCRL, entries naming their certificateIssuer) are candidates too, and a
 * CRL may be signed by a certificate off the path (another key of the same CA, or the CRL issuer
 * a distribution point names in cRLIssuer): that certificate is searched among the untrusted ones
 * and must validate itself, to the same trust anchor (RFC 5280 6.3.3 (f); OpenSSL's
 * check_crl_path), its own revocation checked only for 'all' (OpenSSL's check_revocation skips
 * the end entity of a CRL path). Without it, such CRLs are never used, as in OpenSSL.
 *
 * OpenSSL 3.0 skips delta CRLs as candidates only with -extended_crl (an else-if in its
 * get_crl_score); without it, it takes the newest CRL, a delta, for the complete one. Its later
 * sources reject deltas there unconditionally, as cmpflow does.
 */
import { getCryptoProvider } from '../crypto';
import { signatureAlgorithmFromId } from '../crypto/algorithms';
import type { SignatureAlgorithm } from '../crypto/provider';
import { CmpError, ErrorCodes } from '../errors';
import { CRLDistributionPoints, type DistributionPoint } from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { PkixOids } from '../asn1/oids';
import type { CertificateView } from './certificate-view';
import { ALL_REASONS, REMOVE_FROM_CRL, distributionPointNames, reasonFlagsMask, serialKey, type CrlView, type DistributionPointNames } from './crl';
import { canonicalName, canonicalNameKey } from './name-matching';
import { nameToString } from './names';
import { authorityKeyIdentifierMatch } from './path-building';
import { keyId } from './verification-budget';

/** 'leaf': the target only (OpenSSL -crl_check); 'all': every certificate of the path (-crl_check_all). */
export type CrlCheck = 'leaf' | 'all';

export interface RevocationSettings {
  check: CrlCheck;
  crls: readonly CrlView[];
  at: Date;
  noCheckTime: boolean;
  /** A CRL with an unhandled critical extension may still clear a certificate (OpenSSL -ignore_critical, in cert_crl). */
  ignoreCritical?: boolean;
  /** Delta CRLs are applied with their complete CRLs (OpenSSL -use_deltas). */
  useDeltas?: boolean;
  /** Indirect CRLs, CRLs for some reasons only, and CRL issuers off the path (OpenSSL -extended_crl). */
  extendedCrl?: boolean;
  /** With extendedCrl: where a CRL issuer off the path is looked for (OpenSSL: the untrusted certificates). */
  crlIssuers?: readonly CertificateView[];
  /**
   * With extendedCrl: validates the certificate of a CRL issuer off the path, returning its path
   * [issuer, ..., anchor] or throwing a CmpError. Absent while validating one: OpenSSL refuses to
   * recurse, so a CRL issuer off that path fails.
   */
  validateCrlIssuer?: (issuer: CertificateView) => Promise<readonly CertificateView[]>;
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
  /** The next certificate up the path issued the CRL; includes samePath. */
  issuerCert: 0x018,
  /** A certificate on the path issued the CRL: no separate path validation for it. */
  samePath: 0x008,
  akid: 0x004,
  /** A delta CRL goes with it and is current. */
  timeDelta: 0x002,
} as const;

interface Candidate {
  crl: CrlView;
  issuer: CertificateView;
  score: number;
  /** Reasons covered with this CRL, those covered before included. */
  reasons: number;
  /** The delta CRL applied with it (useDeltas). */
  delta?: CrlView;
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
    const error = (await crlError(path, i, found, settings, signatures)) ?? (await deltaError(cert, found, settings, signatures));
    if (error) return error;
    const listed = found.delta ? listing(cert, found.delta, settings) : undefined;
    if (listed instanceof CmpError) return listed;
    // An entry with removeFromCRL in the delta releases what the complete CRL lists (OpenSSL's cert_crl returning 2).
    if (listed !== 'removed') {
      const base = listing(cert, found.crl, settings);
      if (base instanceof CmpError) return base;
    }
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
  if (best && settings.useDeltas) {
    const delta = deltaFor(path[i]!, best.crl, settings);
    if (delta) {
      best.delta = delta;
      if (!crlTimeError(path[i]!, delta, settings, false)) best.score |= Score.timeDelta;
    }
  }
  return best;
}

/**
 * OpenSSL's get_delta_sk and check_delta_base: a delta CRL for `base`, when the certificate or
 * `base` announces deltas (freshestCRL). Of several, the most recent (highest CRL number), where
 * OpenSSL takes the first in its list.
 */
function deltaFor(cert: CertificateView, base: CrlView, settings: RevocationSettings): CrlView | undefined {
  if (!hasFreshestCrl(cert) && !base.freshest) return undefined;
  let found: CrlView | undefined;
  for (const delta of settings.crls) {
    if (!isDeltaOf(delta, base)) continue;
    if (!found || delta.crlNumber! > found.crlNumber!) found = delta;
  }
  return found;
}

function isDeltaOf(delta: CrlView, base: CrlView): boolean {
  return (
    delta.baseCrlNumber !== undefined &&
    base.crlNumber !== undefined &&
    delta.crlNumber !== undefined &&
    delta.issuerKey === base.issuerKey &&
    delta.scopeExtensions === base.scopeExtensions &&
    delta.baseCrlNumber <= base.crlNumber &&
    delta.crlNumber > base.crlNumber
  );
}

function hasFreshestCrl(cert: CertificateView): boolean {
  return cert.asn.tbsCertificate.extensions?.some((e) => e.extnID === PkixOids.freshestCRL) === true;
}

/** OpenSSL's get_crl_score; undefined for a CRL that cannot serve at all. */
function scoreCrl(path: readonly CertificateView[], i: number, crl: CrlView, covered: number, settings: RevocationSettings): Candidate | undefined {
  const cert = path[i]!;
  const idp = crl.issuingDistributionPoint;
  if (idp?.invalid || crl.delta) return undefined;
  if (!settings.extendedCrl) {
    if (idp?.indirect || idp?.someReasons) return undefined;
  } else if (idp?.someReasons && (idp.reasons & ~covered) === 0) {
    return undefined;
  }
  let score = 0;
  if (crl.issuerKey === cert.issuerKey) score |= Score.issuerName;
  else if (!idp?.indirect) return undefined;
  if (!crl.unhandledCritical) score |= Score.noCritical;
  if (!crlTimeError(cert, crl, settings, false)) score |= Score.time;
  const issuer = crlIssuer(path, i, crl, score, settings);
  if (!issuer) return undefined;
  score |= issuer.score;
  let reasons = covered;
  const scope = crlScope(cert, crl, (score & Score.issuerName) !== 0);
  if (scope !== undefined) {
    if ((scope & ~covered) === 0) return undefined;
    reasons = covered | scope;
    score |= Score.scope;
  }
  return { crl, issuer: issuer.cert, score, reasons };
}

/**
 * OpenSSL's crl_akid_check: the certificate above (the top one for the top) when the CRL is its
 * own, else a certificate higher up with the CRL's issuer name, whose key the CRL's authority key
 * identifier does not rule out; with extendedCrl, else such a certificate among `crlIssuers`.
 */
function crlIssuer(
  path: readonly CertificateView[],
  i: number,
  crl: CrlView,
  score: number,
  settings: RevocationSettings,
): { cert: CertificateView; score: number } | undefined {
  const next = Math.min(i + 1, path.length - 1);
  const fits = (candidate: CertificateView) => authorityKeyIdentifierMatch(crl.authorityKeyIdentifier, candidate) !== 'mismatch';
  if (score & Score.issuerName && fits(path[next]!)) return { cert: path[next]!, score: Score.akid | Score.issuerCert };
  for (let j = next + 1; j < path.length; j++) {
    const candidate = path[j]!;
    if (candidate.subjectKey === crl.issuerKey && fits(candidate)) return { cert: candidate, score: Score.akid | Score.samePath };
  }
  if (!settings.extendedCrl) return undefined;
  const off = settings.crlIssuers?.find((candidate) => candidate.subjectKey === crl.issuerKey && fits(candidate));
  return off ? { cert: off, score: Score.akid } : undefined;
}

/**
 * OpenSSL's crl_crldp_check: the reasons the CRL covers for the certificate, or undefined when it
 * is out of scope (for CA or end-entity certificates only, or for another distribution point).
 * `issuerName`: the CRL's issuer is the certificate's; else a distribution point must name it.
 */
function crlScope(cert: CertificateView, crl: CrlView, issuerName: boolean): number | undefined {
  const idp = crl.issuingDistributionPoint;
  if (idp?.onlyAttribute) return undefined;
  if (cert.extensions?.basicConstraints?.cA ? idp?.onlyUser : idp?.onlyCa) return undefined;
  const reasons = idp?.reasons ?? ALL_REASONS;
  for (const dp of distributionPointsOf(cert)) {
    if (!crlIssuerNamed(dp, crl, issuerName)) continue;
    if (!idp?.distributionPoint || !dp.names || namesMeet(dp.names, idp.distributionPoint)) return reasons & dp.reasons;
  }
  return !idp?.distributionPoint && issuerName ? reasons : undefined;
}

/** crldp_check_crlissuer: a distribution point without cRLIssuer is served by the certificate's issuer. */
function crlIssuerNamed(dp: CertificateDistributionPoint, crl: CrlView, issuerName: boolean): boolean {
  return dp.crlIssuerKeys === undefined ? issuerName : dp.crlIssuerKeys.includes(crl.issuerKey);
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
    reasons: dp.reasons ? reasonFlagsMask(dp.reasons.toJSON()) : ALL_REASONS,
    ...(dp.cRLIssuer ? { crlIssuerKeys: (crlIssuers ?? []).map((n) => canonicalNameKey(canonicalName(n.directoryName!))) } : {}),
  };
}

/** OpenSSL's check_crl for the chosen (complete) CRL: cRLSign, scope, the CRL issuer's own path, time, signature. */
async function crlError(
  path: readonly CertificateView[],
  i: number,
  found: Candidate,
  settings: RevocationSettings,
  signatures: SignatureMemory,
): Promise<CmpError | undefined> {
  const cert = path[i]!;
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
      `different CRL scope: the CRL of "${nameToString(crl.issuerName)}" does not cover "${cert.cert.subject}"`,
    );
  }
  if ((score & Score.samePath) === 0) {
    const error = await crlIssuerPathError(path, cert, issuer, settings);
    if (error) return error;
  }
  if ((score & Score.time) === 0) {
    const error = crlTimeError(cert, crl, settings, (score & Score.timeDelta) !== 0);
    if (error) return error;
  }
  return crlSignatureError(cert, crl, issuer, signatures);
}

/**
 * OpenSSL's check_crl for the delta CRL: the checks made for the complete CRL hold for it, so
 * only its time (when the complete CRL's was not current) and its signature, by the same issuer.
 */
async function deltaError(
  cert: CertificateView,
  found: Candidate,
  settings: RevocationSettings,
  signatures: SignatureMemory,
): Promise<CmpError | undefined> {
  if (!found.delta) return undefined;
  if ((found.score & Score.time) === 0) {
    const error = crlTimeError(cert, found.delta, settings, (found.score & Score.timeDelta) !== 0);
    if (error) return error;
  }
  return crlSignatureError(cert, found.delta, found.issuer, signatures);
}

/** OpenSSL's check_crl_path and check_crl_chain: a CRL issuer off the path validates to the path's own trust anchor. */
async function crlIssuerPathError(
  path: readonly CertificateView[],
  cert: CertificateView,
  issuer: CertificateView,
  settings: RevocationSettings,
): Promise<CmpError | undefined> {
  const failure = (why: string, cause?: unknown) =>
    new CmpError(
      ErrorCodes.ERR_PATH_CRL_MISSING,
      `CRL path validation error: "${issuer.cert.subject}", which issued the CRL for "${cert.cert.subject}", ${why}`,
      cause !== undefined ? { cause } : {},
    );
  if (!settings.validateCrlIssuer) return failure('is off the path of a CRL issuer being validated itself (no recursion)');
  let issuerPath: readonly CertificateView[];
  try {
    issuerPath = await settings.validateCrlIssuer(issuer);
  } catch (e) {
    if (!(e instanceof CmpError) || e.code === ErrorCodes.ERR_VERIFICATION_BUDGET) throw e;
    return failure(`does not validate: ${e.message}`, e);
  }
  if (issuerPath[issuerPath.length - 1]!.id !== path[path.length - 1]!.id) return failure('validates to another trust anchor than the certificate');
  return undefined;
}

/**
 * OpenSSL's check_crl_time: lastUpdate (thisUpdate) not after the validation time, nextUpdate (if
 * any) after it; `currentDelta`: a current delta CRL goes with this one, so its expiry is excused.
 */
function crlTimeError(cert: CertificateView, crl: CrlView, settings: RevocationSettings, currentDelta: boolean): CmpError | undefined {
  if (settings.noCheckTime) return undefined;
  const at = settings.at.getTime();
  const which = crl.delta ? 'delta CRL' : 'CRL';
  if (crl.thisUpdate.getTime() > at) {
    return new CmpError(
      ErrorCodes.ERR_PATH_CRL_NOT_YET_VALID,
      `CRL is not yet valid: the ${which} of "${cert.cert.issuer}" has thisUpdate ${crl.thisUpdate.toISOString()}`,
    );
  }
  if (crl.nextUpdate && crl.nextUpdate.getTime() <= at && !currentDelta) {
    return new CmpError(
      ErrorCodes.ERR_PATH_CRL_EXPIRED,
      `CRL has expired: the ${which} of "${cert.cert.issuer}" had nextUpdate ${crl.nextUpdate.toISOString()}`,
    );
  }
  return undefined;
}

function crlSignatureError(cert: CertificateView, crl: CrlView, issuer: CertificateView, signatures: SignatureMemory): Promise<CmpError | undefined> {
  return signatures.verifyOnce(`crl ${crl.id} by key ${keyId(issuer)}`, async () => {
    const failure = (why: string, cause?: unknown) =>
      new CmpError(
        ErrorCodes.ERR_PATH_CRL_SIGNATURE,
        `CRL signature failure: the ${crl.delta ? 'delta CRL' : 'CRL'} of "${cert.cert.issuer}" ${why} with the key of "${issuer.cert.subject}"`,
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

/**
 * OpenSSL's cert_crl: a CRL with an unhandled critical extension clears nobody (unless
 * ignoreCritical); a listed serial is
 * revoked, unless listed with removeFromCRL ('removed'). An entry is for the certificate when it
 * names the certificate's issuer in certificateIssuer (RFC 5280 5.3.3; an indirect CRL), or has
 * none and the CRL's issuer is the certificate's (OpenSSL's crl_revoked_issuer_match).
 */
function listing(cert: CertificateView, crl: CrlView, settings: RevocationSettings): CmpError | 'removed' | undefined {
  if (crl.unhandledCritical && !settings.ignoreCritical) {
    return new CmpError(
      ErrorCodes.ERR_PATH_CRITICAL_EXTENSION,
      `unhandled critical CRL extension: the ${crl.delta ? 'delta CRL' : 'CRL'} of "${nameToString(crl.issuerName)}" has critical extension ${crl.unhandledCritical}`,
    );
  }
  const entries = crl.entries.get(serialKey(cert.asn.tbsCertificate.serialNumber)) ?? [];
  const entry = entries.find((e) => (e.issuerKeys === undefined ? crl.issuerKey === cert.issuerKey : e.issuerKeys.includes(cert.issuerKey)));
  if (!entry) return undefined;
  if (entry.reason === REMOVE_FROM_CRL) return 'removed';
  return new CmpError(
    ErrorCodes.ERR_PATH_REVOKED,
    `certificate revoked: "${cert.cert.subject}" is listed in the ${crl.delta ? 'delta CRL' : 'CRL'} of "${nameToString(crl.issuerName)}"${reasonText(entry.reason)}`,
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
