/**
 * The CA's certificate profile: what a request (CRMF CertTemplate or PKCS#10) may ask for and what
 * the certificate then holds. A field the CA chooses itself (serial number, signature algorithm,
 * unique identifiers) must not be requested; the extensions allowed are subjectAltName, keyUsage,
 * extKeyUsage, basicConstraints with cA false, and certificatePolicies; the validity is the
 * requested one within the policy's maximum and the CA's own validity. Anything else is refused
 * with badCertTemplate.
 */
import { mlKemPublicKey } from '../crypto/ml-kem';
import type { CertificationRequest } from '@peculiar/asn1-csr';
import {
  BasicConstraints,
  CertificatePolicies,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  KeyUsage,
  KeyUsageFlags,
  Name,
  SubjectAlternativeName,
} from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { decodeDer, encodeDer, nodeContent, PkixOids, readDer, type CertTemplate } from '../asn1';
import { nameToString } from '../pki/names';
import { viewOf } from '../pki/certificate-view';
import { nameKey } from '../pki/name-matching';
import type { CertificatePlan } from './ca';
import type { ResolvedPolicy } from './config';
import { constantExtension, extension } from './certificate-builder';
import { refuse } from './refusal';
import { cachedPublicKeyObject } from '../crypto/node';
import { mlDsaSpkiVariant } from '../crypto/ml-dsa';

/** What a request asks for, whatever its syntax. */
export interface RequestedCertificate {
  subject?: Name;
  /** DER SubjectPublicKeyInfo. */
  spki?: Uint8Array;
  issuer?: Name;
  notBefore?: Date;
  notAfter?: Date;
  extensions: Extension[];
}

export interface PlanContext {
  caCert: X509Certificate;
  policy: ResolvedPolicy;
  now: Date;
  /** kur: the certificate being updated, whose subject and extensions are the defaults. */
  oldCert?: X509Certificate;
}

export interface PlannedCertificate {
  plan: CertificatePlan;
  /** True when the request was changed (validity shortened): the answer is grantedWithMods. */
  modified: boolean;
  /** canonicalNameKey of plan.subject, absent when the subject is empty: the authorization compares names by it. */
  subjectKey?: string;
}

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const DAY = 86_400_000;
/** notBefore may lie this far in the past before it counts as a modification to move it to now. */
const CLOCK_SLACK_MS = 5 * 60_000;

const badTemplate = (text: string): never => refuse('badCertTemplate', text);

export function requestFromTemplate(template: CertTemplate): RequestedCertificate {
  if (template.version !== undefined && template.version !== 2) badTemplate('the template may only ask for version 3 (v3) certificates');
  if (template.serialNumber !== undefined) badTemplate('the serial number is chosen by the CA and must not be in the template');
  if (template.signingAlg !== undefined) badTemplate('the signature algorithm is chosen by the CA and must not be in the template');
  if (template.issuerUID !== undefined || template.subjectUID !== undefined) badTemplate('unique identifiers are not supported');
  const notBefore = template.validity?.notBefore?.getTime();
  const notAfter = template.validity?.notAfter?.getTime();
  return {
    ...(template.subject ? { subject: template.subject } : {}),
    ...(template.publicKey ? { spki: encodeDer(template.publicKey) } : {}),
    ...(template.issuer ? { issuer: template.issuer } : {}),
    ...(notBefore ? { notBefore } : {}),
    ...(notAfter ? { notAfter } : {}),
    extensions: [...(template.extensions ?? [])],
  };
}

/** The subject, key and requested extensions (extensionRequest attribute) of a PKCS#10 request. */
export function requestFromCsr(csr: CertificationRequest): RequestedCertificate {
  const info = csr.certificationRequestInfo;
  if (info.version !== 0) refuse('badDataFormat', `unsupported PKCS#10 version ${info.version}`);
  const extensions: Extension[] = [];
  const requests = info.attributes.filter((a) => a.type === EXTENSION_REQUEST);
  if (requests.length > 1 || (requests.length === 1 && requests[0]!.values.length !== 1)) {
    refuse('badDataFormat', 'the PKCS#10 request must carry at most one extensionRequest attribute with one value');
  }
  if (requests[0]) {
    try {
      extensions.push(...decodeDer(requests[0].values[0]!, Extensions));
    } catch (e) {
      refuse('badDataFormat', 'the extensionRequest attribute of the PKCS#10 request is malformed', { cause: e });
    }
  }
  return { subject: info.subject, spki: encodeDer(info.subjectPKInfo), extensions };
}

type KeyKind = 'rsa' | 'ec' | 'ed' | 'xdh' | 'ml-dsa' | 'ml-kem';

/** Usages RFC 5280 / RFC 8813 / RFC 8410 allow for each kind of key in an end-entity certificate. */
const usagesByKey: Record<KeyKind, number> = {
  rsa: KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation | KeyUsageFlags.keyEncipherment | KeyUsageFlags.dataEncipherment,
  ec:
    KeyUsageFlags.digitalSignature |
    KeyUsageFlags.nonRepudiation |
    KeyUsageFlags.keyAgreement |
    KeyUsageFlags.encipherOnly |
    KeyUsageFlags.decipherOnly,
  ed: KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation,
  // RFC 8410 section 5: X25519 and X448 keys agree on keys only.
  xdh: KeyUsageFlags.keyAgreement | KeyUsageFlags.encipherOnly | KeyUsageFlags.decipherOnly,
  // RFC 9881 section 5: digitalSignature, nonRepudiation, keyCertSign, cRLSign (the last two are for CAs).
  'ml-dsa': KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation,
  // RFC 9935 (ML-KEM in X.509): keyEncipherment is the only key usage.
  'ml-kem': KeyUsageFlags.keyEncipherment,
};

const defaultUsages: Record<KeyKind, number> = {
  rsa: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment,
  ec: KeyUsageFlags.digitalSignature,
  ed: KeyUsageFlags.digitalSignature,
  xdh: KeyUsageFlags.keyAgreement,
  'ml-dsa': KeyUsageFlags.digitalSignature,
  'ml-kem': KeyUsageFlags.keyEncipherment,
};

let defaults: { basicConstraints: Extension; keyUsage: Record<KeyKind, Extension> } | undefined;

/** The extensions a certificate gets when the request names none of their type; built once, only ever read. */
function defaultExtensions(): NonNullable<typeof defaults> {
  defaults ??= {
    basicConstraints: constantExtension(extension(PkixOids.basicConstraints, true, new BasicConstraints({ cA: false }))),
    keyUsage: {
      rsa: constantExtension(extension(PkixOids.keyUsage, true, new KeyUsage(defaultUsages.rsa))),
      ec: constantExtension(extension(PkixOids.keyUsage, true, new KeyUsage(defaultUsages.ec))),
      ed: constantExtension(extension(PkixOids.keyUsage, true, new KeyUsage(defaultUsages.ed))),
      xdh: constantExtension(extension(PkixOids.keyUsage, true, new KeyUsage(defaultUsages.xdh))),
      'ml-dsa': constantExtension(extension(PkixOids.keyUsage, true, new KeyUsage(defaultUsages['ml-dsa']))),
      'ml-kem': constantExtension(extension(PkixOids.keyUsage, true, new KeyUsage(defaultUsages['ml-kem']))),
    },
  };
  return defaults;
}

/** DER content of the OID arc 2.16.840.1.101.3.4 (NIST algorithms), under which ML-DSA (3.17-19) and ML-KEM (4.1-3) lie. */
const NIST_ALGORITHMS_ARC = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04];

/**
 * Whether the SPKI's algorithm may be ML-DSA or ML-KEM, read without a schema parse: their full
 * checks parse the SPKI with asn1-schema (about 0.25 ms per request), which EC and RSA keys, the
 * usual ones, need not pay. Anything unreadable takes the full checks, as before.
 */
function mayBeMlKey(spki: Uint8Array): boolean {
  try {
    const algorithm = readDer(spki).children?.[0]?.children?.[0];
    if (!algorithm || algorithm.tagClass !== 0 || algorithm.tagNumber !== 6) return true;
    const oid = nodeContent(spki, algorithm);
    return NIST_ALGORITHMS_ARC.every((b, i) => oid[i] === b);
  } catch {
    return true;
  }
}

/** The kind of a public key this CA certifies; refuses keys it cannot use or that are too weak. */
export function checkPublicKey(spki: Uint8Array, minRsaBits: number): KeyKind {
  if (mayBeMlKey(spki)) {
    // node:crypto of Node 20 cannot import ML-DSA keys; their shape is checked where they are used.
    try {
      if (mlDsaSpkiVariant(spki) !== undefined) return 'ml-dsa';
    } catch (e) {
      return refuse('badCertTemplate', 'the ML-DSA public key in the request is malformed', { cause: e });
    }
    try {
      if (mlKemPublicKey(spki) !== undefined) return 'ml-kem';
    } catch (e) {
      return refuse('badCertTemplate', 'the ML-KEM public key in the request is malformed', { cause: e });
    }
  }
  let key;
  try {
    // OpenSSL's import reads the whole SubjectPublicKeyInfo, key included: stricter than a schema parse.
    key = cachedPublicKeyObject(spki);
  } catch (e) {
    return refuse('badCertTemplate', 'the public key in the request is malformed or of an unsupported type', { cause: e });
  }
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < minRsaBits) badTemplate(`RSA keys must have at least ${minRsaBits} bits, this one has ${bits}`);
      return 'rsa';
    }
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (!curve || !['prime256v1', 'secp384r1', 'secp521r1'].includes(curve)) badTemplate(`unsupported EC curve ${curve ?? '(unnamed)'}`);
      return 'ec';
    }
    case 'ed25519':
    case 'ed448':
      return 'ed';
    case 'x25519':
    case 'x448':
      return 'xdh';
    default:
      return badTemplate(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
  }
}

function decodeExtension<T>(ext: Extension, type: new () => T, what: string): T {
  try {
    return decodeDer(ext.extnValue.buffer, type);
  } catch (e) {
    return refuse('badCertTemplate', `the ${what} extension in the request is malformed`, { cause: e });
  }
}

const nameOfOid = (oid: string) =>
  ({
    [PkixOids.subjectAltName]: 'subjectAltName',
    [PkixOids.keyUsage]: 'keyUsage',
    [PkixOids.extKeyUsage]: 'extKeyUsage',
    [PkixOids.basicConstraints]: 'basicConstraints',
    [PkixOids.certificatePolicies]: 'certificatePolicies',
  })[oid] ?? oid;

/** Checks one requested extension and returns it as it goes into the certificate. */
function acceptedExtension(ext: Extension, keyKind: KeyKind, subjectEmpty: boolean): Extension {
  const value = new Uint8Array(ext.extnValue.buffer);
  switch (ext.extnID) {
    case PkixOids.subjectAltName: {
      const names = decodeExtension(ext, SubjectAlternativeName, 'subjectAltName');
      if (names.length === 0) badTemplate('the subjectAltName extension must name at least one name');
      // RFC 5280 4.2.1.6: critical when the subject is empty.
      return extension(ext.extnID, subjectEmpty || ext.critical, value);
    }
    case PkixOids.keyUsage: {
      const usage = decodeExtension(ext, KeyUsage, 'keyUsage').toNumber();
      if (usage === 0) badTemplate('the keyUsage extension must assert at least one usage');
      if (usage & (KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)) badTemplate('keyCertSign and cRLSign are reserved for CA certificates');
      if (usage & ~usagesByKey[keyKind])
        badTemplate(`the keyUsage ${new KeyUsage(usage & ~usagesByKey[keyKind]).toJSON().join(', ')} does not fit the ${keyKind.toUpperCase()} key`);
      return extension(ext.extnID, true, value);
    }
    case PkixOids.extKeyUsage: {
      const purposes = decodeExtension(ext, ExtendedKeyUsage, 'extKeyUsage');
      // Which purposes this requester may have is issuance-authorization.ts's decision.
      if (purposes.length === 0) badTemplate('the extKeyUsage extension must name at least one purpose');
      return extension(ext.extnID, ext.critical, value);
    }
    case PkixOids.basicConstraints: {
      const constraints = decodeExtension(ext, BasicConstraints, 'basicConstraints');
      if (constraints.cA || constraints.pathLenConstraint !== undefined)
        badTemplate('this CA issues end-entity certificates only (basicConstraints cA must be false)');
      return extension(ext.extnID, true, value);
    }
    case PkixOids.certificatePolicies: {
      const policies = decodeExtension(ext, CertificatePolicies, 'certificatePolicies');
      if (policies.length === 0) badTemplate('the certificatePolicies extension must name at least one policy');
      return extension(ext.extnID, ext.critical, value);
    }
    default:
      return badTemplate(`the extension ${nameOfOid(ext.extnID)} is not allowed by this CA's profile`);
  }
}

/** The extensions of `oldCert` a kur inherits for each type the template does not name. */
function inheritedExtensions(oldCert: X509Certificate, requested: Extension[]): Extension[] {
  const named = new Set(requested.map((e) => e.extnID));
  const inheritable = [PkixOids.subjectAltName, PkixOids.keyUsage, PkixOids.extKeyUsage, PkixOids.certificatePolicies];
  return (viewOf(oldCert).asn.tbsCertificate.extensions ?? []).filter((e) => inheritable.includes(e.extnID as never) && !named.has(e.extnID));
}

function validity(req: RequestedCertificate, ctx: PlanContext): { notBefore: Date; notAfter: Date; modified: boolean } {
  const now = ctx.now.getTime();
  const caNotAfter = viewOf(ctx.caCert).notAfter.getTime();
  const maxMs = ctx.policy.maxValidityDays * DAY;
  // Only a change to what the client asked for is a modification; capping our own default is not.
  let modified = false;
  let notBefore = req.notBefore?.getTime() ?? now;
  if (notBefore < now) {
    if (now - notBefore > CLOCK_SLACK_MS) modified = true;
    notBefore = now;
  }
  if (notBefore - now > maxMs) badTemplate('the requested notBefore lies too far in the future');
  const asked = req.notAfter?.getTime();
  let notAfter = asked ?? notBefore + ctx.policy.defaultValidityDays * DAY;
  if (notAfter <= notBefore) badTemplate('the requested validity ends before it begins');
  notAfter = Math.min(notAfter, notBefore + maxMs, caNotAfter);
  if (asked !== undefined && notAfter !== asked) modified = true;
  if (notAfter <= notBefore) badTemplate('the requested validity begins after the CA certificate expires');
  return { notBefore: new Date(notBefore), notAfter: new Date(notAfter), modified };
}

/** Decides what the certificate for `req` holds, or refuses with badCertTemplate. */
export function planCertificate(req: RequestedCertificate, ctx: PlanContext): PlannedCertificate {
  const { subjectName: caSubject, subjectKey: caKey } = viewOf(ctx.caCert);
  if (!req.spki) badTemplate('the request carries no public key (central key generation is not supported)');
  const keyKind = checkPublicKey(req.spki!, ctx.policy.minRsaBits);
  if (ctx.oldCert && Buffer.from(viewOf(ctx.oldCert).spki).equals(Buffer.from(req.spki!))) {
    badTemplate('a key update must certify a new key, not the key of the certificate being updated');
  }
  if (req.issuer && req.issuer.length > 0 && !ctx.policy.ignoreTemplateIssuer && nameKey(req.issuer) !== caKey) {
    badTemplate(`the template names the issuer "${nameToString(req.issuer)}", but this CA is "${nameToString(caSubject)}"`);
  }
  const subject = req.subject && req.subject.length > 0 ? req.subject : ctx.oldCert ? viewOf(ctx.oldCert).subjectName : new Name([]);
  // The subject's key is made once here and handed on to the authorization, which compares names by it too.
  const subjectKey = subject.length > 0 ? nameKey(subject) : undefined;
  if (subjectKey === caKey) badTemplate('the subject must differ from the name of the CA');

  const requested = ctx.oldCert ? [...req.extensions, ...inheritedExtensions(ctx.oldCert, req.extensions)] : req.extensions;
  const seen = new Set<string>();
  for (const ext of requested) {
    if (seen.has(ext.extnID)) badTemplate(`the extension ${nameOfOid(ext.extnID)} is requested more than once`);
    seen.add(ext.extnID);
  }
  if (subject.length === 0 && !seen.has(PkixOids.subjectAltName)) badTemplate('the request names no subject and no subjectAltName');
  const extensions = requested.map((ext) => acceptedExtension(ext, keyKind, subject.length === 0));
  if (!seen.has(PkixOids.basicConstraints)) extensions.unshift(defaultExtensions().basicConstraints);
  if (!seen.has(PkixOids.keyUsage)) extensions.push(defaultExtensions().keyUsage[keyKind]);

  const { notBefore, notAfter, modified } = validity(req, ctx);
  return { plan: { subject, spki: req.spki!, notBefore, notAfter, extensions }, modified, ...(subjectKey !== undefined ? { subjectKey } : {}) };
}
