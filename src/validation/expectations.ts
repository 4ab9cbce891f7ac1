/**
 * What a response must match: the request it answers and the transaction it belongs to. Every
 * `validate*` function of this folder takes the decoded message and these expectations.
 */
import type { Name } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import type { EnvelopeKey } from '../cms';
import type { VerifiedProtection, VerifyOptions } from '../protection/verify';
import type { PolledRequestKind, RequestKind } from '../protocol';

export interface ResponseExpectations {
  /** The body type of the request this response answers. */
  requestType: RequestKind;
  transactionId: Uint8Array;
  /** Our request's senderNonce, which the response must echo as recipNonce. */
  lastSenderNonce: Uint8Array;
  /** The sender the response must name: configured, or the pinned server certificate's subject (OpenSSL -expect_sender). */
  expectedSender?: Name;
  /** For ip/cp/kup and pollRep; default 0, or -1 when answering a p10cr. */
  certReqId?: bigint;
  /**
   * When polling (requestType 'pollReq'): the request whose answer is awaited. The final
   * response must then be its answer (ir -> ip, rr -> rp, certConf -> pkiconf, ...), as OpenSSL
   * insists; without it any of ip/cp/kup is taken.
   */
  pollingFor?: PolledRequestKind;
  /** DER SubjectPublicKeyInfo of the key we asked a certificate for. */
  requestedPublicKey?: Uint8Array;
  /**
   * Central key generation was asked for (RFC 9483 section 4.1.6): the response must carry the new key
   * encrypted with this, signed by a key generation authority; it is handed to onGeneratedKey, never
   * into the result, so that it stays out of the session's JSON.
   */
  generatedKey?: { decryptWith: EnvelopeKey; onKey: (pkcs8: Uint8Array) => void };
  /**
   * Indirect proof of possession was used (RFC 9810 section 5.2.8.3): the certificate may come back
   * encrypted (encryptedCert) and opens with the new key.
   */
  encryptedCert?: { decryptWith: EnvelopeKey };
  /** The certificate an rr asked to revoke, for checking the rp's revCerts. */
  revokedCert?: { issuer: Name; serialNumber: Uint8Array };
  /**
   * Accept missing or invalid protection of negative responses, exactly where OpenSSL's
   * -unprotected_errors does (violates RFC 9810; for broken servers only).
   */
  unprotectedErrors?: boolean;
  /** Validate the new certificate against these (OpenSSL -out_trusted). */
  outTrusted?: X509Certificate[];
  /** Build the new certificate's chain without the response's extraCerts (OpenSSL -no_cache_extracerts). */
  noCacheExtraCerts?: boolean;
  /** Passed to verifyPkiMessageProtection. */
  verify: VerifyOptions;
  /** Clock in epoch milliseconds; default Date.now. */
  now?: () => number;
  /**
   * Told how the response was protected once that check has passed, even if a later check fails:
   * OpenSSL keeps the validated server certificate of the last response (-srvcertout) this way.
   */
  onProtection?: (protection: ResponseProtection) => void;
}

/** Protection as validated: verified MAC or signature, or none when an unprotectedErrors exception applied. */
export type ResponseProtection = VerifiedProtection | UnprotectedResponse;

export interface UnprotectedResponse {
  kind: 'none';
  /** Whether the protection was absent or present but invalid. */
  ignored: 'missing' | 'invalid';
  /** Which exception allowed it, e.g. 'error message'. */
  exception: string;
}

export type { VerifiedProtection, VerifyOptions };
