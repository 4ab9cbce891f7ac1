/**
 * Failing sessions must not accumulate anything: after 200 of them against a hostile server, the
 * heap (after full collections) has grown by less than a bound, no socket or timer is left
 * behind, and no rejection went unhandled.
 */
import * as vm from 'node:vm';
import { CmpClient } from '../../src/client';
import { makeTestPki, TEST_DN, type TestPki } from '../support/pki';
import { startHostileServer, type Fault, type HostileServer } from './hostile-server';
import { pollRep, respondTo } from './responder';
import { heapAfterGc, outcomeOf, settle, watchProcess, type ProcessWatch } from './watch';

const SECRET = 'memory-secret';
const SESSIONS = 200;
/** 200 sessions may leave this much at most: 40 KiB per session would already be a leak. */
const HEAP_GROWTH_BOUND = 8 * 1024 * 1024;

const realProcess = vm.runInThisContext('process') as NodeJS.Process & { _getActiveHandles(): unknown[] };
let pki: TestPki;
let watch: ProcessWatch;
let server: HostileServer;

beforeAll(async () => {
  watch = watchProcess();
  pki = await makeTestPki();
  server = await startHostileServer();
});
afterAll(async () => {
  watch?.stop();
  await server?.close();
  await pki?.cleanup();
});

const who = { secret: new TextEncoder().encode(SECRET), sender: TEST_DN.server };
const FAULTS: Fault[] = [
  { kind: 'reset' },
  { kind: 'status', status: 500 },
  { kind: 'body', der: Uint8Array.of(0x30, 0x80, 0x00, 0x00) },
  { kind: 'endless' },
  // Decoded, protection verified, then refused by the header check: the whole validation path.
  { kind: 'respond', respond: (req) => respondTo(req, pollRep(req, 1n), who, { transactionId: new Uint8Array(16) }) },
];

async function failingSessions(n: number, keepAlive: 0 | 1): Promise<Map<string, number>> {
  server.script(Array.from({ length: n }, (_, i) => FAULTS[i % FAULTS.length]!));
  const codes = new Map<string, number>();
  const client = new CmpClient({
    server: server.url,
    ref: 'client-ref',
    secret: SECRET,
    newKey: pki.newKeyPath,
    subject: '/CN=memory',
    msgTimeout: 2,
    totalTimeout: 10,
    keepAlive,
  });
  for (let i = 0; i < n; i++) {
    const outcome = await outcomeOf(client.ir());
    const code = 'ok' in outcome ? 'certificate' : outcome.code;
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  return codes;
}

describe(`${SESSIONS} failing sessions`, () => {
  it.each([0, 1] as const)(
    'with keepAlive %i leave the heap, sockets and timers as they found them',
    async (keepAlive) => {
      await failingSessions(20, keepAlive); // warms caches and JIT up, so that only growth is measured
      await settle(200);
      const handlesBefore = realProcess._getActiveHandles().length;
      const heapBefore = await heapAfterGc();

      const codes = await failingSessions(SESSIONS, keepAlive);
      await settle(200);
      const heapAfter = await heapAfterGc();

      expect(Object.fromEntries(codes)).toEqual({
        ERR_CONNECTION: SESSIONS / 5,
        ERR_HTTP_STATUS: SESSIONS / 5,
        ERR_ASN1_INDEFINITE_LENGTH: SESSIONS / 5,
        ERR_RESPONSE_TOO_LARGE: SESSIONS / 5,
        ERR_TRANSACTION_ID_MISMATCH: SESSIONS / 5,
      });
      expect(heapAfter - heapBefore).toBeLessThan(HEAP_GROWTH_BOUND);
      expect(realProcess._getActiveHandles().length).toBeLessThanOrEqual(handlesBefore);
      expect(server.openConnections()).toBe(0);
      expect(watch.problems).toEqual([]);
    },
    120_000,
  );
});
