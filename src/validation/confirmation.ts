/**
 * pkiconf, the answer to certConf and to our error message (RFC 9810 section 5.3.17). Its body is
 * NULL, so everything worth checking is in the header and the protection, checked before this.
 */
import { pkiBodyType, type PKIMessage } from '../asn1';
import { CmpError, ErrorCodes } from '../errors';
import { checkSenderNonce } from './header';
import type { PkiConf } from './results';

/** Throws CmpError ERR_UNEXPECTED_BODY for anything but pkiconf. */
export function validatePkiConf(msg: PKIMessage): PkiConf {
  if (pkiBodyType(msg.body) !== 'pkiconf') {
    throw new CmpError(ErrorCodes.ERR_UNEXPECTED_BODY, `expected pkiconf, received ${pkiBodyType(msg.body) ?? 'an empty body'}`);
  }
  return { kind: 'pkiConf', senderNonce: checkSenderNonce(msg.header) };
}
