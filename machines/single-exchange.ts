/**
 * Sessions that are one exchange: revocation (rr → rp) and general messages (genm → genp). The
 * server may delay its answer (an error message with status `waiting`); the session then polls
 * until the answer comes.
 *
 * requesting ─► answered ─► done
 *                  │   └──► waiting ⇄ polling ─► answered
 *                  └── rejection / invalid response / timeout ─► failed
 *
 * A session protected with KEM-based MAC starts with kemCiphertextExchange (kem-ciphertext.ts).
 *
 * requesting and polling are one round trip each: building → sending → checking, or with
 * `actorPer: 'roundTrip'` one state whose one actor runs the three (round-trip.ts). `waiting` is the
 * only quiet state (tag `persistable`), as in the enrollment machine. What the answer means (e.g.
 * rr's revocationWarning is a success with a warning) is decided by the checkResponse service; the
 * machine only tells success from failure.
 */
import { assign, setup } from 'xstate';
import type { SerializedCmpError } from '../src/errors';
import type { B64, BuiltRequest, CheckedResponse, KemCiphertextOutput, RoundTripOutput } from './actors';
import { delayedDeliveryUpdates, pastDeadline, stillWaiting, waitingState, type DelayedDeliveryContext } from './delayed-delivery';
import { toSerializedError } from './errors';
import { afterKemCiphertext, kemCiphertextStates, kemProtected, type KemCiphertextContext } from './kem-ciphertext';
import { roundTripShapes, roundTripUpdates, type ActorPer, type RoundTripArgs } from './round-trip';
import { placeholderActors } from './services';

export interface SingleExchangeInput {
  transactionId: B64;
  /** Absolute epoch ms after which the session gives up (OpenSSL -total_timeout); none if absent. */
  deadline?: number;
  /** The credential is a KEM key: obtain the KEM ciphertext first (RFC 9810 section 5.1.3.4). */
  kemProtected?: boolean;
}

export interface SingleExchangeContext extends DelayedDeliveryContext, KemCiphertextContext {
  error?: SerializedCmpError;
  outcome?: 'done' | 'failed';
}

export interface SingleExchangeOutput {
  outcome: 'done' | 'failed';
  transactionId: B64;
  polls: number;
  response?: CheckedResponse;
  error?: SerializedCmpError;
}

export type SingleExchangeKind = 'rr' | 'genm';

const roundTripShapesOfExchange = roundTripShapes<SingleExchangeContext>();

/** The type of a single-exchange machine of one shape: its state values name that shape's states. */
export type SingleExchangeMachineOf<A extends ActorPer> = ReturnType<typeof defineSingleExchange<ReturnType<(typeof roundTripShapesOfExchange)[A]>>>;
/** A revocation or general-message machine with an actor per step (machines/index.ts). */
export type SingleExchangeMachine = SingleExchangeMachineOf<'step'>;

/**
 * The machine of one single-exchange session, its round trips in the shape `actorPer` asks for (see
 * createEnrollmentMachine): 'step' by default, 'roundTrip' for one actor per exchange.
 */
export function createSingleExchangeMachine<A extends ActorPer = 'step'>(
  id: string,
  kind: SingleExchangeKind,
  answer: CheckedResponse['kind'],
  actorPer: A = 'step' as A,
): SingleExchangeMachineOf<A> {
  const machine =
    actorPer === 'roundTrip'
      ? defineSingleExchange(id, kind, answer, roundTripShapesOfExchange.roundTrip)
      : defineSingleExchange(id, kind, answer, roundTripShapesOfExchange.step);
  return machine as unknown as SingleExchangeMachineOf<A>;
}

function defineSingleExchange<R extends object>(
  id: string,
  kind: SingleExchangeKind,
  answer: CheckedResponse['kind'],
  roundTrip: (...args: RoundTripArgs<SingleExchangeContext>) => R,
) {
  return setup({
    types: {
      context: {} as SingleExchangeContext,
      input: {} as SingleExchangeInput,
      output: {} as SingleExchangeOutput,
      tags: {} as 'persistable' | 'busy',
    },
    actors: placeholderActors,
    guards: {
      answered: ({ context }) => context.checked?.kind === answer,
      stillWaiting,
      pastDeadline,
      kemProtected,
    },
    actions: {
      recordKemCiphertext: assign(({ context }, output: KemCiphertextOutput) => ({ transaction: afterKemCiphertext(context.transaction, output) })),
      recordSent: assign(({ context }, request: BuiltRequest) => roundTripUpdates.sent({ context }, request)),
      recordReceived: assign((_, der: B64) => roundTripUpdates.received(_, der)),
      recordChecked: assign(({ context }, checked: CheckedResponse) => roundTripUpdates.checked({ context }, checked)),
      recordRoundTrip: assign(({ context }, output: RoundTripOutput) => roundTripUpdates.completed({ context }, output)),
      forgetMessages: assign(() => delayedDeliveryUpdates.forgetMessages()),
      scheduleNextPoll: assign(({ context }) => delayedDeliveryUpdates.scheduleNextPoll({ context })),
      countPoll: assign(({ context }) => delayedDeliveryUpdates.countPoll({ context })),
      recordRejection: assign(({ context }) => {
        const r = context.checked;
        if (r?.kind === 'rejected') return { error: r.error };
        return { error: { code: 'ERR_UNEXPECTED_BODY', message: `unexpected ${r?.kind ?? 'empty'} response` } as SerializedCmpError };
      }),
      recordError: assign((_, error: unknown) => ({ error: toSerializedError(error) })),
      recordTimeout: assign({
        error: { code: 'ERR_TOTAL_TIMEOUT', message: `total timeout exceeded while waiting for the ${kind} answer` } as SerializedCmpError,
      }),
      settle: assign((_, outcome: 'done' | 'failed') => ({ outcome, request: undefined, responseDer: undefined })),
    },
  }).createMachine({
    id,
    context: ({ input }) => ({
      transaction: { transactionId: input.transactionId, pvno: 2, messagesSent: 0 },
      ...(input.deadline !== undefined ? { deadline: input.deadline } : {}),
      ...(input.kemProtected ? { kemProtected: true } : {}),
      polls: 0,
    }),
    initial: 'starting',
    states: {
      ...kemCiphertextStates('requesting', 'failed'),
      requesting: roundTrip(({ context }) => ({ kind, transaction: context.transaction }), `#${id}.answered`, `#${id}.failed`),
      answered: {
        always: [
          { guard: 'answered', target: 'done' },
          { guard: 'stillWaiting', target: 'waiting', actions: 'scheduleNextPoll' },
          { target: 'failed', actions: 'recordRejection' },
        ],
      },
      waiting: waitingState(`#${id}.polling`, `#${id}.failed`),
      polling: roundTrip(
        ({ context }) => ({ kind: 'pollReq', transaction: context.transaction }),
        `#${id}.answered`,
        `#${id}.failed`,
        () => kind,
      ),
      done: { type: 'final', entry: { type: 'settle', params: 'done' } },
      failed: { type: 'final', entry: { type: 'settle', params: 'failed' } },
    },
    output: ({ context }) => ({
      outcome: context.outcome ?? 'failed',
      transactionId: context.transaction.transactionId,
      polls: context.polls,
      ...(context.checked && context.outcome === 'done' ? { response: context.checked } : {}),
      ...(context.error ? { error: context.error } : {}),
    }),
  });
}
