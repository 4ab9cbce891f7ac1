/**
 * Watching a session: `inspect` receives XState's inspection events, sanitised (byte blobs cut to
 * a short summary, secret-named fields redacted, live actors replaced by inert stand-ins), so
 * they can go to a log or a trace. Here they become the list of states the enrollment went
 * through.
 */
import type { InspectionEvent } from 'xstate';
import { CmpClient } from '../../src';

export interface Enrollment {
  serverUrl: string;
  ref: string;
  secret: string;
  newKeyPath: string;
  subject: string;
}

/** 'requesting.building' for { requesting: 'building' }. */
function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0]!;
  return `${key}.${stateName(child)}`;
}

export async function enrollAndTrace(p: Enrollment): Promise<{ states: string[]; events: InspectionEvent[] }> {
  const states: string[] = [];
  const events: InspectionEvent[] = [];
  const client = new CmpClient({
    server: p.serverUrl,
    ref: p.ref,
    secret: p.secret,
    newKey: p.newKeyPath,
    subject: p.subject,
    msgTimeout: 10,
    inspect: (e) => {
      const event = e as InspectionEvent;
      events.push(event);
      // Snapshots of the session itself, not of the actors it invokes.
      if (event.type === '@xstate.snapshot' && event.actorRef.sessionId === event.rootId) {
        // A machine snapshot, as sanitised JSON: { value, context, status, ... }.
        const name = stateName((event.snapshot as unknown as { value: unknown }).value);
        if (states[states.length - 1] !== name) states.push(name);
      }
    },
  });
  await client.ir();
  return { states, events };
}
