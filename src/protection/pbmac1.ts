/**
 * PBMAC1 (RFC 8018 section 7.1) as CMP protection (RFC 9481 section 6.1.2): the key is derived
 * with PBKDF2 from the secret and the salt, then the HMAC of messageAuthScheme is computed with it.
 */
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { PBKDF2Params, PBKDF2Salt, PBMAC1Params } from '../asn1/cmp/pbmac1';
import { decodeDer, encodeDer } from '../asn1/der-codec';
import { CmpOids } from '../asn1/oids';
import { hashLength, hmacFromOid, Oids } from '../crypto/algorithms';
import { getCryptoProvider } from '../crypto';
import type { HashName } from '../crypto/provider';
import { CmpError, ErrorCodes } from '../errors';
import {
  checkIterations,
  checkKeyLength,
  checkPositiveInteger,
  checkSaltLength,
  defaultIterationLimits,
  MAX_MAC_KEY_LENGTH,
  type IterationLimits,
} from './mac-safety';
import { cachedPbkdf2Key, reusablePbmSalt } from './pbm-key-cache';
import { toArrayBuffer } from '../bytes';

export interface Pbmac1Settings {
  /** Hash of PBKDF2's HMAC pseudo-random function. */
  prf: HashName;
  /** Hash of the HMAC computed over the message. */
  mac: HashName;
  iterations: number;
  /** Derived key length in bytes; defaults to the output length of `mac`. */
  keyLength?: number;
  saltLength: number;
}

/**
 * RFC 9481 fixes no iteration count; 10000 is what the Lightweight CMP RA's PBMAC1 messages use,
 * and it stays inside the 100..100000 a receiver accepts by default.
 */
export const pbmac1Defaults: Readonly<Pbmac1Settings> = { prf: 'SHA-256', mac: 'SHA-256', iterations: 10_000, saltLength: 16 };

/** A derived key longer than this is refused, on receipt and for what we send (see MAX_MAC_KEY_LENGTH). */
export const maxPbmac1KeyLength = MAX_MAC_KEY_LENGTH;

/** The RFC 8018 / RFC 4231 identifiers (PBKDF2-PRFs, PBMAC1-MACs), not the IPsec HMAC-SHA1 one. */
const hmacWithOids: Partial<Record<HashName, string>> = {
  'SHA-1': Oids.hmacWithSHA1,
  'SHA-224': Oids.hmacWithSHA224,
  'SHA-256': Oids.hmacWithSHA256,
  'SHA-384': Oids.hmacWithSHA384,
  'SHA-512': Oids.hmacWithSHA512,
};

function hmacWithOid(hash: HashName): string {
  const oid = hmacWithOids[hash];
  if (oid === undefined) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported HMAC hash ${String(hash)} for PBMAC1`);
  return oid;
}

/** The parameters of a PBMAC1 protection, decoded. */
export interface Pbmac1Parameters {
  salt: Uint8Array;
  iterationCount: bigint;
  /** Absent in the message: the MAC's hash length is used. */
  keyLength?: bigint;
  prf: HashName;
  mac: HashName;
}

/** The AlgorithmIdentifier of a fresh PBMAC1 protection with a random salt. */
export function newPbmac1AlgorithmId(settings: Partial<Pbmac1Settings> = {}): AlgorithmIdentifier {
  const saltLength = checkPositiveInteger({ ...pbmac1Defaults, ...settings }.saltLength, 'PBMAC1 salt length');
  return pbmac1AlgorithmIdWithSalt(settings, getCryptoProvider().randomBytes(saltLength));
}

/**
 * The AlgorithmIdentifier for a message we send with `secret`: like newPbmac1AlgorithmId, but the
 * salt is kept for a while for the same secret and settings (reusablePbmSalt), so that PBKDF2 runs
 * once for many messages, here and at a receiver that caches keys too.
 */
export async function senderPbmac1AlgorithmId(secret: Uint8Array, settings: Partial<Pbmac1Settings> = {}): Promise<AlgorithmIdentifier> {
  const s = { ...pbmac1Defaults, ...settings };
  const saltLength = checkPositiveInteger(s.saltLength, 'PBMAC1 salt length');
  const salt = await reusablePbmSalt(getCryptoProvider(), secret, `pbmac1/${s.prf}/${s.mac}/${s.iterations}/${s.keyLength ?? ''}`, saltLength);
  return pbmac1AlgorithmIdWithSalt(settings, salt);
}

function pbmac1AlgorithmIdWithSalt(settings: Partial<Pbmac1Settings>, salt: Uint8Array): AlgorithmIdentifier {
  const s = { ...pbmac1Defaults, ...settings };
  const iterations = checkPositiveInteger(s.iterations, 'PBMAC1 iteration count');
  const keyLength = checkKeyLength(BigInt(checkPositiveInteger(s.keyLength ?? hashLength(s.mac), 'PBMAC1 key length')), 'PBMAC1');
  const kdf = new PBKDF2Params({
    salt: new PBKDF2Salt({ specified: toArrayBuffer(salt) }),
    iterationCount: BigInt(iterations),
    keyLength: BigInt(keyLength),
    // RFC 8018's PBKDF2-PRFs carry NULL parameters.
    prf: new AlgorithmIdentifier({ algorithm: hmacWithOid(s.prf), parameters: null }),
  });
  const params = new PBMAC1Params({
    keyDerivationFunc: new AlgorithmIdentifier({ algorithm: CmpOids.pbkdf2, parameters: toArrayBuffer(encodeDer(kdf)) }),
    // RFC 9481 section 6.2.1: the HMAC-SHA2 parameters are absent.
    messageAuthScheme: new AlgorithmIdentifier({ algorithm: hmacWithOid(s.mac) }),
  });
  return new AlgorithmIdentifier({ algorithm: CmpOids.pbmac1, parameters: toArrayBuffer(encodeDer(params)) });
}

/**
 * Decodes the parameters of an id-PBMAC1 AlgorithmIdentifier. ERR_ASN1_DECODE when malformed,
 * ERR_UNSUPPORTED_ALGORITHM for a KDF other than PBKDF2, a salt from another source, or an
 * unknown PRF or MAC.
 */
export function readPbmac1Parameters(algorithm: AlgorithmIdentifier): Pbmac1Parameters {
  if (algorithm.algorithm !== CmpOids.pbmac1) throw new CmpError(ErrorCodes.ERR_INTERNAL, `not a PBMAC1 algorithm: ${algorithm.algorithm}`);
  if (!algorithm.parameters) throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'PBMAC1 without parameters');
  const params = decodeDer(algorithm.parameters, PBMAC1Params);
  const kdf = params.keyDerivationFunc;
  if (kdf.algorithm !== CmpOids.pbkdf2) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported PBMAC1 key derivation function ${kdf.algorithm}`);
  }
  if (!kdf.parameters) throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'PBKDF2 without parameters');
  const pbkdf2 = decodeDer(kdf.parameters, PBKDF2Params);
  if (pbkdf2.salt.specified === undefined) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, 'unsupported PBKDF2 salt from another source');
  }
  return {
    salt: new Uint8Array(pbkdf2.salt.specified),
    iterationCount: pbkdf2.iterationCount,
    ...(pbkdf2.keyLength !== undefined ? { keyLength: pbkdf2.keyLength } : {}),
    prf: hmacFromOid(pbkdf2.prf.algorithm),
    mac: hmacFromOid(params.messageAuthScheme.algorithm),
  };
}

/**
 * The PBMAC1 of `data`. Iteration count (ERR_PBM_ITERATIONS), key length and salt length
 * (ERR_UNSUPPORTED_ALGORITHM) are checked before any key derivation.
 */
export async function computePbmac1(
  parameters: Pbmac1Parameters,
  secret: Uint8Array,
  data: Uint8Array,
  limits: IterationLimits = defaultIterationLimits,
): Promise<Uint8Array> {
  const iterations = checkIterations(parameters.iterationCount, limits, 'PBMAC1');
  const keyLength = checkKeyLength(parameters.keyLength ?? BigInt(hashLength(parameters.mac)), 'PBMAC1');
  const salt = checkSaltLength(parameters.salt, 'PBMAC1');
  const provider = getCryptoProvider();
  const key = await cachedPbkdf2Key(provider, parameters.prf, secret, salt, iterations, keyLength);
  return provider.hmac(parameters.mac, key, data);
}
