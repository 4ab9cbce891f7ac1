export * from './actors';
export { createEnrollmentMachine, enrollmentMachine } from './enrollment';
export type { EnrollmentInput, EnrollmentOutput, EnrollmentContext, EnrolledCertificate, EnrollmentMachine, EnrollmentMachineOf } from './enrollment';
export { createRevocationMachine, revocationMachine } from './revocation';
export { createGeneralMachine, generalMachine } from './general';
export type { SingleExchangeOutput, SingleExchangeMachineOf } from './single-exchange';
export type { ActorPer } from './round-trip';
export { actorsFrom, bindServices, placeholderActors, systemActors, waitUntilClock } from './services';
export { MACHINE_VERSION } from './version';
