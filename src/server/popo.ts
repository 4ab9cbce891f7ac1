/**
 * Proof of possession of the key to be certified (RFC 4211 section 4, RFC 9483 section 4.1.1):
 * a signature with that key over the DER of the CertRequest (or, when present, of
 * POPOSigningKeyInput, whose key must be the template's), or the self-signature of a PKCS#10
 * request. raVerified is accepted only when configured. Key encipherment (RSA, ML-KEM) and key agreement
 * (EC) keys may ask for indirect proof (POPOPrivKey subsequentMessage encrCert, RFC 9810 section 5.2.8.3):
 * the certificate is then returned encrypted for the key, and possession is proven only by a certConf
 * whose certHash matches it. Every failure is badPOP.
 */
import type { CertReqMsg, PKIMessage } from '../asn1';
import { encodeDer, SubsequentMessage } from '../asn1';
import { getCryptoProvider, signatureAlgorithmFromId, type SignatureAlgorithm } from '../crypto';
import { keyFitsAlgorithm } from '../protection/signature';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { receivedCertificationRequestInfo, receivedCertRequest, receivedPoposkInput } from './received-parts';
import { refuse } from './refusal';

async function checkSignature(
  algorithmId: AlgorithmIdentifier,
  keyAlgorithm: string,
  spki: Uint8Array,
  signature: Uint8Array,
  data: Uint8Array,
  what: string,
): Promise<void> {
  let algorithm: SignatureAlgorithm;
  try {
    algorithm = signatureAlgorithmFromId(algorithmId);
  } catch (e) {
    return refuse(['badPOP', 'badAlg'], `the ${what} uses an unsupported signature algorithm`, { cause: e });
  }
  if (!keyFitsAlgorithm(keyAlgorithm, algorithm)) refuse('badPOP', `the ${what} algorithm does not fit the key to be certified`);
  // The provider imports the key once; the issuance policy finds it in the same cache.
  if (!(await getCryptoProvider().verify(algorithm, spki, signature, data))) {
    refuse('badPOP', `the ${what} does not verify with the key to be certified`);
  }
}

/** How possession is proven: already, or by the certConf that answers an encrypted certificate. */
export type PossessionProof = 'proven' | 'encrCert';

const rsaEncryption = '1.2.840.113549.1.1.1';
const ecPublicKey = '1.2.840.10045.2.1';
/** id-X25519, id-X448: key agreement only (RFC 8410), to which the CA encrypts by RFC 8418's ECDH. */
const montgomeryKeys = new Set(['1.3.101.110', '1.3.101.111']);
const mlKemKeys = new Set(['2.16.840.1.101.3.4.4.1', '2.16.840.1.101.3.4.4.2', '2.16.840.1.101.3.4.4.3']);

/**
 * keyEncipherment [2] or keyAgreement [3]: only subsequentMessage encrCert is supported (challengeResp needs
 * the POPODecKeyChall exchange, thisMessage and dhMAC are deprecated, agreeMAC and encryptedKey are not
 * implemented), for a key to which this CA can encrypt by the matching kind of recipient.
 */
function indirectProof(popo: NonNullable<CertReqMsg['popo']>, keyAlgorithm: string): PossessionProof {
  const agreement = popo.keyAgreement !== undefined;
  const privKey = popo.keyEncipherment ?? popo.keyAgreement!;
  if (privKey.subsequentMessage !== SubsequentMessage.encrCert) {
    return refuse('badPOP', 'of indirect proofs of possession only subsequentMessage encrCert is supported');
  }
  const fits = agreement
    ? keyAlgorithm === ecPublicKey || montgomeryKeys.has(keyAlgorithm)
    : keyAlgorithm === rsaEncryption || mlKemKeys.has(keyAlgorithm);
  if (!fits) {
    return refuse('badPOP', `a ${agreement ? 'keyAgreement' : 'keyEncipherment'} proof of possession does not fit a ${keyAlgorithm} key`);
  }
  return 'encrCert';
}

/** Checks the POPO of CertReqMsg `index` of an ir/cr/kur for the key `spki` (DER). */
export async function verifyCrmfPopo(
  msg: PKIMessage,
  index: number,
  request: CertReqMsg,
  spki: Uint8Array,
  acceptRaVerified: boolean,
): Promise<PossessionProof> {
  const popo = request.popo;
  if (!popo) return refuse('badPOP', 'the request carries no proof of possession');
  if (popo.raVerified !== undefined) {
    if (!acceptRaVerified) refuse('badPOP', 'raVerified proof of possession is not accepted here');
    return 'proven';
  }
  const keyAlgorithm = request.certReq.certTemplate.publicKey?.algorithm.algorithm ?? '';
  if (popo.keyEncipherment || popo.keyAgreement) return indirectProof(popo, keyAlgorithm);
  const signed = popo.signature;
  if (!signed) return refuse('badPOP', 'the proof of possession is empty');
  let data: Uint8Array;
  if (signed.poposkInput) {
    if (!Buffer.from(encodeDer(signed.poposkInput.publicKey)).equals(Buffer.from(spki))) {
      refuse('badPOP', 'the public key in POPOSigningKeyInput differs from the one in the template');
    }
    data = receivedPoposkInput(msg, index)!;
  } else {
    data = receivedCertRequest(msg, index);
  }
  await checkSignature(signed.algorithmIdentifier, keyAlgorithm, spki, new Uint8Array(signed.signature), data, 'proof-of-possession signature');
  return 'proven';
}

/** Checks the self-signature of a p10cr's PKCS#10 request, whose key is `spki` (DER). */
export async function verifyCsrSignature(msg: PKIMessage, spki: Uint8Array): Promise<void> {
  const csr = msg.body.p10cr!;
  await checkSignature(
    csr.signatureAlgorithm,
    csr.certificationRequestInfo.subjectPKInfo.algorithm.algorithm,
    spki,
    new Uint8Array(csr.signature),
    receivedCertificationRequestInfo(msg),
    'PKCS#10 signature',
  );
}
