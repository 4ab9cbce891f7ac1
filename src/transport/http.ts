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
import { parseServerAddress, selectProxy, type ProxyAddress, type ServerAddress } from './address';
import { ProxyTunnelError } from './proxy-tunnel-error';
import { setDeadline } from './deadlines';
import { serverKeepsConnection, type ResponseHead } from './http-response-reader';
import { PlainHttpConnections, type ResponseSink } from './plain-http-exchange';
import { explainTlsFailure } from './tls-errors';
import { newTlsAgent, sendOverHttps, tlsAgentOptionsFor, type HttpTlsOptions } from './https-exchange';
import type { Transfer, TransferContext } from './types';

export type { HttpTlsOptions } from './https-exchange';

/**
 * CMP over HTTP(S) as RFC 9811 specifies it: the DER PKIMessage is POSTed as
 * application/pkixcmp and a 200 response with the same media type carries the answer.
 * The options are named after `openssl cmp`'s and default as it does. Plain HTTP (to the server
 * or through a proxy) goes over node:net (plain-http-exchange.ts), TLS over node:https
 * (https-exchange.ts); both report to the same checks here.
 */

export interface HttpTransferOptions {
  /** `[http[s]://][userinfo@]host[:port][/path][?query]` (`-server`); userinfo is ignored. */
  server: string;
  /** HTTP path (`-path`); default: the path of `server`, else '/'. */
  path?: string;
  /**
   * HTTP proxy, `[http[s]://]host[:port]` (`-proxy`); the scheme only picks the default port.
   * Default: http_proxy/HTTP_PROXY, or https_proxy/HTTPS_PROXY with TLS. '' means none.
   */
  proxy?: string;
  /** Hosts to reach directly, separated by commas/whitespace (`-no_proxy`); default: no_proxy/NO_PROXY. */
  noProxy?: string;
  /**
   * Persistent connections (`-keep_alive`): 0 closes after each message; 1 (default) keeps the
   * connection while the transaction may continue and the server agrees; 2 requires that.
   */
  keepAlive?: 0 | 1 | 2;
  /** Seconds one request-response round trip may take, body included (`-msg_timeout`); 0 = no limit; default 120. */
  msgTimeout?: number;
  /** Largest response body accepted, in bytes; 0 = no limit; default 100 KiB, OpenSSL's max_resp_len. */
  maxResponseBytes?: number;
  tls?: HttpTlsOptions;
  /** Where the proxy variables are read; default process.env. */
  env?: Record<string, string | undefined>;
}

/** A Transfer over HTTP(S) that owns its connection pool. */
export type HttpTransfer = Transfer & {
  /** The server URL, without any userinfo. */
  readonly url: string;
  /** Closes kept-alive connections. The transfer stays usable and reconnects when called again. */
  close(): void;
};

interface ResolvedOptions {
  server: ServerAddress;
  proxy: ProxyAddress | undefined;
  keepAlive: 0 | 1 | 2;
  timeoutMs: number;
  maxResponseBytes: number;
}

function resolveOptions(options: HttpTransferOptions): ResolvedOptions {
  if (typeof options?.server !== 'string') {
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'server is required');
  }
  const keepAlive = options.keepAlive ?? 1;
  if (keepAlive !== 0 && keepAlive !== 1 && keepAlive !== 2) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'keepAlive must be 0, 1 or 2');
  }
  const msgTimeout = options.msgTimeout ?? DEFAULT_MSG_TIMEOUT_S;
  if (!Number.isFinite(msgTimeout) || msgTimeout < 0) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'msgTimeout must be a number of seconds >= 0');
  }
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 0) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'maxResponseBytes must be an integer >= 0');
  }
  const server = parseServerAddress(options.server, options.tls?.used, options.path);
  const proxy = selectProxy(server, options.proxy, options.noProxy, options.env ?? process.env);
  return { server, proxy, keepAlive, timeoutMs: msgTimeout * 1000, maxResponseBytes };
}

interface RequestTarget {
  host: string;
  port: number;
  path: string;
  /** Set when `host` is a proxy: the server's authority, which Node would not derive itself. */
  hostHeader?: string;
}

/** Where each request goes: the server itself, or an HTTP proxy taking an absolute URI. */
function requestTarget(resolved: ResolvedOptions): RequestTarget {
  const { server, proxy } = resolved;
  // HTTPS reaches the proxy through the agent's CONNECT tunnel, so it addresses the server.
  if (proxy === undefined || server.useTls) return { host: server.host, port: server.port, path: server.path };
  // WHATWG `host` is the usual authority form: IPv6 in brackets, no default port.
  const authority = new URL(server.origin).host;
  return { host: proxy.host, port: proxy.port, path: `http://${authority}${server.path}`, hostHeader: authority };
}

/**
 * The Host header as node:http writes it for `host` and `port` (IPv6 in brackets, the port unless
 * it is the scheme's default). Written here because node:http adds none to a flat header list.
 */
function hostHeaderOf(host: string, port: number, defaultPort: number): string {
  const name = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return port !== defaultPort ? `${name}:${port}` : name;
}

function hasInChain(e: unknown, type: new (...args: never[]) => Error): boolean {
  for (let cur: unknown = e, depth = 0; typeof cur === 'object' && cur !== null && depth < 5; depth++) {
    if (cur instanceof type) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** The request line and header fields node:http would write for this flat header list. */
function requestHead(path: string, headers: string[]): string {
  let head = `POST ${path} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** Creates a Transfer that POSTs each message to the CMP server. Option errors throw here, not per message. */
export function createHttpTransfer(options: HttpTransferOptions): HttpTransfer {
  return httpTransferFactory(options)();
}

/**
 * Resolves and checks `options` once (option errors throw here), and returns a function that
 * makes transfers of them, each with a connection pool of its own: the client makes one per
 * transaction, so that a transaction's connection ends with it.
 */
export function httpTransferFactory(options: HttpTransferOptions): () => HttpTransfer {
  const resolved = resolveOptions(options);
  const { server, proxy, maxResponseBytes } = resolved;
  const { hostHeader, ...target } = requestTarget(resolved);
  // node:http takes the same characters in a path (and writes them as latin1).
  if (/[^\u0021-\u00ff]/.test(target.path)) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'path holds a character a request line cannot carry');
  const host = hostHeader ?? hostHeaderOf(target.host, target.port, server.useTls ? 443 : 80);
  const agentOptions = server.useTls ? tlsAgentOptionsFor(resolved.keepAlive !== 0, options.tls) : undefined;
  const where = `CMP server ${server.display}${proxy !== undefined ? ` via proxy ${proxy.display}` : ''}`;

  const toCmpError = (e: unknown): CmpError => {
    if (e instanceof CmpError) return e;
    const detail = sanitize((e as Error)?.message ?? String(e));
    if (hasInChain(e, ProxyTunnelError)) {
      return new CmpError(ErrorCodes.ERR_CONNECTION, `cannot reach ${where}: ${detail}`, { cause: e });
    }
    const codes = errorChainCodes(e);
    if (codes.some((c) => TLS_ERROR_CODE.test(c))) {
      const reason = sanitize(explainTlsFailure(codes, (e as Error)?.message ?? String(e)));
      return new CmpError(ErrorCodes.ERR_TLS, `TLS with ${where} failed: ${reason}`, { cause: e });
    }
    if (codes.some((c) => CONNECTION_ERROR_CODES.has(c))) {
      return new CmpError(ErrorCodes.ERR_CONNECTION, `connection to ${where} failed: ${detail}`, { cause: e });
    }
    return new CmpError(ErrorCodes.ERR_TRANSPORT, `transfer with ${where} failed: ${detail}`, { cause: e });
  };

  const aborted = (signal: AbortSignal | undefined) =>
    new CmpError(ErrorCodes.ERR_ABORTED, `transfer to ${where} was aborted`, { cause: signal?.reason });
  const tooLarge = () => new CmpError(ErrorCodes.ERR_RESPONSE_TOO_LARGE, `response from ${where} exceeds ${maxResponseBytes} bytes`);

  /** Why a response is not a CMP answer, or undefined when its body is worth reading. */
  const rejectResponse = (res: ResponseHead, keepAliveWanted: boolean): CmpError | undefined => {
    const status = res.statusCode ?? 0;
    // Redirects are never followed, which suits RFC 9811 section 3.3 (a 301 can be abused
    // for a lasting denial of service); OpenSSL does not follow them for POST either.
    if (status !== 200) {
      const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
      return new CmpError(ErrorCodes.ERR_HTTP_STATUS, `${where} answered HTTP ${status} ${sanitize(res.statusMessage ?? '')}${redirect}`.trimEnd());
    }
    const contentType = res.headers['content-type'] as string | undefined;
    if (!isMediaTypeOk(contentType)) {
      return new CmpError(
        ErrorCodes.ERR_CONTENT_TYPE,
        contentType === undefined
          ? `${where} answered without Content-Type, expected ${MEDIA_TYPE}`
          : `${where} answered with Content-Type '${sanitize(contentType)}', expected ${MEDIA_TYPE}`,
      );
    }
    if (resolved.keepAlive === 2 && keepAliveWanted && !serverKeepsConnection(res)) {
      return new CmpError(ErrorCodes.ERR_TRANSPORT, `${where} closes the connection, but keepAlive 2 requires a persistent one`);
    }
    const declared = Number(res.headers['content-length'] ?? -1);
    if (maxResponseBytes > 0 && declared > maxResponseBytes) return tooLarge();
    return undefined;
  };

  return () => {
    // Plain HTTP, to the server or a proxy, goes over node:net with our reader; TLS through node:https.
    const plain = agentOptions === undefined ? new PlainHttpConnections(target.host, target.port) : undefined;
    const agent = agentOptions !== undefined ? newTlsAgent(agentOptions, resolved.proxy, resolved.timeoutMs) : undefined;

    const exchange = (payload: Buffer, ctx: TransferContext, timeoutMs: number): Promise<Uint8Array> =>
      new Promise((resolve, reject) => {
        const signal = ctx.signal;
        const keepAliveWanted = resolved.keepAlive !== 0 && (ctx.bodyType === undefined || CONTINUING_BODY_TYPES.has(ctx.bodyType));
        let cancel: (() => void) | undefined;
        let clearDeadline: (() => void) | undefined;
        let settled = false;
        const settle = (): boolean => {
          if (settled) return false;
          settled = true;
          clearDeadline?.();
          signal?.removeEventListener('abort', onAbort);
          return true;
        };
        // Timeout, abort and every failure end here; cancelling also drops the connection, since a
        // half-read body leaves it unusable for the next message.
        const fail = (e: unknown): void => {
          if (!settle()) return;
          cancel?.();
          reject(toCmpError(e));
        };
        const onAbort = () => fail(aborted(signal));
        signal?.addEventListener('abort', onAbort, { once: true });
        if (timeoutMs > 0) {
          clearDeadline = setDeadline(timeoutMs, () => fail(new CmpError(ErrorCodes.ERR_TIMEOUT, `${where} did not answer within ${timeoutMs} ms`)));
        }
        const sink: ResponseSink = {
          head: (head) => rejectResponse(head, keepAliveWanted),
          // Checked as the body arrives, so an endless or oversized body is cut off, not buffered.
          progress: (bytes) => (maxResponseBytes > 0 && bytes > maxResponseBytes ? tooLarge() : undefined),
          done: (body) => {
            if (settle()) resolve(body);
          },
          fail,
        };

        // A flat list, which node:http validates and writes in one pass and requestHead joins; an
        // object's headers each go through setHeader into a map of their own, with lookups for Host
        // and Expect: 7 % more instructions a warm GENM exchange (callgrind, the tenth session).
        const headers = [
          'Content-Type',
          MEDIA_TYPE,
          'Content-Length',
          String(payload.length),
          // CMP messages are never cacheable; Pragma is for HTTP/1.0 caches on the way.
          'Cache-Control',
          'no-cache',
          'Pragma',
          'no-cache',
          'Connection',
          keepAliveWanted ? 'keep-alive' : 'close',
          'Host',
          host,
        ];
        cancel =
          plain !== undefined
            ? plain.send(requestHead(target.path, headers), payload, keepAliveWanted, sink)
            : sendOverHttps({ agent, headers, ...target }, payload, sink);
        if (settled) cancel();
      });

    const transfer = (request: Uint8Array, context?: TransferContext): Promise<Uint8Array> => {
      const call = checkTransferCall(request, context, resolved.timeoutMs);
      if (call instanceof CmpError) return Promise.reject(call);
      if (call.ctx.signal?.aborted) return Promise.reject(aborted(call.ctx.signal));
      return exchange(call.payload, call.ctx, call.timeoutMs);
    };

    return Object.assign(transfer, {
      url: server.display,
      close: () => (plain !== undefined ? plain.close() : agent!.destroy()),
    });
  };
}
