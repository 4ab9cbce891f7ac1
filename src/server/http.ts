/**
 * CMP over HTTP (RFC 9811): POST of a DER PKIMessage with Content-Type application/pkixcmp, the
 * answer in a 200 response of the same type. Anything else gets a plain HTTP error: 404 for
 * another path, 405 for another method, 415 for another content type, 413 for a body over the
 * limit. Listens on 127.0.0.1 unless told otherwise; port 0 picks a free port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CmpError, ErrorCodes } from '../errors';
import type { CmpServer } from './handler';

export const PKIXCMP = 'application/pkixcmp';

export interface ListenOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Paths that accept requests; default `/pkix/` and `/`. */
  paths?: string[];
  /** Largest request body accepted, in bytes; default 1 MiB. */
  bodyLimit?: number;
  /** Close after answering this many CMP requests (OpenSSL -max_msgs); default the server's maxMsgs, 0 = unlimited. */
  maxMsgs?: number;
  /** A connection that has not sent a request's complete headers this long is closed (slowloris); default 60 s. */
  headersTimeoutMs?: number;
  /** ... or the complete request; default 120 s. At least headersTimeoutMs. */
  requestTimeoutMs?: number;
  /** A connection idle between requests is closed after this long; default 60 s. */
  keepAliveTimeoutMs?: number;
  /** Connections the kernel queues before they are accepted; default 4096 (capped by net.core.somaxconn). */
  backlog?: number;
  /**
   * Connections open at once; one more is closed as soon as it is accepted. Default 1024. Without
   * a bound, slow connections (each held up to requestTimeoutMs) pile up until file descriptors
   * or memory run out.
   */
  maxConnections?: number;
}

export interface Listener {
  /** http://HOST:PORT/pkix/ */
  url: string;
  port: number;
  /** Resolves once the listener has closed, by close() or after maxMsgs requests. */
  closed: Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;

/*
 * Under load, a client's next bytes are late because the client is busy too: its own queue of
 * sessions can hold it off for many seconds between connecting and sending, or between the
 * answer to its ir and its certConf, and a server that then resets the connection turns a slow
 * session into a failed one (Node's 5 s keep-alive and a 10 s header limit did exactly that at
 * 1000 sessions in flight). The limits below still close connections that never complete a
 * request, only later; a server protected against many such connections needs a proxy in front.
 */
const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 60_000;
const DEFAULT_BACKLOG = 4096;
const DEFAULT_MAX_CONNECTIONS = 1024;
/** Node checks the header and request limits on an interval; a quarter of the limit keeps them close to exact. */
const checksPerLimit = 4;

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${name} must be a positive integer`);
  return value;
}

function plain(res: ServerResponse, status: number, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Length': '0', ...extra });
  res.end();
}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (!over) chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? 'too-large' : new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function mediaType(value: string | undefined): string {
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

/** What `listen` serves: a CmpServer, a CmpCluster, or anything else that answers DER with DER. */
export type Servable = Pick<CmpServer, 'handle' | 'maxMsgs'>;

/** Serves `server` over HTTP. Rejects with ERR_CONNECTION when the address cannot be bound. */
export function listen(server: Servable, options: ListenOptions = {}): Promise<Listener> {
  const host = options.host ?? '127.0.0.1';
  const paths = new Set(options.paths ?? ['/pkix/', '/']);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const maxMsgs = options.maxMsgs ?? server.maxMsgs;
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 1) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'bodyLimit must be a positive integer');
  if (!Number.isSafeInteger(maxMsgs) || maxMsgs < 0) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'maxMsgs must be a non-negative integer');
  const headersTimeout = positive(options.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS, 'headersTimeoutMs');
  const requestTimeout = positive(options.requestTimeoutMs, Math.max(DEFAULT_REQUEST_TIMEOUT_MS, headersTimeout), 'requestTimeoutMs');
  if (requestTimeout < headersTimeout) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'requestTimeoutMs must be at least headersTimeoutMs');
  const keepAliveTimeout = positive(options.keepAliveTimeoutMs, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, 'keepAliveTimeoutMs');
  const backlog = positive(options.backlog, DEFAULT_BACKLOG, 'backlog');
  const maxConnections = positive(options.maxConnections, DEFAULT_MAX_CONNECTIONS, 'maxConnections');
  let handled = 0;
  let http: Server;
  let closing: Promise<void> | undefined;

  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeIdleConnections();
      // Connections still busy get their answer first; then nothing keeps the listener alive.
      setTimeout(() => http.closeAllConnections(), 2000).unref();
    });
    return closing;
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!paths.has(path)) return plain(res, 404);
    if (req.method !== 'POST') return plain(res, 405, { Allow: 'POST' });
    if (mediaType(req.headers['content-type']) !== PKIXCMP) {
      req.resume();
      return plain(res, 415);
    }
    const body = await readBody(req, bodyLimit);
    if (body === 'too-large') return plain(res, 413, { Connection: 'close' });
    if (maxMsgs > 0 && handled >= maxMsgs) return plain(res, 503, { Connection: 'close' });
    handled++;
    const answer = await server.handle(body);
    const last = maxMsgs > 0 && handled >= maxMsgs;
    res.writeHead(200, {
      'Content-Type': PKIXCMP,
      'Content-Length': String(answer.length),
      'Cache-Control': 'no-cache',
      ...(last ? { Connection: 'close' } : {}),
    });
    res.end(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength));
    if (last) res.on('finish', () => void close());
  };

  http = createServer(
    { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.max(100, Math.floor(headersTimeout / checksPerLimit)) },
    (req, res) => {
      onRequest(req, res).catch(() => {
        if (!res.headersSent) plain(res, 500);
        else res.destroy();
      });
    },
  );

  http.keepAliveTimeout = keepAliveTimeout;
  http.maxConnections = maxConnections;

  const closed = new Promise<void>((resolve) => http.once('close', () => resolve()));
  return new Promise<Listener>((resolve, reject) => {
    http.once('error', (e) =>
      reject(new CmpError(ErrorCodes.ERR_CONNECTION, `cannot listen on ${host}:${options.port ?? 0}: ${e.message}`, { cause: e })),
    );
    http.listen(options.port ?? 0, host, backlog, () => {
      const port = (http.address() as AddressInfo).port;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({ url: `http://${shownHost}:${port}/pkix/`, port, closed, close });
    });
  });
}
