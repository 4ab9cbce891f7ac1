/** The HTTP listener (RFC 9811): what it answers to CMP requests and to everything else. */
import { certRequestBody, buildRequest, newKey, readAnswer } from './client-messages';
import { makeServer, PBM } from './fixtures';
import { Agent, request, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { listen, type Listener } from '../../src/server';

const listeners: Listener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

async function serve(options: Parameters<typeof listen>[1] = {}, config: Parameters<typeof makeServer>[0] = {}): Promise<Listener> {
  const listener = await listen(await makeServer(config), options);
  listeners.push(listener);
  return listener;
}

async function irBytes(): Promise<Uint8Array> {
  return (await buildRequest(await certRequestBody({ key: await newKey(), subject: '/CN=over http' }), { auth: PBM })).der;
}

function post(url: string, body: Uint8Array, contentType = 'application/pkixcmp'): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': contentType }, body: Uint8Array.from(body) });
}

describe('the HTTP listener', () => {
  it('listens on 127.0.0.1 with a free port and answers a POST to /pkix/ and / with application/pkixcmp', async () => {
    const listener = await serve();
    expect(listener.url).toBe(`http://127.0.0.1:${listener.port}/pkix/`);
    expect(listener.port).toBeGreaterThan(0);
    for (const url of [listener.url, `http://127.0.0.1:${listener.port}/`]) {
      const res = await post(url, await irBytes());
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pkixcmp');
      expect(readAnswer(new Uint8Array(await res.arrayBuffer())).type).toBe('ip');
    }
  });

  it('answers a CMP error, not an HTTP error, to a body that is not a PKIMessage', async () => {
    const listener = await serve();
    const res = await post(listener.url, Uint8Array.of(1, 2, 3));
    expect(res.status).toBe(200);
    expect(readAnswer(new Uint8Array(await res.arrayBuffer())).failInfo).toEqual(['badDataFormat']);
  });

  it('refuses other paths (404), methods (405), content types (415) and oversized bodies (413)', async () => {
    const listener = await serve({ bodyLimit: 100 });
    const base = `http://127.0.0.1:${listener.port}`;
    expect((await post(`${base}/other/`, Uint8Array.of(0))).status).toBe(404);
    expect((await fetch(listener.url)).status).toBe(405);
    expect((await post(listener.url, Uint8Array.of(0), 'application/octet-stream')).status).toBe(415);
    expect((await post(listener.url, new Uint8Array(101))).status).toBe(413);
  });

  it('closes by itself after maxMsgs requests', async () => {
    const listener = await serve({}, { maxMsgs: 2 });
    expect((await post(listener.url, await irBytes())).status).toBe(200);
    expect((await post(listener.url, await irBytes())).status).toBe(200);
    await listener.closed;
    await expect(post(listener.url, await irBytes())).rejects.toThrow();
  });

  it('listens on the port it is given', async () => {
    const first = await serve();
    const port = first.port;
    await first.close();
    const second = await serve({ port });
    expect(second.port).toBe(port);
  });
});

/** POSTs `body` through `agent`; resolves with the status and whether a kept-alive connection was reused. */
function postThrough(agent: Agent, url: string, body: Uint8Array): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request(
      url,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/pkixcmp', 'Content-Length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
      },
    );
    req.on('error', reject);
    req.end(Buffer.from(body));
  });
}

describe('the HTTP listener under load and against slow clients', () => {
  it("keeps a connection while its client pauses between messages longer than Node's 5 s keep-alive default", async () => {
    const listener = await serve();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await postThrough(agent, listener.url, await irBytes())).toEqual({ status: 200, reused: false });
      // A client busy with many sessions can take this long to send its certConf.
      await new Promise((r) => setTimeout(r, 6000));
      expect(await postThrough(agent, listener.url, await irBytes())).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  }, 20_000);

  it('still closes a connection that never completes its headers (slowloris), after headersTimeoutMs', async () => {
    const listener = await serve({ headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    const socket = connect(listener.port, '127.0.0.1');
    const started = Date.now();
    const answer: Buffer[] = [];
    socket.on('data', (b: Buffer) => answer.push(b));
    socket.write('POST /pkix/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/pkixcmp\r\n');
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(5000);
    expect(Buffer.concat(answer).toString('latin1')).toMatch(/^HTTP\/1\.1 408/);
  });

  it('answers every one of 200 requests sent at once over separate connections', async () => {
    const listener = await serve();
    const bodies = await Promise.all(Array.from({ length: 200 }, () => irBytes()));
    const agent = new Agent({ keepAlive: true, maxSockets: 200 });
    try {
      const results = await Promise.all(bodies.map((b) => postThrough(agent, listener.url, b)));
      expect(results.map((r) => r.status)).toEqual(bodies.map(() => 200));
    } finally {
      agent.destroy();
    }
  });

  it('refuses limits that are not positive integers, and a request limit below the header limit', async () => {
    const server = await makeServer();
    for (const options of [
      { headersTimeoutMs: 0 },
      { requestTimeoutMs: 1.5 },
      { keepAliveTimeoutMs: -1 },
      { backlog: 0 },
      { headersTimeoutMs: 2000, requestTimeoutMs: 1000 },
    ]) {
      expect(() => listen(server, options)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    }
  });
});
