/**
 * Certificate purposes as OpenSSL 3.0's X509_check_purpose applies them to a path
 * (-purpose NAME): the extendedKeyUsage every certificate of the path must allow, when it has
 * one, and the keyUsage (or, for timestampsign, the exact extendedKeyUsage) the end certificate
 * must have. Whether the CAs are CAs is path validation's own check. Netscape certificate types,
 * which OpenSSL also consults, are not read: a certificate with one is judged by its other
 * extensions only.
 */
import { CmpError, ErrorCodes } from '../errors';
import type { CertificateView } from './certificate-view';
import { PkixOids } from '../asn1/oids';

const kp = (n: number) => `1.3.6.1.5.5.7.3.${n}`;
const serverAuth = kp(1);
const clientAuth = kp(2);
const emailProtection = kp(4);
const timeStamping = kp(8);
/** Server Gated Cryptography (Microsoft, Netscape), which OpenSSL still takes for serverAuth. */
const sgc = ['1.3.6.1.4.1.311.10.3.3', '2.16.840.1.113730.4.1'];

interface Purpose {
  /** One of these must be in a certificate's extendedKeyUsage, when it has one. */
  eku?: readonly string[];
  /** One of these must be in the end certificate's keyUsage, when it has one. */
  leafKeyUsage?: readonly string[];
  /** The end certificate's own extra rule. */
  leaf?: (cert: CertificateView) => string | undefined;
}

const sslServerKeyUsage = ['digitalSignature', 'keyEncipherment', 'keyAgreement'];

/** OpenSSL 3.0's purpose short names. */
export const PURPOSES: Readonly<Record<string, Purpose>> = {
  sslclient: { eku: [clientAuth], leafKeyUsage: ['digitalSignature', 'keyAgreement'] },
  sslserver: { eku: [serverAuth, ...sgc], leafKeyUsage: sslServerKeyUsage },
  nssslserver: {
    eku: [serverAuth, ...sgc],
    leafKeyUsage: sslServerKeyUsage,
    leaf: (c) => (keyUsageLacks(c, ['keyEncipherment']) ? 'keyUsage lacks keyEncipherment' : undefined),
  },
  smimesign: { eku: [emailProtection], leafKeyUsage: ['digitalSignature', 'nonRepudiation'] },
  smimeencrypt: { eku: [emailProtection], leafKeyUsage: ['keyEncipherment'] },
  crlsign: { leafKeyUsage: ['crlSign'] },
  any: {},
  ocsphelper: {},
  timestampsign: { leaf: timestampSignProblem },
};

export function isPurposeName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(PURPOSES, name);
}

/** Undefined when every certificate of `path` ([target, ..., anchor]) fits `purpose`, else ERR_PATH_PURPOSE. */
export function purposeError(path: readonly CertificateView[], purpose: string): CmpError | undefined {
  const rules = PURPOSES[purpose]!;
  for (const [i, cert] of path.entries()) {
    const eku = cert.extensions?.extKeyUsage;
    let problem: string | undefined;
    if (rules.eku && eku && !eku.some((oid) => rules.eku!.includes(oid))) problem = 'extendedKeyUsage does not allow it';
    else if (i === 0 && rules.leafKeyUsage && keyUsageLacks(cert, rules.leafKeyUsage)) {
      problem = `keyUsage has none of ${rules.leafKeyUsage.join(', ')}`;
    } else if (i === 0 && rules.leaf) problem = rules.leaf(cert);
    if (problem) return new CmpError(ErrorCodes.ERR_PATH_PURPOSE, `certificate "${cert.cert.subject}" is not for purpose ${purpose}: ${problem}`);
  }
  return undefined;
}

function keyUsageLacks(cert: CertificateView, wanted: readonly string[]): boolean {
  const usage = cert.extensions?.keyUsage;
  return usage !== undefined && !wanted.some((bit) => usage.has(bit));
}

/** RFC 3161 section 2.3: timeStamping as the only (known) extended key usage, critical; signing key usages only. */
function timestampSignProblem(cert: CertificateView): string | undefined {
  const eku = cert.extensions?.extKeyUsage;
  const known = (eku ?? []).filter((oid) => oid.startsWith('1.3.6.1.5.5.7.3.') || sgc.includes(oid) || oid === '2.5.29.37.0');
  if (!eku || known.length === 0 || known.some((oid) => oid !== timeStamping)) return 'extendedKeyUsage is not timeStamping alone';
  if (!cert.extensions?.critical.includes(PkixOids.extKeyUsage)) return 'extendedKeyUsage is not critical';
  const usage = cert.extensions.keyUsage;
  if (usage && ([...usage].some((bit) => bit !== 'digitalSignature' && bit !== 'nonRepudiation') || usage.size === 0)) {
    return 'keyUsage allows more than digitalSignature and nonRepudiation';
  }
  return undefined;
}
