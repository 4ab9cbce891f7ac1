/**
 * A CMP server on 127.0.0.1 that misbehaves on purpose, one scripted fault per request. Behind it
 * stands a real CMP server (normally `openssl cmp -port 0`) that answers whatever the fault lets
 * through; the faults cover the transport (resets, silence, trickling, HTTP status and media type,
 * oversized and endless bodies, a close in mid-body), stale answers (replays, another
 * transaction's response) and, as a mutating proxy, real responses changed field by field and
 * protected again with the shared secret, so that the client's semantic checks are reached and
 * not only its MAC check.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { decodePkiMessage, encodePkiMessage, type PKIMessage } from '../../src/asn1';
import { protectPkiMessage } from '../../src/protection';

const MEDIA_TYPE = 'application/pkixcmp';

/** Changes a decoded real response before it is sent on. */
export interface Mutation {
  name: string;
  /** Edits `response` in place; `request` is the message it answers. */
  apply(response: PKIMessage, request: PKIMessage): void | Promise<void>;
  /**
   * 'secret' (default): protect the result again with PBM and the shared secret, so that only
   * the semantic checks can catch it. 'asIs': send the edited message without new protection
   * (for edits of the protection itself); `apply` may then set protection as it likes.
   */
  protect?: 'secret' | 'asIs';
}

export type Fault =
  /** Pass the exchange through unchanged. */
  | { kind: 'forward' }
  /** Destroy the connection as soon as the request has arrived; nothing reaches the upstream. */
  | { kind: 'reset' }
  /** Read the request and never answer. */
  | { kind: 'silent' }
  /** Answer 200 with a Content-Length, then one byte every `intervalMs` (default 1000). */
  | { kind: 'trickle'; intervalMs?: number }
  /** Answer with this HTTP status (e.g. 500, 302) and a small text body. */
  | { kind: 'status'; status: number; location?: string }
  /** Forward, and answer with this Content-Type (none at all for null). */
  | { kind: 'contentType'; contentType: string | null }
  /** Answer 200 application/pkixcmp declaring `bytes`, and stream that many zero bytes. */
  | { kind: 'oversized'; bytes: number }
  /** Answer 200 application/pkixcmp with a chunked body that never ends. */
  | { kind: 'endless' }
  /** Declare a body of the last response's length, send half of it, close the connection. */
  | { kind: 'closeMidBody' }
  /** Answer 200 application/pkixcmp with these bytes. */
  | { kind: 'body'; der: Uint8Array }
  /** The previous response sent in the same transaction, unchanged. */
  | { kind: 'replay' }
  /** The last response sent in another transaction, unchanged. */
  | { kind: 'foreign' }
  /** Forward, then mutate the real response (see Mutation). */
  | { kind: 'mutate'; mutation: Mutation }
  /** Answer without the upstream, with a response built from the request. */
  | { kind: 'respond'; respond: (request: PKIMessage) => Promise<Uint8Array> };

export interface HostileServerOptions {
  /** URL of the real CMP server that answers forwarded requests. */
  upstream?: string;
  /** The shared secret mutated responses are protected with again. */
  secret?: Uint8Array;
}

export interface Exchange {
  fault: Fault['kind'];
  /** Hex of the request's transactionID, when it decoded. */
  transactionId?: string;
  requestBody?: string;
  /** What was sent as a 200 application/pkixcmp answer, if anything. */
  response?: Uint8Array;
}

export interface HostileServer {
  url: string;
  /**
   * Faults for the next requests, in order; once they are used up, `fallback` applies
   * (default: forward).
   */
  script(faults: Fault[], fallback?: Fault): void;
  /** Every request seen so far, in order. */
  readonly exchanges: readonly Exchange[];
  /** Connections still open (a client that gave up must not leave any behind for long). */
  openConnections(): number;
  close(): Promise<void>;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** POSTs `body` to the upstream CMP server and returns its answer, as OpenSSL's client would. */
function forward(upstream: string, body: Buffer): Promise<{ status: number; contentType?: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      upstream,
      { method: 'POST', headers: { 'Content-Type': MEDIA_TYPE, 'Content-Length': body.length, Connection: 'close' }, agent: false },
      (res) => {
        readAll(res).then(
          (b) =>
            resolve({ status: res.statusCode ?? 0, ...(res.headers['content-type'] ? { contentType: res.headers['content-type'] } : {}), body: b }),
          reject,
        );
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('upstream did not answer')));
    req.on('error', reject);
    req.end(body);
  });
}

function hex(bytes: ArrayBuffer | undefined): string | undefined {
  return bytes ? Buffer.from(bytes).toString('hex') : undefined;
}

function decodeOrUndefined(der: Uint8Array): PKIMessage | undefined {
  try {
    return decodePkiMessage(der);
  } catch {
    return undefined;
  }
}

function bodyTypeOf(msg: PKIMessage | undefined): string | undefined {
  if (!msg) return undefined;
  return Object.keys(msg.body).find((k) => (msg.body as unknown as Record<string, unknown>)[k] !== undefined);
}

export async function startHostileServer(options: HostileServerOptions = {}): Promise<HostileServer> {
  let queue: Fault[] = [];
  let fallback: Fault = { kind: 'forward' };
  const exchanges: Exchange[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const upstreamOf = (): string => {
    if (!options.upstream) throw new Error('this fault needs an upstream server');
    return options.upstream;
  };

  const previousResponse = (pred: (e: Exchange) => boolean): Uint8Array | undefined =>
    [...exchanges].reverse().find((e) => e.response !== undefined && pred(e))?.response;

  const sendCmp = (res: http.ServerResponse, exchange: Exchange, der: Uint8Array, contentType: string | null = MEDIA_TYPE) => {
    exchange.response = der;
    res.writeHead(200, { ...(contentType !== null ? { 'Content-Type': contentType } : {}), 'Content-Length': der.length });
    res.end(Buffer.from(der));
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const requestBytes = await readAll(req);
    const fault = queue.shift() ?? fallback;
    const request = decodeOrUndefined(requestBytes);
    const exchange: Exchange = {
      fault: fault.kind,
      ...(request?.header.transactionID ? { transactionId: hex(request.header.transactionID) } : {}),
      ...(bodyTypeOf(request) ? { requestBody: bodyTypeOf(request) } : {}),
    };
    exchanges.push(exchange);
    const sameTransaction = (e: Exchange) => e !== exchange && e.transactionId === exchange.transactionId;

    switch (fault.kind) {
      case 'forward': {
        const answer = await forward(upstreamOf(), requestBytes);
        if (answer.status === 200) exchange.response = new Uint8Array(answer.body);
        res.writeHead(answer.status, { ...(answer.contentType ? { 'Content-Type': answer.contentType } : {}), 'Content-Length': answer.body.length });
        res.end(answer.body);
        return;
      }
      case 'reset':
        req.socket.destroy();
        return;
      case 'silent':
        return;
      case 'trickle': {
        const payload = Buffer.from(previousResponse(() => true) ?? new Uint8Array(512));
        res.writeHead(200, { 'Content-Type': MEDIA_TYPE, 'Content-Length': payload.length });
        let sent = 0;
        const timer = setInterval(() => {
          if (res.destroyed || sent >= payload.length) {
            clearInterval(timer);
            timers.delete(timer);
            if (!res.destroyed) res.end();
            return;
          }
          res.write(payload.subarray(sent, sent + 1));
          sent += 1;
        }, fault.intervalMs ?? 1000);
        timers.add(timer);
        return;
      }
      case 'status':
        res.writeHead(fault.status, { 'Content-Type': 'text/plain', ...(fault.location ? { Location: fault.location } : {}) });
        res.end(`hostile server: HTTP ${fault.status}\n`);
        return;
      case 'contentType': {
        const answer = await forward(upstreamOf(), requestBytes);
        sendCmp(res, exchange, new Uint8Array(answer.body), fault.contentType);
        return;
      }
      case 'oversized': {
        res.writeHead(200, { 'Content-Type': MEDIA_TYPE, 'Content-Length': fault.bytes });
        const chunk = Buffer.alloc(64 * 1024);
        let left = fault.bytes;
        const pump = () => {
          while (left > 0 && !res.destroyed) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (!res.write(chunk.subarray(0, n))) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        pump();
        return;
      }
      case 'endless': {
        res.writeHead(200, { 'Content-Type': MEDIA_TYPE, 'Transfer-Encoding': 'chunked' });
        const chunk = Buffer.alloc(16 * 1024, 0x30);
        const pump = () => {
          while (!res.destroyed) if (!res.write(chunk)) return void res.once('drain', pump);
        };
        pump();
        return;
      }
      case 'closeMidBody': {
        const payload = Buffer.from(previousResponse(() => true) ?? new Uint8Array(512));
        res.writeHead(200, { 'Content-Type': MEDIA_TYPE, 'Content-Length': payload.length });
        res.write(payload.subarray(0, payload.length >> 1), () => req.socket.destroy());
        return;
      }
      case 'body':
        sendCmp(res, exchange, fault.der);
        return;
      case 'replay': {
        const earlier = previousResponse(sameTransaction);
        if (!earlier) throw new Error('replay: no earlier response in this transaction');
        sendCmp(res, exchange, earlier);
        return;
      }
      case 'foreign': {
        const other = previousResponse((e) => e.transactionId !== exchange.transactionId);
        if (!other) throw new Error('foreign: no response of another transaction yet');
        sendCmp(res, exchange, other);
        return;
      }
      case 'mutate': {
        if (!request) throw new Error('mutate: the request does not decode');
        const answer = await forward(upstreamOf(), requestBytes);
        const response = decodePkiMessage(new Uint8Array(answer.body));
        await fault.mutation.apply(response, request);
        let der: Uint8Array;
        if (fault.mutation.protect === 'asIs') {
          der = encodePkiMessage(response);
        } else {
          if (!options.secret) throw new Error('mutate: no secret to protect the mutated response with');
          der = await protectPkiMessage(response, { kind: 'pbm', secret: options.secret });
        }
        sendCmp(res, exchange, der);
        return;
      }
      case 'respond': {
        if (!request) throw new Error('respond: the request does not decode');
        sendCmp(res, exchange, await fault.respond(request));
        return;
      }
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // A broken script is a test bug: make it visible on the wire and in the test's output.
      if (!res.headersSent) {
        res.writeHead(599, { 'Content-Type': 'text/plain' });
        res.end(`hostile server script failed: ${(e as Error).message}`);
      } else res.destroy();
      console.error('hostile server:', e);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/pkix/`,
    script(faults, next) {
      queue = [...faults];
      fallback = next ?? { kind: 'forward' };
    },
    exchanges,
    openConnections: () => sockets.size,
    async close() {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
