/**
 * Who may obtain which certificate. The profile (issuance-policy.ts) decides what a certificate can
 * look like; this decides whether this requester may have it:
 * - a MAC reference (senderKID) gets the names the operator configured for it, else the names of
 *   the first certificate issued to it; a name another reference holds is not issued to it;
 * - a request signed with a certificate keeps that certificate's subject and asks only for its
 *   subjectAltNames, or the names configured for the reference it was issued to (unless the policy
 *   lets signers ask for anything), and a kur keeps both exactly;
 * - extended key usages and certificate policies come from an allow-list whose default leaves out
 *   the purposes that speak for the PKI or for everything (OCSPSigning, anyExtendedKeyUsage,
 *   anyPolicy, cmcCA/cmcRA/cmKGA); wildcard DNS names only when allowed;
 * - the names of the CA, its chain and the CMP server are never issued, whatever decides.
 * An application's `authorize` hook replaces every rule but the last.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { CertificatePolicies, ExtendedKeyUsage, type Extension } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { CmpOids, decodeDer, PkixOids } from '../asn1';
import { viewOf } from '../pki/certificate-view';
import { decodeGeneralNames, type DecodedGeneralName } from '../pki/general-names';
import { nameKey } from '../pki/name-matching';
import { nameToString, parseName } from '../pki/names';
import { CmpError, ErrorCodes } from '../errors';
import type { CertRequestKind } from '../protocol';
import type { CertificatePlan } from './ca';
import type { IncomingRequest, ServerContext } from './context';
import { refuse } from './refusal';
import { hex } from '../bytes';

export const OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
export const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';
export const ANY_POLICY = '2.5.29.32.0';

/** Purposes left out unless the operator lists them: they make a certificate speak for the PKI or for anything. */
export const RESERVED_KEY_PURPOSES: readonly string[] = [
  OCSP_SIGNING,
  ANY_EXTENDED_KEY_USAGE,
  CmpOids.idKpCmcCA,
  CmpOids.idKpCmcRA,
  CmpOids.idKpCmKGA,
];

/** What an application's `authorize` hook is shown. */
export interface IssuanceRequest {
  type: CertRequestKind;
  /** The senderKID of a MAC-protected request, as text (UTF-8, else hex). */
  reference?: string;
  /** The certificate that signed the request. */
  signer?: X509Certificate;
  /** The certificate a kur replaces. */
  oldCert?: X509Certificate;
  /** The subject as OpenSSL prints it with -nameopt oneline ('' when empty). */
  subject: string;
  /** subjectAltNames as `DNS:`, `IP:`, `email:`, `URI:` or `dirName:` strings. */
  altNames: string[];
  extKeyUsages: string[];
  policies: string[];
  /** Why the built-in policy would refuse; absent when it would issue. */
  defaultRefusal?: string;
}

/** true issues; a string refuses (notAuthorized) with that text. */
export type IssuanceVerdict = true | string;

export type AuthorizeIssuance = (request: IssuanceRequest) => IssuanceVerdict | Promise<IssuanceVerdict>;

/** Names a MAC reference may request, configured by the operator (policy.references). */
export interface ReferenceNames {
  ref: string | Uint8Array;
  /** Subjects in OpenSSL's `/CN=.../O=...` form. */
  subjects?: string[];
  /** subjectAltNames as `DNS:host`, `IP:addr`, `email:addr`, `URI:uri`. */
  altNames?: string[];
}

export interface ResolvedReferenceNames {
  subjects: Set<string>;
  altNames: Set<string>;
}

/** Who asks, as far as the protection of the request tells. */
export interface Requester {
  /** The key under which names are bound (see NameBinding). */
  ref: string;
  /** The senderKID text of a MAC-protected request. */
  reference?: string;
  signer?: X509Certificate;
}

export const subjectKey = nameKey;

/** The reference key of a senderKID, the same for the operator's configuration and for requests. */
export const referenceKey = (kid: Uint8Array | undefined): string => (kid && kid.length > 0 ? `kid:${hex(kid)}` : 'kid:');

function referenceText(kid: Uint8Array): string {
  const text = Buffer.from(kid).toString('utf8');
  return Buffer.from(text, 'utf8').equals(Buffer.from(kid)) && !/[\u0000-\u001f\u007f]/.test(text) ? text : hex(kid);
}

function ipOctets(text: string): Uint8Array | undefined {
  const kind = isIP(text);
  if (kind === 4) return new Uint8Array(text.split('.').map(Number));
  if (kind !== 6) return undefined;
  let head = text;
  let tail4: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail4 = v4[1]!.split('.').map(Number);
    head = text.slice(0, -v4[1]!.length) + '0:0';
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const l = left ? left.split(':') : [];
  const r = right ? right.split(':') : [];
  const groups = right === undefined ? l : [...l, ...Array(8 - l.length - r.length).fill('0'), ...r];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  if (v4) out.set(tail4, 12);
  return out;
}

/** A comparable key and a readable text for one subjectAltName; undefined for kinds this CA does not issue. */
function altName(g: DecodedGeneralName): { key: string; text: string } | undefined {
  switch (g.kind) {
    case 'dNSName':
      return { key: `dns:${g.value.toLowerCase()}`, text: `DNS:${g.value}` };
    case 'rfc822Name': {
      // RFC 5280 7.5: the local part is case-sensitive, the domain is not.
      const at = g.value.lastIndexOf('@');
      const value = at < 0 ? g.value.toLowerCase() : `${g.value.slice(0, at)}@${g.value.slice(at + 1).toLowerCase()}`;
      return { key: `email:${value}`, text: `email:${g.value}` };
    }
    case 'uniformResourceIdentifier':
      return { key: `uri:${g.value}`, text: `URI:${g.value}` };
    case 'iPAddress':
      return { key: `ip:${hex(g.octets)}`, text: `IP:${hex(g.octets)}` };
    case 'directoryName':
      return { key: `dn:${subjectKey(g.name)}`, text: `dirName:${nameToString(g.name)}` };
    default:
      return undefined;
  }
}

/** The key of an operator-configured subjectAltName (`DNS:host`, `IP:addr`, `email:addr`, `URI:uri`). */
export function configuredAltNameKey(text: string): string {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? '' : text.slice(0, colon).toLowerCase();
  const value = text.slice(colon + 1);
  const invalid = () => new CmpError(ErrorCodes.ERR_INVALID_OPTION, `"${text}" is not a subjectAltName of the form DNS:, IP:, email: or URI:`);
  switch (kind) {
    case 'dns':
      return altName({ kind: 'dNSName', value })!.key;
    case 'email':
      return altName({ kind: 'rfc822Name', value })!.key;
    case 'uri':
      return altName({ kind: 'uniformResourceIdentifier', value })!.key;
    case 'ip': {
      const octets = ipOctets(value);
      if (!octets) throw invalid();
      return `ip:${hex(octets)}`;
    }
    default:
      throw invalid();
  }
}

export function resolveReferenceNames(entries: readonly ReferenceNames[]): Map<string, ResolvedReferenceNames> {
  const out = new Map<string, ResolvedReferenceNames>();
  for (const entry of entries) {
    const kid = typeof entry.ref === 'string' ? new Uint8Array(Buffer.from(entry.ref, 'utf8')) : Uint8Array.from(entry.ref);
    out.set(referenceKey(kid), {
      subjects: new Set((entry.subjects ?? []).map((s) => subjectKey(parseName(s)))),
      altNames: new Set((entry.altNames ?? []).map(configuredAltNameKey)),
    });
  }
  return out;
}

interface NamesOf {
  subject?: string;
  altNames: { key: string; text: string }[];
}

function altNamesOf(extensions: readonly Extension[]): { key: string; text: string }[] {
  const ext = extensions.find((e) => e.extnID === PkixOids.subjectAltName);
  if (!ext) return [];
  let names: DecodedGeneralName[];
  try {
    names = decodeGeneralNames(ext.extnValue.buffer);
  } catch (e) {
    return refuse('badCertTemplate', 'the subjectAltName extension in the request is malformed', { cause: e });
  }
  return names.map((g) => altName(g) ?? refuse('badCertTemplate', `subjectAltNames of type ${g.kind} are not issued by this CA`));
}

function namesOfCertificate(cert: X509Certificate): NamesOf {
  const view = viewOf(cert);
  return {
    ...(view.subjectName.length > 0 ? { subject: view.subjectKey } : {}),
    altNames: altNamesOf(view.asn.tbsCertificate.extensions ?? []),
  };
}

function oidsOf<T extends Iterable<unknown>>(
  extensions: readonly Extension[],
  oid: string,
  type: new () => T,
  pick: (item: never) => string,
): string[] {
  const ext = extensions.find((e) => e.extnID === oid);
  return ext ? Array.from(decodeDer(ext.extnValue.buffer, type) as Iterable<never>, pick) : [];
}

/** Who sent the request: the MAC reference, or the signer (with the reference its certificate was issued to). */
export function requesterOf(ctx: ServerContext, req: IncomingRequest): Requester | undefined {
  const protection = req.protection;
  if (protection.kind === 'mac') {
    const kid = req.msg.header.senderKID ? new Uint8Array(req.msg.header.senderKID) : undefined;
    return { ref: referenceKey(kid), ...(kid?.length ? { reference: referenceText(kid) } : {}) };
  }
  if (protection.kind === 'signature') {
    const signer = protection.signer;
    const record = ctx.ca?.record(signer.serialNumber);
    const ours = record && Buffer.from(record.der).equals(Buffer.from(new Uint8Array(signer.rawData)));
    const ref = ours && record.ref ? record.ref : `cert:${createHash('sha256').update(new Uint8Array(signer.rawData)).digest('hex')}`;
    return { ref, signer };
  }
  return undefined;
}

/**
 * The names of the CA, its chain and the CMP server's own certificate: never issued to anyone.
 * Made once per server: its CA, chain and signer certificates do not change while it runs.
 */
const reservedByServer = new WeakMap<ServerContext, ReadonlySet<string>>();

function reservedSubjects(ctx: ServerContext): ReadonlySet<string> {
  let reserved = reservedByServer.get(ctx);
  if (!reserved) {
    const certs = [...(ctx.ca?.certificates ?? []), ...(ctx.config.signer ? [ctx.config.signer.cert] : [])];
    reservedByServer.set(ctx, (reserved = new Set(certs.map((c) => viewOf(c).subjectKey))));
  }
  return reserved;
}

export interface Authorized {
  /** The reference to bind the issued names to; absent for requests without protection. */
  ref?: string;
  subject?: string;
  altNames: string[];
}

/**
 * Decides whether `plan` may be issued to the requester; refuses with notAuthorized (names) or
 * badCertTemplate (purposes, policies, wildcards) otherwise.
 */
export async function authorizeIssuance(
  ctx: ServerContext,
  req: IncomingRequest,
  type: IssuanceRequest['type'],
  plan: CertificatePlan,
  oldCert: X509Certificate | undefined,
  /** subjectKey(plan.subject) when the caller has it already (planCertificate's). */
  planSubjectKey?: string,
): Promise<Authorized> {
  const policy = ctx.config.policy;
  const requester = requesterOf(ctx, req);
  const subject = plan.subject.length > 0 ? (planSubjectKey ?? subjectKey(plan.subject)) : undefined;
  const altNames = altNamesOf(plan.extensions);
  const reserved = reservedSubjects(ctx);
  if (subject !== undefined && reserved.has(subject))
    refuse('notAuthorized', `the name "${nameToString(plan.subject)}" belongs to this CA or its CMP server`);
  const reservedAlt = altNames.find((n) => n.key.startsWith('dn:') && reserved.has(n.key.slice(3)));
  if (reservedAlt) refuse('notAuthorized', `the name "${reservedAlt.text}" belongs to this CA or its CMP server`);

  const extKeyUsages = oidsOf(plan.extensions, PkixOids.extKeyUsage, ExtendedKeyUsage, (p: string) => p);
  const policies = oidsOf(
    plan.extensions,
    PkixOids.certificatePolicies,
    CertificatePolicies,
    (p: { policyIdentifier: string }) => p.policyIdentifier,
  );

  let why: { failInfo: 'notAuthorized' | 'badCertTemplate'; text: string } | undefined;
  const deny = (failInfo: 'notAuthorized' | 'badCertTemplate', text: string) => (why ??= { failInfo, text });

  const purpose = extKeyUsages.find((p) => (policy.allowedExtKeyUsages ? !policy.allowedExtKeyUsages.has(p) : RESERVED_KEY_PURPOSES.includes(p)));
  if (purpose) deny('badCertTemplate', `the extended key usage ${purpose} is not granted by this CA`);
  const certPolicy = policies.find((p) => (policy.allowedPolicies ? !policy.allowedPolicies.has(p) : p === ANY_POLICY));
  if (certPolicy) deny('badCertTemplate', `the certificate policy ${certPolicy} is not granted by this CA`);
  if (!policy.allowWildcards) {
    const wildcard = altNames.find((n) => n.key.startsWith('dns:') && n.key.includes('*'));
    if (wildcard) deny('badCertTemplate', `wildcard names (${wildcard.text}) are not issued by this CA`);
  }

  const outside = (allowed: { subject?: string | Set<string>; altNames: Set<string> }, whose: string): void => {
    const subjects = allowed.subject instanceof Set ? allowed.subject : new Set(allowed.subject === undefined ? [] : [allowed.subject]);
    if (subject !== undefined && !subjects.has(subject))
      deny('notAuthorized', `the subject "${nameToString(plan.subject)}" is not one ${whose} may request`);
    const extra = altNames.find((n) => !allowed.altNames.has(n.key));
    if (extra) deny('notAuthorized', `the subjectAltName ${extra.text} is not one ${whose} may request`);
  };
  const keysOf = (names: NamesOf) => ({
    ...(names.subject !== undefined ? { subject: names.subject } : {}),
    altNames: new Set(names.altNames.map((n) => n.key)),
  });

  if (oldCert) {
    const old = namesOfCertificate(oldCert);
    outside(keysOf(old), 'the certificate being updated');
    if (subject !== old.subject || altNames.length !== old.altNames.length)
      deny('notAuthorized', 'a key update keeps the subject and subjectAltNames of the certificate it replaces');
  } else if (requester?.signer && !policy.signersMayRequestOtherNames) {
    // A certificate issued to a configured reference may also ask for that reference's names.
    const own = keysOf(namesOfCertificate(requester.signer));
    const configured = policy.references.get(requester.ref);
    const subjects = new Set([...(own.subject !== undefined ? [own.subject] : []), ...(configured?.subjects ?? [])]);
    outside({ subject: subjects, altNames: new Set([...own.altNames, ...(configured?.altNames ?? [])]) }, 'the signer of the request');
  } else if (requester && !requester.signer) {
    const configured = policy.references.get(requester.ref);
    const bound = ctx.ca?.binding(requester.ref);
    if (configured) outside({ subject: configured.subjects, altNames: configured.altNames }, 'this reference');
    else if (bound)
      outside({ ...(bound.subject !== undefined ? { subject: bound.subject } : {}), altNames: new Set(bound.altNames) }, 'this reference');
  }
  if (requester && !oldCert) {
    for (const key of [...(subject !== undefined ? [subject] : []), ...altNames.map((n) => n.key)]) {
      const owner = ctx.ca?.ownerOf(key);
      if (owner !== undefined && owner !== requester.ref) {
        deny(
          'notAuthorized',
          `the name ${key === subject ? `"${nameToString(plan.subject)}"` : altNames.find((n) => n.key === key)!.text} was issued to another client`,
        );
        break;
      }
    }
  }

  if (policy.authorize) {
    const verdict = await policy.authorize({
      type,
      ...(requester?.reference !== undefined ? { reference: requester.reference } : {}),
      ...(requester?.signer ? { signer: requester.signer } : {}),
      ...(oldCert ? { oldCert } : {}),
      subject: nameToString(plan.subject),
      altNames: altNames.map((n) => n.text),
      extKeyUsages,
      policies,
      ...(why ? { defaultRefusal: why.text } : {}),
    });
    if (verdict !== true) refuse('notAuthorized', typeof verdict === 'string' && verdict ? verdict : 'the issuance policy refuses this request');
  } else if (why) {
    refuse(why.failInfo, why.text);
  }
  return { ...(requester ? { ref: requester.ref } : {}), ...(subject !== undefined ? { subject } : {}), altNames: altNames.map((n) => n.key) };
}
