/**
 * Giving up on an enrollment the CA keeps answering with `waiting`: abort() sends an error
 * message ("polling aborted") in the transaction and waits for the CA's pkiConf, as OpenSSL's
 * OSSL_CMP_try_certreq does when asked to stop.
 */
import { CmpClient, type CmpClientOptions } from '../../src';

export interface Enrollment {
  serverUrl: string;
  ref: string;
  secret: string;
  newKeyPath: string;
  subject: string;
}

export async function requestThenAbort(p: Enrollment): Promise<'issued' | 'aborted'> {
  const options: CmpClientOptions = {
    server: p.serverUrl,
    ref: p.ref,
    secret: p.secret,
    newKey: p.newKeyPath,
    subject: p.subject,
    keepAlive: 0,
    msgTimeout: 10,
  };
  const step = await new CmpClient(options).tryCertReq('ir');
  if (step.status === 'issued') return 'issued';
  // Any client with the same credentials can end the session, in this process or another one:
  // abort() takes the persisted session (as an object or as its JSON text).
  await new CmpClient(options).abort(JSON.stringify(step.session));
  return 'aborted';
}
