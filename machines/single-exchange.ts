/**
 * Sessions that are one round trip: revocation (rr → rp) and general messages (genm → genp).
 *
 * requesting (building → sending → checking) ─► answered ─► done | failed
 *
 * What the answer means (e.g. rr's revocationWarning is a success with a warning) is decided by the
 * checkResponse service; the machine only tells success from failure.
 */
import { assign, setup } from 'xstate';
import type { SerializedCmpError } from '../src/errors';
import type { B64, BuiltRequest, CheckedResponse } from './actors';
import { toSerializedError } from './errors';
import { roundTripStates, roundTripUpdates, type RoundTripContext } from './round-trip';
import { placeholderActors } from './services';

export interface SingleExchangeInput {
  transactionId: B64;
}

export interface SingleExchangeContext extends RoundTripContext {
  error?: SerializedCmpError;
  outcome?: 'done' | 'failed';
}

export interface SingleExchangeOutput {
  outcome: 'done' | 'failed';
  transactionId: B64;
  response?: CheckedResponse;
  error?: SerializedCmpError;
}

export function createSingleExchangeMachine(id: string, kind: 'rr' | 'genm', answer: CheckedResponse['kind']) {
  return setup({
    types: {
      context: {} as SingleExchangeContext,
      input: {} as SingleExchangeInput,
      output: {} as SingleExchangeOutput,
      tags: {} as 'busy',
    },
    actors: placeholderActors,
    guards: {
      answered: ({ context }) => context.checked?.kind === answer,
    },
    actions: {
      recordSent: assign(({ context }, request: BuiltRequest) => roundTripUpdates.sent({ context }, request)),
      recordReceived: assign((_, der: B64) => roundTripUpdates.received(_, der)),
      recordChecked: assign(({ context }, checked: CheckedResponse) => roundTripUpdates.checked({ context }, checked)),
      recordRejection: assign(({ context }) => {
        const r = context.checked;
        if (r?.kind === 'rejected') return { error: r.error };
        return { error: { code: 'ERR_UNEXPECTED_BODY', message: `unexpected ${r?.kind ?? 'empty'} response` } as SerializedCmpError };
      }),
      recordError: assign((_, error: unknown) => ({ error: toSerializedError(error) })),
      settle: assign((_, outcome: 'done' | 'failed') => ({ outcome, request: undefined, responseDer: undefined })),
    },
  }).createMachine({
    id,
    context: ({ input }) => ({ transaction: { transactionId: input.transactionId, pvno: 2, messagesSent: 0 } }),
    initial: 'requesting',
    states: {
      requesting: roundTripStates<SingleExchangeContext>(
        ({ context }) => ({ kind, transaction: context.transaction }),
        `#${id}.answered`,
        `#${id}.failed`,
      ),
      answered: {
        always: [{ guard: 'answered', target: 'done' }, { target: 'failed', actions: 'recordRejection' }],
      },
      done: { type: 'final', entry: { type: 'settle', params: 'done' } },
      failed: { type: 'final', entry: { type: 'settle', params: 'failed' } },
    },
    output: ({ context }) => ({
      outcome: context.outcome ?? 'failed',
      transactionId: context.transaction.transactionId,
      ...(context.checked && context.outcome === 'done' ? { response: context.checked } : {}),
      ...(context.error ? { error: context.error } : {}),
    }),
  });
}
