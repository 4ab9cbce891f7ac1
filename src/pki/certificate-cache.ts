/**
 * Parsed certificates by their DER encoding, shared by all sessions of the process. A server's CA
 * certificates come back in the extraCerts and caPubs of every response, and each session handed
 * the same certificate to @peculiar/x509 and to the path validator several times over; parsing one
 * costs about a millisecond, more than all the rest of a certificate's checks.
 *
 * Certificates are values: an entry is found only by the exact bytes it was parsed from, and it is
 * parsed again if its bytes were changed behind our back. The cache is bounded (least recently used
 * entries go first), so hostile servers sending new certificates all the time only cost the parse.
 */
import { X509Certificate } from '@peculiar/x509';
import { CmpError, ErrorCodes } from '../errors';
import { seedView } from './certificate-view';
import { BoundedMap } from '../bounded-map';
import { sameBytes, toB64 } from '../bytes';

/** About 256 distinct certificates: a few per server and trust store, with room for many servers. */
export const CERTIFICATE_CACHE_SIZE = 256;

const cache = new BoundedMap<string, X509Certificate>(CERTIFICATE_CACHE_SIZE);

/**
 * The certificate encoded by `der`: the same instance for the same bytes while it stays in the
 * cache. A certificate that is ASN.1 but no X.509 certificate is ERR_ASN1_DECODE, naming `what`.
 */
export function certificateFromDer(der: Uint8Array, what: string): X509Certificate {
  const key = toB64(der);
  const cached = cache.get(key);
  if (cached && sameBytes(cached.rawData, der)) return cached;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Uint8Array.from(der));
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `cannot read ${what} as an X.509 certificate`, { cause: e });
  }
  // The parse @peculiar/x509 just made is the one the path validator needs: no second one.
  seedView(cert, key);
  cache.set(key, cert);
  return cert;
}

/** Forgets every cached certificate (tests, or to release memory). */
export function clearCertificateCache(): void {
  cache.clear();
}
