export * from './actors';
export { enrollmentMachine } from './enrollment';
export type { EnrollmentInput, EnrollmentOutput, EnrollmentContext, EnrolledCertificate, EnrollmentMachine } from './enrollment';
export { revocationMachine } from './revocation';
export { generalMachine } from './general';
export type { SingleExchangeOutput } from './single-exchange';
export { actorsFrom, bindServices, placeholderActors, systemActors, waitUntilClock } from './services';
export { MACHINE_VERSION } from './version';
