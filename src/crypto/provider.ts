/**
 * The one seam through which cmpflow does cryptography. The default implementation uses Node's
 * `crypto` (synchronous hashing is ~10x faster than WebCrypto's `digest` for PBM's iterated hash);
 * a WebCrypto implementation can be set for browsers. Everything above this layer passes bytes and
 * opaque key handles, never Node KeyObjects or CryptoKeys directly.
 */
export type HashName = 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512' | 'SHA3-256' | 'SHA3-384' | 'SHA3-512' | 'SHAKE128' | 'SHAKE256';

/** The ML-DSA parameter sets (FIPS 204), each a key type and its own (pure, empty-context) signature scheme. */
export type MlDsaName = 'ml-dsa-44' | 'ml-dsa-65' | 'ml-dsa-87';

export type SignatureScheme = 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'ed25519' | 'ed448' | MlDsaName;

/** What a signature needs beyond the key: the scheme and, except for EdDSA, its hash. */
export interface SignatureAlgorithm {
  scheme: SignatureScheme;
  /** Absent for Ed25519/Ed448 and ML-DSA. */
  hash?: HashName;
  /** RSA-PSS salt length in bytes (defaults to the hash length). */
  saltLength?: number;
}

/** x25519 and x448 keys only agree on keys (RFC 8410): they are enrolled with -popo 3 and never sign. */
export type KeyType = 'rsa' | 'ec' | 'ed25519' | 'ed448' | 'x25519' | 'x448' | MlDsaName;

/** An opaque private key. `handle` is provider-specific (a Node KeyObject, a CryptoKey, an HSM ref). */
export interface PrivateKeyHandle {
  readonly kind: 'private';
  readonly keyType: KeyType;
  /** EC named curve ('P-256', 'P-384', 'P-521') when keyType is 'ec'. */
  readonly curve?: string;
  /** RSA modulus length in bits. */
  readonly modulusLength?: number;
  readonly handle: unknown;
  /** DER SubjectPublicKeyInfo of the matching public key. */
  readonly spki: Uint8Array;
  /** Keeps the key out of logs, JSON and inspector events. */
  toJSON(): string;
  /**
   * Present on keys that sign where they live (a PKCS#11 token): every provider's sign() hands
   * such a key the data instead of touching `handle`.
   */
  sign?(alg: SignatureAlgorithm, data: Uint8Array): Promise<Uint8Array>;
}

export interface CryptoProvider {
  randomBytes(length: number): Uint8Array;
  digest(hash: HashName, data: Uint8Array): Promise<Uint8Array>;
  /** h^count(data): RFC 9810 PasswordBasedMac's key derivation (count >= 1). */
  iteratedDigest(hash: HashName, data: Uint8Array, count: number): Promise<Uint8Array>;
  hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  pbkdf2(hash: HashName, password: Uint8Array, salt: Uint8Array, iterations: number, keyLength: number): Promise<Uint8Array>;
  sign(alg: SignatureAlgorithm, key: PrivateKeyHandle, data: Uint8Array): Promise<Uint8Array>;
  /** `spki` is the DER SubjectPublicKeyInfo; returns false (never throws) for a wrong signature. */
  verify(alg: SignatureAlgorithm, spki: Uint8Array, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
  /** Imports a DER PKCS#8 PrivateKeyInfo (unencrypted). */
  importPrivateKey(pkcs8: Uint8Array): Promise<PrivateKeyHandle>;
  /** Exports to DER PKCS#8; only the credentials layer calls it, to write key files the user asked for. */
  exportPrivateKey(key: PrivateKeyHandle): Promise<Uint8Array>;
  generateKey(spec: KeySpec): Promise<PrivateKeyHandle>;
}

export type KeySpec =
  | { type: 'rsa'; modulusLength: number }
  | { type: 'ec'; curve: 'P-256' | 'P-384' | 'P-521' }
  | { type: 'ed25519' }
  | { type: 'ed448' }
  | { type: MlDsaName };
