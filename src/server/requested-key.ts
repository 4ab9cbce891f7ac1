/**
 * The public key a certificate request asks to certify, imported once per request: the proof of
 * possession verifies with it and the issuance policy reads its type, curve and size from it.
 * Importing a key into OpenSSL costs about as much as verifying with it, and a requested key is
 * new every time, so sharing the import halves that part of issuing. The verification is
 * node:crypto's, like the policy's key inspection, rather than the crypto provider's, which can
 * only take the key as DER.
 */
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { hashLength, type SignatureAlgorithm } from '../crypto';
import { nodeHash } from '../crypto/node';

/** Keyed by the very SPKI bytes object the request's parts share (see requestFromTemplate). */
const imported = new WeakMap<Uint8Array, KeyObject>();

/** The KeyObject of a DER SubjectPublicKeyInfo; throws what node:crypto throws for a malformed one. */
export function requestedKeyObject(spki: Uint8Array): KeyObject {
  let key = imported.get(spki);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength), format: 'der', type: 'spki' });
    imported.set(spki, key);
  }
  return key;
}

const keyTypes: Record<SignatureAlgorithm['scheme'], readonly string[]> = {
  'rsa-pkcs1': ['rsa'],
  'rsa-pss': ['rsa', 'rsa-pss'],
  ecdsa: ['ec'],
  ed25519: ['ed25519'],
  ed448: ['ed448'],
};

/** Whether `signature` over `data` verifies with the requested key; false for a malformed key or signature. */
export function verifyWithRequestedKey(alg: SignatureAlgorithm, spki: Uint8Array, signature: Uint8Array, data: Uint8Array): boolean {
  try {
    const key = requestedKeyObject(spki);
    if (!keyTypes[alg.scheme]?.includes(key.asymmetricKeyType ?? '')) return false;
    // Signatures hash with fixed-length functions only, as the crypto provider's do.
    if (alg.hash?.startsWith('SHAKE')) return false;
    switch (alg.scheme) {
      case 'rsa-pkcs1':
        return verify(nodeHash(alg.hash!), data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'rsa-pss':
        return verify(nodeHash(alg.hash!), data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength ?? hashLength(alg.hash!) }, signature);
      case 'ecdsa':
        // X.509 and CRMF carry ECDSA signatures as DER Ecdsa-Sig-Value.
        return verify(nodeHash(alg.hash!), data, { key, dsaEncoding: 'der' }, signature);
      default:
        return verify(null, data, key, signature);
    }
  } catch {
    return false;
  }
}
