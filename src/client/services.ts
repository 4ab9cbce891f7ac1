/**
 * The services behind one session's actors, closed over the client's setup (which holds the
 * credentials): this is where secrets meet the machines, without ever entering their context.
 */
import { X509Certificate } from '@peculiar/x509';
import type { CertRequestKind, SessionServices } from '../../machines/actors';
import { waitUntilClock } from '../../machines/services';
import { fromB64, toArrayBuffer, toB64 } from '../message/bytes';
import { buildRequest, type SessionSpec } from './build-request';
import { checkResponse, type SessionExpectations } from './check-response';
import type { ClientSetup } from './setup';

export interface SessionOptions extends SessionSpec, SessionExpectations {
  /** Do not wait between polls (tryCertReq: the caller decides when to poll). */
  pollImmediately?: boolean;
}

export function createSessionServices(setup: ClientSetup, session: SessionOptions): SessionServices {
  return {
    buildRequest: (input) => buildRequest(setup, session, input),
    async exchangeMessage(input, signal) {
      const response = await setup.transfer(fromB64(input.der), {
        ...(signal ? { signal } : {}),
        bodyType: input.bodyType,
      });
      return { der: toB64(response) };
    },
    checkResponse: (input) => checkResponse(setup, session, input),
    waitUntil: (input, signal) =>
      session.pollImmediately ? Promise.resolve({ now: setup.now() }) : waitUntilClock(input, signal, setup.now),
    async acceptCertificate(input) {
      const hook = setup.options.acceptCertificate;
      if (!hook) return { accept: true };
      const toCert = (b64: string) => new X509Certificate(toArrayBuffer(fromB64(b64)));
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
