/**
 * The three steps every CMP message exchange takes: build and protect the request, exchange it over
 * the transport, check the response. Each session machine composes its protocol out of these.
 */
import type { B64, BuiltRequest, CheckedResponse, PolledRequestKind, TransactionState } from './actors';

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
};

export const sendInput = ({ context }: { context: RoundTripContext }) => ({
  der: context.request!.der,
  bodyType: context.request!.bodyType,
  ...(context.deadline !== undefined ? { deadline: context.deadline } : {}),
});

export const checkInput = ({ context }: { context: RoundTripContext }) => ({
  der: context.responseDer!,
  requestType: context.request!.bodyType,
  transaction: context.transaction,
});

type BuildInputOf<TContext> = (args: { context: TContext }) => import('./actors').BuildRequestInput;

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
