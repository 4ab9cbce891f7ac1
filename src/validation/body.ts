/**
 * Which body may answer which request (RFC 9810 section 5.3, RFC 9483 section 4). While polling,
 * the server answers pollRep until the final certificate response arrives, which must still be
 * the answer to the request that started the transaction (OpenSSL cert_response is strict here).
 */
import { pkiBodyType, type PKIBodyType, type PKIMessage } from '../asn1';
import { CmpError, ErrorCodes } from '../errors';
import { errorResponseError } from './error-message';
import type { CertRequestKind, PolledRequestKind, RequestKind } from '../protocol';
import type { ResponseExpectations } from './expectations';

const certificateAnswer: Record<CertRequestKind, PKIBodyType> = { ir: 'ip', cr: 'cp', p10cr: 'cp', kur: 'kup' };

/** The body types that may answer `requestType`. */
export function expectedBodyTypes(requestType: RequestKind, pollingFor?: PolledRequestKind): PKIBodyType[] {
  switch (requestType) {
    case 'ir':
    case 'cr':
    case 'p10cr':
    case 'kur':
      return [certificateAnswer[requestType]];
    case 'pollReq':
      return ['pollRep', ...(pollingFor ? expectedBodyTypes(pollingFor) : (['ip', 'cp', 'kup'] as PKIBodyType[]))];
    case 'certConf':
    case 'error':
      return ['pkiconf'];
    case 'rr':
      return ['rp'];
    case 'genm':
      return ['genp'];
  }
}

/**
 * The body type of `msg` when it answers the request; throws CmpError ERR_ERROR_RESPONSE for an
 * error message (with the server's status, failInfo and statusString) and ERR_UNEXPECTED_BODY
 * for any other body.
 */
export function validateResponseBody(msg: PKIMessage, exp: Pick<ResponseExpectations, 'requestType' | 'pollingFor'>): PKIBodyType {
  const received = pkiBodyType(msg.body);
  const expected = expectedBodyTypes(exp.requestType, exp.pollingFor);
  if (received !== undefined && expected.includes(received)) return received;
  if (received === 'error') throw errorResponseError(msg.body.error!);
  throw new CmpError(
    ErrorCodes.ERR_UNEXPECTED_BODY,
    `expected ${expected.join(' or ')} in answer to ${exp.requestType}, received ${received ?? 'an empty body'}`,
  );
}
