/**
 * The machines CmpClient runs, each made on first use and provided once with systemActors (the
 * services are bound per session, see bindServices).
 *
 * Which shape: a session nobody watches runs the machines with one actor per round trip, the same
 * services in the same order, for less of XState's work (docs/benchmarks.md, thirteenth session);
 * a session the application inspects (`inspect`) runs them with an actor per step, so the inspector
 * shows building, sending and checking as states. Results, errors, `onStep` and persisted sessions
 * are the same in both: the two shapes share their context, output and quiet states, so a session
 * persisted by one resumes in the other.
 */
import type { AnyActorLogic } from 'xstate';
import { createEnrollmentMachine, type EnrollmentMachine } from '../../machines/enrollment';
import type { ActorPer } from '../../machines/round-trip';
import { systemActors } from '../../machines/services';
import { createGeneralMachine } from '../../machines/general';
import { createRevocationMachine } from '../../machines/revocation';
import type { SingleExchangeMachine } from '../../machines/single-exchange';

/** The sessions of one exchange (rr → rp, genm → genp), which wait only when the answer is delayed. */
export type ExchangeName = 'revocation' | 'general';

const made = new Map<string, AnyActorLogic>();

function once<T extends AnyActorLogic>(key: string, make: () => T): T {
  let machine = made.get(key);
  if (!machine) {
    machine = (make() as unknown as { provide(i: object): T }).provide({ actors: systemActors });
    made.set(key, machine);
  }
  return machine as T;
}

/**
 * Both shapes are typed as the step machine's: CmpClient reads only what the shapes share (input,
 * output, context, tags, the quiet states), never a busy state's name.
 */
export function enrollmentMachineFor(actorPer: ActorPer): EnrollmentMachine {
  return once(`enrollment:${actorPer}`, () => createEnrollmentMachine(actorPer) as unknown as EnrollmentMachine);
}

const createExchangeMachine = { revocation: createRevocationMachine, general: createGeneralMachine };

export function exchangeMachineFor(name: ExchangeName, actorPer: ActorPer): SingleExchangeMachine {
  return once(`${name}:${actorPer}`, () => createExchangeMachine[name](actorPer) as unknown as SingleExchangeMachine);
}
