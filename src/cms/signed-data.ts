/**
 * SignedData (RFC 5652 section 5) as RFC 9483 section 4.1.6 wraps a centrally generated key: signed by
 * the key generation authority, one signer identified by issuer and serial, signed attributes holding the
 * content type and the content's digest, the signer's certificate (and its chain) in `certificates`.
 * Signatures are verified and made for RSA, ECDSA and, as RFC 9882 specifies, ML-DSA, so that a key
 * generation authority can sign with the algorithm of the CA that certified it.
 */
import { createHash, createPublicKey, KeyObject, sign as signData, verify as verifyData } from 'node:crypto';
import { AsnArray, AsnConvert, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, ExtendedKeyUsage, id_ce_extKeyUsage } from '@peculiar/asn1-x509';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  CMSVersion,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  id_contentType,
  id_messageDigest,
} from '@peculiar/asn1-cms';
import { CmpOids } from '../asn1/oids';
import { Oids } from '../crypto/algorithms';
import { isMlDsaKey, ML_DSA_OIDS, mlDsaSign, mlDsaVariantOfOid, mlDsaVerify, type MlDsaVariant } from '../crypto/ml-dsa';
import type { PrivateKeyHandle } from '../crypto/provider';
import { sameBytes } from '../bytes';
import { CmpError, ErrorCodes } from '../errors';

/** The signed attributes as the SET OF that is signed (RFC 5652 section 5.4), not the [0] IMPLICIT field. */
@AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })
class AttributeSet extends AsnArray<Attribute> {
  constructor(items?: Attribute[]) {
    super(items);
    Object.setPrototypeOf(this, AttributeSet.prototype);
  }
}

const digestHashes: Record<string, string> = {
  [Oids.sha256]: 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
// Signature algorithms that name their own hash; rsaEncryption and id-ecPublicKey (what OpenSSL's cms
// writes for RSA) take the hash from digestAlgorithm.
const signatureHashes: Record<string, string> = {
  [Oids.sha256WithRSAEncryption]: 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  [Oids.ecdsaWithSHA256]: 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

function invalid(what: string, cause?: unknown): CmpError {
  return new CmpError(ErrorCodes.ERR_CMS_SIGNATURE, `the SignedData is not valid: ${what}`, cause ? { cause } : {});
}

function buf(data: ArrayBuffer | Uint8Array): Buffer {
  return data instanceof Uint8Array ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}

function signedAttributes(contentType: string, digest: Buffer): Attribute[] {
  // Already in DER SET OF order: the contentType attribute encodes shorter than the messageDigest one.
  return [
    new Attribute({ attrType: id_contentType, attrValues: [oidDer(contentType)] }),
    new Attribute({ attrType: id_messageDigest, attrValues: [AsnConvert.serialize(new OctetString(digest))] }),
  ];
}

/** An OBJECT IDENTIFIER as a standalone value, for an attribute's SET OF ANY. */
function oidDer(oid: string): ArrayBuffer {
  const parts = oid.split('.').map(Number);
  const body: number[] = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const bytes: number[] = [part & 0x7f];
    for (let rest = Math.floor(part / 128); rest > 0; rest = Math.floor(rest / 128)) bytes.unshift((rest & 0x7f) | 0x80);
    body.push(...bytes);
  }
  return new Uint8Array([0x06, body.length, ...body]).buffer;
}

export interface SignOptions {
  contentType: string;
  content: Uint8Array;
  /** An RSA or EC key of node:crypto, or an ML-DSA key handle (node:crypto of Node 20 has no ML-DSA). */
  signerKey: KeyObject | PrivateKeyHandle;
  signerCertificate: Uint8Array;
  /** Further certificates for the verifier's path (the signer's chain). */
  extraCertificates?: readonly Uint8Array[];
}

const digestOids: Record<string, string> = { sha256: Oids.sha256, sha384: '2.16.840.1.101.3.4.2.2', sha512: '2.16.840.1.101.3.4.2.3' };
const ecdsaOids: Record<string, string> = { sha256: Oids.ecdsaWithSHA256, sha384: '1.2.840.10045.4.3.3', sha512: '1.2.840.10045.4.3.4' };
const curveHashes: Record<string, string> = { prime256v1: 'sha256', secp384r1: 'sha384', secp521r1: 'sha512' };

interface SigningPlan {
  hash: string;
  signatureAlgorithm: AlgorithmIdentifier;
  sign(data: Buffer): Uint8Array;
}

/**
 * How the key signs: ECDSA with its curve's hash, RSA PKCS#1 v1.5 with SHA-256, ML-DSA with SHA-512 as the
 * digest of the content (RFC 9882 section 3.3: SHA-512 is the one every ML-DSA verifier supports).
 */
function signingPlan(key: KeyObject | PrivateKeyHandle): SigningPlan {
  if (!(key instanceof KeyObject)) {
    if (!isMlDsaKey(key)) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `cannot sign CMS content with a ${key.keyType} key handle`);
    const variant = key.keyType as MlDsaVariant;
    return {
      hash: 'sha512',
      // RFC 9882 section 3.1: the parameters are absent.
      signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ML_DSA_OIDS[variant] }),
      sign: (data) => mlDsaSign({ scheme: variant }, key, new Uint8Array(data)),
    };
  }
  const keyType = key.asymmetricKeyType;
  if (keyType === 'ec') {
    const hash = curveHashes[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? 'sha256';
    return { hash, signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ecdsaOids[hash]! }), sign: (data) => signData(hash, data, key) };
  }
  if (keyType === 'rsa') {
    return {
      hash: 'sha256',
      signatureAlgorithm: new AlgorithmIdentifier({ algorithm: Oids.sha256WithRSAEncryption, parameters: new Uint8Array([5, 0]).buffer }),
      sign: (data) => signData('sha256', data, key),
    };
  }
  throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `cannot sign CMS content with a ${keyType} key`);
}

/** Signs `content` with the signer's key (see signingPlan) and returns the SignedData DER. */
export function signContent(options: SignOptions): Uint8Array {
  const signer = AsnConvert.parse(buf(options.signerCertificate), Certificate);
  const plan = signingPlan(options.signerKey);
  const digest = createHash(plan.hash).update(options.content).digest();
  const attrs = signedAttributes(options.contentType, digest);
  const signature = plan.sign(Buffer.from(AsnConvert.serialize(new AttributeSet(attrs))));
  const digestAlgorithm = new AlgorithmIdentifier({ algorithm: digestOids[plan.hash]! });
  const signerInfo = new SignerInfo({
    version: CMSVersion.v1,
    sid: new SignerIdentifier({
      issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: signer.tbsCertificate.issuer, serialNumber: signer.tbsCertificate.serialNumber }),
    }),
    digestAlgorithm,
    signedAttrs: attrs,
    signatureAlgorithm: plan.signatureAlgorithm,
    signature: new OctetString(signature),
  });
  const certificates = [options.signerCertificate, ...(options.extraCertificates ?? [])].map(
    (der) => new CertificateChoices({ certificate: AsnConvert.parse(buf(der), Certificate) }),
  );
  const signed = new SignedData({
    // RFC 5652 section 5.1: version 3 because the content is not id-data.
    version: CMSVersion.v3,
    digestAlgorithms: new DigestAlgorithmIdentifiers([digestAlgorithm]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: options.contentType,
      eContent: new EncapsulatedContent({ single: new OctetString(options.content) }),
    }),
    certificates: new CertificateSet(certificates),
    signerInfos: new SignerInfos([signerInfo]),
  });
  return new Uint8Array(AsnConvert.serialize(signed));
}

export interface VerifiedContent {
  contentType: string;
  content: Uint8Array;
  /** The signer's certificate, DER; its path is for the caller to validate. */
  signer: Uint8Array;
  /** Every certificate the SignedData carries, DER. */
  certificates: Uint8Array[];
}

function attributeValue(attrs: Attribute[], type: string): ArrayBuffer {
  const found = attrs.filter((a) => a.attrType === type);
  if (found.length !== 1 || found[0]!.attrValues.length !== 1) throw invalid(`it must carry exactly one ${type} signed attribute`);
  return found[0]!.attrValues[0]!;
}

/** Checks the one signature of a SignedData over its embedded content; says nothing yet of who the signer is. */
export function verifySignedContent(der: Uint8Array): VerifiedContent {
  let signed: SignedData;
  try {
    signed = AsnConvert.parse(buf(der), SignedData);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'the SignedData is malformed', { cause: e });
  }
  const content = signed.encapContentInfo.eContent?.single?.buffer ?? signed.encapContentInfo.eContent?.any;
  if (!content) throw invalid('it carries no content');
  if (signed.signerInfos.length !== 1) throw invalid(`it must have exactly one signer, has ${signed.signerInfos.length}`);
  const info = signed.signerInfos[0]!;
  const certificates = (signed.certificates ?? []).flatMap((c) => (c.certificate ? [new Uint8Array(AsnConvert.serialize(c.certificate))] : []));
  const sid = info.sid.issuerAndSerialNumber;
  const signer = certificates.find((der) => {
    const tbs = AsnConvert.parse(buf(der), Certificate).tbsCertificate;
    if (sid) return sameBytes(AsnConvert.serialize(tbs.issuer), AsnConvert.serialize(sid.issuer)) && sameBytes(tbs.serialNumber, sid.serialNumber);
    const ski = tbs.extensions?.find((e) => e.extnID === '2.5.29.14');
    return (
      ski !== undefined &&
      info.sid.subjectKeyIdentifier !== undefined &&
      sameBytes(AsnConvert.parse(ski.extnValue.buffer, OctetString).buffer, info.sid.subjectKeyIdentifier.buffer)
    );
  });
  if (!signer) throw invalid("the signer's certificate is not among its certificates");
  const digestHash = digestHashes[info.digestAlgorithm.algorithm];
  if (!digestHash) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported CMS digest algorithm ${info.digestAlgorithm.algorithm}`);
  const attrs = info.signedAttrs;
  if (!attrs) throw invalid('it has no signed attributes');
  const contentTypeDer = attributeValue(attrs, id_contentType);
  if (!sameBytes(contentTypeDer, oidDer(signed.encapContentInfo.eContentType)))
    throw invalid('the contentType attribute differs from the content type');
  const digest = AsnConvert.parse(attributeValue(attrs, id_messageDigest), OctetString);
  if (!sameBytes(digest.buffer, createHash(digestHash).update(buf(content)).digest()))
    throw invalid('the messageDigest attribute does not match the content');
  const sigAlg = info.signatureAlgorithm.algorithm;
  const signerSpki = new Uint8Array(AsnConvert.serialize(AsnConvert.parse(buf(signer), Certificate).tbsCertificate.subjectPublicKeyInfo));
  const mlDsa = mlDsaVariantOfOid(sigAlg);
  if (mlDsa !== undefined) {
    // RFC 9882: pure ML-DSA (empty context) over the DER of the signed attributes, parameters absent.
    if (info.signatureAlgorithm.parameters !== undefined) throw invalid(`the ${mlDsa} signature algorithm has parameters`);
    const signedDer = new Uint8Array(AsnConvert.serialize(new AttributeSet(attrs)));
    if (!mlDsaVerify({ scheme: mlDsa }, signerSpki, new Uint8Array(info.signature.buffer), signedDer)) throw invalid('the signature does not verify');
    return { contentType: signed.encapContentInfo.eContentType, content: new Uint8Array(content), signer, certificates };
  }
  const hash = signatureHashes[sigAlg] ?? (sigAlg === Oids.rsaEncryption || sigAlg === Oids.ecPublicKey ? digestHash : undefined);
  if (!hash) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported CMS signature algorithm ${sigAlg}`);
  const publicKey = createPublicKey({ key: Buffer.from(signerSpki), format: 'der', type: 'spki' });
  const ok = verifyData(hash, Buffer.from(AsnConvert.serialize(new AttributeSet(attrs))), publicKey, buf(info.signature.buffer));
  if (!ok) throw invalid('the signature does not verify');
  return { contentType: signed.encapContentInfo.eContentType, content: new Uint8Array(content), signer, certificates };
}

/** Whether a certificate names id-kp-cmKGA in its extended key usage: a key generation authority (RFC 9483 section 4.1.6). */
export function isKeyGenerationAuthority(certificate: Uint8Array): boolean {
  const ext = AsnConvert.parse(buf(certificate), Certificate).tbsCertificate.extensions?.find((e) => e.extnID === id_ce_extKeyUsage);
  if (!ext) return false;
  return AsnConvert.parse(ext.extnValue.buffer, ExtendedKeyUsage).includes(CmpOids.idKpCmKGA);
}
