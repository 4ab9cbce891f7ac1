/**
 * Signature-based protection (RFC 9810 section 5.1.3.3, algorithms of RFC 9481 section 3): which
 * algorithm a signer uses, whether a protectionAlg fits a certificate's key, and the signing and
 * verifying of DER(ProtectedPart) through the crypto provider.
 */
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { defaultSignatureAlgorithm, keyFitsScheme, signatureAlgorithmId } from '../crypto/algorithms';
import { getCryptoProvider } from '../crypto';
import type { HashName, PrivateKeyHandle, SignatureAlgorithm } from '../crypto/provider';
import { publicKeyMatches } from '../credentials/keys';
import { CmpError, ErrorCodes } from '../errors';
import { viewOf } from '../pki/certificate-view';

/** Whether a key with this SubjectPublicKeyInfo algorithm OID can have made a signature of `alg`. */
export function keyFitsAlgorithm(spkiAlgorithm: string, alg: SignatureAlgorithm): boolean {
  return keyFitsScheme(spkiAlgorithm, alg.scheme);
}

export interface SignatureChoice {
  algorithm: SignatureAlgorithm;
  /** What goes into header.protectionAlg. */
  id: AlgorithmIdentifier;
}

/**
 * The algorithm a signer protects with: `algorithm` when given, else the default for its key
 * (with `digest` as the hash). ERR_CREDENTIALS when key and certificate do not belong together,
 * ERR_INVALID_OPTION when the algorithm does not fit the key, ERR_UNSUPPORTED_ALGORITHM when it
 * has no identifier.
 */
export function chooseSignatureAlgorithm(
  key: PrivateKeyHandle,
  cert: X509Certificate,
  algorithm?: SignatureAlgorithm,
  digest?: HashName,
): SignatureChoice {
  if (!publicKeyMatches(key, cert)) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `the private key does not belong to the protection certificate "${cert.subject}"`);
  }
  const chosen = algorithm ?? defaultSignatureAlgorithm(key, digest);
  if (!keyFitsAlgorithm(viewOf(cert).spkiAlgorithm, chosen)) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `signature scheme ${chosen.scheme} does not fit the ${key.keyType} key of "${cert.subject}"`);
  }
  return { algorithm: chosen, id: signatureAlgorithmId(chosen) };
}

export async function signProtectedPart(alg: SignatureAlgorithm, key: PrivateKeyHandle, protectedPart: Uint8Array): Promise<Uint8Array> {
  return getCryptoProvider().sign(alg, key, protectedPart);
}

/** True when `signature` over `protectedPart` verifies with the certificate's key; never throws for a bad signature. */
export async function verifyProtectedPart(
  alg: SignatureAlgorithm,
  cert: X509Certificate,
  signature: Uint8Array,
  protectedPart: Uint8Array,
): Promise<boolean> {
  return getCryptoProvider().verify(alg, viewOf(cert).spki, signature, protectedPart);
}
