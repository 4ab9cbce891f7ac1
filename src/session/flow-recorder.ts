/**
 * Records what a session did, for the offline flow viewer: the machines it ran (from the
 * inspection events), the states each went through and when, every message exchanged (from a
 * wrapped transfer) and the outcome. Messages are kept decoded, never as bytes: a full
 * PasswordBasedMac-protected message would allow an offline guess of the password, so the
 * protection value is dropped and the rest goes through the inspection sanitiser (long byte
 * strings become short summaries, secret-named fields are redacted).
 */
import type { InspectionEvent } from 'xstate';
import { decodePkiMessage } from '../asn1/codec';
import { dumpPkiMessage } from '../asn1/dump';
import type { Transfer } from '../transport';
import { flowGraph, activePaths, type FlowState } from './flow-graph';
import { sanitizeForInspection } from './inspect';
import { flowPage } from './flow-page';

export interface FlowStep {
  /** ms since the recording started */
  at: number;
  /** The state value as XState reports it ('a' or { a: 'b' }), sanitised. */
  value: unknown;
  /** Dotted paths of the states active in this step. */
  active: string[];
}

export interface FlowMachineRun {
  /** The actor's id in the session (e.g. `x:0`) */
  actorId: string;
  machineId: string;
  graph: FlowState | undefined;
  steps: FlowStep[];
  status: string | undefined;
  /** The actor's output or error, sanitised. */
  result?: unknown;
}

export interface FlowMessage {
  at: number;
  direction: 'request' | 'response';
  bodyType: string;
  /** dumpPkiMessage's view without the protection value, sanitised; or why it could not be decoded. */
  decoded: unknown;
  /** Wire size in bytes */
  size: number;
}

export interface FlowRecording {
  startedAt: number;
  machines: FlowMachineRun[];
  messages: FlowMessage[];
}

export interface FlowRecorder {
  /** An XState inspection observer: pass it as the client's `inspect` option. */
  inspect(event: InspectionEvent): void;
  /** Wraps a transfer so the messages it carries are recorded (decoded and sanitised). */
  transfer(inner: Transfer): Transfer;
  /** What was recorded so far. */
  recording(): FlowRecording;
  /** A self-contained HTML page (inline CSS, no script, no network) of what was recorded. */
  toHtml(options?: { title?: string }): string;
}

/** Bounds what a long (or endless) session can make the recorder hold. */
const MAX_STEPS_PER_MACHINE = 2000;
const MAX_MESSAGES = 500;

function decodeSafely(bytes: Uint8Array): { bodyType: string; decoded: unknown } {
  try {
    const dump = dumpPkiMessage(decodePkiMessage(bytes)) as Record<string, unknown>;
    const { protection, ...rest } = dump;
    const view = { ...rest, ...(protection !== undefined ? { protection: '[removed]' } : {}) };
    return { bodyType: typeof dump.bodyType === 'string' ? dump.bodyType : 'unknown', decoded: sanitizeForInspection(view) };
  } catch (e) {
    return { bodyType: 'undecodable', decoded: { error: sanitizeForInspection(e instanceof Error ? e.message : String(e)) } };
  }
}

export function createFlowRecorder(options: { now?: () => number } = {}): FlowRecorder {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const runs = new Map<string, FlowMachineRun>();
  const messages: FlowMessage[] = [];

  const runOf = (ref: unknown): FlowMachineRun | undefined => {
    const r = ref as { sessionId?: unknown; id?: unknown; logic?: { config?: unknown } } | undefined;
    if (r === undefined || typeof r.sessionId !== 'string') return undefined;
    let run = runs.get(r.sessionId);
    if (run === undefined) {
      const config = r.logic?.config as Record<string, unknown> | undefined;
      // Only state machines are drawn; promise actors (the services) have no states.
      if (config === undefined || typeof config !== 'object') return undefined;
      run = {
        actorId: typeof r.id === 'string' ? r.id : r.sessionId,
        machineId: typeof config.id === 'string' ? config.id : 'machine',
        graph: flowGraph(config),
        steps: [],
        status: undefined,
      };
      runs.set(r.sessionId, run);
    }
    return run;
  };

  const record = (bytes: Uint8Array, direction: FlowMessage['direction']) => {
    if (messages.length >= MAX_MESSAGES) return;
    messages.push({ at: now() - startedAt, direction, size: bytes.length, ...decodeSafely(bytes) });
  };

  const recording = (): FlowRecording => ({ startedAt, machines: [...runs.values()], messages: [...messages] });

  return {
    inspect(event) {
      if (event.type === '@xstate.actor') {
        runOf(event.actorRef);
        return;
      }
      if (event.type !== '@xstate.snapshot') return;
      const run = runOf(event.actorRef);
      if (run === undefined) return;
      const snapshot = event.snapshot as { value?: unknown; status?: unknown; output?: unknown; error?: unknown };
      const value = sanitizeForInspection(snapshot.value);
      const last = run.steps[run.steps.length - 1];
      if ((last === undefined || JSON.stringify(last.value) !== JSON.stringify(value)) && run.steps.length < MAX_STEPS_PER_MACHINE) {
        run.steps.push({ at: now() - startedAt, value, active: activePaths(value) });
      }
      run.status = typeof snapshot.status === 'string' ? snapshot.status : run.status;
      if (snapshot.status === 'done') run.result = sanitizeForInspection(snapshot.output);
      if (snapshot.status === 'error') run.result = sanitizeForInspection(snapshot.error);
    },
    transfer(inner) {
      return async (request, ctx) => {
        record(request, 'request');
        const response = await inner(request, ctx);
        record(response, 'response');
        return response;
      };
    },
    recording,
    toHtml: (opts = {}) => flowPage(recording(), opts.title ?? 'cmpflow session'),
  };
}
