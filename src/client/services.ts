/**
 * The services behind one session's actors, closed over the client's setup (which holds the
 * credentials): this is where secrets meet the machines, without ever entering their context.
 */
import type { CertRequestKind, SessionServices } from '../../machines/actors';
import type { X509Certificate } from '@peculiar/x509';
import { waitUntilClock } from '../../machines/services';
import { fromB64, toB64 } from '../bytes';
import { certificateFromDer } from '../pki/certificate-cache';
import { buildRequest, type SessionSpec } from './build-request';
import { obtainKemCiphertext } from './kem-ciphertext-exchange';
import { checkResponse, type SessionExpectations } from './check-response';
import { adoptStoredRequest, replayedTransaction, type AdoptedRequest } from './stored-request';
import type { ClientSetup, SessionTransfer } from './setup';
import { CmpError } from '../errors';

export interface SessionOptions extends SessionSpec, SessionExpectations {
  /**
   * For tryCertReq, where the caller decides when to poll: this many waits for a future time end
   * at once, and any later one lasts until the session is stopped. By default waits follow the clock.
   */
  immediateWaits?: number;
}

/** OpenSSL's default -msg_timeout, in seconds. */
const DEFAULT_MSG_TIMEOUT_S = 120;

/** A wait that ends only when its actor is stopped: the session rests in `waiting` until persisted. */
function hold(signal?: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new CmpError('ERR_ABORTED', 'wait cancelled')), { once: true }));
}

export interface OpenSessionServices extends SessionServices {
  /** Ends the session's connections. */
  close(): void;
  /** The server certificate that signed the last response whose protection held, if a signature did. */
  validatedSigner(): X509Certificate | undefined;
  /** The centrally generated key the CA returned, PKCS#8, once its response has been checked. */
  generatedKey(): Uint8Array | undefined;
}

/**
 * `connection`, when given, belongs to the caller and outlives the session (tryCertReq keeps one
 * per client, as OpenSSL keeps its HTTP connection in the CTX); otherwise the session opens its
 * own and close() ends it.
 */
export function createSessionServices(setup: ClientSetup, session: SessionOptions, connection?: SessionTransfer): OpenSessionServices {
  const own = connection === undefined ? setup.openTransfer() : undefined;
  const transfer = (connection ?? own!).transfer;
  const close = own ? own.close : () => undefined;
  // The request a file transfer sent in place of the built one (-reqin), until the next exchange:
  // its response must answer that request, not ours.
  let adopted: AdoptedRequest | undefined;
  // Once a stored request has gone out, the transaction is the one it named, as OpenSSL then takes
  // the transactionID of its response: requests built later, and their answers, use it too.
  let storedTransactionId: string | undefined;
  const inStoredTransaction = <T extends { transaction: { transactionId: string } }>(input: T): T =>
    storedTransactionId === undefined ? input : { ...input, transaction: { ...input.transaction, transactionId: storedTransactionId } };
  let immediateWaits = session.immediateWaits;
  let signer: X509Certificate | undefined;
  let generatedKey: Uint8Array | undefined;
  // KEM-based MAC: this transaction's shared secret, from obtainKemCiphertext; only here, never in the machine.
  let kemSharedSecret: Uint8Array | undefined;
  const kemProtection = () =>
    setup.protection.kind === 'kemMac' ? { ...setup.protection, ...(kemSharedSecret ? { sharedSecret: kemSharedSecret } : {}) } : undefined;
  const expectations = () => (kemSharedSecret ? { ...session, kemSharedSecret } : session);
  const waitUntil: SessionServices['waitUntil'] = (input, signal) => {
    if (immediateWaits === undefined) return waitUntilClock(input, signal, setup.now);
    // A poll already due (a `waiting` ip asks for one at once, as OpenSSL does) is not a rest.
    if (input.until <= setup.now()) return Promise.resolve({ now: setup.now() });
    if (immediateWaits > 0) {
      immediateWaits -= 1;
      return Promise.resolve({ now: setup.now() });
    }
    return hold(signal);
  };
  const services: OpenSessionServices = {
    close,
    validatedSigner: () => signer,
    generatedKey: () => generatedKey,
    async buildRequest(input) {
      // A resumed session never has its KEM secret (it is not persisted): a new KEM exchange in the same transaction first.
      if (setup.protection.kind === 'kemMac' && !kemSharedSecret) await services.obtainKemCiphertext!({ transaction: input.transaction });
      return buildRequest(setup, session, inStoredTransaction(input), kemProtection());
    },
    async obtainKemCiphertext(input, signal) {
      const exchange = async (der: string) =>
        (await services.exchangeMessage({ der, bodyType: 'genm', ...(input.deadline !== undefined ? { deadline: input.deadline } : {}) }, signal))
          .der;
      const result = await obtainKemCiphertext(setup, session, inStoredTransaction(input), exchange);
      kemSharedSecret?.fill(0);
      kemSharedSecret = result.sharedSecret;
      return result.output;
    },
    async exchangeMessage(input, signal) {
      // As OpenSSL: each message gets -msg_timeout, cut to what the total timeout leaves.
      const perMessage = (setup.options.msgTimeout ?? DEFAULT_MSG_TIMEOUT_S) * 1000;
      const left = input.deadline !== undefined ? input.deadline - setup.now() : Infinity;
      if (left <= 0) throw new CmpError('ERR_TOTAL_TIMEOUT', 'total timeout exceeded before the message could be sent');
      const limitedByTotal = left < perMessage || (perMessage === 0 && left !== Infinity);
      const timeoutMs = limitedByTotal ? Math.ceil(left) : perMessage;
      adopted = undefined;
      const built = fromB64(input.der);
      const adoptRequest = async (stored: Uint8Array, how: { newTransactionId: boolean }) => {
        adopted = await adoptStoredRequest(setup, stored, built, how.newTransactionId);
        storedTransactionId = toB64(adopted.transactionId);
        return adopted.der;
      };
      const responseReplayed = (response: Uint8Array) => {
        adopted = replayedTransaction(response, built);
        storedTransactionId = toB64(adopted.transactionId);
      };
      try {
        // The optional part last: a literal that starts with a spread gets a new map on every call.
        const response = await transfer(built, {
          bodyType: input.bodyType,
          timeoutMs,
          adoptRequest,
          responseReplayed,
          ...(signal ? { signal } : {}),
        });
        return { der: toB64(response) };
      } catch (e) {
        if (limitedByTotal && e instanceof CmpError && e.code === 'ERR_TIMEOUT') {
          throw new CmpError('ERR_TOTAL_TIMEOUT', `total timeout exceeded while waiting for the ${input.bodyType} answer`, { cause: e });
        }
        throw e;
      }
    },
    checkResponse: (input) =>
      checkResponse(
        setup,
        expectations(),
        adopted
          ? {
              ...input,
              transaction: { ...input.transaction, transactionId: toB64(adopted.transactionId), lastSenderNonce: toB64(adopted.senderNonce) },
            }
          : inStoredTransaction(input),
        (validated) => {
          signer = validated;
        },
        (pkcs8) => {
          generatedKey = pkcs8;
        },
      ),
    waitUntil,
    async acceptCertificate(input) {
      if (input.refusal) {
        return { accept: false, failInfo: input.refusal.failInfo ?? ['incorrectData'], text: input.refusal.message, code: input.refusal.code };
      }
      const hook = setup.options.acceptCertificate;
      if (!hook) return { accept: true };
      const toCert = (b64: string) => certificateFromDer(fromB64(b64), 'a certificate of the session');
      return hook({
        certificate: toCert(input.certificate),
        chain: input.chain.map(toCert),
        caPubs: input.caPubs.map(toCert),
        extraCerts: input.extraCerts.map(toCert),
      });
    },
  };
  return services;
}

export type { CertRequestKind };
