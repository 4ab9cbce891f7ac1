/**
 * axiosTransfer against local HTTP servers that misbehave on purpose: it keeps the promises of the
 * default transport (the media type both ways, 200 only, no redirects, the size limit, the
 * per-message timeout over the body, the abort signal, the same CmpError codes) while every
 * request goes through the application's axios instance and its interceptors.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import axios, { type AxiosInstance } from 'axios';
import * as ts from 'typescript';
import { axiosTransfer } from '../../src/transport/axios';
import { expectCmpError } from './helpers/cmp-error';
import { readBody, startHttpServer, startTcpServer, unusedPort, type LocalServer } from './helpers/local-servers';

const PKIMESSAGE = Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x02, 0x30, 0x01, 0x00]);
const RESPONSE = Uint8Array.from([0x30, 0x05, 0x04, 0x03, 0xaa, 0xbb, 0xcc]);

let servers: LocalServer[] = [];
let agents: http.Agent[] = [];

afterEach(async () => {
  for (const agent of agents) agent.destroy();
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  agents = [];
});

async function serve(handler: http.RequestListener): Promise<LocalServer> {
  const server = await startHttpServer(handler);
  servers.push(server);
  return server;
}

/** An application's instance: its own agent (closed after each test) and no proxy from the environment. */
function instance(): AxiosInstance {
  const agent = new http.Agent({ keepAlive: true });
  agents.push(agent);
  return axios.create({ httpAgent: agent, proxy: false });
}

function answerPkix(res: http.ServerResponse, body: Uint8Array = RESPONSE): void {
  res.writeHead(200, { 'Content-Type': 'application/pkixcmp', 'Content-Length': body.length });
  res.end(body);
}

describe('an RFC 9811 exchange through axios', () => {
  it('POSTs the DER bytes as application/pkixcmp, uncached, and returns the answer as a Uint8Array of its own', async () => {
    const seen: { method?: string; url?: string; type?: string; cache?: string; body?: Buffer }[] = [];
    const server = await serve(async (req, res) => {
      seen.push({
        method: req.method,
        url: req.url,
        type: req.headers['content-type'],
        cache: req.headers['cache-control'],
        body: await readBody(req),
      });
      answerPkix(res);
    });
    const answer = await axiosTransfer(instance(), `${server.origin}/cmp/p`)(PKIMESSAGE, { bodyType: 'ir' });
    expect(answer).toEqual(RESPONSE);
    expect(Object.prototype.toString.call(answer)).toBe('[object Uint8Array]');
    expect(answer.byteOffset).toBe(0);
    expect(answer.buffer.byteLength).toBe(RESPONSE.length);
    expect(seen).toEqual([{ method: 'POST', url: '/cmp/p', type: 'application/pkixcmp', cache: 'no-cache', body: Buffer.from(PKIMESSAGE) }]);
  });

  it("lets the instance's interceptors see and change each CMP request, and resolves the URL against its baseURL", async () => {
    const apiKeys: (string | undefined)[] = [];
    const server = await serve((req, res) => {
      apiKeys.push(req.headers['x-api-key'] as string | undefined);
      answerPkix(res);
    });
    const app = instance();
    app.defaults.baseURL = server.origin;
    const intercepted: { url?: string; type: unknown; bytes: number }[] = [];
    app.interceptors.request.use((config) => {
      intercepted.push({ url: config.url, type: config.headers.get('Content-Type'), bytes: (config.data as Uint8Array).length });
      config.headers.set('X-Api-Key', 'key-1');
      return config;
    });
    const transfer = axiosTransfer(app, '/cmp');
    await transfer(PKIMESSAGE, { bodyType: 'ir' });
    await transfer(PKIMESSAGE, { bodyType: 'certConf' });
    expect(intercepted).toEqual([
      { url: '/cmp', type: 'application/pkixcmp', bytes: PKIMESSAGE.length },
      { url: '/cmp', type: 'application/pkixcmp', bytes: PKIMESSAGE.length },
    ]);
    expect(apiKeys).toEqual(['key-1', 'key-1']);
  });

  it("does not let the instance's JSON defaults touch the bytes", async () => {
    const server = await serve((_req, res) => answerPkix(res, Buffer.from('{"a":1}')));
    const app = instance();
    app.defaults.headers.common['Content-Type'] = 'application/json';
    expect(Buffer.from(await axiosTransfer(app, server.origin)(PKIMESSAGE, {})).toString()).toBe('{"a":1}');
  });

  it('accepts the media type in any case and with parameters, and the legacy pkixcmp-poll', async () => {
    const types = ['Application/PKIXCMP; charset=binary', 'application/pkixcmp-poll'];
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': types.shift()! });
      res.end(RESPONSE);
    });
    const transfer = axiosTransfer(instance(), server.origin);
    await expect(transfer(PKIMESSAGE, {})).resolves.toEqual(RESPONSE);
    await expect(transfer(PKIMESSAGE, {})).resolves.toEqual(RESPONSE);
  });
});

describe('responses that are not a CMP answer', () => {
  it('rejects HTTP 500 with ERR_HTTP_STATUS naming the server', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(500, 'Internal Server Error', { 'Content-Type': 'text/plain' });
      res.end('boom');
    });
    const err = await expectCmpError(axiosTransfer(instance(), `${server.origin}/cmp`)(PKIMESSAGE, {}), 'ERR_HTTP_STATUS');
    expect(err.message).toBe(`CMP server ${server.origin}/cmp answered HTTP 500 Internal Server Error`);
  });

  it('rejects a 302 with ERR_HTTP_STATUS and does not follow it', async () => {
    let followed = 0;
    const server = await serve((req, res) => {
      if (req.url === '/elsewhere') {
        followed++;
        return answerPkix(res);
      }
      res.writeHead(302, { Location: '/elsewhere' });
      res.end();
    });
    const err = await expectCmpError(axiosTransfer(instance(), server.origin)(PKIMESSAGE, {}), 'ERR_HTTP_STATUS');
    expect(err.message).toContain('redirects are not followed');
    expect(followed).toBe(0);
  });

  it('rejects a wrong Content-Type with ERR_CONTENT_TYPE, and a missing one', async () => {
    const server = await serve((req, res) => {
      res.writeHead(200, req.url === '/none' ? {} : { 'Content-Type': 'text/html' });
      res.end('<html></html>');
    });
    const wrong = await expectCmpError(axiosTransfer(instance(), server.origin)(PKIMESSAGE, {}), 'ERR_CONTENT_TYPE');
    expect(wrong.message).toContain("Content-Type 'text/html'");
    const none = await expectCmpError(axiosTransfer(instance(), `${server.origin}/none`)(PKIMESSAGE, {}), 'ERR_CONTENT_TYPE');
    expect(none.message).toContain('without Content-Type');
  });
});

describe('the response size limit', () => {
  it('defaults to 100 KiB: a body of exactly that size passes, one byte more fails', async () => {
    const size = 100 * 1024;
    const server = await serve((req, res) => answerPkix(res, new Uint8Array(req.url === '/big' ? size + 1 : size)));
    await expect(axiosTransfer(instance(), server.origin)(PKIMESSAGE, {})).resolves.toHaveLength(size);
    const err = await expectCmpError(axiosTransfer(instance(), `${server.origin}/big`)(PKIMESSAGE, {}), 'ERR_RESPONSE_TOO_LARGE');
    expect(err.message).toContain(String(size));
  });

  it('cuts off an endless body once the limit is passed', async () => {
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
    await expectCmpError(axiosTransfer(instance(), server.origin, { maxResponseBytes: 4096 })(PKIMESSAGE, {}), 'ERR_RESPONSE_TOO_LARGE');
    expect(performance.now() - started).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 50));
    expect(serverSawClose).toBe(true);
  });
});

describe('the per-message timeout', () => {
  it('rejects with ERR_TIMEOUT when the server never answers', async () => {
    const server = await serve(() => undefined);
    const started = performance.now();
    await expectCmpError(axiosTransfer(instance(), server.origin)(PKIMESSAGE, { timeoutMs: 300 }), 'ERR_TIMEOUT');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
  });

  it('counts msgTimeout in seconds when the context gives no timeoutMs', async () => {
    const server = await serve(() => undefined);
    const started = performance.now();
    await expectCmpError(axiosTransfer(instance(), server.origin, { msgTimeout: 0.5 })(PKIMESSAGE, {}), 'ERR_TIMEOUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(490);
  });

  it('covers the body: a server trickling bytes times out', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/pkixcmp', 'Content-Length': 100 });
      res.flushHeaders();
      const timer = setInterval(() => res.write(Buffer.of(0x30)), 200);
      res.on('close', () => clearInterval(timer));
    });
    const started = performance.now();
    await expectCmpError(axiosTransfer(instance(), server.origin)(PKIMESSAGE, { timeoutMs: 700 }), 'ERR_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(1700);
  });
});

describe('aborting', () => {
  it('rejects with ERR_ABORTED soon after the signal fires', async () => {
    const server = await serve(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await expectCmpError(axiosTransfer(instance(), server.origin)(PKIMESSAGE, { signal: controller.signal }), 'ERR_ABORTED');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('does not contact the server when the signal is already aborted', async () => {
    let hits = 0;
    const server = await serve((_req, res) => {
      hits++;
      answerPkix(res);
    });
    await expectCmpError(axiosTransfer(instance(), server.origin)(PKIMESSAGE, { signal: AbortSignal.abort() }), 'ERR_ABORTED');
    expect(hits).toBe(0);
  });
});

describe('connection failures and options', () => {
  it('rejects a refused connection with ERR_CONNECTION', async () => {
    const port = await unusedPort();
    const err = await expectCmpError(axiosTransfer(instance(), `http://127.0.0.1:${port}/`)(PKIMESSAGE, {}), 'ERR_CONNECTION');
    expect(err.message).toContain(`http://127.0.0.1:${port}/`);
  });

  it('rejects a server that closes without answering with ERR_CONNECTION', async () => {
    const server = await startTcpServer((socket) => socket.once('data', () => socket.destroy()));
    servers.push(server);
    await expectCmpError(axiosTransfer(instance(), server.origin)(PKIMESSAGE, {}), 'ERR_CONNECTION');
  });

  it('never puts userinfo of the URL into errors', async () => {
    const port = await unusedPort();
    const err = await expectCmpError(axiosTransfer(instance(), `http://user:s3cr3t@127.0.0.1:${port}/`)(PKIMESSAGE, {}), 'ERR_CONNECTION');
    expect(err.message).not.toContain('s3cr3t');
  });

  it('refuses bad options when created, and a request that is not a Uint8Array when called', async () => {
    expect(() => axiosTransfer(instance(), 'http://127.0.0.1/', { msgTimeout: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => axiosTransfer(instance(), 'http://127.0.0.1/', { maxResponseBytes: 1.5 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => axiosTransfer({} as AxiosInstance, 'http://127.0.0.1/')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => axiosTransfer(instance(), '')).toThrow(expect.objectContaining({ code: 'ERR_MISSING_OPTION' }));
    await expectCmpError(axiosTransfer(instance(), 'http://127.0.0.1/')('text' as unknown as Uint8Array, {}), 'ERR_INVALID_OPTION');
  });
});

describe('axios as an optional peer dependency', () => {
  const SRC = path.resolve(__dirname, '../../src');

  it('is never loaded by cmpflow itself: the transfer compiles to JavaScript without a require of axios', () => {
    const source = readFileSync(path.join(SRC, 'transport', 'axios.ts'), 'utf8');
    const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
    expect(outputText).toContain('require("../errors")');
    expect(outputText).not.toMatch(/require\("axios/);
  });

  it('is reached only through the cmpflow/axios entry, so the client entry never needs it', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const importers = files(SRC)
      .filter((file) => file.endsWith('.ts') && /['"](?:\.\.?\/)+(?:transport\/)?axios['"]|from 'axios'/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(SRC, file));
    expect(importers.sort()).toEqual(['entries/axios.ts', 'transport/axios.ts']);
  });
});
