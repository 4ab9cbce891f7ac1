/**
 * An `error` body where the protocol expected an answer (RFC 9810 section 5.3.21): the server gave
 * up on the transaction. It becomes one CmpError that keeps everything the server said.
 */
import type { ErrorMsgContent } from '../asn1';
import { CmpError, ErrorCodes } from '../errors';
import { describeStatus, freeTextStrings, statusView } from './status';

/** CmpError ERR_ERROR_RESPONSE with the status, failInfo and statusString of the error message. */
export function errorResponseError(content: ErrorMsgContent): CmpError {
  const view = statusView(content.pKIStatusInfo);
  const details = freeTextStrings(content.errorDetails);
  const parts = [`server sent an error message: ${describeStatus(view)}`];
  if (content.errorCode !== undefined) parts.push(`errorCode: ${content.errorCode.toString()}`);
  if (details) parts.push(`errorDetails: ${details.map((d) => JSON.stringify(d)).join(', ')}`);
  return new CmpError(ErrorCodes.ERR_ERROR_RESPONSE, parts.join('; '), {
    status: view.status,
    ...(view.failInfo ? { failInfo: view.failInfo } : {}),
    ...(view.statusString ? { statusString: view.statusString } : {}),
  });
}
