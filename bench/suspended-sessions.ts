/**
 * Child program: persisted waiting sessions. Measures the JSON size of a session resting in
 * `waiting`, then restores `count` such sessions in this one process and finishes them all.
 *
 * The sessions: one real waiting session comes from CmpClient.tryCertReq against the embedded CA
 * (answering `waiting`); `count` copies of its JSON get fresh random transactionIDs and a common
 * poll time a moment after all are restored. Restoring is CmpClient.resume() on each JSON string
 * (parse, validate, create and start the machine); all `count` then rest in memory together, and
 * at the poll time all poll at once. The answers come from a fast in-memory responder (see
 * support/fast-responder.ts) with a certificate the same CA issued for the session's key, so
 * that the client does its full work: pollReq, checking the ip (PBM, certificate, key, chain to
 * the CA), certConf, checking pkiConf.
 *
 *   suspended-sessions.ts '{"count": 100000}'
 */
import 'reflect-metadata';
import type * as Client from '../src/client';
import type * as Crypto from '../src/crypto';
import type { PersistedSession } from '../src/session';
import { report } from './support/child';
import { requireDist } from './support/dist';
import { EMBEDDED_REF, EMBEDDED_SECRET, startEmbeddedCa } from './support/embedded';
import { fastResponder } from './support/fast-responder';

export interface SuspendedSessionsResult {
  /** JSON.stringify size of a persisted waiting session, by key type of the request. */
  sessionBytes: { ecP256: number; rsa2048: number };
  count: number;
  /** Creating the `count` JSON strings (not part of restoring). */
  cloneMs: number;
  restoreMs: number;
  /** Heap and RSS growth with all sessions restored and waiting, per session. */
  heapBytesPerWaitingSession: number;
  rssBytesPerWaitingSession: number;
  completeMs: number;
  sessionsPerSecond: number;
  cpuMsPerSession: number;
  maxRssKb: number;
  completed: number;
  failed: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/** Time allowed per session to restore all before the common poll time. */
const RESTORE_ALLOWANCE_MS_PER_SESSION = 1;

interface Template {
  snapshot: {
    context: { transaction: { transactionId: string }; nextPollAt: number };
    children: { waitUntil: { snapshot: { input: { until: number } } } };
  };
}

async function main(): Promise<void> {
  const { count } = JSON.parse(process.argv[2] ?? '{}') as { count?: number };
  const n = count ?? 1000;
  const { CmpClient } = requireDist<typeof Client>('src/client');
  const { getCryptoProvider } = requireDist<typeof Crypto>('src/crypto');
  const provider = getCryptoProvider();
  const credentials = { ref: EMBEDDED_REF, secret: EMBEDDED_SECRET };

  // A CA that answers `waiting`, and one (same CA) that issues at once.
  const { server: waiting, ca } = await startEmbeddedCa({ pollCount: 2, checkAfter: 60 });
  const issuing = requireDist<typeof import('../src/server')>('src/server').createCmpServer({
    ...ca.serverConfig(),
    secrets: [{ ref: EMBEDDED_REF, secret: EMBEDDED_SECRET }],
  });
  const waitingSession = async (newKey: Awaited<ReturnType<typeof provider.generateKey>>): Promise<PersistedSession> => {
    const client = new CmpClient({
      transfer: (b) => waiting.handle(b),
      ...credentials,
      newKey,
      subject: '/CN=suspended device',
      trusted: [ca.ca.cert],
    });
    const r = await client.tryCertReq('ir');
    if (r.status !== 'waiting') throw new Error('the embedded CA did not answer waiting');
    return r.session;
  };
  const ecKey = await provider.generateKey({ type: 'ec', curve: 'P-256' });
  const template = await waitingSession(ecKey);
  const sessionBytes = {
    ecP256: Buffer.byteLength(JSON.stringify(template)),
    rsa2048: Buffer.byteLength(JSON.stringify(await waitingSession(await provider.generateKey({ type: 'rsa', modulusLength: 2048 })))),
  };
  const issued = await new CmpClient({
    transfer: (b) => issuing.handle(b),
    ...credentials,
    newKey: ecKey,
    subject: '/CN=suspended device',
    trusted: [ca.ca.cert],
  }).ir();

  const responder = fastResponder({
    certificate: new Uint8Array(issued.certificate.rawData),
    caCertificate: new Uint8Array(ca.ca.cert.rawData),
    ...credentials,
  });
  const client = new CmpClient({ transfer: responder, ...credentials, trusted: [ca.ca.cert], msgTimeout: 0 });

  // `n` stored sessions, as a session store would hand them back. They all poll at `pollAt`,
  // which leaves time to restore them all first (restoring takes well under a millisecond each).
  let started = performance.now();
  const pollAt = Date.now() + RESTORE_ALLOWANCE_MS_PER_SESSION * n + 3000;
  const stored: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const copy = JSON.parse(JSON.stringify(template)) as Template;
    copy.snapshot.context.transaction.transactionId = Buffer.from(provider.randomBytes(16)).toString('base64');
    copy.snapshot.context.nextPollAt = pollAt;
    copy.snapshot.children.waitUntil.snapshot.input.until = pollAt;
    stored[i] = JSON.stringify(copy);
  }
  const cloneMs = performance.now() - started;

  gc();
  const before = process.memoryUsage();
  const cpu = process.cpuUsage();
  started = performance.now();
  let completed = 0;
  let failed = 0;
  let firstError: unknown;
  const outcomes: Promise<void>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    outcomes[i] = client.resume(stored[i]!).then(
      () => void completed++,
      (e: unknown) => {
        failed++;
        firstError ??= e;
      },
    );
  }
  // resume() parses at once and starts the machine a few promise turns later: let them all start.
  await new Promise((resolve) => setImmediate(resolve));
  const restoreMs = performance.now() - started;
  gc();
  const restored = process.memoryUsage();
  const answeredEarly = responder.answered();
  stored.length = 0;

  const completeStarted = Math.max(Date.now(), pollAt);
  await Promise.all(outcomes);
  const completeMs = Date.now() - completeStarted;
  const used = process.cpuUsage(cpu);
  if (failed > 0) process.stderr.write(`${failed} sessions failed, the first with: ${String((firstError as Error)?.message ?? firstError)}\n`);
  if (answeredEarly > 0) process.stderr.write(`${answeredEarly} answers went out before all sessions were restored\n`);
  const result: SuspendedSessionsResult = {
    sessionBytes,
    count: n,
    cloneMs,
    restoreMs,
    heapBytesPerWaitingSession: (restored.heapUsed - before.heapUsed) / n,
    rssBytesPerWaitingSession: (restored.rss - before.rss) / n,
    completeMs,
    sessionsPerSecond: (n / completeMs) * 1000,
    cpuMsPerSession: (used.user + used.system) / 1000 / n,
    maxRssKb: process.resourceUsage().maxRSS,
    completed,
    failed,
  };
  report(result);
  // Nothing else holds the process, but a failed run may leave timers behind.
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
