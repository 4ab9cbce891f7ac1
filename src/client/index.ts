export { CmpClient } from './client';
export type { EnrollmentResult, RevocationResult, GeneralResult, TryCertReqResult, TryExchangeResult } from './client';
