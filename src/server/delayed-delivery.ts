/**
 * Delayed delivery (RFC 9810 section 5.3.22, RFC 9483 section 4.4) of the answers that are no
 * certificate: the rp to an rr, the genp to a genm and the pkiconf to a certConf. When configured
 * for a request kind, the server answers with an error message of status `waiting`, then each
 * pollReq (certReqId -1) with a pollRep until the configured number of answers has been given, and
 * then works out and delivers the answer. This is how a CA that needs time (an offline approval, a
 * slow back end) behaves, for testing clients. An rr or genm is processed only then, as such a CA
 * would: a certificate revoked at once could no longer sign the polls of its own revocation. A
 * certConf is processed at once, since the transaction expects it only once.
 */
import { PKIBody, PKIStatus, ErrorMsgContent, PollRepContent, PollRepContentEntry } from '../asn1';
import type { IncomingRequest, Reply, ServerContext } from './context';
import { refuse } from './refusal';
import { statusInfo } from './response';
import type { Transaction } from './transactions';

/** The requests whose answer the server can delay; certificate requests wait with pollCount instead. */
export const DELAYABLE_REQUESTS = ['rr', 'genm', 'certConf'] as const;
export type DelayableRequest = (typeof DELAYABLE_REQUESTS)[number];

/** certReqId of a pollReq for an answer that is no certificate (RFC 9810 section 5.3.22). */
const DELAYED_CERT_REQ_ID = -1n;

/**
 * The reply to send now to a `kind` request of `transaction`: `answer()` when its delivery is not
 * delayed (the transaction then ends), else `waiting`, keeping `answer` for the last poll.
 */
export async function answerOrDelay(
  ctx: ServerContext,
  transaction: Transaction,
  kind: DelayableRequest,
  answer: () => Promise<Reply>,
): Promise<Reply> {
  const answers = ctx.config.delayedDelivery[kind];
  if (answers === 0) {
    const reply = await answer();
    ctx.transactions.finish(transaction);
    return reply;
  }
  transaction.phase = 'polling';
  transaction.delayed = answer;
  transaction.certReqId = DELAYED_CERT_REQ_ID;
  transaction.pollsLeft = answers - 1;
  ctx.transactions.touch(transaction);
  return {
    body: new PKIBody({ error: new ErrorMsgContent({ pKIStatusInfo: statusInfo(PKIStatus.waiting, 'delayed delivery: please poll', []) }) }),
  };
}

/** A pollReq for a kept-back answer: pollRep while answers are left to give, then the answer. */
export async function handleDelayedPollReq(ctx: ServerContext, req: IncomingRequest, transaction: Transaction): Promise<Reply> {
  const answer = transaction.delayed;
  if (transaction.phase !== 'polling' || !answer) return refuse('badRequest', 'this transaction is not waiting for a pollReq');
  const content = req.msg.body.pollReq!;
  if (content.length !== 1) refuse('badRequest', `a pollReq must name exactly one certReqId, got ${content.length}`);
  if (content[0]!.certReqId !== DELAYED_CERT_REQ_ID) {
    refuse('badRequest', `the pollReq names certReqId ${content[0]!.certReqId}, expected ${DELAYED_CERT_REQ_ID} for a delayed answer`);
  }
  if (transaction.pollsLeft > 0) {
    transaction.pollsLeft--;
    ctx.transactions.touch(transaction);
    const entry = new PollRepContentEntry({ certReqId: DELAYED_CERT_REQ_ID, checkAfter: BigInt(ctx.config.checkAfter) });
    return { body: new PKIBody({ pollRep: new PollRepContent([entry]) }) };
  }
  const reply = await answer();
  ctx.transactions.finish(transaction);
  return reply;
}
