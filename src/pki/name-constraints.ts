/**
 * Name constraints (RFC 5280 sections 4.2.1.10 and 6.1.4 (g)), checked as OpenSSL does: every name
 * of a certificate must lie in a permitted subtree of its type, when the constraining CA lists any
 * of that type, and in no excluded subtree. Checking each CA's constraints separately is the same
 * as RFC 5280's running intersection of permitted subtrees.
 *
 * Supported forms: directoryName, dNSName, rfc822Name, uniformResourceIdentifier and iPAddress.
 * A name of another form meeting a constraint of the same form cannot be evaluated and fails the
 * path, as does a subtree with minimum/maximum (RFC 5280: minimum 0, maximum absent).
 */
import { CmpError, ErrorCodes } from '../errors';
import type { CertificateView } from './certificate-view';
import type { DecodedGeneralName, DecodedNameConstraints, DecodedSubtree, GeneralNameKind } from './general-names';
import { attributeStrings, canonicalName, isNamePrefix } from './name-matching';

const emailAddressOid = '1.2.840.113549.1.9.1';
const commonNameOid = '2.5.4.3';

/**
 * Undefined when every name of `cert` satisfies `constraints`. `isTarget` adds OpenSSL's check of
 * host-name-like common names against dNSName constraints, for end certificates without a DNS SAN.
 */
export function nameConstraintsError(cert: CertificateView, constraints: DecodedNameConstraints, isTarget: boolean): CmpError | undefined {
  const subtrees = [...(constraints.permitted ?? []), ...(constraints.excluded ?? [])];
  if (subtrees.some((s) => s.minimum !== 0 || s.maximum !== undefined)) {
    return violation(cert, 'uses name-constraint subtrees with minimum or maximum, which are not supported');
  }
  for (const name of namesOf(cert, isTarget)) {
    const problem = checkName(name, constraints);
    if (problem) return violation(cert, problem);
  }
  return undefined;
}

/** The names of a certificate that name constraints apply to. */
function namesOf(cert: CertificateView, isTarget: boolean): DecodedGeneralName[] {
  const altNames = cert.extensions?.subjectAltNames ?? [];
  const names: DecodedGeneralName[] = [];
  if (cert.subjectName.length > 0) names.push({ kind: 'directoryName', name: cert.subjectName });
  for (const email of attributeStrings(cert.subjectName, emailAddressOid)) names.push({ kind: 'rfc822Name', value: email });
  names.push(...altNames);
  if (isTarget && !altNames.some((n) => n.kind === 'dNSName')) {
    for (const cn of attributeStrings(cert.subjectName, commonNameOid)) {
      if (looksLikeHostName(cn)) names.push({ kind: 'dNSName', value: cn });
    }
  }
  return names;
}

function checkName(name: DecodedGeneralName, constraints: DecodedNameConstraints): string | undefined {
  const permitted = (constraints.permitted ?? []).filter((s) => s.base.kind === name.kind);
  const excluded = (constraints.excluded ?? []).filter((s) => s.base.kind === name.kind);
  if (permitted.length === 0 && excluded.length === 0) return undefined;
  const matcher = matchers[name.kind];
  if (!matcher) return `has a ${name.kind} name, and constraints on ${name.kind} cannot be evaluated`;
  const within = (s: DecodedSubtree) => matcher(s.base, name);
  if (permitted.length > 0 && !permitted.some(within)) return `has ${describe(name)} outside the permitted subtrees`;
  if (excluded.some(within)) return `has ${describe(name)} inside an excluded subtree`;
  return undefined;
}

type Matcher = (base: DecodedGeneralName, name: DecodedGeneralName) => boolean;

const matchers: Partial<Record<GeneralNameKind, Matcher>> = {
  directoryName: (base, name) =>
    base.kind === 'directoryName' && name.kind === 'directoryName' && isNamePrefix(canonicalName(base.name), canonicalName(name.name)),
  dNSName: (base, name) => base.kind === 'dNSName' && name.kind === 'dNSName' && dnsWithin(base.value, name.value),
  rfc822Name: (base, name) => base.kind === 'rfc822Name' && name.kind === 'rfc822Name' && emailWithin(base.value, name.value),
  uniformResourceIdentifier: (base, name) =>
    base.kind === 'uniformResourceIdentifier' && name.kind === 'uniformResourceIdentifier' && uriWithin(base.value, name.value),
  iPAddress: (base, name) => base.kind === 'iPAddress' && name.kind === 'iPAddress' && ipWithin(base.octets, name.octets),
};

/** RFC 5280: any name formed by adding labels on the left; a base with a leading '.' requires one. */
export function dnsWithin(base: string, name: string): boolean {
  if (base.length === 0) return true;
  const b = base.toLowerCase();
  const n = name.toLowerCase();
  if (n === b) return true;
  return n.endsWith(b) && (b.startsWith('.') || n[n.length - b.length - 1] === '.');
}

/** RFC 5280: a mailbox, all mailboxes on a host, or (leading '.') all mailboxes in a domain. */
export function emailWithin(base: string, email: string): boolean {
  const at = email.lastIndexOf('@');
  if (at < 0) return false;
  const domain = email.slice(at + 1).toLowerCase();
  const baseAt = base.lastIndexOf('@');
  if (baseAt >= 0) {
    // The local part is case-sensitive, the domain part is not.
    return email.slice(0, at) === base.slice(0, baseAt) && domain === base.slice(baseAt + 1).toLowerCase();
  }
  const b = base.toLowerCase();
  return b.startsWith('.') ? domain.endsWith(b) : domain === b;
}

/** RFC 5280: constraints on URIs apply to their host; a base with a leading '.' means a domain. */
export function uriWithin(base: string, uri: string): boolean {
  const host = uriHost(uri);
  if (host === undefined) return false;
  const b = base.toLowerCase();
  return b.startsWith('.') ? host.endsWith(b) && host.length > b.length : host === b;
}

function uriHost(uri: string): string | undefined {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^:/?#]+)/.exec(uri);
  return match?.[1]?.toLowerCase();
}

/** A base is address followed by mask, twice as long as the addresses of its family. */
export function ipWithin(base: Uint8Array, address: Uint8Array): boolean {
  if (base.length !== address.length * 2) return false;
  const mask = base.subarray(address.length);
  return address.every((byte, i) => (byte & mask[i]!) === (base[i]! & mask[i]!));
}

/** OpenSSL's cn2dnsid: letters, digits, '_', and inner '-' and '.', with at least one '.'. */
function looksLikeHostName(cn: string): boolean {
  return /^[A-Za-z0-9_]+(?:-+[A-Za-z0-9_]+)*(?:\.[A-Za-z0-9_]+(?:-+[A-Za-z0-9_]+)*)+$/.test(cn);
}

function describe(name: DecodedGeneralName): string {
  switch (name.kind) {
    case 'iPAddress':
      return `iPAddress ${formatAddress(name.octets)}`;
    case 'directoryName':
      return 'its directoryName';
    case 'dNSName':
    case 'rfc822Name':
    case 'uniformResourceIdentifier':
      return `${name.kind} "${name.value}"`;
    default:
      return `a ${name.kind}`;
  }
}

function formatAddress(octets: Uint8Array): string {
  if (octets.length !== 16) return Array.from(octets).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((octets[i]! << 8) | octets[i + 1]!).toString(16));
  return groups.join(':');
}

function violation(cert: CertificateView, problem: string): CmpError {
  return new CmpError(ErrorCodes.ERR_PATH_NAME_CONSTRAINTS, `certificate "${cert.cert.subject}" ${problem}`);
}
