/**
 * The accept hook: look at the new certificate before confirming it. A rejection is sent to the
 * CA as a negative certConf with the failInfo given, and the call fails with
 * ERR_CERT_REJECTED_BY_CLIENT (a CA may still keep the certificate: EJBCA does not revoke it).
 */
import { CmpClient, isCmpError } from '../../src';

export interface Enrollment {
  serverUrl: string;
  ref: string;
  secret: string;
  newKeyPath: string;
  subject: string;
}

export type Outcome = { accepted: true; subject: string } | { accepted: false; failInfo: string[]; message: string };

/** Accepts the new certificate only if its subject is exactly `expectedSubject` (RFC 4514 form). */
export async function enrollCheckingSubject(p: Enrollment, expectedSubject: string): Promise<Outcome> {
  const client = new CmpClient({
    server: p.serverUrl,
    ref: p.ref,
    secret: p.secret,
    newKey: p.newKeyPath,
    subject: p.subject,
    msgTimeout: 10,
    acceptCertificate: ({ certificate }) =>
      certificate.subject === expectedSubject
        ? { accept: true }
        : { accept: false, failInfo: ['badCertTemplate'], text: `expected subject ${expectedSubject}` },
  });
  try {
    const result = await client.ir();
    return { accepted: true, subject: result.certificate.subject };
  } catch (e) {
    if (isCmpError(e, 'ERR_CERT_REJECTED_BY_CLIENT')) return { accepted: false, failInfo: e.failInfo ?? [], message: e.message };
    throw e;
  }
}
