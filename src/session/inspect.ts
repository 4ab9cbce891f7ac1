/**
 * Safe views of sessions for XState inspection (devtools, logs, traces). The machines carry only
 * JSON and keep credentials inside service closures, but an inspector also sees actor input, event
 * payloads and whatever a buggy service returns, so every value is copied through a sanitiser:
 * byte blobs shrink to a short summary, secret-named fields are redacted, functions are dropped,
 * and the live actor objects (which reach the machine, its services and the caller's input) are
 * replaced by inert stand-ins.
 *
 * Protected message bytes are summarised, not redacted: a PKIMessage carries no secret, though a
 * full PasswordBasedMac message would allow an offline guess of the password, which is one more
 * reason to keep only the first bytes.
 */
import { StateMachine, StateNode, type ActorRefLike, type InspectionEvent, type Observer } from 'xstate';
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

/** '<N bytes: 1a2b3c4d…>' */
export function summarizeBytes(bytes: Uint8Array): string {
  const size = `${bytes.length} byte${bytes.length === 1 ? '' : 's'}`;
  if (bytes.length === 0) return `<${size}>`;
  const prefix = Buffer.from(bytes.subarray(0, SUMMARY_PREFIX_BYTES)).toString('hex');
  return `<${size}: ${prefix}${bytes.length > SUMMARY_PREFIX_BYTES ? '…' : ''}>`;
}

function sanitizeString(s: string): string {
  if (s.includes('-----BEGIN ')) {
    const labels = Array.from(s.matchAll(PEM_LABEL), (m) => m[1]);
    return `<PEM ${labels.join(', ') || 'block'}: ${s.length} chars>`;
  }
  if (s.length <= MAX_PLAIN_TOKEN_CHARS) return s;
  if (HEX.test(s)) return summarizeBytes(Buffer.from(s, 'hex'));
  // Node decodes both base64 alphabets; a long unbroken token of them is treated as bytes.
  if (BASE64ISH.test(s)) return summarizeBytes(Buffer.from(s.replace(/[\r\n]/g, ''), 'base64'));
  return s;
}

function isBinary(value: object): value is ArrayBufferView | ArrayBuffer {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer);
}

function bytesOf(value: ArrayBufferView | ArrayBuffer): Uint8Array {
  return ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value);
}

/** A live actor: its object graph reaches the machine, the services and the caller's input. */
function isActorRef(value: object): value is { id?: unknown; sessionId: string } {
  const v = value as { sessionId?: unknown; send?: unknown; getSnapshot?: unknown };
  return typeof v.sessionId === 'string' && typeof v.send === 'function' && typeof v.getSnapshot === 'function';
}

function sanitizeProperty(key: string, value: unknown, ancestors: WeakSet<object>, depth: number): unknown {
  if (isSecretLikeName(key)) return value === undefined ? DROPPED : REDACTED;
  return sanitize(value, ancestors, depth);
}

function sanitizeObject(value: object, ancestors: WeakSet<object>, depth: number, useToJSON: boolean): unknown {
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
    return Array.from(value, ([k, v]) => [sanitize(k, ancestors, depth + 1), typeof k === 'string' ? sanitizeProperty(k, v, ancestors, depth + 1) : sanitize(v, ancestors, depth + 1)]);
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

function sanitize(value: unknown, ancestors: WeakSet<object>, depth: number, useToJSON = true): unknown {
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
  const s = sanitize(value, new WeakSet(), 0);
  return s === DROPPED ? undefined : s;
}

/** An inert stand-in for an actor: inspectors may read its id and (sanitised) snapshot, nothing more. */
export interface InspectedActorRef extends ActorRefLike {
  id?: string;
}

function inspectedRef(ref: ActorRefLike): InspectedActorRef {
  const maybeId = (ref as { id?: unknown }).id;
  const id = typeof maybeId === 'string' ? maybeId : undefined;
  const sessionId = ref.sessionId;
  return {
    sessionId,
    ...(id !== undefined ? { id } : {}),
    getSnapshot: () => sanitizeForInspection(ref.getSnapshot()),
    // Inspection observes a session; it must not be able to drive it.
    send: () => undefined,
    toJSON: () => ({ sessionId, ...(id !== undefined ? { id } : {}) }),
  } as InspectedActorRef;
}

function sanitizeEventObject(event: { type: string }): { type: string } {
  // The event type names a transition, never data; keep it readable even when long.
  return { ...(sanitizeForInspection(event) as object), type: event.type };
}

/** The sanitised form of one inspection event; unknown kinds keep only their type, root and actor. */
export function sanitizeInspectionEvent(ev: InspectionEvent): InspectionEvent {
  const base = { type: ev.type, rootId: ev.rootId, actorRef: inspectedRef(ev.actorRef) };
  switch (ev.type) {
    case '@xstate.snapshot':
    case '@xstate.transition':
      return { ...base, type: ev.type, event: sanitizeEventObject(ev.event), snapshot: sanitizeForInspection(ev.snapshot) } as InspectionEvent;
    case '@xstate.microstep':
      return {
        ...base,
        type: ev.type,
        event: sanitizeEventObject(ev.event),
        snapshot: sanitizeForInspection(ev.snapshot),
        _transitions: sanitizeForInspection(ev._transitions),
      } as InspectionEvent;
    case '@xstate.event':
      return {
        ...base,
        type: ev.type,
        sourceRef: ev.sourceRef ? inspectedRef(ev.sourceRef) : undefined,
        event: sanitizeEventObject(ev.event),
      };
    case '@xstate.action':
      return { ...base, type: ev.type, action: { type: ev.action.type, params: sanitizeForInspection(ev.action.params) } };
    case '@xstate.actor':
      return { ...base, type: ev.type };
    default:
      return base as InspectionEvent;
  }
}

/**
 * Wraps an XState `inspect` observer so that it only ever sees sanitised events:
 * `createActor(machine, { inspect: sanitizingInspector(console.log) })`.
 */
export function sanitizingInspector(observer: ((ev: InspectionEvent) => void) | Observer<InspectionEvent>): (ev: InspectionEvent) => void {
  const deliver = typeof observer === 'function' ? observer : (ev: InspectionEvent) => observer.next?.(ev);
  return (ev) => deliver(sanitizeInspectionEvent(ev));
}
