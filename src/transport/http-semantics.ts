/**
 * What every HTTP transfer of CMP agrees on, whatever sends the bytes (node:net or node:https in
 * http.ts, the application's axios instance in axios.ts): RFC 9811's media types, OpenSSL's
 * defaults, which requests keep a connection worth keeping, and how a failure is classified.
 */
import { CmpError, ErrorCodes } from '../errors';
import { CERT_REQUEST_KINDS } from '../protocol';
import type { TransferContext } from './types';

export const MEDIA_TYPE = 'application/pkixcmp';
/** RFC 9811 section 4 lets clients treat this pre-RFC 6712 type like application/pkixcmp. */
const LEGACY_MEDIA_TYPE = 'application/pkixcmp-poll';
/** OpenSSL's -msg_timeout default, in seconds. */
export const DEFAULT_MSG_TIMEOUT_S = 120;
/** OpenSSL's max_resp_len. */
export const DEFAULT_MAX_RESPONSE_BYTES = 100 * 1024;

/**
 * Requests after which the transaction may go on (certConf, polling), so the connection is worth
 * keeping; the last message of a transaction asks to close, as OpenSSL does. A server such as
 * OpenSSL's mock closes after a transaction anyway: a kept socket would carry the next
 * transaction's first request into a reset.
 */
export const CONTINUING_BODY_TYPES: ReadonlySet<string> = new Set([...CERT_REQUEST_KINDS, 'pollReq']);

/** Socket-level codes that mean the server could not be reached or dropped the connection. */
export const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
export const TLS_ERROR_CODE = /^(ERR_TLS_|ERR_SSL_)|^EPROTO$|CERT|SIGNATURE|ISSUER|HOSTNAME_MISMATCH|INVALID_CA/;

/** Server-supplied text made safe for a one-line message. */
export function sanitize(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return clean.length > 200 ? `${clean.slice(0, 200)}...` : clean;
}

/** Whether a Content-Type header names a CMP message. */
export function isMediaTypeOk(contentType: unknown): boolean {
  if (typeof contentType !== 'string') return false;
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return mediaType === MEDIA_TYPE || mediaType === LEGACY_MEDIA_TYPE;
}

/**
 * Codes of an error and its causes (axios and Node put the socket's own error behind `cause`).
 * Not `instanceof Object`: Node's own errors may come from another realm (e.g. under jest).
 */
export function errorChainCodes(e: unknown): string[] {
  const codes: string[] = [];
  for (let cur: unknown = e, depth = 0; typeof cur === 'object' && cur !== null && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    cur = (cur as { cause?: unknown }).cause;
  }
  return codes;
}

/** A call of a transfer, checked: its context, its timeout in ms, and the request as a Buffer over the same bytes. */
export interface TransferCall {
  ctx: TransferContext;
  timeoutMs: number;
  payload: Buffer;
}

/** Checks a call of a transfer before anything is sent; returns the error to reject it with, if any. */
export function checkTransferCall(request: Uint8Array, context: TransferContext | undefined, defaultTimeoutMs: number): TransferCall | CmpError {
  const ctx = context ?? {};
  // By tag rather than instanceof, so Buffers from another realm (e.g. under jest) pass.
  const tag = ArrayBuffer.isView(request) ? (request as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] : '';
  if (tag !== 'Uint8Array') return new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'the request to send must be a Uint8Array');
  const timeoutMs = ctx.timeoutMs ?? defaultTimeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    return new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'timeoutMs must be a number of milliseconds >= 0');
  }
  return { ctx, timeoutMs, payload: Buffer.from(request.buffer, request.byteOffset, request.byteLength) };
}
