/**
 * The fleet queue on BullMQ, against a real redis-server, with test handlers: what a job is after
 * each outcome, which worker may hold it, and what survives a worker that dies.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { openBullmqQueue, type BullmqQueueOptions } from '../../src/fleet/bullmq-queue';
import type { FleetJobHandler, FleetJobSpec, FleetQueue } from '../../src/fleet/queue';
import type { PersistedSession } from '../../src/session/snapshot';
import { freePort, startRedis, type TestRedis } from '../support/redis';

jest.setTimeout(60_000);

let redis: TestRedis;
let serial = 0;
const opened: FleetQueue[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.close();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((q) => q.close()));
});

/** A queue of its own for each test, on the shared server. */
async function freshQueue(options: BullmqQueueOptions = {}, query = ''): Promise<{ queue: FleetQueue; url: string }> {
  const url = `${redis.url()}?queue=t${++serial}${query}`;
  const queue = await openBullmqQueue(url, { backoffMs: 100, idlePollMs: 100, ...options });
  opened.push(queue);
  return { queue, url };
}

const spec = (id: string): FleetJobSpec => ({ id, cmd: 'ir', options: { subject: `/CN=${id}` } });
const session = (step: string): PersistedSession =>
  ({ format: 'cmpflow-session', machine: 'enrollment', version: 1, savedAt: new Date().toISOString(), snapshot: { step } }) as PersistedSession;

it('adds a job once per id: a repeated id in one submit or a later one is reported as a duplicate', async () => {
  const { queue } = await freshQueue();
  expect(await queue.submit([spec('a'), spec('b'), spec('a')])).toEqual({ submitted: 2, duplicates: ['a'] });
  expect(await queue.submit([spec('a'), spec('c'), spec('42'), spec('x:y')])).toEqual({ submitted: 3, duplicates: ['a'] });
  expect(await queue.counts()).toEqual({ total: 5, pending: 5, active: 0, waiting: 0, done: 0, failed: 0, cancelled: 0 });
  // Ids BullMQ would refuse as job ids (integers, ':') are kept as given.
  expect((await queue.get('42'))?.spec).toEqual(spec('42'));
  expect((await queue.get('x:y'))?.state).toBe('pending');
  expect(await queue.get('missing')).toBeUndefined();
});

it('a waiting job is a delayed job: it comes back at dueAt, to a worker that gets its session', async () => {
  const { queue } = await freshQueue();
  await queue.submit([spec('dev-1')]);
  const seen: { at: number; session?: PersistedSession; dueAt?: number; attempts: number }[] = [];
  let dueAt = 0;
  const handler: FleetJobHandler = async (job) => {
    seen.push({ at: Date.now(), session: job.record.session, dueAt: job.record.dueAt, attempts: job.record.attempts });
    if (seen.length === 1) {
      dueAt = Date.now() + 800;
      return { kind: 'wait', session: session('polling'), dueAt };
    }
    return { kind: 'done', result: { serialNumber: '01', files: ['certs/dev-1.pem'] } };
  };
  const working = queue.work(handler, { untilIdle: true });
  await new Promise((r) => setTimeout(r, 400));
  const waiting = await queue.get('dev-1');
  expect(waiting).toMatchObject({ state: 'waiting', dueAt, session: { machine: 'enrollment', snapshot: { step: 'polling' } } });
  expect(await queue.counts()).toMatchObject({ total: 1, waiting: 1, pending: 0 });
  await working;

  expect(seen).toHaveLength(2);
  expect(seen[1]!.at).toBeGreaterThanOrEqual(dueAt);
  expect(seen[1]!.session?.snapshot).toEqual({ step: 'polling' });
  expect(seen[1]!.dueAt).toBe(dueAt);
  expect(seen[1]!.attempts).toBe(2);
  expect(await queue.get('dev-1')).toMatchObject({ state: 'done', result: { serialNumber: '01', files: ['certs/dev-1.pem'] } });
  expect(await queue.counts()).toMatchObject({ total: 1, done: 1, waiting: 0 });
});

it('retry outcomes back off exponentially, keep the session, and fail the job after maxAttempts, kept for inspection', async () => {
  const { queue } = await freshQueue({ maxAttempts: 3, backoffMs: 200 });
  await queue.submit([spec('flaky'), spec('broken')]);
  const calls: Record<string, { at: number; session?: PersistedSession }[]> = { flaky: [], broken: [] };
  await queue.work(
    async (job) => {
      const id = job.record.spec.id;
      calls[id]!.push({ at: Date.now(), session: job.record.session });
      if (id === 'flaky' && calls[id]!.length === 3) return { kind: 'done', result: { serialNumber: '02' } };
      return { kind: 'retry', error: { code: 'ERR_CONNECTION', message: 'connection refused' }, session: session(`try ${calls[id]!.length}`) };
    },
    { untilIdle: true },
  );
  const gaps = calls.flaky!.slice(1).map((c, i) => c.at - calls.flaky![i]!.at);
  expect(gaps[0]).toBeGreaterThanOrEqual(200);
  expect(gaps[1]).toBeGreaterThanOrEqual(400);
  expect(calls.flaky![2]!.session?.snapshot).toEqual({ step: 'try 2' });
  expect(await queue.get('flaky')).toMatchObject({ state: 'done', attempts: 3, result: { serialNumber: '02' } });

  expect(calls.broken).toHaveLength(3);
  const broken = await queue.get('broken');
  expect(broken).toMatchObject({ state: 'failed', attempts: 3, error: { code: 'ERR_CONNECTION' } });
  expect(broken?.session?.snapshot).toEqual({ step: 'try 3' });
  expect((await queue.list('failed')).map((r) => r.spec.id)).toEqual(['broken']);
  expect(await queue.counts()).toMatchObject({ total: 2, done: 1, failed: 1 });
});

it('a failed outcome ends the job at once, and a thrown handler error counts as a retry', async () => {
  const { queue } = await freshQueue({ maxAttempts: 2 });
  await queue.submit([spec('rejected'), spec('throws')]);
  let throwsCalls = 0;
  await queue.work(
    async (job) => {
      if (job.record.spec.id === 'rejected') return { kind: 'failed', error: { code: 'ERR_REQUEST_REJECTED', message: 'badPOP' } };
      throwsCalls++;
      throw new Error('handler bug');
    },
    { untilIdle: true },
  );
  expect(await queue.get('rejected')).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'ERR_REQUEST_REJECTED', message: 'badPOP' } });
  expect(throwsCalls).toBe(2);
  expect(await queue.get('throws')).toMatchObject({ state: 'failed', error: { code: 'ERR_INTERNAL', message: 'handler bug' } });
});

it('cancels pending and waiting jobs (never worked again) and an active one at its next checkpoint; finished jobs stay', async () => {
  const { queue } = await freshQueue();
  // 'active' and 'wait' are also names of BullMQ's own keys: ids never collide with them.
  await queue.submit([spec('pending'), spec('waits'), spec('active'), spec('finishes')]);
  expect(await queue.cancel('pending')).toBe(true);
  const worked: string[] = [];
  let releaseActive!: () => void;
  const activeReached = new Promise<void>((resolve) => (releaseActive = resolve));
  let continueActive!: () => void;
  const activeMayGo = new Promise<void>((resolve) => (continueActive = resolve));
  const working = queue.work(
    async (job, signal) => {
      const id = job.record.spec.id;
      worked.push(id);
      if (id === 'waits') return { kind: 'wait', session: session('waiting'), dueAt: Date.now() + 60_000 };
      if (id === 'active') {
        releaseActive();
        await activeMayGo;
        await job.checkpoint(session('before poll'));
        expect(signal.aborted).toBe(true);
        return { kind: 'retry', error: { code: 'ERR_ABORTED', message: 'aborted' }, session: session('before poll') };
      }
      return { kind: 'done', result: {} };
    },
    { concurrency: 3, untilIdle: true },
  );
  await activeReached;
  expect(await queue.cancel('active')).toBe(true);
  continueActive();
  for (let i = 0; i < 50 && (await queue.get('waits'))?.state !== 'waiting'; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await queue.cancel('waits')).toBe(true);
  await working;

  expect(worked.sort()).toEqual(['active', 'finishes', 'waits']);
  expect(await queue.cancel('finishes')).toBe(false);
  expect(await queue.cancel('pending')).toBe(false);
  expect(await queue.get('pending')).toMatchObject({ state: 'cancelled' });
  expect(await queue.get('waits')).toMatchObject({ state: 'cancelled', session: { snapshot: { step: 'waiting' } } });
  expect((await queue.get('active'))?.state).toBe('cancelled');
  expect((await queue.get('active'))?.session?.snapshot).toEqual({ step: 'before poll' });
  for (let i = 0; i < 20 && (await queue.counts()).failed > 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await queue.counts()).toEqual({ total: 4, pending: 0, active: 0, waiting: 0, done: 1, failed: 0, cancelled: 3 });
  expect((await queue.list('cancelled')).map((r) => r.spec.id).sort()).toEqual(['active', 'pending', 'waits']);
});

it('requeue puts finished and cancelled jobs back to work with their new spec; an unfinished or unknown one is ERR_QUEUE', async () => {
  const { queue } = await freshQueue();
  await queue.submit([spec('renew-me'), spec('cancelled'), spec('unfinished')]);
  await queue.cancel('cancelled');
  await expect(queue.requeue([spec('unfinished')])).rejects.toMatchObject({ code: 'ERR_QUEUE' });
  await expect(queue.requeue([spec('unknown')])).rejects.toMatchObject({ code: 'ERR_QUEUE' });
  await queue.cancel('unfinished');
  await queue.work(async () => ({ kind: 'done', result: { serialNumber: 'aa' } }), { untilIdle: true });
  const kur: FleetJobSpec = { id: 'renew-me', cmd: 'kur', options: { oldcert: 'certs/renew-me.pem' } };
  await queue.requeue([kur, { ...spec('cancelled'), cmd: 'cr' }]);
  expect(await queue.get('renew-me')).toMatchObject({ state: 'pending', spec: kur, attempts: 0 });
  expect(await queue.counts()).toMatchObject({ total: 3, pending: 2, cancelled: 1 });
  const worked: string[] = [];
  await queue.work(
    async (job) => {
      worked.push(`${job.record.spec.cmd} ${job.record.spec.id}`);
      return { kind: 'done', result: { serialNumber: 'bb' } };
    },
    { untilIdle: true },
  );
  expect(worked.sort()).toEqual(['cr cancelled', 'kur renew-me']);
  expect(await queue.get('renew-me')).toMatchObject({ state: 'done', result: { serialNumber: 'bb' } });
});

it('two workers never hold the same job at once, and every waiting job is polled until done', async () => {
  const { url } = await freshQueue();
  const a = await openBullmqQueue(url, { idlePollMs: 100 });
  const b = await openBullmqQueue(url, { idlePollMs: 100 });
  opened.push(a, b);
  const ids = Array.from({ length: 30 }, (_, i) => `dev-${i}`);
  await a.submit(ids.map(spec));
  const holding = new Set<string>();
  const overlaps: string[] = [];
  const calls = new Map<string, number>();
  const handler =
    (worker: string): FleetJobHandler =>
    async (job) => {
      const id = job.record.spec.id;
      if (holding.has(id)) overlaps.push(`${id} by ${worker}`);
      holding.add(id);
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
      holding.delete(id);
      const n = (calls.get(id) ?? 0) + 1;
      calls.set(id, n);
      if (n < 3) return { kind: 'wait', session: session(`poll ${n}`), dueAt: Date.now() + 50 };
      return { kind: 'done', result: {} };
    };
  await Promise.all([a.work(handler('a'), { concurrency: 4, untilIdle: true }), b.work(handler('b'), { concurrency: 4, untilIdle: true })]);
  expect(overlaps).toEqual([]);
  expect([...calls.values()]).toEqual(ids.map(() => 3));
  expect(await a.counts()).toMatchObject({ total: 30, done: 30 });
});

it('a worker killed -9 while it holds a job leaves it to another worker, which gets the last saved transactionID, session and exchanges', async () => {
  const { queue, url } = await freshQueue({ lockDurationMs: 1500, stalledIntervalMs: 500 });
  await queue.submit([spec('mid-exchange')]);
  const child = spawn(
    process.execPath,
    [path.join(__dirname, 'support/run-ts.js'), path.join(__dirname, 'support/holding-worker.ts'), `${url}&lockDuration=1500`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${stderr}`)));
  });
  expect(line).toBe('HOLDING mid-exchange');
  expect(await queue.get('mid-exchange')).toMatchObject({ state: 'active', attempts: 1 });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');

  const resumed: PersistedSession[] = [];
  await queue.work(
    async (job) => {
      expect(job.record).toMatchObject({ transactionId: 'a1b2c3d4', exchanges: [{ bodyType: 'ir', request: 'MAA=' }] });
      resumed.push(job.record.session!);
      return { kind: 'done', result: { serialNumber: '03' } };
    },
    { untilIdle: true },
  );
  expect(resumed).toHaveLength(1);
  expect(resumed[0]!.snapshot).toEqual({ step: 'ir sent', by: child.pid });
  const done = await queue.get('mid-exchange');
  expect(done).toMatchObject({ state: 'done', attempts: 2, transactionId: 'a1b2c3d4' });
  expect(done?.exchanges).toBeUndefined();
  expect(done?.session).toBeUndefined();
});

it('a worker that lost its lock cannot overwrite the job: its save is ERR_QUEUE, and the job goes on with the next worker', async () => {
  const { queue } = await freshQueue({ lockDurationMs: 1500, stalledIntervalMs: 500 }, '&prefix=fence');
  await queue.submit([spec('fenced')]);
  const calls: { transactionId?: string }[] = [];
  await queue.work(
    async (job) => {
      calls.push({ transactionId: job.record.transactionId });
      if (calls.length === 1) {
        // As if this worker had stalled past lockDuration: its lock is gone.
        await redis.command(`DEL fence:t${serial}:id.fenced:lock`);
        await expect(job.save({ transactionId: 'stale', exchanges: [] })).rejects.toMatchObject({ code: 'ERR_QUEUE' });
        return { kind: 'retry', error: { code: 'ERR_QUEUE', message: 'lost the job' } };
      }
      return { kind: 'done', result: { serialNumber: '04' } };
    },
    { untilIdle: true },
  );
  expect(calls).toEqual([{ transactionId: undefined }, { transactionId: undefined }]);
  expect(await queue.get('fenced')).toMatchObject({ state: 'done', result: { serialNumber: '04' } });
});

it('per-queue rate limit: at most MAX jobs start per interval across workers', async () => {
  const { queue } = await freshQueue({}, '&rate=2/1000');
  await queue.submit(['r1', 'r2', 'r3', 'r4', 'r5'].map(spec));
  const starts: number[] = [];
  await queue.work(
    async () => {
      starts.push(Date.now());
      return { kind: 'done', result: {} };
    },
    { concurrency: 5, untilIdle: true },
  );
  expect(starts).toHaveLength(5);
  starts.sort((x, y) => x - y);
  // Five jobs at two a second need at least two full intervals.
  expect(starts[4]! - starts[0]!).toBeGreaterThanOrEqual(1900);
});

it('an unreachable Redis is ERR_QUEUE within seconds, not a hang', async () => {
  const port = await freePort();
  const started = Date.now();
  await expect(openBullmqQueue(`redis://127.0.0.1:${port}/0`, { connectTimeoutMs: 1000 })).rejects.toMatchObject({
    code: 'ERR_QUEUE',
    message: expect.stringMatching(new RegExp(`cannot reach Redis at 127.0.0.1:${port}/0: .*ECONNREFUSED`)),
  });
  expect(Date.now() - started).toBeLessThan(3000);
});

it('refuses a password in the queue URL and a URL that is not redis://', async () => {
  await expect(openBullmqQueue('redis://:hunter2@127.0.0.1:6379/0')).rejects.toMatchObject({
    code: 'ERR_INVALID_OPTION',
    message: expect.not.stringContaining('hunter2'),
  });
  await expect(openBullmqQueue('http://127.0.0.1:6379')).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
});
