/**
 * Safe views of sessions for XState inspection (devtools, logs, traces). The machines carry only
 * JSON and keep credentials inside service closures, but an inspector also sees actor input, event
 * payloads and whatever a buggy service returns, so every value is copied through a sanitiser:
 * byte blobs shrink to a short summary, secret-named fields are redacted, functions are dropped,
 * and the live actor objects (which reach the machine, its services and the caller's input) are
 * replaced by inert stand-ins.
 *
 * Inspection events are sanitised lazily: an event's payload, snapshot and every plain object in
 * them become views whose properties sanitise their value when first read (and keep the result).
 * A run emits dozens of events per message exchange; an observer that reads only event types, as
 * the CLI's protocol log does, then pays for what it reads instead of a deep copy of each snapshot.
 * Nothing unsanitised is reachable through a view; it holds the raw values, which XState never
 * mutates, only inside closures (so an inspector that keeps events also keeps what they came from).
 *
 * Protected message bytes are summarised, not redacted: a PKIMessage carries no secret, though a
 * full PasswordBasedMac message would allow an offline guess of the password, which is one more
 * reason to keep only the first bytes.
 */
import { StateMachine, StateNode, type ActorRefLike, type AnyStateMachine, type InspectionEvent, type Observer } from 'xstate';
import { guardedObserver } from '../guarded-observer';
import { BoundedMap } from '../bounded-map';
import { bytesOf, hex } from '../bytes';
import { isSecretLikeName } from './secret-names';

export const REDACTED = '[redacted]';

/** Strings up to this length stay readable: nonces, short ids, error codes. */
const MAX_PLAIN_TOKEN_CHARS = 32;
/** Enough leading bytes to recognise a blob (e.g. a DER header), too few to leak its content. */
const SUMMARY_PREFIX_BYTES = 4;
const MAX_DEPTH = 64;

const DROPPED = Symbol('dropped');

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64ISH = /^[A-Za-z0-9+/_\-\r\n]+={0,2}$/;
const PEM_LABEL = /-----BEGIN ([A-Z0-9 ]+)-----/g;

function summary(length: number, first: Uint8Array): string {
  const size = `${length} byte${length === 1 ? '' : 's'}`;
  if (length === 0) return `<${size}>`;
  const prefix = hex(first.subarray(0, SUMMARY_PREFIX_BYTES));
  return `<${size}: ${prefix}${length > SUMMARY_PREFIX_BYTES ? '…' : ''}>`;
}

/** '<N bytes: 1a2b3c4d…>' */
export function summarizeBytes(bytes: Uint8Array): string {
  return summary(bytes.length, bytes);
}

/**
 * The summary of what a base64 token decodes to, without decoding all of it (messages run to
 * kilobytes): Node decodes 6 bits per character up to the padding, and the first 8 characters
 * (the token is longer than 32, so they hold no padding) give the first 6 bytes.
 */
function summarizeBase64(token: string): string {
  const clean = /[\r\n]/.test(token) ? token.replace(/[\r\n]/g, '') : token;
  let end = clean.length;
  while (end > 0 && clean[end - 1] === '=') end--;
  return summary(Math.floor((end * 6) / 8), Buffer.from(clean.slice(0, 8), 'base64'));
}

function sanitizeString(s: string): string {
  if (s.includes('-----BEGIN ')) {
    const labels = Array.from(s.matchAll(PEM_LABEL), (m) => m[1]);
    return `<PEM ${labels.join(', ') || 'block'}: ${s.length} chars>`;
  }
  if (s.length <= MAX_PLAIN_TOKEN_CHARS) return s;
  if (HEX.test(s)) return summary(s.length / 2, Buffer.from(s.slice(0, 2 * SUMMARY_PREFIX_BYTES), 'hex'));
  // Node decodes both base64 alphabets; a long unbroken token of them is treated as bytes.
  if (BASE64ISH.test(s)) return summarizeBase64(s);
  return s;
}

/** Property names recur in every event (context fields, event payloads); the check runs once per name. */
const secretNameCache = new BoundedMap<string, boolean>(4096);

function isSecretKey(key: string): boolean {
  return secretNameCache.peek(key) ?? secretNameCache.set(key, isSecretLikeName(key));
}

function isBinary(value: object): value is ArrayBufferView | ArrayBuffer {
  return (
    ArrayBuffer.isView(value) || value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)
  );
}

/** A live actor: its object graph reaches the machine, the services and the caller's input. */
function isActorRef(value: object): value is { id?: unknown; sessionId: string } {
  const v = value as { sessionId?: unknown; send?: unknown; getSnapshot?: unknown };
  return typeof v.sessionId === 'string' && typeof v.send === 'function' && typeof v.getSnapshot === 'function';
}

function sanitizeProperty(key: string, value: unknown, ancestors: Set<object>, depth: number): unknown {
  if (isSecretKey(key)) return value === undefined ? DROPPED : REDACTED;
  return sanitize(value, ancestors, depth);
}

function sanitizeObject(value: object, ancestors: Set<object>, depth: number, useToJSON: boolean): unknown {
  if (isBinary(value)) return summarizeBytes(bytesOf(value));
  if (isActorRef(value)) return { ...(typeof value.id === 'string' ? { id: value.id } : {}), sessionId: value.sessionId };
  // The machine and its state nodes are the definition, not data; their graph reaches every implementation.
  if (value instanceof StateMachine) return `<machine ${value.id}>`;
  if (value instanceof StateNode) return `#${value.id}`;
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: sanitizeString(value.message), ...(typeof code === 'string' ? { code } : {}) };
  }
  if (useToJSON && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    // As JSON.stringify does, once: machine snapshots and transitions drop their live parts this
    // way (a transition's toJSON returns an object with toJSON again).
    try {
      return sanitize((value as { toJSON(): unknown }).toJSON(), ancestors, depth + 1, false);
    } catch {
      return '<unserialisable>';
    }
  }
  if (value instanceof Map) {
    return Array.from(value, ([k, v]) => [
      sanitize(k, ancestors, depth + 1),
      typeof k === 'string' ? sanitizeProperty(k, v, ancestors, depth + 1) : sanitize(v, ancestors, depth + 1),
    ]);
  }
  if (value instanceof Set) return Array.from(value, (v) => sanitize(v, ancestors, depth + 1));
  if (Array.isArray(value)) {
    return value.map((v) => {
      const s = sanitize(v, ancestors, depth + 1);
      return s === DROPPED ? undefined : s;
    });
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    let v: unknown;
    try {
      v = (value as Record<string, unknown>)[key];
    } catch {
      v = '<unreadable>';
    }
    const s = sanitizeProperty(key, v, ancestors, depth + 1);
    if (s !== DROPPED) copy[key] = s;
  }
  return copy;
}

function sanitize(value: unknown, ancestors: Set<object>, depth: number, useToJSON = true): unknown {
  switch (typeof value) {
    case 'string':
      return sanitizeString(value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'bigint':
      return value.toString();
    case 'function':
    case 'symbol':
      return DROPPED;
  }
  if (value === null) return null;
  const object = value as object;
  if (depth > MAX_DEPTH) return '<too deep>';
  if (ancestors.has(object)) return '<circular>';
  ancestors.add(object);
  try {
    return sanitizeObject(object, ancestors, depth, useToJSON);
  } finally {
    ancestors.delete(object);
  }
}

/**
 * A deep copy of `value` that is safe to show: base64 or hex strings longer than 32 characters and
 * any binary buffer become '<N bytes: 1a2b3c4d…>', PEM blocks become '<PEM LABEL: N chars>', fields
 * with secret-like names (see secret-names.ts) become '[redacted]', functions are dropped, cycles
 * become '<circular>'. The result is JSON-serialisable.
 */
export function sanitizeForInspection(value: unknown): unknown {
  const s = sanitize(value, new Set(), 0);
  return s === DROPPED ? undefined : s;
}

/** Primitives do not recurse; sanitize() needs no ancestors for them. */
const NO_ANCESTORS = new Set<object>();

/** Where a view keeps the state of its lazy properties (not enumerable, so no copy sees it). */
const LAZY_VALUES = Symbol('cmpflow.lazyValues');
type WithLazyValues = { [LAZY_VALUES]: Record<string, Lazy> };

/**
 * One getter and setter per property name, shared by every view: with the same accessors, views of
 * records with the same keys share V8's hidden class instead of each getting its own.
 */
const lazyAccessors = new Map<string, { get(this: WithLazyValues): unknown; set(this: WithLazyValues, v: unknown): void }>();

function accessorsFor(key: string) {
  let accessors = lazyAccessors.get(key);
  if (accessors === undefined) {
    accessors = {
      get(this: WithLazyValues) {
        return this[LAZY_VALUES][key]!.get();
      },
      set(this: WithLazyValues, v: unknown) {
        this[LAZY_VALUES][key]!.set(v);
      },
    };
    // Keys come from the records inspected: bounded by the machines' and services' field names,
    // but a caller's context could bring any; past this many, accessors are no longer kept.
    if (lazyAccessors.size < 1024) lazyAccessors.set(key, accessors);
  }
  return accessors;
}

/**
 * Defines `key` on `target` as an enumerable property computed when first read, then remembered;
 * a write replaces it, as in a copy. It stays an accessor: turning it into a data property on first
 * read made V8 rebuild the object as a dictionary, which cost more than the laziness saved.
 */
function defineLazy(target: object, key: string, compute: () => unknown): void {
  let values = (target as Partial<WithLazyValues>)[LAZY_VALUES];
  if (values === undefined) {
    values = Object.create(null) as Record<string, Lazy>;
    Object.defineProperty(target, LAZY_VALUES, { value: values });
  }
  values[key] = new Lazy(compute);
  const { get, set } = accessorsFor(key);
  Object.defineProperty(target, key, { enumerable: true, configurable: true, get, set });
}

/** A value computed when first read and remembered (or replaced by a write): the accessors of the event views below. */
class Lazy {
  #compute: (() => unknown) | undefined;
  #value: unknown;
  constructor(compute: () => unknown) {
    this.#compute = compute;
  }
  get(): unknown {
    if (this.#compute !== undefined) {
      this.#value = this.#compute();
      this.#compute = undefined;
    }
    return this.#value;
  }
  set(value: unknown): void {
    this.#value = value;
    this.#compute = undefined;
  }
}

/** Objects sanitizeObject() turns into something else than a copy of their properties, without looking at their content. */
function isOpaque(value: object): boolean {
  return isBinary(value) || isActorRef(value) || value instanceof StateMachine || value instanceof StateNode || value instanceof Error;
}

/**
 * sanitize() as a view: what reading it yields equals what sanitize() copies, but a plain object
 * becomes a view whose properties are sanitised when first read. `path` holds the objects above
 * `value`, as sanitize()'s ancestors do, so cycles and depth are cut at the same places.
 */
function sanitizeLazily(value: unknown, path: readonly object[], useToJSON = true): unknown {
  if (typeof value !== 'object' || value === null) return sanitize(value, NO_ANCESTORS, path.length);
  if (path.length > MAX_DEPTH) return '<too deep>';
  if (path.includes(value)) return '<circular>';
  const inner = [...path, value];
  if (!isOpaque(value)) {
    if (useToJSON && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      try {
        return sanitizeLazily((value as { toJSON(): unknown }).toJSON(), inner, false);
      } catch {
        return '<unserialisable>';
      }
    }
    if (!(value instanceof Map || value instanceof Set || Array.isArray(value))) return lazyRecord(value, inner);
  }
  return sanitizeObject(value, new Set(inner), path.length, useToJSON);
}

function lazyRecord(value: object, inner: readonly object[]): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    let raw: unknown;
    try {
      raw = (value as Record<string, unknown>)[key];
    } catch {
      raw = '<unreadable>';
    }
    if (isSecretKey(key)) {
      if (raw !== undefined) view[key] = REDACTED;
    } else if ((typeof raw === 'object' && raw !== null) || (typeof raw === 'string' && raw.length > MAX_PLAIN_TOKEN_CHARS)) {
      defineLazy(view, key, () => sanitizeLazily(raw, inner));
    } else {
      const s = sanitize(raw, NO_ANCESTORS, inner.length);
      if (s !== DROPPED) view[key] = s;
    }
  }
  return view;
}

/**
 * An inert stand-in for an actor: inspectors may read its id, its (sanitised) snapshot, its parent's
 * stand-in (`_parent`) and, for a state machine, its definition (`logic.config`), which is what
 * `@statelyai/inspect` reads to draw the statechart and nest the invoked actors; nothing more.
 */
export interface InspectedActorRef extends ActorRefLike {
  id?: string;
  logic?: { config: Record<string, unknown> };
  _parent?: InspectedActorRef;
}

/** One stand-in per actor, so that the parent chain an inspector walks is stable. */
const standIns = new WeakMap<ActorRefLike, InspectedActorRef>();
/** A definition is copied once per machine, not once per actor or event. */
const definitions = new WeakMap<object, Record<string, unknown>>();

/**
 * The machine's config as an inspector draws it. A definition is code, not data: its strings
 * (state names, event types, guard and action names) stay readable even when long. Its functions
 * become `{ type: name }`, as @statelyai/inspect would serialise them; the initial `context` and
 * any literal under a secret-like name go through the sanitiser, since a caller's machine may
 * hold defaults there.
 */
function definitionOf(config: object, ancestors: Set<object>, depth: number): unknown {
  if (depth > MAX_DEPTH) return '<too deep>';
  if (ancestors.has(config)) return '<circular>';
  if (isOpaque(config)) return sanitize(config, ancestors, depth);
  ancestors.add(config);
  try {
    const copyValue = (key: string | undefined, value: unknown): unknown => {
      if (key !== undefined && (key === 'context' || isSecretKey(key))) return sanitizeProperty(key, value, ancestors, depth + 1);
      if (typeof value === 'function') return { type: value.name || 'anonymous' };
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
      if (typeof value === 'object') return definitionOf(value, ancestors, depth + 1);
      return DROPPED;
    };
    if (Array.isArray(config))
      return config.map((v) => {
        const c = copyValue(undefined, v);
        return c === DROPPED ? undefined : c;
      });
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
      const c = copyValue(key, value);
      if (c !== DROPPED) copy[key] = c;
    }
    return copy;
  } finally {
    ancestors.delete(config);
  }
}

function machineDefinition(machine: AnyStateMachine): Record<string, unknown> {
  let definition = definitions.get(machine);
  if (definition === undefined) {
    definition = definitionOf(machine.config, new Set(), 0) as Record<string, unknown>;
    definitions.set(machine, definition);
  }
  return definition;
}

function inspectedRef(ref: ActorRefLike): InspectedActorRef {
  const known = standIns.get(ref);
  if (known !== undefined) return known;
  const maybeId = (ref as { id?: unknown }).id;
  const id = typeof maybeId === 'string' ? maybeId : undefined;
  const sessionId = ref.sessionId;
  const logic = (ref as { logic?: unknown }).logic;
  const parent = (ref as { _parent?: ActorRefLike })._parent;
  const standIn = {
    sessionId,
    ...(id !== undefined ? { id } : {}),
    getSnapshot: () => sanitizeForInspection(ref.getSnapshot()),
    // Inspection observes a session; it must not be able to drive it.
    send: () => undefined,
    toJSON: () => ({ sessionId, ...(id !== undefined ? { id } : {}) }),
  } as InspectedActorRef;
  if (logic instanceof StateMachine) {
    const machine = logic;
    Object.defineProperty(standIn, 'logic', { enumerable: true, get: () => ({ config: machineDefinition(machine) }) });
  }
  // Not enumerable, as on a real actor: a copy of the stand-in does not drag its ancestors along.
  if (parent !== undefined) Object.defineProperty(standIn, '_parent', { enumerable: false, get: () => inspectedRef(parent) });
  standIns.set(ref, standIn);
  return standIn;
}

function sanitizeEventObject(event: { type: string }): { type: string } {
  const view = sanitizeLazily(event, []);
  // The event type names a transition, never data; keep it readable even when long.
  if (typeof view === 'object' && view !== null && !Array.isArray(view)) {
    Object.defineProperty(view, 'type', { value: event.type, enumerable: true, configurable: true, writable: true });
    return view as { type: string };
  }
  return { ...(view as object), type: event.type };
}

/** The view shared by snapshot, transition and microstep events: its event and snapshot sanitised when first read. */
function viewWithEventAndSnapshot(type: string, rootId: string, actorRef: unknown, ev: { event: { type: string }; snapshot: unknown }): object {
  const event = new Lazy(() => sanitizeEventObject(ev.event));
  const snapshot = new Lazy(() => sanitizeLazily(ev.snapshot, []));
  return {
    type,
    rootId,
    actorRef,
    get event() {
      return event.get();
    },
    set event(v) {
      event.set(v);
    },
    get snapshot() {
      return snapshot.get();
    },
    set snapshot(v) {
      snapshot.set(v);
    },
  };
}

/**
 * The sanitised form of one inspection event; unknown kinds keep only their type, root and actor.
 * Its payload (event, snapshot, transitions, action parameters) is sanitised when first read.
 */
export function sanitizeInspectionEvent(ev: InspectionEvent): InspectionEvent {
  // Object literals with accessors, one shape per kind: XState sends dozens of these per session,
  // and an observer mostly reads the type alone.
  const type = ev.type;
  const rootId = ev.rootId;
  const actorRef = inspectedRef(ev.actorRef);
  switch (ev.type) {
    case '@xstate.snapshot':
    case '@xstate.transition':
      return viewWithEventAndSnapshot(type, rootId, actorRef, ev) as unknown as InspectionEvent;
    case '@xstate.microstep': {
      const view = viewWithEventAndSnapshot(type, rootId, actorRef, ev);
      const transitions = new Lazy(() => sanitizeLazily(ev._transitions, []));
      // Own and enumerable like the literal's accessors, so a serialising observer still sees it.
      Object.defineProperty(view, '_transitions', {
        enumerable: true,
        configurable: true,
        get: () => transitions.get(),
        set: (v: unknown) => transitions.set(v),
      });
      return view as unknown as InspectionEvent;
    }
    case '@xstate.event': {
      const event = new Lazy(() => sanitizeEventObject(ev.event));
      return {
        type,
        rootId,
        actorRef,
        sourceRef: ev.sourceRef ? inspectedRef(ev.sourceRef) : undefined,
        get event() {
          return event.get();
        },
        set event(v) {
          event.set(v);
        },
      } as unknown as InspectionEvent;
    }
    case '@xstate.action': {
      const params = new Lazy(() => sanitizeLazily(ev.action.params, []));
      const action = {
        type: ev.action.type,
        get params() {
          return params.get();
        },
        set params(v) {
          params.set(v);
        },
      };
      return { type, rootId, actorRef, action } as unknown as InspectionEvent;
    }
  }
  return { type, rootId, actorRef } as unknown as InspectionEvent;
}

/** What XState's `createActor(machine, { inspect })` accepts: a function or an observer object. */
export type InspectionObserver = Observer<InspectionEvent> | ((ev: InspectionEvent) => void);

/** Which events an observer reads, by kind (`@xstate.event`, ...) and whether they are the root actor's. */
export type WantedInspectionEvents = (type: string, fromRoot: boolean) => boolean;

const WANTED_EVENTS = Symbol('cmpflow.wantedInspectionEvents');

/**
 * Marks `observer` as reading only the events `wanted` accepts: sanitizingInspector then neither
 * sanitises nor delivers the others. XState reports about 75 events for an IR session; an observer
 * such as the CLI's protocol log reads a third of them.
 */
export function observingOnly<T extends InspectionObserver>(observer: T, wanted: WantedInspectionEvents): T {
  Object.defineProperty(observer, WANTED_EVENTS, { value: wanted });
  return observer;
}

/** Told about a failure of an inspection observer; by default reportInspectorFailure. */
export type InspectorFailureHandler = (error: unknown) => void;

/** The `type` of the process warning reportInspectorFailure emits. */
export const INSPECTOR_WARNING = 'CmpflowInspectorWarning';

/**
 * Reports that an inspection observer threw, as a process warning (`process.on('warning')`;
 * Node prints it to stderr unless run with --no-warnings), or on the console where there is no
 * `process`. The observer's error is described by its name and message, sanitised like the
 * events, never by its stack or cause.
 */
function reportInspectorFailure(error: unknown): void {
  const what =
    error instanceof Error ? `${error.name}: ${sanitizeString(error.message)}` : typeof error === 'string' ? sanitizeString(error) : typeof error;
  const message = `the inspect observer threw (${what}); the session goes on without it, and later failures of this observer are not reported`;
  const proc = (globalThis as { process?: { emitWarning?: (message: string, options: { type: string; code: string }) => void } }).process;
  if (typeof proc?.emitWarning === 'function') proc.emitWarning(message, { type: INSPECTOR_WARNING, code: 'CMPFLOW_INSPECT_OBSERVER_FAILED' });
  else console.warn(`${INSPECTOR_WARNING}: ${message}`);
}

/**
 * Wraps an XState `inspect` observer (function or observer object) so that it only ever sees
 * sanitised events and cannot break the session it watches:
 * `createActor(machine, { inspect: sanitizingInspector(console.log) })`.
 *
 * XState calls the observer inside the actor's own processing, so an exception there would fail
 * the session (or escape from `send`). Here it is caught instead: the first one goes to `onFailure`
 * (a process warning by default), later ones are dropped, and events keep being delivered, since an
 * observer may fail on one kind of event only.
 */
export function sanitizingInspector(
  observer: InspectionObserver,
  onFailure: InspectorFailureHandler = reportInspectorFailure,
): (ev: InspectionEvent) => void {
  const deliver = typeof observer === 'function' ? observer : (ev: InspectionEvent) => observer.next?.(ev);
  const wanted = (observer as { [WANTED_EVENTS]?: WantedInspectionEvents })[WANTED_EVENTS];
  return guardedObserver((ev: InspectionEvent) => {
    if (wanted !== undefined && !wanted(ev.type, ev.actorRef?.sessionId === ev.rootId)) return;
    deliver(sanitizeInspectionEvent(ev));
  }, onFailure);
}
