/**
 * The embedded fleet backend over a local directory: records written whole, duplicate ids kept
 * once, due times honoured, leases that keep two workers off one job and are taken over once
 * their holder is dead or late, retries with backoff, cancellation and requeueing.
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'fs';
import { hostname } from 'os';
import * as path from 'path';
import { CmpError } from '../../src/errors';
import { openDirectoryQueue, type FleetJobHandler, type FleetJobRecord, type FleetJobSpec } from '../../src/fleet';
import { scratch } from './support';

const job = (id: string): FleetJobSpec => ({ id, cmd: 'ir', options: { subject: `/CN=${id}` } });
const done: FleetJobHandler = async () => ({ kind: 'done', result: { files: [] } });

function writeRecord(queue: string, record: FleetJobRecord): void {
  writeFileSync(path.join(queue, 'jobs', `${record.spec.id}.json`), JSON.stringify(record));
}

function writeLease(queue: string, id: string, pid: number, expiresAt: number): void {
  writeFileSync(path.join(queue, 'leases', `${id}.lease`), JSON.stringify({ pid, host: hostname(), token: 'someone-else', expiresAt }));
}

describe('the directory queue', () => {
  it('keeps one JSON record a job, written whole, and a second submission of an id leaves the first alone', async () => {
    const dir = path.join(scratch(), 'q');
    const queue = await openDirectoryQueue(dir, { create: true });
    expect(await queue.submit([job('a'), job('b')])).toEqual({ submitted: 2, duplicates: [] });
    expect(await queue.submit([{ ...job('a'), cmd: 'cr' }, job('c')])).toEqual({ submitted: 1, duplicates: ['a'] });
    expect(readdirSync(path.join(dir, 'jobs')).sort()).toEqual(['a.json', 'b.json', 'c.json']);
    const a = JSON.parse(readFileSync(path.join(dir, 'jobs', 'a.json'), 'utf8')) as FleetJobRecord;
    expect(a).toMatchObject({ spec: job('a'), state: 'pending', attempts: 0 });
    expect(await queue.counts()).toEqual({ total: 3, pending: 3, active: 0, waiting: 0, done: 0, failed: 0, cancelled: 0 });
  });

  it('refuses a directory that is not a queue unless told to create one, and never takes over a non-empty one', async () => {
    const root = scratch();
    await expect(openDirectoryQueue(path.join(root, 'missing'))).rejects.toMatchObject({
      code: 'ERR_QUEUE',
      message: expect.stringContaining('is not a fleet queue'),
    });
    mkdirSync(path.join(root, 'busy'));
    writeFileSync(path.join(root, 'busy', 'notes.txt'), 'mine');
    await expect(openDirectoryQueue(path.join(root, 'busy'), { create: true })).rejects.toMatchObject({ code: 'ERR_QUEUE' });
    expect(existsSync(path.join(root, 'busy', 'jobs'))).toBe(false);
  });

  it('hands a waiting job out only once its due time has come, with the session it was left with', async () => {
    let now = 1_000_000;
    const dir = path.join(scratch(), 'q');
    const queue = await openDirectoryQueue(dir, { create: true, now: () => now, pollMs: 10 });
    await queue.submit([job('w')]);
    const session = {
      format: 'cmpflow-session',
      machine: 'enrollment',
      version: 1,
      savedAt: '2026-01-01T00:00:00Z',
      snapshot: { value: 'waiting' },
    } as const;
    const seen: (string | undefined)[] = [];
    await queue.work(
      async (leased) => {
        seen.push(leased.record.session ? 'with session' : 'fresh');
        return leased.record.session ? { kind: 'done', result: {} } : { kind: 'wait', session, dueAt: now + 60_000 };
      },
      { signal: AbortSignal.timeout(300) },
    );
    expect(seen).toEqual(['fresh']);
    expect(await queue.get('w')).toMatchObject({ state: 'waiting', dueAt: 1_060_000, session });
    now += 60_000;
    await queue.work(async (leased) => (seen.push(leased.record.session ? 'with session' : 'fresh'), { kind: 'done', result: {} }), {
      untilIdle: true,
    });
    expect(seen).toEqual(['fresh', 'with session']);
    expect((await queue.get('w'))?.state).toBe('done');
  });

  it('leaves a job alone while a live worker holds its lease, and takes it over from a dead or late one', async () => {
    const dir = path.join(scratch(), 'q');
    const queue = await openDirectoryQueue(dir, { create: true, pollMs: 10 });
    await queue.submit([job('live'), job('dead'), job('late')]);
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeLease(dir, 'live', process.ppid, Date.now() + 60_000);
    writeLease(dir, 'dead', deadPid, Date.now() + 60_000);
    writeLease(dir, 'late', process.ppid, Date.now() - 1);
    const worked: string[] = [];
    await queue.work(async (leased) => (worked.push(leased.record.spec.id), { kind: 'done', result: {} }), { signal: AbortSignal.timeout(400) });
    expect(worked.sort()).toEqual(['dead', 'late']);
    expect((await queue.get('live'))?.state).toBe('pending');
  });

  it('takes over a lease file left empty by a worker killed while writing it, once a lease time has passed', async () => {
    const dir = path.join(scratch(), 'q');
    const queue = await openDirectoryQueue(dir, { create: true, pollMs: 10, leaseMs: 60_000 });
    await queue.submit([job('torn'), job('fresh')]);
    const old = new Date(Date.now() - 120_000);
    writeFileSync(path.join(dir, 'leases', 'torn.lease'), '');
    utimesSync(path.join(dir, 'leases', 'torn.lease'), old, old);
    writeFileSync(path.join(dir, 'leases', 'fresh.lease'), '');
    const worked: string[] = [];
    await queue.work(async (leased) => (worked.push(leased.record.spec.id), { kind: 'done', result: {} }), { signal: AbortSignal.timeout(300) });
    expect(worked).toEqual(['torn']);
  });

  it('two workers on one directory never work the same job at once, and each job runs once', async () => {
    const dir = path.join(scratch(), 'q');
    const ids = Array.from({ length: 12 }, (_, i) => `job-${i}`);
    const one = await openDirectoryQueue(dir, { create: true, pollMs: 5 });
    const two = await openDirectoryQueue(dir, { pollMs: 5 });
    await one.submit(ids.map(job));
    const running = new Set<string>();
    const runs: string[] = [];
    let overlap = false;
    const handler: FleetJobHandler = async (leased) => {
      const id = leased.record.spec.id;
      if (running.has(id)) overlap = true;
      running.add(id);
      runs.push(id);
      await new Promise((r) => setTimeout(r, 15));
      running.delete(id);
      return { kind: 'done', result: {} };
    };
    await Promise.all([one.work(handler, { untilIdle: true, concurrency: 3 }), two.work(handler, { untilIdle: true, concurrency: 3 })]);
    expect(overlap).toBe(false);
    expect(runs.sort()).toEqual([...ids].sort());
    expect(await one.counts()).toMatchObject({ total: 12, done: 12 });
  });

  it('retries a job after a transport fault with growing delays, and fails it after its last attempt, keeping the error', async () => {
    const dir = path.join(scratch(), 'q');
    const queue = await openDirectoryQueue(dir, { create: true, pollMs: 5, retryDelayMs: 20, maxAttempts: 3 });
    await queue.submit([job('flaky')]);
    const times: number[] = [];
    await queue.work(
      async () => {
        times.push(Date.now());
        throw new CmpError('ERR_CONNECTION', 'connection refused');
      },
      { untilIdle: true },
    );
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(20);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(40);
    expect(await queue.get('flaky')).toMatchObject({
      state: 'failed',
      attempts: 3,
      error: { code: 'ERR_CONNECTION', message: 'connection refused (gave up after 3 attempts)' },
    });
  });

  it('cancels unfinished jobs only, and requeues finished ones with a new spec and a fresh transaction', async () => {
    const dir = path.join(scratch(), 'q');
    const queue = await openDirectoryQueue(dir, { create: true, pollMs: 5 });
    await queue.submit([job('keep'), job('drop')]);
    expect(await queue.cancel('drop')).toBe(true);
    await queue.work(done, { untilIdle: true });
    expect(await queue.cancel('keep')).toBe(false);
    expect((await queue.get('drop'))?.state).toBe('cancelled');
    const record = (await queue.get('keep'))!;
    writeRecord(dir, { ...record, transactionId: '00'.repeat(16) });
    await queue.requeue([{ id: 'keep', cmd: 'kur', options: { oldcert: 'keep.pem' } }]);
    const requeued = await queue.get('keep');
    expect(requeued).toMatchObject({ state: 'pending', spec: { cmd: 'kur' }, attempts: 0 });
    expect(requeued?.transactionId).toBeUndefined();
    await expect(queue.requeue([{ id: 'keep', cmd: 'kur', options: {} }])).rejects.toMatchObject({ code: 'ERR_QUEUE' });
  });
});
