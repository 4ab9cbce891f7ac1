/** The general message session: genm → genp. See single-exchange.ts for the statechart. */
import type { ActorPer } from './round-trip';
import { createSingleExchangeMachine, type SingleExchangeMachineOf } from './single-exchange';

/** The general message machine with its round trips in the shape `actorPer` asks for (see createEnrollmentMachine). */
export function createGeneralMachine<A extends ActorPer = 'step'>(actorPer: A = 'step' as A): SingleExchangeMachineOf<A> {
  return createSingleExchangeMachine('general', 'genm', 'generalResponse', actorPer);
}
