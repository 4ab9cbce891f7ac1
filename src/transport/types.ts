/**
 * The seam between the CMP machines and the wire. Anything bytes-in/bytes-out can be a Transfer:
 * HTTP(S) (http.ts), OpenSSL-style request/response files (file.ts), an in-process mock server.
 */

/** Sends one DER-encoded PKIMessage and resolves to the DER response bytes. Anything bytes-in/bytes-out can be one. */
export type Transfer = (request: Uint8Array, ctx: TransferContext) => Promise<Uint8Array>;

export interface TransferContext {
  signal?: AbortSignal;
  /** ms for this message; 0 = none */
  timeoutMs?: number;
  /** e.g. 'ir', 'certConf', 'pollReq' */
  bodyType?: string;
  /**
   * For a transfer that sends a stored request in place of this one (OpenSSL -reqin): fits the
   * stored bytes to the ongoing transaction and resolves to what is sent instead. Without it the
   * stored bytes go out as they are.
   */
  adoptRequest?: (stored: Uint8Array, how: { newTransactionId: boolean }) => Promise<Uint8Array>;
  /**
   * Told when the response was read from a file instead of received (OpenSSL -rspin): the client
   * then takes the transaction as that response names it, as OpenSSL does, since a recorded
   * answer cannot echo the nonce of a request made after it. Its protection is still verified.
   */
  responseReplayed?: (response: Uint8Array) => void;
}
