/**
 * cmpflow: a Certificate Management Protocol (RFC 9810) client built on XState machines.
 */
import 'reflect-metadata';

export { CmpClient } from './client';
export type { EnrollmentResult, RevocationResult, GeneralResult, TryCertReqResult } from './client';
export type { RootCaUpdate } from './client/general-requests';
export type { CmpClientOptions, CertificateDecision, NewCertificateInfo, InfoTypeAndValueInput, GeneralNameInput } from './options';
export { CmpError, ErrorCodes, isCmpError } from './errors';
export type { ErrorCode, SerializedCmpError } from './errors';
export { decodePkiMessage, encodePkiMessage, rawPkiMessage, protectedPartBytes, dumpPkiMessage, readMessageFile } from './asn1';
export * as asn1 from './asn1';
export { enrollmentMachine, revocationMachine, generalMachine, actorsFrom, MACHINE_VERSION } from '../machines';
export type { SessionServices } from '../machines';
export { createSessionServices } from './client/services';
export { setupClient } from './client/setup';
export { createHttpTransfer, createFileTransfer } from './transport';
export type { Transfer, TransferContext } from './transport';
export { persistSession, parsePersistedSession, resumeOptions, sessionTransactionId, MemorySessionStore, FileSessionStore, autosaveSession, sanitizingInspector } from './session';
export type { PersistedSession, SessionStore } from './session';
export { getCryptoProvider, setCryptoProvider, NodeCryptoProvider, WebCryptoProvider } from './crypto';
export type { CryptoProvider, PrivateKeyHandle, SignatureAlgorithm, HashName, KeySpec } from './crypto';
export { loadCertificates, loadCertificateSet, loadPrivateKey, loadPkcs12, resolvePassphrase } from './credentials';
export { validatePath } from './pki/path';
export { clearPbmKeyCache } from './protection';
export { createCmpServer, listen, createThrowawayCa } from './server';
export type { CmpServer, CmpServerConfig, Listener, ThrowawayCa } from './server';
