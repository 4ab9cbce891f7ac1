/**
 * ML-DSA (FIPS 204) for every provider: node:crypto of Node 20 and WebCrypto have none, so both
 * providers hand ML-DSA keys and signatures to @noble/post-quantum through this module, rather
 * than lattice code of our own. Its README is frank that it is self-audited only and, being
 * JavaScript, makes no constant-time claim. Pure ML-DSA with the empty context only, as RFC 9881
 * (X.509) and RFC 9882 (CMS) use it; HashML-DSA has no place in certificates or CMP.
 *
 * Key formats are RFC 9881's: SubjectPublicKeyInfo with id-ml-dsa-* and parameters absent, the
 * raw public key as the BIT STRING; the PKCS#8 privateKey is a CHOICE of the 32-byte seed
 * ([0] IMPLICIT), the expanded key (OCTET STRING) or both (SEQUENCE). We read all three and write
 * the seed: it is what keygen starts from (FIPS 204 ML-DSA.KeyGen_internal), 32 bytes instead of
 * up to 4896, and the form RFC 9881 recommends; a key read without a seed is written back
 * expanded, the only form we then have.
 */
import type * as NobleMlDsa from '@noble/post-quantum/ml-dsa.js';
import { AsnConvert, AsnParser, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { CmpError, ErrorCodes } from '../errors';
import { Oids } from './algorithms';
import { PrivateKey } from './private-key';
import { expandedKeyInconsistency } from './ml-dsa-expanded-key';
import type { MlDsaName, PrivateKeyHandle, SignatureAlgorithm } from './provider';

export type MlDsaVariant = MlDsaName;

export const ML_DSA_VARIANTS: readonly MlDsaVariant[] = ['ml-dsa-44', 'ml-dsa-65', 'ml-dsa-87'];

/** id-ml-dsa-44/65/87 (NIST CSOR sigAlgs, RFC 9881 section 2): the key and the signature algorithm alike. */
export const ML_DSA_OIDS: Readonly<Record<MlDsaVariant, string>> = {
  'ml-dsa-44': Oids.mlDsa44,
  'ml-dsa-65': Oids.mlDsa65,
  'ml-dsa-87': Oids.mlDsa87,
};

let noble: typeof NobleMlDsa | undefined;

/**
 * @noble's ML-DSA, loaded when a key or signature first needs it: loading it builds its tables,
 * tens of milliseconds that a run without ML-DSA (most of them) should not pay at start-up.
 */
function implementation(variant: MlDsaVariant): NobleMlDsa.DSA {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  noble ??= require('@noble/post-quantum/ml-dsa.js') as typeof NobleMlDsa;
  return { 'ml-dsa-44': noble.ml_dsa44, 'ml-dsa-65': noble.ml_dsa65, 'ml-dsa-87': noble.ml_dsa87 }[variant];
}

const SEED_LENGTH = 32;

/** Public key sizes (FIPS 204 table 2), known without loading the library. */
const PUBLIC_KEY_LENGTHS: Readonly<Record<MlDsaVariant, number>> = { 'ml-dsa-44': 1312, 'ml-dsa-65': 1952, 'ml-dsa-87': 2592 };

/** Claimed security strength in bits (FIPS 204 categories 2, 3, 5), as OpenSSL reports it. */
export const ML_DSA_SECURITY_BITS: Readonly<Record<MlDsaVariant, number>> = { 'ml-dsa-44': 128, 'ml-dsa-65': 192, 'ml-dsa-87': 256 };

const variantsByOid: Readonly<Record<string, MlDsaVariant>> = Object.fromEntries(
  Object.entries(ML_DSA_OIDS).map(([variant, oid]) => [oid, variant as MlDsaVariant]),
);

export function mlDsaVariantOfOid(oid: string): MlDsaVariant | undefined {
  return variantsByOid[oid];
}

export function isMlDsaVariant(name: unknown): name is MlDsaVariant {
  return typeof name === 'string' && (ML_DSA_VARIANTS as readonly string[]).includes(name);
}

const redacted = '[ML-DSA private key]';

/**
 * The provider-independent handle of an ML-DSA private key; `seed` is known for keys we generated or
 * read in seed form. Like PrivateKey, it keeps its secrets out of JSON, logs and the inspector.
 */
export class MlDsaKeyMaterial {
  declare readonly secretKey: Uint8Array;
  declare readonly seed?: Uint8Array;

  constructor(
    readonly variant: MlDsaVariant,
    secretKey: Uint8Array,
    readonly publicKey: Uint8Array,
    seed?: Uint8Array,
  ) {
    Object.defineProperty(this, 'secretKey', { value: secretKey, enumerable: false, writable: false });
    if (seed !== undefined) Object.defineProperty(this, 'seed', { value: seed, enumerable: false, writable: false });
  }

  toJSON(): string {
    return redacted;
  }

  toString(): string {
    return redacted;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return redacted;
  }
}

export function mlDsaSpki(variant: MlDsaVariant, publicKey: Uint8Array): Uint8Array {
  const spki = new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({ algorithm: ML_DSA_OIDS[variant] }),
    subjectPublicKey: new Uint8Array(publicKey).buffer,
  });
  return new Uint8Array(AsnConvert.serialize(spki));
}

function handleOf(material: MlDsaKeyMaterial): PrivateKeyHandle {
  return new PrivateKey({ keyType: material.variant, handle: material, spki: mlDsaSpki(material.variant, material.publicKey) });
}

function fromSeed(variant: MlDsaVariant, seed: Uint8Array): MlDsaKeyMaterial {
  const { secretKey, publicKey } = implementation(variant).keygen(seed);
  return new MlDsaKeyMaterial(variant, secretKey, publicKey, new Uint8Array(seed));
}

export function generateMlDsaKey(variant: MlDsaVariant, random: (length: number) => Uint8Array): PrivateKeyHandle {
  return handleOf(fromSeed(variant, random(SEED_LENGTH)));
}

/** The ML-DSA variant of a PKCS#8 PrivateKeyInfo, or undefined when it holds another kind of key. */
export function mlDsaVariantOfPkcs8(pkcs8: Uint8Array): MlDsaVariant | undefined {
  try {
    return mlDsaVariantOfOid(AsnParser.parse(new Uint8Array(pkcs8), PrivateKeyInfo).privateKeyAlgorithm.algorithm);
  } catch {
    return undefined;
  }
}

interface Tlv {
  tag: number;
  value: Uint8Array;
  end: number;
}

/** One DER TLV at `offset` (definite lengths only, as DER requires). */
function readTlv(der: Uint8Array, offset: number): Tlv {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined) throw new Error('truncated');
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 3) throw new Error('unsupported length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[start + i] ?? NaN);
    start += count;
  }
  const end = start + length;
  if (!Number.isSafeInteger(end) || end > der.length) throw new Error('truncated');
  return { tag, value: der.subarray(start, end), end };
}

function badKey(why: string, cause?: unknown): CmpError {
  return new CmpError(ErrorCodes.ERR_CREDENTIALS, `malformed ML-DSA private key: ${why}`, cause === undefined ? undefined : { cause });
}

const SEED_TAG = 0x80; // [0] IMPLICIT OCTET STRING
const OCTET_STRING = 0x04;
const SEQUENCE = 0x30;

/**
 * Reads RFC 9881's ML-DSA-PrivateKey CHOICE. With both seed and expanded key the two must agree:
 * a file whose halves disagree is corrupt or forged, and signing with either would be a guess.
 */
function materialOf(variant: MlDsaVariant, privateKey: Uint8Array): MlDsaKeyMaterial {
  const impl = implementation(variant);
  let outer: Tlv;
  try {
    outer = readTlv(privateKey, 0);
  } catch (e) {
    throw badKey('not DER', e);
  }
  if (outer.end !== privateKey.length) throw badKey('trailing data');
  const checkSeed = (seed: Uint8Array) => {
    if (seed.length !== SEED_LENGTH) throw badKey(`the seed has ${seed.length} bytes, not ${SEED_LENGTH}`);
  };
  const checkExpanded = (expanded: Uint8Array) => {
    if (expanded.length !== impl.lengths.secretKey) throw badKey(`the expanded key has ${expanded.length} bytes, not ${impl.lengths.secretKey}`);
  };
  switch (outer.tag) {
    case SEED_TAG:
      checkSeed(outer.value);
      return fromSeed(variant, outer.value);
    case OCTET_STRING: {
      checkExpanded(outer.value);
      const secretKey = new Uint8Array(outer.value);
      let publicKey: Uint8Array;
      try {
        // @noble refuses s1 and s2 coefficients outside [-eta, eta] here, which their packing could hold.
        publicKey = impl.getPublicKey(secretKey);
      } catch (e) {
        throw badKey(`the expanded key does not decode: ${e instanceof Error ? e.message : String(e)}`, e);
      }
      const material = new MlDsaKeyMaterial(variant, secretKey, publicKey);
      // RFC 9881 section 8: without a seed, each derived part is recomputed from its sources (tr from the
      // public key, t0 from A*s1 + s2; see ml-dsa-expanded-key.ts), which a sign/verify test alone does not do.
      const inconsistency = expandedKeyInconsistency(variant, secretKey, material.publicKey);
      if (inconsistency !== undefined) throw badKey(`the expanded key is inconsistent: ${inconsistency}`);
      if (!pairwiseConsistent(material)) throw badKey('the expanded key is inconsistent (its signatures do not verify)');
      return material;
    }
    case SEQUENCE: {
      let seed: Tlv;
      let expanded: Tlv;
      try {
        seed = readTlv(outer.value, 0);
        expanded = readTlv(outer.value, seed.end);
      } catch (e) {
        throw badKey('not DER', e);
      }
      if (seed.tag !== OCTET_STRING || expanded.tag !== OCTET_STRING || expanded.end !== outer.value.length) {
        throw badKey('"both" must be a SEQUENCE of two OCTET STRINGs');
      }
      checkSeed(seed.value);
      checkExpanded(expanded.value);
      const material = fromSeed(variant, seed.value);
      if (!sameSecret(material.secretKey, expanded.value)) throw badKey('the seed and the expanded key do not belong together');
      return material;
    }
    default:
      throw badKey(`unknown private key form (tag 0x${outer.tag.toString(16)})`);
  }
}

const CONSISTENCY_MESSAGE = new TextEncoder().encode('cmpflow ML-DSA pairwise consistency test');

/** A pairwise consistency test: sign, then verify with the public key derived from the expanded key. */
function pairwiseConsistent(material: MlDsaKeyMaterial): boolean {
  const impl = implementation(material.variant);
  try {
    return impl.verify(impl.sign(CONSISTENCY_MESSAGE, material.secretKey), CONSISTENCY_MESSAGE, material.publicKey);
  } catch {
    return false;
  }
}

function sameSecret(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Imports an ML-DSA PKCS#8 PrivateKeyInfo (any of RFC 9881's three private key forms). */
export function importMlDsaPrivateKey(pkcs8: Uint8Array): PrivateKeyHandle {
  let info: PrivateKeyInfo;
  try {
    info = AsnParser.parse(new Uint8Array(pkcs8), PrivateKeyInfo);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, 'cannot import private key: not a valid unencrypted PKCS#8 PrivateKeyInfo', { cause: e });
  }
  const variant = mlDsaVariantOfOid(info.privateKeyAlgorithm.algorithm);
  if (variant === undefined) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, 'not an ML-DSA private key');
  // RFC 9881 section 6: the parameters field MUST be absent.
  if (info.privateKeyAlgorithm.parameters !== undefined) throw badKey('the AlgorithmIdentifier has parameters');
  return handleOf(materialOf(variant, new Uint8Array(info.privateKey.buffer)));
}

function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function tlv(tag: number, value: Uint8Array): Uint8Array {
  return new Uint8Array([tag, ...derLength(value.length), ...value]);
}

/** PKCS#8 of an ML-DSA key: the seed form when we know the seed, the expanded key otherwise (see the file comment). */
export function exportMlDsaPrivateKey(key: PrivateKeyHandle): Uint8Array {
  const material = mlDsaMaterialOf(key);
  const privateKey = material.seed ? tlv(SEED_TAG, material.seed) : tlv(OCTET_STRING, material.secretKey);
  const info = new PrivateKeyInfo({
    version: 0,
    privateKeyAlgorithm: new AlgorithmIdentifier({ algorithm: ML_DSA_OIDS[material.variant] }),
    privateKey: new OctetString(privateKey),
  });
  return new Uint8Array(AsnConvert.serialize(info));
}

export function isMlDsaKey(key: PrivateKeyHandle): boolean {
  return key.handle instanceof MlDsaKeyMaterial;
}

function mlDsaMaterialOf(key: PrivateKeyHandle): MlDsaKeyMaterial {
  if (!(key.handle instanceof MlDsaKeyMaterial)) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, 'not an ML-DSA private key handle');
  return key.handle;
}

export function isMlDsaScheme(alg: SignatureAlgorithm): boolean {
  return isMlDsaVariant(alg.scheme);
}

/** Signs `data` (hedged: FIPS 204's default randomized signing) with the empty context. */
export function mlDsaSign(alg: SignatureAlgorithm, key: PrivateKeyHandle, data: Uint8Array): Uint8Array {
  const material = mlDsaMaterialOf(key);
  if (alg.scheme !== material.variant) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `a ${material.variant} key cannot sign with ${alg.scheme}`);
  if (alg.hash !== undefined) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `pure ${alg.scheme} takes no separate hash (got ${alg.hash})`);
  try {
    return implementation(material.variant).sign(data, material.secretKey);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `signing with ${alg.scheme} failed`, { cause: e });
  }
}

/**
 * The variant of an ML-DSA SubjectPublicKeyInfo; undefined for other keys. Throws ERR_CREDENTIALS
 * when it names ML-DSA but is not one RFC 9881 allows (parameters present, wrong key length).
 */
export function mlDsaSpkiVariant(spki: Uint8Array): MlDsaVariant | undefined {
  let parsed: SubjectPublicKeyInfo;
  try {
    parsed = AsnParser.parse(new Uint8Array(spki), SubjectPublicKeyInfo);
  } catch {
    return undefined;
  }
  const variant = mlDsaVariantOfOid(parsed.algorithm.algorithm);
  if (variant === undefined) return undefined;
  if (parsed.algorithm.parameters !== undefined) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `${variant} public key with parameters`);
  const length = parsed.subjectPublicKey.byteLength;
  const expected = PUBLIC_KEY_LENGTHS[variant];
  if (length !== expected) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `${variant} public key of ${length} bytes, not ${expected}`);
  return variant;
}

/** Verifies a pure ML-DSA signature; false (never a throw) for a wrong signature, key or algorithm. */
export function mlDsaVerify(alg: SignatureAlgorithm, spki: Uint8Array, signature: Uint8Array, data: Uint8Array): boolean {
  try {
    const parsed = AsnParser.parse(new Uint8Array(spki), SubjectPublicKeyInfo);
    const variant = mlDsaVariantOfOid(parsed.algorithm.algorithm);
    if (variant === undefined || variant !== alg.scheme || alg.hash !== undefined || parsed.algorithm.parameters !== undefined) return false;
    const impl = implementation(variant);
    const publicKey = new Uint8Array(parsed.subjectPublicKey);
    if (publicKey.length !== impl.lengths.publicKey || signature.length !== impl.lengths.signature) return false;
    return impl.verify(signature, data, publicKey);
  } catch {
    return false;
  }
}
