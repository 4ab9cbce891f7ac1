import type * as http from 'node:http';
import { createHttpTransfer, type HttpTransfer, type HttpTransferOptions } from '../../src/transport';
import { expectCmpError } from './helpers/cmp-error';
import { startHttpServer, startHttpsServer, startProxy, startTcpServer, unusedPort, type LocalServer, type TestProxy } from './helpers/local-servers';
import { makeTestPki, type TestPki } from './helpers/test-pki';

const PKIMESSAGE = Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x02]);
const RESPONSE = Uint8Array.from([0x30, 0x03, 0x04, 0x01, 0x07]);

const answer: http.RequestListener = (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/pkixcmp' });
    res.end(RESPONSE);
  });
};

let pki: TestPki;
let plain: LocalServer;
let secure: LocalServer;
let proxy: TestProxy;
let transfers: HttpTransfer[] = [];

beforeAll(async () => {
  pki = makeTestPki();
  plain = await startHttpServer(answer);
  secure = await startHttpsServer({ cert: pki.serverCertPem, key: pki.serverKeyPem }, answer);
});

afterAll(async () => {
  await plain?.close();
  await secure?.close();
  pki?.dispose();
});

beforeEach(async () => {
  proxy = await startProxy();
});

afterEach(async () => {
  for (const t of transfers) t.close();
  transfers = [];
  await proxy.close();
});

function transfer(options: HttpTransferOptions): HttpTransfer {
  const t = createHttpTransfer(options);
  transfers.push(t);
  return t;
}

const tlsToSecure = () => ({ used: true, trusted: pki.caPem, host: 'cmp.test' });

describe('an explicit proxy', () => {
  it('receives plain HTTP messages as absolute-URI requests', async () => {
    const t = transfer({ server: `${plain.origin}/pkix/`, proxy: `127.0.0.1:${proxy.port}`, env: {} });
    await expect(t(PKIMESSAGE, {})).resolves.toEqual(RESPONSE);
    expect(proxy.seen).toEqual([`POST ${plain.origin}/pkix/`]);
  });

  it("names the server's authority, not the proxy's, in the Host header of a plain HTTP message", async () => {
    let host: string | undefined;
    const target = await startHttpServer((req, res) => {
      host = req.headers.host;
      answer(req, res);
    });
    try {
      await transfer({ server: `${target.origin}/pkix/`, proxy: `127.0.0.1:${proxy.port}`, env: {} })(PKIMESSAGE, {});
      expect(proxy.seen).toEqual([`POST ${target.origin}/pkix/`]);
      expect(host).toBe(`127.0.0.1:${target.port}`);
    } finally {
      await target.close();
    }
  });

  it('tunnels HTTPS with CONNECT, keeping TLS end-to-end, and reuses the tunnel for the next message', async () => {
    const t = transfer({ server: `127.0.0.1:${secure.port}`, proxy: `http://127.0.0.1:${proxy.port}`, tls: tlsToSecure(), env: {} });
    await expect(t(PKIMESSAGE, { bodyType: 'ir' })).resolves.toEqual(RESPONSE);
    await expect(t(PKIMESSAGE, { bodyType: 'certConf' })).resolves.toEqual(RESPONSE);
    expect(proxy.seen).toEqual([`CONNECT 127.0.0.1:${secure.port}`]);
  });

  it('still authenticates the server through the tunnel', async () => {
    const t = transfer({
      server: `127.0.0.1:${secure.port}`,
      proxy: `127.0.0.1:${proxy.port}`,
      tls: { ...tlsToSecure(), host: 'other.test' },
      env: {},
    });
    await expectCmpError(t(PKIMESSAGE, {}), 'ERR_TLS');
  });

  it('is bypassed for a host listed in noProxy', async () => {
    const t = transfer({ server: plain.origin, proxy: `127.0.0.1:${proxy.port}`, noProxy: 'cmp.example.org, 127.0.0.1', env: {} });
    await expect(t(PKIMESSAGE, {})).resolves.toEqual(RESPONSE);
    expect(proxy.seen).toEqual([]);
  });

  it('fails with ERR_CONNECTION, naming the proxy but not its credentials, when the proxy refuses CONNECT', async () => {
    const refusing = await startProxy({ refuseConnect: true });
    try {
      const t = transfer({
        server: `127.0.0.1:${secure.port}`,
        proxy: `http://bob:hunter2@127.0.0.1:${refusing.port}`,
        tls: tlsToSecure(),
        env: {},
      });
      const err = await expectCmpError(t(PKIMESSAGE, {}), 'ERR_CONNECTION');
      expect(err.message).toContain(`proxy http://127.0.0.1:${refusing.port}`);
      expect(err.message).toContain('403');
      expect(err.message).not.toContain('hunter2');
    } finally {
      await refusing.close();
    }
  });

  it('gives up a CONNECT the proxy never answers after msgTimeout, even once the message is over', async () => {
    let open = 0;
    const silent = await startTcpServer((socket) => {
      open++;
      socket.resume(); // reads the CONNECT, and so notices when the client hangs up
      socket.on('close', () => open--);
    });
    try {
      const t = transfer({
        server: `127.0.0.1:${secure.port}`,
        proxy: `127.0.0.1:${silent.port}`,
        tls: tlsToSecure(),
        msgTimeout: 0.3,
        env: {},
      });
      await expectCmpError(t(PKIMESSAGE, { timeoutMs: 100 }), 'ERR_TIMEOUT');
      expect(open).toBe(1);
      await new Promise((r) => setTimeout(r, 500));
      expect(open).toBe(0);
    } finally {
      await silent.close();
    }
  });

  it('fails with ERR_CONNECTION when the proxy cannot be reached', async () => {
    const port = await unusedPort();
    await expectCmpError(transfer({ server: plain.origin, proxy: `127.0.0.1:${port}`, env: {} })(PKIMESSAGE, {}), 'ERR_CONNECTION');
    await expectCmpError(
      transfer({ server: `127.0.0.1:${secure.port}`, proxy: `127.0.0.1:${port}`, tls: tlsToSecure(), env: {} })(PKIMESSAGE, {}),
      'ERR_CONNECTION',
    );
  });
});

describe('proxy settings from the environment, as openssl cmp reads them', () => {
  it('uses http_proxy for plain HTTP', async () => {
    const t = transfer({ server: plain.origin, env: { http_proxy: `http://127.0.0.1:${proxy.port}` } });
    await t(PKIMESSAGE, {});
    expect(proxy.seen).toEqual([`POST ${plain.origin}/`]);
  });

  it('uses HTTPS_PROXY, not http_proxy, for TLS', async () => {
    const t = transfer({
      server: `127.0.0.1:${secure.port}`,
      tls: tlsToSecure(),
      env: { http_proxy: 'http://127.0.0.1:1', HTTPS_PROXY: `127.0.0.1:${proxy.port}` },
    });
    await expect(t(PKIMESSAGE, {})).resolves.toEqual(RESPONSE);
    expect(proxy.seen).toEqual([`CONNECT 127.0.0.1:${secure.port}`]);
  });

  it('honours no_proxy', async () => {
    const t = transfer({ server: plain.origin, env: { http_proxy: `127.0.0.1:${proxy.port}`, NO_PROXY: 'localhost 127.0.0.1' } });
    await t(PKIMESSAGE, {});
    expect(proxy.seen).toEqual([]);
  });

  it('is overridden by an empty proxy option', async () => {
    const t = transfer({ server: plain.origin, proxy: '', env: { http_proxy: `127.0.0.1:${proxy.port}` } });
    await t(PKIMESSAGE, {});
    expect(proxy.seen).toEqual([]);
  });

  it('is overridden by an explicit noProxy option', async () => {
    const t = transfer({
      server: plain.origin,
      noProxy: 'cmp.example.org',
      env: { http_proxy: `127.0.0.1:${proxy.port}`, no_proxy: '127.0.0.1' },
    });
    await t(PKIMESSAGE, {});
    expect(proxy.seen).toEqual([`POST ${plain.origin}/`]);
  });
});
