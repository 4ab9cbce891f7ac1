/**
 * Turns plain async services into the XState actor logic the machines invoke by name. The
 * placeholders let a machine be created, drawn and inspected without services; running one without
 * providing them fails with a clear error instead of hanging.
 */
import { fromPromise } from 'xstate';
import { CmpError } from '../src/errors';
import type {
  AcceptCertificateInput,
  BuildRequestInput,
  BuiltRequest,
  CertAcceptance,
  CheckedResponse,
  CheckResponseInput,
  ExchangeInput,
  ExchangeOutput,
  SessionServices,
  WaitInput,
  WaitOutput,
} from './actors';

function missing(name: string): never {
  throw new CmpError('ERR_INTERNAL', `the session's ${name} actor was not provided (see withServices)`);
}

export const placeholderActors = {
  buildRequest: fromPromise<BuiltRequest, BuildRequestInput>(async () => missing('buildRequest')),
  exchangeMessage: fromPromise<ExchangeOutput, ExchangeInput>(async () => missing('exchangeMessage')),
  checkResponse: fromPromise<CheckedResponse, CheckResponseInput>(async () => missing('checkResponse')),
  waitUntil: fromPromise<WaitOutput, WaitInput>(async () => missing('waitUntil')),
  acceptCertificate: fromPromise<CertAcceptance, AcceptCertificateInput>(async () => missing('acceptCertificate')),
};

/** The actor implementations for `machine.provide({ actors })`, from plain services. */
export function actorsFrom(services: SessionServices): typeof placeholderActors {
  return {
    buildRequest: fromPromise(({ input }) => services.buildRequest(input)),
    exchangeMessage: fromPromise(({ input, signal }) => services.exchangeMessage(input, signal)),
    checkResponse: fromPromise(({ input }) => services.checkResponse(input)),
    waitUntil: fromPromise(({ input, signal }) => services.waitUntil(input, signal)),
    acceptCertificate: fromPromise(({ input }) => services.acceptCertificate(input)),
  };
}

/** A wait that resolves at an absolute time and reports the clock, cancelled by the actor's signal. */
export function waitUntilClock(input: WaitInput, signal?: AbortSignal, now: () => number = Date.now): Promise<WaitOutput> {
  return new Promise((resolve, reject) => {
    const delay = Math.max(0, input.until - now());
    const timer = setTimeout(() => resolve({ now: now() }), delay);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new CmpError('ERR_ABORTED', 'wait cancelled'));
      },
      { once: true },
    );
  });
}
