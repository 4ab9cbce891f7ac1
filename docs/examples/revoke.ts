/**
 * Revocation (rr): revoke our own certificate, signing the request with its key. The answer is
 * checked as OpenSSL does: revocationWarning and revocationNotification succeed with a warning.
 */
import { CmpClient, type RevocationResult } from '../../src';

/** CRLReason values (RFC 5280 section 5.3.1). */
export const CrlReason = { unspecified: 0, keyCompromise: 1, affiliationChanged: 3, superseded: 4, cessationOfOperation: 5 } as const;

export interface Revocation {
  serverUrl: string;
  /** The certificate to revoke and its key. */
  certPath: string;
  keyPath: string;
  untrustedPath: string;
  trustedPath: string;
  reason: number;
}

export async function revoke(p: Revocation): Promise<RevocationResult> {
  const client = new CmpClient({
    server: p.serverUrl,
    cert: p.certPath,
    key: p.keyPath,
    oldCert: p.certPath, // unlike kur, rr never defaults to `cert`: name the certificate to revoke
    revReason: p.reason,
    untrusted: p.untrustedPath,
    trusted: p.trustedPath,
    msgTimeout: 10,
  });
  const result = await client.rr();
  // result.statusName is 'accepted', 'grantedWithMods', 'revocationWarning' or 'revocationNotification'.
  return result;
}
