/**
 * Central key generation by the embedded CA (RFC 9483 section 4.1.6): a request whose template has no
 * public key, or only its algorithm with empty key bits, and no proof of possession asks the CA to make
 * the key. The CA makes it, certifies it and returns it encrypted for the requester: to the key of the
 * certificate that signed the request (RSA-OAEP for RSA, ECDH for EC), or under the shared secret of a
 * MAC-protected request (PWRI), signed by a key generation authority of this CA (id-kp-cmKGA, which
 * OpenSSL's client demands of the signer) whose key is of the CA's own algorithm. ML-DSA and ML-KEM keys
 * go out in the seed form of RFC 9881 and RFC 9935, from which the client recomputes the public key.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AttributeTypeAndValue,
  AttributeValue,
  ExtendedKeyUsage,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
} from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { ECParameters } from '@peculiar/asn1-ecc';
import { CmpOids, EnvelopedData, PkixOids, type CertReqMsg } from '../asn1';
import { Oids } from '../crypto/algorithms';
import { getCryptoProvider, type PrivateKeyHandle } from '../crypto';
import { exportMlDsaPrivateKey, generateMlDsaKey, isMlDsaKey, mlDsaVariantOfOid, type MlDsaVariant } from '../crypto/ml-dsa';
import { generateMlKemKey, mlKemVariantOfOid } from '../crypto/ml-kem';
import type { ServerContext } from './context';
import { sealGeneratedKey, type EnvelopeRecipient, type KeyGenerationAuthority } from '../cms';
import { extension, keyIdentifier, randomSerial, signCertificate, subjectKeyIdentifierExtension, type Signer } from './certificate-builder';
import type { ClientProtection } from './request-protection';
import { refuse } from './refusal';
import type { Extension } from '@peculiar/asn1-x509';

/** Whether the request asks the CA to generate the key; refuses the inconsistent case OpenSSL refuses too. */
export function centralKeyGenerationRequested(request: CertReqMsg): boolean {
  const publicKey = request.certReq.certTemplate.publicKey;
  const requested = publicKey === undefined || publicKey.subjectPublicKey.byteLength === 0;
  if (requested && request.popo !== undefined) refuse('badPOP', 'a request for central key generation must not carry a proof of possession');
  return requested;
}

const curves: Record<string, string> = { [Oids.prime256v1]: 'prime256v1', [Oids.secp384r1]: 'secp384r1', '1.3.132.0.35': 'secp521r1' };

/** A centrally generated key: as node:crypto holds it, or as PKCS#8 DER for keys it cannot hold (ML-DSA, ML-KEM). */
export type GeneratedKey = KeyObject | Uint8Array;

/** An ML-DSA key of the variant, as RFC 9881's seed-form PKCS#8 (what keygen starts from; 54 bytes). */
function generateMlDsa(variant: MlDsaVariant): { key: Uint8Array; spki: Uint8Array } {
  const handle = generateMlDsaKey(variant, (length) => new Uint8Array(randomBytes(length)));
  return { key: exportMlDsaPrivateKey(handle), spki: handle.spki };
}

/**
 * A key of the algorithm the template names (EC on its curve, RSA 2048, ML-DSA-44/65/87, ML-KEM-512/768/1024),
 * EC P-256 when it names none.
 */
export function generateRequestedKey(request: CertReqMsg): { key: GeneratedKey; spki: Uint8Array } {
  const algorithm = request.certReq.certTemplate.publicKey?.algorithm;
  const mlDsa = algorithm && mlDsaVariantOfOid(algorithm.algorithm);
  const mlKem = algorithm && mlKemVariantOfOid(algorithm.algorithm);
  if (mlDsa || mlKem) {
    // RFC 9881 and RFC 9935: the parameters are absent.
    if (algorithm!.parameters !== undefined) refuse('badCertTemplate', `the template's ${mlDsa ?? mlKem} algorithm has parameters`);
    if (mlDsa) return generateMlDsa(mlDsa);
    // The seed form (RFC 9935 section 6): 64 bytes, from which the client recomputes the certified key.
    const key = generateMlKemKey(mlKem!);
    return { key: key.pkcs8('seed'), spki: key.spki() };
  }
  let key: KeyObject;
  if (!algorithm || algorithm.algorithm === Oids.ecPublicKey) {
    let curveOid: string | undefined = Oids.prime256v1;
    try {
      if (algorithm?.parameters) curveOid = AsnConvert.parse(algorithm.parameters, ECParameters).namedCurve;
    } catch (e) {
      refuse('badCertTemplate', "the template's EC parameters are malformed", { cause: e });
    }
    const curve = curveOid ? curves[curveOid] : undefined;
    if (!curve) return refuse('badAlg', `central key generation does not make keys on curve ${curveOid}`);
    key = generateKeyPairSync('ec', { namedCurve: curve }).privateKey;
  } else if (algorithm.algorithm === Oids.rsaEncryption) {
    key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  } else {
    return refuse('badAlg', `central key generation does not make ${algorithm.algorithm} keys`);
  }
  const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  return { key, spki };
}

export interface KgaSetup {
  signer: Signer;
  issuer: Uint8Array;
  caCert: X509Certificate;
  chain: readonly X509Certificate[];
  now: Date;
  authorityKeyId: Extension;
}

/** The CA's name with one more RDN, so the KGA is told apart from the CA in paths and logs. */
function kgaSubject(caSubject: Uint8Array): Name {
  const name = AsnConvert.parse(caSubject, Name);
  name.push(
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: 'key generation authority' }) }),
    ]),
  );
  return name;
}

const nodeCurves: Record<string, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };

/**
 * The KGA's key, of the CA's algorithm, so that a relying party that trusts the CA for its algorithm
 * (an ML-DSA CA: for post-quantum signatures) gets the key package signed the same way: ML-DSA of the
 * CA's variant, EC on the CA's curve, RSA 2048 for an RSA CA. EdDSA CAs get EC P-256, as this CMS code
 * does not sign with EdDSA.
 */
function kgaKey(caKey: PrivateKeyHandle): { key: KeyObject | PrivateKeyHandle; spki: Uint8Array } {
  if (isMlDsaKey(caKey)) {
    const key = generateMlDsaKey(caKey.keyType as MlDsaVariant, (length) => new Uint8Array(randomBytes(length)));
    return { key, spki: key.spki };
  }
  const pair =
    caKey.keyType === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: (caKey.keyType === 'ec' && nodeCurves[caKey.curve ?? '']) || 'prime256v1' });
  return { key: pair.privateKey, spki: new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' })) };
}

/**
 * A key generation authority for this CA: a fresh key of the CA's algorithm, held in memory only, and a
 * certificate of the CA for it with id-kp-cmKGA. It is not recorded among the CA's issued certificates:
 * it lives as long as the process and signs nothing but key packages.
 */
export async function createKeyGenerationAuthority(setup: KgaSetup): Promise<KeyGenerationAuthority> {
  const { key, spki } = kgaKey(setup.signer.key);
  const notBefore = new Date(setup.now.getTime() - 60_000);
  const der = await signCertificate(
    {
      serialNumber: randomSerial(),
      issuer: setup.issuer,
      subject: kgaSubject(setup.issuer),
      notBefore,
      notAfter: setup.caCert.notAfter,
      spki,
      extensions: [
        extension(PkixOids.keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
        extension(PkixOids.extKeyUsage, false, new ExtendedKeyUsage([CmpOids.idKpCmKGA])),
        subjectKeyIdentifierExtension(await keyIdentifier(spki)),
        setup.authorityKeyId,
      ],
    },
    setup.signer,
  );
  return {
    key,
    certificate: der,
    chain: [new Uint8Array(setup.caCert.rawData), ...setup.chain.map((c) => new Uint8Array(c.rawData))],
  };
}

/** Whom the generated key is encrypted for: the request's signer, or the holder of its MAC secret. */
export function keyRecipient(protection: ClientProtection): EnvelopeRecipient {
  if (protection.kind === 'signature') return { kind: 'certificate', certificate: new Uint8Array(protection.signer.rawData) };
  if (protection.kind === 'mac') return { kind: 'password', password: protection.secret.secret };
  return refuse('wrongIntegrity', 'central key generation needs a protected request: the key is encrypted for its signer or MAC secret');
}

/** The EnvelopedData for the CertifiedKeyPair's privateKey. */
export function sealForRequester(key: GeneratedKey, kga: KeyGenerationAuthority, recipient: EnvelopeRecipient): EnvelopedData {
  return AsnConvert.parse(sealGeneratedKey(key, kga, recipient), EnvelopedData);
}

/** A key of the crypto provider as the CMS code takes it: PKCS#8 DER, which every key type has. */
export async function generatedKeyOf(key: PrivateKeyHandle): Promise<GeneratedKey> {
  return getCryptoProvider().exportPrivateKey(key);
}

/** The provider's key as the CMS signer takes it: ML-DSA handles as they are, others as node:crypto keys. */
async function signingKeyOf(key: PrivateKeyHandle): Promise<KeyObject | PrivateKeyHandle> {
  if (isMlDsaKey(key)) return key;
  return createPrivateKey({ key: Buffer.from(await getCryptoProvider().exportPrivateKey(key)), format: 'der', type: 'pkcs8' });
}

/**
 * Who signs the key package: the CA's own key generation authority, or with fixed answers (no CA) the
 * response signer, as OpenSSL's mock server signs with its -srv_cert.
 */
export async function keyGenerationAuthority(ctx: ServerContext): Promise<KeyGenerationAuthority> {
  if (ctx.ca && !ctx.config.source.rspCert) return ctx.ca.keyGenerationAuthority();
  const signer = ctx.config.signer;
  if (!signer) return refuse('badRequest', 'central key generation with a fixed answer needs a response signer (-srv_cert) to sign the key');
  return {
    key: await signingKeyOf(signer.key),
    certificate: new Uint8Array(signer.cert.rawData),
    chain: (ctx.config.source.srvUntrusted ?? []).map((c) => new Uint8Array(c.rawData)),
  };
}
