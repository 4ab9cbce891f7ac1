/**
 * The one entry point the session services call: received bytes in, what they mean out, in the
 * order OpenSSL's send_receive_check and RFC 9483 section 3.5 apply the checks: strict decoding,
 * header, protection, body type, then the checks of the step that was expected.
 */
import { decodePkiMessage, receivedProtectedPart } from '../asn1';
import { CmpError, ErrorCodes } from '../errors';
import { validateResponseBody } from './body';
import { validateCertResponse } from './cert-response';
import { isDelayedDelivery, validateDelayedDelivery } from './delayed-delivery';
import { validatePkiConf } from './confirmation';
import type { ResponseExpectations } from './expectations';
import { validateGeneralResponse } from './general';
import { validateResponseHeader } from './header';
import { validatePollRep } from './poll';
import { validateResponseProtection } from './protection';
import type { ValidatedResponse } from './results';
import { validateRevocationResponse } from './revocation';

/** Rejects with the CmpError of the first check that fails (ERR_ASN1_* for bytes that are no PKIMessage). */
export async function processResponse(der: Uint8Array, exp: ResponseExpectations): Promise<ValidatedResponse> {
  const msg = decodePkiMessage(der);
  validateResponseHeader(msg, exp);
  // Nothing has touched `msg` since decoding: protection is checked over the bytes received.
  const protection = await validateResponseProtection(msg, exp, receivedProtectedPart(msg));
  exp.onProtection?.(protection);
  if (isDelayedDelivery(msg, exp)) return validateDelayedDelivery(msg, exp, protection);
  const bodyType = validateResponseBody(msg, exp);
  switch (bodyType) {
    case 'ip':
    case 'cp':
    case 'kup':
      return validateCertResponse(msg, exp, protection);
    case 'pollRep':
      return validatePollRep(msg, exp);
    case 'pkiconf':
      return validatePkiConf(msg);
    case 'rp':
      return validateRevocationResponse(msg, exp, protection);
    case 'genp':
      return validateGeneralResponse(msg);
    default:
      throw new CmpError(ErrorCodes.ERR_INTERNAL, `no validator for an expected ${bodyType} response`);
  }
}
