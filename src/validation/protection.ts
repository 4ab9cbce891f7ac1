/**
 * Every response must carry valid protection (RFC 9810 section 5.1.3, RFC 9483 section 3.5). The
 * only way around it is the unprotectedErrors option, which, as OpenSSL's unprotected_exception
 * does, tolerates missing or invalid protection on negative answers only: an error message, an
 * ip/cp/kup whose single CertResponse is a rejection, an rp whose (first) status is a rejection,
 * and a pkiconf. A positive answer is never accepted unprotected, whatever the options say.
 */
import { PKIStatus, pkiBodyType, type PKIMessage } from '../asn1';
import { asCmpError, ErrorCodes } from '../errors';
import { verifyPkiMessageProtection } from '../protection/verify';
import type { ResponseExpectations, ResponseProtection } from './expectations';

/**
 * Throws the verifier's CmpError (ERR_PROTECTION_MISSING, ERR_PROTECTION_INVALID, ...) unless an
 * exception applies. `protectedPart`: see verifyPkiMessageProtection.
 */
export async function validateResponseProtection(
  msg: PKIMessage,
  exp: ResponseExpectations,
  protectedPart?: Uint8Array,
): Promise<ResponseProtection> {
  try {
    return await verifyPkiMessageProtection(msg, exp.verify, protectedPart);
  } catch (e) {
    const error = asCmpError(e, ErrorCodes.ERR_PROTECTION_INVALID, 'response protection could not be verified');
    const exception = exp.unprotectedErrors === true ? unprotectedException(msg) : undefined;
    if (exception === undefined) throw error;
    return { kind: 'none', ignored: error.code === ErrorCodes.ERR_PROTECTION_MISSING ? 'missing' : 'invalid', exception };
  }
}

/**
 * Which unprotectedErrors exception covers `msg`, or undefined when none does. A CertRepMessage
 * with more than one response gets none: which of them would be the rejection is ambiguous.
 */
function unprotectedException(msg: PKIMessage): string | undefined {
  const body = msg.body;
  switch (pkiBodyType(body)) {
    case 'error':
      return 'error message';
    case 'pkiconf':
      return 'PKI confirmation';
    case 'rp':
      return body.rp!.status[0]?.status === PKIStatus.rejection ? 'revocation response with rejection status' : undefined;
    case 'ip':
    case 'cp':
    case 'kup': {
      const responses = (body.ip ?? body.cp ?? body.kup)!.response;
      return responses.length === 1 && responses[0].status.status === PKIStatus.rejection ? 'certificate response with rejection status' : undefined;
    }
    default:
      return undefined;
  }
}
