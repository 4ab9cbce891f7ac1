/**
 * rp, the answer to our rr (RFC 9810 section 5.3.10, RFC 9483 section 4.2), checked as OpenSSL's
 * OSSL_CMP_exec_RR_ses does: one status for our one RevDetails; accepted and grantedWithMods
 * succeed, revocationWarning and revocationNotification succeed with a warning, rejection is a
 * refusal, and waiting or keyUpdateWarning make no sense here. revCerts and crls, when present,
 * must answer exactly our request.
 */
import type { Name } from '@peculiar/asn1-x509';
import { PKIStatus, type CertId, type PKIMessage, type PKIStatusInfo, type RevRepContent } from '../asn1';
import { nameToString } from '../pki/names';
import { CmpError, ErrorCodes } from '../errors';
import { bytesOf, hex } from '../bytes';
import type { ResponseExpectations, ResponseProtection } from './expectations';
import { checkSenderNonce } from './header';
import { extraCertsBytes } from '../asn1/message-certs';
import { canonicalName, canonicalNameKey } from '../pki/name-matching';
import type { RevocationResult } from './results';
import { statusError, statusName, statusView } from './status';

/**
 * Throws CmpError ERR_UNEXPECTED_BODY, ERR_REVOCATION_MISMATCH, ERR_UNEXPECTED_STATUS, or
 * ERR_PROTECTION_MISSING when `protection` says an accepted revocation was not authenticated.
 */
export function validateRevocationResponse(
  msg: PKIMessage,
  exp: Pick<ResponseExpectations, 'revokedCert'>,
  protection?: ResponseProtection,
): RevocationResult {
  const rp = msg.body.rp;
  if (!rp) throw new CmpError(ErrorCodes.ERR_UNEXPECTED_BODY, 'expected rp');
  const senderNonce = checkSenderNonce(msg.header);
  const status = checkSingleStatus(rp);
  const outcome = checkRevocationStatus(status);
  if (outcome.rejected) {
    return { kind: 'rejected', senderNonce, error: statusError(status, 'revocation request rejected'), ...statusView(status) };
  }
  if (protection?.kind === 'none') {
    throw new CmpError(ErrorCodes.ERR_PROTECTION_MISSING, 'a revocation response that accepts the revocation must be protected');
  }
  checkRevCerts(rp, exp.revokedCert);
  checkCrlCount(rp);
  return {
    kind: 'revocation',
    senderNonce,
    ...(outcome.warning ? { warning: outcome.warning } : {}),
    extraCerts: extraCertsBytes(msg),
    ...statusView(status),
  };
}

/** We revoke one certificate per rr, so exactly one PKIStatusInfo answers it. */
function checkSingleStatus(rp: RevRepContent): PKIStatusInfo {
  if (rp.status.length !== 1) {
    throw new CmpError(ErrorCodes.ERR_REVOCATION_MISMATCH, `expected exactly one status in the rp, received ${rp.status.length}`);
  }
  return rp.status[0];
}

function checkRevocationStatus(status: PKIStatusInfo): { rejected?: true; warning?: string } {
  switch (status.status) {
    case PKIStatus.accepted:
    case PKIStatus.grantedWithMods:
      return {};
    case PKIStatus.revocationWarning:
      return { warning: 'revocationWarning: the server says a revocation is imminent' };
    case PKIStatus.revocationNotification:
      return { warning: 'revocationNotification: the server says the revocation has occurred' };
    case PKIStatus.rejection:
      return { rejected: true };
    default:
      throw statusError(status, `unexpected status ${statusName(status.status)} in a revocation response`, ErrorCodes.ERR_UNEXPECTED_STATUS);
  }
}

/** revCerts, when present, must name the one certificate we asked to revoke. */
function checkRevCerts(rp: RevRepContent, requested: ResponseExpectations['revokedCert']): void {
  const revCerts = rp.revCerts;
  if (!revCerts) return;
  if (revCerts.length !== 1) {
    throw new CmpError(ErrorCodes.ERR_REVOCATION_MISMATCH, `expected one CertId in revCerts, received ${revCerts.length}`);
  }
  if (requested) checkCertId(revCerts[0], requested.issuer, requested.serialNumber);
}

function checkCertId(certId: CertId, issuer: Name, serialNumber: Uint8Array): void {
  const named = certId.issuer.directoryName;
  if (!named || canonicalNameKey(canonicalName(named)) !== canonicalNameKey(canonicalName(issuer))) {
    const got = named ? `"${nameToString(named)}"` : 'a name that is not a directoryName';
    throw new CmpError(ErrorCodes.ERR_REVOCATION_MISMATCH, `rp revCerts names issuer ${got}, we asked about "${nameToString(issuer)}"`);
  }
  const got = integerMagnitude(bytesOf(certId.serialNumber));
  const wanted = integerMagnitude(serialNumber);
  if (hex(got) !== hex(wanted)) {
    throw new CmpError(ErrorCodes.ERR_REVOCATION_MISMATCH, `rp revCerts names serial number ${hex(got)}, we asked about ${hex(wanted)}`);
  }
}

/** INTEGER octets without the leading zero bytes that DER adds to keep a positive value positive. */
function integerMagnitude(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

/** crls, when present, hold one CRL per revoked certificate (OpenSSL: wrong rp component count). */
function checkCrlCount(rp: RevRepContent): void {
  if (rp.crls && rp.crls.length !== 1) {
    throw new CmpError(ErrorCodes.ERR_REVOCATION_MISMATCH, `expected one CRL in the rp, received ${rp.crls.length}`);
  }
}
