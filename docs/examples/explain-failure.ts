/**
 * Errors: every failure is a CmpError with a stable `code`. When the server said no in a
 * PKIStatusInfo, `status`, `failInfo` (RFC 9810 PKIFailureInfo bit names) and `statusString`
 * carry what it said. Branch on the code, never on the message text.
 */
import { CmpClient, CmpError } from '../../src';

export interface Enrollment {
  serverUrl: string;
  ref: string;
  secret: string;
  newKeyPath: string;
  subject: string;
}

export interface Failure {
  code: string;
  advice: string;
  failInfo?: string[];
  statusString?: string[];
}

function advice(e: CmpError): string {
  switch (e.code) {
    case 'ERR_REQUEST_REJECTED':
    case 'ERR_ERROR_RESPONSE':
      return 'the CA refused the request: see failInfo and statusString';
    case 'ERR_PROTECTION_INVALID':
      return 'the response does not verify: wrong secret, or not the server we expect';
    case 'ERR_CONNECTION':
    case 'ERR_TIMEOUT':
      return 'the server could not be reached: try again later';
    case 'ERR_TOTAL_TIMEOUT':
      return 'the CA did not issue the certificate in time';
    default:
      return 'see the message';
  }
}

/** Runs an ir and returns what went wrong, or undefined when it succeeded. */
export async function enrollOrExplain(p: Enrollment): Promise<Failure | undefined> {
  const client = new CmpClient({ server: p.serverUrl, ref: p.ref, secret: p.secret, newKey: p.newKeyPath, subject: p.subject, msgTimeout: 10 });
  try {
    await client.ir();
    return undefined;
  } catch (e) {
    if (!(e instanceof CmpError)) throw e;
    return {
      code: e.code,
      advice: advice(e),
      ...(e.failInfo ? { failInfo: e.failInfo } : {}),
      ...(e.statusString ? { statusString: e.statusString } : {}),
    };
  }
}
