/**
 * CmpClient against a server that fails at the transport or answers with stale messages: every
 * fault ends the session with its own CmpError within the configured timeouts, leaves no
 * connection open and no unhandled rejection behind.
 */
import { X509Certificate } from '@peculiar/x509';
import { CmpClient } from '../../src/client';
import type { CmpClientOptions } from '../../src/options';
import { startMockServer, type MockServer } from '../support/openssl';
import { makeTestPki, TEST_DN, type TestPki } from '../support/pki';
import { startHostileServer, type Fault, type HostileServer } from './hostile-server';
import { outcomeOf, settle, watchProcess, type ProcessWatch } from './watch';

const SECRET = 'transport-faults-secret';
const MSG_TIMEOUT_S = 1;
let pki: TestPki;
let watch: ProcessWatch;
let upstream: MockServer;
let server: HostileServer;

beforeAll(async () => {
  watch = watchProcess();
  pki = await makeTestPki();
  upstream = await startMockServer([
    '-srv_ref',
    'mock-server',
    '-srv_secret',
    `pass:${SECRET}`,
    '-srv_cert',
    pki.server.certPath,
    '-srv_key',
    pki.server.keyPath,
    '-rsp_cert',
    pki.enrolled.certPath,
    '-rsp_extracerts',
    pki.chainPath,
  ]);
  server = await startHostileServer({ upstream: upstream.url, secret: new TextEncoder().encode(SECRET) });
});
afterAll(async () => {
  watch?.stop();
  await server?.close();
  await upstream?.stop();
  await pki?.cleanup();
});
afterEach(() => watch.clear());

const options = (more: Partial<CmpClientOptions> = {}): CmpClientOptions => ({
  server: server.url,
  ref: 'client-ref',
  secret: SECRET,
  newKey: pki.newKeyPath,
  subject: '/CN=transport faults',
  expectSender: TEST_DN.server,
  msgTimeout: MSG_TIMEOUT_S,
  totalTimeout: 10,
  ...more,
});

/** Runs one enrollment through the scripted faults; returns its outcome and how long it took. */
async function enrollThrough(faults: Fault[], more: Partial<CmpClientOptions> = {}) {
  server.script(faults);
  const started = Date.now();
  const outcome = await outcomeOf(new CmpClient(options(more)).ir());
  const elapsed = Date.now() - started;
  await settle(100);
  return { code: 'ok' in outcome ? 'certificate' : outcome.code, message: 'ok' in outcome ? '' : outcome.message, elapsed };
}

interface FaultCase {
  name: string;
  fault: Fault;
  code: string;
}

const FIRST: FaultCase[] = (
  [
    ['a connection reset', { kind: 'reset' }, 'ERR_CONNECTION'],
    ['silence', { kind: 'silent' }, 'ERR_TIMEOUT'],
    ['one byte per second', { kind: 'trickle', intervalMs: 1000 }, 'ERR_TIMEOUT'],
    ['HTTP 500', { kind: 'status', status: 500 }, 'ERR_HTTP_STATUS'],
    ['HTTP 302 to elsewhere', { kind: 'status', status: 302, location: 'http://127.0.0.1:1/pkix/' }, 'ERR_HTTP_STATUS'],
    ['Content-Type text/html', { kind: 'contentType', contentType: 'text/html' }, 'ERR_CONTENT_TYPE'],
    ['no Content-Type', { kind: 'contentType', contentType: null }, 'ERR_CONTENT_TYPE'],
    ['a declared 10 MB body', { kind: 'oversized', bytes: 10 * 1024 * 1024 }, 'ERR_RESPONSE_TOO_LARGE'],
    ['an endless chunked body', { kind: 'endless' }, 'ERR_RESPONSE_TOO_LARGE'],
    ['a close in mid-body', { kind: 'closeMidBody' }, 'ERR_CONNECTION'],
    ['an empty body', { kind: 'body', der: new Uint8Array(0) }, 'ERR_ASN1_DECODE'],
    // '<' (0x3c) reads as a tag, 'h' (0x68) as a length beyond the input.
    ['an HTML page', { kind: 'body', der: new TextEncoder().encode('<html>hello</html>') }, 'ERR_ASN1_LENGTH'],
  ] as [string, Fault, string][]
).map(([name, fault, code]) => ({ name, fault, code }));

describe('a fault in answer to the first request', () => {
  it.each(FIRST)('$name ends the session with $code within the message timeout', async ({ fault, code }) => {
    const r = await enrollThrough([fault]);
    expect(r.code).toBe(code);
    // The per-message timeout bounds every fault; the margin is for connecting and a busy machine.
    expect(r.elapsed).toBeLessThan(MSG_TIMEOUT_S * 1000 + 1500);
    expect(r.message).not.toBe('');
    expect(watch.problems).toEqual([]);
    expect(server.openConnections()).toBe(0);
  });

  it("another transaction's response is refused with ERR_TRANSACTION_ID_MISMATCH", async () => {
    expect((await enrollThrough([])).code).toBe('certificate');
    const r = await enrollThrough([{ kind: 'foreign' }]);
    expect(r.code).toBe('ERR_TRANSACTION_ID_MISMATCH');
    expect(watch.problems).toEqual([]);
  });
});

describe('a fault in answer to the certConf', () => {
  it.each(FIRST.filter((c) => c.fault.kind !== 'contentType'))('$name ends the session with $code', async ({ fault, code }) => {
    const r = await enrollThrough([{ kind: 'forward' }, fault]);
    expect(r.code).toBe(code);
    expect(r.elapsed).toBeLessThan(2 * MSG_TIMEOUT_S * 1000 + 1500);
    expect(watch.problems).toEqual([]);
    expect(server.openConnections()).toBe(0);
  });

  it('the ip replayed as the answer to the certConf is refused with ERR_RECIP_NONCE_MISMATCH', async () => {
    const r = await enrollThrough([{ kind: 'forward' }, { kind: 'replay' }]);
    expect(r.code).toBe('ERR_RECIP_NONCE_MISMATCH');
    expect(watch.problems).toEqual([]);
  });
});

describe('the total timeout', () => {
  // OpenSSL (cmp_client.c send_receive_check) shortens each message's timeout to the time left of
  // -total_timeout, so a server that never answers cannot hold a session past it.
  it('also bounds a message exchange that outlasts it, not only the waits between polls', async () => {
    const r = await enrollThrough([{ kind: 'silent' }], { msgTimeout: 10, totalTimeout: 2 });
    expect(['ERR_TOTAL_TIMEOUT', 'ERR_TIMEOUT']).toContain(r.code);
    expect(r.elapsed).toBeLessThan(2000 + 1500);
  });
});

describe('keep-alive connections to a hostile server', () => {
  it('are closed by the client when the session fails, whatever the fault', async () => {
    for (const fault of [{ kind: 'silent' }, { kind: 'endless' }, { kind: 'status', status: 500 }] as Fault[]) {
      const r = await enrollThrough([{ kind: 'forward' }, fault], { keepAlive: 1 });
      expect(r.code).not.toBe('certificate');
      expect(server.openConnections()).toBe(0);
    }
    expect(watch.problems).toEqual([]);
  });

  it('still yield a certificate when the server behaves', async () => {
    server.script([]);
    const result = await new CmpClient(options({ keepAlive: 1 })).ir();
    expect(result.certificate.equal(new X509Certificate(pki.enrolled.certPem))).toBe(true);
  });
});
