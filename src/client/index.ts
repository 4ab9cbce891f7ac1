export { CmpClient } from './client';
export type { EnrollmentResult, RevocationResult, GeneralResult, TryCertReqResult } from './client';
