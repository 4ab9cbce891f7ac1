/**
 * The one session file of `-session FILE` / `-resume FILE`: a PersistedSession as JSON. It is
 * replaced atomically (written to a temporary file beside it, synced, renamed over it), so that a
 * process killed at any moment leaves either the previous or the new session, never half a file;
 * it is created with mode 0600, since it tells who enrols what even though it holds no secret.
 * What is read is checked by parsePersistedSession before anything runs from it.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { FileTooLargeError, readFileBoundedAsync } from '../bounded-file-read';
import { CmpError, ErrorCodes } from '../errors';
import { MAX_SESSION_BYTES, parsePersistedSession, type PersistedSession } from '../session';
import { recordedArguments } from './session-options';

const errno = (e: unknown): string => (e as NodeJS.ErrnoException | null)?.code ?? 'I/O error';

export async function writeSessionFile(file: string, session: PersistedSession): Promise<void> {
  const data = JSON.stringify(parsePersistedSession(session), null, 2);
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx', 0o600);
    await handle.writeFile(`${data}\n`, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temp, file);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw new CmpError(ErrorCodes.ERR_FILE, `-session: cannot write session file ${file} (${errno(e)})`, { cause: e });
  }
}

export async function readSessionFile(file: string): Promise<PersistedSession> {
  let text: string;
  try {
    text = (await readFileBoundedAsync(file, MAX_SESSION_BYTES)).toString('utf8');
  } catch (e) {
    if (e instanceof FileTooLargeError)
      throw new CmpError(ErrorCodes.ERR_SNAPSHOT_INVALID, `-resume: session file ${file} is larger than ${MAX_SESSION_BYTES} bytes`);
    throw new CmpError(ErrorCodes.ERR_FILE, `-resume: cannot read session file ${file} (${errno(e)})`, { cause: e });
  }
  try {
    return parsePersistedSession(text);
  } catch (e) {
    if (e instanceof CmpError) throw new CmpError(e.code, `-resume: ${file}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Removes the file of a finished transaction; one already gone is fine. */
export async function removeSessionFile(file: string): Promise<void> {
  try {
    await fs.unlink(file);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw new CmpError(ErrorCodes.ERR_FILE, `-session: cannot remove session file ${file} (${errno(e)})`, { cause: e });
  }
}

/**
 * The options recorded in the session file `file` (relative to `cwd`) as arguments. A file that
 * cannot be read or parsed gives none here: -resume reports that when it reads the file itself.
 */
export async function recordedArgumentsOf(file: string, cwd: string): Promise<string[]> {
  const source = path.resolve(cwd, file);
  let session: PersistedSession;
  try {
    session = await readSessionFile(source);
  } catch {
    return [];
  }
  return recordedArguments(session.meta, source);
}
