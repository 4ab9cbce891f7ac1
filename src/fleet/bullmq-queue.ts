/**
 * The fleet queue on Redis, through BullMQ: many worker processes on many machines share one queue,
 * and a waiting session survives any of them.
 *
 * - Each device is one BullMQ job whose id is the spec's id, prefixed (toJobId), so a second submit
 *   of the id adds nothing, and whose data is the FleetJobRecord: spec, state, attempts, the last checkpointed
 *   session, dueAt, result, error. Plain JSON, no secrets.
 * - A `wait` outcome moves the job to BullMQ's delayed set, due at `dueAt`, with its session: the
 *   delayed set is the durable timer, and whichever worker is free when it falls due resumes it.
 * - BullMQ's lock (lockDuration, renewed while the handler runs) gives a job to one worker at a
 *   time. A worker that dies stops renewing; the stalled-job check of the other workers puts the
 *   job back, and the next worker gets the record with the last checkpointed session.
 * - `retry` is a BullMQ failure with attempts left: bounded exponential backoff (a custom backoff
 *   strategy). `failed` and the last retry end in BullMQ's failed set, `done` in its completed set;
 *   neither is removed, so both stay for inspection.
 * - Per-CA limits: one queue per CA (`?queue=NAME` in the URL), each with its own worker
 *   concurrency and BullMQ rate limiter (`?rate=MAX/MS`).
 * - Beside BullMQ's keys, two of ours: a set of the jobs that wait on their CA (to tell them from
 *   jobs backing off, which BullMQ also keeps delayed) and a hash of cancelled jobs' records.
 *
 * bullmq and ioredis are optional dependencies, loaded only when a redis:// queue is opened.
 */
import type { Job, Queue, Worker, WorkerOptions, ConnectionOptions } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { CmpError, ErrorCodes } from '../errors';
import type { PersistedSession } from '../session/snapshot';
import type {
  FleetCheckpoint,
  FleetCounts,
  FleetJobError,
  FleetJobHandler,
  FleetJobRecord,
  FleetJobResult,
  FleetJobSpec,
  FleetJobState,
  FleetOutcome,
  FleetQueue,
  FleetSubmitReport,
  FleetWorkOptions,
  LeasedJob,
} from './queue';

export interface BullmqQueueOptions {
  /** Key prefix of every Redis key (default `cmpflow`); URL `?prefix=`. */
  prefix?: string;
  /** BullMQ queue name (default `fleet`); one per CA for per-CA limits; URL `?queue=`. */
  queueName?: string;
  /** Redis password; never in the URL, which may end up in a process list. Default: env CMPFLOW_REDIS_PASSWORD. */
  password?: string;
  /** Milliseconds before an unreachable Redis is reported (default 3000). */
  connectTimeoutMs?: number;
  /** How long a worker's lock on a job lasts unless renewed (default 30000); URL `?lockDuration=`. */
  lockDurationMs?: number;
  /** How often workers look for jobs whose worker died (default half of lockDuration); URL `?stalledInterval=`. */
  stalledIntervalMs?: number;
  /** Times a job may be found stalled before it fails (default 10): a worker killed mid-exchange is no fault of the job. */
  maxStalledCount?: number;
  /** Attempts before a job that keeps ending in `retry` fails (default 8). */
  maxAttempts?: number;
  /** First backoff after a `retry` outcome (default 1000 ms), doubling up to `maxBackoffMs` (default 300000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** At most `max` jobs started per `durationMs` across all workers of the queue; URL `?rate=MAX/MS`. */
  limiter?: { max: number; durationMs: number };
  /** How often `work({ untilIdle })` checks whether anything is left (default 500 ms). */
  idlePollMs?: number;
}

type BullmqModule = typeof import('bullmq');
type IoredisModule = typeof import('ioredis');

function loadOptional(): { bullmq: BullmqModule; Redis: IoredisModule['default'] } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bullmq = require('bullmq') as BullmqModule;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ioredis = require('ioredis') as IoredisModule & { default?: IoredisModule['default'] };
    return { bullmq, Redis: ioredis.default ?? (ioredis as unknown as IoredisModule['default']) };
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_QUEUE, 'redis:// queues need the optional packages bullmq and ioredis: npm install bullmq ioredis', {
      cause: e,
    });
  }
}

interface ParsedUrl {
  tls: boolean;
  host: string;
  port: number;
  db: number;
  where: string;
  params: URLSearchParams;
}

function parseRedisUrl(url: string): ParsedUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `not a redis:// URL: ${url}`, { cause: e });
  }
  const protocol: string = parsed.protocol;
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `queue URL must be redis://HOST:PORT[/DB] (or rediss:// for TLS), not ${protocol}`);
  }
  if (parsed.password || parsed.username) {
    throw new CmpError(
      ErrorCodes.ERR_INVALID_OPTION,
      'a Redis password does not belong in the queue URL (it would show in process lists): set CMPFLOW_REDIS_PASSWORD',
    );
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = parsed.port ? Number(parsed.port) : 6379;
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isSafeInteger(db) || db < 0) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `Redis database must be a number: ${dbText}`);
  return { host, port, db, tls: protocol === 'rediss:', where: `${parsed.hostname}:${port}/${db}`, params: parsed.searchParams };
}

function urlNumber(params: URLSearchParams, name: string): number | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `queue URL parameter ${name} must be a positive integer: ${text}`);
  return n;
}

function urlRate(params: URLSearchParams): { max: number; durationMs: number } | undefined {
  const text = params.get('rate');
  if (text === null) return undefined;
  const m = /^([1-9][0-9]*)\/([1-9][0-9]*)$/.exec(text);
  if (!m) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `queue URL parameter rate must be MAX/MILLISECONDS: ${text}`);
  return { max: Number(m[1]), durationMs: Number(m[2]) };
}

/**
 * A job's key is PREFIX:QUEUE:JOBID beside BullMQ's own keys (PREFIX:QUEUE:active, :wait, :meta,
 * ...), so a device named `active` must not become job id `active`: every id gets a prefix, and one
 * with ':' (which BullMQ refuses) is stored base64url-encoded.
 */
function toJobId(id: string): string {
  return id.includes(':') ? `b64.${Buffer.from(id, 'utf8').toString('base64url')}` : `id.${id}`;
}

const errorOf = (e: unknown): FleetJobError =>
  e instanceof CmpError
    ? { code: e.code, message: e.message }
    : { code: ErrorCodes.ERR_INTERNAL, message: e instanceof Error ? e.message : String(e) };

/** HSET of the job's data only while KEYS[1] (its lock) holds ARGV[1] (this worker's token). */
const FENCED_WRITE = `if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[2], 'data', ARGV[2])
  return 1
end
return 0`;

const PENDING_TYPES = ['waiting', 'prioritized', 'paused', 'waiting-children'] as const;
const UNFINISHED_TYPES = ['active', 'waiting', 'delayed', 'prioritized', 'paused', 'waiting-children'] as const;

/**
 * Opens (and checks) the queue at `redis://HOST:PORT[/DB][?queue=NAME&prefix=P&lockDuration=MS&stalledInterval=MS&rate=MAX/MS]`.
 * An unreachable Redis is ERR_QUEUE within `connectTimeoutMs`.
 */
export async function openBullmqQueue(url: string, options: BullmqQueueOptions = {}): Promise<FleetQueue> {
  const target = parseRedisUrl(url);
  const { bullmq, Redis } = loadOptional();
  const params = target.params;
  const prefix = params.get('prefix') ?? options.prefix ?? 'cmpflow';
  const queueName = params.get('queue') ?? options.queueName ?? 'fleet';
  if (queueName.includes(':') || prefix.includes(':')) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'queue name and prefix cannot contain ":"');
  const connectTimeout = options.connectTimeoutMs ?? 3000;
  const password = options.password ?? process.env.CMPFLOW_REDIS_PASSWORD;
  const base: RedisOptions = {
    host: target.host,
    port: target.port,
    db: target.db,
    connectTimeout,
    ...(password ? { password } : {}),
    ...(target.tls ? { tls: { servername: target.host } } : {}),
  };

  // A client that gives up at once: the answer to "is Redis there" must come in seconds, not after
  // ioredis's endless reconnecting.
  const probe: Redis = new Redis({ ...base, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let lastError: Error | undefined;
  probe.on('error', (e: Error) => (lastError = e));
  try {
    await withTimeout(
      (async () => {
        await probe.connect();
        await probe.ping();
      })(),
      connectTimeout + 500,
    );
  } catch (e) {
    probe.disconnect();
    // ioredis rejects with "Connection is closed"; the socket's own error says why (ECONNREFUSED, ...).
    const detail = lastError?.message ?? (e instanceof Error ? e.message : String(e));
    throw new CmpError(ErrorCodes.ERR_QUEUE, `cannot reach Redis at ${target.where}: ${detail}`, { cause: e });
  }
  probe.disconnect();

  // Once reached, later outages (a restart) are ridden out: ioredis reconnects and BullMQ resumes.
  const client: Redis = new Redis({ ...base, maxRetriesPerRequest: 20 });
  client.on('error', () => undefined);
  const queue: Queue = new bullmq.Queue(queueName, { connection: client as unknown as ConnectionOptions, prefix });
  queue.on('error', () => undefined);

  const lockDuration = urlNumber(params, 'lockDuration') ?? options.lockDurationMs ?? 30_000;
  const stalledInterval = urlNumber(params, 'stalledInterval') ?? options.stalledIntervalMs ?? Math.max(1000, Math.floor(lockDuration / 2));
  const limiter = urlRate(params) ?? options.limiter;
  const maxAttempts = options.maxAttempts ?? 8;
  const backoffMs = options.backoffMs ?? 1000;
  const maxBackoffMs = options.maxBackoffMs ?? 300_000;
  const idlePollMs = options.idlePollMs ?? 500;
  const waitingKey = queue.toKey('cmpflow:waiting');
  const cancelledKey = queue.toKey('cmpflow:cancelled');

  const jobOptions = (spec: FleetJobSpec) => ({
    jobId: toJobId(spec.id),
    attempts: maxAttempts,
    backoff: { type: 'cmpflow', delay: backoffMs },
    removeOnComplete: false,
    removeOnFail: false,
  });
  const freshRecord = (spec: FleetJobSpec): FleetJobRecord => ({ spec, state: 'pending', attempts: 0, updatedAt: Date.now() });

  const cancelledRecord = async (id: string): Promise<FleetJobRecord | undefined> => {
    const text = await client.hget(cancelledKey, id);
    return text === null ? undefined : (JSON.parse(text) as FleetJobRecord);
  };

  const recordOf = (job: Job, bullState: string, waitingOnCa: boolean): FleetJobRecord => {
    const data = job.data as FleetJobRecord;
    let state: FleetJobState;
    switch (bullState) {
      case 'completed':
        state = 'done';
        break;
      case 'failed':
        state = data.state === 'cancelled' ? 'cancelled' : 'failed';
        break;
      case 'active':
        state = 'active';
        break;
      default:
        state = waitingOnCa || (bullState === 'delayed' && data.state === 'waiting') ? 'waiting' : 'pending';
    }
    return { ...data, state };
  };

  const get = async (id: string): Promise<FleetJobRecord | undefined> => {
    const cancelled = await cancelledRecord(id);
    const job = (await queue.getJob(toJobId(id))) as Job | undefined;
    if (cancelled && (!job || (await job.getState()) !== 'completed')) return cancelled;
    if (!job) return undefined;
    const bullState = await job.getState();
    return recordOf(job, bullState, (await client.sismember(waitingKey, id)) === 1);
  };

  const add = async (specs: readonly FleetJobSpec[]) => {
    if (specs.length === 0) return;
    await queue.addBulk(specs.map((spec) => ({ name: spec.cmd, data: freshRecord(spec), opts: jobOptions(spec) })));
  };

  const submit = async (specs: readonly FleetJobSpec[]): Promise<FleetSubmitReport> => {
    const duplicates: string[] = [];
    const fresh: FleetJobSpec[] = [];
    const seen = new Set<string>();
    for (const spec of specs) {
      if (seen.has(spec.id)) duplicates.push(spec.id);
      else seen.add(spec.id);
    }
    const unique = specs.filter((spec, i) => specs.findIndex((s) => s.id === spec.id) === i);
    for (let i = 0; i < unique.length; i += 1000) {
      const chunk = unique.slice(i, i + 1000);
      const pipeline = client.pipeline();
      for (const spec of chunk) {
        pipeline.exists(queue.toKey(toJobId(spec.id)));
        pipeline.hexists(cancelledKey, spec.id);
      }
      const replies = (await pipeline.exec()) ?? [];
      chunk.forEach((spec, j) => {
        const [, inQueue] = replies[2 * j] ?? [];
        const [, inCancelled] = replies[2 * j + 1] ?? [];
        if (inQueue === 1 || inCancelled === 1) duplicates.push(spec.id);
        else fresh.push(spec);
      });
    }
    // addBulk keeps the first job of an id (BullMQ ignores an add whose jobId exists), so a race
    // between two submitters still leaves one job.
    for (let i = 0; i < fresh.length; i += 1000) await add(fresh.slice(i, i + 1000));
    return { submitted: fresh.length, duplicates };
  };

  const list = async (state?: FleetJobState): Promise<FleetJobRecord[]> => {
    const waitingIds = new Set(await client.smembers(waitingKey));
    const out: FleetJobRecord[] = [];
    const types = ['completed', 'failed', 'active', 'delayed', ...PENDING_TYPES] as const;
    const cancelled = new Map(Object.entries(await client.hgetall(cancelledKey)).map(([id, text]) => [id, JSON.parse(text) as FleetJobRecord]));
    for (const type of types) {
      const jobs = (await queue.getJobs([type], 0, -1)) as Job[];
      for (const job of jobs) {
        if (!job) continue;
        const id = (job.data as FleetJobRecord).spec.id;
        if (cancelled.has(id) && type !== 'completed') continue;
        const record = recordOf(job, type, waitingIds.has(id));
        if (!state || record.state === state) out.push(record);
      }
    }
    if (!state || state === 'cancelled') out.push(...cancelled.values());
    return out;
  };

  const counts = async (): Promise<FleetCounts> => {
    const c = await queue.getJobCounts('completed', 'failed', 'active', 'delayed', ...PENDING_TYPES);
    const waitingOnCa = await client.scard(waitingKey);
    const cancelled = await client.hlen(cancelledKey);
    const pendingOrWaiting = (c.delayed ?? 0) + PENDING_TYPES.reduce((n, t) => n + (c[t] ?? 0), 0);
    const waiting = Math.min(waitingOnCa, pendingOrWaiting);
    const result: FleetCounts = {
      total: 0,
      pending: pendingOrWaiting - waiting,
      active: c.active ?? 0,
      waiting,
      done: c.completed ?? 0,
      failed: c.failed ?? 0,
      cancelled,
    };
    result.total = result.pending + result.active + result.waiting + result.done + result.failed + result.cancelled;
    return result;
  };

  const cancel = async (id: string): Promise<boolean> => {
    if ((await client.hexists(cancelledKey, id)) === 1) return false;
    const job = (await queue.getJob(toJobId(id))) as Job | undefined;
    if (!job) return false;
    const bullState = await job.getState();
    if (bullState === 'completed' || bullState === 'failed') return false;
    const record: FleetJobRecord = { ...(job.data as FleetJobRecord), state: 'cancelled', updatedAt: Date.now() };
    delete record.dueAt;
    // The hash entry is the cancellation: a worker holding the job sees it at its next checkpoint
    // or when its attempt ends, and a job not held is removed here.
    await client.hset(cancelledKey, id, JSON.stringify(record));
    await client.srem(waitingKey, id);
    if (bullState !== 'active') {
      try {
        await job.remove();
      } catch {
        // Taken by a worker in the meantime: it will see the hash entry.
      }
    }
    return true;
  };

  const requeue = async (specs: readonly FleetJobSpec[]): Promise<void> => {
    for (const spec of specs) {
      const job = (await queue.getJob(toJobId(spec.id))) as Job | undefined;
      const cancelled = (await client.hexists(cancelledKey, spec.id)) === 1;
      if (!job && !cancelled) throw new CmpError(ErrorCodes.ERR_QUEUE, `no job ${spec.id} to requeue`);
      if (job) {
        const bullState = await job.getState();
        if (bullState !== 'completed' && bullState !== 'failed' && !cancelled) {
          throw new CmpError(ErrorCodes.ERR_QUEUE, `job ${spec.id} has not finished; requeue it once it has`);
        }
        try {
          await job.remove();
        } catch (e) {
          throw new CmpError(ErrorCodes.ERR_QUEUE, `job ${spec.id} is being worked on; requeue it once it has finished`, { cause: e });
        }
      }
      await client.hdel(cancelledKey, spec.id);
      await client.srem(waitingKey, spec.id);
      await add([spec]);
    }
  };

  const work = async (handler: FleetJobHandler, workOptions: FleetWorkOptions = {}): Promise<void> => {
    const stopping = new AbortController();
    const held = new Set<AbortController>();
    const isCancelled = async (id: string) => (await client.hexists(cancelledKey, id)) === 1;

    const processor = async (job: Job, token?: string): Promise<FleetJobResult> => {
      const record = { ...(job.data as FleetJobRecord) };
      const id = record.spec.id;
      // Every write of the record checks, in the same Redis script, that this worker still holds
      // the job's lock: a worker that lost it (paused past lockDuration, the job now another's)
      // must not overwrite the new holder's transaction.
      const jobKey = queue.toKey(job.id!);
      const write = async (value: FleetJobRecord) => {
        if (token === undefined) return job.updateData(value);
        const held = await client.eval(FENCED_WRITE, 2, `${jobKey}:lock`, jobKey, token, JSON.stringify(value));
        if (held !== 1) throw new CmpError(ErrorCodes.ERR_QUEUE, `job ${id}: this worker no longer holds it (its lock expired)`);
      };
      await client.srem(waitingKey, id);
      if (await isCancelled(id)) throw new bullmq.UnrecoverableError('cancelled');
      record.attempts += 1;
      record.state = 'active';
      record.updatedAt = Date.now();
      await write(record);

      const controller = new AbortController();
      held.add(controller);
      const onStop = () => controller.abort(new CmpError(ErrorCodes.ERR_ABORTED, 'worker stopping'));
      stopping.signal.addEventListener('abort', onStop, { once: true });
      const leased: LeasedJob = {
        record: { ...record },
        checkpoint: async (session: PersistedSession) => {
          record.session = session;
          record.updatedAt = Date.now();
          await write(record);
          if (await isCancelled(id)) controller.abort(new CmpError(ErrorCodes.ERR_ABORTED, 'job cancelled'));
        },
        save: async (checkpoint: FleetCheckpoint) => {
          record.transactionId = checkpoint.transactionId;
          if (checkpoint.session) record.session = checkpoint.session;
          else delete record.session;
          record.exchanges = checkpoint.exchanges;
          record.updatedAt = Date.now();
          // Acknowledged by Redis before the worker sends: with appendfsync always it is on disk too.
          await write(record);
          if (await isCancelled(id)) controller.abort(new CmpError(ErrorCodes.ERR_ABORTED, 'job cancelled'));
        },
      };
      let outcome: FleetOutcome;
      try {
        outcome = await handler(leased, controller.signal);
      } catch (e) {
        outcome = { kind: 'retry', error: errorOf(e) };
      } finally {
        stopping.signal.removeEventListener('abort', onStop);
        held.delete(controller);
      }

      if (outcome.kind !== 'done' && (await isCancelled(id))) {
        const session = outcome.kind === 'wait' || outcome.kind === 'retry' ? (outcome.session ?? record.session) : record.session;
        const cancelled: FleetJobRecord = { ...record, state: 'cancelled', updatedAt: Date.now(), ...(session ? { session } : {}) };
        await client.hset(cancelledKey, id, JSON.stringify(cancelled));
        throw new bullmq.UnrecoverableError('cancelled');
      }
      record.updatedAt = Date.now();
      switch (outcome.kind) {
        case 'done':
          record.state = 'done';
          record.result = outcome.result;
          delete record.session;
          delete record.exchanges;
          delete record.error;
          delete record.dueAt;
          await write(record);
          if (await isCancelled(id)) await client.hdel(cancelledKey, id); // the certificate exists: done wins
          return outcome.result;
        case 'wait':
          record.state = 'waiting';
          record.session = outcome.session;
          record.dueAt = outcome.dueAt;
          delete record.exchanges;
          delete record.error;
          await write(record);
          await client.sadd(waitingKey, id);
          await job.moveToDelayed(outcome.dueAt, token);
          throw new bullmq.DelayedError();
        case 'retry': {
          if (outcome.session) record.session = outcome.session;
          record.error = outcome.error;
          const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          record.state = last ? 'failed' : 'pending';
          delete record.dueAt;
          await write(record);
          throw Object.assign(new Error(`${outcome.error.code}: ${outcome.error.message}`), { name: outcome.error.code });
        }
        case 'failed':
          record.state = 'failed';
          record.error = outcome.error;
          delete record.session;
          delete record.exchanges;
          delete record.dueAt;
          await write(record);
          throw new bullmq.UnrecoverableError(`${outcome.error.code}: ${outcome.error.message}`);
      }
    };

    const workerOptions: WorkerOptions = {
      connection: {
        host: target.host,
        port: target.port,
        db: target.db,
        connectTimeout,
        maxRetriesPerRequest: null,
        ...(password ? { password } : {}),
      },
      prefix,
      concurrency: Math.max(1, workOptions.concurrency ?? 1),
      lockDuration,
      stalledInterval,
      maxStalledCount: options.maxStalledCount ?? 10,
      settings: { backoffStrategy: (attemptsMade: number) => Math.min(maxBackoffMs, backoffMs * 2 ** Math.max(0, attemptsMade - 1)) },
      ...(limiter ? { limiter: { max: limiter.max, duration: limiter.durationMs } } : {}),
    };
    const worker: Worker = new bullmq.Worker(queueName, processor, workerOptions);
    worker.on('error', () => undefined);
    worker.on('failed', (job) => {
      // A job cancelled while a worker held it ends failed; its record lives in the cancelled hash.
      if (job && job.failedReason === 'cancelled') void job.remove().catch(() => undefined);
    });

    const signal = workOptions.signal;
    const onAbort = () => stopping.abort();
    if (signal?.aborted) stopping.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (workOptions.untilIdle) {
        let idleChecks = 0;
        while (!stopping.signal.aborted && idleChecks < 2) {
          await sleep(idlePollMs, stopping.signal);
          try {
            const c = await queue.getJobCounts(...UNFINISHED_TYPES);
            idleChecks = UNFINISHED_TYPES.every((t) => (c[t] ?? 0) === 0) ? idleChecks + 1 : 0;
          } catch {
            idleChecks = 0; // Redis away for a moment: not idle, just not known
          }
        }
      } else {
        await new Promise<void>((resolve) =>
          stopping.signal.aborted ? resolve() : stopping.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stopping.abort();
      await worker.close();
    }
  };

  return {
    submit,
    get,
    list,
    counts,
    cancel,
    requeue,
    work,
    close: async () => {
      await queue.close();
      client.disconnect();
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
