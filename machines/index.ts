/**
 * The session machines as applications import them (cmpflow/machines): each with an actor per step,
 * which the inspector shows. They are made here, where only an importer of the machines pays for
 * them; CmpClient makes the shapes it runs on first use (src/client/session-machines.ts).
 */
import { createEnrollmentMachine, type EnrollmentMachine } from './enrollment';
import { createGeneralMachine } from './general';
import { createRevocationMachine } from './revocation';
import type { SingleExchangeMachine } from './single-exchange';

export * from './actors';
export { createEnrollmentMachine } from './enrollment';
export type { EnrollmentInput, EnrollmentOutput, EnrollmentContext, EnrolledCertificate, EnrollmentMachine, EnrollmentMachineOf } from './enrollment';
export { createRevocationMachine } from './revocation';
export { createGeneralMachine } from './general';
export type { SingleExchangeOutput, SingleExchangeMachineOf, SingleExchangeMachine } from './single-exchange';
export type { ActorPer } from './round-trip';
export { actorsFrom, bindServices, placeholderActors, systemActors, waitUntilClock } from './services';
export { MACHINE_VERSION } from './version';

export const enrollmentMachine: EnrollmentMachine = createEnrollmentMachine();
export const revocationMachine: SingleExchangeMachine = createRevocationMachine();
export const generalMachine: SingleExchangeMachine = createGeneralMachine();
