/**
 * Key update (kur): the certificate to update protects the request itself, and the new
 * certificate keeps its subject. OpenSSL takes the certificate to update from -cert when
 * -oldcert is not given; cmpflow does the same with `cert` and `oldCert`.
 */
import { CmpClient, type EnrollmentResult } from '../../src';

export interface KeyUpdate {
  serverUrl: string;
  /** The certificate to update and its current key. */
  certPath: string;
  keyPath: string;
  /** The key the new certificate is for (may be the same file when only renewing). */
  newKeyPath: string;
  untrustedPath: string;
  trustedPath: string;
}

export async function updateKey(p: KeyUpdate): Promise<EnrollmentResult> {
  const client = new CmpClient({
    server: p.serverUrl,
    cert: p.certPath,
    key: p.keyPath,
    oldCert: p.certPath,
    newKey: p.newKeyPath,
    untrusted: p.untrustedPath,
    trusted: p.trustedPath,
    implicitConfirm: true, // ask the CA to skip certConf/pkiConf; result.implicitConfirmGranted tells
    msgTimeout: 10,
  });
  return client.kur();
}
