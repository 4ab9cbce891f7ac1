/**
 * Delayed delivery (RFC 9810 section 5.3.22, RFC 9483 section 4.4): instead of its answer, the
 * server sends an `error` message whose status is `waiting`, and the client polls for the answer
 * with pollReq. As OpenSSL (3.3 and later) does, this starts polling only in answer to a request,
 * never while polling already, and the pollReq names certReqId -1 except for a certificate
 * request, whose own certReqId it keeps.
 */
import { PKIStatus, pkiBodyType, type PKIMessage } from '../asn1';
import { CmpError, ErrorCodes } from '../errors';
import { expectedCertReqId } from './cert-response';
import type { ResponseExpectations, ResponseProtection } from './expectations';
import { checkSenderNonce } from './header';
import type { CertificateWaiting } from './results';
import { statusView } from './status';
import { isCertRequestKind } from '../protocol';

/** The certReqId a pollReq names when it polls for the answer to anything but a certificate request. */
export const DELAYED_DELIVERY_CERT_REQ_ID = -1n;

/** Whether `msg` is an error message with status waiting that answers the request (not a poll). */
export function isDelayedDelivery(msg: PKIMessage, exp: Pick<ResponseExpectations, 'requestType'>): boolean {
  return exp.requestType !== 'pollReq' && pkiBodyType(msg.body) === 'error' && msg.body.error!.pKIStatusInfo.status === PKIStatus.waiting;
}

/**
 * The wait a delayed-delivery error message starts: poll at once (it carries no checkAfter).
 * Throws ERR_PROTECTION_MISSING when the message was let through unauthenticated: the
 * unprotectedErrors exception is for errors that end a transaction, and a `waiting` that nobody
 * vouched for would let anyone park the client.
 */
export function validateDelayedDelivery(msg: PKIMessage, exp: ResponseExpectations, protection: ResponseProtection): CertificateWaiting {
  if (protection.kind === 'none') {
    throw new CmpError(ErrorCodes.ERR_PROTECTION_MISSING, 'an error message with status waiting must be protected');
  }
  const senderNonce = checkSenderNonce(msg.header);
  const certReqId = isCertRequestKind(exp.requestType) ? expectedCertReqId(exp) : DELAYED_DELIVERY_CERT_REQ_ID;
  return {
    kind: 'waiting',
    senderNonce,
    certReqId,
    checkAfter: 0,
    receivedAt: (exp.now ?? Date.now)(),
    ...statusView(msg.body.error!.pKIStatusInfo),
  };
}
