/**
 * Whether the end certificate of a path names an expected host, email address or IP address, as
 * OpenSSL's X509_check_host, X509_check_email and X509_check_ip do with the default flags
 * (-verify_hostname, -verify_email, -verify_ip): subjectAltName entries of the type decide; only
 * when there are none of that type does the subject count (commonName for hosts, emailAddress for
 * email; never for IP addresses).
 */
import { isIP } from 'net';
import { CmpError, ErrorCodes } from '../errors';
import type { CertificateView } from './certificate-view';
import { attributeStrings } from './name-matching';

const emailAddressOid = '1.2.840.113549.1.9.1';
const commonNameOid = '2.5.4.3';

export interface ExpectedIdentity {
  host?: string;
  email?: string;
  ip?: string;
}

/** Checks the expected values; throws ERR_INVALID_OPTION when one cannot be a name of its kind. */
export function checkExpectedIdentity(expected: ExpectedIdentity): void {
  if (expected.host !== undefined && (typeof expected.host !== 'string' || expected.host === '')) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'verifyHostname must be a non-empty string');
  }
  if (expected.email !== undefined && (typeof expected.email !== 'string' || !expected.email.includes('@'))) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `verifyEmail must be an email address, got ${JSON.stringify(String(expected.email))}`);
  }
  if (expected.ip !== undefined && (typeof expected.ip !== 'string' || ipOctets(expected.ip) === undefined)) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `verifyIp must be an IPv4 or IPv6 address, got ${JSON.stringify(String(expected.ip))}`);
  }
}

/** Undefined when `target` matches every expected name given, else ERR_PATH_IDENTITY_MISMATCH. */
export function identityError(target: CertificateView, expected: ExpectedIdentity): CmpError | undefined {
  const sans = target.extensions?.subjectAltNames ?? [];
  if (expected.host !== undefined) {
    const dns = sans.flatMap((n) => (n.kind === 'dNSName' ? [n.value] : []));
    const candidates = dns.length > 0 ? dns : attributeStrings(target.subjectName, commonNameOid);
    if (!candidates.some((pattern) => hostMatches(pattern, expected.host!))) return mismatch(target, 'hostname', expected.host);
  }
  if (expected.email !== undefined) {
    const emails = sans.flatMap((n) => (n.kind === 'rfc822Name' ? [n.value] : []));
    const candidates = emails.length > 0 ? emails : attributeStrings(target.subjectName, emailAddressOid);
    if (!candidates.some((address) => emailMatches(address, expected.email!))) return mismatch(target, 'email address', expected.email);
  }
  if (expected.ip !== undefined) {
    const wanted = ipOctets(expected.ip)!;
    const found = sans.some((n) => n.kind === 'iPAddress' && n.octets.length === wanted.length && n.octets.every((b, i) => b === wanted[i]));
    if (!found) return mismatch(target, 'IP address', expected.ip);
  }
  return undefined;
}

function mismatch(target: CertificateView, what: string, value: string): CmpError {
  return new CmpError(ErrorCodes.ERR_PATH_IDENTITY_MISMATCH, `certificate "${target.cert.subject}" does not match the expected ${what} ${value}`);
}

/**
 * Case-insensitive; a '*' in the leftmost label of the pattern (possibly with a prefix or suffix in
 * that label) stands for part of one label, when at least two labels follow it and the label is
 * not an IDNA A-label, as OpenSSL's wildcard_match.
 */
function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === h) return true;
  const star = p.indexOf('*');
  if (star < 0 || p.indexOf('*', star + 1) >= 0) return false;
  const labels = p.split('.');
  const first = labels[0]!;
  if (!first.includes('*') || labels.length < 3 || labels.some((l) => l === '') || first.startsWith('xn--')) return false;
  const hostLabels = h.split('.');
  if (hostLabels.length !== labels.length || hostLabels.slice(1).join('.') !== labels.slice(1).join('.')) return false;
  const [prefix, suffix] = [first.slice(0, star), first.slice(star + 1)];
  const label = hostLabels[0]!;
  // Only a whole-label '*' may match an IDNA A-label of the host.
  const partial = prefix !== '' || suffix !== '';
  if (label === '' || (partial && label.startsWith('xn--'))) return false;
  return label.length >= prefix.length + suffix.length && label.startsWith(prefix) && label.endsWith(suffix);
}

/** The local part compares exactly, the domain case-insensitively (OpenSSL's equal_email). */
function emailMatches(address: string, expected: string): boolean {
  const a = address.lastIndexOf('@');
  const e = expected.lastIndexOf('@');
  if (a < 0 || e < 0) return false;
  return address.slice(0, a) === expected.slice(0, e) && address.slice(a + 1).toLowerCase() === expected.slice(e + 1).toLowerCase();
}

function ipOctets(text: string): Uint8Array | undefined {
  const family = isIP(text);
  if (family === 4) return new Uint8Array(text.split('.').map(Number));
  if (family !== 6) return undefined;
  let groups = text;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(groups);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    groups = `${groups.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = groups.includes('::') ? groups.split('::') : [groups, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const words = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    const value = parseInt(w, 16);
    out[i * 2] = value >> 8;
    out[i * 2 + 1] = value & 0xff;
  });
  return out;
}
