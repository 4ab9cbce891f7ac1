/**
 * Validation of what the server sends: CMP responses, one `validate*` function per protocol step
 * (each throws a CmpError with a specific code) and `processResponse` composing them. Their
 * answers are domain values; path validation is src/pki's.
 */
export { processResponse } from './response';
export type { CertRequestKind, RequestKind } from '../protocol';
export type { ResponseExpectations, ResponseProtection, UnprotectedResponse } from './expectations';
export { validateResponseHeader, type ValidatedHeader } from './header';
export { validateResponseProtection } from './protection';
export { validateResponseBody, expectedBodyTypes } from './body';
export type {
  ValidatedResponse,
  StatusView,
  IssuedCertificate,
  CertificateWaiting,
  PollWait,
  Rejected,
  PkiConf,
  RevocationDone,
  GeneralResponse,
  CertResponseResult,
  RevocationResult,
} from './results';
export { validateCertResponse, expectedCertReqId } from './cert-response';
export { validatePollRep, MAX_CHECK_AFTER_SECONDS } from './poll';
export { validatePkiConf } from './confirmation';
export { validateRevocationResponse } from './revocation';
export { validateGeneralResponse } from './general';
export { errorResponseError } from './error-message';
export { statusView, statusError, statusName, freeTextStrings, describeStatus } from './status';
