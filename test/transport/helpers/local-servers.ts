import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { once } from 'node:events';

/** Local test servers on 127.0.0.1, ephemeral ports, that close every connection they hold. */

export interface LocalServer {
  port: number;
  /** http(s)://127.0.0.1:port */
  origin: string;
  close(): Promise<void>;
}

function track(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  const add = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  server.on('connection', add);
  // TLS servers hand the raw socket to 'connection' and the TLS one to 'secureConnection'.
  server.on('secureConnection', add);
  return sockets;
}

async function listen(server: net.Server, scheme: string): Promise<LocalServer> {
  const sockets = track(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    origin: `${scheme}://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      if (!server.listening) return;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function startHttpServer(handler: http.RequestListener): Promise<LocalServer> {
  return listen(http.createServer(handler), 'http');
}

export function startHttpsServer(options: https.ServerOptions, handler: http.RequestListener): Promise<LocalServer> {
  return listen(https.createServer(options, handler), 'https');
}

/** A TCP server that hands each raw socket to `onSocket`. */
export function startTcpServer(onSocket: (socket: net.Socket) => void): Promise<LocalServer> {
  return listen(net.createServer(onSocket), 'http');
}

/** A port nothing listens on (it was free a moment ago). */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface TestProxy extends LocalServer {
  /** Request lines the proxy received, e.g. 'POST http://127.0.0.1:1234/' or 'CONNECT 127.0.0.1:1234'. */
  seen: string[];
}

/**
 * A minimal HTTP proxy: absolute-URI requests are forwarded, CONNECT opens a raw tunnel.
 * `refuseConnect` answers CONNECT with 403 instead.
 */
export async function startProxy(options: { refuseConnect?: boolean } = {}): Promise<TestProxy> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? '/');
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers,
        agent: false,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const tunnels = new Set<net.Socket>();
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    tunnels.add(client);
    client.on('close', () => tunnels.delete(client));
    client.on('error', () => client.destroy());
    if (options.refuseConnect) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(req.url ?? '');
    if (m === null) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(m[2]), m[1], () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    tunnels.add(upstream);
    upstream.on('close', () => tunnels.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  const base = await listen(server, 'http');
  return {
    ...base,
    seen,
    close: async () => {
      for (const s of tunnels) s.destroy();
      await base.close();
    },
  };
}
