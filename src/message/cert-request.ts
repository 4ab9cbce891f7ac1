/**
 * CRMF certificate requests (ir, cr, kur) the way OpenSSL 3.0 builds them (cmp_msg.c crm_new and
 * ossl_cmp_certreq_new): a template with subject, issuer, public key, validity and extensions, the
 * oldCertID control for kur, and proof of possession by signing the DER of CertRequest with the
 * new key, or indirectly (RFC 4211 section 4.2, RFC 9810 section 5.2.8.3): the CA returns the
 * certificate encrypted for the new key, and certConf's certHash shows that it could be decrypted.
 */
import { serializeDer } from '../asn1/der-writer';
import { parseDer } from '../asn1/der-reader';
import { Extension, Extensions, GeneralName, Name, SubjectPublicKeyInfo, Time } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import {
  AttributeTypeAndValue,
  CertId,
  CertReqMessages,
  CertReqMsg,
  CertRequest,
  CertTemplate,
  CmpOids,
  Controls,
  OptionalValidity,
  POPOPrivKey,
  POPOSigningKey,
  ProofOfPossession,
  SubsequentMessage,
} from '../asn1';
import { defaultSignatureAlgorithm, getCryptoProvider, signatureAlgorithmId, type HashName, type PrivateKeyHandle } from '../crypto';
import { CmpError } from '../errors';
import { toArrayBuffer } from '../bytes';
import { issuerAndSerial } from './cert-identity';

/** OpenSSL -popo: -1 none, 0 raVerified, 1 signature, 2 keyEncipherment, 3 keyAgreement. */
export type PopoMethod = -1 | 0 | 1 | 2 | 3;

export interface CertRequestInput {
  certReqId: bigint;
  /** DER SubjectPublicKeyInfo of the key to certify; with centralKeyGeneration only its algorithm is sent, if given at all. */
  publicKey?: Uint8Array;
  /** Ask the CA to generate the key (RFC 9483 section 4.1.6): no key bits and no proof of possession, as OpenSSL 3.5 sends. */
  centralKeyGeneration?: boolean;
  subject?: Name;
  issuer?: Name;
  /** Requested validity in days from `now` (OpenSSL -days); absent: the CA decides. */
  days?: number;
  now?: Date;
  extensions?: Extension[];
  /** kur: the certificate to update, named in the oldCertID control (RFC 4210 D.6). */
  oldCert?: X509Certificate;
  popo: PopoMethod;
  /** Signs the POPO (popo 1). Popo 2 and 3 need no key here: the new key decrypts the certificate later. */
  popoKey?: PrivateKeyHandle;
  digest?: HashName;
}

function buildCertTemplate(input: CertRequestInput): CertTemplate {
  const now = input.now ?? new Date();
  // Set field by field: a literal of spreads gets a new map on every call in V8 11 (docs/benchmarks.md, ninth session).
  const template = new CertTemplate();
  if (input.publicKey) template.publicKey = templateKey(input.publicKey, input.centralKeyGeneration === true);
  if (input.subject) template.subject = input.subject;
  if (input.issuer) template.issuer = input.issuer;
  if (input.days !== undefined && input.days > 0) {
    const notAfter = new Date(now.getTime() + input.days * 86_400_000);
    template.validity = new OptionalValidity({ notBefore: timeOf(now), notAfter: timeOf(notAfter) });
  }
  if (input.extensions?.length) template.extensions = new Extensions(input.extensions);
  return template;
}

/** The key, or for central key generation only its algorithm with empty key bits (what the CA reads as "make one like this"). */
function templateKey(spki: Uint8Array, algorithmOnly: boolean): SubjectPublicKeyInfo {
  const key = parseDer(spki, SubjectPublicKeyInfo);
  if (algorithmOnly) key.subjectPublicKey = new ArrayBuffer(0);
  return key;
}

/** X.509 Time: UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5), whole seconds. */
function timeOf(date: Date): Time {
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return whole.getUTCFullYear() < 2050 ? new Time({ utcTime: whole }) : new Time({ generalTime: whole });
}

function oldCertIdControl(oldCert: X509Certificate): AttributeTypeAndValue {
  const { issuer, serialNumber } = issuerAndSerial(oldCert);
  const certId = new CertId({ issuer: new GeneralName({ directoryName: issuer }), serialNumber });
  return new AttributeTypeAndValue({ type: CmpOids.idRegCtrlOldCertID, value: serializeDer(certId).buffer });
}

async function proofOfPossession(request: CertRequest, input: CertRequestInput): Promise<ProofOfPossession | undefined> {
  if (input.centralKeyGeneration) return undefined;
  switch (input.popo) {
    case -1:
      return undefined;
    case 0:
      return new ProofOfPossession({ raVerified: null });
    case 1: {
      if (!input.popoKey) {
        throw new CmpError('ERR_MISSING_OPTION', 'newKey: proof of possession by signature needs the new private key', { options: ['newKey'] });
      }
      const alg = defaultSignatureAlgorithm(input.popoKey, input.digest);
      const signature = await getCryptoProvider().sign(alg, input.popoKey, serializeDer(request));
      return new ProofOfPossession({
        signature: new POPOSigningKey({ algorithmIdentifier: signatureAlgorithmId(alg), signature: toArrayBuffer(signature) }),
      });
    }
    case 2:
    case 3:
      return indirectProofOfPossession(input.popo, input.publicKey);
  }
}

const rsaEncryption = '1.2.840.113549.1.1.1';
const ecPublicKey = '1.2.840.10045.2.1';
/** id-X25519, id-X448 (RFC 8410): key agreement only, by RFC 8418's ECDH in CMS. */
const montgomeryKeys = new Set(['1.3.101.110', '1.3.101.111']);
/** id-alg-ml-kem-512/768/1024 (FIPS 203 keys in X.509): they can only encipher. */
const mlKemKeys = new Set(['2.16.840.1.101.3.4.4.1', '2.16.840.1.101.3.4.4.2', '2.16.840.1.101.3.4.4.3']);

/**
 * POPOPrivKey subsequentMessage encrCert, under keyEncipherment (popo 2: RSA and ML-KEM keys, to which the
 * CA encrypts by key transport or encapsulation) or keyAgreement (popo 3: EC, X25519 and X448 keys, by ephemeral-static ECDH).
 * A key that cannot open what the CA would send is refused here rather than after the CA has issued.
 */
function indirectProofOfPossession(popo: 2 | 3, publicKey: Uint8Array | undefined): ProofOfPossession {
  if (!publicKey) {
    throw new CmpError('ERR_MISSING_OPTION', 'newKey: indirect proof of possession needs the new key, to which the certificate is encrypted', {
      options: ['newKey'],
    });
  }
  const algorithm = parseDer(publicKey, SubjectPublicKeyInfo).algorithm.algorithm;
  const fits = popo === 2 ? algorithm === rsaEncryption || mlKemKeys.has(algorithm) : algorithm === ecPublicKey || montgomeryKeys.has(algorithm);
  if (!fits) {
    const wanted = popo === 2 ? 'an RSA or ML-KEM key (key encipherment)' : 'an EC key (key agreement) or an X25519 or X448 one';
    throw new CmpError('ERR_INVALID_OPTION', `popo: ${popo} needs ${wanted}; the new key is ${algorithm}`, { options: ['popo', 'newKey'] });
  }
  const privKey = new POPOPrivKey({ subsequentMessage: SubsequentMessage.encrCert });
  return new ProofOfPossession(popo === 2 ? { keyEncipherment: privKey } : { keyAgreement: privKey });
}

/** One CertReqMsg for ir, cr or kur. */
export async function buildCertReqMessages(input: CertRequestInput): Promise<CertReqMessages> {
  const request = new CertRequest({ certReqId: input.certReqId, certTemplate: buildCertTemplate(input) });
  if (input.oldCert) request.controls = new Controls([oldCertIdControl(input.oldCert)]);
  const popo = await proofOfPossession(request, input);
  return new CertReqMessages([new CertReqMsg({ certReq: request, ...(popo ? { popo } : {}) })]);
}
