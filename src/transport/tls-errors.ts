/**
 * What a failed TLS connection means, said in a sentence a user can act on. Node reports TLS
 * failures by OpenSSL reason (an alert from the peer, a verification result), often with
 * OpenSSL's internal error-queue text around it; the reason alone is what matters.
 */

/** Alerts from the server about our certificate, and verification results about its certificate. */
const EXPLANATIONS: Record<string, string> = {
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS, or no TLS version we offer (1.2 or later)',
  ERR_SSL_UNKNOWN_PROTOCOL: 'the server does not speak TLS',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the server requires a TLS client certificate, and none was given',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE:
    'the server refused the handshake (it may require a TLS client certificate, or share no cipher or protocol version with us)',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the server does not trust the issuer of our TLS client certificate (is its chain complete?)',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the server rejected our TLS client certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'the server rejected our TLS client certificate as expired',
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR: 'the server could not verify our TLS handshake signature',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate does not chain to a trusted certificate (self-signed certificate in its chain)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed and not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the server certificate is not among the trusted certificates',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer of the server certificate is not among the trusted certificates',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate cannot be verified with the trusted certificates',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  CERT_NOT_YET_VALID: 'the server certificate is not yet valid',
};

/** OpenSSL error-queue framing: `<thread>:error:<code>:<library>:<function>:<reason>:<file>:<line>:...`. */
const QUEUE_ENTRY = /[0-9A-Fa-f]+:error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+):[^:\s]*\.c:\d+:[\s\S]*/;

/**
 * The explanation of the first of `codes` that has one, or of the reason in an OpenSSL error-queue
 * entry in `message` (Node reports some alerts only there, as EPROTO), else `message` with just
 * that reason in place of the entry.
 */
export function explainTlsFailure(codes: string[], message: string): string {
  const reason = QUEUE_ENTRY.exec(message)?.[1]?.trim();
  // Node's codes are OpenSSL's reason texts in this form: 'tlsv1 alert unknown ca' -> ERR_SSL_TLSV1_ALERT_UNKNOWN_CA.
  const reasonCode = reason !== undefined ? `ERR_SSL_${reason.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}` : undefined;
  for (const code of reasonCode !== undefined ? [...codes, reasonCode] : codes) {
    const text = EXPLANATIONS[code];
    if (text !== undefined) return text;
  }
  return reason !== undefined ? message.replace(QUEUE_ENTRY, reason).trim() : message.trim();
}
