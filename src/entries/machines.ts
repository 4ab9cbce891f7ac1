/**
 * cmpflow/machines: the XState machines and the contract of the actors they invoke, for an
 * application that runs a session itself (its own actors, inspection, persistence) instead of
 * through CmpClient. createSessionServices and setupClient give it the services CmpClient uses.
 */
import 'reflect-metadata';

export {
  enrollmentMachine,
  revocationMachine,
  generalMachine,
  createEnrollmentMachine,
  createRevocationMachine,
  createGeneralMachine,
  actorsFrom,
  systemActors,
  bindServices,
  ActorNames,
  MACHINE_VERSION,
} from '../../machines';
export type {
  SessionServices,
  B64,
  RequestKind,
  CertRequestKind,
  TransactionState,
  BuildRequestInput,
  BuiltRequest,
  ExchangeInput,
  ExchangeOutput,
  CheckResponseInput,
  CheckedResponse,
  PkiStatusView,
  AcceptCertificateInput,
  CertAcceptance,
  WaitInput,
  WaitOutput,
  EnrollmentInput,
  EnrollmentOutput,
  EnrollmentContext,
  EnrolledCertificate,
  EnrollmentMachine,
  EnrollmentMachineOf,
  SingleExchangeOutput,
  SingleExchangeMachineOf,
  ActorPer,
  RoundTripInput,
  RoundTripOutput,
} from '../../machines';
export { createSessionServices } from '../client/services';
export { setupClient } from '../client/setup';
