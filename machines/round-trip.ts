/**
 * The three steps every CMP message exchange takes: build and protect the request, exchange it over
 * the transport, check the response. Each session machine composes its protocol out of these, in
 * one of two shapes (`ActorPer`): a state and an actor for each step, which the inspector shows and
 * an application replaces one by one; or one actor for the whole round trip, which runs the same
 * three services in the same order for about half of XState's work per exchange
 * (docs/benchmarks.md, thirteenth session). Both shapes have the same quiet states and context, so a
 * snapshot taken by one resumes in the other.
 */
import { CmpError } from '../src/errors';
import type {
  B64,
  BuiltRequest,
  CheckedResponse,
  CheckResponseInput,
  ExchangeInput,
  PolledRequestKind,
  RoundTripInput,
  RoundTripOutput,
  SessionServices,
  TransactionState,
} from './actors';

/** How finely a machine invokes its work: an actor per step of a round trip, or one per round trip. */
export type ActorPer = 'step' | 'roundTrip';

/** The part of a session's context that the round-trip steps read and write. */
export interface RoundTripContext {
  transaction: TransactionState;
  /** The request in flight (cleared in quiet states, so snapshots stay small). */
  request?: BuiltRequest;
  /** The response bytes in flight. */
  responseDer?: B64;
  /** The last checked response, read by the state that decides where to go next. */
  checked?: CheckedResponse;
  /** Absolute epoch ms by which the transaction must end: no exchange may outlast it. */
  deadline?: number;
}

/** The transaction after we sent `request`: its nonce is what the response must echo. */
export function afterSending(transaction: TransactionState, request: BuiltRequest): TransactionState {
  return {
    ...transaction,
    lastSenderNonce: request.senderNonce,
    pvno: request.pvno,
    messagesSent: transaction.messagesSent + 1,
    ...(request.certReqId !== undefined ? { certReqId: request.certReqId } : {}),
  };
}

/** The transaction after a checked response: our next request echoes its senderNonce. */
export function afterReceiving(transaction: TransactionState, response: CheckedResponse): TransactionState {
  const certReqId = 'certReqId' in response ? response.certReqId : undefined;
  return {
    ...transaction,
    recipNonce: response.senderNonce,
    ...(certReqId !== undefined ? { certReqId } : {}),
  };
}

/** Context updates of the round-trip actions every session machine names in its setup(). */
export const roundTripUpdates = {
  sent: ({ context }: { context: RoundTripContext }, request: BuiltRequest) => ({
    request,
    transaction: afterSending(context.transaction, request),
  }),
  received: (_: unknown, der: B64) => ({ responseDer: der }),
  checked: ({ context }: { context: RoundTripContext }, checked: CheckedResponse) => ({
    checked,
    transaction: afterReceiving(context.transaction, checked),
  }),
  /** The three updates above in their order, for the one actor of a round trip. */
  completed: ({ context }: { context: RoundTripContext }, { request, der, checked }: RoundTripOutput) => ({
    request,
    responseDer: der,
    checked,
    transaction: afterReceiving(afterSending(context.transaction, request), checked),
  }),
};

/** What the exchange step is given: the built request's bytes, and the transaction's deadline. */
export function exchangeInputOf(request: BuiltRequest, deadline: number | undefined): ExchangeInput {
  return { der: request.der, bodyType: request.bodyType, ...(deadline !== undefined ? { deadline } : {}) };
}

/** What the check step is given: the response's bytes and the transaction as it was when the request left. */
export function checkInputOf(
  request: BuiltRequest,
  der: B64,
  transaction: TransactionState,
  pollingFor: PolledRequestKind | undefined,
): CheckResponseInput {
  return { der, requestType: request.bodyType, transaction, ...(pollingFor !== undefined ? { pollingFor } : {}) };
}

export const sendInput = ({ context }: { context: RoundTripContext }) => exchangeInputOf(context.request!, context.deadline);

export const checkInput = ({ context }: { context: RoundTripContext }) =>
  checkInputOf(context.request!, context.responseDer!, context.transaction, undefined);

/**
 * The three steps run by one actor: the same services, in the same order, with the same inputs as
 * the states of roundTripStates give them (so the check sees the transaction after sending).
 */
export async function runRoundTrip(
  steps: Pick<SessionServices, 'buildRequest' | 'exchangeMessage' | 'checkResponse'>,
  input: RoundTripInput,
  signal?: AbortSignal,
): Promise<RoundTripOutput> {
  const request = await steps.buildRequest(input.build);
  // Stopped while building: as in the step shape, whose stopped machine never starts the exchange,
  // nothing is sent (a transport of the application's may not look at a signal already aborted).
  if (signal?.aborted) throw new CmpError('ERR_ABORTED', 'the session was stopped before its request was sent');
  const { der } = await steps.exchangeMessage(exchangeInputOf(request, input.deadline), signal);
  const checked = await steps.checkResponse(checkInputOf(request, der, afterSending(input.build.transaction, request), input.pollingFor));
  return { request, der, checked };
}

type BuildInputOf<TContext> = (args: { context: TContext }) => import('./actors').BuildRequestInput;

/** The arguments both shapes of a round trip take: what to build, where to go after, where to fail, what a poll awaits. */
export type RoundTripArgs<TContext> = [
  build: BuildInputOf<TContext>,
  then: string,
  onFailure: string,
  pollingFor?: (args: { context: TContext }) => PolledRequestKind,
];

/**
 * Both shapes of a round trip for a machine of context TContext, by `ActorPer`: a machine's
 * definition takes one of them as a parameter, and its type names that shape's states.
 */
export function roundTripShapes<TContext extends RoundTripContext>() {
  return {
    step: (...args: RoundTripArgs<TContext>) => roundTripStates<TContext>(...args),
    roundTrip: (...args: RoundTripArgs<TContext>) => roundTripState<TContext>(...args),
  };
}

/**
 * The states of one round trip, shared by every session machine: building → sending → checking,
 * then `then`; any failure goes to `onFailure`. A poll names with `pollingFor` the request whose
 * delayed answer it awaits, so that the check knows which final answer to accept. The machine's
 * setup() must name the actions recordSent, recordReceived, recordChecked and recordError.
 */
export function roundTripStates<TContext extends RoundTripContext>(
  build: BuildInputOf<TContext>,
  then: string,
  onFailure: string,
  pollingFor?: (args: { context: TContext }) => PolledRequestKind,
) {
  const fail = { target: onFailure, actions: { type: 'recordError' as const, params: ({ event }: { event: { error: unknown } }) => event.error } };
  return {
    tags: 'busy' as const,
    initial: 'building' as const,
    states: {
      building: {
        invoke: {
          id: 'buildRequest',
          src: 'buildRequest' as const,
          input: build,
          onDone: {
            target: 'sending',
            actions: { type: 'recordSent' as const, params: ({ event }: { event: { output: BuiltRequest } }) => event.output },
          },
          onError: fail,
        },
      },
      sending: {
        invoke: {
          id: 'exchangeMessage',
          src: 'exchangeMessage' as const,
          input: sendInput,
          onDone: {
            target: 'checking',
            actions: { type: 'recordReceived' as const, params: ({ event }: { event: { output: { der: B64 } } }) => event.output.der },
          },
          onError: fail,
        },
      },
      checking: {
        invoke: {
          id: 'checkResponse',
          src: 'checkResponse' as const,
          input: pollingFor ? (args: { context: TContext }) => ({ ...checkInput(args), pollingFor: pollingFor(args) }) : checkInput,
          onDone: {
            target: then,
            actions: { type: 'recordChecked' as const, params: ({ event }: { event: { output: CheckedResponse } }) => event.output },
          },
          onError: fail,
        },
      },
    },
  };
}

/**
 * A round trip as one state and one actor (`roundTrip`), then `then`; any failure goes to
 * `onFailure`. The same arguments as roundTripStates; the machine's setup() must name the actions
 * recordRoundTrip and recordError.
 */
export function roundTripState<TContext extends RoundTripContext>(
  build: BuildInputOf<TContext>,
  then: string,
  onFailure: string,
  pollingFor?: (args: { context: TContext }) => PolledRequestKind,
) {
  return {
    tags: 'busy' as const,
    invoke: {
      id: 'roundTrip',
      src: 'roundTrip' as const,
      input: (args: { context: TContext }): RoundTripInput => ({
        build: build(args),
        ...(args.context.deadline !== undefined ? { deadline: args.context.deadline } : {}),
        ...(pollingFor ? { pollingFor: pollingFor(args) } : {}),
      }),
      onDone: {
        target: then,
        actions: { type: 'recordRoundTrip' as const, params: ({ event }: { event: { output: RoundTripOutput } }) => event.output },
      },
      onError: { target: onFailure, actions: { type: 'recordError' as const, params: ({ event }: { event: { error: unknown } }) => event.error } },
    },
  };
}
