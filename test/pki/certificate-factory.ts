/**
 * Builds the certificates of the path-validation tests with @peculiar/x509's generator and
 * WebCrypto keys, so every defect a test needs (a missing extension, a wrong signer, a critical
 * extension nobody knows) is one option away.
 */
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  Name as AsnName,
  NameConstraints,
  PolicyConstraints,
  PolicyMapping,
  PolicyMappings,
} from '@peculiar/asn1-x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export type KeyKind = 'rsa' | 'p256' | 'p384' | 'ed25519';

export interface TestKey {
  kind: KeyKind;
  pair: CryptoKeyPair;
}

const generation: Record<KeyKind, RsaHashedKeyGenParams | EcKeyGenParams | Algorithm> = {
  rsa: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as RsaHashedKeyGenParams,
  p256: { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams,
  p384: { name: 'ECDSA', namedCurve: 'P-384' } as EcKeyGenParams,
  ed25519: { name: 'Ed25519' },
};

const signing: Record<KeyKind, Algorithm | EcdsaParams> = {
  rsa: { name: 'RSASSA-PKCS1-v1_5' },
  p256: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  p384: { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams,
  ed25519: { name: 'Ed25519' },
};

export async function generateKey(kind: KeyKind = 'p256'): Promise<TestKey> {
  const pair = (await webcrypto.subtle.generateKey(generation[kind] as EcKeyGenParams, true, ['sign', 'verify'])) as CryptoKeyPair;
  return { kind, pair };
}

/** A certificate together with the key its subject holds, so it can issue further certificates. */
export interface Issued {
  cert: x509.X509Certificate;
  key: TestKey;
}

export const DAY = 24 * 60 * 60 * 1000;

export interface CertificateSpec {
  /** Distinguished name in x509's text form, e.g. 'CN=Test Root, O=cmpflow'. */
  subject: string;
  key: TestKey;
  /** Absent: self-signed. */
  issuer?: Issued;
  /** Overrides the issuer name (default: the issuer's subject), e.g. to imitate another CA. */
  issuerName?: string;
  /** Overrides the signing key (default: the issuer's), e.g. to forge a signature. */
  signingKey?: TestKey;
  /** Overrides the digest of an ECDSA or RSA signature (default: SHA-256, SHA-384 for P-384 keys). */
  signingHash?: 'SHA-256' | 'SHA-384' | 'SHA-512';
  notBefore?: Date;
  notAfter?: Date;
  /** `null` leaves basicConstraints out. Default: cA TRUE for CAs, FALSE for end entities. */
  basicConstraints?: { cA: boolean; pathLen?: number; critical?: boolean } | null;
  /** KeyUsageFlags bits; `null` leaves keyUsage out. Default: keyCertSign|cRLSign for CAs, digitalSignature otherwise. */
  keyUsage?: number | null;
  /** Adds subject/authority key identifiers (default true). */
  keyIdentifiers?: boolean;
  extensions?: x509.Extension[];
  serialNumber?: string;
}

let serial = 1;

export async function issue(spec: CertificateSpec, isCa: boolean): Promise<Issued> {
  const now = Date.now();
  const issuer = spec.issuer;
  const signer = spec.signingKey ?? issuer?.key ?? spec.key;
  const extensions: x509.Extension[] = [];
  const bc = spec.basicConstraints === undefined ? { cA: isCa, critical: true } : spec.basicConstraints;
  if (bc) extensions.push(new x509.BasicConstraintsExtension(bc.cA, bc.pathLen, bc.critical ?? true));
  const usage =
    spec.keyUsage === undefined
      ? isCa
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature
      : spec.keyUsage;
  if (usage !== null) extensions.push(new x509.KeyUsagesExtension(usage, true));
  if (spec.keyIdentifiers ?? true) {
    extensions.push(await x509.SubjectKeyIdentifierExtension.create(spec.key.pair.publicKey));
    // Derived from the issuer's key as its SKI was, so an issuer with garbled extensions still works.
    const authority = issuer && (await x509.SubjectKeyIdentifierExtension.create(issuer.key.pair.publicKey));
    if (authority) extensions.push(new x509.AuthorityKeyIdentifierExtension(authority.keyId));
  }
  extensions.push(...(spec.extensions ?? []));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: spec.serialNumber ?? (serial++).toString(16).padStart(2, '0'),
    subject: spec.subject,
    issuer: spec.issuerName ?? issuer?.cert.subject ?? spec.subject,
    notBefore: spec.notBefore ?? new Date(now - DAY),
    notAfter: spec.notAfter ?? new Date(now + 365 * DAY),
    publicKey: spec.key.pair.publicKey,
    signingKey: signer.pair.privateKey,
    signingAlgorithm: spec.signingHash ? { ...signing[signer.kind], hash: spec.signingHash } : signing[signer.kind],
    extensions,
  });
  return { cert, key: spec.key };
}

export const issueCa = (spec: CertificateSpec): Promise<Issued> => issue(spec, true);
export const issueLeaf = (spec: CertificateSpec): Promise<Issued> => issue(spec, false);

/** A root CA, an intermediate CA under it and an end-entity certificate under that. */
export interface TestChain {
  root: Issued;
  intermediate: Issued;
  leaf: Issued;
}

export async function makeChain(kind: KeyKind = 'p256', name = 'Test'): Promise<TestChain> {
  const root = await issueCa({ subject: `CN=${name} Root CA, O=cmpflow`, key: await generateKey(kind) });
  const intermediate = await issueCa({ subject: `CN=${name} Intermediate CA, O=cmpflow`, key: await generateKey(kind), issuer: root });
  const leaf = await issueLeaf({ subject: `CN=${name} Server, O=cmpflow`, key: await generateKey(kind), issuer: intermediate });
  return { root, intermediate, leaf };
}

/** An extension with a private OID nobody processes, carrying NULL. */
export function unknownExtension(critical: boolean): x509.Extension {
  return new x509.Extension('1.3.6.1.4.1.99999.1', critical, new Uint8Array([0x05, 0x00]));
}

export type SubtreeBase = { dns: string } | { email: string } | { uri: string } | { ip: string } | { dn: string };

function generalName(base: SubtreeBase): GeneralName {
  if ('dns' in base) return new GeneralName({ dNSName: base.dns });
  if ('email' in base) return new GeneralName({ rfc822Name: base.email });
  if ('uri' in base) return new GeneralName({ uniformResourceIdentifier: base.uri });
  if ('ip' in base) return new GeneralName({ iPAddress: base.ip });
  return new GeneralName({ directoryName: AsnConvert.parse(new x509.Name(base.dn).toArrayBuffer(), AsnName) });
}

export function nameConstraintsExtension(constraints: { permitted?: SubtreeBase[]; excluded?: SubtreeBase[] }): x509.Extension {
  const subtrees = (list?: SubtreeBase[]) => list && new GeneralSubtrees(list.map((b) => new GeneralSubtree({ base: generalName(b) })));
  const value = new NameConstraints({
    ...(constraints.permitted ? { permittedSubtrees: subtrees(constraints.permitted) } : {}),
    ...(constraints.excluded ? { excludedSubtrees: subtrees(constraints.excluded) } : {}),
  });
  return new x509.Extension('2.5.29.30', true, AsnConvert.serialize(value));
}

export function subjectAltNameExtension(names: { type: 'dns' | 'email' | 'ip' | 'url' | 'dn' | 'id'; value: string }[]): x509.Extension {
  return new x509.SubjectAlternativeNameExtension(names, false);
}

export function certificatePoliciesExtension(oids: string[]): x509.Extension {
  return new x509.CertificatePolicyExtension(oids, false);
}

/** Integer content octets for SkipCerts. */
function skip(n: number): ArrayBuffer {
  return new Uint8Array([n]).buffer;
}

export function policyConstraintsExtension(c: { requireExplicitPolicy?: number; inhibitPolicyMapping?: number }): x509.Extension {
  const value = new PolicyConstraints({
    ...(c.requireExplicitPolicy !== undefined ? { requireExplicitPolicy: skip(c.requireExplicitPolicy) } : {}),
    ...(c.inhibitPolicyMapping !== undefined ? { inhibitPolicyMapping: skip(c.inhibitPolicyMapping) } : {}),
  });
  return new x509.Extension('2.5.29.36', true, AsnConvert.serialize(value));
}

export function policyMappingsExtension(mappings: [issuerDomainPolicy: string, subjectDomainPolicy: string][]): x509.Extension {
  const value = new PolicyMappings(
    mappings.map(([issuerDomainPolicy, subjectDomainPolicy]) => Object.assign(new PolicyMapping(), { issuerDomainPolicy, subjectDomainPolicy })),
  );
  return new x509.Extension('2.5.29.33', true, AsnConvert.serialize(value));
}

/** RFC 3820 proxyCertInfo (critical, as section 3.8 requires) with the inheritAll policy and an optional pCPathLenConstraint. */
export function proxyCertInfoExtension(pathLength?: number): x509.Extension {
  const inheritAll = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x15, 0x01]; // id-ppl-inheritAll, 1.3.6.1.5.5.7.21.1
  const body = [...(pathLength !== undefined ? [0x02, 0x01, pathLength] : []), 0x30, inheritAll.length, ...inheritAll];
  return new x509.Extension('1.3.6.1.5.5.7.1.14', true, new Uint8Array([0x30, body.length, ...body]));
}
