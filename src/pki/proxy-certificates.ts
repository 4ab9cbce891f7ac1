/**
 * RFC 3820 proxy certificates in a certification path, as OpenSSL checks them with
 * X509_V_FLAG_ALLOW_PROXY_CERTS (-allow_proxy_certs); without it a proxy certificate anywhere in a
 * path fails it. A proxy certificate (one with proxyCertInfo) is issued by an end entity or by
 * another proxy certificate, never by a CA:
 * - it is no CA and names nobody else (no subjectAltName or issuerAltName), else OpenSSL cannot
 *   even chain it;
 * - its issuer is no CA and, when it has keyUsage, may sign (digitalSignature), in place of the
 *   CA and keyCertSign rules;
 * - its subject is its issuer's name plus one single-valued commonName RDN (3.4, 4.1.3 (a)(4));
 * - the proxies below a proxy with a pCPathLenConstraint are at most that many (4.1.3 (b)(1),
 *   4.1.4 (a)), and the pathLenConstraint of a CA above does not count them, as in OpenSSL.
 */
import { CmpError, ErrorCodes } from '../errors';
import type { CertificateView } from './certificate-view';
import { canonicalNameKey } from './name-matching';
import { isSelfIssued, isSelfSigned } from './path-building';

const commonName = '2.5.4.3';

export function isProxy(cert: CertificateView): boolean {
  return cert.extensions?.proxyCertInfo !== undefined;
}

/** ERR_PATH_PROXY_CERTIFICATE for the first proxy certificate of `path` when proxies are not allowed. */
export function proxyNotAllowedError(path: readonly CertificateView[]): CmpError | undefined {
  const proxy = path.find(isProxy);
  return proxy && proxyError(proxy, 'proxy certificates are not allowed (OpenSSL -allow_proxy_certs allows them)');
}

/** What proxy certificate `views[i]` must satisfy by itself: its form and its name. */
export function proxyCertificateError(views: readonly CertificateView[], i: number): CmpError | undefined {
  const cert = views[i]!;
  const ext = cert.extensions!;
  if (isCa(cert)) return proxyError(cert, 'a proxy certificate must not be a CA');
  if (cert.asn.tbsCertificate.extensions?.some((e) => e.extnID === '2.5.29.17' || e.extnID === '2.5.29.18')) {
    return proxyError(cert, 'a proxy certificate must not have subjectAltName or issuerAltName');
  }
  if (ext.proxyCertInfo && !(i > 0 && isSelfIssued(cert.cert))) return proxyNameError(cert);
  return undefined;
}

/** What `issuer` must satisfy as the issuer of a proxy certificate. */
export function proxyIssuerError(issuer: CertificateView): CmpError | undefined {
  if (isCa(issuer)) return proxyError(issuer, 'a CA issued a proxy certificate, which only end entities and proxies may do');
  const usage = issuer.extensions?.keyUsage;
  if (usage && !usage.has('digitalSignature')) {
    return new CmpError(
      ErrorCodes.ERR_PATH_KEY_USAGE,
      `certificate "${issuer.cert.subject}" issued a proxy certificate but its keyUsage lacks digitalSignature`,
    );
  }
  return undefined;
}

/**
 * OpenSSL's proxy path length at each index of `views` ([target, ..., anchor]): what a CA's
 * pathLenConstraint at that index tolerates on top of its limit. Throws when a proxy certificate's
 * pCPathLenConstraint is exceeded.
 */
export function proxyPathLengths(views: readonly CertificateView[]): number[] {
  const lengths: number[] = [];
  let length = 0;
  for (const cert of views) {
    lengths.push(length);
    const info = cert.extensions?.proxyCertInfo;
    if (!info) continue;
    if (info.pathLength !== undefined) {
      if (length > info.pathLength) {
        throw proxyError(cert, `it allows ${info.pathLength} proxy certificate(s) below it, the path has ${length}`);
      }
      length = info.pathLength;
    }
    length++;
  }
  return lengths;
}

function proxyNameError(cert: CertificateView): CmpError | undefined {
  const subject = cert.subject;
  const count = (name: readonly (readonly string[])[]) => name.reduce((n, rdn) => n + rdn.length, 0);
  const last = subject[subject.length - 1];
  const fits =
    count(subject) >= 2 &&
    count(subject) === count(cert.issuer) + 1 &&
    last?.length === 1 &&
    last[0]!.startsWith(`${commonName}=`) &&
    canonicalNameKey(subject.slice(0, -1)) === cert.issuerKey;
  return fits ? undefined : proxyError(cert, "a proxy certificate's subject must be its issuer's name plus one commonName");
}

/** OpenSSL's X509_check_ca other than 0: a CA by basicConstraints, or by the tolerances for certificates without it. */
function isCa(cert: CertificateView): boolean {
  const ext = cert.extensions;
  if (ext?.keyUsage && !ext.keyUsage.has('keyCertSign')) return false;
  if (ext?.basicConstraints) return ext.basicConstraints.cA;
  return (cert.version === 1 && isSelfSigned(cert.cert)) || ext?.keyUsage !== undefined;
}

function proxyError(cert: CertificateView, why: string): CmpError {
  return new CmpError(ErrorCodes.ERR_PATH_PROXY_CERTIFICATE, `certificate "${cert.cert.subject}": ${why}`);
}
