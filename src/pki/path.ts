/**
 * Certification path building and validation (RFC 5280 section 6.1), as OpenSSL's
 * X509_verify_cert does it for CMP: the sender certificate of signed responses and, optionally, a
 * newly issued certificate. @peculiar/x509's chain builder only builds; this validates.
 *
 * Unlike OpenSSL, which commits to the first issuer it finds, building backtracks: every candidate
 * issuer (by name) is tried until one path validates. When none does, the error reported is the
 * one of the most advanced attempt: a complete path that fails a check beats a failing signature,
 * which beats a path that reached no trust anchor; among equals, the longer attempt, then the first.
 *
 * Backtracking over hostile certificates could take long, so every search spends from a
 * VerificationBudget: its own, or the one of the message whose sender it validates.
 */
import type { X509Certificate } from '@peculiar/x509';
import { CmpError, ErrorCodes } from '../errors';
import { viewOf, type CertificateView } from './certificate-view';
import type { CrlView } from './crl';
import { crlsOf, type CrlsInput } from './crl-input';
import { checkPath } from './path-checks';
import type { PolicyInputs } from './certificate-policies';
import { isPurposeName, purposeError } from './certificate-purpose';
import { checkAuthLevel, securityLevelError } from './security-level';
import { strictError } from './strict-checks';
import { suiteBError, suiteBLevels, type SuiteBLevel } from './suite-b';
import { checkExpectedIdentity, identityError, type ExpectedIdentity } from './target-identity';
import { findIssuers, isSelfSigned } from './path-building';
import { revocationError, type CrlCheck, type RevocationSettings } from './path-revocation';
import { VerificationBudget } from './verification-budget';
import { sameBytes } from '../bytes';

export { findIssuers, isSelfIssued, isSelfSigned } from './path-building';
export { checkPath, type PathCheckOptions } from './path-checks';
export type { CrlCheck } from './path-revocation';
export type { PolicyInputs } from './certificate-policies';
export type { CrlInput, CrlsInput } from './crl-input';

export interface PathValidationOptions {
  /** Trust anchors. Self-signed ones end a path; with `partialChain` any of them does. */
  trusted: X509Certificate[];
  /** Candidate intermediates, e.g. a CMP message's extraCerts. */
  untrusted?: X509Certificate[];
  /** Validation time (OpenSSL -attime); default now. */
  at?: Date;
  /** Skip validity-period checks (OpenSSL -no_check_time). */
  noCheckTime?: boolean;
  /** Accept a trusted certificate that is not self-signed as the end of a path (OpenSSL -partial_chain). */
  partialChain?: boolean;
  /** Most intermediate certificates a path may have, target and anchor not counted (OpenSSL -verify_depth); default 100. */
  maxDepth?: number;
  /**
   * Revocation checking against `crls`: 'leaf' checks the target only (OpenSSL -crl_check), 'all'
   * every certificate of the path, the trust anchor included (-crl_check_all). Without a CRL for a
   * certificate that must be checked, the path fails (ERR_PATH_CRL_MISSING). Default: none.
   */
  crlCheck?: CrlCheck;
  /** The CRLs `crlCheck` may use (what OpenSSL finds in the trust store or `openssl verify -CRLfile`); unused without `crlCheck`. */
  crls?: CrlsInput;
  /**
   * Apply delta CRLs with their complete CRLs, when the certificate or the complete CRL has
   * freshestCRL (OpenSSL -use_deltas); see path-revocation.ts. Without it delta CRLs are not used.
   */
  useDeltas?: boolean;
  /**
   * Use indirect CRLs, CRLs for some reasons only, and CRLs whose issuer certificate is off the
   * path (looked for among `untrusted`, validated itself to the same anchor) (OpenSSL -extended_crl).
   */
  extendedCrl?: boolean;
  /** Accept critical extensions path validation does not know (OpenSSL -ignore_critical). */
  ignoreCritical?: boolean;
  /**
   * Acceptable certificate policies, RFC 5280's user-initial-policy-set (OpenSSL -policy, repeated);
   * default any. Empty is what OpenSSL starts from when its policy checks run without -policy: no
   * policy is acceptable, so a path that must have an explicit policy fails.
   */
  policies?: readonly string[];
  /** Require a valid policy for the whole path from the start (OpenSSL -explicit_policy). */
  explicitPolicy?: boolean;
  /** Policy mappings are not followed from the start (OpenSSL -inhibit_map). */
  inhibitPolicyMapping?: boolean;
  /** anyPolicy in a certificate is not taken as matching from the start (OpenSSL -inhibit_any). */
  inhibitAnyPolicy?: boolean;
  /** OpenSSL purpose short name (-purpose): sslclient, sslserver, nssslserver, smimesign, smimeencrypt, crlsign, any, ocsphelper, timestampsign. */
  purpose?: string;
  /** The target must be for this host: DNS subjectAltNames, else the subject's commonName (OpenSSL -verify_hostname). */
  verifyHostname?: string;
  /** The target must be for this email address: rfc822Name subjectAltNames, else the subject's emailAddress (OpenSSL -verify_email). */
  verifyEmail?: string;
  /** The target must have this address among its iPAddress subjectAltNames (OpenSSL -verify_ip). */
  verifyIp?: string;
  /** Verify the trust anchor's self-signature too (OpenSSL -check_ss_sig). */
  checkSelfSignature?: boolean;
  /** Security level 0..5 every key and signature of the path must meet (OpenSSL -auth_level); default 0, none. */
  authLevel?: number;
  /** OpenSSL 3.0's strict RFC 5280 profile checks (-x509_strict); see strict-checks.ts for the list. */
  x509Strict?: boolean;
  /** RFC 6460 Suite B restrictions (OpenSSL -suiteB_128_only: '128only', -suiteB_128: '128', -suiteB_192: '192'); see suite-b.ts. */
  suiteB?: SuiteBLevel;
  /** Accept RFC 3820 proxy certificates, checking their path length and name rules (OpenSSL -allow_proxy_certs). */
  allowProxyCertificates?: boolean;
}

const defaultMaxDepth = 100;

/**
 * Returns the validated path [target, ...intermediates, anchor]; throws a CmpError with an
 * ERR_PATH_* code (ERR_INVALID_OPTION for unusable options, ERR_VERIFICATION_BUDGET when the search
 * would cost more than `budget` allows). `budget` is shared when several searches serve one
 * message; by default the search has its own.
 */
export async function validatePath(
  target: X509Certificate,
  opts: PathValidationOptions,
  budget: VerificationBudget = new VerificationBudget(),
): Promise<X509Certificate[]> {
  const search = new PathSearch(settingsFrom(opts), budget);
  return search.run(target);
}

interface Settings {
  trustedIds: ReadonlySet<string>;
  /** Trusted certificates first, each encoding once. */
  pool: readonly X509Certificate[];
  at: Date;
  noCheckTime: boolean;
  partialChain: boolean;
  maxDepth: number;
  crlCheck?: CrlCheck;
  crls: readonly CrlView[];
  useDeltas: boolean;
  extendedCrl: boolean;
  /** The untrusted certificates, where extendedCrl looks for CRL issuers off the path. */
  untrusted: readonly CertificateView[];
  /** Validating a CRL issuer off the path: no further one is validated (OpenSSL does not recurse). */
  crlIssuerSearch: boolean;
  ignoreCritical: boolean;
  policy: PolicyInputs;
  purpose?: string;
  identity: ExpectedIdentity;
  checkSelfSignature: boolean;
  authLevel: number;
  x509Strict: boolean;
  suiteB?: SuiteBLevel;
  allowProxyCertificates: boolean;
}

function settingsFrom(opts: PathValidationOptions): Settings {
  if (!opts || !Array.isArray(opts.trusted)) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'trusted certificates must be an array');
  if (opts.untrusted !== undefined && !Array.isArray(opts.untrusted)) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'untrusted certificates must be an array');
  }
  const at = opts.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'validation time is not a valid date');
  const maxDepth = opts.maxDepth ?? defaultMaxDepth;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 0) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `maxDepth must be a non-negative integer, got ${String(maxDepth)}`);
  }
  if (opts.crlCheck !== undefined && opts.crlCheck !== 'leaf' && opts.crlCheck !== 'all') {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `crlCheck must be 'leaf' or 'all', got ${String(opts.crlCheck)}`);
  }
  const trusted = opts.trusted.map(viewOf);
  const seen = new Set<string>();
  const pool = [...trusted, ...(opts.untrusted ?? []).map(viewOf)].filter((v) => !seen.has(v.id) && seen.add(v.id)).map((v) => v.cert);
  return {
    trustedIds: new Set(trusted.map((v) => v.id)),
    pool,
    at,
    noCheckTime: opts.noCheckTime === true,
    partialChain: opts.partialChain === true,
    maxDepth,
    ...(opts.crlCheck ? { crlCheck: opts.crlCheck } : {}),
    crls: opts.crlCheck ? crlsOf(opts.crls) : [],
    useDeltas: opts.useDeltas === true,
    extendedCrl: opts.extendedCrl === true,
    untrusted: opts.extendedCrl ? (opts.untrusted ?? []).map(viewOf) : [],
    crlIssuerSearch: false,
    ignoreCritical: opts.ignoreCritical === true,
    policy: policyInputsFrom(opts),
    ...(opts.purpose !== undefined ? { purpose: purposeFrom(opts.purpose) } : {}),
    identity: identityFrom(opts),
    checkSelfSignature: opts.checkSelfSignature === true,
    authLevel: authLevelFrom(opts.authLevel),
    x509Strict: opts.x509Strict === true,
    ...(opts.suiteB !== undefined ? { suiteB: suiteBFrom(opts.suiteB) } : {}),
    allowProxyCertificates: opts.allowProxyCertificates === true,
  };
}

function authLevelFrom(level: unknown): number {
  if (level === undefined) return 0;
  checkAuthLevel(level);
  return level as number;
}

function suiteBFrom(level: unknown): SuiteBLevel {
  if (!suiteBLevels.includes(level as SuiteBLevel)) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `suiteB: expected one of ${suiteBLevels.join(', ')}, got ${JSON.stringify(String(level))}`);
  }
  return level as SuiteBLevel;
}

function purposeFrom(purpose: unknown): string {
  if (typeof purpose !== 'string' || !isPurposeName(purpose)) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `purpose: unknown purpose ${JSON.stringify(String(purpose))}`);
  }
  return purpose;
}

function identityFrom(opts: PathValidationOptions): ExpectedIdentity {
  const identity: ExpectedIdentity = {
    ...(opts.verifyHostname !== undefined ? { host: opts.verifyHostname } : {}),
    ...(opts.verifyEmail !== undefined ? { email: opts.verifyEmail } : {}),
    ...(opts.verifyIp !== undefined ? { ip: opts.verifyIp } : {}),
  };
  checkExpectedIdentity(identity);
  return identity;
}

const policyOid = /^[0-2](\.(0|[1-9][0-9]*))+$/;

function policyInputsFrom(opts: PathValidationOptions): PolicyInputs {
  const { policies } = opts;
  if (policies !== undefined) {
    if (!Array.isArray(policies)) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'policies must be an array of OIDs');
    const bad = policies.find((p) => typeof p !== 'string' || !policyOid.test(p));
    if (bad !== undefined) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `policies: not a dotted OID: ${String(bad)}`);
  }
  return {
    ...(policies ? { initialPolicies: [...policies] } : {}),
    explicitPolicy: opts.explicitPolicy === true,
    inhibitPolicyMapping: opts.inhibitPolicyMapping === true,
    inhibitAnyPolicy: opts.inhibitAnyPolicy === true,
  };
}

/** How far a failed attempt got: compared by `stage`, then by the path length it reached. */
interface Failure {
  stage: Stage;
  length: number;
  error: CmpError;
}

enum Stage {
  NoAnchor = 0,
  BrokenLink = 1,
  CompletePath = 2,
}

class PathSearch {
  private best?: Failure;

  constructor(
    private readonly settings: Settings,
    private readonly budget: VerificationBudget,
  ) {}

  async run(target: X509Certificate): Promise<X509Certificate[]> {
    // Without a trust anchor no path can end: no reason to verify anything.
    if (this.settings.trustedIds.size === 0) {
      throw new CmpError(ErrorCodes.ERR_PATH_NO_ANCHOR, `no path from "${target.subject}" to a trust anchor: no trusted certificate is configured`);
    }
    const path = await this.extend([viewOf(target)]);
    if (path) return path.map((v) => v.cert);
    throw this.best?.error ?? new CmpError(ErrorCodes.ERR_PATH_NO_ANCHOR, `no path from "${target.subject}" to a trust anchor`);
  }

  /** Depth-first search upwards from the top of `path`; the first path that passes all checks wins. */
  private async extend(path: CertificateView[]): Promise<CertificateView[] | undefined> {
    const top = path[path.length - 1]!;
    if (this.isAnchor(top)) return this.complete(path);
    if (path.length >= this.settings.maxDepth + 2) {
      this.record(
        Stage.BrokenLink,
        path,
        new CmpError(ErrorCodes.ERR_PATH_LENGTH, `certificate path exceeds the maximum depth of ${this.settings.maxDepth}`),
      );
      return undefined;
    }
    const candidates = this.candidateIssuers(top, path);
    if (candidates.length === 0) {
      this.record(Stage.NoAnchor, path, noAnchorError(top));
      return undefined;
    }
    for (const issuer of candidates) {
      this.budget.spend('issuerCandidates');
      const signatureError = await this.budget.check(top, issuer);
      if (signatureError) {
        this.record(Stage.BrokenLink, path, signatureError);
        continue;
      }
      const found = await this.extend([...path, issuer]);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * Issuers by name, minus any that would repeat a subject name and key already in the path (RFC
   * 4158 section 2.4.2), which stops loops through cross-certificates.
   */
  private candidateIssuers(top: CertificateView, path: readonly CertificateView[]): CertificateView[] {
    return findIssuers(top.cert, this.settings.pool, this.settings.at)
      .map(viewOf)
      .filter((candidate) => !path.some((p) => p.subjectKey === candidate.subjectKey && sameBytes(p.spki, candidate.spki)));
  }

  private isAnchor(view: CertificateView): boolean {
    return this.settings.trustedIds.has(view.id) && (this.settings.partialChain || isSelfSigned(view.cert));
  }

  private async complete(path: CertificateView[]): Promise<CertificateView[] | undefined> {
    const { at, noCheckTime, crlCheck, ignoreCritical, policy, purpose, identity, authLevel } = this.settings;
    try {
      // Every link was verified on the way up, so checkPath finds the results remembered.
      await checkPath(
        path.map((v) => v.cert),
        { at, noCheckTime, ignoreCritical, policy, allowProxyCertificates: this.settings.allowProxyCertificates },
        this.budget,
      );
      const unfit =
        (this.settings.x509Strict && strictError(path)) ||
        (purpose && purposeError(path, purpose)) ||
        identityError(path[0]!, identity) ||
        securityLevelError(path, authLevel) ||
        (this.settings.suiteB && suiteBError(path, this.settings.suiteB));
      if (unfit) throw unfit;
      const anchor = path[path.length - 1]!;
      if (this.settings.checkSelfSignature && isSelfSigned(anchor.cert)) {
        const broken = await this.budget.check(anchor, anchor);
        if (broken) throw broken;
      }
      // OpenSSL checks revocation before signatures and validity; only a path that has several
      // faults can tell the order, and then both reject it.
      // OpenSSL's check_revocation: with -crl_check only, a CRL issuer's own path is not checked (it is no end entity).
      const checked = crlCheck && !(crlCheck === 'leaf' && this.settings.crlIssuerSearch);
      const revoked = checked && (await revocationError(path, this.revocationSettings(crlCheck), this.budget));
      if (revoked) throw revoked;
      return path;
    } catch (e) {
      if (!(e instanceof CmpError) || e.code === ErrorCodes.ERR_VERIFICATION_BUDGET) throw e;
      this.record(Stage.CompletePath, path, e);
      return undefined;
    }
  }

  private revocationSettings(check: CrlCheck): RevocationSettings {
    const { crls, at, noCheckTime, ignoreCritical, useDeltas, extendedCrl, untrusted, crlIssuerSearch } = this.settings;
    return {
      check,
      crls,
      at,
      noCheckTime,
      ignoreCritical,
      useDeltas,
      extendedCrl,
      crlIssuers: untrusted,
      // OpenSSL's check_crl_path: the CRL issuer's own path, with the same parameters and CRLs.
      ...(crlIssuerSearch
        ? {}
        : {
            validateCrlIssuer: async (issuer: CertificateView) => {
              const search = new PathSearch({ ...this.settings, crlIssuerSearch: true }, this.budget);
              return (await search.run(issuer.cert)).map(viewOf);
            },
          }),
    };
  }

  private record(stage: Stage, path: readonly CertificateView[], error: CmpError): void {
    const best = this.best;
    if (!best || stage > best.stage || (stage === best.stage && path.length > best.length)) {
      this.best = { stage, length: path.length, error };
    }
  }
}

function noAnchorError(top: CertificateView): CmpError {
  const why = isSelfSigned(top.cert)
    ? `self-signed certificate "${top.cert.subject}" is not trusted`
    : `no issuer of "${top.cert.subject}" (issuer "${top.cert.issuer}") among the trusted and untrusted certificates`;
  return new CmpError(ErrorCodes.ERR_PATH_NO_ANCHOR, `no path to a trust anchor: ${why}`);
}
