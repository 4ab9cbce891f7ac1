/**
 * The embedded fleet backend: a local directory is the durable store, this process the scheduler.
 *
 *   DIR/fleet.json          marks the directory as a queue (so a typo is not taken for an empty one)
 *   DIR/jobs/ID.json        one FleetJobRecord a job, replaced atomically (tmp + fsync + rename)
 *   DIR/leases/ID.lease     who works the job: pid, host, token, expiry; renewed while working
 *   DIR/jobs/ID.cancel      a cancellation for a job another worker holds, honoured when it lets go
 *
 * A waiting job's dueAt is in its record, so the timer survives any restart: a worker started
 * later takes the job when it is due. A lease whose process is gone (same host, pid not running)
 * or whose expiry has passed is taken over; taking over renames the old lease away first, which
 * only one of several contenders can do, so a job never has two holders.
 */
import { randomBytes } from 'crypto';
import { promises as fs, constants as fsConstants } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CmpError, ErrorCodes } from '../errors';
import { isValidJobId } from './jobs-file';
import type {
  FleetCheckpoint,
  FleetCounts,
  FleetJobHandler,
  FleetJobRecord,
  FleetJobSpec,
  FleetJobState,
  FleetOutcome,
  FleetQueue,
  FleetSubmitReport,
  FleetWorkOptions,
  LeasedJob,
} from './queue';
import type { PersistedSession } from '../session/snapshot';

export interface DirectoryQueueOptions {
  /** Create the directory when it is not a queue yet (submit does; work and status do not). */
  create?: boolean;
  /** How long a lease lasts without renewal; default 30 s. */
  leaseMs?: number;
  /** How often an idle worker looks for work it was not told about (new or released jobs); default 250 ms. */
  pollMs?: number;
  /** Attempts after which a job that keeps failing to run (`retry`) is failed; default 10. */
  maxAttempts?: number;
  /** First retry delay, doubled each attempt up to maxRetryDelayMs; default 1 s. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Clock in epoch ms, for tests. */
  now?: () => number;
}

const MARKER = 'fleet.json';
const FORMAT = 'cmpflow-fleet-directory';
const UNFINISHED: ReadonlySet<FleetJobState> = new Set(['pending', 'active', 'waiting']);

interface Lease {
  pid: number;
  host: string;
  token: string;
  expiresAt: number;
}

const isCode = (e: unknown, code: string) => (e as NodeJS.ErrnoException | undefined)?.code === code;

/** Writes `data` to `file` so that a reader sees the old content or the new, never a part (tmp + fsync + rename). */
async function writeAtomically(file: string, data: string, how: 'replace' | 'create' = 'replace'): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (how === 'create') {
      // link() fails when the name exists: a job submitted twice keeps its first record.
      try {
        await fs.link(tmp, file);
      } catch (e) {
        if (isCode(e, 'EEXIST')) return false;
        throw e;
      }
    } else {
      await fs.rename(tmp, file);
    }
  } finally {
    await fs.rm(tmp, { force: true });
  }
  await syncDirectory(path.dirname(file));
  return true;
}

async function syncDirectory(dir: string): Promise<void> {
  // The rename is durable only once the directory is; some file systems cannot fsync a directory.
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, fsConstants.O_RDONLY);
    await handle.sync();
  } catch {
    // Best effort.
  } finally {
    await handle?.close();
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (e) {
    if (isCode(e, 'ENOENT')) return undefined;
    throw new CmpError(ErrorCodes.ERR_QUEUE, `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return isCode(e, 'ESRCH');
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

function errorOf(e: unknown): { code: string; message: string } {
  return e instanceof CmpError
    ? { code: e.code, message: e.message }
    : { code: ErrorCodes.ERR_INTERNAL, message: e instanceof Error ? e.message : String(e) };
}

export class DirectoryQueue implements FleetQueue {
  readonly #jobs: string;
  readonly #leases: string;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #maxAttempts: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #now: () => number;
  readonly #host = os.hostname();
  /** Records as last read, by file: a scan rereads only files that changed. */
  readonly #cache = new Map<string, { mtimeMs: number; size: number; record: FleetJobRecord }>();
  /** Wakes an idle work() loop when this process changed something (submit, outcome). */
  #wake?: () => void;

  private constructor(
    readonly dir: string,
    options: DirectoryQueueOptions,
  ) {
    this.#jobs = path.join(dir, 'jobs');
    this.#leases = path.join(dir, 'leases');
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#pollMs = options.pollMs ?? 250;
    this.#maxAttempts = options.maxAttempts ?? 10;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 300_000;
    this.#now = options.now ?? Date.now;
  }

  static async open(dir: string, options: DirectoryQueueOptions = {}): Promise<DirectoryQueue> {
    const root = path.resolve(dir);
    const marker = path.join(root, MARKER);
    const existing = await readJson<{ format?: string }>(marker).catch(() => undefined);
    if (existing?.format !== FORMAT) {
      if (!options.create) {
        throw new CmpError(ErrorCodes.ERR_QUEUE, `${root} is not a fleet queue (no ${MARKER}); 'cmpflow fleet submit' creates one`);
      }
      if (existing !== undefined) throw new CmpError(ErrorCodes.ERR_QUEUE, `${marker} belongs to something else than a fleet queue`);
      await fs.mkdir(root, { recursive: true, mode: 0o700 });
      const entries = (await fs.readdir(root)).filter((e) => e !== MARKER);
      if (entries.length > 0) throw new CmpError(ErrorCodes.ERR_QUEUE, `${root} is not empty and not a fleet queue; name a new directory`);
    }
    await fs.mkdir(path.join(root, 'jobs'), { recursive: true, mode: 0o700 });
    await fs.mkdir(path.join(root, 'leases'), { recursive: true, mode: 0o700 });
    if (existing?.format !== FORMAT) await writeAtomically(marker, `${JSON.stringify({ format: FORMAT, version: 1 })}\n`, 'create');
    return new DirectoryQueue(root, options);
  }

  #recordFile(id: string): string {
    if (!isValidJobId(id)) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `'${id}' is not a valid job id`);
    return path.join(this.#jobs, `${id}.json`);
  }

  #leaseFile(id: string): string {
    return path.join(this.#leases, `${id}.lease`);
  }

  async #write(record: FleetJobRecord): Promise<void> {
    record.updatedAt = this.#now();
    await writeAtomically(this.#recordFile(record.spec.id), JSON.stringify(record));
  }

  async submit(specs: readonly FleetJobSpec[]): Promise<FleetSubmitReport> {
    const report: FleetSubmitReport = { submitted: 0, duplicates: [] };
    for (const spec of specs) {
      const record: FleetJobRecord = { spec, state: 'pending', attempts: 0, updatedAt: this.#now() };
      if (await writeAtomically(this.#recordFile(spec.id), JSON.stringify(record), 'create')) report.submitted++;
      else report.duplicates.push(spec.id);
    }
    this.#wake?.();
    return report;
  }

  async get(id: string): Promise<FleetJobRecord | undefined> {
    return readJson<FleetJobRecord>(this.#recordFile(id));
  }

  /** Every record, reread only where its file changed since the last scan. */
  async #scan(): Promise<FleetJobRecord[]> {
    const names = (await fs.readdir(this.#jobs)).filter((n) => n.endsWith('.json'));
    const seen = new Set<string>();
    const records: FleetJobRecord[] = [];
    for (const name of names) {
      const file = path.join(this.#jobs, name);
      seen.add(file);
      let stat: { mtimeMs: number; size: number };
      try {
        stat = await fs.stat(file);
      } catch (e) {
        if (isCode(e, 'ENOENT')) continue;
        throw e;
      }
      const cached = this.#cache.get(file);
      if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) {
        records.push(cached.record);
        continue;
      }
      const record = await readJson<FleetJobRecord>(file);
      if (!record) continue;
      this.#cache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, record });
      records.push(record);
    }
    for (const file of this.#cache.keys()) if (!seen.has(file)) this.#cache.delete(file);
    return records;
  }

  async list(state?: FleetJobState): Promise<FleetJobRecord[]> {
    const all = await this.#scan();
    return (state ? all.filter((r) => r.state === state) : all).sort((a, b) => (a.spec.id < b.spec.id ? -1 : a.spec.id > b.spec.id ? 1 : 0));
  }

  async counts(): Promise<FleetCounts> {
    const counts: FleetCounts = { total: 0, pending: 0, active: 0, waiting: 0, done: 0, failed: 0, cancelled: 0 };
    for (const r of await this.#scan()) {
      counts.total++;
      counts[r.state]++;
    }
    return counts;
  }

  /** Takes the job's lease, or undefined when a live worker holds it. */
  async #lease(id: string): Promise<Lease | undefined> {
    const file = this.#leaseFile(id);
    const lease: Lease = { pid: process.pid, host: this.#host, token: randomBytes(12).toString('hex'), expiresAt: this.#now() + this.#leaseMs };
    for (let round = 0; round < 2; round++) {
      try {
        const handle = await fs.open(file, 'wx', 0o600);
        try {
          await handle.writeFile(JSON.stringify(lease));
          await handle.sync();
        } finally {
          await handle.close();
        }
        return lease;
      } catch (e) {
        if (!isCode(e, 'EEXIST')) throw e;
      }
      let held: Lease | undefined;
      try {
        held = JSON.parse(await fs.readFile(file, 'utf8')) as Lease;
      } catch {
        // Being written right now, or left empty by a worker killed while it wrote it: stale only once a lease time has passed.
        const written = await fs.stat(file).then(
          (s) => s.mtimeMs,
          () => undefined,
        );
        if (written === undefined || Date.now() - written < this.#leaseMs) return undefined;
      }
      const stale =
        held === undefined || held.expiresAt <= this.#now() || (held.host === this.#host && held.pid !== process.pid && processIsGone(held.pid));
      if (!stale) return undefined;
      // Only one contender can rename the stale lease away; the others find it gone and give up.
      try {
        await fs.rename(file, `${file}.stale-${lease.token}`);
      } catch (e) {
        if (isCode(e, 'ENOENT')) return undefined;
        throw e;
      }
      await fs.rm(`${file}.stale-${lease.token}`, { force: true });
    }
    return undefined;
  }

  async #holds(id: string, lease: Lease): Promise<boolean> {
    try {
      return (JSON.parse(await fs.readFile(this.#leaseFile(id), 'utf8')) as Lease).token === lease.token;
    } catch {
      return false;
    }
  }

  async #renew(id: string, lease: Lease): Promise<boolean> {
    if (!(await this.#holds(id, lease))) return false;
    lease.expiresAt = this.#now() + this.#leaseMs;
    await writeAtomically(this.#leaseFile(id), JSON.stringify(lease));
    return true;
  }

  async #release(id: string, lease: Lease): Promise<void> {
    if (await this.#holds(id, lease)) await fs.rm(this.#leaseFile(id), { force: true });
  }

  async #cancelRequested(id: string): Promise<boolean> {
    try {
      await fs.access(path.join(this.#jobs, `${id}.cancel`));
      return true;
    } catch {
      return false;
    }
  }

  async cancel(id: string): Promise<boolean> {
    const record = await this.get(id);
    if (!record || !UNFINISHED.has(record.state)) return false;
    const lease = await this.#lease(id);
    if (!lease) {
      // A worker holds it: it cancels the job when it lets go of it.
      await writeAtomically(path.join(this.#jobs, `${id}.cancel`), '', 'replace');
      return true;
    }
    try {
      const fresh = await this.get(id);
      if (!fresh || !UNFINISHED.has(fresh.state)) return false;
      await this.#finish(fresh, 'cancelled');
      return true;
    } finally {
      await this.#release(id, lease);
    }
  }

  async #finish(record: FleetJobRecord, state: 'cancelled'): Promise<void> {
    record.state = state;
    delete record.session;
    delete record.exchanges;
    delete record.dueAt;
    await this.#write(record);
    await fs.rm(path.join(this.#jobs, `${record.spec.id}.cancel`), { force: true });
  }

  async requeue(specs: readonly FleetJobSpec[]): Promise<void> {
    for (const spec of specs) {
      const lease = await this.#lease(spec.id);
      if (!lease) throw new CmpError(ErrorCodes.ERR_QUEUE, `job ${spec.id} is being worked on; requeue it once it has finished`);
      try {
        const record = await this.get(spec.id);
        if (!record) throw new CmpError(ErrorCodes.ERR_QUEUE, `no job ${spec.id} to requeue`);
        if (UNFINISHED.has(record.state)) throw new CmpError(ErrorCodes.ERR_QUEUE, `job ${spec.id} has not finished (${record.state})`);
        const next: FleetJobRecord = { spec, state: 'pending', attempts: 0, updatedAt: this.#now() };
        await this.#write(next);
      } finally {
        await this.#release(spec.id, lease);
      }
    }
    this.#wake?.();
  }

  /** Jobs this worker could take now, and the earliest time another becomes due. */
  #due(records: FleetJobRecord[], busy: ReadonlySet<string>): { ready: FleetJobRecord[]; nextDueAt?: number; unfinished: number } {
    const now = this.#now();
    const ready: FleetJobRecord[] = [];
    let nextDueAt: number | undefined;
    let unfinished = 0;
    for (const r of records) {
      if (!UNFINISHED.has(r.state)) continue;
      unfinished++;
      if (busy.has(r.spec.id)) continue;
      const due = r.state === 'active' ? 0 : (r.dueAt ?? 0);
      if (due <= now) ready.push(r);
      else nextDueAt = Math.min(nextDueAt ?? due, due);
    }
    // Oldest due first, so a backlog does not starve jobs whose poll time has come.
    ready.sort((a, b) => (a.dueAt ?? 0) - (b.dueAt ?? 0));
    return { ready, ...(nextDueAt !== undefined ? { nextDueAt } : {}), unfinished };
  }

  async work(handler: FleetJobHandler, options: FleetWorkOptions = {}): Promise<void> {
    const concurrency = Math.max(1, options.concurrency ?? 1);
    const running = new Map<string, Promise<void>>();
    const signal = options.signal;
    // The due jobs of the last scan, taken from the front. A scan walks every record, so it runs
    // when the list is used up, when a job's due time has come, or once per pollMs, not each
    // time a job finishes; #run rereads a job's record before working it anyway.
    let ready: FleetJobRecord[] = [];
    let nextDueAt: number | undefined;
    let unfinished = Infinity;
    let scannedAt = -Infinity;
    const MIN_RESCAN_MS = 20;
    while (!signal?.aborted) {
      // Scan pacing follows the real clock; the queue's clock (a test's) decides only due times.
      const since = performance.now() - scannedAt;
      const due = nextDueAt !== undefined && nextDueAt <= this.#now();
      if (since >= this.#pollMs || due || (ready.length === 0 && since >= MIN_RESCAN_MS)) {
        ({ ready, nextDueAt, unfinished } = this.#due(await this.#scan(), new Set(running.keys())));
        scannedAt = performance.now();
      }
      if (options.untilIdle && unfinished === 0 && running.size === 0) break;
      while (ready.length > 0 && running.size < concurrency && !signal?.aborted) {
        const id = ready.shift()!.spec.id;
        if (running.has(id)) continue;
        const lease = await this.#lease(id);
        if (!lease) continue;
        const run = this.#run(id, lease, handler, signal)
          .catch(() => undefined)
          .finally(() => {
            running.delete(id);
            this.#wake?.();
          });
        running.set(id, run);
      }
      // Sleep until a job finishes here, the next one is due, or it is time to look for news.
      const untilScan = ready.length === 0 ? MIN_RESCAN_MS : this.#pollMs;
      const wait = Math.max(0, Math.min(untilScan, nextDueAt !== undefined ? nextDueAt - this.#now() : untilScan));
      if (ready.length > 0 && running.size < concurrency) continue;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        void sleep(wait, signal).then(resolve);
      });
      this.#wake = undefined;
    }
    await Promise.all(running.values());
  }

  async #run(id: string, lease: Lease, handler: FleetJobHandler, outer?: AbortSignal): Promise<void> {
    const lost = new AbortController();
    const abortOnOuter = () => lost.abort();
    outer?.addEventListener('abort', abortOnOuter, { once: true });
    const renewal = setInterval(
      () =>
        void this.#renew(id, lease)
          .then((held) => held || lost.abort())
          .catch(() => undefined),
      Math.max(50, Math.floor(this.#leaseMs / 3)),
    );
    try {
      const record = await this.get(id);
      if (!record || !UNFINISHED.has(record.state)) return;
      if (await this.#cancelRequested(id)) return await this.#finish(record, 'cancelled');
      if (record.state !== 'active' && (record.dueAt ?? 0) > this.#now()) return;
      record.state = 'active';
      record.attempts++;
      await this.#write(record);
      const guard = async () => {
        if (!(await this.#holds(id, lease))) throw new CmpError(ErrorCodes.ERR_QUEUE, `the lease on job ${id} was lost (this worker was too slow)`);
      };
      // A cancel asked for while this worker holds the job stops the step at its next checkpoint, before more is sent.
      const stopIfCancelled = async () => {
        if (await this.#cancelRequested(id)) lost.abort(new CmpError(ErrorCodes.ERR_ABORTED, 'job cancelled'));
      };
      const leased: LeasedJob = {
        record: JSON.parse(JSON.stringify(record)) as FleetJobRecord,
        checkpoint: async (session: PersistedSession) => {
          await guard();
          record.session = session;
          await this.#write(record);
          await stopIfCancelled();
        },
        save: async (checkpoint: FleetCheckpoint) => {
          await guard();
          record.transactionId = checkpoint.transactionId;
          if (checkpoint.session) record.session = checkpoint.session;
          else delete record.session;
          record.exchanges = checkpoint.exchanges;
          await this.#write(record);
          await stopIfCancelled();
        },
      };
      let outcome: FleetOutcome;
      try {
        outcome = await handler(leased, lost.signal);
      } catch (e) {
        outcome = { kind: 'retry', error: errorOf(e) };
      }
      if (!(await this.#holds(id, lease))) return;
      // The certificate exists once the step is done: done wins over a cancel asked for meanwhile (as on Redis).
      if (outcome.kind !== 'done' && (await this.#cancelRequested(id))) return await this.#finish(record, 'cancelled');
      this.#apply(record, outcome);
      await this.#write(record);
      await fs.rm(path.join(this.#jobs, `${id}.cancel`), { force: true });
    } finally {
      clearInterval(renewal);
      outer?.removeEventListener('abort', abortOnOuter);
      await this.#release(id, lease);
    }
  }

  #apply(record: FleetJobRecord, outcome: FleetOutcome): void {
    delete record.error;
    switch (outcome.kind) {
      case 'done':
        record.state = 'done';
        record.result = outcome.result;
        delete record.session;
        delete record.exchanges;
        delete record.dueAt;
        return;
      case 'wait':
        record.state = 'waiting';
        record.session = outcome.session;
        record.dueAt = outcome.dueAt;
        delete record.exchanges;
        return;
      case 'retry': {
        if (outcome.session) record.session = outcome.session;
        if (record.attempts >= this.#maxAttempts) {
          record.state = 'failed';
          record.error = { code: outcome.error.code, message: `${outcome.error.message} (gave up after ${record.attempts} attempts)` };
          delete record.session;
          delete record.exchanges;
          delete record.dueAt;
          return;
        }
        record.state = 'pending';
        record.error = outcome.error;
        record.dueAt = this.#now() + Math.min(this.#maxRetryDelayMs, this.#retryDelayMs * 2 ** (record.attempts - 1));
        return;
      }
      case 'failed':
        record.state = 'failed';
        record.error = outcome.error;
        delete record.session;
        delete record.exchanges;
        delete record.dueAt;
        return;
    }
  }

  async close(): Promise<void> {
    this.#wake?.();
  }
}

export function openDirectoryQueue(dir: string, options?: DirectoryQueueOptions): Promise<FleetQueue> {
  return DirectoryQueue.open(dir, options);
}
