/**
 * pkiconf, the answer to certConf and to our error message (RFC 9810 section 5.3.17). Its body is
 * NULL, so everything worth checking is in the header and the protection, checked before this.
 */
import type { CheckedResponse } from '../../machines/actors';
import { pkiBodyType, type PKIMessage } from '../asn1';
import { CmpError, ErrorCodes } from '../errors';
import { b64 } from './bytes';
import { checkSenderNonce } from './header';

export type PkiConf = Extract<CheckedResponse, { kind: 'pkiConf' }>;

/** Throws CmpError ERR_UNEXPECTED_BODY for anything but pkiconf. */
export function validatePkiConf(msg: PKIMessage): PkiConf {
  if (pkiBodyType(msg.body) !== 'pkiconf') {
    throw new CmpError(ErrorCodes.ERR_UNEXPECTED_BODY, `expected pkiconf, received ${pkiBodyType(msg.body) ?? 'an empty body'}`);
  }
  return { kind: 'pkiConf', senderNonce: b64(checkSenderNonce(msg.header)) };
}
