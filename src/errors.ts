/**
 * The one error type of cmpflow. Every failure the library reports is a `CmpError` whose `code` is
 * stable across releases, so callers branch on `err.code`, never on message text (the style of
 * panva/jose's JOSEError). When the failure comes from the server's PKIStatusInfo, `status`,
 * `failInfo` (bit names of RFC 9810 PKIFailureInfo) and `statusString` carry what it said.
 *
 * Messages never contain secrets: callers must not interpolate pass phrases, keys or MAC inputs.
 */
export const ErrorCodes = {
  // decoding and encoding
  ERR_ASN1_DECODE: 'ERR_ASN1_DECODE',
  ERR_ASN1_TRAILING_DATA: 'ERR_ASN1_TRAILING_DATA',
  ERR_ASN1_INDEFINITE_LENGTH: 'ERR_ASN1_INDEFINITE_LENGTH',
  ERR_ASN1_LENGTH: 'ERR_ASN1_LENGTH',
  ERR_ASN1_ENCODE: 'ERR_ASN1_ENCODE',
  ERR_PEM: 'ERR_PEM',

  // options and credentials
  ERR_INVALID_OPTION: 'ERR_INVALID_OPTION',
  ERR_MISSING_OPTION: 'ERR_MISSING_OPTION',
  ERR_CREDENTIALS: 'ERR_CREDENTIALS',
  ERR_BAD_PASSPHRASE: 'ERR_BAD_PASSPHRASE',
  ERR_FILE: 'ERR_FILE',
  ERR_UNSUPPORTED_ALGORITHM: 'ERR_UNSUPPORTED_ALGORITHM',

  // protection of incoming messages
  ERR_PROTECTION_MISSING: 'ERR_PROTECTION_MISSING',
  ERR_PROTECTION_INVALID: 'ERR_PROTECTION_INVALID',
  ERR_PROTECTION_ALG_MISMATCH: 'ERR_PROTECTION_ALG_MISMATCH',
  ERR_PBM_ITERATIONS: 'ERR_PBM_ITERATIONS',
  ERR_NO_SECRET: 'ERR_NO_SECRET',
  ERR_SENDER_CERT_NOT_FOUND: 'ERR_SENDER_CERT_NOT_FOUND',
  ERR_SENDER_KID_MISMATCH: 'ERR_SENDER_KID_MISMATCH',
  ERR_SENDER_KEY_USAGE: 'ERR_SENDER_KEY_USAGE',
  ERR_SRVCERT_DID_NOT_SIGN: 'ERR_SRVCERT_DID_NOT_SIGN',

  // certificate path validation (RFC 5280)
  ERR_PATH_NO_ANCHOR: 'ERR_PATH_NO_ANCHOR',
  ERR_PATH_SIGNATURE: 'ERR_PATH_SIGNATURE',
  ERR_PATH_EXPIRED: 'ERR_PATH_EXPIRED',
  ERR_PATH_NOT_YET_VALID: 'ERR_PATH_NOT_YET_VALID',
  ERR_PATH_NOT_CA: 'ERR_PATH_NOT_CA',
  ERR_PATH_LENGTH: 'ERR_PATH_LENGTH',
  ERR_PATH_KEY_USAGE: 'ERR_PATH_KEY_USAGE',
  ERR_PATH_NAME_CHAINING: 'ERR_PATH_NAME_CHAINING',
  ERR_PATH_CRITICAL_EXTENSION: 'ERR_PATH_CRITICAL_EXTENSION',

  // response validation (one per rule)
  ERR_UNEXPECTED_SENDER: 'ERR_UNEXPECTED_SENDER',
  ERR_UNEXPECTED_PVNO: 'ERR_UNEXPECTED_PVNO',
  ERR_TRANSACTION_ID_MISMATCH: 'ERR_TRANSACTION_ID_MISMATCH',
  ERR_RECIP_NONCE_MISMATCH: 'ERR_RECIP_NONCE_MISMATCH',
  ERR_UNEXPECTED_BODY: 'ERR_UNEXPECTED_BODY',
  ERR_CERT_REQ_ID_MISMATCH: 'ERR_CERT_REQ_ID_MISMATCH',
  ERR_WRONG_CERT_RESPONSE_COUNT: 'ERR_WRONG_CERT_RESPONSE_COUNT',
  ERR_PUBLIC_KEY_MISMATCH: 'ERR_PUBLIC_KEY_MISMATCH',
  ERR_NO_CERTIFICATE: 'ERR_NO_CERTIFICATE',
  ERR_ENCRYPTED_CERT_UNSUPPORTED: 'ERR_ENCRYPTED_CERT_UNSUPPORTED',
  ERR_CAPUBS_UNTRUSTED: 'ERR_CAPUBS_UNTRUSTED',
  ERR_NEW_CERT_UNTRUSTED: 'ERR_NEW_CERT_UNTRUSTED',
  ERR_REVOCATION_MISMATCH: 'ERR_REVOCATION_MISMATCH',
  ERR_ROOT_CA_KEY_UPDATE: 'ERR_ROOT_CA_KEY_UPDATE',
  ERR_CHECK_AFTER: 'ERR_CHECK_AFTER',

  // protocol outcomes
  ERR_REQUEST_REJECTED: 'ERR_REQUEST_REJECTED',
  ERR_ERROR_RESPONSE: 'ERR_ERROR_RESPONSE',
  ERR_CERT_REJECTED_BY_CLIENT: 'ERR_CERT_REJECTED_BY_CLIENT',
  ERR_UNEXPECTED_STATUS: 'ERR_UNEXPECTED_STATUS',
  ERR_ABORTED: 'ERR_ABORTED',
  ERR_TOTAL_TIMEOUT: 'ERR_TOTAL_TIMEOUT',

  // transport
  ERR_TRANSPORT: 'ERR_TRANSPORT',
  ERR_TIMEOUT: 'ERR_TIMEOUT',
  ERR_HTTP_STATUS: 'ERR_HTTP_STATUS',
  ERR_CONTENT_TYPE: 'ERR_CONTENT_TYPE',
  ERR_RESPONSE_TOO_LARGE: 'ERR_RESPONSE_TOO_LARGE',
  ERR_CONNECTION: 'ERR_CONNECTION',

  // sessions
  ERR_SNAPSHOT_INVALID: 'ERR_SNAPSHOT_INVALID',
  ERR_SNAPSHOT_VERSION: 'ERR_SNAPSHOT_VERSION',
  ERR_SESSION_STATE: 'ERR_SESSION_STATE',

  ERR_INTERNAL: 'ERR_INTERNAL',
  ERR_PATH_NAME_CONSTRAINTS: 'ERR_PATH_NAME_CONSTRAINTS',
  ERR_PATH_POLICY: 'ERR_PATH_POLICY',
  ERR_PATH_INVALID_EXTENSION: 'ERR_PATH_INVALID_EXTENSION',
  ERR_TLS: 'ERR_TLS',
  ERR_SENDER_NONCE_MISSING: 'ERR_SENDER_NONCE_MISSING',
  ERR_WRONG_POLL_REP_COUNT: 'ERR_WRONG_POLL_REP_COUNT',
  ERR_VERIFICATION_BUDGET: 'ERR_VERIFICATION_BUDGET',
  // revocation checking (OpenSSL -crl_check, -crl_check_all)
  ERR_PATH_REVOKED: 'ERR_PATH_REVOKED',
  ERR_PATH_CRL_MISSING: 'ERR_PATH_CRL_MISSING',
  ERR_PATH_CRL_SIGNATURE: 'ERR_PATH_CRL_SIGNATURE',
  ERR_PATH_CRL_EXPIRED: 'ERR_PATH_CRL_EXPIRED',
  ERR_PATH_CRL_NOT_YET_VALID: 'ERR_PATH_CRL_NOT_YET_VALID',
  // verification parameters (OpenSSL -verify_hostname, -verify_email, -verify_ip, -purpose, -auth_level, -x509_strict)
  ERR_PATH_IDENTITY_MISMATCH: 'ERR_PATH_IDENTITY_MISMATCH',
  ERR_PATH_PURPOSE: 'ERR_PATH_PURPOSE',
  ERR_PATH_SECURITY_LEVEL: 'ERR_PATH_SECURITY_LEVEL',
  ERR_PATH_X509_STRICT: 'ERR_PATH_X509_STRICT',
  ERR_PATH_SUITE_B: 'ERR_PATH_SUITE_B',
  ERR_PATH_PROXY_CERTIFICATE: 'ERR_PATH_PROXY_CERTIFICATE',
  // CMS (central key generation, RFC 9483 section 4.1.6)
  ERR_CMS_DECRYPT: 'ERR_CMS_DECRYPT',
  ERR_CMS_SIGNATURE: 'ERR_CMS_SIGNATURE',
  // fleet work: the queue's store (Redis) cannot be reached or refused an operation
  ERR_QUEUE: 'ERR_QUEUE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface CmpErrorDetails {
  /** PKIStatus number the server sent (0 accepted … 6 keyUpdateWarning). */
  status?: number;
  /** PKIFailureInfo bit names the server set, e.g. ['badPOP', 'badRequest']. */
  failInfo?: string[];
  /** The server's PKIFreeText, joined. */
  statusString?: string[];
  /**
   * The options the message names, by their library (CmpClientOptions) names; the first is the
   * message's `option: ` prefix when it has one. Front ends with other option names (the CLI's
   * `-newkey`) translate these mentions and nothing else of the text.
   */
  options?: readonly string[];
  cause?: unknown;
}

export class CmpError extends Error {
  readonly code: ErrorCode;
  readonly status?: number;
  readonly failInfo?: string[];
  readonly statusString?: string[];
  readonly options?: readonly string[];

  constructor(code: ErrorCode, message: string, details: CmpErrorDetails = {}) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'CmpError';
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    if (details.failInfo !== undefined) this.failInfo = details.failInfo;
    if (details.statusString !== undefined) this.statusString = details.statusString;
    if (details.options !== undefined) this.options = details.options;
  }

  /** A JSON-safe view, e.g. for a machine's context or the CLI. Never contains the cause chain. */
  toJSON(): SerializedCmpError {
    return {
      code: this.code,
      message: this.message,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.failInfo !== undefined ? { failInfo: this.failInfo } : {}),
      ...(this.statusString !== undefined ? { statusString: this.statusString } : {}),
    };
  }

  static fromJSON(e: SerializedCmpError): CmpError {
    return new CmpError(e.code, e.message, e);
  }
}

export interface SerializedCmpError {
  code: ErrorCode;
  message: string;
  status?: number;
  failInfo?: string[];
  statusString?: string[];
}

export function isCmpError(e: unknown, code?: ErrorCode): e is CmpError {
  return e instanceof CmpError && (code === undefined || e.code === code);
}

/** Wraps anything thrown by a lower layer into a CmpError, keeping a CmpError as it is. */
export function asCmpError(e: unknown, code: ErrorCode, message: string): CmpError {
  if (e instanceof CmpError) return e;
  return new CmpError(code, message, { cause: e });
}
