/**
 * Persisted sessions: an XState snapshot of a session machine, taken in a quiet state, wrapped with
 * what is needed to refuse it safely later (format, machine, machine version).
 *
 * XState restores a snapshot as given: its context becomes the transaction state and each child
 * entry names an actor to re-run with the stored input. A tampered or stale file could therefore
 * make a resumed session send arbitrary bytes or wait forever, so loading checks the snapshot
 * field by field against the one shape each persistable state can have, and refuses anything else.
 */
import type { ActorRefFrom, Snapshot } from 'xstate';
import { fromB64 } from '../bytes';
import { CmpError, type ErrorCode } from '../errors';
import { CERT_REQUEST_KINDS } from '../protocol';
import type { EnrollmentMachine } from '../../machines/enrollment';
import type { SingleExchangeMachine } from '../../machines/single-exchange';
import { MACHINE_VERSION } from '../../machines/version';
import { checkStoredResponse } from './secret-check';
import { isSecretLikeName } from './secret-names';

export const SESSION_FORMAT = 'cmpflow-session';
/** A session in a quiet state is about 1 KiB; anything far larger is not one of ours. */
export const MAX_SESSION_BYTES = 64 * 1024;

export type SessionMachineName = 'enrollment' | 'revocation' | 'general';
/** The machines that have a quiet state: every one, since each may wait for a delayed answer. */
export type PersistableMachineName = SessionMachineName;

/** What the CLI needs to resume (server, path, file names, ...); never secrets, which are refused. */
export type SessionMeta = Record<string, string | number | boolean>;

export interface PersistedSession {
  format: typeof SESSION_FORMAT;
  machine: SessionMachineName;
  /** MACHINE_VERSION of the definitions that took the snapshot. */
  version: number;
  /** ISO 8601 time of persisting. */
  savedAt: string;
  /** `actor.getPersistedSnapshot()`, as JSON. */
  snapshot: unknown;
  meta?: SessionMeta;
  /**
   * The server's answer that left the session waiting, base64 of its DER as received: when it is
   * MAC-protected, a resume refuses a secret that does not verify it before sending anything
   * (secret-check.ts). It went over the wire in the clear, so it is no secret.
   */
  lastResponse?: string;
}

const MACHINES: readonly SessionMachineName[] = ['enrollment', 'revocation', 'general'];
const MAX_JSON_DEPTH = 32;
const MAX_B64_CHARS = 4096;
const MAX_META_ENTRIES = 64;
const MAX_META_STRING = 4096;
const META_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const CANONICAL_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^-?(?:0|[1-9][0-9]{0,39})$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

type Obj = Record<string, unknown>;

function invalid(path: string, problem: string, code: ErrorCode = 'ERR_SNAPSHOT_INVALID'): CmpError {
  return new CmpError(code, `persisted session field ${path} ${problem}`);
}

function kindOf(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'object';
}

/**
 * Refuses what JSON.stringify would drop or change: functions, symbols, bigints, NaN and
 * infinities, class instances (Uint8Array, Date, Map), cycles, holes and undefined in arrays.
 * An undefined object property is accepted: XState leaves cleared context fields so, and JSON
 * loses them harmlessly.
 */
function assertJsonValue(value: unknown, path: string, ancestors: Set<object> = new Set(), depth = 0): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw invalid(path, 'is not a finite number');
      return;
    case 'undefined':
      throw invalid(path, 'is undefined, which JSON cannot hold');
    case 'function':
    case 'symbol':
    case 'bigint':
      throw invalid(path, `is a ${typeof value}, not JSON`);
  }
  if (value === null) return;
  const object = value as object;
  if (depth > MAX_JSON_DEPTH) throw invalid(path, 'is nested too deeply');
  if (ancestors.has(object)) throw invalid(path, 'is circular');
  ancestors.add(object);
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) {
      if (!(i in object)) throw invalid(`${path}[${i}]`, 'is a hole in an array');
      assertJsonValue(object[i], `${path}[${i}]`, ancestors, depth + 1);
    }
  } else {
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) throw invalid(path, `is a ${kindOf(object)}, not plain JSON`);
    if (Object.getOwnPropertySymbols(object).length > 0) throw invalid(path, 'has symbol keys');
    for (const [key, v] of Object.entries(object)) {
      if (v !== undefined) assertJsonValue(v, `${path}.${key}`, ancestors, depth + 1);
    }
  }
  ancestors.delete(object);
}

// Field checks. Each names the field it refuses, never its value (which may be anything).

function object(value: unknown, path: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'must be an object');
  return value as Obj;
}

function onlyKeys(o: Obj, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (o[key] !== undefined && !allowed.includes(key)) throw invalid(`${path}.${key}`, 'is not a known field');
  }
}

function oneOf<T>(value: unknown, path: string, options: readonly T[]): T {
  if (!options.includes(value as T)) throw invalid(path, `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`);
  return value as T;
}

function base64(value: unknown, path: string, maxChars = MAX_B64_CHARS): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxChars || !CANONICAL_B64.test(value)) {
    throw invalid(path, 'must be non-empty standard base64');
  }
  // Non-zero padding bits would decode to the same bytes as another string: one spelling only.
  if (Buffer.from(value, 'base64').toString('base64') !== value) throw invalid(path, 'must be canonical base64');
  return value;
}

function decimal(value: unknown, path: string): string {
  if (typeof value !== 'string' || !DECIMAL.test(value)) throw invalid(path, 'must be a decimal integer string');
  return value;
}

function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(path, 'must be a finite number');
  return value;
}

function nonNegative(value: unknown, path: string): number {
  if (finite(value, path) < 0) throw invalid(path, 'must not be negative');
  return value as number;
}

function count(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw invalid(path, 'must be a non-negative integer');
  return value as number;
}

function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw invalid(path, 'must be a boolean');
  return value;
}

function optional<T>(o: Obj, key: string, path: string, check: (v: unknown, p: string) => T): T | undefined {
  return o[key] === undefined ? undefined : check(o[key], `${path}.${key}`);
}

function emptyObject(value: unknown, path: string): void {
  onlyKeys(object(value, path), path, []);
}

function checkTransaction(value: unknown, path: string): void {
  const t = object(value, path);
  onlyKeys(t, path, ['transactionId', 'lastSenderNonce', 'recipNonce', 'certReqId', 'pvno', 'messagesSent', 'requestedPublicKey']);
  base64(t.transactionId, `${path}.transactionId`);
  optional(t, 'lastSenderNonce', path, base64);
  optional(t, 'requestedPublicKey', path, base64);
  optional(t, 'recipNonce', path, base64);
  optional(t, 'certReqId', path, decimal);
  oneOf(t.pvno, `${path}.pvno`, [2, 3]);
  count(t.messagesSent, `${path}.messagesSent`);
}

/** A certificate is larger than the identifiers and nonces, but still bounded by the session size. */
const MAX_CERT_B64_CHARS = MAX_SESSION_BYTES;
/** A stored answer may carry extraCerts: bounded like a certificate. */
const MAX_RESPONSE_B64_CHARS = MAX_SESSION_BYTES;

function stringList(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length > MAX_META_STRING))
    throw invalid(path, 'must be a list of short strings');
  return value as string[];
}

function certificateList(value: unknown, path: string): void {
  if (!Array.isArray(value)) throw invalid(path, 'must be a list');
  value.forEach((v, i) => base64(v, `${path}[${i}]`, MAX_CERT_B64_CHARS));
}

/** The certificate a delayed certConf confirms: kept so that the resumed session ends with it. */
function checkEnrolled(value: unknown, path: string): void {
  const e = object(value, path);
  onlyKeys(e, path, [
    'status',
    'statusName',
    'failInfo',
    'statusString',
    'certificate',
    'chain',
    'caPubs',
    'extraCerts',
    'implicitConfirmGranted',
    'refusal',
  ]);
  count(e.status, `${path}.status`);
  if (typeof e.statusName !== 'string' || e.statusName.length > 64) throw invalid(`${path}.statusName`, 'must be a short string');
  optional(e, 'failInfo', path, stringList);
  optional(e, 'statusString', path, stringList);
  base64(e.certificate, `${path}.certificate`, MAX_CERT_B64_CHARS);
  certificateList(e.chain, `${path}.chain`);
  certificateList(e.caPubs, `${path}.caPubs`);
  certificateList(e.extraCerts, `${path}.extraCerts`);
  bool(e.implicitConfirmGranted, `${path}.implicitConfirmGranted`);
  optional(e, 'refusal', path, (v, p) => {
    const r = object(v, p);
    if (typeof r.code !== 'string' || typeof r.message !== 'string') throw invalid(p, 'must be a serialised error');
  });
}

function checkAcceptance(value: unknown, path: string): void {
  const a = object(value, path);
  onlyKeys(a, path, ['accept', 'code', 'failInfo', 'text']);
  bool(a.accept, `${path}.accept`);
  optional(a, 'code', path, (v, p) => {
    if (typeof v !== 'string' || !/^ERR_[A-Z0-9_]{1,60}$/.test(v)) throw invalid(p, 'must be an error code');
  });
  optional(a, 'failInfo', path, stringList);
  optional(a, 'text', path, (v, p) => {
    if (typeof v !== 'string' || v.length > MAX_META_STRING) throw invalid(p, 'must be a short string');
  });
}

/** The context fields every waiting state has (machines/delayed-delivery.ts); returns nextPollAt. */
function checkWaitingContext(ctx: Obj, path: string): number {
  checkTransaction(ctx.transaction, `${path}.transaction`);
  optional(ctx, 'deadline', path, finite);
  count(ctx.polls, `${path}.polls`);
  optional(ctx, 'checkAfter', path, nonNegative);
  return finite(ctx.nextPollAt, `${path}.nextPollAt`);
}

/**
 * A machine in a waiting state: messages in flight were forgotten on entry, and the only child is
 * the wait for the absolute poll time. A different child would be run on restore with its stored
 * input, so nothing else is accepted there. `checkContext` checks the context and returns nextPollAt.
 */
function checkWaiting(snapshot: Obj, checkContext: (ctx: Obj, path: string) => number): void {
  onlyKeys(snapshot, 'snapshot', ['status', 'value', 'historyValue', 'context', 'children']);
  emptyObject(snapshot.historyValue, 'snapshot.historyValue');
  const nextPollAt = checkContext(object(snapshot.context, 'snapshot.context'), 'snapshot.context');

  const children = object(snapshot.children, 'snapshot.children');
  onlyKeys(children, 'snapshot.children', ['waitUntil']);
  const wait = object(children.waitUntil, 'snapshot.children.waitUntil');
  onlyKeys(wait, 'snapshot.children.waitUntil', ['snapshot', 'src', 'syncSnapshot']);
  oneOf(wait.src, 'snapshot.children.waitUntil.src', ['waitUntil']);
  bool(wait.syncSnapshot, 'snapshot.children.waitUntil.syncSnapshot');
  const waitSnapshot = object(wait.snapshot, 'snapshot.children.waitUntil.snapshot');
  onlyKeys(waitSnapshot, 'snapshot.children.waitUntil.snapshot', ['status', 'input']);
  oneOf(waitSnapshot.status, 'snapshot.children.waitUntil.snapshot.status', ['active']);
  const input = object(waitSnapshot.input, 'snapshot.children.waitUntil.snapshot.input');
  onlyKeys(input, 'snapshot.children.waitUntil.snapshot.input', ['until']);
  if (finite(input.until, 'snapshot.children.waitUntil.snapshot.input.until') !== nextPollAt) {
    throw invalid('snapshot.children.waitUntil.snapshot.input.until', 'must equal snapshot.context.nextPollAt');
  }
}

function checkEnrollmentContext(ctx: Obj, path: string, confirming: boolean): number {
  const confirmation = confirming ? ['enrolled', 'acceptance'] : [];
  onlyKeys(ctx, path, [
    'kind',
    'transaction',
    'deadline',
    'implicitConfirm',
    'disableConfirm',
    'kemProtected',
    'polls',
    'checkAfter',
    'nextPollAt',
    ...confirmation,
  ]);
  oneOf(ctx.kind, `${path}.kind`, CERT_REQUEST_KINDS);
  if (ctx.kemProtected !== undefined) bool(ctx.kemProtected, `${path}.kemProtected`);
  bool(ctx.implicitConfirm, `${path}.implicitConfirm`);
  bool(ctx.disableConfirm, `${path}.disableConfirm`);
  if (confirming) {
    checkEnrolled(ctx.enrolled, `${path}.enrolled`);
    checkAcceptance(ctx.acceptance, `${path}.acceptance`);
  }
  return checkWaitingContext(ctx, path);
}

/** The enrollment machine waiting for its certificate. */
const checkEnrollmentWaiting = (snapshot: Obj) => checkWaiting(snapshot, (ctx, path) => checkEnrollmentContext(ctx, path, false));

/** The enrollment machine waiting for the pkiConf of a delayed certConf: it holds the certificate. */
const checkConfirmationWaiting = (snapshot: Obj) => checkWaiting(snapshot, (ctx, path) => checkEnrollmentContext(ctx, path, true));

/** The revocation or general machine waiting for its delayed rp or genp. */
const checkSingleExchangeWaiting = (snapshot: Obj) =>
  checkWaiting(snapshot, (ctx, path) => {
    onlyKeys(ctx, path, ['transaction', 'deadline', 'kemProtected', 'polls', 'checkAfter', 'nextPollAt']);
    if (ctx.kemProtected !== undefined) bool(ctx.kemProtected, `${path}.kemProtected`);
    return checkWaitingContext(ctx, path);
  });

/** For each machine, its states tagged 'persistable' and the shape a snapshot in each must have. */
const PERSISTABLE: Record<SessionMachineName, Record<string, (snapshot: Obj) => void>> = {
  enrollment: { waiting: checkEnrollmentWaiting, confirmationWaiting: checkConfirmationWaiting },
  revocation: { waiting: checkSingleExchangeWaiting },
  general: { waiting: checkSingleExchangeWaiting },
};

/** The state names each machine may be persisted in (the validator knows exactly these). */
export const PERSISTABLE_STATES: Readonly<Record<SessionMachineName, readonly string[]>> = {
  enrollment: Object.keys(PERSISTABLE.enrollment),
  revocation: Object.keys(PERSISTABLE.revocation),
  general: Object.keys(PERSISTABLE.general),
};

function checkSnapshot(machine: SessionMachineName, value: unknown): void {
  const snapshot = object(value, 'snapshot');
  oneOf(snapshot.status, 'snapshot.status', ['active']);
  const states = PERSISTABLE[machine];
  const state = snapshot.value;
  if (typeof state !== 'string' || !Object.prototype.hasOwnProperty.call(states, state)) {
    const allowed = Object.keys(states);
    throw invalid(
      'snapshot.value',
      allowed.length ? `must be a persistable state of ${machine} (${allowed.join(', ')})` : `must be a persistable state, but ${machine} has none`,
    );
  }
  states[state](snapshot);
}

function checkMeta(value: unknown, code: ErrorCode): void {
  const meta = object(value, 'meta');
  const entries = Object.entries(meta).filter(([, v]) => v !== undefined);
  if (entries.length > MAX_META_ENTRIES) throw invalid('meta', `has more than ${MAX_META_ENTRIES} entries`, code);
  for (const [key, v] of entries) {
    if (!META_KEY.test(key)) throw invalid('meta', 'has a key that is not a simple name', code);
    if (isSecretLikeName(key)) throw invalid(`meta.${key}`, 'looks like a secret, and secrets are never persisted', code);
    const ok = (typeof v === 'string' && v.length <= MAX_META_STRING) || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
    if (!ok) throw invalid(`meta.${key}`, 'must be a short string, a finite number or a boolean', code);
  }
}

function knownMachine(value: unknown, path: string, code: ErrorCode = 'ERR_SNAPSHOT_INVALID'): SessionMachineName {
  if (!MACHINES.includes(value as SessionMachineName)) throw invalid(path, `must be one of ${MACHINES.join(', ')}`, code);
  return value as SessionMachineName;
}

function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** Checks an already JSON-only value and returns an independent copy of it. */
function validateSession(value: unknown, expectMachine?: SessionMachineName): PersistedSession {
  const s = object(value, '(session)');
  if (s.format !== SESSION_FORMAT) throw invalid('format', `must be "${SESSION_FORMAT}"`);
  const machine = knownMachine(s.machine, 'machine');
  if (expectMachine !== undefined && machine !== expectMachine)
    throw invalid('machine', `is ${machine}, but a ${expectMachine} session was expected`);
  if (typeof s.version !== 'number') throw invalid('version', 'must be a number');
  if (s.version !== MACHINE_VERSION) {
    throw new CmpError(
      'ERR_SNAPSHOT_VERSION',
      `persisted session was taken by machine version ${s.version}, but this cmpflow runs machine version ${MACHINE_VERSION}`,
    );
  }
  onlyKeys(s, '(session)', ['format', 'machine', 'version', 'savedAt', 'snapshot', 'meta', 'lastResponse']);
  if (typeof s.savedAt !== 'string' || !ISO_TIME.test(s.savedAt) || !Number.isFinite(Date.parse(s.savedAt))) {
    throw invalid('savedAt', 'must be an ISO 8601 UTC time');
  }
  if (s.meta !== undefined) checkMeta(s.meta, 'ERR_SNAPSHOT_INVALID');
  if (s.lastResponse !== undefined) checkStoredResponse(fromB64(base64(s.lastResponse, 'lastResponse', MAX_RESPONSE_B64_CHARS)), 'lastResponse');
  checkSnapshot(machine, s.snapshot);
  return JSON.parse(JSON.stringify(s)) as PersistedSession;
}

/**
 * Parses and checks a persisted session (JSON text or an already parsed value). Refuses with
 * ERR_SNAPSHOT_VERSION a session of another machine version, and with ERR_SNAPSHOT_INVALID, naming
 * the field, anything that is not exactly a session this version persists. The result shares no
 * objects with the input.
 */
export function parsePersistedSession(json: string | unknown, expectMachine?: SessionMachineName): PersistedSession {
  if (expectMachine !== undefined) knownMachine(expectMachine, '(expected machine)', 'ERR_INVALID_OPTION');
  let value: unknown = json;
  if (typeof json === 'string') {
    if (Buffer.byteLength(json, 'utf8') > MAX_SESSION_BYTES) throw invalid('(session)', `is larger than ${MAX_SESSION_BYTES} bytes`);
    try {
      value = JSON.parse(json);
    } catch {
      throw invalid('(session)', 'is not JSON');
    }
  }
  assertJsonValue(value, '(session)');
  if (byteSize(value) > MAX_SESSION_BYTES) throw invalid('(session)', `is larger than ${MAX_SESSION_BYTES} bytes`);
  return validateSession(value, expectMachine);
}

/**
 * Takes a persisted session from a running actor. Only a quiet state (tag 'persistable') can be
 * persisted: elsewhere a request may be in flight, and resuming would send it again.
 */
export function persistSession(
  actor: ActorRefFrom<EnrollmentMachine | SingleExchangeMachine>,
  machine: PersistableMachineName,
  meta?: SessionMeta,
): PersistedSession {
  knownMachine(machine, '(machine)', 'ERR_INVALID_OPTION');
  const current = actor.getSnapshot();
  if (current.machine.id !== machine) {
    throw new CmpError('ERR_INVALID_OPTION', `the actor runs the ${current.machine.id} machine, not ${machine}`);
  }
  if (current.status !== 'active' || !current.hasTag('persistable')) {
    const where = current.status !== 'active' ? `is ${current.status}` : `is in state ${JSON.stringify(current.value)}`;
    throw new CmpError('ERR_SESSION_STATE', `the ${machine} session ${where}; it can be persisted only in a quiet state (tag 'persistable')`);
  }
  if (meta !== undefined) checkMeta(meta, 'ERR_INVALID_OPTION');
  const snapshot = actor.getPersistedSnapshot();
  assertJsonValue(snapshot, 'snapshot');
  const session = {
    format: SESSION_FORMAT,
    machine,
    version: MACHINE_VERSION,
    savedAt: new Date().toISOString(),
    snapshot: JSON.parse(JSON.stringify(snapshot)) as unknown,
    ...(meta !== undefined ? { meta } : {}),
  };
  if (byteSize(session) > MAX_SESSION_BYTES) throw invalid('(session)', `is larger than ${MAX_SESSION_BYTES} bytes`);
  // What we write must be what we would load.
  return validateSession(session, machine);
}

/** The snapshot to pass to `createActor(machine, { snapshot })`, checked again and not shared with `session`. */
export function restoreSnapshot(session: PersistedSession): Snapshot<unknown> {
  return parsePersistedSession(session).snapshot as Snapshot<unknown>;
}

/**
 * `createActor(machine, resumeOptions(session))`: the restored snapshot, plus the `input` key that
 * XState's types demand of a machine with input even when a snapshot is given (it is ignored then).
 */
export function resumeOptions(session: PersistedSession): { snapshot: Snapshot<unknown>; input: undefined } {
  return { snapshot: restoreSnapshot(session), input: undefined };
}

/** The transactionID (base64) of a persisted session: the id under which stores keep it. */
export function sessionTransactionId(session: PersistedSession): string {
  const snapshot = object(session.snapshot, 'snapshot');
  const context = object(snapshot.context, 'snapshot.context');
  const transaction = object(context.transaction, 'snapshot.context.transaction');
  return base64(transaction.transactionId, 'snapshot.context.transaction.transactionId');
}
