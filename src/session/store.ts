/**
 * Where persisted sessions are kept between processes, keyed by transactionID: a session waiting
 * for the CA is saved, a later process loads it to resume, and it is removed once the transaction
 * ends. Stores check what they save and what they load, so a resumed actor only ever sees a
 * session that parsePersistedSession accepted.
 */
import { CmpError } from '../errors';
import { sessionTransactionId, type PersistedSession } from './snapshot';

export interface SessionStore {
  save(id: string, session: PersistedSession): Promise<void>;
  /** The session saved under `id`, checked; undefined if there is none. */
  load(id: string): Promise<PersistedSession | undefined>;
  /** Forgets the session; removing one that is not there is not an error. */
  remove(id: string): Promise<void>;
  /** The ids of the saved sessions. */
  list(): Promise<string[]>;
}

/** RFC 9810 transactionIDs are 128 bits; the bound keeps a hex file name under 255 characters. */
export const MAX_SESSION_ID_BYTES = 120;
const CANONICAL_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A store id is a transactionID in canonical standard base64. Anything else (a path, '..', an
 * empty string) is refused before it can reach a file name.
 */
export function assertSessionId(id: unknown): string {
  const ok =
    typeof id === 'string' &&
    id.length > 0 &&
    id.length <= Math.ceil(MAX_SESSION_ID_BYTES / 3) * 4 &&
    CANONICAL_B64.test(id) &&
    Buffer.from(id, 'base64').toString('base64') === id;
  if (!ok) throw new CmpError('ERR_INVALID_OPTION', 'a session id must be a transactionID in canonical base64');
  return id;
}

/** Refuses to keep a session under an id that is not its own transactionID. */
export function assertSessionBelongsTo(id: string, session: PersistedSession, code: 'ERR_INVALID_OPTION' | 'ERR_SNAPSHOT_INVALID'): void {
  if (sessionTransactionId(session) !== id) {
    throw new CmpError(code, 'the session belongs to another transaction than the id it is stored under');
  }
}
