/**
 * Validation of what the server sends: CMP responses, one `validate*` function per protocol step
 * (each throws a CmpError with a specific code), `processResponse` composing them, and RFC 5280
 * path validation.
 */
export { processResponse } from './response';
export type {
  CertRequestType,
  RequestType,
  ResponseExpectations,
  ResponseProtection,
  UnprotectedResponse,
} from './expectations';
export { validateResponseHeader, type ValidatedHeader } from './header';
export { validateResponseProtection, unprotectedException } from './protection';
export { validateResponseBody, expectedBodyTypes } from './body';
export { validateCertResponse, implicitConfirmGranted, expectedCertReqId, type CertResponseResult } from './cert-response';
export { validatePollRep, MAX_CHECK_AFTER_SECONDS, type PollWait } from './poll';
export { validatePkiConf, type PkiConf } from './confirmation';
export { validateRevocationResponse, type RevocationResult } from './revocation';
export { validateGeneralResponse, type GeneralResponse } from './general';
export { errorResponseError } from './error-message';
export { statusView, statusError, statusName, failInfoNames, freeTextStrings, describeStatus, PKIStatus, PKI_FAILURE_INFO_NAMES } from './status';
export { validatePath, findIssuers, isSelfIssued, isSelfSigned, type PathValidationOptions } from '../pki/path';
