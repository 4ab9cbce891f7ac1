/**
 * The contract between fleet work and where it is kept. A backend (a local directory, BullMQ on
 * Redis) stores jobs, hands each to exactly one worker at a time, and keeps a waiting job's
 * session snapshot together with the absolute time it is next due: that due time is the durable
 * timer, since XState forgets `after` timers when a process ends.
 *
 * What a backend stores is plain JSON without secrets: a job names its credentials (`env:NAME`,
 * `file:PATH`) and every worker resolves them from its own configuration.
 */
import type { PersistedSession } from '../session/snapshot';

export const FLEET_COMMANDS = ['ir', 'cr', 'kur', 'p10cr', 'rr', 'genm'] as const;
export type FleetCommand = (typeof FLEET_COMMANDS)[number];

/** A value of an `openssl cmp` option, as JOBS.jsonl may give it. */
export type FleetOptionValue = string | number | boolean | string[];

/** One device's job: what `cmpflow fleet submit` reads from a JOBS.jsonl line. */
export interface FleetJobSpec {
  /** Unique within the queue; submitting an id that is already there does not add a second job. */
  id: string;
  cmd: FleetCommand;
  /** `openssl cmp` option names without the dash (`subject`, `newkey`, `certout`, ...). */
  options: Record<string, FleetOptionValue>;
}

export type FleetJobState = 'pending' | 'active' | 'waiting' | 'done' | 'failed' | 'cancelled';

export interface FleetJobError {
  code: string;
  message: string;
}

/** What a finished job leaves for inspection: no key material, only where it was written. */
export interface FleetJobResult {
  /** Files written (certout, chainout, ...). */
  files?: string[];
  /** Hex serial number of the new certificate, when there is one. */
  serialNumber?: string;
  /** ISO 8601 notAfter of the new certificate, for renewal. */
  notAfter?: string;
  warnings?: string[];
}

/**
 * One message of the job's current transaction, recorded before it is sent (and its answer once
 * received): a worker taking the job over after a crash sends these very messages again, in
 * order, instead of new ones, so the CA sees one transaction whatever happened (docs/fleet.md).
 * Requests and answers cross the wire as they are, so they hold no secret.
 */
export interface FleetExchange {
  /** Body type of the request: ir, pollReq, certConf, ... */
  bodyType: string;
  /** Base64 DER of the request as sent. */
  request: string;
  /** Base64 DER of the answer, once one was received. */
  response?: string;
}

/** What a worker persists while it holds a job (LeasedJob.save). */
export interface FleetCheckpoint {
  /** Hex transactionID of the job's transaction, fixed before its first message goes out. */
  transactionId: string;
  /** The last waiting session the exchanges continue from; absent before the first `waiting`. */
  session?: PersistedSession;
  /** The messages since `session` (or since the start), oldest first. */
  exchanges: FleetExchange[];
}

export interface FleetJobRecord {
  spec: FleetJobSpec;
  state: FleetJobState;
  /** Times a worker took the job. */
  attempts: number;
  /**
   * The session as it stood at the last checkpoint: taken before a request goes out, so a worker
   * that dies mid-exchange leaves enough for the next one to resume the transaction, not start a
   * new one.
   */
  session?: PersistedSession;
  /** Hex transactionID of the current transaction (FleetCheckpoint); cleared by requeue. */
  transactionId?: string;
  /** Messages sent since `session` (FleetCheckpoint); cleared when the job waits, ends or is requeued. */
  exchanges?: FleetExchange[];
  /** Epoch milliseconds at which a waiting job is next due. */
  dueAt?: number;
  result?: FleetJobResult;
  error?: FleetJobError;
  /** Epoch milliseconds. */
  updatedAt: number;
}

/** A job a worker holds; while it holds it, no other worker gets the same job. */
export interface LeasedJob {
  readonly record: FleetJobRecord;
  /** Persists the session before a request is sent (and whenever it changes) without giving the job up. */
  checkpoint(session: PersistedSession): Promise<void>;
  /**
   * Persists transactionID, session and exchanges together (replacing the stored ones) without
   * giving the job up; resolves once they are durable, since the worker sends only after that.
   */
  save(checkpoint: FleetCheckpoint): Promise<void>;
}

/**
 * How a worker's attempt at a job ended. `wait` stores the new session and clears the exchanges
 * (the transactionID stays); `retry`, and a lease that expires, keep transactionID, session and
 * exchanges as last saved; `done` and `failed` clear session and exchanges.
 */
export type FleetOutcome =
  | { kind: 'done'; result: FleetJobResult }
  /** The CA said `waiting`: keep the session, come back at `dueAt` (epoch ms). */
  | { kind: 'wait'; session: PersistedSession; dueAt: number }
  /** A transport fault or a lost worker: try again later (with backoff), keeping the session. */
  | { kind: 'retry'; error: FleetJobError; session?: PersistedSession }
  | { kind: 'failed'; error: FleetJobError };

export type FleetJobHandler = (job: LeasedJob, signal: AbortSignal) => Promise<FleetOutcome>;

export interface FleetCounts {
  total: number;
  pending: number;
  active: number;
  waiting: number;
  done: number;
  failed: number;
  cancelled: number;
}

export interface FleetWorkOptions {
  /** Jobs worked at once in this process (default 1). */
  concurrency?: number;
  /** Return once no job is left to do or wait for. */
  untilIdle?: boolean;
  signal?: AbortSignal;
}

export interface FleetSubmitReport {
  submitted: number;
  /** Ids already in the queue, left as they were. */
  duplicates: string[];
}

export interface FleetQueue {
  submit(specs: readonly FleetJobSpec[]): Promise<FleetSubmitReport>;
  get(id: string): Promise<FleetJobRecord | undefined>;
  list(state?: FleetJobState): Promise<FleetJobRecord[]>;
  counts(): Promise<FleetCounts>;
  /** Cancels a job that has not finished; true when it was cancelled. */
  cancel(id: string): Promise<boolean>;
  /** Puts finished jobs back to work with new specs (renewal): same id, new spec, state pending. */
  requeue(specs: readonly FleetJobSpec[]): Promise<void>;
  /** Works jobs with `handler` until `signal` aborts, or (untilIdle) nothing is left. */
  work(handler: FleetJobHandler, options?: FleetWorkOptions): Promise<void>;
  close(): Promise<void>;
}
