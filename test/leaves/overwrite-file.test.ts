/**
 * An output written in place (a certificate, a -reqout or -rspout message, a genm's -infotype
 * file) leaves what writeFileSync (fopen "w") leaves: the same
 * bytes, the same mode for a new file, the same errors; and it writes devices as streams.
 */
import { execFileSync, spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { overwriteFileSync } from '../../src/overwrite-file';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('overwriteFileSync', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cmpflow-overwrite-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a missing file with the mode writeFileSync gives one', () => {
    const ours = path.join(dir, 'ours.pem');
    const theirs = path.join(dir, 'theirs.pem');
    overwriteFileSync(ours, bytes('new'));
    writeFileSync(theirs, bytes('new'));
    expect(readFileSync(ours, 'utf8')).toBe('new');
    expect(statSync(ours).mode).toBe(statSync(theirs).mode);
  });

  it('leaves only the new bytes in a longer, an equally long and a shorter file', () => {
    const file = path.join(dir, 'cert.pem');
    for (const [old, next] of [
      ['a much longer old content', 'short'],
      ['same!', 'equal'],
      ['old', 'a longer new content'],
      ['something', ''],
    ]) {
      writeFileSync(file, old!);
      overwriteFileSync(file, bytes(next!));
      expect(readFileSync(file, 'utf8')).toBe(next);
    }
  });

  it('writes a device as a stream', () => {
    expect(() => overwriteFileSync('/dev/null', bytes('discarded'))).not.toThrow();
  });

  it('writes a named pipe as a stream', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // Opening a pipe to write waits for its reader.
    const reader = spawn('cat', [fifo]);
    let read = '';
    reader.stdout.on('data', (b: Buffer) => (read += b.toString()));
    const closed = new Promise((resolve) => reader.once('close', resolve));
    overwriteFileSync(fifo, bytes('through the pipe'));
    await closed;
    expect(read).toBe('through the pipe');
  });

  it('fails with the error writeFileSync reports: a folder, a missing folder', () => {
    const code = (write: () => void) => {
      try {
        write();
      } catch (e) {
        return (e as NodeJS.ErrnoException).code;
      }
      return 'none';
    };
    for (const target of [dir, path.join(dir, 'missing', 'cert.pem')]) {
      expect(code(() => overwriteFileSync(target, bytes('x')))).toBe(code(() => writeFileSync(target, bytes('x'))));
    }
    expect(code(() => overwriteFileSync(dir, bytes('x')))).toBe('EISDIR');
  });
});
