/**
 * Initial enrollment (ir) authenticated by a shared secret: the CA gave us a reference and a
 * secret out of band, and we ask for a certificate for a key we generated.
 */
import { CmpClient, type EnrollmentResult } from '../../src';

export interface PbmEnrollment {
  /** e.g. 'http://ca.example:8080/pkix/' */
  serverUrl: string;
  /** The reference value the CA gave out with the secret (sent as senderKID). */
  ref: string;
  secret: string;
  /** PEM file of the key pair to certify. */
  newKeyPath: string;
  /** Requested subject, in OpenSSL's '/CN=...' or RFC 4514 form. */
  subject: string;
}

export async function enrollWithPbm(p: PbmEnrollment): Promise<EnrollmentResult> {
  const client = new CmpClient({
    server: p.serverUrl,
    ref: p.ref,
    secret: p.secret, // PasswordBasedMac, 500 iterations, as openssl cmp does; or macProtection: 'pbmac1'
    newKey: p.newKeyPath,
    subject: p.subject,
    msgTimeout: 10,
  });
  const result = await client.ir();
  // result.certificate is an X509Certificate; result.chain runs from it up to a trust anchor
  // when one could be built, and result.caPubs holds the CA certificates the server sent.
  return result;
}
