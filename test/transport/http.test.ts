import type * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import { createHttpTransfer, type HttpTransfer, type HttpTransferOptions } from '../../src/transport';
import { expectCmpError } from './helpers/cmp-error';
import { readBody, startHttpServer, startTcpServer, unusedPort, type LocalServer } from './helpers/local-servers';

const PKIMESSAGE = Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x02, 0x30, 0x01, 0x00]);
const RESPONSE = Uint8Array.from([0x30, 0x05, 0x04, 0x03, 0xaa, 0xbb, 0xcc]);

let servers: LocalServer[] = [];
let transfers: HttpTransfer[] = [];

afterEach(async () => {
  for (const t of transfers) t.close();
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  transfers = [];
});

async function serve(handler: http.RequestListener): Promise<LocalServer> {
  const server = await startHttpServer(handler);
  servers.push(server);
  return server;
}

/** A transfer that ignores any proxy variables of the machine running the tests. */
function transferTo(server: string, options: Partial<HttpTransferOptions> = {}): HttpTransfer {
  const t = createHttpTransfer({ server, env: {}, ...options });
  transfers.push(t);
  return t;
}

function answerPkix(res: http.ServerResponse, body: Uint8Array = RESPONSE): void {
  res.writeHead(200, { 'Content-Type': 'application/pkixcmp', 'Content-Length': body.length });
  res.end(body);
}

describe('an RFC 9811 exchange', () => {
  it('POSTs the DER request as application/pkixcmp to the path and returns the response bytes', async () => {
    let seen: { method?: string; url?: string; headers?: http.IncomingHttpHeaders; body?: Buffer } = {};
    const server = await serve(async (req, res) => {
      seen = { method: req.method, url: req.url, headers: req.headers, body: await readBody(req) };
      answerPkix(res);
    });

    const response = await transferTo(`${server.origin}/.well-known/cmp/p/ca1`)(PKIMESSAGE, {});

    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/.well-known/cmp/p/ca1');
    expect(seen.headers?.['content-type']).toBe('application/pkixcmp');
    expect(seen.headers?.['content-length']).toBe(String(PKIMESSAGE.length));
    expect(seen.headers?.['cache-control']).toBe('no-cache');
    expect(seen.body).toEqual(Buffer.from(PKIMESSAGE));
    expect(response).toBeInstanceOf(Uint8Array);
    expect(Array.from(response)).toEqual(Array.from(RESPONSE));
  });

  it('writes the request head node:http writes: its headers in order, Host last with the port', async () => {
    const heads: string[] = [];
    const server = await startTcpServer((socket) => {
      socket.once('data', (data: Buffer) => {
        heads.push(data.toString('latin1').split('\r\n\r\n')[0]!);
        socket.end(Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\n\r\n'), Buffer.from(RESPONSE)]));
      });
    });
    servers.push(server);
    const transfer = transferTo(`${server.origin}/pkix/`);
    await transfer(PKIMESSAGE, { bodyType: 'genm' });
    await transfer(PKIMESSAGE, { bodyType: 'ir' });
    const head = (connection: string) =>
      'POST /pkix/ HTTP/1.1\r\nContent-Type: application/pkixcmp\r\nContent-Length: 8\r\nCache-Control: no-cache\r\n' +
      `Pragma: no-cache\r\nConnection: ${connection}\r\nHost: 127.0.0.1:${server.port}`;
    expect(heads).toEqual([head('close'), head('keep-alive')]);
  });

  it('sends neither an Accept nor an Accept-Encoding header, as RFC 9811 negotiates neither', async () => {
    let headers: http.IncomingHttpHeaders = {};
    const server = await serve((req, res) => {
      headers = req.headers;
      answerPkix(res);
    });
    await transferTo(server.origin)(PKIMESSAGE, {});
    expect(headers['accept']).toBeUndefined();
    expect(headers['accept-encoding']).toBeUndefined();
  });

  it('sends exactly the bytes of a Uint8Array view, not its whole underlying buffer', async () => {
    let body: Buffer = Buffer.alloc(0);
    const server = await serve(async (req, res) => {
      body = await readBody(req);
      answerPkix(res);
    });
    const backing = new Uint8Array(64).fill(0xee);
    backing.set(PKIMESSAGE, 10);
    await transferTo(server.origin)(backing.subarray(10, 10 + PKIMESSAGE.length), {});
    expect(body).toEqual(Buffer.from(PKIMESSAGE));
  });

  it("uses '/' when the server address has no path, and `path` over the address's path", async () => {
    const urls: string[] = [];
    const server = await serve((req, res) => {
      urls.push(req.url ?? '');
      answerPkix(res);
    });
    await transferTo(`127.0.0.1:${server.port}`)(PKIMESSAGE, {});
    await transferTo(`${server.origin}/ignored`, { path: 'pkix/' })(PKIMESSAGE, {});
    await transferTo(`${server.origin}/pkix/?ca=one#fragment`)(PKIMESSAGE, {});
    expect(urls).toEqual(['/', '/pkix/', '/pkix/?ca=one']);
  });

  it('returns a response that owns its bytes rather than a view into a connection buffer', async () => {
    const server = await serve((_req, res) => answerPkix(res));
    const response = await transferTo(server.origin)(PKIMESSAGE, {});
    expect(response.byteOffset).toBe(0);
    expect(response.buffer.byteLength).toBe(RESPONSE.length);
  });

  it('reads a body that the server delimits by closing the connection', async () => {
    const server = await startTcpServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nConnection: close\r\n\r\n');
        socket.end(Buffer.from(RESPONSE));
      });
    });
    servers.push(server);
    await expect(transferTo(server.origin)(PKIMESSAGE, {})).resolves.toEqual(RESPONSE);
  });

  it('accepts the media type in any case and with parameters', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'Application/PKIXCMP; charset=binary' });
      res.end(RESPONSE);
    });
    await expect(transferTo(server.origin)(PKIMESSAGE, {})).resolves.toEqual(RESPONSE);
  });
});

describe('responses that are not a CMP answer', () => {
  it('rejects HTTP 500 with ERR_HTTP_STATUS naming the server', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('boom');
    });
    const err = await expectCmpError(transferTo(server.origin)(PKIMESSAGE, {}), 'ERR_HTTP_STATUS');
    expect(err.message).toContain(`${server.origin}/`);
    expect(err.message).toContain('500');
  });

  it('rejects a 302 with ERR_HTTP_STATUS and does not follow it', async () => {
    const hits: string[] = [];
    const server = await serve((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/elsewhere') return answerPkix(res);
      res.writeHead(302, { Location: '/elsewhere' });
      res.end();
    });
    await expectCmpError(transferTo(server.origin)(PKIMESSAGE, {}), 'ERR_HTTP_STATUS');
    expect(hits).toEqual(['/']);
  });

  it('rejects another 2xx than 200 with ERR_HTTP_STATUS', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(202, { 'Content-Type': 'application/pkixcmp' });
      res.end(RESPONSE);
    });
    await expectCmpError(transferTo(server.origin)(PKIMESSAGE, {}), 'ERR_HTTP_STATUS');
  });

  it('rejects a wrong Content-Type with ERR_CONTENT_TYPE', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html></html>');
    });
    const err = await expectCmpError(transferTo(server.origin)(PKIMESSAGE, {}), 'ERR_CONTENT_TYPE');
    expect(err.message).toContain('text/html');
  });

  it('rejects a response without Content-Type with ERR_CONTENT_TYPE', async () => {
    const server = await serve((_req, res) => {
      res.removeHeader('Content-Type');
      res.writeHead(200);
      res.end(RESPONSE);
    });
    await expectCmpError(transferTo(server.origin)(PKIMESSAGE, {}), 'ERR_CONTENT_TYPE');
  });
});

describe('the response size limit', () => {
  it('defaults to 100 KiB: a body of exactly that size passes, one byte more fails', async () => {
    const size = 100 * 1024;
    const server = await serve((req, res) => answerPkix(res, new Uint8Array(req.url === '/big' ? size + 1 : size)));
    await expect(transferTo(server.origin)(PKIMESSAGE, {})).resolves.toHaveLength(size);
    await expectCmpError(transferTo(`${server.origin}/big`)(PKIMESSAGE, {}), 'ERR_RESPONSE_TOO_LARGE');
  });

  it('rejects a declared 10 MB body at once, without reading it', async () => {
    let written = 0;
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/pkixcmp', 'Content-Length': 10 * 1024 * 1024 });
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (written < 10 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const started = performance.now();
    await expectCmpError(transferTo(server.origin, { maxResponseBytes: 4096 })(PKIMESSAGE, {}), 'ERR_RESPONSE_TOO_LARGE');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(written).toBeLessThan(10 * 1024 * 1024);
  });

  it('cuts off an endless chunked body once the limit is passed', async () => {
    let serverSawClose = false;
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/pkixcmp' });
      res.on('close', () => (serverSawClose = true));
      const chunk = Buffer.alloc(16 * 1024, 0x41);
      const pump = () => {
        while (!res.destroyed) {
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    const started = performance.now();
    const err = await expectCmpError(transferTo(server.origin)(PKIMESSAGE, {}), 'ERR_RESPONSE_TOO_LARGE');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(err.message).toContain(String(100 * 1024));
    await new Promise((r) => setTimeout(r, 50));
    expect(serverSawClose).toBe(true);
  });
});

describe('the per-message timeout', () => {
  it('rejects with ERR_TIMEOUT when the server never answers', async () => {
    const server = await serve(() => undefined);
    const started = performance.now();
    await expectCmpError(transferTo(server.origin)(PKIMESSAGE, { timeoutMs: 300 }), 'ERR_TIMEOUT');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
  });

  it('counts msgTimeout in seconds when the context gives no timeoutMs', async () => {
    const server = await serve(() => undefined);
    const started = performance.now();
    await expectCmpError(transferTo(server.origin, { msgTimeout: 1 })(PKIMESSAGE, {}), 'ERR_TIMEOUT');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(2500);
  });

  it('covers the body: a server trickling one byte per second times out', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/pkixcmp', 'Content-Length': 100 });
      res.flushHeaders();
      const timer = setInterval(() => res.write(Buffer.of(0x30)), 1000);
      res.on('close', () => clearInterval(timer));
    });
    const started = performance.now();
    await expectCmpError(transferTo(server.origin)(PKIMESSAGE, { timeoutMs: 1500 }), 'ERR_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('waits indefinitely with timeoutMs 0', async () => {
    const server = await serve((_req, res) => setTimeout(() => answerPkix(res), 300));
    await expect(transferTo(server.origin, { msgTimeout: 0.1 })(PKIMESSAGE, { timeoutMs: 0 })).resolves.toEqual(RESPONSE);
  });
});

describe('connection failures', () => {
  it('rejects a refused connection with ERR_CONNECTION', async () => {
    const port = await unusedPort();
    const err = await expectCmpError(transferTo(`127.0.0.1:${port}`)(PKIMESSAGE, {}), 'ERR_CONNECTION');
    expect(err.message).toContain(`http://127.0.0.1:${port}/`);
  });

  it('rejects a connection reset in the middle of the body with ERR_CONNECTION', async () => {
    const server = await startTcpServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: 100\r\n\r\n0123456789');
        setTimeout(() => socket.resetAndDestroy(), 50);
      });
    });
    servers.push(server);
    await expectCmpError(transferTo(server.origin)(PKIMESSAGE, {}), 'ERR_CONNECTION');
  });

  it('rejects a server that ends the connection before the declared body is complete with ERR_CONNECTION', async () => {
    const server = await startTcpServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: 100\r\n\r\n0123456789'));
    });
    servers.push(server);
    await expectCmpError(transferTo(server.origin)(PKIMESSAGE, {}), 'ERR_CONNECTION');
  });

  it('rejects a server that closes without answering with ERR_CONNECTION', async () => {
    const server = await startTcpServer((socket) => socket.once('data', () => socket.destroy()));
    servers.push(server);
    await expectCmpError(transferTo(server.origin)(PKIMESSAGE, {}), 'ERR_CONNECTION');
  });
});

describe('HTTP framing, read strictly (plain HTTP goes over node:net with our own reader)', () => {
  /** A raw server that answers each request on a connection with the next of `answers`. */
  async function answering(...answers: string[]): Promise<LocalServer> {
    const server = await startTcpServer((socket) => {
      let next = 0;
      socket.on('data', () => {
        if (next < answers.length) socket.write(Buffer.from(answers[next++]!, 'latin1'));
      });
    });
    servers.push(server);
    return server;
  }
  const OK_HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\n';
  const body = Buffer.from(RESPONSE).toString('latin1');

  it('reads a chunked answer after a 100 Continue', async () => {
    const chunked = `HTTP/1.1 100 Continue\r\n\r\n${OK_HEAD}Transfer-Encoding: chunked\r\n\r\n3\r\n${body.slice(0, 3)}\r\n4\r\n${body.slice(3)}\r\n0\r\n\r\n`;
    const server = await answering(chunked);
    await expect(transferTo(server.origin)(PKIMESSAGE, {})).resolves.toEqual(RESPONSE);
  });

  it('refuses Transfer-Encoding beside Content-Length with ERR_TRANSPORT naming the server', async () => {
    const server = await answering(`${OK_HEAD}Content-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
    const err = await expectCmpError(transferTo(server.origin)(PKIMESSAGE, {}), 'ERR_TRANSPORT');
    expect(err.message).toBe(`transfer with CMP server ${server.origin}/ failed: malformed HTTP response: both Transfer-Encoding and Content-Length`);
  });

  it('refuses a head that never ends once it passes 16 KiB, without waiting for the timeout', async () => {
    const server = await answering(`${OK_HEAD}X-Pad: ${'a'.repeat(17 * 1024)}`);
    const err = await expectCmpError(transferTo(server.origin)(PKIMESSAGE, { timeoutMs: 10_000 }), 'ERR_TRANSPORT');
    expect(err.message).toMatch(/head longer than 16384 bytes/);
  });

  it('does not reuse a connection that carried bytes after the answer', async () => {
    const ports: number[] = [];
    const server = await startTcpServer((socket) => {
      ports.push(socket.remotePort!);
      socket.on('data', () => socket.write(`${OK_HEAD}Content-Length: ${RESPONSE.length}\r\n\r\n${body}unasked`, 'latin1'));
    });
    servers.push(server);
    const transfer = transferTo(server.origin);
    await expect(transfer(PKIMESSAGE, { bodyType: 'ir' })).resolves.toEqual(RESPONSE);
    await expect(transfer(PKIMESSAGE, { bodyType: 'certConf' })).resolves.toEqual(RESPONSE);
    expect(ports).toHaveLength(2);
  });

  it('opens a new connection when the server closed the kept one while it was idle', async () => {
    const ports: number[] = [];
    const server = await startTcpServer((socket) => {
      ports.push(socket.remotePort!);
      socket.once('data', () => {
        socket.write(`${OK_HEAD}Content-Length: ${RESPONSE.length}\r\n\r\n${body}`, 'latin1');
        setTimeout(() => socket.end(), 20);
      });
    });
    servers.push(server);
    const transfer = transferTo(server.origin);
    await expect(transfer(PKIMESSAGE, { bodyType: 'ir' })).resolves.toEqual(RESPONSE);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(transfer(PKIMESSAGE, { bodyType: 'certConf' })).resolves.toEqual(RESPONSE);
    expect(ports).toHaveLength(2);
  });

  it('keeps one connection for concurrent transactions each, and reuses them afterwards', async () => {
    const rec: number[] = [];
    const server = await serve((req, res) => {
      rec.push(req.socket.remotePort ?? -1);
      setTimeout(() => answerPkix(res), 20);
    });
    const transfer = transferTo(server.origin);
    await Promise.all([transfer(PKIMESSAGE, { bodyType: 'ir' }), transfer(PKIMESSAGE, { bodyType: 'ir' })]);
    await Promise.all([transfer(PKIMESSAGE, { bodyType: 'certConf' }), transfer(PKIMESSAGE, { bodyType: 'certConf' })]);
    expect(new Set(rec.slice(0, 2)).size).toBe(2);
    expect(new Set(rec.slice(2))).toEqual(new Set(rec.slice(0, 2)));
  });

  it('refuses a path that a request line cannot carry when the transfer is made', () => {
    expect(() => createHttpTransfer({ server: 'http://127.0.0.1:1/', path: 'caf\u20ac', env: {} })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });
});

describe('aborting', () => {
  it('rejects with ERR_ABORTED soon after the signal fires', async () => {
    const server = await serve(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await expectCmpError(transferTo(server.origin)(PKIMESSAGE, { signal: controller.signal }), 'ERR_ABORTED');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('does not contact the server when the signal is already aborted', async () => {
    let hits = 0;
    const server = await serve((_req, res) => {
      hits++;
      answerPkix(res);
    });
    await expectCmpError(transferTo(server.origin)(PKIMESSAGE, { signal: AbortSignal.abort() }), 'ERR_ABORTED');
    expect(hits).toBe(0);
  });

  it('stops reading a body that is still arriving', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/pkixcmp', 'Content-Length': 100 });
      res.write('0');
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    await expectCmpError(transferTo(server.origin)(PKIMESSAGE, { signal: controller.signal }), 'ERR_ABORTED');
  });
});

describe('persistent connections', () => {
  function socketRecorder(): { ports: number[]; connection: (string | undefined)[]; handler: http.RequestListener } {
    const ports: number[] = [];
    const connection: (string | undefined)[] = [];
    return {
      ports,
      connection,
      handler: (req, res) => {
        ports.push(req.socket.remotePort ?? -1);
        connection.push(req.headers.connection);
        answerPkix(res);
      },
    };
  }

  it('carries a request and its certConf over one socket, asking to close after the certConf', async () => {
    const rec = socketRecorder();
    const server = await serve(rec.handler);
    const transfer = transferTo(server.origin);
    await transfer(PKIMESSAGE, { bodyType: 'ir' });
    await transfer(PKIMESSAGE, { bodyType: 'certConf' });
    expect(rec.ports[0]).toBe(rec.ports[1]);
    expect(rec.connection).toEqual(['keep-alive', 'close']);
  });

  it('opens a new connection per message with keepAlive 0', async () => {
    const rec = socketRecorder();
    const server = await serve(rec.handler);
    const transfer = transferTo(server.origin, { keepAlive: 0 });
    await transfer(PKIMESSAGE, { bodyType: 'ir' });
    await transfer(PKIMESSAGE, { bodyType: 'pollReq' });
    expect(rec.ports[0]).not.toBe(rec.ports[1]);
    expect(rec.connection).toEqual(['close', 'close']);
  });

  it('with keepAlive 2, rejects a server that closes the connection after a request that expects more', async () => {
    const server = await serve((_req, res) => {
      res.setHeader('Connection', 'close');
      answerPkix(res);
    });
    await expectCmpError(transferTo(server.origin, { keepAlive: 2 })(PKIMESSAGE, { bodyType: 'ir' }), 'ERR_TRANSPORT');
    await expect(transferTo(server.origin, { keepAlive: 2 })(PKIMESSAGE, { bodyType: 'certConf' })).resolves.toEqual(RESPONSE);
  });

  it('with keepAlive 2, takes an HTTP/1.0 answer as closing unless it says keep-alive', async () => {
    const server = await startTcpServer((socket) => {
      socket.once('data', (request: Buffer) => {
        const keep = request.toString('latin1').startsWith('POST /keep ');
        socket.write(
          `HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: ${RESPONSE.length}\r\n` +
            `${keep ? 'Connection: keep-alive\r\n' : ''}\r\n`,
        );
        socket.write(Buffer.from(RESPONSE));
        if (!keep) socket.end();
      });
    });
    servers.push(server);
    const closing = transferTo(server.origin, { keepAlive: 2 });
    const keeping = transferTo(`${server.origin}/keep`, { keepAlive: 2 });
    await expectCmpError(closing(PKIMESSAGE, { bodyType: 'ir' }), 'ERR_TRANSPORT');
    await expect(keeping(PKIMESSAGE, { bodyType: 'ir' })).resolves.toEqual(RESPONSE);
  });

  it('reconnects after close()', async () => {
    const rec = socketRecorder();
    const server = await serve(rec.handler);
    const transfer = transferTo(server.origin);
    await transfer(PKIMESSAGE, { bodyType: 'ir' });
    transfer.close();
    await transfer(PKIMESSAGE, { bodyType: 'certConf' });
    expect(rec.ports[0]).not.toBe(rec.ports[1]);
  });
});

describe('options and messages', () => {
  it('never puts userinfo of the server address into errors, and exposes the URL without it', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(500);
      res.end();
    });
    const transfer = transferTo(`http://alice:s3cret@127.0.0.1:${server.port}/pkix/`);
    expect(transfer.url).toBe(`http://127.0.0.1:${server.port}/pkix/`);
    const err = await expectCmpError(transfer(PKIMESSAGE, {}), 'ERR_HTTP_STATUS');
    expect(JSON.stringify(err.toJSON())).not.toContain('s3cret');
    expect(err.message).not.toContain('alice');
  });

  it.each([
    [{ keepAlive: 3 as never }],
    [{ msgTimeout: -1 }],
    [{ msgTimeout: Number.NaN }],
    [{ maxResponseBytes: -1 }],
    [{ maxResponseBytes: 1.5 }],
    [{ path: '/a b' }],
  ])('rejects invalid option %j with ERR_INVALID_OPTION', async (bad) => {
    await expectCmpError(() => createHttpTransfer({ server: '127.0.0.1:1', env: {}, ...bad }), 'ERR_INVALID_OPTION');
  });

  it('rejects a negative timeoutMs with ERR_INVALID_OPTION', async () => {
    await expectCmpError(transferTo('127.0.0.1:1')(PKIMESSAGE, { timeoutMs: -5 }), 'ERR_INVALID_OPTION');
  });
});
