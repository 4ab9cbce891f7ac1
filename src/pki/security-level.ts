/**
 * OpenSSL's authentication security level (-auth_level N, X509_VERIFY_PARAM_set_auth_level): at
 * level N every key of the path, the trust anchor's included, must offer at least the security
 * bits of the level, and every signature but the trust anchor's self-signature a digest of that
 * strength. Security bits are counted as OpenSSL 3.0 does: RSA by NIST SP 800-57 steps of the
 * modulus, EC keys half the curve order, Ed25519 128, Ed448 224, ML-DSA-44/65/87 128/192/256 (their
 * categories in FIPS 204; OpenSSL 3.0 has no ML-DSA); SHA-1 signatures 63 bits, other
 * digests half their length.
 */
import { createPublicKey } from 'crypto';
import { CmpError, ErrorCodes } from '../errors';
import { signatureAlgorithmFromId } from '../crypto/algorithms';
import { isMlDsaVariant, ML_DSA_SECURITY_BITS, mlDsaSpkiVariant, type MlDsaVariant } from '../crypto/ml-dsa';
import type { HashName } from '../crypto/provider';
import type { CertificateView } from './certificate-view';

/** Security bits of levels 1 to 5; higher levels count as 5. */
const levelBits = [80, 112, 128, 192, 256];

const curveOrderBits: Record<string, number> = {
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
  secp256k1: 256,
  'P-256': 256,
  'P-384': 384,
  'P-521': 521,
};

const hashBits: Record<HashName, number> = {
  'SHA-1': 63,
  'SHA-224': 112,
  'SHA-256': 128,
  'SHA-384': 192,
  'SHA-512': 256,
  'SHA3-256': 128,
  'SHA3-384': 192,
  'SHA3-512': 256,
  SHAKE128: 128,
  SHAKE256: 256,
};

export function checkAuthLevel(level: unknown): void {
  if (typeof level !== 'number' || !Number.isSafeInteger(level) || level < 0) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `authLevel must be a non-negative integer, got ${String(level)}`);
  }
}

/** Undefined when `path` ([target, ..., anchor]) meets `level` (0: no requirement), else ERR_PATH_SECURITY_LEVEL. */
export function securityLevelError(path: readonly CertificateView[], level: number): CmpError | undefined {
  if (level <= 0) return undefined;
  const wanted = levelBits[Math.min(level, levelBits.length) - 1]!;
  for (const [i, cert] of path.entries()) {
    const keyBits = keySecurityBits(cert);
    if (keyBits < wanted) return tooWeak(cert, `its key offers ${keyBits} security bits`, level, wanted);
    if (i === path.length - 1) continue;
    const signatureBits = signatureSecurityBits(cert);
    if (signatureBits < wanted) return tooWeak(cert, `its signature offers ${signatureBits} security bits`, level, wanted);
  }
  return undefined;
}

function tooWeak(cert: CertificateView, why: string, level: number, wanted: number): CmpError {
  return new CmpError(
    ErrorCodes.ERR_PATH_SECURITY_LEVEL,
    `certificate "${cert.cert.subject}" is too weak for security level ${level} (${wanted} bits): ${why}`,
  );
}

/** node:crypto of Node 20 cannot import ML-DSA keys: their strength comes from the parameter set. */
function mlDsaVariantOrUndefined(spki: Uint8Array): MlDsaVariant | undefined {
  try {
    return mlDsaSpkiVariant(spki);
  } catch {
    return undefined;
  }
}

function keySecurityBits(cert: CertificateView): number {
  const mlDsa = mlDsaVariantOrUndefined(cert.spki);
  if (mlDsa !== undefined) return ML_DSA_SECURITY_BITS[mlDsa];
  let details: { modulusLength?: number; namedCurve?: string } | undefined;
  let type: string | undefined;
  try {
    const key = createPublicKey({ key: Buffer.from(cert.spki), format: 'der', type: 'spki' });
    type = key.asymmetricKeyType;
    details = key.asymmetricKeyDetails;
  } catch {
    return 0;
  }
  if (type === 'ed25519') return 128;
  if (type === 'ed448') return 224;
  if (type === 'ec') return Math.floor((curveOrderBits[details?.namedCurve ?? ''] ?? 0) / 2);
  if (type === 'rsa' || type === 'rsa-pss') return rsaSecurityBits(details?.modulusLength ?? 0);
  return 0;
}

/** OpenSSL's BN_security_bits for an RSA modulus. */
function rsaSecurityBits(bits: number): number {
  if (bits >= 15360) return 256;
  if (bits >= 7680) return 192;
  if (bits >= 3072) return 128;
  if (bits >= 2048) return 112;
  if (bits >= 1024) return 80;
  return 0;
}

function signatureSecurityBits(cert: CertificateView): number {
  try {
    const algorithm = signatureAlgorithmFromId(cert.asn.signatureAlgorithm);
    if (algorithm.scheme === 'ed25519') return 128;
    if (algorithm.scheme === 'ed448') return 224;
    if (isMlDsaVariant(algorithm.scheme)) return ML_DSA_SECURITY_BITS[algorithm.scheme];
    return algorithm.hash ? hashBits[algorithm.hash] : 0;
  } catch {
    // An unknown algorithm offers no known strength.
    return 0;
  }
}
