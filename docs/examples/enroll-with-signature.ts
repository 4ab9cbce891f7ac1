/**
 * Certificate request (cr) from an entity that already has a certificate: the request is signed
 * with that certificate's key, and the server's signature is checked against our trust anchors.
 */
import { CmpClient, type EnrollmentResult } from '../../src';

export interface SignedEnrollment {
  serverUrl: string;
  /** Our current certificate and its key (PEM files), which protect the request. */
  certPath: string;
  keyPath: string;
  /** Intermediate CA certificates: sent along with ours, and used to build the server's path. */
  untrustedPath: string;
  /** Trust anchors for the server's certificate and the new one. */
  trustedPath: string;
  newKeyPath: string;
  subject: string;
}

export async function enrollWithSignature(p: SignedEnrollment): Promise<EnrollmentResult> {
  const client = new CmpClient({
    server: p.serverUrl,
    cert: p.certPath,
    key: p.keyPath,
    untrusted: p.untrustedPath,
    trusted: p.trustedPath,
    newKey: p.newKeyPath,
    subject: p.subject,
    msgTimeout: 10,
  });
  return client.cr();
}
