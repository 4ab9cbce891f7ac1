/**
 * Safeguards shared by the MAC-based protections: bounds on the work a received parameter set may
 * demand (checked before any hashing: the iteration count travels unauthenticated, so without a
 * bound anyone on the path could make us hash a billion times), the presence of a secret, and a
 * comparison that does not leak where two MACs differ.
 */
import { CmpError, ErrorCodes } from '../errors';

export interface IterationLimits {
  min: number;
  max: number;
}

/** OpenSSL's bounds for PasswordBasedMac (crypto/crmf/crmf_pbm.c), used for PBMAC1 as well. */
export const defaultIterationLimits: IterationLimits = { min: 100, max: 100_000 };

/** The iteration count as a number once it lies within `limits`; ERR_PBM_ITERATIONS otherwise. */
export function checkIterations(count: bigint, limits: IterationLimits, what: string): number {
  if (!Number.isSafeInteger(limits.min) || !Number.isSafeInteger(limits.max) || limits.min < 1 || limits.max < limits.min) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `iteration limits must be integers with 1 <= min <= max, got ${limits.min}..${limits.max}`);
  }
  if (count < BigInt(limits.min) || count > BigInt(limits.max)) {
    throw new CmpError(ErrorCodes.ERR_PBM_ITERATIONS, `${what} iteration count ${count} is outside the accepted range ${limits.min}..${limits.max}`);
  }
  return Number(count);
}

/**
 * The longest derived PBMAC1 key accepted, in bytes: the longest HMAC output (SHA-512). PBKDF2 runs
 * all its iterations once per PRF output length of key, so a 4096-byte key asked for by a 421-byte
 * request cost 128 runs (4.5 s of CPU at 100000 iterations); HMAC gains nothing from a key longer
 * than its hash, and a longer one is hashed down to that length anyway.
 */
export const MAX_MAC_KEY_LENGTH = 64;

/**
 * Salts longer than this are refused before any hashing. RFC 8018 asks for 8 bytes or more and
 * every implementation we know sends 16 or 20; what lies beyond only costs the receiver hashing.
 */
export const MAX_MAC_SALT_LENGTH = 256;

/** The salt of a received MAC parameter set, once its length is within 1..MAX_MAC_SALT_LENGTH; ERR_UNSUPPORTED_ALGORITHM otherwise. */
export function checkSaltLength(salt: Uint8Array, what: string): Uint8Array {
  if (salt.length < 1 || salt.length > MAX_MAC_SALT_LENGTH) {
    throw new CmpError(
      ErrorCodes.ERR_UNSUPPORTED_ALGORITHM,
      `${what} salt length ${salt.length} is outside the accepted range 1..${MAX_MAC_SALT_LENGTH}`,
    );
  }
  return salt;
}

/** A derived key length within 1..MAX_MAC_KEY_LENGTH as a number; ERR_UNSUPPORTED_ALGORITHM otherwise. */
export function checkKeyLength(length: bigint, what: string): number {
  if (length < 1n || length > BigInt(MAX_MAC_KEY_LENGTH)) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `${what} key length ${length} is outside the accepted range 1..${MAX_MAC_KEY_LENGTH}`);
  }
  return Number(length);
}

/** An iteration count or length we are asked to use for our own messages. */
export function checkPositiveInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** The secret as usable bytes; ERR_NO_SECRET when there is none. Never echoes the value. */
export function requireSecret(secret: Uint8Array | undefined, purpose: string): Uint8Array {
  if (!(secret instanceof Uint8Array) || secret.length === 0) {
    throw new CmpError(ErrorCodes.ERR_NO_SECRET, `no shared secret available for ${purpose}`);
  }
  return secret;
}

/** Compares two MACs in time independent of where they differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
