/**
 * The services behind one session's actors, closed over the client's setup (which holds the
 * credentials): this is where secrets meet the machines, without ever entering their context.
 */
import type { CertRequestKind, SessionServices } from '../../machines/actors';
import { waitUntilClock } from '../../machines/services';
import { fromB64, toB64 } from '../message/bytes';
import { certificateFromDer } from '../validation/certificate-cache';
import { buildRequest, type SessionSpec } from './build-request';
import { checkResponse, type SessionExpectations } from './check-response';
import type { ClientSetup } from './setup';
import { CmpError } from '../errors';

export interface SessionOptions extends SessionSpec, SessionExpectations {
  /**
   * For tryCertReq, where the caller decides when to poll: this many waits for a future time end
   * at once, and any later one lasts until the session is stopped. By default waits follow the clock.
   */
  immediateWaits?: number;
}

/** A wait that ends only when its actor is stopped: the session rests in `waiting` until persisted. */
function hold(signal?: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new CmpError('ERR_ABORTED', 'wait cancelled')), { once: true }));
}

export interface OpenSessionServices extends SessionServices {
  /** Ends the session's connections. */
  close(): void;
}

export function createSessionServices(setup: ClientSetup, session: SessionOptions): OpenSessionServices {
  const { transfer, close } = setup.openTransfer();
  let immediateWaits = session.immediateWaits;
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
  return {
    close,
    buildRequest: (input) => buildRequest(setup, session, input),
    async exchangeMessage(input, signal) {
      const response = await transfer(fromB64(input.der), {
        ...(signal ? { signal } : {}),
        bodyType: input.bodyType,
      });
      return { der: toB64(response) };
    },
    checkResponse: (input) => checkResponse(setup, session, input),
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
}

export type { CertRequestKind };
