/**
 * cmpflow: a Certificate Management Protocol (RFC 9810) client built on XState machines.
 *
 * This entry holds what a client application uses. The machines, the ASN.1 classes and the
 * embedded CA have entries of their own (cmpflow/machines, cmpflow/asn1, cmpflow/server), so
 * that each can grow without the others' names, and a client never loads the CA.
 */
import 'reflect-metadata';

export { CmpClient } from './client';
export type { EnrollmentResult, RevocationResult, GeneralResult, TryCertReqResult, TryExchangeResult } from './client';
export type { RootCaUpdate } from './client/general-requests';
export type { CmpClientOptions, CertificateDecision, NewCertificateInfo, InfoTypeAndValueInput, GeneralNameInput, SessionStep } from './options';
export { CmpError, ErrorCodes, isCmpError } from './errors';
export type { ErrorCode, SerializedCmpError } from './errors';
export { createHttpTransfer, createFileTransfer } from './transport';
export type { Transfer, TransferContext } from './transport';
export {
  persistSession,
  parsePersistedSession,
  resumeOptions,
  sessionTransactionId,
  MemorySessionStore,
  FileSessionStore,
  autosaveSession,
  sanitizingInspector,
  createFlowRecorder,
} from './session';
export type { PersistedSession, SessionStore, FlowRecorder, FlowRecording } from './session';
export { getCryptoProvider, setCryptoProvider, NodeCryptoProvider, WebCryptoProvider } from './crypto';
export type { CryptoProvider, PrivateKeyHandle, SignatureAlgorithm, HashName, KeySpec } from './crypto';
export { loadCertificates, loadCertificateSet, loadPrivateKey, loadPkcs12, resolvePassphrase } from './credentials';
export { validatePath } from './pki/path';
export { generateMlKemKey, mlKemPrivateKeyFromPkcs8, MlKemPrivateKey, ML_KEM_VARIANTS } from './crypto/ml-kem';
export type { MlKemVariant } from './crypto/ml-kem';
export { clearPbmKeyCache } from './protection';
