/**
 * A TLS front on 127.0.0.1: node:https terminates TLS, requiring a client certificate, and forwards
 * each request over plain HTTP to a CMP server behind it, as a TLS-terminating load balancer in
 * front of a CA would. Each client connection gets its own upstream connection: the `openssl cmp`
 * mock server serves one connection at a time and cancels a transaction whose kept-alive
 * connection is closed under it, so connections must not be shared or pooled across clients.
 */
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo, Socket } from 'net';
import type { TLSSocket } from 'tls';
import { once } from 'events';

export interface TlsFrontOptions {
  /** Plain HTTP URL of the server behind the front, e.g. http://127.0.0.1:1234/pkix/. */
  upstream: string;
  certPem: string;
  keyPem: string;
  /** CA certificates that may issue client certificates. */
  clientCaPem: string;
  /** Highest TLS version the front speaks; default TLS 1.3. */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface TlsFront {
  port: number;
  /** https://127.0.0.1:PORT/pkix/ */
  url: string;
  /** Common names of the client certificates of the requests forwarded so far. */
  clients: string[];
  /** TLS handshakes that failed, with the server-side reason. */
  refusedHandshakes: string[];
  close(): Promise<void>;
}

function commonName(socket: TLSSocket): string {
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return Array.isArray(cn) ? cn.join(',') : (cn ?? '');
}

export async function startTlsFront(options: TlsFrontOptions): Promise<TlsFront> {
  const upstream = new URL(options.upstream);
  const clients: string[] = [];
  const refusedHandshakes: string[] = [];
  const sockets = new Set<Socket>();
  const agents = new WeakMap<Socket, http.Agent>();

  const agentFor = (socket: Socket): http.Agent => {
    let agent = agents.get(socket);
    if (agent === undefined) {
      const own = new http.Agent({ keepAlive: true, maxSockets: 1 });
      socket.once('close', () => own.destroy());
      agents.set(socket, own);
      agent = own;
    }
    return agent;
  };

  const server = https.createServer(
    {
      cert: options.certPem,
      key: options.keyPem,
      ca: options.clientCaPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      maxVersion: options.maxVersion ?? 'TLSv1.3',
    },
    (req, res) => {
      clients.push(commonName(req.socket as TLSSocket));
      const forward = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: upstream.pathname,
          headers: { ...req.headers, host: upstream.host },
          agent: agentFor(req.socket),
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(forward);
    },
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', (e: Error) => refusedHandshakes.push(e.message));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `https://127.0.0.1:${port}/pkix/`,
    clients,
    refusedHandshakes,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
