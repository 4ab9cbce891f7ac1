/** The HTTP listener (RFC 9811): what it answers to CMP requests and to everything else. */
import { certRequestBody, buildRequest, newKey, readAnswer } from './client-messages';
import { makeServer, PBM } from './fixtures';
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
