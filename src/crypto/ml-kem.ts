/**
 * ML-KEM (FIPS 203) keys, through @noble/post-quantum (audited): node:crypto of Node 20 has no ML-KEM.
 * A KEM key neither signs nor fits the CryptoProvider's signing keys, so it is its own type here; CMS
 * uses it for KEMRecipientInfo (RFC 9629), the client to enroll it with indirect proof of possession.
 *
 * Key formats are those of the LAMPS ML-KEM-in-X.509 specification (RFC 9935): SubjectPublicKeyInfo
 * with id-alg-ml-kem-512/768/1024 and parameters absent, the encapsulation key as the BIT STRING; the
 * PKCS#8 privateKey is a CHOICE of the 64-byte seed d||z ([0] IMPLICIT), the expanded decapsulation key
 * (OCTET STRING), or both (SEQUENCE). All three are read, and a key given as both must be consistent;
 * the seed is written when known (it is what FIPS 203's ML-KEM.KeyGen_internal starts from).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import type * as NobleMlKem from '@noble/post-quantum/ml-kem.js';
import { AsnConvert, AsnParser, AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { CmpError, ErrorCodes } from '../errors';

export type MlKemVariant = 'ml-kem-512' | 'ml-kem-768' | 'ml-kem-1024';

export const ML_KEM_VARIANTS: readonly MlKemVariant[] = ['ml-kem-512', 'ml-kem-768', 'ml-kem-1024'];

/** id-alg-ml-kem-* (NIST CSOR kems arc 2.16.840.1.101.3.4.4). */
export const ML_KEM_OIDS: Readonly<Record<MlKemVariant, string>> = {
  'ml-kem-512': '2.16.840.1.101.3.4.4.1',
  'ml-kem-768': '2.16.840.1.101.3.4.4.2',
  'ml-kem-1024': '2.16.840.1.101.3.4.4.3',
};

let noble: typeof NobleMlKem | undefined;

/**
 * @noble's ML-KEM, loaded when a key first needs it: loading it costs about 17 ms of CPU (with the
 * SHA-3 code it brings), which every client run without an ML-KEM key would otherwise pay at start-up.
 */
function implementation(variant: MlKemVariant): (typeof NobleMlKem)['ml_kem768'] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  noble ??= require('@noble/post-quantum/ml-kem.js') as typeof NobleMlKem;
  return { 'ml-kem-512': noble.ml_kem512, 'ml-kem-768': noble.ml_kem768, 'ml-kem-1024': noble.ml_kem1024 }[variant];
}

/** FIPS 203 table 3: encapsulation key, decapsulation key and ciphertext sizes in bytes. */
const sizes: Readonly<Record<MlKemVariant, { publicKey: number; secretKey: number; cipherText: number }>> = {
  'ml-kem-512': { publicKey: 800, secretKey: 1632, cipherText: 768 },
  'ml-kem-768': { publicKey: 1184, secretKey: 2400, cipherText: 1088 },
  'ml-kem-1024': { publicKey: 1568, secretKey: 3168, cipherText: 1568 },
};

const SEED_LENGTH = 64;

export function mlKemVariantOfOid(oid: string): MlKemVariant | undefined {
  return (Object.keys(ML_KEM_OIDS) as MlKemVariant[]).find((v) => ML_KEM_OIDS[v] === oid);
}

function malformed(what: string, cause?: unknown): CmpError {
  return new CmpError(ErrorCodes.ERR_CREDENTIALS, `malformed ML-KEM ${what}`, cause ? { cause } : {});
}

/**
 * ```asn1
 * both SEQUENCE { seed OCTET STRING (SIZE (64)), expandedKey OCTET STRING }
 * ```
 * The third alternative of ML-KEM-PrivateKey.
 */
class MlKemSeedAndExpandedKey {
  @AsnProp({ type: AsnPropTypes.OctetString })
  public seed = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.OctetString })
  public expandedKey = new ArrayBuffer(0);

  public constructor(params: Partial<MlKemSeedAndExpandedKey> = {}) {
    Object.assign(this, params);
  }
}

/** The form of the PKCS#8 privateKey: seed (recommended), expandedKey, or both. */
export type MlKemPrivateKeyForm = 'seed' | 'expandedKey' | 'both';

/**
 * An ML-KEM private key: the expanded decapsulation key FIPS 203 decapsulates with, the encapsulation
 * key it embeds, and the seed when known. It never shows itself in logs or JSON.
 */
export class MlKemPrivateKey {
  constructor(
    readonly variant: MlKemVariant,
    readonly secretKey: Uint8Array,
    readonly publicKey: Uint8Array,
    readonly seed?: Uint8Array,
  ) {}

  /** DER SubjectPublicKeyInfo of the encapsulation key. */
  spki(): Uint8Array {
    return mlKemSpki(this.variant, this.publicKey);
  }

  /** DER PKCS#8 PrivateKeyInfo; the seed form unless asked otherwise (or only the expanded key is known). */
  pkcs8(form: MlKemPrivateKeyForm = 'seed'): Uint8Array {
    const chosen = this.seed ? form : 'expandedKey';
    let inner: Uint8Array;
    if (chosen === 'seed') inner = new Uint8Array([0x80, SEED_LENGTH, ...this.seed!]);
    else if (chosen === 'both')
      inner = new Uint8Array(
        AsnConvert.serialize(new MlKemSeedAndExpandedKey({ seed: this.seed!.slice().buffer, expandedKey: this.secretKey.slice().buffer })),
      );
    else inner = new Uint8Array(AsnConvert.serialize(new OctetString(this.secretKey)));
    const info = new PrivateKeyInfo({
      privateKeyAlgorithm: new AlgorithmIdentifier({ algorithm: ML_KEM_OIDS[this.variant] }),
      privateKey: new OctetString(inner),
    });
    return new Uint8Array(AsnConvert.serialize(info));
  }

  /** FIPS 203 ML-KEM.Decaps: the shared secret (an implicit rejection value for a ciphertext not made for this key). */
  decapsulate(cipherText: Uint8Array): Uint8Array {
    if (cipherText.length !== sizes[this.variant].cipherText) {
      throw new CmpError(
        ErrorCodes.ERR_CMS_DECRYPT,
        `an ${this.variant} ciphertext has ${sizes[this.variant].cipherText} bytes, not ${cipherText.length}`,
      );
    }
    return implementation(this.variant).decapsulate(cipherText, this.secretKey);
  }

  toJSON(): string {
    return `[${this.variant} private key]`;
  }

  /** console.log and util.inspect show what toJSON shows, never the key's bytes. */
  [inspect.custom](): string {
    return this.toJSON();
  }
}

/** FIPS 203 ML-KEM.KeyGen from a fresh (or, for tests, the given) 64-byte seed d||z. */
export function generateMlKemKey(variant: MlKemVariant, seed: Uint8Array = new Uint8Array(randomBytes(SEED_LENGTH))): MlKemPrivateKey {
  if (seed.length !== SEED_LENGTH) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `an ML-KEM seed has ${SEED_LENGTH} bytes, not ${seed.length}`);
  const { publicKey, secretKey } = implementation(variant).keygen(seed);
  return new MlKemPrivateKey(variant, secretKey, publicKey, new Uint8Array(seed));
}

export function mlKemSpki(variant: MlKemVariant, publicKey: Uint8Array): Uint8Array {
  const spki = new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({ algorithm: ML_KEM_OIDS[variant] }),
    subjectPublicKey: publicKey.slice().buffer,
  });
  return new Uint8Array(AsnConvert.serialize(spki));
}

/** The variant and encapsulation key of an ML-KEM SubjectPublicKeyInfo, or undefined for another algorithm. */
export function mlKemPublicKey(spkiDer: Uint8Array): { variant: MlKemVariant; publicKey: Uint8Array } | undefined {
  let spki: SubjectPublicKeyInfo;
  try {
    spki = AsnParser.parse(spkiDer, SubjectPublicKeyInfo);
  } catch (e) {
    throw malformed('SubjectPublicKeyInfo', e);
  }
  const variant = mlKemVariantOfOid(spki.algorithm.algorithm);
  if (!variant) return undefined;
  if (spki.algorithm.parameters !== undefined && spki.algorithm.parameters !== null) throw malformed('public key: the parameters must be absent');
  const publicKey = new Uint8Array(spki.subjectPublicKey);
  if (publicKey.length !== sizes[variant].publicKey) throw malformed(`public key: ${variant} keys have ${sizes[variant].publicKey} bytes`);
  return { variant, publicKey };
}

/** Whether DER `der` is a PKCS#8 PrivateKeyInfo of an ML-KEM key. */
export function isMlKemPkcs8(der: Uint8Array): boolean {
  try {
    return mlKemVariantOfOid(AsnParser.parse(der, PrivateKeyInfo).privateKeyAlgorithm.algorithm) !== undefined;
  } catch {
    return false;
  }
}

/**
 * FIPS 203 section 7.3's check of an expanded key: the hash H(ek) it carries must be that of the
 * encapsulation key it carries, or decapsulation would silently use a corrupted key.
 */
function checkExpandedKey(variant: MlKemVariant, secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== sizes[variant].secretKey) throw malformed(`private key: ${variant} expanded keys have ${sizes[variant].secretKey} bytes`);
  const pkeLength = sizes[variant].secretKey - sizes[variant].publicKey - 64;
  const publicKey = secretKey.subarray(pkeLength, pkeLength + sizes[variant].publicKey);
  const hash = secretKey.subarray(pkeLength + sizes[variant].publicKey, pkeLength + sizes[variant].publicKey + 32);
  if (!timingSafeEqual(createHash('sha3-256').update(publicKey).digest(), hash))
    throw malformed('private key: the expanded key fails its hash check');
  return new Uint8Array(publicKey);
}

/** Reads a PKCS#8 PrivateKeyInfo of an ML-KEM key in any of the three forms. */
export function mlKemPrivateKeyFromPkcs8(der: Uint8Array): MlKemPrivateKey {
  let info: PrivateKeyInfo;
  try {
    info = AsnParser.parse(der, PrivateKeyInfo);
  } catch (e) {
    throw malformed('PKCS#8 private key', e);
  }
  const variant = mlKemVariantOfOid(info.privateKeyAlgorithm.algorithm);
  if (!variant) throw malformed(`private key: ${info.privateKeyAlgorithm.algorithm} is no ML-KEM algorithm`);
  const inner = new Uint8Array(info.privateKey.buffer);
  const tag = inner[0];
  try {
    if (tag === 0x80) {
      if (inner[1] !== SEED_LENGTH || inner.length !== SEED_LENGTH + 2) throw malformed('private key: the seed must have 64 bytes');
      return generateMlKemKey(variant, inner.subarray(2));
    }
    if (tag === 0x04) {
      const secretKey = new Uint8Array(AsnParser.parse(inner, OctetString).buffer);
      return new MlKemPrivateKey(variant, secretKey, checkExpandedKey(variant, secretKey));
    }
    if (tag === 0x30) {
      const both = AsnParser.parse(inner, MlKemSeedAndExpandedKey);
      if (both.seed.byteLength !== SEED_LENGTH) throw malformed('private key: the seed must have 64 bytes');
      const fromSeed = generateMlKemKey(variant, new Uint8Array(both.seed));
      const expanded = new Uint8Array(both.expandedKey);
      if (expanded.length !== fromSeed.secretKey.length || !timingSafeEqual(expanded, fromSeed.secretKey))
        throw malformed('private key: its seed and expanded key disagree');
      return fromSeed;
    }
  } catch (e) {
    if (e instanceof CmpError) throw e;
    throw malformed('private key', e);
  }
  throw malformed('private key: neither seed, expanded key nor both');
}

/**
 * FIPS 203 ML-KEM.Encaps to the key of an ML-KEM SubjectPublicKeyInfo. `randomness` (the 32-byte m of
 * ML-KEM.Encaps_internal) is for known-answer tests only: by default it is fresh.
 */
export function mlKemEncapsulate(
  spkiDer: Uint8Array,
  randomness?: Uint8Array,
): { variant: MlKemVariant; cipherText: Uint8Array; sharedSecret: Uint8Array } {
  const key = mlKemPublicKey(spkiDer);
  if (!key) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, 'the key is not an ML-KEM key');
  const { cipherText, sharedSecret } = implementation(key.variant).encapsulate(key.publicKey, randomness);
  return { variant: key.variant, cipherText, sharedSecret };
}

/**
 * Refuses `key` unless it is the private key of the ML-KEM SubjectPublicKeyInfo `spkiDer` (ERR_PUBLIC_KEY_MISMATCH),
 * as a client must check a key the CA generated for it. The encapsulation keys must be equal (for a seed,
 * the one FIPS 203 keygen recomputes from it); and since an expanded key carries its encapsulation key
 * beside a secret part that its hash check does not cover, one encapsulation to `spkiDer` must also
 * decapsulate with `key` to the same shared secret.
 */
export function checkMlKemKeyPair(key: MlKemPrivateKey, spkiDer: Uint8Array): void {
  const certified = mlKemPublicKey(spkiDer);
  const mismatch = (why: string) => new CmpError(ErrorCodes.ERR_PUBLIC_KEY_MISMATCH, `the ML-KEM private key is not the certificate's: ${why}`);
  if (!certified || certified.variant !== key.variant)
    throw mismatch(`it is ${key.variant}, the certificate's key ${certified?.variant ?? 'no ML-KEM key'}`);
  if (certified.publicKey.length !== key.publicKey.length || !timingSafeEqual(certified.publicKey, key.publicKey))
    throw mismatch('their encapsulation keys differ');
  const { cipherText, sharedSecret } = implementation(key.variant).encapsulate(certified.publicKey);
  if (!timingSafeEqual(key.decapsulate(cipherText), sharedSecret)) throw mismatch('it does not decapsulate what is encapsulated to the certificate');
}
