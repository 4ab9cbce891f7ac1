/**
 * Proof of possession of the key to be certified (RFC 4211 section 4, RFC 9483 section 4.1.1):
 * a signature with that key over the DER of the CertRequest (or, when present, of
 * POPOSigningKeyInput, whose key must be the template's), or the self-signature of a PKCS#10
 * request. raVerified is accepted only when configured; key encipherment and key agreement
 * (indirect POPO) are not supported. Every failure is badPOP.
 */
import type { CertReqMsg, PKIMessage } from '../asn1';
import { encodeDer } from '../asn1';
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

/** Checks the POPO of CertReqMsg `index` of an ir/cr/kur for the key `spki` (DER). */
export async function verifyCrmfPopo(
  msg: PKIMessage,
  index: number,
  request: CertReqMsg,
  spki: Uint8Array,
  acceptRaVerified: boolean,
): Promise<void> {
  const popo = request.popo;
  if (!popo) return refuse('badPOP', 'the request carries no proof of possession');
  if (popo.raVerified !== undefined) {
    if (!acceptRaVerified) refuse('badPOP', 'raVerified proof of possession is not accepted here');
    return;
  }
  const signed = popo.signature;
  if (!signed) return refuse('badPOP', 'only signature-based proof of possession is supported');
  let data: Uint8Array;
  if (signed.poposkInput) {
    if (!Buffer.from(encodeDer(signed.poposkInput.publicKey)).equals(Buffer.from(spki))) {
      refuse('badPOP', 'the public key in POPOSigningKeyInput differs from the one in the template');
    }
    data = receivedPoposkInput(msg, index)!;
  } else {
    data = receivedCertRequest(msg, index);
  }
  const keyAlgorithm = request.certReq.certTemplate.publicKey?.algorithm.algorithm ?? '';
  await checkSignature(signed.algorithmIdentifier, keyAlgorithm, spki, new Uint8Array(signed.signature), data, 'proof-of-possession signature');
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
