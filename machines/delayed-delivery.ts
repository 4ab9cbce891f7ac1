/**
 * Waiting for a delayed answer (RFC 9810 section 5.3.22, RFC 9483 section 4.4): the server said
 * `waiting` (in an ip/cp/kup, or in an error message answering any request) or sent a pollRep, and
 * the session sleeps until the poll it asked for is due, then polls. Every session machine that
 * can be answered late composes its waits out of these states and updates, so that all of them
 * persist and resume the same way.
 *
 * The wait is an invoked actor with an absolute time as input, not an `after` delay: XState does
 * not persist delayed events, but it does persist an invoked child with its input and re-runs it
 * on restore, so a restored wait sleeps until the same instant in whatever process resumes it.
 */
import type { CheckedResponse } from './actors';
import type { RoundTripContext } from './round-trip';

/** The part of a session's context that waiting and polling read and write. */
export interface DelayedDeliveryContext extends RoundTripContext {
  /** Poll rounds so far. */
  polls: number;
  /** Seconds the server last asked us to wait. */
  checkAfter?: number;
  /** Absolute epoch ms of the next poll. */
  nextPollAt?: number;
}

type Wait = Extract<CheckedResponse, { kind: 'waiting' | 'pollWait' }>;

/** Whether the last checked response asks us to wait: `waiting` status or a pollRep. */
export const stillWaiting = ({ context }: { context: RoundTripContext }): boolean =>
  context.checked?.kind === 'waiting' || context.checked?.kind === 'pollWait';

/** Whether a wait ended at or after the deadline; the clock is the one waitUntil reported. */
export const pastDeadline = ({ context }: { context: RoundTripContext }, now: number): boolean =>
  context.deadline !== undefined && now >= context.deadline;

/** Context updates of the waiting actions every machine that waits names in its setup(). */
export const delayedDeliveryUpdates = {
  scheduleNextPoll: ({ context }: { context: DelayedDeliveryContext }) => {
    const wait = context.checked as Wait;
    const due = wait.receivedAt + wait.checkAfter * 1000;
    // As OpenSSL does, never sleep past the total timeout: wake at the deadline and fail then.
    const nextPollAt = context.deadline !== undefined ? Math.min(due, context.deadline) : due;
    return { checkAfter: wait.checkAfter, nextPollAt };
  },
  countPoll: ({ context }: { context: DelayedDeliveryContext }) => ({ polls: context.polls + 1 }),
  forgetMessages: () => ({ request: undefined, responseDer: undefined, checked: undefined }),
};

/**
 * The quiet state of a session waiting for a delayed answer, tagged `persistable`: nothing is in
 * flight (the messages were forgotten on entry), so a snapshot taken here resumes correctly in any
 * process. When the wait ends the session polls (`pollTarget`), or fails with ERR_TOTAL_TIMEOUT
 * past the deadline. The machine's setup() must name the actions forgetMessages, countPoll,
 * recordTimeout and recordError, and the guard pastDeadline.
 */
export function waitingState(pollTarget: string, onFailure: string) {
  return {
    tags: 'persistable' as const,
    entry: 'forgetMessages' as const,
    invoke: {
      id: 'waitUntil',
      src: 'waitUntil' as const,
      input: ({ context }: { context: DelayedDeliveryContext }) => ({ until: context.nextPollAt ?? 0 }),
      onDone: [
        {
          guard: { type: 'pastDeadline' as const, params: ({ event }: { event: { output: { now: number } } }) => event.output.now },
          target: onFailure,
          actions: 'recordTimeout' as const,
        },
        { target: pollTarget, actions: 'countPoll' as const },
      ],
      onError: { target: onFailure, actions: { type: 'recordError' as const, params: ({ event }: { event: { error: unknown } }) => event.error } },
    },
  };
}
