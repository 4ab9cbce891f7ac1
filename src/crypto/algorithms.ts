/**
 * Algorithm object identifiers of cmpflow, named in one place, and the mapping between ASN.1
 * AlgorithmIdentifiers and the provider's `SignatureAlgorithm` / `HashName`.
 *
 * We keep our own table rather than the constants of @peculiar/asn1-rsa because some of those are
 * wrong (its `sha224WithRSAEncryption` carries the sha512-224 OID).
 */
import { AsnConvert, AsnParser } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { CmpError, ErrorCodes } from '../errors';
import type { HashName, KeyType, PrivateKeyHandle, SignatureAlgorithm, SignatureScheme } from './provider';

export const Oids = {
  // hash functions (RFC 3279, RFC 5754, RFC 8702)
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  sha3_256: '2.16.840.1.101.3.4.2.8',
  sha3_384: '2.16.840.1.101.3.4.2.9',
  sha3_512: '2.16.840.1.101.3.4.2.10',
  shake128: '2.16.840.1.101.3.4.2.11',
  shake256: '2.16.840.1.101.3.4.2.12',

  // MACs (RFC 9481 section 6.2)
  hmacSha1: '1.3.6.1.5.5.8.1.2',
  hmacWithSHA1: '1.2.840.113549.2.7',
  hmacWithSHA224: '1.2.840.113549.2.8',
  hmacWithSHA256: '1.2.840.113549.2.9',
  hmacWithSHA384: '1.2.840.113549.2.10',
  hmacWithSHA512: '1.2.840.113549.2.11',
  passwordBasedMac: '1.2.840.113533.7.66.13',
  dhBasedMac: '1.2.840.113533.7.66.30',
  pbmac1: '1.2.840.113549.1.5.14',

  // RSA (RFC 8017, RFC 4055)
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha224WithRSAEncryption: '1.2.840.113549.1.1.14',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  rsassaPkcs1WithSha3_256: '2.16.840.1.101.3.4.3.14',
  rsassaPkcs1WithSha3_384: '2.16.840.1.101.3.4.3.15',
  rsassaPkcs1WithSha3_512: '2.16.840.1.101.3.4.3.16',

  // ECDSA (RFC 5758, RFC 5480)
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSHA1: '1.2.840.10045.4.1',
  ecdsaWithSHA224: '1.2.840.10045.4.3.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  ecdsaWithSha3_256: '2.16.840.1.101.3.4.3.10',
  ecdsaWithSha3_384: '2.16.840.1.101.3.4.3.11',
  ecdsaWithSha3_512: '2.16.840.1.101.3.4.3.12',
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',

  // Edwards curves (RFC 8410)
  x25519: '1.3.101.110',
  x448: '1.3.101.111',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',

  // ML-DSA (FIPS 204, RFC 9881): one OID for the key and its pure signature, parameters absent
  mlDsa44: '2.16.840.1.101.3.4.3.17',
  mlDsa65: '2.16.840.1.101.3.4.3.18',
  mlDsa87: '2.16.840.1.101.3.4.3.19',

  // password-based encryption of private keys (RFC 8018, RFC 7292)
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  desEde3Cbc: '1.2.840.113549.3.7',
  pbeWithSHAAnd128BitRC4: '1.2.840.113549.1.12.1.1',
  pbeWithSHAAnd40BitRC4: '1.2.840.113549.1.12.1.2',
  pbeWithSHAAnd3KeyTripleDesCbc: '1.2.840.113549.1.12.1.3',
  pbeWithSHAAnd2KeyTripleDesCbc: '1.2.840.113549.1.12.1.4',
  pbeWithSHAAnd128BitRC2Cbc: '1.2.840.113549.1.12.1.5',
  pbeWithSHAAnd40BitRC2Cbc: '1.2.840.113549.1.12.1.6',
} as const;

/** OID -> a readable name, for messages and the CLI. */
export const algorithmOidNames: Readonly<Record<string, string>> = {
  [Oids.sha1]: 'SHA-1',
  [Oids.sha224]: 'SHA-224',
  [Oids.sha256]: 'SHA-256',
  [Oids.sha384]: 'SHA-384',
  [Oids.sha512]: 'SHA-512',
  [Oids.sha3_256]: 'SHA3-256',
  [Oids.sha3_384]: 'SHA3-384',
  [Oids.sha3_512]: 'SHA3-512',
  [Oids.shake128]: 'SHAKE128',
  [Oids.shake256]: 'SHAKE256',
  [Oids.hmacSha1]: 'HMAC-SHA1',
  [Oids.hmacWithSHA1]: 'hmacWithSHA1',
  [Oids.hmacWithSHA224]: 'hmacWithSHA224',
  [Oids.hmacWithSHA256]: 'hmacWithSHA256',
  [Oids.hmacWithSHA384]: 'hmacWithSHA384',
  [Oids.hmacWithSHA512]: 'hmacWithSHA512',
  [Oids.passwordBasedMac]: 'PasswordBasedMac',
  [Oids.dhBasedMac]: 'DHBasedMac',
  [Oids.pbmac1]: 'PBMAC1',
  [Oids.rsaEncryption]: 'rsaEncryption',
  [Oids.sha1WithRSAEncryption]: 'sha1WithRSAEncryption',
  [Oids.sha224WithRSAEncryption]: 'sha224WithRSAEncryption',
  [Oids.sha256WithRSAEncryption]: 'sha256WithRSAEncryption',
  [Oids.sha384WithRSAEncryption]: 'sha384WithRSAEncryption',
  [Oids.sha512WithRSAEncryption]: 'sha512WithRSAEncryption',
  [Oids.rsassaPss]: 'RSASSA-PSS',
  [Oids.mgf1]: 'MGF1',
  [Oids.rsassaPkcs1WithSha3_256]: 'RSA-SHA3-256',
  [Oids.rsassaPkcs1WithSha3_384]: 'RSA-SHA3-384',
  [Oids.rsassaPkcs1WithSha3_512]: 'RSA-SHA3-512',
  [Oids.ecPublicKey]: 'id-ecPublicKey',
  [Oids.ecdsaWithSHA1]: 'ecdsa-with-SHA1',
  [Oids.ecdsaWithSHA224]: 'ecdsa-with-SHA224',
  [Oids.ecdsaWithSHA256]: 'ecdsa-with-SHA256',
  [Oids.ecdsaWithSHA384]: 'ecdsa-with-SHA384',
  [Oids.ecdsaWithSHA512]: 'ecdsa-with-SHA512',
  [Oids.ecdsaWithSha3_256]: 'ecdsa-with-SHA3-256',
  [Oids.ecdsaWithSha3_384]: 'ecdsa-with-SHA3-384',
  [Oids.ecdsaWithSha3_512]: 'ecdsa-with-SHA3-512',
  [Oids.prime256v1]: 'P-256',
  [Oids.secp384r1]: 'P-384',
  [Oids.secp521r1]: 'P-521',
  [Oids.x25519]: 'X25519',
  [Oids.x448]: 'X448',
  [Oids.ed25519]: 'Ed25519',
  [Oids.ed448]: 'Ed448',
  [Oids.mlDsa44]: 'ML-DSA-44',
  [Oids.mlDsa65]: 'ML-DSA-65',
  [Oids.mlDsa87]: 'ML-DSA-87',
  [Oids.pbes2]: 'PBES2',
  [Oids.pbkdf2]: 'PBKDF2',
  [Oids.aes128Cbc]: 'AES-128-CBC',
  [Oids.aes192Cbc]: 'AES-192-CBC',
  [Oids.aes256Cbc]: 'AES-256-CBC',
  [Oids.desEde3Cbc]: 'DES-EDE3-CBC',
  [Oids.pbeWithSHAAnd128BitRC4]: 'pbeWithSHAAnd128BitRC4',
  [Oids.pbeWithSHAAnd40BitRC4]: 'pbeWithSHAAnd40BitRC4',
  [Oids.pbeWithSHAAnd3KeyTripleDesCbc]: 'pbeWithSHAAnd3-KeyTripleDES-CBC',
  [Oids.pbeWithSHAAnd2KeyTripleDesCbc]: 'pbeWithSHAAnd2-KeyTripleDES-CBC',
  [Oids.pbeWithSHAAnd128BitRC2Cbc]: 'pbeWithSHAAnd128BitRC2-CBC',
  [Oids.pbeWithSHAAnd40BitRC2Cbc]: 'pbeWithSHAAnd40BitRC2-CBC',
};

/** The key type each signature scheme signs and verifies with. */
export const SCHEME_KEY_TYPES: Readonly<Record<SignatureScheme, KeyType>> = {
  'rsa-pkcs1': 'rsa',
  'rsa-pss': 'rsa',
  ecdsa: 'ec',
  ed25519: 'ed25519',
  ed448: 'ed448',
  'ml-dsa-44': 'ml-dsa-44',
  'ml-dsa-65': 'ml-dsa-65',
  'ml-dsa-87': 'ml-dsa-87',
};

/** The SubjectPublicKeyInfo algorithms each scheme can verify with. */
const schemeKeyAlgorithms: Readonly<Record<SignatureScheme, readonly string[]>> = {
  'rsa-pkcs1': [Oids.rsaEncryption],
  'rsa-pss': [Oids.rsaEncryption, Oids.rsassaPss],
  ecdsa: [Oids.ecPublicKey],
  ed25519: [Oids.ed25519],
  ed448: [Oids.ed448],
  'ml-dsa-44': [Oids.mlDsa44],
  'ml-dsa-65': [Oids.mlDsa65],
  'ml-dsa-87': [Oids.mlDsa87],
};

/** Whether a key with this SubjectPublicKeyInfo algorithm OID can have made a signature of `scheme`. */
export function keyFitsScheme(spkiAlgorithm: string, scheme: SignatureScheme): boolean {
  return schemeKeyAlgorithms[scheme]?.includes(spkiAlgorithm) ?? false;
}

/** A readable name for an OID, or the dotted OID itself when we do not know it. */
export function oidName(oid: string): string {
  return algorithmOidNames[oid] ?? oid;
}

const hashOids: Record<HashName, string> = {
  'SHA-1': Oids.sha1,
  'SHA-224': Oids.sha224,
  'SHA-256': Oids.sha256,
  'SHA-384': Oids.sha384,
  'SHA-512': Oids.sha512,
  'SHA3-256': Oids.sha3_256,
  'SHA3-384': Oids.sha3_384,
  'SHA3-512': Oids.sha3_512,
  SHAKE128: Oids.shake128,
  SHAKE256: Oids.shake256,
};

/**
 * Output length in bytes. SHAKE lengths are those RFC 8702 fixes for its use in PKIX and CMS
 * (256 bits for SHAKE128, 512 for SHAKE256).
 */
const hashLengths: Record<HashName, number> = {
  'SHA-1': 20,
  'SHA-224': 28,
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
  'SHA3-256': 32,
  'SHA3-384': 48,
  'SHA3-512': 64,
  SHAKE128: 32,
  SHAKE256: 64,
};

const hmacOids: Partial<Record<HashName, string>> = {
  // RFC 9481 section 6.2.1 names HMAC-SHA1 by the IPsec OID, as OpenSSL does.
  'SHA-1': Oids.hmacSha1,
  'SHA-224': Oids.hmacWithSHA224,
  'SHA-256': Oids.hmacWithSHA256,
  'SHA-384': Oids.hmacWithSHA384,
  'SHA-512': Oids.hmacWithSHA512,
};

const hmacByOid: Record<string, HashName> = {
  [Oids.hmacSha1]: 'SHA-1',
  [Oids.hmacWithSHA1]: 'SHA-1',
  [Oids.hmacWithSHA224]: 'SHA-224',
  [Oids.hmacWithSHA256]: 'SHA-256',
  [Oids.hmacWithSHA384]: 'SHA-384',
  [Oids.hmacWithSHA512]: 'SHA-512',
};

const rsaPkcs1Oids: Partial<Record<HashName, string>> = {
  'SHA-1': Oids.sha1WithRSAEncryption,
  'SHA-224': Oids.sha224WithRSAEncryption,
  'SHA-256': Oids.sha256WithRSAEncryption,
  'SHA-384': Oids.sha384WithRSAEncryption,
  'SHA-512': Oids.sha512WithRSAEncryption,
  'SHA3-256': Oids.rsassaPkcs1WithSha3_256,
  'SHA3-384': Oids.rsassaPkcs1WithSha3_384,
  'SHA3-512': Oids.rsassaPkcs1WithSha3_512,
};

const ecdsaOids: Partial<Record<HashName, string>> = {
  'SHA-1': Oids.ecdsaWithSHA1,
  'SHA-224': Oids.ecdsaWithSHA224,
  'SHA-256': Oids.ecdsaWithSHA256,
  'SHA-384': Oids.ecdsaWithSHA384,
  'SHA-512': Oids.ecdsaWithSHA512,
  'SHA3-256': Oids.ecdsaWithSha3_256,
  'SHA3-384': Oids.ecdsaWithSha3_384,
  'SHA3-512': Oids.ecdsaWithSha3_512,
};

const signatureByOid: Record<string, SignatureAlgorithm> = {
  ...invert(rsaPkcs1Oids, (hash) => ({ scheme: 'rsa-pkcs1', hash })),
  ...invert(ecdsaOids, (hash) => ({ scheme: 'ecdsa', hash })),
  [Oids.ed25519]: { scheme: 'ed25519' },
  [Oids.ed448]: { scheme: 'ed448' },
  [Oids.mlDsa44]: { scheme: 'ml-dsa-44' },
  [Oids.mlDsa65]: { scheme: 'ml-dsa-65' },
  [Oids.mlDsa87]: { scheme: 'ml-dsa-87' },
};

const hashByOid: Record<string, HashName> = invert(hashOids, (hash) => hash);

function invert<T>(table: Partial<Record<HashName, string>>, value: (hash: HashName) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [hash, oid] of Object.entries(table) as [HashName, string][]) out[oid] = value(hash);
  return out;
}

function unsupported(what: string, oid: string): CmpError {
  return new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported ${what} ${oidName(oid)}`);
}

export function hashLength(hash: HashName): number {
  return hashLengths[hash];
}

export function hashOid(hash: HashName): string {
  const oid = hashOids[hash];
  if (oid === undefined) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported hash ${String(hash)}`);
  return oid;
}

export function hashFromOid(oid: string): HashName {
  const hash = hashByOid[oid];
  if (hash === undefined) throw unsupported('hash algorithm', oid);
  return hash;
}

/**
 * The AlgorithmIdentifier of a plain hash, parameters absent as RFC 5754 section 2 prefers
 * (e.g. PBM's owf, CMS digestAlgorithm, CertStatus hashAlg).
 */
export function hashAlgorithmId(hash: HashName): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: hashOid(hash) });
}

export function hmacOid(hash: HashName): string {
  const oid = hmacOids[hash];
  if (oid === undefined) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported HMAC hash ${String(hash)}`);
  return oid;
}

export function hmacFromOid(oid: string): HashName {
  const hash = hmacByOid[oid];
  if (hash === undefined) throw unsupported('MAC algorithm', oid);
  return hash;
}

/** The AlgorithmIdentifier of an HMAC, parameters absent as OpenSSL writes them (RFC 4231 allows absent or NULL). */
export function hmacAlgorithmId(hash: HashName): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: hmacOid(hash) });
}

const mlDsaOids: Readonly<Record<string, string>> = { 'ml-dsa-44': Oids.mlDsa44, 'ml-dsa-65': Oids.mlDsa65, 'ml-dsa-87': Oids.mlDsa87 };

/** The SignatureAlgorithm an AlgorithmIdentifier names; ERR_UNSUPPORTED_ALGORITHM when we cannot use it. */
export function signatureAlgorithmFromId(id: AlgorithmIdentifier): SignatureAlgorithm {
  if (id.algorithm === Oids.rsassaPss) return pssFromParameters(id.parameters);
  const alg = signatureByOid[id.algorithm];
  if (alg === undefined) throw unsupported('signature algorithm', id.algorithm);
  // RFC 9881 section 2: the parameters of id-ml-dsa-* MUST be absent; there are no parameter sets to choose.
  if (mlDsaOids[alg.scheme] !== undefined && id.parameters !== undefined) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `${oidName(id.algorithm)} with parameters (RFC 9881 requires them absent)`);
  }
  return { ...alg };
}

function pssFromParameters(parameters: ArrayBuffer | null | undefined): SignatureAlgorithm {
  // Absent parameters mean all DEFAULTs (SHA-1, MGF1-SHA-1, salt 20), which RsaSaPssParams' defaults express.
  let params: RsaSaPssParams;
  try {
    params = parameters ? AsnParser.parse(parameters, RsaSaPssParams) : new RsaSaPssParams();
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'malformed RSASSA-PSS-params', { cause: e });
  }
  const hash = hashFromOid(params.hashAlgorithm.algorithm);
  if (params.maskGenAlgorithm.algorithm !== Oids.mgf1) throw unsupported('RSASSA-PSS mask generation function', params.maskGenAlgorithm.algorithm);
  let mgfHash: HashName;
  try {
    const mgfParams = params.maskGenAlgorithm.parameters;
    if (!mgfParams) throw new Error('MGF1 without hash');
    mgfHash = hashFromOid(AsnParser.parse(mgfParams, AlgorithmIdentifier).algorithm);
  } catch (e) {
    if (e instanceof CmpError) throw e;
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'malformed RSASSA-PSS MGF1 parameters', { cause: e });
  }
  // Neither node:crypto nor WebCrypto can sign with an MGF1 hash other than the message hash.
  if (mgfHash !== hash) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported RSASSA-PSS with MGF1 ${mgfHash} and hash ${hash}`);
  }
  if (params.trailerField !== 1) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported RSASSA-PSS trailer field ${params.trailerField}`);
  }
  return { scheme: 'rsa-pss', hash, saltLength: params.saltLength };
}

/**
 * The AlgorithmIdentifier for a signature algorithm, with the parameters DER requires: NULL for
 * RSA PKCS#1 v1.5 (RFC 8017 A.2.4), absent for ECDSA (RFC 5758 3.2) and EdDSA (RFC 8410 3),
 * RSASSA-PSS-params for PSS (RFC 4055 3.1; DEFAULT values are omitted by the encoder).
 */
export function signatureAlgorithmId(alg: SignatureAlgorithm): AlgorithmIdentifier {
  switch (alg.scheme) {
    case 'rsa-pkcs1': {
      const oid = alg.hash && rsaPkcs1Oids[alg.hash];
      if (!oid) throw unsupportedSignature(alg);
      return new AlgorithmIdentifier({ algorithm: oid, parameters: null });
    }
    case 'ecdsa': {
      const oid = alg.hash && ecdsaOids[alg.hash];
      if (!oid) throw unsupportedSignature(alg);
      return new AlgorithmIdentifier({ algorithm: oid });
    }
    case 'ed25519':
      return new AlgorithmIdentifier({ algorithm: Oids.ed25519 });
    case 'ed448':
      return new AlgorithmIdentifier({ algorithm: Oids.ed448 });
    case 'ml-dsa-44':
    case 'ml-dsa-65':
    case 'ml-dsa-87':
      if (alg.hash !== undefined) throw unsupportedSignature(alg);
      return new AlgorithmIdentifier({ algorithm: mlDsaOids[alg.scheme]! });
    case 'rsa-pss': {
      if (!alg.hash || !rsaPkcs1Oids[alg.hash]) throw unsupportedSignature(alg);
      // RFC 4055 section 2.1: inside RSASSA-PSS-params the hash identifiers carry NULL parameters.
      const hashAlgorithm = new AlgorithmIdentifier({ algorithm: hashOid(alg.hash), parameters: null });
      const params = new RsaSaPssParams({
        hashAlgorithm,
        maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: Oids.mgf1, parameters: AsnConvert.serialize(hashAlgorithm) }),
        saltLength: alg.saltLength ?? hashLength(alg.hash),
        trailerField: 1,
      });
      return new AlgorithmIdentifier({ algorithm: Oids.rsassaPss, parameters: AsnConvert.serialize(params) });
    }
    default:
      throw unsupportedSignature(alg);
  }
}

function unsupportedSignature(alg: SignatureAlgorithm): CmpError {
  return new CmpError(
    ErrorCodes.ERR_UNSUPPORTED_ALGORITHM,
    `unsupported signature algorithm ${String(alg.scheme)}${alg.hash ? ` with ${alg.hash}` : ''}`,
  );
}

const curveDigests: Record<string, HashName> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' };

/**
 * The signature algorithm to use with a key when the user named none: PKCS#1 v1.5 for RSA (PSS when
 * the key is restricted to RSASSA-PSS), ECDSA with the hash matching the curve's strength, EdDSA for
 * Edwards keys, pure ML-DSA for ML-DSA keys. `digest` overrides the hash except for EdDSA and ML-DSA,
 * which hash inside the signature.
 */
export function defaultSignatureAlgorithm(key: PrivateKeyHandle, digest?: HashName): SignatureAlgorithm {
  switch (key.keyType) {
    case 'rsa':
      return { scheme: isPssOnlyKey(key.spki) ? 'rsa-pss' : 'rsa-pkcs1', hash: digest ?? 'SHA-256' };
    case 'ec':
      return { scheme: 'ecdsa', hash: digest ?? curveDigests[key.curve ?? ''] ?? 'SHA-256' };
    case 'ed25519':
      return { scheme: 'ed25519' };
    case 'ed448':
      return { scheme: 'ed448' };
    case 'ml-dsa-44':
    case 'ml-dsa-65':
    case 'ml-dsa-87':
      return { scheme: key.keyType };
    default:
      throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported key type ${String(key.keyType)}`);
  }
}

function isPssOnlyKey(spki: Uint8Array): boolean {
  try {
    return AsnParser.parse(spki, SubjectPublicKeyInfo).algorithm.algorithm === Oids.rsassaPss;
  } catch {
    return false;
  }
}

/**
 * The hash for CMP's certHash (RFC 9810 section 5.3.18): the one of the certificate's signature
 * algorithm. `undefined` for EdDSA and ML-DSA, which have no separate hash; the caller then picks one
 * (hashlessCertHash) and sends it in CertStatus.hashAlg. Throws ERR_UNSUPPORTED_ALGORITHM for signature algorithms we do not know.
 */
export function certHashAlgorithm(signatureAlgorithm: AlgorithmIdentifier): HashName | undefined {
  return signatureAlgorithmFromId(signatureAlgorithm).hash;
}

/**
 * The hash for certHash when the certificate's signature algorithm names none: RFC 9481 section 3.3
 * pairs SHA-512 with Ed25519 and SHAKE256 with Ed448; for ML-DSA, SHA-512, the digest RFC 9882
 * (ML-DSA in CMS) requires every ML-DSA implementation to support. The choice is sent in
 * CertStatus.hashAlg either way, so a CA that reads hashAlg accepts it. Undefined for other algorithms.
 */
export function hashlessCertHash(signatureAlgorithm: AlgorithmIdentifier): HashName | undefined {
  switch (signatureAlgorithm.algorithm) {
    case Oids.ed25519:
    case Oids.mlDsa44:
    case Oids.mlDsa65:
    case Oids.mlDsa87:
      return 'SHA-512';
    case Oids.ed448:
      return 'SHAKE256';
    default:
      return undefined;
  }
}

const digestNames: Record<string, HashName> = {
  sha1: 'SHA-1',
  sha224: 'SHA-224',
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
  sha2224: 'SHA-224',
  sha2256: 'SHA-256',
  sha2384: 'SHA-384',
  sha2512: 'SHA-512',
  sha3256: 'SHA3-256',
  sha3384: 'SHA3-384',
  sha3512: 'SHA3-512',
  shake128: 'SHAKE128',
  shake256: 'SHAKE256',
};

/**
 * A HashName from a user-supplied digest name, accepting the spellings OpenSSL accepts
 * (sha256, SHA256, SHA-256, SHA2-256, sha3-256, shake128...).
 */
export function digestByName(name: string): HashName {
  const hash = digestNames[name.toLowerCase().replace(/[-_]/g, '')];
  if (hash === undefined) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported digest ${JSON.stringify(name)}`);
  return hash;
}
