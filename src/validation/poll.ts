/**
 * pollRep (RFC 9810 section 5.3.22, RFC 9483 section 4.4): the server is still working on our
 * request and says when to ask again. As OpenSSL's poll_for_response: one entry, for our
 * certReqId, with a checkAfter that is a sane number of seconds.
 */
import type { PKIMessage, PollRepContentEntry } from '../asn1';
import { CmpError, ErrorCodes } from '../errors';
import { expectedCertReqId } from './cert-response';
import type { ResponseExpectations } from './expectations';
import { checkSenderNonce } from './header';
import type { PollWait } from './results';
import { freeTextStrings } from './status';

/**
 * The longest wait accepted: ten years. Longer is no schedule but a malfunction or an attempt to
 * park the client forever; it also keeps checkAfter * 1000 far inside Number's exact integers.
 */
export const MAX_CHECK_AFTER_SECONDS = 10 * 366 * 24 * 60 * 60;

/** Throws CmpError ERR_UNEXPECTED_BODY, ERR_WRONG_POLL_REP_COUNT, ERR_CERT_REQ_ID_MISMATCH or ERR_CHECK_AFTER. */
export function validatePollRep(msg: PKIMessage, exp: ResponseExpectations): PollWait {
  const content = msg.body.pollRep;
  if (!content) throw new CmpError(ErrorCodes.ERR_UNEXPECTED_BODY, 'expected pollRep');
  const senderNonce = checkSenderNonce(msg.header);
  const entry = checkSinglePollRep(Array.from(content));
  const certReqId = checkPollCertReqId(entry, expectedCertReqId(exp));
  const checkAfter = checkCheckAfter(entry.checkAfter);
  const reason = freeTextStrings(entry.reason);
  return { kind: 'pollWait', senderNonce, certReqId, checkAfter, receivedAt: (exp.now ?? Date.now)(), ...(reason ? { reason } : {}) };
}

/** We poll for one request, so one answer is expected (OpenSSL: multiple responses not supported). */
function checkSinglePollRep(entries: PollRepContentEntry[]): PollRepContentEntry {
  if (entries.length !== 1) {
    throw new CmpError(ErrorCodes.ERR_WRONG_POLL_REP_COUNT, `expected exactly one pollRep entry, received ${entries.length}`);
  }
  return entries[0];
}

function checkPollCertReqId(entry: PollRepContentEntry, expected: bigint): bigint {
  if (entry.certReqId !== expected) {
    throw new CmpError(
      ErrorCodes.ERR_CERT_REQ_ID_MISMATCH,
      `pollRep is for certReqId ${entry.certReqId.toString()}, we polled for ${expected.toString()}`,
    );
  }
  return expected;
}

/** Seconds to wait as a number; negative or absurdly large values are ERR_CHECK_AFTER. */
function checkCheckAfter(checkAfter: bigint): number {
  if (checkAfter < 0n || checkAfter > BigInt(MAX_CHECK_AFTER_SECONDS)) {
    throw new CmpError(ErrorCodes.ERR_CHECK_AFTER, `pollRep checkAfter ${checkAfter.toString()} is outside 0..${MAX_CHECK_AFTER_SECONDS} seconds`);
  }
  return Number(checkAfter);
}
