/**
 * A session store in memory, for tests and for callers that persist elsewhere. It keeps JSON text,
 * not objects, so neither the saver nor a loader can change what is stored by mutating its copy.
 */
import { parsePersistedSession, type PersistedSession } from './snapshot';
import { assertSessionBelongsTo, assertSessionId, type SessionStore } from './store';

export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, string>();

  async save(id: string, session: PersistedSession): Promise<void> {
    assertSessionId(id);
    const checked = parsePersistedSession(session);
    assertSessionBelongsTo(id, checked, 'ERR_INVALID_OPTION');
    this.sessions.set(id, JSON.stringify(checked));
  }

  async load(id: string): Promise<PersistedSession | undefined> {
    assertSessionId(id);
    const json = this.sessions.get(id);
    return json === undefined ? undefined : parsePersistedSession(json);
  }

  async remove(id: string): Promise<void> {
    assertSessionId(id);
    this.sessions.delete(id);
  }

  async list(): Promise<string[]> {
    return Array.from(this.sessions.keys());
  }
}
