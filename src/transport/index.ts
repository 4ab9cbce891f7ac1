export type { Transfer, TransferContext } from './types';
export { createHttpTransfer, httpTransferFactory } from './http';
export type { HttpTransfer, HttpTransferOptions, HttpTlsOptions } from './http';
export { createFileTransfer } from './file';
export type { FileTransferOptions } from './file';
export type { CertificateSource, PrivateKeySource } from './tls-material';
export { parseServerAddress, parseProxyAddress, isProxyBypassed } from './address';
export type { ServerAddress, ProxyAddress } from './address';
