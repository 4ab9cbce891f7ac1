/**
 * PasswordBasedMac (RFC 9810 section 5.1.3.1, RFC 4211 section 4.4): the MAC key is the one-way
 * function applied iterationCount times to secret || salt, and the MAC is computed with that key.
 */
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { PBMParameter } from '../asn1/crmf/pbm_parameter';
import { CmpOids } from '../asn1/oids';
import { hashAlgorithmId, hashFromOid, hmacAlgorithmId, hmacFromOid } from '../crypto/algorithms';
import { getCryptoProvider } from '../crypto';
import type { HashName } from '../crypto/provider';
import { CmpError, ErrorCodes } from '../errors';
import { checkIterations, checkPositiveInteger, checkSaltLength, defaultIterationLimits, type IterationLimits } from './mac-safety';
import { decodePbmParameter, encodePbmParameter } from './pbm-parameter-der';
import { cachedPbmKey, withReusablePbmSalt } from './pbm-key-cache';
import { toArrayBuffer } from '../bytes';

export interface PbmSettings {
  /** One-way function iterated to derive the key. */
  owf: HashName;
  /** Hash of the HMAC. */
  mac: HashName;
  iterations: number;
  saltLength: number;
}

/** What `openssl cmp` sends: SHA-256 as OWF, HMAC-SHA1, 500 iterations, 16 bytes of salt. */
export const pbmDefaults: Readonly<PbmSettings> = { owf: 'SHA-256', mac: 'SHA-1', iterations: 500, saltLength: 16 };

/** Fresh PBMParameter with a random salt. Throws ERR_INVALID_OPTION / ERR_UNSUPPORTED_ALGORITHM. */
export function newPbmParameter(settings: Partial<PbmSettings> = {}): PBMParameter {
  const saltLength = checkPositiveInteger({ ...pbmDefaults, ...settings }.saltLength, 'PBM salt length');
  return pbmParameterWithSalt(settings, getCryptoProvider().randomBytes(saltLength));
}

/** Protecting messages we send with one secret and PBM settings, under the salt currently in use. */
export interface SenderPbm {
  /** A new id-PasswordBasedMac AlgorithmIdentifier with our PBMParameter, for the header. */
  algorithmId(): AlgorithmIdentifier;
  /** The PasswordBasedMac of `data` under that parameter. */
  mac(data: Uint8Array): Promise<Uint8Array>;
}

/**
 * PBM for messages we send with `secret`: like newPbmParameter, but the salt is kept for a while
 * for the same secret and settings (withReusablePbmSalt), so that the key is derived once for many
 * messages, here and at a receiver that caches keys too; and the parameter's DER and the key are
 * kept with the salt, made once for its 10,000 messages instead of for each. Throws
 * ERR_INVALID_OPTION / ERR_UNSUPPORTED_ALGORITHM.
 */
export async function senderPbm(secret: Uint8Array, settings: Partial<PbmSettings> = {}): Promise<SenderPbm> {
  const s = { ...pbmDefaults, ...settings };
  const saltLength = checkPositiveInteger(s.saltLength, 'PBM salt length');
  const provider = getCryptoProvider();
  return withReusablePbmSalt(provider, secret, `${s.owf}/${s.mac}/${s.iterations}`, saltLength, async (salt) => {
    const parameter = pbmParameterWithSalt(s, salt);
    const iterations = Number(parameter.iterationCount);
    const owf = hashFromOid(parameter.owf.algorithm);
    const mac = hmacFromOid(parameter.mac.algorithm);
    const key = await cachedPbmKey(provider, owf, secret, checkSaltLength(salt, 'PasswordBasedMac'), iterations, true);
    const parameters = encodePbmParameter(parameter);
    return {
      algorithmId: () => new AlgorithmIdentifier({ algorithm: CmpOids.passwordBasedMac, parameters: parameters.slice().buffer }),
      mac: (data: Uint8Array) => getCryptoProvider().hmac(mac, key, data),
    };
  });
}

function pbmParameterWithSalt(settings: Partial<PbmSettings>, salt: Uint8Array): PBMParameter {
  const s = { ...pbmDefaults, ...settings };
  const iterations = checkPositiveInteger(s.iterations, 'PBM iteration count');
  return new PBMParameter({
    salt: toArrayBuffer(salt),
    owf: hashAlgorithmId(s.owf),
    iterationCount: BigInt(iterations),
    mac: hmacAlgorithmId(s.mac),
  });
}

export function pbmAlgorithmId(parameter: PBMParameter): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: CmpOids.passwordBasedMac, parameters: toArrayBuffer(encodePbmParameter(parameter)) });
}

/** The PBMParameter of an id-PasswordBasedMac AlgorithmIdentifier; ERR_ASN1_DECODE when absent or malformed. */
export function readPbmParameter(algorithm: AlgorithmIdentifier): PBMParameter {
  if (algorithm.algorithm !== CmpOids.passwordBasedMac) {
    throw new CmpError(ErrorCodes.ERR_INTERNAL, `not a PasswordBasedMac algorithm: ${algorithm.algorithm}`);
  }
  if (!algorithm.parameters) throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'PasswordBasedMac without PBMParameter');
  return decodePbmParameter(new Uint8Array(algorithm.parameters));
}

/**
 * The PasswordBasedMac of `data`. The iteration count is checked against `limits` before anything
 * is hashed (ERR_PBM_ITERATIONS); a salt longer than MAX_MAC_SALT_LENGTH and unknown OWF or MAC
 * algorithms give ERR_UNSUPPORTED_ALGORITHM.
 */
export async function computePbm(
  parameter: PBMParameter,
  secret: Uint8Array,
  data: Uint8Array,
  limits: IterationLimits = defaultIterationLimits,
): Promise<Uint8Array> {
  const iterations = checkIterations(parameter.iterationCount, limits, 'PasswordBasedMac');
  const salt = checkSaltLength(new Uint8Array(parameter.salt), 'PasswordBasedMac');
  const owf = hashFromOid(parameter.owf.algorithm);
  const mac = hmacFromOid(parameter.mac.algorithm);
  const provider = getCryptoProvider();
  return provider.hmac(mac, await cachedPbmKey(provider, owf, secret, salt, iterations), data);
}
