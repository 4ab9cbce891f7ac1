/**
 * Faults that hit while an enrollment polls. tryCertReq leaves the session persisted while it
 * waits; the next poll meets the fault and fails with its CmpError; and the SAME persisted session
 * then resumes against the healthy server (`openssl cmp -port 0`) and gets the certificate, in
 * the transaction the server started (it sees one ir only).
 */
import { X509Certificate } from '@peculiar/x509';
import { CmpClient } from '../../src/client';
import type { CmpClientOptions } from '../../src/options';
import { sessionTransactionId } from '../../src/session';
import { startMockServer } from '../support/openssl';
import { makeTestPki, TEST_DN, type TestPki } from '../support/pki';
import { startHostileServer, type Fault } from './hostile-server';
import { pollRep, respondTo } from './responder';
import { outcomeOf, settle, watchProcess, type ProcessWatch } from './watch';

const SECRET = 'poll-faults-secret';
const secret = new TextEncoder().encode(SECRET);
const who = { secret, sender: TEST_DN.server };
let pki: TestPki;
let watch: ProcessWatch;

beforeAll(async () => {
  watch = watchProcess();
  pki = await makeTestPki();
});
afterAll(async () => {
  watch?.stop();
  await pki?.cleanup();
});
afterEach(() => watch.clear());

const options = (url: string): CmpClientOptions => ({
  server: url,
  ref: 'client-ref',
  secret: SECRET,
  newKey: pki.newKeyPath,
  subject: '/CN=poll faults',
  expectSender: TEST_DN.server,
  msgTimeout: 1,
  totalTimeout: 30,
  // OpenSSL's mock cancels a transaction whose kept-alive connection closes under it.
  keepAlive: 0,
});

/** Faults of the poll that never reach the real server, so its transaction stays where it was. */
const FAULTS: { name: string; fault: Fault; code: string }[] = [
  { name: 'a connection reset', fault: { kind: 'reset' }, code: 'ERR_CONNECTION' },
  { name: 'silence', fault: { kind: 'silent' }, code: 'ERR_TIMEOUT' },
  { name: 'one byte per second', fault: { kind: 'trickle', intervalMs: 1000 }, code: 'ERR_TIMEOUT' },
  { name: 'HTTP 500', fault: { kind: 'status', status: 500 }, code: 'ERR_HTTP_STATUS' },
  { name: 'HTTP 302', fault: { kind: 'status', status: 302, location: 'http://127.0.0.1:1/' }, code: 'ERR_HTTP_STATUS' },
  { name: 'a declared 10 MB body', fault: { kind: 'oversized', bytes: 10 * 1024 * 1024 }, code: 'ERR_RESPONSE_TOO_LARGE' },
  { name: 'an endless chunked body', fault: { kind: 'endless' }, code: 'ERR_RESPONSE_TOO_LARGE' },
  { name: 'a close in mid-body', fault: { kind: 'closeMidBody' }, code: 'ERR_CONNECTION' },
  { name: 'garbage bytes', fault: { kind: 'body', der: Uint8Array.of(0x30, 0x03, 0x02, 0x01) }, code: 'ERR_ASN1_LENGTH' },
  { name: 'the previous pollRep replayed', fault: { kind: 'replay' }, code: 'ERR_RECIP_NONCE_MISMATCH' },
  {
    name: 'a pollRep of another transaction',
    fault: { kind: 'respond', respond: (req) => respondTo(req, pollRep(req, 1n), who, { transactionId: new Uint8Array(16).fill(7) }) },
    code: 'ERR_TRANSACTION_ID_MISMATCH',
  },
  {
    name: 'a pollRep with checkAfter -1',
    fault: { kind: 'respond', respond: (req) => respondTo(req, pollRep(req, -1n), who) },
    code: 'ERR_CHECK_AFTER',
  },
  {
    name: 'a pollRep for another certReqId',
    fault: { kind: 'respond', respond: (req) => respondTo(req, pollRep(req, 1n, 42n), who) },
    code: 'ERR_CERT_REQ_ID_MISMATCH',
  },
  {
    name: 'a pollRep protected with another secret',
    fault: { kind: 'respond', respond: (req) => respondTo(req, pollRep(req, 1n), { ...who, secret: new TextEncoder().encode('guessed') }) },
    code: 'ERR_PROTECTION_INVALID',
  },
];

describe('a fault while polling', () => {
  it.each(FAULTS)('$name fails the poll with $code, and the persisted session still completes', async ({ fault, code }) => {
    // ir -> ip(waiting) -> pollReq -> pollRep(check after 1 s) -> pollReq -> ip -> certConf.
    const real = await startMockServer([
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
      '-poll_count',
      '2',
      '-check_after',
      '1',
      '-verbosity',
      '7',
    ]);
    const hostile = await startHostileServer({ upstream: real.url, secret });
    try {
      const client = new CmpClient(options(hostile.url));
      const first = await client.tryCertReq('ir');
      expect(first.status).toBe('waiting');
      if (first.status !== 'waiting') return;
      const saved = JSON.stringify(first.session);

      hostile.script([fault]);
      const started = Date.now();
      const failed = await outcomeOf(client.tryCertReq('ir'));
      expect('ok' in failed ? 'certificate' : failed.code).toBe(code);
      expect(Date.now() - started).toBeLessThan(1000 + 1500);
      expect(hostile.exchanges.at(-1)?.requestBody).toBe('pollReq');

      const result = await new CmpClient(options(real.url)).resume(saved);
      expect(result.certificate.equal(new X509Certificate(pki.enrolled.certPem))).toBe(true);
      expect(result.transactionId).toBe(Buffer.from(sessionTransactionId(first.session), 'base64').toString('hex'));
      // The mock's output reaches us through a pipe, a moment after its answer.
      for (let i = 0; i < 40 && !/received CERTCONF/.test(real.log()); i++) await settle(25);
      expect(real.log().match(/received IR\b/g)).toHaveLength(1);
      expect(real.log()).toMatch(/received CERTCONF/);
      await settle();
      expect(watch.problems).toEqual([]);
      expect(hostile.openConnections()).toBe(0);
    } finally {
      await hostile.close();
      await real.stop();
    }
  });
});
