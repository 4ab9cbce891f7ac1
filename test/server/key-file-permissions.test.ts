/**
 * createThrowawayCa({ folder }) keeps its private keys to its owner: key files are written 0600 as
 * new files (an existing world-readable one is replaced, a planted symlink is not followed), and
 * a folder reused by a later run is refused when a key file in it is readable by others or is a
 * symlink, rather than quietly narrowed: whoever could read it may hold a copy.
 */
import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createThrowawayCa, type ThrowawayCaOptions } from '../../src/server';
import { checkPrivateKeyFile } from '../../src/server/key-file-permissions';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cmpflow-keyfiles-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (file: string) => statSync(file).mode & 0o777;
/** `reuse` as the options of a CA that lasts across restarts take it. */
const reusing = (folder: string) => ({ folder, reuse: true }) as ThrowawayCaOptions;

describe('checkPrivateKeyFile', () => {
  it('accepts a regular file only its owner can read', async () => {
    const file = join(dir, 'key.pem');
    writeFileSync(file, 'x', { mode: 0o600 });
    await expect(checkPrivateKeyFile(file)).resolves.toBeUndefined();
  });

  it('refuses a key file group or others can read or write, naming its mode and what to do (ERR_CREDENTIALS)', async () => {
    const file = join(dir, 'key.pem');
    writeFileSync(file, 'x');
    for (const m of [0o644, 0o640, 0o602]) {
      chmodSync(file, m);
      await expect(checkPrivateKeyFile(file)).rejects.toMatchObject({
        code: 'ERR_CREDENTIALS',
        message: expect.stringMatching(new RegExp(`mode 0${m.toString(8)}.*chmod 600`)),
      });
    }
  });

  it('refuses a symlink, even to a well-protected file, and a directory', async () => {
    const target = join(dir, 'elsewhere.pem');
    writeFileSync(target, 'x', { mode: 0o600 });
    symlinkSync(target, join(dir, 'link.pem'));
    await expect(checkPrivateKeyFile(join(dir, 'link.pem'))).rejects.toMatchObject({
      code: 'ERR_CREDENTIALS',
      message: expect.stringContaining('symbolic link'),
    });
    await expect(checkPrivateKeyFile(dir)).rejects.toMatchObject({ code: 'ERR_CREDENTIALS' });
  });
});

describe('the throwaway CA folder', () => {
  it('replaces an existing world-readable key file with a new one of mode 0600', async () => {
    writeFileSync(join(dir, 'ca.key'), 'old', { mode: 0o644 });
    chmodSync(join(dir, 'ca.key'), 0o644);
    const ca = await createThrowawayCa({ folder: dir });
    expect(mode(ca.files!.caKey)).toBe(0o600);
    expect(mode(ca.files!.serverKey)).toBe(0o600);
    expect(readFileSync(ca.files!.caKey, 'utf8')).toContain('PRIVATE KEY');
  });

  it('does not write through a symlink planted where a key file goes', async () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'untouched', { mode: 0o644 });
    const folder = join(dir, 'ca');
    await createThrowawayCa({ folder });
    rmSync(join(folder, 'server.key'));
    symlinkSync(victim, join(folder, 'server.key'));
    const ca = await createThrowawayCa({ folder });
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(lstatSync(ca.files!.serverKey).isSymbolicLink()).toBe(false);
    expect(mode(ca.files!.serverKey)).toBe(0o600);
  });

  it('refuses to reuse a folder whose CA key others can read, and reuses it once the mode is 0600', async () => {
    const first = await createThrowawayCa({ folder: dir });
    chmodSync(first.files!.caKey, 0o644);
    await expect(createThrowawayCa(reusing(dir))).rejects.toMatchObject({ code: 'ERR_CREDENTIALS', message: expect.stringContaining('ca.key') });
    chmodSync(first.files!.caKey, 0o600);
    const again = await createThrowawayCa(reusing(dir));
    expect(again.ca.cert.serialNumber).toBe(first.ca.cert.serialNumber);
  });
});
