/**
 * Session stores keep checked sessions under their transactionID; the file store writes atomically
 * (a loader never sees a partial file), privately (0600), and only inside its directory.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CmpError } from '../../src/errors';
import { FileSessionStore, MemorySessionStore, persistSession, type PersistedSession, type SessionStore } from '../../src/session';
import { startWaiting, TRANSACTION_ID } from './sessions';

const OTHER_ID = Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64');

async function waitingSession(transactionId = TRANSACTION_ID, meta?: Record<string, string>): Promise<PersistedSession> {
  const { actor } = await startWaiting({ transactionId });
  const session = persistSession(actor, 'enrollment', meta);
  actor.stop();
  return session;
}

async function rejection(p: Promise<unknown>): Promise<CmpError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CmpError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmpflow-sessions-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.each<[string, () => SessionStore]>([
  ['memory store', () => new MemorySessionStore()],
  ['file store', () => new FileSessionStore(path.join(tmp, 'sessions'))],
])('%s', (_name, makeStore) => {
  it('saves, lists, loads and removes sessions by transactionID', async () => {
    const store = makeStore();
    const a = await waitingSession(TRANSACTION_ID);
    const b = await waitingSession(OTHER_ID);
    expect(await store.list()).toEqual([]);
    await store.save(TRANSACTION_ID, a);
    await store.save(OTHER_ID, b);
    expect((await store.list()).sort()).toEqual([TRANSACTION_ID, OTHER_ID].sort());
    expect(await store.load(TRANSACTION_ID)).toEqual(a);
    expect(await store.load(OTHER_ID)).toEqual(b);
    await store.remove(TRANSACTION_ID);
    expect(await store.load(TRANSACTION_ID)).toBeUndefined();
    expect(await store.list()).toEqual([OTHER_ID]);
    await store.remove(TRANSACTION_ID); // removing twice is harmless
  });

  it('replaces a saved session with a newer one', async () => {
    const store = makeStore();
    await store.save(TRANSACTION_ID, await waitingSession(TRANSACTION_ID, { attempt: 'first' }));
    await store.save(TRANSACTION_ID, await waitingSession(TRANSACTION_ID, { attempt: 'second' }));
    expect((await store.load(TRANSACTION_ID))!.meta).toEqual({ attempt: 'second' });
    expect(await store.list()).toEqual([TRANSACTION_ID]);
  });

  it('is not changed by mutating the saved or the loaded object', async () => {
    const store = makeStore();
    const session = await waitingSession();
    await store.save(TRANSACTION_ID, session);
    (session.snapshot as any).context.polls = 7;
    const loaded = (await store.load(TRANSACTION_ID))!;
    expect((loaded.snapshot as any).context.polls).toBe(0);
    (loaded.snapshot as any).context.polls = 8;
    expect(((await store.load(TRANSACTION_ID))!.snapshot as any).context.polls).toBe(0);
  });

  it('refuses ids that are not canonical base64, such as paths', async () => {
    const store = makeStore();
    const session = await waitingSession();
    for (const id of ['', '..', '../../etc/passwd', '/etc/passwd', 'a/../b', 'dHh=', 'dHg', 'dHg=\n', 'C:\\x']) {
      expect((await rejection(store.save(id, session))).code).toBe('ERR_INVALID_OPTION');
      expect((await rejection(store.load(id))).code).toBe('ERR_INVALID_OPTION');
      expect((await rejection(store.remove(id))).code).toBe('ERR_INVALID_OPTION');
    }
    expect(await store.list()).toEqual([]);
  });

  it('refuses to save a session under another transaction id, or a session that is not valid', async () => {
    const store = makeStore();
    const session = await waitingSession(TRANSACTION_ID);
    expect((await rejection(store.save(OTHER_ID, session))).code).toBe('ERR_INVALID_OPTION');
    const broken = JSON.parse(JSON.stringify(session));
    broken.snapshot.value = 'polling';
    expect((await rejection(store.save(TRANSACTION_ID, broken))).code).toBe('ERR_SNAPSHOT_INVALID');
    expect(await store.list()).toEqual([]);
  });
});

describe('file session store', () => {
  const dir = () => path.join(tmp, 'sessions');

  it('keeps one 0600 JSON file per transaction, named by the hex of its id, in a 0700 directory', async () => {
    const store = new FileSessionStore(dir());
    await store.save(TRANSACTION_ID, await waitingSession());
    const hex = Buffer.from(TRANSACTION_ID, 'base64').toString('hex');
    expect(fs.readdirSync(dir())).toEqual([`${hex}.json`]);
    expect(store.fileOf(TRANSACTION_ID)).toBe(path.join(dir(), `${hex}.json`));
    if (process.platform !== 'win32') {
      expect(fs.statSync(store.fileOf(TRANSACTION_ID)).mode & 0o777).toBe(0o600);
      expect(fs.statSync(dir()).mode & 0o777).toBe(0o700);
    }
  });

  it("stores an id whose base64 contains '/' inside its directory", async () => {
    expect(TRANSACTION_ID).toContain('/');
    const store = new FileSessionStore(dir());
    await store.save(TRANSACTION_ID, await waitingSession());
    expect(path.dirname(store.fileOf(TRANSACTION_ID))).toBe(dir());
    expect(fs.readdirSync(tmp)).toEqual(['sessions']);
  });

  it('writes to a temporary file in the same directory, syncs it, and renames it over the session file', async () => {
    const store = new FileSessionStore(dir());
    const session = await waitingSession();
    const steps: string[] = [];
    const open = fs.promises.open;
    jest.spyOn(fs.promises, 'open').mockImplementation(async (file, flags, mode) => {
      const handle = await open(file, flags, mode);
      if (String(file) === dir()) return handle; // the directory sync after the rename
      steps.push(`open ${path.relative(tmp, String(file))} ${String(flags)}`);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        steps.push('sync');
        return sync();
      };
      return handle;
    });
    const rename = jest.spyOn(fs.promises, 'rename');
    rename.mockImplementation(async (from, to) => {
      steps.push(`rename ${path.relative(tmp, String(from))} -> ${path.relative(tmp, String(to))}`);
      // At this moment the session file does not exist yet: nothing partial was ever visible.
      expect(fs.existsSync(String(to))).toBe(false);
      return fs.renameSync(from, to);
    });
    await store.save(TRANSACTION_ID, session);

    const target = path.relative(tmp, store.fileOf(TRANSACTION_ID));
    expect(steps).toHaveLength(3);
    const [opened, synced, renamed] = steps;
    const temp = /^open (\S+) wx$/.exec(opened)![1];
    expect(path.dirname(temp)).toBe(path.dirname(target));
    expect(temp).not.toBe(target);
    expect(synced).toBe('sync');
    expect(renamed).toBe(`rename ${temp} -> ${target}`);
    expect(fs.readdirSync(dir())).toEqual([path.basename(target)]);
    expect(await store.load(TRANSACTION_ID)).toEqual(session);
  });

  it('keeps the previous session intact and leaves no temporary file when a save fails', async () => {
    const store = new FileSessionStore(dir());
    const first = await waitingSession(TRANSACTION_ID, { attempt: 'first' });
    await store.save(TRANSACTION_ID, first);
    jest.spyOn(fs.promises, 'rename').mockRejectedValueOnce(Object.assign(new Error('disk full'), { code: 'ENOSPC' }));
    const error = await rejection(store.save(TRANSACTION_ID, await waitingSession(TRANSACTION_ID, { attempt: 'second' })));
    expect(error.code).toBe('ERR_FILE');
    expect(error.message).toContain('ENOSPC');
    expect(fs.readdirSync(dir())).toEqual([path.basename(store.fileOf(TRANSACTION_ID))]);
    expect(await store.load(TRANSACTION_ID)).toEqual(first);
  });

  it('never exposes a half-written session when a write is interrupted', async () => {
    const store = new FileSessionStore(dir());
    const first = await waitingSession(TRANSACTION_ID, { attempt: 'first' });
    await store.save(TRANSACTION_ID, first);
    const open = fs.promises.open;
    jest.spyOn(fs.promises, 'open').mockImplementation(async (file, flags, mode) => {
      const handle = await open(file, flags, mode);
      // The disk fills up halfway through the data.
      handle.writeFile = async (data: unknown) => {
        const text = String(data);
        await handle.write(text.slice(0, text.length / 2));
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      };
      return handle;
    });
    const error = await rejection(store.save(TRANSACTION_ID, await waitingSession(TRANSACTION_ID, { attempt: 'second' })));
    jest.restoreAllMocks();
    expect(error.code).toBe('ERR_FILE');
    expect(await store.load(TRANSACTION_ID)).toEqual(first);
    expect(fs.readdirSync(dir())).toEqual([path.basename(store.fileOf(TRANSACTION_ID))]);
  });

  it('lists only session files, ignoring temporary and foreign files', async () => {
    const store = new FileSessionStore(dir());
    await store.save(TRANSACTION_ID, await waitingSession());
    const hex = Buffer.from(TRANSACTION_ID, 'base64').toString('hex');
    fs.writeFileSync(path.join(dir(), `.${hex}.json.123.abcdef.tmp`), '{"form');
    fs.writeFileSync(path.join(dir(), 'notes.txt'), 'hello');
    fs.writeFileSync(path.join(dir(), 'ABCD.json'), '{}');
    expect(await store.list()).toEqual([TRANSACTION_ID]);
  });

  it('lists nothing, and loads nothing, when the directory does not exist yet', async () => {
    const store = new FileSessionStore(dir());
    expect(await store.list()).toEqual([]);
    expect(await store.load(TRANSACTION_ID)).toBeUndefined();
  });

  it('refuses a file that is not a valid session, is too large, or holds another transaction', async () => {
    const store = new FileSessionStore(dir());
    await store.save(TRANSACTION_ID, await waitingSession());
    const file = store.fileOf(TRANSACTION_ID);
    const good = fs.readFileSync(file, 'utf8');

    fs.writeFileSync(file, good.slice(0, good.length / 2));
    expect((await rejection(store.load(TRANSACTION_ID))).code).toBe('ERR_SNAPSHOT_INVALID');

    fs.writeFileSync(file, ' '.repeat(70 * 1024) + good);
    expect((await rejection(store.load(TRANSACTION_ID))).code).toBe('ERR_SNAPSHOT_INVALID');

    // A session file copied under another transaction's name.
    fs.writeFileSync(store.fileOf(OTHER_ID), good);
    const error = await rejection(store.load(OTHER_ID));
    expect(error.code).toBe('ERR_SNAPSHOT_INVALID');
    expect(error.message).toContain('another transaction');
  });

  it('reports a directory it cannot create as ERR_FILE', async () => {
    const blocker = path.join(tmp, 'a-file');
    fs.writeFileSync(blocker, '');
    const store = new FileSessionStore(path.join(blocker, 'sessions'));
    expect((await rejection(store.save(TRANSACTION_ID, await waitingSession()))).code).toBe('ERR_FILE');
  });
});
