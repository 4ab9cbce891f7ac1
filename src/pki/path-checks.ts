/**
 * RFC 5280 section 6.1 checks of one complete certification path, in the way OpenSSL's
 * X509_verify_cert applies them to a built chain: names chain, signatures verify, every
 * certificate (the trust anchor included) is within its validity period, issuers are CAs allowed to
 * sign certificates, path length constraints hold, no critical extension is left unprocessed, and
 * name constraints and certificate policies are satisfied. The trust anchor's own signature is not
 * checked (OpenSSL does so only with X509_V_FLAG_CHECK_SS_SIGNATURE).
 *
 * Whether the top certificate is an acceptable trust anchor is the caller's decision.
 */
import type { X509Certificate } from '@peculiar/x509';
import { CmpError, ErrorCodes } from '../errors';
import { policyError, type PolicyInputs } from './certificate-policies';
import { PkixOids } from '../asn1/oids';
import { viewOf, type CertificateView } from './certificate-view';
import { nameConstraintsError } from './name-constraints';
import { isSelfIssued, isSelfSigned } from './path-building';
import { SignatureChecks } from './signature-check';
import { isProxy, proxyCertificateError, proxyIssuerError, proxyNotAllowedError, proxyPathLengths } from './proxy-certificates';

export interface PathCheckOptions {
  /** Validation time; default now. */
  at?: Date;
  /** Skip validity-period checks (OpenSSL -no_check_time). */
  noCheckTime?: boolean;
  /** Accept critical extensions path validation does not know (OpenSSL -ignore_critical). */
  ignoreCritical?: boolean;
  /** RFC 5280's initial policy inputs (OpenSSL -policy, -explicit_policy, -inhibit_map, -inhibit_any). */
  policy?: PolicyInputs;
  /** Accept RFC 3820 proxy certificates, under their own rules (OpenSSL -allow_proxy_certs); see proxy-certificates.ts. */
  allowProxyCertificates?: boolean;
}

/**
 * Extensions whose meaning path validation knows, so they may be critical. Revocation (CRL
 * distribution points) is the caller's concern, not a reason to reject a path.
 */
const processedExtensions: ReadonlySet<string> = new Set([
  PkixOids.basicConstraints,
  PkixOids.keyUsage,
  PkixOids.extKeyUsage,
  PkixOids.subjectAltName,
  PkixOids.issuerAltName,
  PkixOids.nameConstraints,
  PkixOids.certificatePolicies,
  PkixOids.policyConstraints,
  PkixOids.policyMappings,
  PkixOids.inhibitAnyPolicy,
  PkixOids.subjectKeyIdentifier,
  PkixOids.authorityKeyIdentifier,
  PkixOids.cRLDistributionPoints,
  PkixOids.freshestCRL,
  // Known to OpenSSL whether or not proxies are allowed; a path with one is refused unless they are.
  PkixOids.proxyCertInfo,
]);

/**
 * Checks `path` ordered [target, ...intermediates, anchor]; throws the first failure as a CmpError
 * with an ERR_PATH_* code. `signatures` lets path building share verifications it already did.
 */
export async function checkPath(
  path: readonly X509Certificate[],
  options: PathCheckOptions = {},
  signatures: Pick<SignatureChecks, 'check'> = new SignatureChecks(),
): Promise<void> {
  const views = path.map(viewOf);
  const at = options.at ?? new Date();
  if (!options.allowProxyCertificates) {
    const proxy = proxyNotAllowedError(views);
    if (proxy) throw proxy;
  }
  const proxyLengths = proxyPathLengths(views);
  // From the anchor down, the order of RFC 5280's processing.
  for (let i = views.length - 1; i >= 0; i--) {
    const cert = views[i]!;
    const issuer = views[i + 1];
    const error =
      extensionsError(cert, options.ignoreCritical === true) ??
      (issuer ? (chainingError(cert, issuer) ?? (await signatures.check(cert, issuer))) : undefined) ??
      (options.noCheckTime ? undefined : validityError(cert, at)) ??
      (i > 0 ? issuerError(views, i, proxyLengths[i]!) : undefined) ??
      (isProxy(cert) ? proxyCertificateError(views, i) : undefined) ??
      nameConstraintsErrorAt(views, i);
    if (error) throw error;
  }
  const policy = policyError(views.slice(0, -1).reverse(), (v) => isSelfIssued(v.cert), options.policy);
  if (policy) throw policy;
}

/** Malformed, repeated or unprocessed critical extensions. */
function extensionsError(cert: CertificateView, ignoreCritical: boolean): CmpError | undefined {
  if (cert.extensionError) return cert.extensionError;
  if (ignoreCritical) return undefined;
  const unknown = cert.extensions?.critical.filter((oid) => !processedExtensions.has(oid)) ?? [];
  if (unknown.length > 0) {
    return new CmpError(
      ErrorCodes.ERR_PATH_CRITICAL_EXTENSION,
      `certificate "${cert.cert.subject}" has unsupported critical extension ${unknown.join(', ')}`,
    );
  }
  return undefined;
}

function chainingError(cert: CertificateView, issuer: CertificateView): CmpError | undefined {
  if (cert.issuerKey === issuer.subjectKey) return undefined;
  return new CmpError(
    ErrorCodes.ERR_PATH_NAME_CHAINING,
    `issuer of certificate "${cert.cert.subject}" is not the subject "${issuer.cert.subject}" above it`,
  );
}

export function validityError(cert: CertificateView, at: Date): CmpError | undefined {
  if (at.getTime() < cert.notBefore.getTime()) {
    return new CmpError(ErrorCodes.ERR_PATH_NOT_YET_VALID, `certificate "${cert.cert.subject}" is not valid before ${cert.notBefore.toISOString()}`);
  }
  if (at.getTime() > cert.notAfter.getTime()) {
    return new CmpError(ErrorCodes.ERR_PATH_EXPIRED, `certificate "${cert.cert.subject}" expired at ${cert.notAfter.toISOString()}`);
  }
  return undefined;
}

/** What certificate `i` (> 0) must satisfy as the issuer of the one below it; `proxyLength` as proxyPathLengths gives it. */
function issuerError(views: readonly CertificateView[], i: number, proxyLength: number): CmpError | undefined {
  const cert = views[i]!;
  if (isProxy(views[i - 1]!)) return proxyIssuerError(cert);
  return caError(cert, i === views.length - 1) ?? keyCertSignError(cert) ?? pathLengthError(views, i, proxyLength);
}

/**
 * RFC 5280 6.1.4 (k): a v3 basicConstraints with cA TRUE. Like OpenSSL, the top of the path may
 * instead be a v1 self-signed root or a certificate whose keyUsage (checked separately) allows
 * keyCertSign; intermediates get no such tolerance.
 */
function caError(cert: CertificateView, isTop: boolean): CmpError | undefined {
  const bc = cert.extensions?.basicConstraints;
  if (bc?.cA) return undefined;
  if (!bc && isTop && ((cert.version === 1 && isSelfSigned(cert.cert)) || cert.extensions?.keyUsage)) return undefined;
  const why = bc ? 'basicConstraints cA is FALSE' : 'it has no basicConstraints';
  return new CmpError(ErrorCodes.ERR_PATH_NOT_CA, `certificate "${cert.cert.subject}" issued a certificate but is not a CA: ${why}`);
}

/** RFC 5280 6.1.4 (n): a keyUsage, when present, must allow signing certificates. */
function keyCertSignError(cert: CertificateView): CmpError | undefined {
  const usage = cert.extensions?.keyUsage;
  if (!usage || usage.has('keyCertSign')) return undefined;
  return new CmpError(ErrorCodes.ERR_PATH_KEY_USAGE, `certificate "${cert.cert.subject}" issued a certificate but its keyUsage lacks keyCertSign`);
}

/**
 * RFC 5280 6.1.4 (l), (m): a pathLenConstraint bounds the non-self-issued intermediates below the
 * CA (the target does not count), beyond OpenSSL's allowance for proxy certificates below.
 */
function pathLengthError(views: readonly CertificateView[], i: number, proxyLength: number): CmpError | undefined {
  const limit = views[i]!.extensions?.basicConstraints?.pathLenConstraint;
  if (limit === undefined) return undefined;
  const below = views.slice(1, i).filter((v) => !isSelfIssued(v.cert)).length;
  if (below <= limit + proxyLength) return undefined;
  return new CmpError(
    ErrorCodes.ERR_PATH_LENGTH,
    `certificate "${views[i]!.cert.subject}" allows ${limit} intermediate CA certificate(s) below it, the path has ${below}`,
  );
}

/**
 * RFC 5280 6.1.3 (b), (c): the names of certificate `i` against the constraints of every CA above
 * it. Self-issued intermediates are exempt; the target never is.
 */
function nameConstraintsErrorAt(views: readonly CertificateView[], i: number): CmpError | undefined {
  const cert = views[i]!;
  if (i > 0 && isSelfIssued(cert.cert)) return undefined;
  for (let j = views.length - 1; j > i; j--) {
    const constraints = views[j]!.extensions?.nameConstraints;
    const error = constraints && nameConstraintsError(cert, constraints, i === 0);
    if (error) return error;
  }
  return undefined;
}
