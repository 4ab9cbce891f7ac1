/**
 * Verifying that one certificate was signed with another's key, through the crypto provider.
 * Results are remembered per pair for one validation, because path building tries the same link
 * again on every path through it, and positive ones for the whole process (`verifiedSignatures`),
 * because a client checks the same CA certificates in every session.
 */
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { BoundedMap } from '../bounded-map';
import { sameBytes, toB64 } from '../bytes';
import { getCryptoProvider } from '../crypto';
import { signatureAlgorithmFromId } from '../crypto/algorithms';
import type { CryptoProvider, SignatureAlgorithm } from '../crypto/provider';
import { CmpError, ErrorCodes } from '../errors';
import type { CertificateView } from './certificate-view';

export class SignatureChecks {
  private readonly results = new Map<CertificateView, Map<CertificateView, Promise<CmpError | undefined>>>();

  /** Undefined when `issuer`'s key verifies `child`'s signature, else the ERR_PATH_SIGNATURE error. */
  check(child: CertificateView, issuer: CertificateView): Promise<CmpError | undefined> {
    let byIssuer = this.results.get(child);
    if (!byIssuer) {
      byIssuer = new Map();
      this.results.set(child, byIssuer);
    }
    let result = byIssuer.get(issuer);
    if (!result) {
      result = certificateSignatureError(child, issuer);
      byIssuer.set(issuer, result);
    }
    return result;
  }
}

export async function certificateSignatureError(child: CertificateView, issuer: CertificateView): Promise<CmpError | undefined> {
  const where = `certificate "${child.cert.subject}" by "${issuer.cert.subject}"`;
  // RFC 5280 section 4.1.1.2: the signature field inside the signed data must repeat the outer one,
  // or an attacker could make the verifier use an algorithm the signer did not choose.
  if (!child.signatureAlgorithmsAgree) {
    return new CmpError(ErrorCodes.ERR_PATH_SIGNATURE, `signature algorithms of ${where} disagree inside and outside the signed part`);
  }
  let algorithm: SignatureAlgorithm;
  try {
    algorithm = signatureAlgorithmFromId(child.asn.signatureAlgorithm);
  } catch (e) {
    return new CmpError(ErrorCodes.ERR_PATH_SIGNATURE, `cannot verify the signature of ${where}: unsupported algorithm`, { cause: e });
  }
  const provider = getCryptoProvider();
  const signed: SignedBytes = {
    provider,
    tbs: child.tbs,
    algorithm: child.asn.signatureAlgorithm.algorithm,
    parameters: child.asn.signatureAlgorithm.parameters,
    signature: new Uint8Array(child.asn.signatureValue),
    spki: issuer.spki,
  };
  if (verifiedSignatures.has(signed)) return undefined;
  let valid: boolean;
  try {
    valid = await provider.verify(algorithm, signed.spki, signed.signature, signed.tbs);
  } catch (e) {
    return new CmpError(ErrorCodes.ERR_PATH_SIGNATURE, `cannot verify the signature of ${where}`, { cause: e });
  }
  if (!valid) return new CmpError(ErrorCodes.ERR_PATH_SIGNATURE, `signature of ${where} does not verify`);
  verifiedSignatures.add(signed);
  return undefined;
}

/** Everything a certificate signature's verification reads, and the provider that read it. */
export interface SignedBytes {
  readonly provider: CryptoProvider;
  readonly tbs: Uint8Array;
  readonly algorithm: string;
  readonly parameters: AlgorithmIdentifier['parameters'];
  readonly signature: Uint8Array;
  readonly spki: Uint8Array;
}

/**
 * Certificate signatures the crypto provider found valid, for the whole process. A hit needs every
 * byte the verification read to be equal (the signed TBSCertificate, the algorithm and its
 * parameters, the signature, the issuer's SubjectPublicKeyInfo) and the same provider: a result is
 * a fact about exactly those bytes, so remembering it weakens nothing, and any other byte is
 * verified again. Failures are never remembered (they are rare and cheap to refuse again), so
 * nobody can fill the memory without real signatures; it holds at most `limit` entries, the least
 * recently used going first. Entries are found by the signature, which differs between signed
 * bytes, and hold their own copies so that no caller's buffer can change them.
 */
export class VerifiedSignatures {
  readonly #entries: BoundedMap<string, SignedBytes>;

  constructor(limit: number) {
    this.#entries = new BoundedMap(limit);
  }

  has(signed: SignedBytes): boolean {
    const entry = this.#entries.get(toB64(signed.signature));
    return (
      entry !== undefined &&
      entry.provider === signed.provider &&
      entry.algorithm === signed.algorithm &&
      sameParameters(entry.parameters, signed.parameters) &&
      sameBytes(entry.signature, signed.signature) &&
      sameBytes(entry.spki, signed.spki) &&
      sameBytes(entry.tbs, signed.tbs)
    );
  }

  add(signed: SignedBytes): void {
    this.#entries.set(toB64(signed.signature), {
      provider: signed.provider,
      tbs: Uint8Array.from(signed.tbs),
      algorithm: signed.algorithm,
      parameters: signed.parameters instanceof ArrayBuffer ? signed.parameters.slice(0) : signed.parameters,
      signature: Uint8Array.from(signed.signature),
      spki: Uint8Array.from(signed.spki),
    });
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}

function sameParameters(a: AlgorithmIdentifier['parameters'], b: AlgorithmIdentifier['parameters']): boolean {
  return a instanceof ArrayBuffer && b instanceof ArrayBuffer ? sameBytes(a, b) : a === b;
}

/**
 * 256 covers every CA certificate a client or a CA meets in practice several times over; an entry
 * is about 1.5 KB with an RSA-2048 key, up to about 10 KB with ML-DSA-87 (its signature and two keys).
 */
export const verifiedSignatures = new VerifiedSignatures(256);
