/**
 * Turns plain async services into the XState actor logic the machines invoke by name. The
 * placeholders let a machine be created, drawn and inspected without services; running one without
 * providing them fails with a clear error instead of hanging.
 */
import { fromPromise, type ActorSystem, type AnyActorRef } from 'xstate';
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
  KemCiphertextInput,
  KemCiphertextOutput,
  RoundTripInput,
  RoundTripOutput,
  SessionServices,
  WaitInput,
  WaitOutput,
} from './actors';
import { runRoundTrip } from './round-trip';

function missing(name: string): never {
  throw new CmpError('ERR_INTERNAL', `the session's ${name} actor was not provided (see withServices)`);
}

export const placeholderActors = {
  buildRequest: fromPromise<BuiltRequest, BuildRequestInput>(async () => missing('buildRequest')),
  exchangeMessage: fromPromise<ExchangeOutput, ExchangeInput>(async () => missing('exchangeMessage')),
  checkResponse: fromPromise<CheckedResponse, CheckResponseInput>(async () => missing('checkResponse')),
  waitUntil: fromPromise<WaitOutput, WaitInput>(async () => missing('waitUntil')),
  acceptCertificate: fromPromise<CertAcceptance, AcceptCertificateInput>(async () => missing('acceptCertificate')),
  obtainKemCiphertext: fromPromise<KemCiphertextOutput, KemCiphertextInput>(async () => missing('obtainKemCiphertext')),
  roundTrip: fromPromise<RoundTripOutput, RoundTripInput>(async () => missing('roundTrip')),
};

function kemCiphertextOf(services: SessionServices, input: KemCiphertextInput, signal: AbortSignal): Promise<KemCiphertextOutput> {
  return services.obtainKemCiphertext ? services.obtainKemCiphertext(input, signal) : missing('obtainKemCiphertext');
}

/** The actor implementations for `machine.provide({ actors })`, from plain services. */
export function actorsFrom(services: SessionServices): typeof placeholderActors {
  return {
    buildRequest: fromPromise(({ input }) => services.buildRequest(input)),
    exchangeMessage: fromPromise(({ input, signal }) => services.exchangeMessage(input, signal)),
    checkResponse: fromPromise(({ input }) => services.checkResponse(input)),
    waitUntil: fromPromise(({ input, signal }) => services.waitUntil(input, signal)),
    acceptCertificate: fromPromise(({ input }) => services.acceptCertificate(input)),
    obtainKemCiphertext: fromPromise(({ input, signal }) => kemCiphertextOf(services, input, signal)),
    roundTrip: fromPromise(({ input, signal }) => runRoundTrip(services, input, signal)),
  };
}

/**
 * Session services by the actor system of the session they serve (each root actor has its own).
 * With them, one `machine.provide({ actors: systemActors })` serves every session: providing per
 * session would build the whole machine, every state node and transition, once per session.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyActorSystem = ActorSystem<any>;
const servicesBySystem = new WeakMap<AnyActorSystem, SessionServices>();

function servicesOf(system: AnyActorSystem): SessionServices {
  const services = servicesBySystem.get(system);
  if (!services) throw new CmpError('ERR_INTERNAL', "the session's services were not bound to its actor (see bindServices)");
  return services;
}

/** Actor implementations that run the services bound to their session with bindServices. */
export const systemActors: typeof placeholderActors = {
  buildRequest: fromPromise(({ input, system }) => servicesOf(system).buildRequest(input)),
  exchangeMessage: fromPromise(({ input, signal, system }) => servicesOf(system).exchangeMessage(input, signal)),
  checkResponse: fromPromise(({ input, system }) => servicesOf(system).checkResponse(input)),
  waitUntil: fromPromise(({ input, signal, system }) => servicesOf(system).waitUntil(input, signal)),
  acceptCertificate: fromPromise(({ input, system }) => servicesOf(system).acceptCertificate(input)),
  obtainKemCiphertext: fromPromise(({ input, signal, system }) => kemCiphertextOf(servicesOf(system), input, signal)),
  roundTrip: fromPromise(({ input, signal, system }) => runRoundTrip(servicesOf(system), input, signal)),
};

/** Binds a session's services to its root actor (before it starts) running a machine provided with systemActors. */
export function bindServices(actor: AnyActorRef, services: SessionServices): void {
  servicesBySystem.set(actor.system, services);
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
