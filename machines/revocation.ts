/** The revocation session: rr → rp. See single-exchange.ts for the statechart. */
import type { ActorPer } from './round-trip';
import { createSingleExchangeMachine, type SingleExchangeMachineOf } from './single-exchange';

/** The revocation machine with its round trips in the shape `actorPer` asks for (see createEnrollmentMachine). */
export function createRevocationMachine<A extends ActorPer = 'step'>(actorPer: A = 'step' as A): SingleExchangeMachineOf<A> {
  return createSingleExchangeMachine('revocation', 'rr', 'revocation', actorPer);
}
