/**
 * A fleet on Redis, end to end: worker processes (real child processes running the fleet's job
 * handler on the BullMQ queue) enroll devices at the embedded CA, which answers `waiting` once.
 * Workers are killed -9 while sessions wait and while one is mid-exchange, and Redis itself is
 * killed and restarted (append-only file on): every job still finishes, each device gets exactly
 * one certificate, the CA sees one ir per device, and no two workers poll one session at once.
 */
import { spawn } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { X509Certificate } from '@peculiar/x509';
import { decodePkiMessage } from '../../src/asn1/codec';
import { hex } from '../../src/bytes';
import { parsePem } from '../../src/credentials/pem';
import { openBullmqQueue } from '../../src/fleet/bullmq-queue';
import type { FleetJobSpec, FleetQueue } from '../../src/fleet/queue';
import { listen, type ThrowawayCa } from '../../src/server';
import { startRedis, type TestRedis } from '../support/redis';
import { countingCa, createThrowawayCa, deviceKey, REF, scratch, SECRET, type CountingCa } from './support';

jest.setTimeout(180_000);

let redis: TestRedis;
let throwaway: ThrowawayCa;
let trusted: string;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  redis = await startRedis({ persistence: true });
  throwaway = await createThrowawayCa({ folder: true });
  trusted = throwaway.files!.caCert;
});
afterAll(async () => {
  await redis?.close();
  await throwaway?.cleanup();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

interface WorkerProcess {
  pid: number;
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill9(): void;
}

function startWorker(queueUrl: string, caUrl: string, concurrency: number): WorkerProcess {
  const child = spawn(
    process.execPath,
    [path.join(__dirname, 'support/run-ts.js'), path.join(__dirname, 'support/redis-fleet-worker.ts'), queueUrl, caUrl, trusted, String(concurrency)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLEET_SECRET: SECRET } },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
    void exited.then(({ code }) => reject(new Error(`worker exited ${code} before it was ready: ${stderr}`)));
  });
  ready.catch(() => undefined);
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { pid: child.pid!, ready, exited, kill9: () => child.kill('SIGKILL') };
}

/**
 * The embedded CA over HTTP, counting what it receives, noting any two requests of one transaction
 * at once, and able to keep back the answer to the first request it gets (a worker mid-exchange).
 */
async function observedCa(specs: FleetJobSpec[], options: { holdFirst?: boolean; checkAfter?: number } = {}) {
  // One MAC reference for the whole fleet, allowed every device's name. pollCount 2: the ir's
  // `waiting` is polled at once, and that poll's pollRep makes the session rest for checkAfter.
  const policy = { references: [{ ref: REF, subjects: specs.map((s) => s.options.subject as string) }] };
  const ca: CountingCa = await countingCa(throwaway, { pollCount: 2, checkAfter: options.checkAfter ?? 2, policy });
  const inFlight = new Set<string>();
  const overlaps: string[] = [];
  let heldTransaction: string | undefined;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const listener = await listen({
    maxMsgs: ca.server.maxMsgs,
    handle: async (request: Uint8Array) => {
      const transaction = hex(new Uint8Array(decodePkiMessage(request).header.transactionID as unknown as ArrayBuffer));
      if (inFlight.has(transaction)) overlaps.push(transaction);
      inFlight.add(transaction);
      try {
        const response = await ca.server.handle(request);
        if (options.holdFirst && heldTransaction === undefined) {
          heldTransaction = transaction;
          await released;
        }
        return response;
      } finally {
        inFlight.delete(transaction);
      }
    },
  });
  cleanups.push(async () => {
    release();
    await listener.close();
  });
  return { ca, url: listener.url, overlaps, release, held: () => heldTransaction };
}

function devices(dir: string, n: number): FleetJobSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `device-${String(i).padStart(4, '0')}`;
    return {
      id,
      cmd: 'ir',
      options: { subject: `/CN=${id}`, newkey: deviceKey(dir, id), certout: path.join(dir, `${id}.pem`), secret: 'env:FLEET_SECRET' },
    };
  });
}

async function openQueue(name: string): Promise<{ queue: FleetQueue; url: string }> {
  const url = `${redis.url()}?queue=${name}&lockDuration=2000&stalledInterval=1000`;
  const queue = await openBullmqQueue(url);
  cleanups.push(() => queue.close());
  return { queue, url };
}

/** Every device has one certificate file for its own name, all serials distinct and issued by the CA. */
function expectOneCertificateEach(specs: FleetJobSpec[], ca: CountingCa): void {
  const serials = specs.map((spec) => {
    const file = spec.options.certout as string;
    expect(existsSync(file)).toBe(true);
    const pems = parsePem(readFileSync(file, 'utf8'));
    expect(pems).toHaveLength(1);
    const cert = new X509Certificate(new Uint8Array(pems[0]!.der));
    expect(cert.subject).toBe(`CN=${spec.id}`);
    return cert.serialNumber.toLowerCase();
  });
  expect(new Set(serials).size).toBe(specs.length);
  expect(ca.issued).toHaveLength(specs.length);
  expect(new Set(ca.issued.map((s) => s.toLowerCase()))).toEqual(new Set(serials));
}

it('workers killed -9 while sessions wait and one is mid-exchange: the others finish every job, one ir and one certificate per device', async () => {
  const dir = scratch();
  const specs = devices(dir, 12);
  const { ca, url: caUrl, overlaps, release, held } = await observedCa(specs, { holdFirst: true, checkAfter: 20 });
  const { queue, url } = await openQueue('killed');
  expect(await queue.submit(specs)).toEqual({ submitted: 12, duplicates: [] });

  // The CA asks for a poll in 20 s: long enough, on a loaded machine, for every device to be waiting at the kill.
  const doomed = startWorker(url, caUrl, 4);
  await doomed.ready;
  // Every device sent its ir; one answer is held back (that worker is mid-exchange), the rest wait.
  await until('the CA got every ir', () => ca.count('IR') === specs.length);
  await until('the other sessions wait', async () => (await queue.counts()).waiting === specs.length - 1);
  expect(held()).toBeDefined();
  doomed.kill9();
  expect((await doomed.exited).signal).toBe('SIGKILL');
  release();

  const others = [startWorker(url, caUrl, 3), startWorker(url, caUrl, 3)];
  const ends = await Promise.all(others.map((w) => w.exited));
  for (const end of ends) expect(end).toMatchObject({ code: 0 });

  expect(await queue.counts()).toMatchObject({ total: 12, done: 12, failed: 0, pending: 0, waiting: 0, active: 0 });
  // One ir per device; the one whose answer was lost came again as the very same message.
  expect(ca.count('IR')).toBe(specs.length);
  expect(ca.count('IR again')).toBe(1);
  expect(ca.count('CERTCONF')).toBe(specs.length);
  expectOneCertificateEach(specs, ca);
  expect(overlaps).toEqual([]);
  const records = await queue.list('done');
  expect(records.filter((r) => r.attempts > 2).map((r) => r.spec.id)).toHaveLength(1);
});

it('Redis killed and restarted (append-only file) while sessions wait: no job is lost, and every device gets its one certificate', async () => {
  const dir = scratch();
  const specs = devices(dir, 12);
  const { ca, url: caUrl, overlaps } = await observedCa(specs, { checkAfter: 8 });
  const { queue, url } = await openQueue('restarted');
  await queue.submit(specs);

  const workers = [startWorker(url, caUrl, 3), startWorker(url, caUrl, 3)];
  await Promise.all(workers.map((w) => w.ready));
  await until('the CA got every ir', () => ca.count('IR') === specs.length);
  const before = await queue.list('waiting');
  expect(before.length).toBeGreaterThan(0);
  await redis.restart(true);
  expect((await queue.counts()).total).toBe(specs.length);
  // What waited before still waits, with its session and due time.
  for (const record of before)
    expect(await queue.get(record.spec.id)).toMatchObject({ state: 'waiting', dueAt: record.dueAt, session: record.session });

  const ends = await Promise.all(workers.map((w) => w.exited));
  for (const end of ends) expect(end).toMatchObject({ code: 0 });
  expect(await queue.counts()).toMatchObject({ total: 12, done: 12, failed: 0 });
  expect(ca.count('IR')).toBe(specs.length);
  expectOneCertificateEach(specs, ca);
  expect(overlaps).toEqual([]);
});
