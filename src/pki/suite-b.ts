/**
 * RFC 6460 Suite B restrictions on a certification path, as OpenSSL's X509_chain_check_suiteb
 * applies them for -suiteB_128_only, -suiteB_128 and -suiteB_192 (X509_V_FLAG_SUITEB_*):
 * - every certificate, the trust anchor included, is version 3 with an EC key on P-256 or P-384;
 * - a P-256 key is allowed at the 128-bit minimum level of security (LOS), P-384 at 192 bits;
 *   -suiteB_128 allows both, but once a P-384 key is met (from the end certificate up) no P-256
 *   key may follow, since a P-256 key cannot sign for a P-384 one;
 * - every signature fits the signer's curve: ecdsa-with-SHA256 by P-256 keys, ecdsa-with-SHA384
 *   by P-384 keys, the trust anchor's own signature included.
 */
import { createPublicKey } from 'crypto';
import { CmpError, ErrorCodes } from '../errors';
import { Oids } from '../crypto/algorithms';
import type { CertificateView } from './certificate-view';

/** '128only': P-256 only (-suiteB_128_only); '128': P-256 or P-384 (-suiteB_128); '192': P-384 only (-suiteB_192). */
export type SuiteBLevel = '128only' | '128' | '192';

export const suiteBLevels: readonly SuiteBLevel[] = ['128only', '128', '192'];

type Curve = 'P-256' | 'P-384';

const curveSignature: Record<Curve, string> = { 'P-256': Oids.ecdsaWithSHA256, 'P-384': Oids.ecdsaWithSHA384 };

const namedCurves: Record<string, Curve> = { prime256v1: 'P-256', secp384r1: 'P-384' };

/** Undefined when `path` ([target, ..., anchor]) meets `level`, else ERR_PATH_SUITE_B naming the certificate at fault. */
export function suiteBError(path: readonly CertificateView[], level: SuiteBLevel): CmpError | undefined {
  const allowed = new Set<Curve>(level === '128only' ? ['P-256'] : level === '192' ? ['P-384'] : ['P-256', 'P-384']);
  for (const [i, cert] of path.entries()) {
    if (cert.version !== 3) return failure(cert, `version ${cert.version} certificate`);
    const curve = curveOf(cert);
    if (curve === undefined)
      return failure(cert, cert.spkiAlgorithm === Oids.ecPublicKey ? 'its key is on neither P-256 nor P-384' : 'its key is not an EC key');
    // The signature below was made with this key (for the anchor: its own, made with itself).
    const signed = i === 0 ? undefined : path[i - 1]!;
    if (signed && signed.asn.signatureAlgorithm.algorithm !== curveSignature[curve]) {
      return failure(signed, `its signature by a ${curve} key is not ${curve === 'P-256' ? 'ecdsa-with-SHA256' : 'ecdsa-with-SHA384'}`);
    }
    if (!allowed.has(curve)) {
      const p384Below = level === '128' && curve === 'P-256';
      return failure(
        cert,
        p384Below ? 'its P-256 key cannot sign for a P-384 key below it' : `its ${curve} key is not allowed at this level of security`,
      );
    }
    if (curve === 'P-384') allowed.delete('P-256');
  }
  const anchor = path[path.length - 1]!;
  const anchorCurve = curveOf(anchor)!;
  if (anchor.asn.signatureAlgorithm.algorithm !== curveSignature[anchorCurve]) {
    return failure(
      anchor,
      `its self-signature by a ${anchorCurve} key is not ${anchorCurve === 'P-256' ? 'ecdsa-with-SHA256' : 'ecdsa-with-SHA384'}`,
    );
  }
  return undefined;
}

function curveOf(cert: CertificateView): Curve | undefined {
  if (cert.spkiAlgorithm !== Oids.ecPublicKey) return undefined;
  try {
    const key = createPublicKey({ key: Buffer.from(cert.spki), format: 'der', type: 'spki' });
    return namedCurves[key.asymmetricKeyDetails?.namedCurve ?? ''];
  } catch {
    return undefined;
  }
}

function failure(cert: CertificateView, why: string): CmpError {
  return new CmpError(ErrorCodes.ERR_PATH_SUITE_B, `certificate "${cert.cert.subject}" fails the Suite B checks: ${why}`);
}
