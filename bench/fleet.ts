/**
 * Fleet enrollment on Redis (BullMQ): N devices enroll (ir) at the embedded CA, which answers
 * `waiting` once (pollCount 2: the ir's answer is polled at once, and that poll's pollRep makes the
 * session rest checkAfter seconds as a delayed job), worked by 1, 2 and 4 worker processes.
 *
 * - enrollments/s: devices / (last certificate − submit), the workers already started and idle;
 * - p50/p99 submit → certificate: all devices are submitted at once, so this includes queueing;
 * - Redis memory per waiting session: INFO used_memory with every device's job resting on its
 *   delayed timer (the CA asks for a poll in an hour), minus before the submit, over N.
 *
 * The CA runs in this process (one thread), Redis is Debian's redis-server without persistence
 * (the queue's durability is tested in test/fleet; here the bare cost is measured).
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type * as BullmqQueue from '../src/fleet/bullmq-queue';
import type { FleetJobSpec, FleetQueue } from '../src/fleet/queue';
import type * as Server from '../src/server';
import { startRedis, type TestRedis } from '../test/support/redis';
import { compiledChild } from './support/child';
import { ROOT, requireDist } from './support/dist';
import { fixed, percentile, table } from './support/stats';

const REF = 'fleet-bench';
const SECRET = 'fleet-bench-secret';

export interface FleetRow {
  workers: number;
  devices: number;
  done: number;
  failed: number;
  seconds: number;
  enrollmentsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** irs the CA received (retransmissions not counted): one per device. */
  irs: number;
  certificates: number;
}

export interface FleetBenchResult {
  devices: number;
  concurrency: number;
  checkAfter: number;
  rows: FleetRow[];
  memory: { devices: number; usedBeforeBytes: number; usedWaitingBytes: number; bytesPerWaitingSession: number; recordBytes: number };
}

export interface FleetBenchOptions {
  devices: number;
  workerCounts?: number[];
  /** Jobs each worker process works at once. */
  concurrency?: number;
  /** checkAfter the CA sends in its pollRep, seconds. */
  checkAfter?: number;
  log: (line: string) => void;
}

async function usedMemory(redis: TestRedis): Promise<number> {
  const info = await redis.command('INFO memory');
  const m = /used_memory:(\d+)/.exec(info);
  if (!m) throw new Error(`no used_memory in INFO memory: ${info.slice(0, 200)}`);
  return Number(m[1]);
}

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
}

function startWorker(args: object): Worker {
  const child = spawn(process.execPath, [compiledChild('fleet-worker.ts'), JSON.stringify(args)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, FLEET_SECRET: SECRET },
  });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-3000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('READY') && resolve());
    void exited.then((code) => reject(new Error(`fleet worker exited ${code} before it was ready: ${err}`)));
  });
  ready.catch(() => undefined);
  void exited.then((code) => {
    if (code !== 0 && code !== null) process.stderr.write(`fleet worker exited ${code}: ${err}\n`);
  });
  return { child, ready, exited };
}

export async function benchFleet(options: FleetBenchOptions): Promise<FleetBenchResult> {
  const { devices, log } = options;
  const workerCounts = options.workerCounts ?? [1, 2, 4];
  const concurrency = options.concurrency ?? 16;
  const checkAfter = options.checkAfter ?? 1;
  const { createCmpServer, createThrowawayCa, listen } = requireDist<typeof Server>('src/server');
  const { openBullmqQueue } = requireDist<typeof BullmqQueue>('src/fleet/bullmq-queue');

  const dir = mkdtempSync(path.join(tmpdir(), 'cmpflow-fleet-bench-'));
  const redis = await startRedis();
  const throwaway = await createThrowawayCa({ folder: path.join(dir, 'ca') });
  const workers: Worker[] = [];
  try {
    log(`generating ${devices} device keys ...`);
    const specs: FleetJobSpec[] = [];
    for (let i = 0; i < devices; i++) {
      const id = `device-${String(i).padStart(6, '0')}`;
      const newkey = path.join(dir, `${id}.key.pem`);
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(newkey, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
      specs.push({ id, cmd: 'ir', options: { subject: `/CN=${id}`, newkey, certout: path.join(dir, `${id}.crt.pem`), secret: 'env:FLEET_SECRET' } });
    }
    const policy = { references: [{ ref: REF, subjects: specs.map((s) => s.options.subject as string) }] };

    /** One run: a fresh CA and queue, `count` worker processes started and idle, then all devices submitted at once. */
    const run = async (name: string, count: number, caCheckAfter: number, until: (queue: FleetQueue) => Promise<boolean>) => {
      let irs = 0;
      const server = createCmpServer({
        ...throwaway.serverConfig(),
        secrets: [{ ref: REF, secret: SECRET }],
        policy,
        pollCount: 2,
        checkAfter: caCheckAfter,
        // Every device enrolls with the one shared secret, which makes it one client to the CA:
        // let it hold the whole fleet's transactions (default 2000), finished ones included.
        maxTransactions: 2 * devices + 1000,
        maxTransactionsPerClient: 2 * devices + 1000,
        onRequest: (type, info) => {
          if (type === 'ir' && !info.retransmission) irs++;
        },
      });
      const listener = await listen(server);
      await redis.command('FLUSHALL');
      const url = `${redis.url()}?queue=${name}`;
      const queue = await openBullmqQueue(url);
      try {
        const usedBefore = await usedMemory(redis);
        const started = Array.from({ length: count }, () =>
          startWorker({ queueUrl: url, caUrl: listener.url, trusted: throwaway.files!.caCert, ref: REF, concurrency }),
        );
        workers.push(...started);
        await Promise.all(started.map((w) => w.ready));
        const t0 = Date.now();
        await queue.submit(specs);
        for (const w of started) w.child.stdin!.write('go\n');
        while (!(await until(queue))) await new Promise((r) => setTimeout(r, 250));
        const t1 = Date.now();
        return { queue, started, t0, t1, usedBefore, irs: () => irs, server, listener };
      } catch (e) {
        await queue.close();
        await listener.close();
        throw e;
      }
    };

    // Memory: every device's session waiting on its delayed timer.
    log(`fleet: ${devices} devices, memory of waiting sessions (${Math.max(...workerCounts)} workers) ...`);
    const mem = await run('memory', Math.max(...workerCounts), 3600, async (q) => {
      const c = await q.counts();
      if (c.failed > 0) throw new Error(`${c.failed} job(s) failed, e.g. ${JSON.stringify((await q.list('failed'))[0]?.error)}`);
      return c.waiting === devices;
    });
    const usedWaiting = await usedMemory(redis);
    const sample = await mem.queue.get(specs[0]!.id);
    for (const w of mem.started) w.child.kill('SIGKILL');
    await Promise.all(mem.started.map((w) => w.exited));
    await mem.queue.close();
    await mem.listener.close();
    const memory = {
      devices,
      usedBeforeBytes: mem.usedBefore,
      usedWaitingBytes: usedWaiting,
      bytesPerWaitingSession: (usedWaiting - mem.usedBefore) / devices,
      recordBytes: Buffer.byteLength(JSON.stringify(sample)),
    };
    log(`  ${fixed(memory.bytesPerWaitingSession / 1024, 2)} KiB of Redis memory per waiting session (record JSON ${memory.recordBytes} bytes)`);

    const rows: FleetRow[] = [];
    for (const count of workerCounts) {
      log(`fleet: ${devices} devices, ${count} worker process(es) x concurrency ${concurrency} ...`);
      const r = await run(`w${count}`, count, checkAfter, async (q) => {
        const c = await q.counts();
        return c.done + c.failed + c.cancelled === devices;
      });
      const codes = await Promise.all(r.started.map((w) => w.exited));
      const records = await r.queue.list('done');
      const latencies = records.map((rec) => rec.updatedAt - r.t0);
      const failures = await r.queue.list('failed');
      const failed = failures.length;
      const reasons = new Map<string, number>();
      for (const f of failures) reasons.set(`${f.error?.code}: ${f.error?.message}`, (reasons.get(`${f.error?.code}: ${f.error?.message}`) ?? 0) + 1);
      for (const [reason, n] of reasons) log(`  failed ${n}: ${reason}`);
      const certificates = new Set(records.map((rec) => rec.result?.serialNumber)).size;
      await r.queue.close();
      await r.listener.close();
      if (codes.some((c) => c !== 0)) log(`  a worker exited with ${codes.join(', ')}`);
      const seconds = (r.t1 - r.t0) / 1000;
      const row: FleetRow = {
        workers: count,
        devices,
        done: records.length,
        failed,
        seconds,
        enrollmentsPerSecond: records.length / seconds,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        irs: r.irs(),
        certificates,
      };
      rows.push(row);
      log(
        `  ${fixed(row.enrollmentsPerSecond, 1)} enrollments/s, p50 ${fixed(row.p50Ms / 1000, 2)} s, p99 ${fixed(row.p99Ms / 1000, 2)} s, ${row.irs} irs`,
      );
      for (const spec of specs) rmSync(spec.options.certout as string, { force: true });
    }
    return { devices, concurrency, checkAfter, rows, memory };
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await redis.close();
    await throwaway.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function fleetTable(r: FleetBenchResult): string {
  return [
    table([
      [
        'worker processes',
        'enrollments/s',
        'p50 submit → certificate',
        'p99 submit → certificate',
        'done / failed',
        'irs at the CA',
        'distinct certificates',
      ],
      ...r.rows.map((row) => [
        `${row.workers} × ${r.concurrency}`,
        fixed(row.enrollmentsPerSecond, 1),
        `${fixed(row.p50Ms / 1000, 2)} s`,
        `${fixed(row.p99Ms / 1000, 2)} s`,
        `${row.done} / ${row.failed}`,
        String(row.irs),
        String(row.certificates),
      ]),
    ]),
    '',
    table([
      ['Redis memory', 'value'],
      ['per waiting session (INFO used_memory, all devices waiting, over N)', `${fixed(r.memory.bytesPerWaitingSession / 1024, 2)} KiB`],
      ['the job record of a waiting session (JSON)', `${r.memory.recordBytes} bytes`],
      [
        'used_memory before submitting / with all waiting',
        `${fixed(r.memory.usedBeforeBytes / 1048576, 1)} MiB / ${fixed(r.memory.usedWaitingBytes / 1048576, 1)} MiB`,
      ],
    ]),
  ].join('\n');
}
