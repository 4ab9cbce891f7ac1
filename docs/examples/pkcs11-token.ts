/**
 * Keys in a PKCS#11 token (an HSM, a smart card, SoftHSM): name them by RFC 7512 `pkcs11:` URIs
 * wherever cmpflow asks for a key. The request's signature and the proof of possession are made
 * inside the token; with `x-generate` the new key pair is generated there on first use.
 */
import { CmpClient, type EnrollmentResult } from '../../src';

export interface TokenEnrollment {
  serverUrl: string;
  trustedPath: string;
  /** The certificate of the token's signing key, which protects the request. */
  certPath: string;
  /** The token's label. */
  token: string;
  /** The user PIN, from the application's secret store: never put it in a URI on a command line. */
  pin: string;
  subject: string;
}

export async function enrollWithTokenKeys(p: TokenEnrollment): Promise<EnrollmentResult> {
  const token = `pkcs11:token=${encodeURIComponent(p.token)}`;
  const client = new CmpClient({
    server: p.serverUrl,
    trusted: p.trustedPath,
    cert: p.certPath,
    key: `${token};object=signer;type=private`,
    keyPass: p.pin,
    // Generated in the token the first time, the same key pair every time after.
    newKey: `${token};object=device-key?x-generate=ec:P-256`,
    newKeyPass: p.pin,
    subject: p.subject,
  });
  try {
    return await client.cr();
  } finally {
    await client.close();
  }
}
