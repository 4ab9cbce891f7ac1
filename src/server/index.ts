/** The embedded CMP CA server: the protocol core, its CA, an HTTP listener and a throwaway CA. */
export { createCmpServer, type CmpServer, type CmpServerState } from './handler';
export type { CmpServerConfig, IssuancePolicyConfig, RootCaKeyUpdateConfig, SharedSecret } from './config';
export type { AuthorizeIssuance, IssuanceRequest, IssuanceVerdict, ReferenceNames } from './issuance-authorization';
export { MemoryRecordStore, type NameBinding, type RecordChange, type RecordSnapshot, type RecordStore, type StoredCertificate } from './records';
export { JournalRecordStore, JOURNAL_FILE, type JournalOptions } from './records-journal';
export { CertificateAuthority, serialKey, type CaCredentials, type CaOptions, type CertificatePlan, type IssuedRecord, type Revocation } from './ca';
export { TransactionStore, type Transaction, type TransactionPhase, type TransactionKind } from './transactions';
export { listen, PKIXCMP, type ListenOptions, type Listener } from './http';
export { createThrowawayCa, type ThrowawayCa, type ThrowawayCaOptions, type ThrowawayFiles } from './throwaway-ca';
export { createCmpCluster, type CmpCluster, type CmpClusterOptions } from './cluster';
