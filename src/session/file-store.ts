/**
 * A session store on disk: one JSON file per transaction in one directory, named by the hex of the
 * transactionID (base64 names would clash on case-insensitive file systems and contain '/').
 *
 * A save never leaves a partial file where a loader can see it: the JSON is written to a temporary
 * file in the same directory, synced, and renamed over the old file, which is atomic on POSIX file
 * systems. Files are created 0600 (a session holds no secret, but it tells who is enrolling what)
 * and the directory 0700.
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { FileTooLargeError, readFileBoundedAsync } from '../bounded-file-read';
import { CmpError, isCmpError } from '../errors';
import { MAX_SESSION_BYTES, parsePersistedSession, type PersistedSession } from './snapshot';
import { assertSessionBelongsTo, assertSessionId, MAX_SESSION_ID_BYTES, type SessionStore } from './store';

const SESSION_FILE = /^((?:[0-9a-f]{2})+)\.json$/;

function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function fileError(e: unknown, action: string, file: string): CmpError {
  if (isCmpError(e)) return e;
  return new CmpError('ERR_FILE', `cannot ${action} session file ${file}${errnoOf(e) ? ` (${errnoOf(e)})` : ''}`, { cause: e });
}

/** Makes a rename durable; some platforms (Windows) cannot open a directory, and lose nothing by skipping it. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export class FileSessionStore implements SessionStore {
  constructor(readonly directory: string) {}

  /** The file that holds the session of transaction `id`. */
  fileOf(id: string): string {
    return path.join(this.directory, `${Buffer.from(assertSessionId(id), 'base64').toString('hex')}.json`);
  }

  async save(id: string, session: PersistedSession): Promise<void> {
    const target = this.fileOf(id);
    const checked = parsePersistedSession(session);
    assertSessionBelongsTo(id, checked, 'ERR_INVALID_OPTION');
    const data = JSON.stringify(checked);

    try {
      await fs.promises.mkdir(this.directory, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw fileError(e, 'create the directory of', target);
    }
    // A dot name that list() ignores; pid and random part keep concurrent savers apart.
    const temp = path.join(this.directory, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(temp, 'wx', 0o600);
      await handle.writeFile(data, 'utf8');
      await handle.sync();
      await handle.close();
      handle = undefined;
      await fs.promises.rename(temp, target);
    } catch (e) {
      await handle?.close().catch(() => undefined);
      await fs.promises.rm(temp, { force: true }).catch(() => undefined);
      throw fileError(e, 'write', target);
    }
    await syncDirectory(this.directory);
  }

  async load(id: string): Promise<PersistedSession | undefined> {
    const file = this.fileOf(id);
    let text: string;
    try {
      // Read with a cap rather than checked by stat(), which says 0 for a FIFO or /dev/zero.
      text = (await readFileBoundedAsync(file, MAX_SESSION_BYTES)).toString('utf8');
    } catch (e) {
      if (e instanceof FileTooLargeError)
        throw new CmpError('ERR_SNAPSHOT_INVALID', `session file ${file} is larger than ${MAX_SESSION_BYTES} bytes`);
      if (errnoOf(e) === 'ENOENT') return undefined;
      throw fileError(e, 'read', file);
    }
    const session = parsePersistedSession(text);
    assertSessionBelongsTo(id, session, 'ERR_SNAPSHOT_INVALID');
    return session;
  }

  async remove(id: string): Promise<void> {
    const file = this.fileOf(id);
    try {
      await fs.promises.unlink(file);
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw fileError(e, 'remove', file);
    }
  }

  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.directory);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return [];
      throw fileError(e, 'list', this.directory);
    }
    return names.flatMap((name) => {
      const m = SESSION_FILE.exec(name);
      if (!m || m[1].length > MAX_SESSION_ID_BYTES * 2) return [];
      return [Buffer.from(m[1], 'hex').toString('base64')];
    });
  }
}
