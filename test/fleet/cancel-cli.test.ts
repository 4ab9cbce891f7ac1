/**
 * `cmpflow fleet cancel --queue Q (--device ID | --all-waiting)`, on a directory queue and on a real
 * redis-server: a pending or waiting job ends `cancelled` at once and is never worked again; the CA
 * is not told (it receives nothing more for the job); a finished or unknown job is refused with
 * ERR_QUEUE. A job a worker holds is cancelled when the worker lets go of it (its next checkpoint
 * aborts the handler's signal), and a step that got the certificate ends `done` (done wins).
 */
import { writeFileSync } from 'fs';
import * as path from 'path';
import { openFleetQueue } from '../../src/fleet/open-queue';
import type { FleetJobHandler, FleetOutcome, FleetQueue } from '../../src/fleet/queue';
import { listen, type Listener, type ThrowawayCa } from '../../src/server';
import { cmpflow } from '../cli/run-support';
import { startRedis, type TestRedis } from '../support/redis';
import { countingCa, createThrowawayCa, deviceKey, REF, scratch, SECRET, type CountingCa } from './support';

jest.setTimeout(120_000);

const DEVICES = ['dev-a', 'dev-b', 'dev-c'];
let redis: TestRedis;
let throwaway: ThrowawayCa;
let ca: CountingCa;
let listener: Listener;
beforeAll(async () => {
  redis = await startRedis();
  throwaway = await createThrowawayCa();
  // Every enrollment waits an hour at the CA: a worker leaves its jobs `waiting`.
  ca = await countingCa(throwaway, {
    pollCount: 5,
    checkAfter: 3600,
    policy: { references: [{ ref: REF, subjects: DEVICES.map((d) => `/CN=${d}`) }] },
  });
  listener = await listen(ca.server);
});
afterAll(async () => {
  await listener?.close();
  await redis?.close();
  await throwaway?.cleanup();
});

const env = { FLEET_SECRET: SECRET, PATH: process.env.PATH };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let queueSerial = 0;

/** A fresh queue of each kind: a directory (relative to the test's folder) or a Redis queue of its own. */
const backends: [string, (dir: string) => string][] = [
  ['a directory', (dir) => path.join(dir, 'queue')],
  ['redis://', () => `${redis.url()}?queue=cancel${++queueSerial}`],
];

function jobsFile(dir: string, name: string, ids: string[]): string {
  const lines = ids.map((id) =>
    id.startsWith('dev-')
      ? { id, cmd: 'ir', subject: `/CN=${id}`, newkey: deviceKey(dir, id), certout: path.join(dir, `${id}.pem`) }
      : { id, cmd: 'genm' },
  );
  writeFileSync(path.join(dir, name), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return name;
}

async function counts(queue: string, dir: string): Promise<Record<string, number>> {
  const run = await cmpflow(['fleet', 'status', '--queue', queue, '--json'], { cwd: dir, env });
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Record<string, number>;
}

describe.each(backends)('cmpflow fleet cancel on %s', (_name, queueIn) => {
  it('cancels one waiting device, then all waiting ones, then a pending one; none is worked again and the CA gets nothing more', async () => {
    const dir = scratch();
    const queue = queueIn(dir);
    const common = ['--queue', queue, '-server', listener.url, '-ref', REF, '-secret', 'env:FLEET_SECRET', '-recipient', '/CN=CA'];
    const submitted = await cmpflow(['fleet', 'submit', jobsFile(dir, 'first.jsonl', ['dev-a', 'dev-b', 'info']), ...common], { cwd: dir, env });
    expect({ code: submitted.code, stdout: submitted.stdout }).toEqual({ code: 0, stdout: 'submitted 3 job(s)\n' });

    // One worker until both enrollments wait at the CA and the genm is done.
    const stop = new AbortController();
    const working = cmpflow(['fleet', 'work', '--queue', queue, '--concurrency', '3'], { cwd: dir, env, io: { stopSignal: () => stop.signal } });
    for (let i = 0; i < 200; i++) {
      const now = await counts(queue, dir);
      if (now.waiting === 2 && now.done === 1) break;
      await sleep(100);
    }
    stop.abort();
    expect((await working).code).toBe(0);
    expect(await counts(queue, dir)).toMatchObject({ waiting: 2, done: 1, cancelled: 0 });
    const more = await cmpflow(['fleet', 'submit', jobsFile(dir, 'second.jsonl', ['dev-c']), ...common], { cwd: dir, env });
    expect(more.code).toBe(0);
    const seenByCa = [...ca.received];

    const one = await cmpflow(['fleet', 'cancel', '--queue', queue, '--device', 'dev-a'], { cwd: dir, env });
    expect({ code: one.code, stdout: one.stdout, stderr: one.stderr }).toEqual({ code: 0, stdout: 'cancelled dev-a (was waiting)\n', stderr: '' });
    const all = await cmpflow(['fleet', 'cancel', '--queue', queue, '--all-waiting'], { cwd: dir, env });
    expect({ code: all.code, stdout: all.stdout }).toEqual({ code: 0, stdout: 'cancelled 1 waiting job(s): dev-b\n' });
    const none = await cmpflow(['fleet', 'cancel', '--queue', queue, '--all-waiting'], { cwd: dir, env });
    expect({ code: none.code, stdout: none.stdout }).toEqual({ code: 0, stdout: 'cancelled 0 waiting job(s)\n' });
    const pending = await cmpflow(['fleet', 'cancel', '--queue', queue, '--device', 'dev-c'], { cwd: dir, env });
    expect({ code: pending.code, stdout: pending.stdout }).toEqual({ code: 0, stdout: 'cancelled dev-c (was pending)\n' });
    expect(await counts(queue, dir)).toMatchObject({ total: 4, pending: 0, active: 0, waiting: 0, done: 1, failed: 0, cancelled: 3 });

    // A worker now has nothing to do, and the CA heard nothing of the cancelled transactions.
    const idle = await cmpflow(['fleet', 'work', '--queue', queue, '--until-idle'], { cwd: dir, env });
    expect(idle.code).toBe(0);
    expect(ca.received).toEqual(seenByCa);
    expect(await counts(queue, dir)).toMatchObject({ done: 1, cancelled: 3 });

    const done = await cmpflow(['fleet', 'cancel', '--queue', queue, '--device', 'info'], { cwd: dir, env });
    expect({ code: done.code, stdout: done.stdout }).toEqual({ code: 1, stdout: '' });
    expect(done.errors).toEqual([expect.stringMatching(/job info has already ended \(done\).*\(ERR_QUEUE\)$/)]);
    const twice = await cmpflow(['fleet', 'cancel', '--queue', queue, '--device', 'dev-a'], { cwd: dir, env });
    expect(twice.errors).toEqual([expect.stringMatching(/job dev-a has already ended \(cancelled\).*\(ERR_QUEUE\)$/)]);
    const unknown = await cmpflow(['fleet', 'cancel', '--queue', queue, '--device', 'nobody'], { cwd: dir, env });
    expect({ code: unknown.code, errors: unknown.errors }).toEqual({
      code: 1,
      errors: [expect.stringMatching(/no job nobody in the queue \(ERR_QUEUE\)$/)],
    });
  });

  it('cancels a job a worker holds when the worker lets go (its next checkpoint aborts the handler signal), but a step that got its certificate ends done', async () => {
    const dir = scratch();
    const queueName = queueIn(dir);
    const queue: FleetQueue = await openFleetQueue(queueName, { create: true });
    try {
      await queue.submit(['stopped', 'certified'].map((id) => ({ id, cmd: 'ir' as const, options: { subject: `/CN=${id}` } })));
      const held = new Set<string>();
      let release!: () => void;
      const cancelled = new Promise<void>((resolve) => (release = resolve));
      const abortedAtCheckpoint: boolean[] = [];
      const handler: FleetJobHandler = async (job, signal): Promise<FleetOutcome> => {
        held.add(job.record.spec.id);
        await cancelled;
        if (job.record.spec.id === 'certified') return { kind: 'done', result: { serialNumber: '01' } };
        await job.save({ transactionId: '00', exchanges: [] });
        abortedAtCheckpoint.push(signal.aborted);
        return { kind: 'retry', error: { code: 'ERR_ABORTED', message: 'job cancelled' } };
      };
      const stop = new AbortController();
      const working = queue.work(handler, { concurrency: 2, signal: stop.signal });
      for (let i = 0; i < 200 && held.size < 2; i++) await sleep(50);
      expect([...held].sort()).toEqual(['certified', 'stopped']);

      for (const id of ['stopped', 'certified']) {
        const run = await cmpflow(['fleet', 'cancel', '--queue', queueName, '--device', id], { cwd: dir, env });
        expect({ code: run.code, stdout: run.stdout }).toEqual({
          code: 0,
          stdout: `cancelling ${id}: a worker holds it; it ends cancelled when the worker lets go, unless that step gets the certificate\n`,
        });
      }
      release();
      for (let i = 0; i < 200; i++) {
        const [a, b] = await Promise.all([queue.get('stopped'), queue.get('certified')]);
        if (a?.state === 'cancelled' && b?.state === 'done') break;
        await sleep(50);
      }
      stop.abort();
      await working;
      expect(abortedAtCheckpoint).toEqual([true]);
      expect((await queue.get('stopped'))?.state).toBe('cancelled');
      expect(await queue.get('certified')).toMatchObject({ state: 'done', result: { serialNumber: '01' } });
    } finally {
      await queue.close();
    }
  });
});

it('refuses --device with --all-waiting, and neither, before opening the queue', async () => {
  const dir = scratch();
  const both = await cmpflow(['fleet', 'cancel', '--queue', 'q', '--device', 'x', '--all-waiting'], { cwd: dir, env });
  expect({ code: both.code, errors: both.errors }).toEqual({
    code: 1,
    errors: [expect.stringMatching(/give --device ID or --all-waiting, not both \(ERR_INVALID_OPTION\)$/)],
  });
  const neither = await cmpflow(['fleet', 'cancel', '--queue', 'q'], { cwd: dir, env });
  expect(neither.errors).toEqual([expect.stringMatching(/--device ID or --all-waiting is required \(ERR_MISSING_OPTION\)$/)]);
});
