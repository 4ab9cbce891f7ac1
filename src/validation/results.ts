/**
 * What a validated response means, in the domain's own values: certificates parsed, identifiers
 * and nonces as bytes, certReqId as the INTEGER it is, refusals as CmpError. Certificates that are
 * only handed on (caPubs, extraCerts) stay the exact encodings the server sent, because their
 * hashes and trust-store identities depend on those bytes. The machines' base64 JSON is made from
 * these by one adapter in src/client, so validation can be used without the machines.
 */
import type { X509Certificate } from '@peculiar/x509';
import type { CmpError } from '../errors';

/** A PKIStatusInfo with its names resolved: status name, failInfo bit names, free text. */
export interface StatusView {
  status: number;
  statusName: string;
  failInfo?: string[];
  statusString?: string[];
}

/** ip/cp/kup that issues a certificate. */
export interface IssuedCertificate extends StatusView {
  kind: 'certificate';
  senderNonce: Uint8Array;
  certReqId: bigint;
  certificate: X509Certificate;
  /** The validated chain [certificate, ..., anchor] when it could be built, else empty. */
  chain: X509Certificate[];
  caPubs: Uint8Array[];
  extraCerts: Uint8Array[];
  implicitConfirmGranted: boolean;
  /** Set when our own checks refuse the certificate (wrong key, not out-trusted): confirmation is negative. */
  refusal?: CmpError;
}

/** ip/cp/kup saying "waiting": poll at once. */
export interface CertificateWaiting extends StatusView {
  kind: 'waiting';
  senderNonce: Uint8Array;
  certReqId: bigint;
  checkAfter: number;
  receivedAt: number;
}

/** pollRep: ask again after `checkAfter` seconds. */
export interface PollWait {
  kind: 'pollWait';
  senderNonce: Uint8Array;
  certReqId: bigint;
  checkAfter: number;
  receivedAt: number;
  reason?: string[];
}

/** A certificate or revocation request the server refused. */
export interface Rejected extends Partial<StatusView> {
  kind: 'rejected';
  senderNonce: Uint8Array;
  error: CmpError;
}

export interface PkiConf {
  kind: 'pkiConf';
  senderNonce: Uint8Array;
}

export interface RevocationDone extends StatusView {
  kind: 'revocation';
  senderNonce: Uint8Array;
  warning?: string;
  extraCerts: Uint8Array[];
}

export interface GeneralResponse {
  kind: 'generalResponse';
  senderNonce: Uint8Array;
  /** Each InfoTypeAndValue as its OID and the exact DER of its value. */
  itavs: { infoType: string; value?: Uint8Array }[];
  extraCerts: Uint8Array[];
}

export type CertResponseResult = IssuedCertificate | CertificateWaiting | Rejected;
export type RevocationResult = RevocationDone | Rejected;
export type ValidatedResponse = CertResponseResult | PollWait | PkiConf | RevocationResult | GeneralResponse;
