/**
 * Verifying that one certificate was signed with another's key, through the crypto provider.
 * Results are remembered per pair for one validation, because path building tries the same link
 * again on every path through it.
 */
import { getCryptoProvider } from '../crypto';
import { signatureAlgorithmFromId } from '../crypto/algorithms';
import type { SignatureAlgorithm } from '../crypto/provider';
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
  let valid: boolean;
  try {
    valid = await getCryptoProvider().verify(algorithm, issuer.spki, new Uint8Array(child.asn.signatureValue), child.tbs);
  } catch (e) {
    return new CmpError(ErrorCodes.ERR_PATH_SIGNATURE, `cannot verify the signature of ${where}`, { cause: e });
  }
  return valid ? undefined : new CmpError(ErrorCodes.ERR_PATH_SIGNATURE, `signature of ${where} does not verify`);
}
