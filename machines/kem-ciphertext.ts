/**
 * KEM-based MAC protection (RFC 9810 section 5.1.3.4) needs one step before a session's first
 * request: a genm asking the server for id-it-KemCiphertextInfo and the genp answering it, in the
 * same transaction. The `obtainKemCiphertext` actor does that exchange and keeps the shared secret;
 * the machine only learns the nonces, which the transaction's next request continues from.
 *
 * starting ─► kemCiphertextExchange ─► requesting      (kemProtected)
 *    └────────────────────────────────► requesting      (otherwise)
 */
import type { KemCiphertextInput, KemCiphertextOutput, TransactionState } from './actors';

/** The part of a session's context the KEM step reads and writes. */
export interface KemCiphertextContext {
  transaction: TransactionState;
  deadline?: number;
  /** The session's credential is a KEM key: the KEM exchange comes first. */
  kemProtected?: boolean;
}

/** The transaction after the KEM exchange: one message sent, and the genp's nonce to echo. */
export function afterKemCiphertext(transaction: TransactionState, output: KemCiphertextOutput): TransactionState {
  return { ...transaction, lastSenderNonce: output.sentNonce, recipNonce: output.receivedNonce, messagesSent: transaction.messagesSent + 1 };
}

/** The guard of `starting`. */
export const kemProtected = ({ context }: { context: KemCiphertextContext }) => context.kemProtected === true;

/**
 * `starting` (transient) and `kemCiphertextExchange`, going on to `then` or, when the exchange fails,
 * to `onFailure`. The machine's setup() must name the guard kemProtected and the actions
 * recordKemCiphertext and recordError.
 */
export function kemCiphertextStates(then: string, onFailure: string) {
  return {
    starting: {
      always: [{ guard: 'kemProtected' as const, target: 'kemCiphertextExchange' }, { target: then }],
    },
    kemCiphertextExchange: {
      tags: 'busy' as const,
      invoke: {
        id: 'obtainKemCiphertext',
        src: 'obtainKemCiphertext' as const,
        input: ({ context }: { context: KemCiphertextContext }): KemCiphertextInput => ({
          transaction: context.transaction,
          ...(context.deadline !== undefined ? { deadline: context.deadline } : {}),
        }),
        onDone: {
          target: then,
          actions: {
            type: 'recordKemCiphertext' as const,
            params: ({ event }: { event: { output: KemCiphertextOutput } }) => event.output,
          },
        },
        onError: {
          target: onFailure,
          actions: { type: 'recordError' as const, params: ({ event }: { event: { error: unknown } }) => event.error },
        },
      },
    },
  };
}
