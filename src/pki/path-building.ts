/**
 * Choosing candidate issuers while building certification paths (RFC 4158 in spirit, OpenSSL's
 * rules in detail). A candidate is any certificate whose subject matches the issuer name; key
 * identifiers and validity only order the candidates, since the signature check decides.
 */
import type { X509Certificate } from '@peculiar/x509';
import { keyFitsScheme, signatureAlgorithmFromId } from '../crypto/algorithms';
import type { SignatureScheme } from '../crypto/provider';
import { canonicalNameKey } from './name-matching';
import { unsignedInteger, viewOf, type CertificateExtensions, type CertificateView } from './certificate-view';
import { sameBytes } from '../bytes';

/** Issuer and subject names match (RFC 5280 section 6.1: self-issued), whatever the keys. */
export function isSelfIssued(cert: X509Certificate): boolean {
  const view = viewOf(cert);
  return view.subjectKey === view.issuerKey;
}

/**
 * OpenSSL's notion of self-signed (EXFLAG_SS): self-issued, its authority key identifier (if any)
 * pointing at itself, and its signature algorithm fitting its own key. The self-signature itself is
 * not verified, as OpenSSL does not without X509_V_FLAG_CHECK_SS_SIGNATURE.
 */
export function isSelfSigned(cert: X509Certificate): boolean {
  const view = viewOf(cert);
  return view.subjectKey === view.issuerKey && keyIdentifierMatch(view, view) !== 'mismatch' && !signatureContradictsKey(view, view);
}

/**
 * The certificates of `pool` that may have issued `cert`: those whose subject matches its issuer
 * name, ordered best first (authority key identifier matching, then valid at `at` when given).
 */
export function findIssuers(cert: X509Certificate, pool: readonly X509Certificate[], at?: Date): X509Certificate[] {
  const child = viewOf(cert);
  const ranked = pool
    .map((candidate, index) => ({ candidate, index, view: viewOf(candidate) }))
    .filter(({ view }) => view.subjectKey === child.issuerKey)
    // Written out rather than `{ ...c, keyRank, timeRank }`: V8 11 gives a literal that starts with a
    // spread a new map on every call once warm (docs/benchmarks.md, ninth session).
    .map(({ candidate, index, view }) => ({
      candidate,
      index,
      view,
      keyRank: keyRank[keyIdentifierMatch(child, view)],
      timeRank: at && !validAt(view, at) ? 1 : 0,
    }));
  ranked.sort((a, b) => a.keyRank - b.keyRank || a.timeRank - b.timeRank || a.index - b.index);
  return ranked.map((c) => c.candidate);
}

type KeyIdentifierMatch = 'match' | 'unknown' | 'mismatch';

const keyRank: Record<KeyIdentifierMatch, number> = { match: 0, unknown: 1, mismatch: 2 };

/** OpenSSL's X509_check_akid: what the child's authority key identifier says about `issuer`. */
function keyIdentifierMatch(child: CertificateView, issuer: CertificateView): KeyIdentifierMatch {
  return authorityKeyIdentifierMatch(child.extensions?.authorityKeyIdentifier, issuer);
}

/** The same for any authority key identifier, a certificate's or a CRL's. */
export function authorityKeyIdentifierMatch(aki: CertificateExtensions['authorityKeyIdentifier'], issuer: CertificateView): KeyIdentifierMatch {
  if (!aki) return 'unknown';
  const ski = issuer.extensions?.subjectKeyIdentifier;
  if (aki.keyIdentifier && ski && !sameBytes(aki.keyIdentifier, ski)) return 'mismatch';
  if (aki.serialNumber && !sameBytes(aki.serialNumber, unsignedInteger(new Uint8Array(issuer.asn.tbsCertificate.serialNumber)))) {
    return 'mismatch';
  }
  if (aki.issuerNames.length > 0 && !aki.issuerNames.some((n) => canonicalNameKey(n) === issuer.issuerKey)) return 'mismatch';
  return aki.keyIdentifier && ski ? 'match' : 'unknown';
}

function validAt(view: CertificateView, at: Date): boolean {
  return view.notBefore.getTime() <= at.getTime() && at.getTime() <= view.notAfter.getTime();
}

/** True only when `child`'s signature algorithm evidently cannot have been made with `issuer`'s key. */
function signatureContradictsKey(child: CertificateView, issuer: CertificateView): boolean {
  let scheme: SignatureScheme;
  try {
    scheme = signatureAlgorithmFromId(child.asn.signatureAlgorithm).scheme;
  } catch {
    // An algorithm we do not know says nothing either way.
    return false;
  }
  return !keyFitsScheme(issuer.spkiAlgorithm, scheme);
}
