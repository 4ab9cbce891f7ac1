/**
 * KEM-based MAC protection (RFC 9810 section 5.1.3.4, RFC 9481 KEM-based message authentication):
 * the shared secret ss from a KEM is turned into the MAC key ssk = KDF(ss, len, DER(KemOtherInfo)),
 * which binds the key to this transaction, then the MAC of KemBMParameter is computed over the protected part.
 * Only derivation and protect/verify live here; who encapsulates and how the ciphertext travels is the caller's job.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { KemBMParameter, KemOtherInfo } from '../asn1/cmp/mac_parameters';
import { decodeDer, encodeDer } from '../asn1/der-codec';
import { CmpOids } from '../asn1/oids';
import { Oids } from '../crypto/algorithms';
import { CmpError, ErrorCodes } from '../errors';
import { toArrayBuffer } from '../bytes';

/** RFC 8619 HKDF OIDs, the KDFs RFC 9481 lists for KEM-based MAC that node:crypto offers. */
export const KemKdfOids = {
  hkdfSha256: '1.2.840.113549.1.9.16.3.28',
  hkdfSha384: '1.2.840.113549.1.9.16.3.29',
  hkdfSha512: '1.2.840.113549.1.9.16.3.30',
} as const;

const kdfHashes: Record<string, string> = {
  [KemKdfOids.hkdfSha256]: 'sha256',
  [KemKdfOids.hkdfSha384]: 'sha384',
  [KemKdfOids.hkdfSha512]: 'sha512',
};
const macHashes: Record<string, string> = {
  [Oids.hmacWithSHA256]: 'sha256',
  [Oids.hmacWithSHA384]: 'sha384',
  [Oids.hmacWithSHA512]: 'sha512',
};

/** Bounds on what a received KemBMParameter may ask for, so a peer cannot make us derive huge keys. */
export const KEM_MAC_MIN_LEN = 16;
export const KEM_MAC_MAX_LEN = 64;
export const KEM_CONTEXT_MAX = 1024;
export const KEM_SHARED_SECRET_MAX = 256;

export interface KemMacSettings {
  kdf: keyof typeof KemKdfOids;
  mac: 'SHA-256' | 'SHA-384' | 'SHA-512';
  /** ssk length in bytes. */
  len: number;
  kemContext?: Uint8Array;
}

export const kemMacDefaults: Readonly<KemMacSettings> = { kdf: 'hkdfSha256', mac: 'SHA-256', len: 32 };

const macOidByName: Record<KemMacSettings['mac'], string> = {
  'SHA-256': Oids.hmacWithSHA256,
  'SHA-384': Oids.hmacWithSHA384,
  'SHA-512': Oids.hmacWithSHA512,
};

function bounded(what: string, size: number, min: number, max: number): void {
  if (!Number.isInteger(size) || size < min || size > max) {
    throw new CmpError(ErrorCodes.ERR_PROTECTION_INVALID, `KEM-based MAC: ${what} ${size} outside ${min}..${max}`);
  }
}

/** DER(KemOtherInfo): the KDF's info input, with staticString "CMP-KEM". */
export function kemOtherInfoDer(transactionID: Uint8Array, kemContext?: Uint8Array): Uint8Array {
  return encodeDer(new KemOtherInfo({ transactionID: toArrayBuffer(transactionID), kemContext: kemContext ? toArrayBuffer(kemContext) : undefined }));
}

/** ssk = HKDF(salt empty, ikm ss, info DER(KemOtherInfo), len). */
export function deriveKemSsk(kdfOid: string, ss: Uint8Array, len: number, transactionID: Uint8Array, kemContext?: Uint8Array): Uint8Array {
  const hash = kdfHashes[kdfOid];
  if (!hash) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `KEM-based MAC: unsupported KDF ${kdfOid}`);
  bounded('length', len, KEM_MAC_MIN_LEN, KEM_MAC_MAX_LEN);
  bounded('shared secret size', ss.length, 16, KEM_SHARED_SECRET_MAX);
  if (kemContext) bounded('kemContext size', kemContext.length, 0, KEM_CONTEXT_MAX);
  return new Uint8Array(hkdfSync(hash, ss, new Uint8Array(0), kemOtherInfoDer(transactionID, kemContext), len));
}

/** The protectionAlg for a KemBasedMac message. */
export function kemMacAlgorithm(settings: KemMacSettings = kemMacDefaults): AlgorithmIdentifier {
  const params = new KemBMParameter({
    kdf: new AlgorithmIdentifier({ algorithm: KemKdfOids[settings.kdf] }),
    kemContext: settings.kemContext ? toArrayBuffer(settings.kemContext) : undefined,
    len: BigInt(settings.len),
    mac: new AlgorithmIdentifier({ algorithm: macOidByName[settings.mac] }),
  });
  return new AlgorithmIdentifier({ algorithm: CmpOids.kemBasedMac, parameters: toArrayBuffer(encodeDer(params)) });
}

function macOver(alg: AlgorithmIdentifier, ss: Uint8Array, transactionID: Uint8Array, protectedPart: Uint8Array): Uint8Array {
  if (alg.algorithm !== CmpOids.kemBasedMac) {
    throw new CmpError(ErrorCodes.ERR_PROTECTION_ALG_MISMATCH, `not a KemBasedMac algorithm: ${alg.algorithm}`);
  }
  if (!alg.parameters) throw new CmpError(ErrorCodes.ERR_PROTECTION_INVALID, 'KemBasedMac without KemBMParameter');
  const params = decodeDer(alg.parameters, KemBMParameter);
  const macHash = macHashes[params.mac.algorithm];
  if (!macHash) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `KEM-based MAC: unsupported MAC ${params.mac.algorithm}`);
  if (params.len > BigInt(KEM_MAC_MAX_LEN)) {
    throw new CmpError(ErrorCodes.ERR_PROTECTION_INVALID, `KEM-based MAC: length ${params.len} above ${KEM_MAC_MAX_LEN}`);
  }
  const kemContext = params.kemContext ? new Uint8Array(params.kemContext) : undefined;
  const ssk = deriveKemSsk(params.kdf.algorithm, ss, Number(params.len), transactionID, kemContext);
  try {
    return new Uint8Array(createHmac(macHash, ssk).update(protectedPart).digest());
  } finally {
    ssk.fill(0);
  }
}

/** The protection bits of a message whose protectionAlg is `alg` and whose DER ProtectedPart is `protectedPart`. */
export function kemMacProtect(alg: AlgorithmIdentifier, ss: Uint8Array, transactionID: Uint8Array, protectedPart: Uint8Array): Uint8Array {
  return macOver(alg, ss, transactionID, protectedPart);
}

/** Throws ERR_PROTECTION_INVALID unless `protection` is the KemBasedMac over `protectedPart`. */
export function kemMacVerify(
  alg: AlgorithmIdentifier,
  ss: Uint8Array,
  transactionID: Uint8Array,
  protectedPart: Uint8Array,
  protection: Uint8Array,
): void {
  const expected = macOver(alg, ss, transactionID, protectedPart);
  if (expected.length !== protection.length || !timingSafeEqual(expected, protection)) {
    throw new CmpError(ErrorCodes.ERR_PROTECTION_INVALID, 'KemBasedMac protection does not verify');
  }
}
