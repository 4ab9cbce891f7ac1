/**
 * What the library-floor benches measure a session against: the enrollment machine's path for an
 * ir answered at once and confirmed (requesting, accepting, confirming) run by the session
 * services alone, without XState, and the machine alone with services that answer at once with
 * outputs of a real session's sizes. The modules are the build being measured (requireDist).
 */
import type * as Services from '../../src/client/services';
import type * as Setup from '../../src/client/setup';
import type * as Bytes from '../../src/bytes';
import type * as Crypto from '../../src/crypto';
import type * as RoundTrip from '../../machines/round-trip';
import type { BuildRequestInput, CheckedResponse, SessionServices, TransactionState } from '../../machines/actors';
import { requireDist } from './dist';

export interface ServicesSessionHooks {
  /** Each request's DER (base64) as it is sent. */
  sent?(der: string, bodyType: string): void;
  /** Each response's DER (base64) as it is received. */
  received?(der: string, bodyType: string): void;
}

/** One PBM ir and its certConf through the services of `setup`, in the machine's order. */
export async function irWithoutXstate(setup: Setup.ClientSetup, hooks: ServicesSessionHooks = {}): Promise<void> {
  const { createSessionServices } = requireDist<typeof Services>('src/client/services');
  const { afterSending, afterReceiving } = requireDist<typeof RoundTrip>('machines/round-trip');
  const services = createSessionServices(setup, { kind: 'ir' });
  try {
    let transaction: TransactionState = { transactionId: newTransactionId(), pvno: 2, messagesSent: 0 };
    const roundTrip = async (build: BuildRequestInput): Promise<CheckedResponse> => {
      const built = await services.buildRequest(build);
      transaction = afterSending(transaction, built);
      hooks.sent?.(built.der, built.bodyType);
      const { der } = await services.exchangeMessage({ der: built.der, bodyType: built.bodyType });
      hooks.received?.(der, built.bodyType);
      const checked = await services.checkResponse({ der, requestType: built.bodyType, transaction });
      transaction = afterReceiving(transaction, checked);
      return checked;
    };
    const answer = await roundTrip({ kind: 'ir', transaction });
    if (answer.kind !== 'certificate') throw new Error(`the ir was answered with ${answer.kind}`);
    const { certificate, chain, caPubs, extraCerts } = answer;
    const accept = await services.acceptCertificate({ certificate, chain, caPubs, extraCerts });
    const confirmed = await roundTrip({ kind: 'certConf', transaction, certificate, accept });
    if (confirmed.kind !== 'pkiConf') throw new Error(`the certConf was answered with ${confirmed.kind}`);
  } finally {
    services.close();
  }
}

export function newTransactionId(): string {
  const { toB64 } = requireDist<typeof Bytes>('src/bytes');
  const { getCryptoProvider } = requireDist<typeof Crypto>('src/crypto');
  return toB64(getCryptoProvider().randomBytes(16));
}

/**
 * Services that answer an ir session at once, with outputs of the sizes a real session passes
 * (base64 strings of certificate length); `restart()` before each session.
 */
export function cannedServices(): { services: SessionServices; restart(): void } {
  const { toB64 } = requireDist<typeof Bytes>('src/bytes');
  const b64 = (bytes: number) => toB64(new Uint8Array(bytes));
  const cert = b64(600);
  const issued: CheckedResponse = {
    kind: 'certificate',
    senderNonce: b64(16),
    certReqId: '0',
    certificate: cert,
    chain: [cert, cert, cert],
    caPubs: [cert],
    extraCerts: [cert, cert],
    implicitConfirmGranted: false,
    status: 0,
    statusName: 'accepted',
  };
  const confirmed: CheckedResponse = { kind: 'pkiConf', senderNonce: b64(16) };
  let answers = 0;
  return {
    services: {
      buildRequest: async (input) => ({ der: b64(1000), bodyType: input.kind, senderNonce: b64(16), pvno: 2, certReqId: '0' }),
      exchangeMessage: async () => ({ der: b64(2500) }),
      checkResponse: async () => (answers++ % 2 === 0 ? issued : confirmed),
      waitUntil: async () => ({ now: Date.now() }),
      acceptCertificate: async () => ({ accept: true }),
    },
    restart: () => {
      answers = 0;
    },
  };
}
