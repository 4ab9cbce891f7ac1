/**
 * Keeps a running session in a store: saved each time it enters a quiet state, removed when it
 * ends. A process that dies while the session waits leaves the last quiet state behind, and a
 * later process resumes from it (the CLI's `-resume`).
 *
 * The snapshot is taken synchronously when the state is entered, so what is saved is exactly that
 * state even though the write finishes later; writes are queued so that they land in order.
 */
import type { ActorRefFrom, SnapshotFrom } from 'xstate';
import { asCmpError, type CmpError } from '../errors';
import type { EnrollmentMachine } from '../../machines/enrollment';
import { persistSession, type PersistableMachineName, type SessionMeta } from './snapshot';
import { assertSessionId, type SessionStore } from './store';

export interface AutosaveOptions {
  machine: PersistableMachineName;
  meta?: SessionMeta;
  /** Called for each failed save or remove (the session itself goes on). */
  onError?: (error: CmpError) => void;
}

export interface Autosave {
  /** Waits for the queued writes; rejects with the first failure since the last flush. */
  flush(): Promise<void>;
  /** Stops following the actor; queued writes still complete. */
  stop(): void;
}

export function autosaveSession(actor: ActorRefFrom<EnrollmentMachine>, store: SessionStore, options: AutosaveOptions): Autosave {
  const id = assertSessionId(actor.getSnapshot().context.transaction.transactionId);
  let queue: Promise<void> = Promise.resolve();
  let failure: CmpError | undefined;

  const fail = (e: unknown) => {
    const error = asCmpError(e, 'ERR_FILE', 'the session store failed');
    failure ??= error;
    options.onError?.(error);
  };
  const enqueue = (work: () => Promise<void>) => {
    queue = queue.then(work).catch(fail);
  };
  const follow = (snapshot: SnapshotFrom<EnrollmentMachine>) => {
    if (snapshot.status === 'active' && snapshot.hasTag('persistable')) {
      try {
        const session = persistSession(actor, options.machine, options.meta);
        enqueue(() => store.save(id, session));
      } catch (e) {
        fail(e);
      }
    } else if (snapshot.status === 'done') {
      enqueue(() => store.remove(id));
    }
  };

  // An error listener is required so that XState does not also report the actor's own failure as
  // unhandled on our behalf; that failure belongs to whoever awaits the actor.
  const subscription = actor.subscribe({ next: follow, error: () => undefined });
  follow(actor.getSnapshot());

  return {
    async flush() {
      await queue;
      const first = failure;
      failure = undefined;
      if (first) throw first;
    },
    stop() {
      subscription.unsubscribe();
    },
  };
}
