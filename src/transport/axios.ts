import type { AxiosInstance, AxiosResponse } from 'axios';
import { CmpError, ErrorCodes } from '../errors';
import {
  checkTransferCall,
  CONNECTION_ERROR_CODES,
  CONTINUING_BODY_TYPES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MSG_TIMEOUT_S,
  errorChainCodes,
  isMediaTypeOk,
  MEDIA_TYPE,
  sanitize,
  TLS_ERROR_CODE,
} from './http-semantics';
import type { Transfer, TransferContext } from './types';

/**
 * CMP over the application's own axios instance, for applications that send all their HTTP through
 * one (interceptors, auth headers, corporate proxies, tracing). It keeps the promises of the
 * default transport (http.ts): the RFC 9811 media type both ways, 200 only, no redirects, a
 * response size limit, a per-message timeout that covers the body, the abort signal, and the same
 * CmpError codes. axios is only ever reached through the instance handed in, so this module loads
 * nothing of axios itself: the package lists it as an optional peer.
 */

export interface AxiosTransferOptions {
  /** Seconds one request-response round trip may take, body included (`-msg_timeout`); 0 = no limit; default 120. */
  msgTimeout?: number;
  /** Largest response body accepted, in bytes; 0 = no limit; default 100 KiB, OpenSSL's max_resp_len. */
  maxResponseBytes?: number;
}

/** The server as errors name it: never its userinfo, which may hold a password. */
function displayUrl(instance: AxiosInstance, url: string): string {
  let full = url;
  try {
    full = instance.getUri({ url });
    const parsed = new URL(full);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return sanitize(full.replace(/\/\/[^/@]*@/, '//'));
  }
}

function checkOptions(options: AxiosTransferOptions): { timeoutMs: number; maxResponseBytes: number } {
  const msgTimeout = options.msgTimeout ?? DEFAULT_MSG_TIMEOUT_S;
  if (!Number.isFinite(msgTimeout) || msgTimeout < 0) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'msgTimeout must be a number of seconds >= 0');
  }
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 0) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'maxResponseBytes must be an integer >= 0');
  }
  return { timeoutMs: msgTimeout * 1000, maxResponseBytes };
}

/**
 * A Transfer that POSTs each message with `instance` to `url` (resolved against the instance's
 * baseURL, as axios does). Option errors throw here, not per message.
 */
export function axiosTransfer(instance: AxiosInstance, url: string, options: AxiosTransferOptions = {}): Transfer {
  if (typeof instance?.request !== 'function') {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'axiosTransfer needs an axios instance');
  }
  if (typeof url !== 'string' || url.trim() === '') {
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'axiosTransfer needs the URL of the CMP server');
  }
  const resolved = checkOptions(options);
  const { maxResponseBytes } = resolved;
  const where = `CMP server ${displayUrl(instance, url)}`;

  const aborted = (signal: AbortSignal | undefined) =>
    new CmpError(ErrorCodes.ERR_ABORTED, `transfer to ${where} was aborted`, { cause: signal?.reason });
  const tooLarge = () => new CmpError(ErrorCodes.ERR_RESPONSE_TOO_LARGE, `response from ${where} exceeds ${maxResponseBytes} bytes`);

  /** The answer's bytes, or why the response is not a CMP answer. */
  const answer = (res: AxiosResponse<unknown>): Uint8Array => {
    if (res.status !== 200) {
      const redirect = res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : '';
      throw new CmpError(ErrorCodes.ERR_HTTP_STATUS, `${where} answered HTTP ${res.status} ${sanitize(res.statusText ?? '')}${redirect}`.trimEnd());
    }
    const contentType: unknown = res.headers?.['content-type'];
    if (!isMediaTypeOk(contentType)) {
      throw new CmpError(
        ErrorCodes.ERR_CONTENT_TYPE,
        typeof contentType !== 'string'
          ? `${where} answered without Content-Type, expected ${MEDIA_TYPE}`
          : `${where} answered with Content-Type '${sanitize(contentType)}', expected ${MEDIA_TYPE}`,
      );
    }
    const data = res.data;
    // An interceptor or adapter might hand back something else than the bytes asked for.
    if (!ArrayBuffer.isView(data) && !(data instanceof ArrayBuffer)) {
      throw new CmpError(ErrorCodes.ERR_TRANSPORT, `the axios instance gave the answer of ${where} as ${typeof data}, not as bytes`);
    }
    const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    if (maxResponseBytes > 0 && bytes.length > maxResponseBytes) throw tooLarge();
    // A copy: a Node Buffer may be a view into a larger pool.
    return bytes.slice();
  };

  const toCmpError = (e: unknown): CmpError => {
    if (e instanceof CmpError) return e;
    const message = (e as Error)?.message ?? String(e);
    // axios reports its maxContentLength as a plain error with a message only.
    if (/maxContentLength/.test(message)) return tooLarge();
    const detail = sanitize(message);
    const codes = errorChainCodes(e);
    if (codes.some((c) => TLS_ERROR_CODE.test(c))) {
      return new CmpError(ErrorCodes.ERR_TLS, `TLS with ${where} failed: ${detail}`, { cause: e });
    }
    if (codes.some((c) => CONNECTION_ERROR_CODES.has(c))) {
      return new CmpError(ErrorCodes.ERR_CONNECTION, `connection to ${where} failed: ${detail}`, { cause: e });
    }
    return new CmpError(ErrorCodes.ERR_TRANSPORT, `transfer with ${where} failed: ${detail}`, { cause: e });
  };

  const exchange = async (payload: Buffer, ctx: TransferContext, timeoutMs: number): Promise<Uint8Array> => {
    // One controller for the caller's signal and the timeout, so either cancels the request and
    // its body, and the failure says which one it was.
    const controller = new AbortController();
    let why: CmpError | undefined;
    const stop = (reason: CmpError) => {
      why ??= reason;
      controller.abort(reason);
    };
    const onAbort = () => stop(aborted(ctx.signal));
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      timeoutMs > 0
        ? setTimeout(() => stop(new CmpError(ErrorCodes.ERR_TIMEOUT, `${where} did not answer within ${timeoutMs} ms`)), timeoutMs)
        : undefined;
    try {
      const res = await instance.request<unknown>({
        method: 'post',
        url,
        data: payload,
        headers: {
          'Content-Type': MEDIA_TYPE,
          // CMP messages are never cacheable; Pragma is for HTTP/1.0 caches on the way.
          'Cache-Control': 'no-cache',
          Pragma: 'no-cache',
          Connection: ctx.bodyType === undefined || CONTINUING_BODY_TYPES.has(ctx.bodyType) ? 'keep-alive' : 'close',
        },
        responseType: 'arraybuffer',
        // The bytes pass as they are: the instance's JSON transforms must not touch them.
        transformRequest: [(data: unknown) => data],
        transformResponse: [(data: unknown) => data],
        // RFC 9811 section 3.3: a redirect can be abused for a lasting denial of service.
        maxRedirects: 0,
        maxContentLength: maxResponseBytes > 0 ? maxResponseBytes : -1,
        validateStatus: () => true,
        // Ours covers the body too; axios's own would only cover the wait for the headers.
        timeout: 0,
        signal: controller.signal,
      });
      if (why !== undefined) throw why;
      return answer(res);
    } catch (e) {
      throw why ?? toCmpError(e);
    } finally {
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
    }
  };

  return (request: Uint8Array, context?: TransferContext): Promise<Uint8Array> => {
    const call = checkTransferCall(request, context, resolved.timeoutMs);
    if (call instanceof CmpError) return Promise.reject(call);
    if (call.ctx.signal?.aborted) return Promise.reject(aborted(call.ctx.signal));
    return exchange(call.payload, call.ctx, call.timeoutMs);
  };
}
