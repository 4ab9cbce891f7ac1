/**
 * cmpflow/axios: a Transfer built on the application's own axios instance. Its own entry point, so
 * that the client entry never needs axios, which the package lists as an optional peer dependency.
 */
export { axiosTransfer } from '../transport/axios';
export type { AxiosTransferOptions } from '../transport/axios';
