/**
 * OpenSSL 3.0's -x509_strict (X509_V_FLAG_X509_STRICT) conformance checks of RFC 5280 profile
 * rules, on every certificate of a path longer than one:
 * - pathLenConstraint only in a CA whose keyUsage allows keyCertSign (4.2.1.9);
 * - a CA's basicConstraints critical and keyUsage present; keyCertSign only in CAs (4.2.1.3);
 * - a non-empty issuer name; a non-empty subject for CAs, CRL signers and certificates without
 *   subjectAltName, which must be critical and not empty when the subject is empty (4.1.2.4,
 *   4.1.2.6, 4.2.1.6);
 * - authority and subject key identifiers not critical; an authority key identifier with a key
 *   identifier in all but the trust anchor, a subject key identifier in CAs (4.2.1.1, 4.2.1.2);
 * - extensions only in version 3 certificates;
 * - the trust anchor a CA by basicConstraints (no version 1 or keyUsage-only tolerance), and the
 *   end certificate not a CA by those tolerances either (X509_check_ca).
 * The signature algorithm consistency OpenSSL adds here (4.1.1.2) is always checked by cmpflow.
 */
import { CmpError, ErrorCodes } from '../errors';
import { PkixOids } from '../asn1/oids';
import type { CertificateView } from './certificate-view';
import { isSelfSigned } from './path-building';

/** Undefined when `path` ([target, ..., anchor]) passes the strict checks, else ERR_PATH_X509_STRICT. */
export function strictError(path: readonly CertificateView[]): CmpError | undefined {
  for (const [i, cert] of path.entries()) {
    const problem = (i === 0 ? leafCaProblem(cert) : undefined) ?? (i === path.length - 1 && i > 0 ? anchorCaProblem(cert) : undefined);
    const profile = path.length > 1 ? profileProblem(cert, i < path.length - 1) : undefined;
    const found = problem ?? profile;
    if (found) return new CmpError(ErrorCodes.ERR_PATH_X509_STRICT, `certificate "${cert.cert.subject}" fails a strict X.509 check: ${found}`);
  }
  return undefined;
}

/** OpenSSL's X509_check_ca: 1 for a CA by basicConstraints, 3/4 for the tolerated forms, 0 otherwise. */
function caKind(cert: CertificateView): 0 | 1 | 3 | 4 {
  const ext = cert.extensions;
  if (ext?.keyUsage && !ext.keyUsage.has('keyCertSign')) return 0;
  if (ext?.basicConstraints) return ext.basicConstraints.cA ? 1 : 0;
  if (cert.version === 1 && isSelfSigned(cert.cert)) return 3;
  return ext?.keyUsage ? 4 : 0;
}

function leafCaProblem(cert: CertificateView): string | undefined {
  const kind = caKind(cert);
  return kind === 3 || kind === 4 ? 'an end certificate that is a CA only by version 1 or keyUsage tolerance' : undefined;
}

function anchorCaProblem(cert: CertificateView): string | undefined {
  return caKind(cert) === 1 ? undefined : 'the trust anchor is not a CA by basicConstraints';
}

function profileProblem(cert: CertificateView, hasIssuerInPath: boolean): string | undefined {
  const ext = cert.extensions;
  const critical = new Set(ext?.critical ?? []);
  const isCa = ext?.basicConstraints?.cA === true;
  const usage = ext?.keyUsage;
  if (ext?.basicConstraints?.pathLenConstraint !== undefined) {
    if (!isCa) return 'pathLenConstraint in a certificate that is not a CA';
    if (!usage?.has('keyCertSign')) return 'pathLenConstraint without keyUsage keyCertSign';
  }
  if (isCa && !critical.has(PkixOids.basicConstraints)) return 'basicConstraints of a CA not critical';
  if (isCa && !usage) return 'a CA without keyUsage';
  if (!isCa && usage?.has('keyCertSign')) return 'keyUsage keyCertSign in a certificate that is not a CA';
  if (cert.asn.tbsCertificate.issuer.length === 0) return 'empty issuer name';
  const hasSan = hasExtension(cert, PkixOids.subjectAltName);
  const emptySubject = cert.subjectName.length === 0;
  if (emptySubject && (isCa || usage?.has('crlSign') || !hasSan)) return 'empty subject name';
  if (emptySubject && hasSan && !critical.has(PkixOids.subjectAltName)) return 'empty subject name with a subjectAltName that is not critical';
  if (hasSan && (ext?.subjectAltNames ?? []).length === 0) return 'empty subjectAltName';
  if (critical.has(PkixOids.authorityKeyIdentifier)) return 'authorityKeyIdentifier critical';
  if (critical.has(PkixOids.subjectKeyIdentifier)) return 'subjectKeyIdentifier critical';
  if (cert.version >= 3) {
    if (hasIssuerInPath && !ext?.authorityKeyIdentifier?.keyIdentifier) return 'no authorityKeyIdentifier with a keyIdentifier';
    if (isCa && !ext?.subjectKeyIdentifier) return 'a CA without subjectKeyIdentifier';
  } else if ((cert.asn.tbsCertificate.extensions?.length ?? 0) > 0) {
    return `extensions in a version ${cert.version} certificate`;
  }
  return undefined;
}

function hasExtension(cert: CertificateView, oid: string): boolean {
  return (cert.asn.tbsCertificate.extensions ?? []).some((e) => e.extnID === oid);
}
